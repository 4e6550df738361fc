// Package api is the hub's JSON API under /api/v1: an http.Handler over the
// store, with bearer-token authentication, org isolation and admin roles.
//
// Every request but the OpenAPI document carries "Authorization: Bearer
// <token>". A token is 32 random bytes, shown once when issued and stored
// only as its SHA-256 (store.Token.Hash). A caller sees their own org only:
// every lookup goes through the caller's org id, so another org's stream or
// quarantine entry answers 404, exactly like one that does not exist. Within
// the org, a member sees org-wide streams and their own; admin endpoints
// answer 403 to a member. Every admin action is written to the audit log
// (SPEC A7). Reminder tasks (/api/v1/tasks) are each user's own, admins'
// included: another user's task answers 404.
//
// Errors are JSON: {"error": {"code": "not_found", "message": "..."}}; a
// value the hub refuses answers 422 with code "invalid" and the field named
// in "field". Lists are {"items": [...]} and take ?limit= (default 50, at
// most 500).
//
// The routes are described by an embedded OpenAPI 3.1 document served at
// GET /api/v1/openapi.json; a test keeps it and the routes in step.
//
// "Sync now" goes through the SyncTrigger the caller supplies (the job
// queue); without one it answers 503.
package api
