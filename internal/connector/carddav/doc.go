// Package carddav is a user's CardDAV address books (RFC 6352, vCard 3.0
// and 4.0 of RFC 6350) as a mailbox connector (internal/connector/mailbox):
// the contacts domain syncs them with the CRM as it does Microsoft Graph
// contacts (SPEC C1–C11), on any CardDAV server (Radicale, Nextcloud,
// iCloud, Fastmail…).
//
// Discovery (SPEC C1): Config.URL is an address book, or any URL of the
// server from which the user's address books are found through
// /.well-known/carddav (RFC 6764), DAV:current-user-principal and
// CARDDAV:addressbook-home-set (see Discover).
//
// Folders: the address books of the user's own home set are private;
// any other one the connector is shown (Config.URL outside the home,
// Config.SharedURLs: another principal's) is shared. Only the private
// ones are listed by Changes and written to (SPEC C5); a create goes to
// the configured address book, else the first private one.
//
// Fields: N ↔ surname, givenName, middleName (prefix and suffix kept);
// FN ↔ displayName; ORG ↔ companyName and department (its first two
// components; further units kept); TITLE ↔ jobTitle; the first three
// EMAILs, a preferred one (PREF, TYPE=pref) first ↔ email, email2,
// email3 (a fourth and later are kept); the preferred TEL of type work,
// cell and home (never a fax or pager) ↔ businessPhone, mobilePhone,
// homePhone; the ADR of type work, else the first ↔ the business address
// (post office box and extended address kept); CATEGORIES ↔ categories;
// NOTE ↔ personalNotes; folderId is the address book's path. The ID is
// the card's href, the Key its UID, Modified its REV (else the time of
// the listing).
//
// Writes: a create is a vCard 3.0 (the one version every CardDAV server
// takes, RFC 6352 5.1.1) PUT to KEY.vcf with If-None-Match: *, so that a
// retried create finds its card (412) instead of making a second. An
// update reads the stored card and changes only the mapped properties:
// every other line (PHOTO, X- properties, a fifth EMAIL, a client's own
// escapes) is written back as it came; it is sent with If-Match, so an
// edit made on the server meanwhile is never overwritten (the write fails
// for now, with a connector.RetryError, and the next run merges it). A
// delete of a card already gone is done.
//
// Changes uses a sync-collection REPORT (RFC 6578) with the cards' data
// where the address book has a sync token, else an addressbook-query
// REPORT and the ETag of every card in the cursor. Each card is parsed on
// its own (go-vcard): one that cannot be read is a Record with Invalid
// naming it and why, reported once per version, and the rest goes on.
//
// Categories: CardDAV has no list of categories of its own; they are the
// CATEGORIES values the cards carry, the ID being the name. Creating one
// stores nothing on the server; renaming one rewrites every card that
// carries it (see Connector.RenameCategory).
package carddav
