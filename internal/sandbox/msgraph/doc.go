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
// a delta token the service no longer holds answers 410 Gone.
package msgraph
