package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// Config configures a Store.
type Config struct {
	// Now is the clock for default timestamps (Created, Updated). Default:
	// time.Now. A simulation passes its fake clock.
	Now func() time.Time
}

// Store is an in-memory store.Store; the zero value is not usable, call New.
type Store struct {
	mu     sync.RWMutex
	now    func() time.Time
	closed bool
	d      data
}

var _ store.Store = (*Store)(nil)

// ErrClosed answers InTx and Read after Close.
var ErrClosed = errors.New("store: closed")

// New returns an empty store.
func New(cfg Config) *Store {
	s := &Store{now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.d.init()
	return s
}

// InTx implements store.Store.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("store: begin: %w", ErrClosed)
	}
	t := &tx{s: s, d: &s.d}
	ok := false
	defer func() {
		t.done = true
		if !ok { // fn failed, panicked or called runtime.Goexit (t.Fatal)
			t.rollbackTo(0)
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	ok = true
	for _, f := range t.onCommit {
		f()
	}
	return nil
}

// Read implements store.Store.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return fmt.Errorf("store: begin: %w", ErrClosed)
	}
	t := &tx{s: s, d: &s.d, ro: true}
	defer func() { t.done = true }()
	return fn(t)
}

// Close implements store.Store; the data is dropped.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.d = data{}
	return nil
}

// tx implements store.Tx on the store's data, logging how to undo each
// change.
type tx struct {
	s        *Store
	d        *data
	ro       bool
	done     bool
	undo     []func()
	onCommit []func()
}

var _ store.Tx = (*tx)(nil)

// w checks that the tx may write.
func (t *tx) w(op string) error {
	if t.done {
		return fmt.Errorf("store: %s: transaction has already ended", op)
	}
	if t.ro {
		return fmt.Errorf("store: %s: %w", op, store.ErrReadOnly)
	}
	return nil
}

// r checks that the tx may read.
func (t *tx) r(op string) error {
	if t.done {
		return fmt.Errorf("store: %s: transaction has already ended", op)
	}
	return nil
}

// log records how to undo the change just made.
func (t *tx) log(f func()) { t.undo = append(t.undo, f) }

// rollbackTo undoes changes back to the given length of the undo log.
func (t *tx) rollbackTo(mark int) {
	for i := len(t.undo) - 1; i >= mark; i-- {
		t.undo[i]()
		t.undo[i] = nil
	}
	t.undo = t.undo[:mark]
}

// atomically runs fn, undoing its changes when it fails.
func (t *tx) atomically(fn func() error) error {
	mark := len(t.undo)
	if err := fn(); err != nil {
		t.rollbackTo(mark)
		return err
	}
	return nil
}

// set stores v under k in m, logging the undo.
func set[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	t.log(func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// del removes k from m, logging the undo.
func del[K comparable, V any](t *tx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	delete(m, k)
	t.log(func() { m[k] = old })
}

func conflict(op string) error        { return fmt.Errorf("store: %s: %w", op, store.ErrConflict) }
func notFound(op string) error        { return fmt.Errorf("store: %s: %w", op, store.ErrNotFound) }
func wrap(op string, err error) error { return fmt.Errorf("store: %s: %w", op, err) }

// now is the store's clock at storage precision.
func (t *tx) now() time.Time { return norm(t.s.now()) }

// orNow returns v normalized, or now when v is zero.
func (t *tx) orNow(v time.Time) time.Time {
	if v.IsZero() {
		return t.now()
	}
	return norm(v)
}

// norm is a time as the SQL stores return it: UTC, microseconds, and the
// zero time for anything that encodes as Unix microsecond 0.
func norm(v time.Time) time.Time {
	if v.IsZero() || v.UnixMicro() == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v.UnixMicro()).UTC()
}

// cloneJSON copies a document; empty is nil, as the SQL stores return it.
func cloneJSON(j json.RawMessage) json.RawMessage {
	if len(j) == 0 {
		return nil
	}
	return bytes.Clone(j)
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// key joins parts into one map key.
func key(parts ...string) string { return strings.Join(parts, "\x00") }

// limited trims a list to limit (none when limit <= 0).
func limited[T any](xs []T, limit int) []T {
	if limit > 0 && len(xs) > limit {
		return xs[:limit]
	}
	return xs
}
