package hubdb_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/hubdb"
	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/testenv"
)

func box(t *testing.T) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(bytes.Repeat([]byte{3}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Both databases open from their DSN, migrate (twice, harmlessly), and
// hand out the store and River's handle.
func TestOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind string
		dsn  func(t *testing.T) string
	}{
		{name: "sqlite file", kind: hubdb.KindSQLite, dsn: func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "hub.db") }},
		{name: "sqlite memory", kind: hubdb.KindSQLite, dsn: func(*testing.T) string { return "sqlite::memory:" }},
		{name: "postgres", kind: hubdb.KindPostgres, dsn: func(t *testing.T) string { return testenv.Postgres(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db, err := hubdb.Open(ctx, tt.dsn(t), box(t))
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := db.Close(); err != nil {
					t.Error(err)
				}
			}()
			if db.Kind != tt.kind {
				t.Errorf("Kind = %q", db.Kind)
			}
			switch tt.kind {
			case hubdb.KindSQLite:
				if db.SQL == nil || db.Pool != nil {
					t.Errorf("sqlite handles: SQL %v, Pool %v", db.SQL, db.Pool)
				}
			case hubdb.KindPostgres:
				if db.Pool == nil || db.SQL != nil {
					t.Errorf("postgres handles: SQL %v, Pool %v", db.SQL, db.Pool)
				}
			}
			for range 2 {
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			o := store.Org{Name: "Acme"}
			if err := db.Store.InTx(ctx, func(tx store.Tx) error { return tx.CreateOrg(ctx, &o) }); err != nil {
				t.Fatal(err)
			}
			err = db.Store.Read(ctx, func(tx store.Tx) error {
				got, err := tx.GetOrg(ctx, o.ID)
				if err == nil && got.Name != "Acme" {
					t.Errorf("org = %+v", got)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tests := []struct {
		name string
		dsn  string
		box  *secret.Box
		want string
	}{
		{name: "unsupported scheme", dsn: "mysql://root@db/crm", box: box(t), want: `hubdb: open: unsupported scheme "mysql"`},
		{name: "no box", dsn: "sqlite::memory:", want: "secret box is required"},
		{name: "unreachable postgres", dsn: "postgres://crm:s3cret@127.0.0.1:1/crm?connect_timeout=2", box: box(t), want: "hubdb: open: store: open postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := hubdb.Open(ctx, tt.dsn, tt.box)
			if err == nil {
				db.Close()
				t.Fatal("Open passed")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
