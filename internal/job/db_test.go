package job

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/postgres"
	"github.com/crmsync/crmsync/internal/testenv"
)

// newNodeFunc builds a Queue (a hub node) on a test database; every Queue
// of one database shares its River tables.
type newNodeFunc func(t *testing.T, cfg Config) *Queue

// testDB opens a fresh, migrated hub store on a real database, with River
// beside it as in production.
type testDB struct {
	name string
	open func(t *testing.T) (store.Store, newNodeFunc)
}

// databases are a SQLite file and a PostgreSQL schema.
var databases = []testDB{
	{name: "sqlite", open: openSQLite},
	{name: "postgres", open: openPostgres},
}

func testBox(t *testing.T) *secret.Box {
	t.Helper()
	box, err := secret.NewBox(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// openSQLite opens a new SQLite store; its queues use the store's writer
// connection.
func openSQLite(t *testing.T) (store.Store, newNodeFunc) {
	t.Helper()
	st := testenv.SQLite(t) // closed after the queues, which stop in later cleanups
	return st, func(t *testing.T, cfg Config) *Queue {
		q, err := NewSQLite(st.DB(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
}

// openPostgres opens a store on a new PostgreSQL schema (testenv.Postgres:
// skipped without CRMSYNC_TEST_POSTGRES unless CRMSYNC_REQUIRE_PEERS=1).
// Its first queue uses the store's pool; later ones (other nodes) open
// their own.
func openPostgres(t *testing.T) (store.Store, newNodeFunc) {
	t.Helper()
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	st, err := postgres.Open(ctx, dsn, testBox(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	nodes := 0
	return st, func(t *testing.T, cfg Config) *Queue {
		pool := st.Pool()
		if nodes++; nodes > 1 {
			var err error
			if pool, err = pgxpool.New(ctx, dsn); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
		}
		q, err := NewPostgres(pool, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
}
