package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	// EnvPostgres holds the URL of a PostgreSQL database tests may create
	// schemas in, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
	EnvPostgres = "CRMSYNC_TEST_POSTGRES"
	// EnvRequirePeers, set to 1, turns a missing peer from a skip into a
	// failure.
	EnvRequirePeers = "CRMSYNC_REQUIRE_PEERS"
)

// PeersRequired reports whether a missing peer must fail the test.
func PeersRequired() bool { return os.Getenv(EnvRequirePeers) == "1" }

// RequirePeer is called by a test whose peer name is unavailable, for
// reason: it skips the test, or fails it when CRMSYNC_REQUIRE_PEERS=1.
func RequirePeer(t testing.TB, name, reason string) {
	t.Helper()
	if PeersRequired() {
		t.Fatalf("testenv: peer %s is required (%s=1) but unavailable: %s", name, EnvRequirePeers, reason)
	}
	t.Skipf("testenv: skipped: peer %s unavailable: %s (set %s=1 to make this a failure)", name, reason, EnvRequirePeers)
}

// Postgres returns a URL of the database named by CRMSYNC_TEST_POSTGRES
// whose search_path selects a new, empty schema of the test's own. The
// schema is dropped when the test ends. Without the variable the test is
// skipped (or fails, see RequirePeer).
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		RequirePeer(t, "postgres", EnvPostgres+" is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
		return ""
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	ident := pgx.Identifier{schema}.Sanitize()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testenv: connect to %s: %v", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		t.Fatalf("testenv: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("testenv: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			t.Errorf("testenv: drop schema %s: %v", schema, err)
		}
	})
	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("testenv: %s: %v", EnvPostgres, err)
	}
	return u
}

// withSearchPath sets search_path in a postgres:// URL or a key=value
// connection string.
func withSearchPath(base, schema string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return base + " search_path=" + schema, nil
}
