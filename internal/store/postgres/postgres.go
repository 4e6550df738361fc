package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect describes PostgreSQL to sqlstore.
var Dialect = sqlstore.Dialect{
	Name:              "postgres",
	NumberedParams:    true,
	ArrayParams:       true,
	WriteTx:           sql.TxOptions{Isolation: sql.LevelSerializable},
	ReadTx:            sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	IsUniqueViolation: func(err error) bool { return pgCode(err) == "23505" },
	IsRetryable: func(err error) bool {
		code := pgCode(err)
		return code == "40001" || code == "40P01" // serialization_failure, deadlock_detected
	},
}

// Store is the hub store on PostgreSQL.
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url, a postgres:// URL or a key=value
// string as pgx accepts; a search_path parameter selects the schema. It does
// not migrate: call Migrate.
func Open(ctx context.Context, url string, box *secret.Box) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included: keep it out.
		return nil, errors.New("store: open postgres: cannot parse the database URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: open postgres %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	s, err := sqlstore.New(stdlib.OpenDBFromPool(pool), sqlstore.Config{Dialect: Dialect, Box: box})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{Store: s, pool: pool}, nil
}

// Pool returns the connection pool, for River's pgx driver.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the store and its pool.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.pool.Close()
	return err
}

// Migrate brings the schema up to date with the embedded migrations.
func (s *Store) Migrate(ctx context.Context) error {
	return Migrate(ctx, s.DB())
}

// Migrate brings the schema of db (the first schema of its search_path) up
// to date with the embedded migrations. Concurrent migrations of the same
// schema, by several hub nodes starting at once, wait for each other on an
// advisory lock named after the schema.
func Migrate(ctx context.Context, db *sql.DB) error {
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("store: migrate postgres: %w", err)
	}
	if schema == "" {
		return errors.New("store: migrate postgres: no schema: search_path names none that exists")
	}
	h := fnv.New64a()
	h.Write([]byte("crmsync/store:" + schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("store: migrate postgres: %w", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("store: migrate postgres: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("store: migrate postgres: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate postgres schema %s: %w", schema, err)
	}
	return nil
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
