// Package sqlite opens the hub store on a SQLite file through the pure-Go
// driver modernc.org/sqlite, and migrates it with embedded goose migrations.
//
// One database file serves two pools: a single writer connection (WAL,
// BEGIN IMMEDIATE, foreign keys, a busy timeout), which River's SQLite driver
// shares through DB, and a small pool of query-only connections for Read, so
// that listings never wait for a sync run to commit. ":memory:" uses one
// connection for everything, as an in-memory database lives and dies with
// its connection.
package sqlite
