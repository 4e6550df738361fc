package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Memory is the path of a private in-memory database.
const Memory = ":memory:"

const (
	// busyTimeoutMS is how long a connection waits for another process's
	// lock before SQLITE_BUSY (which InTx then retries).
	busyTimeoutMS = 10000
	// readers is the size of the query-only pool serving Read.
	readers = 4
)

// Dialect describes SQLite to sqlstore.
var Dialect = sqlstore.Dialect{
	Name:              "sqlite",
	IndexedBy:         true,
	WriteTx:           sql.TxOptions{},
	ReadTx:            sql.TxOptions{ReadOnly: true},
	IsUniqueViolation: isUniqueViolation,
	IsRetryable:       isBusy,
}

// Store is the hub store on SQLite.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, or a private
// in-memory one for ":memory:". It does not migrate: call Migrate.
func Open(ctx context.Context, path string, box *secret.Box) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: open sqlite: empty path")
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("store: open sqlite %s: the path may not contain '?'", path)
	}
	// A 64 MiB page cache and memory-mapped reads keep a large mirror's
	// interior pages in memory, so that a run touching a few records of a
	// million costs about what it costs over ten thousand.
	params := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=1&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)", busyTimeoutMS)
	mem := path == Memory
	writerDSN := path + "?" + params + "&_txlock=immediate"
	if !mem {
		writerDSN += "&_journal_mode=WAL&_synchronous=NORMAL"
	}
	db, err := sql.Open("sqlite", writerDSN)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// SQLite has one writer at a time: one connection makes writers queue
	// in database/sql rather than spin on SQLITE_BUSY. In memory, the
	// connection is the database, so it must never be closed either.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	cfg := sqlstore.Config{Dialect: Dialect, Box: box}
	if !mem {
		rdb, err := sql.Open("sqlite", path+"?"+params+"&_query_only=1")
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open sqlite %s readers: %w", path, err)
		}
		rdb.SetMaxOpenConns(readers)
		rdb.SetMaxIdleConns(readers)
		cfg.ReadDB = rdb
	}
	s, err := sqlstore.New(db, cfg)
	if err != nil {
		db.Close()
		if cfg.ReadDB != nil {
			cfg.ReadDB.Close()
		}
		return nil, err
	}
	return &Store{Store: s}, nil
}

// Migrate brings the schema up to date with the embedded migrations.
func (s *Store) Migrate(ctx context.Context) error {
	return Migrate(ctx, s.DB())
}

// Migrate brings the schema of db up to date with the embedded migrations.
func Migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("store: migrate sqlite: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	if err != nil {
		return fmt.Errorf("store: migrate sqlite: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate sqlite: %w", err)
	}
	return nil
}

func sqliteCode(err error) (int, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

func isUniqueViolation(err error) bool {
	code, ok := sqliteCode(err)
	return ok && (code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func isBusy(err error) bool {
	code, ok := sqliteCode(err)
	return ok && code&0xff == sqlite3.SQLITE_BUSY
}
