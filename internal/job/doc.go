// Package job runs the hub's background work on River (riverqueue), the same
// queue on SQLite (riversqlite, one node) and PostgreSQL (riverpgxv5, several
// nodes sharing work with no home-made coordination).
//
// Two job kinds exist so far:
//   - SyncArgs runs one stream through the sync engine (a Runner). It is
//     unique per stream while queued, running or waiting to retry, so a stream
//     never runs twice at once; failures are retried with River's backoff and
//     a panic fails the attempt, not the process.
//   - TickArgs is a River periodic job. River enqueues periodic jobs only on
//     its elected leader, so however many nodes share a PostgreSQL database,
//     each tick happens once: it reads every enabled stream, asks package
//     schedule which are due, enqueues a SyncArgs for each and records the
//     streams' next run (SPEC X1).
//
// A Queue wraps the River client: New, NewSQLite or NewPostgres build it,
// Migrate runs River's own migrations, Start and Stop run the workers, and
// SyncNow is the "sync now" button.
package job
