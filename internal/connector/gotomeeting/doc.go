// Package gotomeeting is the connector of a GoTo Meeting organizer: it
// schedules, updates, starts and deletes meetings and reads their history
// (sessions and attendees) over the GoTo Meeting REST API 1.0.0 (base
// https://api.getgo.com/G2M/rest) as GoTo publishes it, with OAuth 2.0 at
// GoTo's authentication service (authorization code with refresh tokens,
// client credentials in HTTP Basic), and nothing specific to our sandbox
// (internal/sandbox/gotomeeting), which its tests run against.
//
// The meeting domain uses the Client's typed methods: Create (POST
// /meetings, answered 201 with an array of one), Meeting, Update (PUT, 204),
// Delete (204), StartURL (the host's start URL), HistoricalMeetings and
// OrganizerHistoricalMeetings by date range, UpcomingMeetings, Attendees by
// meeting and Sessions, which groups them by session and answers
// ErrNoSession for a meeting never started (SPEC M8: "No session exists").
// Request bodies use GoTo's lower-case keys (subject, starttime, endtime,
// passwordrequired, conferencecallinfo, timezonekey, meetingtype); answers
// are read leniently, since GoTo sends some numbers as strings.
//
// Errors wrap internal/connector's sentinels: 404 ErrNotFound, 400
// ErrInvalid, and a 429 still refused after Config.MaxRetries retries (with
// backoff honouring Retry-After) *connector.RetryError over ErrRateLimited.
// 5xx answers are retried the same way for idempotent calls (and 503 for a
// create, which GoTo did not carry out). A refused access token
// (403 InvalidToken) is refreshed once per call; a refused refresh token
// answers ErrReconnect: the organizer must connect again.
//
// The Client is also a connector.Connector (stream.go) for the sync engine:
// object "Meeting" writes meetings, object "HistoricalMeeting" lists ended
// sessions since a cursor.
//
// A store.Connection of system "gotomeeting" keeps its settings in Config
// ({"api_url": ..., "auth_url": ...}, both optional) and its secrets in
// Credentials ({"client_id", "client_secret", "refresh_token"}).
package gotomeeting
