package hubdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/postgres"
	"github.com/crmsync/crmsync/internal/store/sqlite"
)

// The database kinds, as in DB.Kind.
const (
	KindSQLite   = config.KindSQLite
	KindPostgres = config.KindPostgres
)

// DB is an open hub database.
type DB struct {
	// Store is the hub store over the database.
	Store store.Store
	// Kind is KindSQLite or KindPostgres.
	Kind string
	// SQL is the SQLite read-write handle (a single connection), for River's
	// riversqlite driver. Nil on PostgreSQL.
	SQL *sql.DB
	// Pool is the PostgreSQL connection pool, for River's riverpgxv5
	// driver. Nil on SQLite.
	Pool *pgxpool.Pool
	// Redacted names the database for log lines, without any password.
	Redacted string

	migrate func(context.Context) error
}

// Open opens the database named by dsn, "sqlite:PATH" or a postgres:// URL,
// with box sealing connection credentials. It does not migrate: call
// Migrate. Close releases it.
func Open(ctx context.Context, dsn string, box *secret.Box) (*DB, error) {
	d, err := config.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("hubdb: open: %w", err)
	}
	if box == nil {
		return nil, errors.New("hubdb: open: a secret box is required to seal credentials")
	}
	switch d.Kind {
	case KindSQLite:
		s, err := sqlite.Open(ctx, d.Path, box)
		if err != nil {
			return nil, fmt.Errorf("hubdb: open: %w", err)
		}
		return &DB{Store: s, Kind: KindSQLite, SQL: s.DB(), Redacted: d.Redacted(), migrate: s.Migrate}, nil
	case KindPostgres:
		s, err := postgres.Open(ctx, d.URL, box)
		if err != nil {
			return nil, fmt.Errorf("hubdb: open: %w", err)
		}
		return &DB{Store: s, Kind: KindPostgres, Pool: s.Pool(), Redacted: d.Redacted(), migrate: s.Migrate}, nil
	}
	return nil, fmt.Errorf("hubdb: open: unsupported kind %q", d.Kind)
}

// Migrate brings the schema up to date with the store's embedded
// migrations. It is safe to call repeatedly and, on PostgreSQL, from
// several nodes at once.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.migrate(ctx); err != nil {
		return fmt.Errorf("hubdb: migrate %s: %w", db.Redacted, err)
	}
	return nil
}

// Close closes the store and its handles.
func (db *DB) Close() error {
	if err := db.Store.Close(); err != nil {
		return fmt.Errorf("hubdb: close: %w", err)
	}
	return nil
}
