package testenv

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store/sqlite"
)

// Box returns a secret box under a fixed key, for tests only.
func Box(t testing.TB) *secret.Box {
	t.Helper()
	box, err := secret.NewBox(bytes.Repeat([]byte{0x42}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// SQLite returns a migrated SQLite store in a file of the test's own,
// closed when the test ends.
func SQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"), Box(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
