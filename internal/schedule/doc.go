// Package schedule computes when a stream runs by itself (SPEC X1): every N
// minutes, hourly, daily at a local time in the org's IANA time zone,
// continuously (webhooks plus a short poll), or only by hand.
//
// It is pure: no I/O, no clock. Callers pass the current time and the time of
// the stream's last run, and the River tick in package job decides from the
// answer which streams are due.
package schedule
