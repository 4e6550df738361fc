// Package sqlstore implements store.Store once, over database/sql, for both
// SQLite and PostgreSQL. The differences between the two live in a small
// Dialect: placeholder style, transaction options, and how to recognise a
// unique violation or an error worth retrying. The schema itself is owned by
// the sqlite and postgres packages, each with its own embedded migrations;
// both follow the same portable rules:
//
//   - ids and keys are TEXT (byte-ordered: COLLATE "C" on PostgreSQL);
//   - timestamps are BIGINT Unix microseconds, 0 for the zero time;
//   - JSON is TEXT, "" for none; booleans are INTEGER 0 or 1;
//   - lists that keep insertion order use an autoincrement column, seq.
//
// Connection credentials are sealed with a secret.Box before they reach the
// database and opened on the way out.
//
// Batch methods deduplicate their input, run inside a savepoint (so a failed
// batch leaves nothing behind and the transaction usable), and cut their
// statements to at most maxParams parameters: multi-row INSERT ... ON
// CONFLICT upserts, and IN lists for lookups and deletes.
package sqlstore
