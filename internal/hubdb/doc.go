// Package hubdb opens the hub database named by a DSN (see config.ParseDSN):
// SQLite for "sqlite:PATH", PostgreSQL for postgres:// URLs. It hands out
// the store and the raw handle River's driver needs (*sql.DB for
// riversqlite, *pgxpool.Pool for riverpgxv5), so that the job queue shares
// the hub's database and its transactions.
package hubdb
