package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
)

// maxAttempts bounds how often InTx runs a transaction the database asked
// to retry.
const maxAttempts = 20

// Config configures a Store.
type Config struct {
	// Dialect describes the database; required.
	Dialect Dialect
	// Box seals connection credentials at rest; required.
	Box *secret.Box
	// ReadDB, when set, serves Read transactions (e.g. a pool of read-only
	// SQLite connections beside the single writer). Default: the write DB.
	ReadDB *sql.DB
	// Now is the clock for default timestamps. Default: time.Now.
	Now func() time.Time
}

// Store is a store.Store over database/sql. It owns the DBs it was given and
// closes them in Close.
type Store struct {
	db  *sql.DB
	rdb *sql.DB
	d   Dialect
	box *secret.Box
	now func() time.Time
}

var _ store.Store = (*Store)(nil)

// New returns a Store over db, whose schema must already be migrated.
func New(db *sql.DB, cfg Config) (*Store, error) {
	if db == nil {
		return nil, errors.New("store: new: nil *sql.DB")
	}
	if cfg.Box == nil {
		return nil, errors.New("store: new: a secret.Box is required to seal credentials")
	}
	if cfg.Dialect.IsUniqueViolation == nil {
		return nil, errors.New("store: new: Dialect.IsUniqueViolation is required")
	}
	s := &Store{db: db, rdb: cfg.ReadDB, d: cfg.Dialect, box: cfg.Box, now: cfg.Now}
	if s.rdb == nil {
		s.rdb = db
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.d.IsRetryable == nil {
		s.d.IsRetryable = func(error) bool { return false }
	}
	return s, nil
}

// DB returns the read-write database handle.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database handles.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.rdb != s.db {
		err = errors.Join(err, s.rdb.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// InTx implements store.Store. It retries the whole transaction, fn
// included, while the dialect calls the failure retryable.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return s.retry(ctx, func() error { return s.run(ctx, s.db, &s.d.WriteTx, false, fn) })
}

// Read implements store.Store.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	return s.retry(ctx, func() error { return s.run(ctx, s.rdb, &s.d.ReadTx, true, fn) })
}

func (s *Store) retry(ctx context.Context, attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || n >= maxAttempts || !s.d.IsRetryable(err) || ctx.Err() != nil {
			return err
		}
		// Back off with jitter so that two colliding writers part ways.
		d := time.Duration(1+rand.IntN(1<<min(n, 6))) * time.Millisecond
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func (s *Store) run(ctx context.Context, db *sql.DB, opts *sql.TxOptions, ro bool, fn func(store.Tx) error) error {
	stx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	t := &tx{s: s, tx: stx, ro: ro}
	ended := false
	defer func() {
		t.done = true
		if !ended { // fn panicked or called runtime.Goexit (t.Fatal)
			_ = stx.Rollback()
		}
	}()
	err = fn(t)
	ended = true
	if err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// RawCredentials returns a connection's credentials as stored, sealed: it
// lets tests check that no plaintext reaches the database.
func (s *Store) RawCredentials(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT credentials FROM connections WHERE id = ?`), id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: raw credentials %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: raw credentials %s: %w", id, err)
	}
	return b, nil
}
