// Package msgraph is a Microsoft Graph v1.0 tenant in memory, enough of it
// to sync users' personal contacts: the Microsoft identity platform token
// endpoint (/{tenant}/oauth2/v2.0/token), contact folders, contacts with
// delta queries, single-value extended properties and OData paging, the
// master category list, the user directory, throttling answers, and a
// /__sandbox/ admin surface that plays the users (renaming a category in
// Outlook, sharing a folder, expiring delta tokens, seeding).
//
// It follows the Graph v1.0 resource shapes of contact, contactFolder and
// outlookCategory as the v1.0 CSDL metadata names them (the package's tests
// check every emitted property against that document) and Graph's error
// body {"error":{"code","message","innerError"}}.
//
// What Graph itself allows is mirrored where it matters to a client:
// PATCH on a category changes only its color (displayName is fixed once a
// category exists); /me needs a delegated token; another user's folder is
// reached as /users/{id}/contactFolders/{id} only when the owner shared it
// (application tokens reach every mailbox, as application permissions do);
// a delta token the service no longer holds answers 410 Gone with code
// SyncStateNotFound.
//
// Some answers are the sandbox's own stand-ins where Graph's exact wording
// is not documented: a duplicate category answers 409 ErrorAlreadyExists; a
// name property (givenName, surname, displayName, companyName, ...) longer
// than 256 characters answers 400 ErrorInvalidProperty naming it, in place
// of Exchange's own validation; $filter knows only the two forms a contact
// sync uses (an extended property's value, a category), $select is not
// applied (every property is written), and delta pages are sized by
// Prefer: odata.maxpagesize.
//
// Shared folders: Graph has no call listing the folders shared with a
// user. POST /__sandbox/grants shares one (read-only); the grantee then
// reaches it as /users/{owner}/contactFolders/{id} with a delegated token,
// and a client is told of it by configuration.
package msgraph
