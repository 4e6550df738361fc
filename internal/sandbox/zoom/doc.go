// Package zoom is a Zoom account in memory that speaks the Zoom API v2 wire
// format, so that a Zoom client — our connector, or any other — cannot tell
// it from the real service. Tests start it in-process on a loopback port
// (httptest.NewServer(zoom.New(cfg))); `crmsync sandbox zoom` runs it for
// people.
//
// It follows Zoom's published API description (OpenAPI 2.0, basePath /v2)
// and its Server-to-Server OAuth and webhook documentation:
//
//   - POST /oauth/token?grant_type=account_credentials&account_id=... with
//     the app's client id and secret in HTTP Basic auth (the parameters may
//     also come in a form body); bearer tokens expire after
//     Config.TokenTTL (3599 s, as Zoom answers expires_in), and an expired
//     or unknown one answers 401 {"code":124,"message":...}.
//   - GET /v2/users/{userId} (an id, an email or "me": the app's owner).
//   - Meetings: POST /v2/users/{userId}/meetings (201), GET, PATCH (204)
//     and DELETE (204) /v2/meetings/{meetingId}, and GET
//     /v2/users/{userId}/meetings by type, paged by next_page_token (or
//     page_number, which the description still lists).
//   - Past meetings: /v2/past_meetings/{meetingId or uuid}, .../instances
//     and .../participants; reports: /v2/report/meetings/{id}/participants
//     and /v2/report/users/{userId}/meetings by from and to; cloud
//     recordings: /v2/meetings/{meetingId}/recordings and
//     /v2/users/{userId}/recordings. A meeting UUID that starts with "/" or
//     holds "//" must be URL-encoded twice in a path, as Zoom requires;
//     encoded once it is not found.
//   - Errors as {"code":N,"message":"..."} with Zoom's codes (124 invalid
//     token, 300 validation, 1001 user not found, 3001 meeting not found,
//     3301 no recording, 429 rate limit), and the X-RateLimit-Category,
//     X-RateLimit-Limit and X-RateLimit-Remaining headers on every API
//     answer (X-RateLimit-Type and Retry-After on a 429).
//
// Answers carry the JSON types of the published description where it states
// them (a meeting object's id is a string there, a past meeting's an
// integer); webhooks carry those of Zoom's event reference. A few fields the
// live API answers and the older description lacks are answered too:
// status on meetings, pmi on a meeting that uses the personal meeting ID,
// next_page_token on the meeting list, user_email on past participants.
//
// Beyond Zoom, the /__sandbox/ admin surface (admin.go) and the matching Go
// methods hold a meeting — start it at a given time with chosen
// participants, join and leave times and optionally a cloud recording —
// which creates the past-meeting instance, participants, report rows and
// recording, and sends the signed webhooks meeting.started,
// meeting.participant_joined, meeting.participant_left, meeting.ended and
// recording.completed to the configured endpoint (webhook.go), after the
// endpoint.url_validation challenge. It also flips the fault switches of
// faults.go (latency, 5xx, 429 with Retry-After, expired tokens) and moves
// the clock.
//
// The package shares no code with the connector (internal/connector/zoom):
// it is an independent implementation of the server side.
package zoom
