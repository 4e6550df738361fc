package salesforce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/testenv"
)

// TestRotatedRefreshTokenWrittenBack: issue 3, tokens encrypted at rest
// and refreshed transparently, with refresh token rotation on. Each
// refresh spends the old token; StoreFactory writes the new one to the
// connection's credentials, sealed in the store, so a restarted hub (a
// new connector from the stored connection) is still connected. Without
// the write-back, the restart would need a person to reconnect.
func TestRotatedRefreshTokenWrittenBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sb := sandbox.New(sandbox.Config{RotateRefreshTokens: true, CustomFields: map[string][]sandbox.Field{"Task": {keyField}}})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	first := refreshToken(t, srv.URL)
	s := testenv.SQLite(t)
	creds, _ := json.Marshal(salesforce.ConnectionCredentials{ClientID: sandbox.DefaultClientID,
		ClientSecret: sandbox.DefaultClientSecret, RefreshToken: first})
	org, st := seedTaskStream(t, s, srv.URL, creds)
	stored := func() (store.Connection, salesforce.ConnectionCredentials) {
		t.Helper()
		var c store.Connection
		if err := s.Read(ctx, func(tx store.Tx) error {
			var err error
			c, err = tx.GetConnection(ctx, org.ID, st.ConnA)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var cr salesforce.ConnectionCredentials
		if err := json.Unmarshal(c.Credentials, &cr); err != nil {
			t.Fatal(err)
		}
		return c, cr
	}
	factory := salesforce.StoreFactory(s, nil)

	// The first hub process logs in (spending the first token), then its
	// session expires and it logs in again (spending the second).
	c0, _ := stored()
	hub1, err := factory(ctx, c0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub1.Changes(ctx, "Task", ""); err != nil {
		t.Fatalf("first login: %v", err)
	}
	_, cr := stored()
	second := cr.RefreshToken
	if second == "" || second == first {
		t.Fatalf("stored refresh token after the first login: %q (the first was %q)", second, first)
	}
	if cr.ClientID != sandbox.DefaultClientID || cr.ClientSecret != sandbox.DefaultClientSecret {
		t.Errorf("the write-back lost the other credentials: %+v", cr)
	}
	sb.ExpireTokens()
	if _, err := hub1.Changes(ctx, "Task", ""); err != nil {
		t.Fatalf("after the session expired: %v", err)
	}
	c2, cr := stored()
	third := cr.RefreshToken
	if third == second || third == "" {
		t.Fatalf("stored refresh token after the second login: %q", third)
	}

	// At rest, the credentials are sealed: no token in the clear.
	raw, err := s.RawCredentials(ctx, st.ConnA)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(third)) || bytes.Contains(raw, []byte(sandbox.DefaultClientSecret)) {
		t.Error("the stored credentials hold a secret in the clear")
	}

	// A spent token is refused: the hub restarted with the first
	// connection as it was would need a person.
	stale, err := salesforce.Factory(ctx, c0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stale.Changes(ctx, "Task", ""); !errors.Is(err, salesforce.ErrReconnect) {
		t.Fatalf("with a spent refresh token: %v, want ErrReconnect", err)
	}

	// The restarted hub reads the connection again: still connected.
	hub2, err := factory(ctx, c2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub2.Changes(ctx, "Task", ""); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	if _, cr := stored(); cr.RefreshToken == third {
		t.Error("the restarted hub's rotation was not written back")
	}
}
