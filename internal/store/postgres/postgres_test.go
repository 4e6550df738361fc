package postgres_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/postgres"
	"github.com/crmsync/crmsync/internal/store/storetest"
	"github.com/crmsync/crmsync/internal/testenv"
)

func open(t testing.TB) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	box, err := secret.NewBox(bytes.Repeat([]byte{0x42}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(ctx, testenv.Postgres(t), box)
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

func TestSuite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

var _ storetest.RawCredentialer = (*postgres.Store)(nil)

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	s := open(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if s.Pool() == nil {
		t.Fatal("Pool() is nil")
	}
}

func TestOpenBadURL(t *testing.T) {
	t.Parallel()
	box, _ := secret.NewBox(make([]byte, secret.KeySize))
	_, err := postgres.Open(context.Background(), "postgres://user:hunter2@[::1", box)
	if err == nil {
		t.Fatal("no error")
	}
	if bytes.Contains([]byte(err.Error()), []byte("hunter2")) {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b) })
}
