package sqlite_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/sqlite"
	"github.com/crmsync/crmsync/internal/store/storetest"
)

func testBox(t testing.TB) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(bytes.Repeat([]byte{0x42}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, testBox(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// The suite on a file: WAL, one writer, a pool of query-only readers.
func TestSuiteFile(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "hub.db"))
	})
}

// The suite in memory: one connection for everything.
func TestSuiteMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, sqlite.Memory) })
}

var _ storetest.RawCredentialer = (*sqlite.Store)(nil)

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "hub.db"))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	c := store.Connection{OrgID: "o", System: "zoom", Credentials: []byte("tok")}
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.CreateConnection(ctx, &c) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Another key cannot read the credentials, and says so.
	other, err := secret.NewBox(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := sqlite.Open(ctx, path, other)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	err = s2.Read(ctx, func(tx store.Tx) error { _, err := tx.GetConnection(ctx, "o", c.ID); return err })
	if err == nil {
		t.Fatal("GetConnection with the wrong key: no error")
	}
	t.Log(err)
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", "a?b", filepath.Join(t.TempDir(), "missing", "dir", "hub.db")} {
		if s, err := sqlite.Open(context.Background(), path, testBox(t)); err == nil {
			s.Close()
			t.Errorf("Open(%q): no error", path)
		}
	}
	if _, err := sqlite.Open(context.Background(), sqlite.Memory, nil); err == nil {
		t.Error("Open without a box: no error")
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b, filepath.Join(b.TempDir(), "hub.db")) })
}
