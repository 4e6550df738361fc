// Package gotomeeting is a GoTo Meeting account in memory that speaks GoTo's
// own wire formats, so that a GoTo Meeting client — our connector, or any
// other — cannot tell it from the real service. Tests start it in-process on
// a loopback port (httptest.NewServer(gotomeeting.New(cfg))); `crmsync
// sandbox gotomeeting` runs it for people.
//
// It follows the GoTo Meeting REST API 1.0.0 as GoTo publishes it (the
// OpenAPI description "GoToMeeting" 1.0.0, base path /G2M/rest) and GoTo's
// OAuth 2.0 authentication service:
//
//   - /oauth/authorize (the authorization-code flow, approved at once for
//     the organizer named by login_hint, else the first one) and
//     /oauth/token with the authorization_code and refresh_token grants,
//     client credentials in HTTP Basic (or in the form). Codes are single
//     use; access tokens live 60 minutes (Config.AccessTokenTTL) and answer
//     access_token, token_type, refresh_token, expires_in, scope,
//     principal, organizer_key and account_key; a refresh answers without a
//     refresh_token, which stays valid until revoked. Token errors are RFC
//     6749 bodies ({"error","error_description"}).
//   - POST /G2M/rest/meetings (201, an array of one MeetingCreated),
//     GET /G2M/rest/meetings/{meetingId} (an array of one MeetingById),
//     PUT (204) and DELETE (204) on it, GET .../start ({"hostURL"}),
//     GET .../attendees (AttendeeByMeeting rows of every session held),
//     GET /G2M/rest/historicalMeetings and /G2M/rest/upcomingMeetings for
//     the signed-in organizer, and GET /G2M/rest/organizers/{organizerKey}/
//     historicalMeetings, attendees and upcomingMeetings. Request keys are
//     lower case (subject, starttime, endtime, passwordrequired,
//     conferencecallinfo, timezonekey, meetingtype), all of them required;
//     answer keys are camel case with the description's JSON types (some
//     numbers are strings, as GoTo sends them).
//   - Errors are {"int_err_code","msg"} with GoTo's status codes: 400
//     InvalidRequest, 403 InvalidToken for a missing, expired or revoked
//     access token (as GoTo's gateway answers), 403 Forbidden for another
//     organizer's data, 404 NotFound. Past Config.RateLimit requests a
//     second a client is answered 429 {"message":"Too Many Requests"}, the
//     gateway's throttling body; the sandbox adds a Retry-After header.
//
// GoTo has no webhooks for meeting history: a client pulls it. So the
// /__sandbox/ admin surface (admin.go) and Server.Hold "hold" a meeting: a
// session with chosen attendees and join and leave times, which then shows
// in historicalMeetings and attendees once it has ended. The admin surface
// also sets the fault switches of faults.go (latency, 5xx, 429 with
// Retry-After, expired and revoked tokens), moves the clock and resets.
//
// The package shares no code with the connector (internal/connector/
// gotomeeting); its tests check both against the published description.
package gotomeeting
