// Package postgres opens the hub store on PostgreSQL through pgx v5, and
// migrates it with embedded goose migrations.
//
// One *pgxpool.Pool serves both the store (through database/sql, by
// stdlib.OpenDBFromPool) and River's pgx driver (through Pool). A search_path
// in the URL (e.g. "?search_path=tenant1") selects the schema the tables
// live in, so several hubs, or several tests, can share one database.
//
// Write transactions are SERIALIZABLE, so a store on PostgreSQL behaves like
// one on SQLite, whose single writer serializes everything; InTx retries the
// serialization failures this brings. Reads are REPEATABLE READ, READ ONLY.
package postgres
