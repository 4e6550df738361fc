// Package msgraph is the connector to a user's personal contacts in
// Exchange Online / Office 365 through Microsoft Graph v1.0: a
// mailbox.Mailbox (SPEC C1–C11).
//
// It reads contacts with delta queries (contact: delta, one delta link per
// synced folder: the default Contacts folder and its child folders, or the
// one folder configured), writes them with POST, PATCH and DELETE, and
// handles the master category list. It authenticates with the Microsoft
// identity platform's v2.0 token endpoint: client credentials (application
// permissions, a named user) or a refresh token from a user's sign-in
// (delegated, /me). Throttling (429) and unavailability (503, 504) are
// retried honouring Retry-After.
//
// What Graph offers shapes a few choices, stated where they are made:
//   - Graph has no external-id field on a contact, so a create stores its
//     idempotency key in a single-value extended property (keyProperty) and
//     looks the key up first: a retried create answers the first contact.
//   - A category's displayName cannot be changed once created (PATCH
//     changes only its color), so RenameCategory creates the category
//     under the wanted name, moves the contacts of the synced folders from
//     the old name to it and deletes the old category.
//   - No Graph call lists the folders other users shared with this one:
//     they are configured (Config.SharedFolders) and reported as
//     mailbox.Shared; the directory (GET /users) is reported as
//     mailbox.Global. Neither syncs (SPEC C5).
package msgraph
