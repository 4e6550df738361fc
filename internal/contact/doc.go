// Package contact is mailbox contact sync (SPEC C1–C11): a user's address
// book — Exchange / Office 365 through Microsoft Graph, or any CardDAV
// server — in two-way sync with the CRM's Contacts and Leads, on the
// generic engine.
//
// Each user who enables it gets two streams from the org's CRM connection
// to their mailbox connection:
//
//   - Kind ("contacts"): CRM Contacts ↔ mailbox contacts. Every CRM contact
//     the user may see reaches the mailbox (C8); mailbox contacts filed
//     under a category the user picked reach the CRM (C2).
//   - LeadKind ("contact-leads"): CRM Leads → mailbox contacts filed under
//     Base Lead, and their later edits both ways. A mailbox contact never
//     becomes a Lead by itself.
//
// The hub keeps seven fixed categories in the mailbox (C3, C4) and files
// each contact it creates there under the one derived from the CRM (see
// CategoryOf). Deletes are never synced, either way (C7). A contact on both
// sides is matched by email, then first + last name, and merged; where a
// field differs the most recent value wins and the replaced one is kept
// in the CRM's crmsync_ReplacedValues__c field and in a conflict record
// (C10). docs/contacts.md tells the whole story.
package contact
