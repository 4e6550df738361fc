// Package ical writes and reads iCalendar (RFC 5545) meeting invitations
// and their iTIP (RFC 5546) methods REQUEST, CANCEL and PUBLISH.
//
// Build turns an Event into a calendar object: CRLF line ends, lines
// folded at 75 octets (never inside a UTF-8 sequence), TEXT escaped, one
// VTIMEZONE per zone used, generated from Go's time zone database with the
// real transitions of the years the event spans. Parse reads a calendar
// into a tree of components, rejecting malformed input with an error that
// names the input.
//
// Local times (SPEC M11) follow RFC 5545 section 3.3.5: LocalTime resolves
// an ambiguous wall-clock time (the hour repeated when daylight time ends)
// to its first occurrence and rejects a nonexistent one (the hour skipped
// when daylight time starts) with ErrNonexistentTime, so an invitation
// never carries a time its receivers could read two ways.
package ical
