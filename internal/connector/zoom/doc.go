// Package zoom is the connector of a Zoom account: meetings scheduled,
// read, updated and deleted, their past sessions, participants, reports and
// cloud recordings, over the Zoom API v2 as Zoom documents it, and the
// receiver of Zoom's signed webhooks. It holds nothing specific to our
// sandbox (internal/sandbox/zoom), which its tests run against.
//
// Authentication is Server-to-Server OAuth: the account_credentials grant
// with the app's client id and secret (golang.org/x/oauth2's client
// credentials flow, grant type overridden as Zoom requires). The token is
// cached until a minute before it expires and fetched again then, or at
// once when an answer says it is invalid (401, code 124).
//
// Errors are *APIError ({"code","message"} with Zoom's codes), which match
// connector.ErrNotFound (404), connector.ErrInvalid (400) and
// connector.ErrRateLimited (429) under errors.Is. A 429, and a 5xx on an
// idempotent call (GET, PATCH, DELETE), is retried with backoff honouring
// Retry-After (seconds, or the HTTP date Zoom gives for a spent daily
// limit); a wait longer than Config.MaxWait, or retries spent, answers
// *connector.RetryError. A create (POST) answered 5xx is not retried: Zoom
// has no idempotency key, and a retry could schedule the meeting twice.
//
// Meeting ids are JSON numbers in Zoom's live answers and webhooks and
// strings in parts of its published description; MeetingID reads both. A
// meeting UUID is put in a path encoded twice when it starts with "/" or
// holds "//", as Zoom requires.
//
// WebhookHandler (webhook.go) verifies x-zm-signature against the secret
// token, refuses timestamps outside a window against replay, answers the
// endpoint.url_validation challenge, and hands the meeting and recording
// events to a callback as typed values.
package zoom
