package msgraph

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/mailbox"
	graphsandbox "github.com/crmsync/crmsync/internal/sandbox/msgraph"
	"github.com/crmsync/crmsync/internal/store"
)

// SPEC C1: a stored connection (server details entered by hand, secrets
// sealed apart) builds a working mailbox; a broken one is refused with a
// message that never quotes its secrets.
func TestFactory(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 2})
	sc := r.sb.Config()
	rt, err := r.sb.RefreshToken(r.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(ConnectionConfig{BaseURL: r.srv.URL + "/v1.0", TokenURL: r.srv.URL + "/" + sc.TenantID + "/oauth2/v2.0/token",
		TenantID: sc.TenantID, ClientID: sc.ClientID})
	creds, _ := json.Marshal(ConnectionCredentials{ClientSecret: sc.ClientSecret, RefreshToken: rt})
	conn, err := Factory(t.Context(), store.Connection{ID: "c1", System: SystemName, Config: cfg, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	mb, ok := conn.(mailbox.Mailbox)
	if !ok {
		t.Fatalf("%T is not a mailbox.Mailbox", conn)
	}
	if cats, err := mb.Categories(t.Context()); err != nil || len(cats) == 0 {
		t.Errorf("categories through the factory's connector: %v %v", cats, err)
	}
	for _, c := range []struct {
		name        string
		config      string
		credentials string
		want        string
	}{
		{"config not JSON", `{`, string(creds), "config"},
		{"credentials not JSON", string(cfg), `{"client_secret":"s3cret`, "credentials are not valid JSON"},
		{"no secret", string(cfg), `{}`, "ClientSecret"},
		{"app without a user", string(cfg), `{"client_secret":"s3cret"}`, "User is required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Factory(t.Context(), store.Connection{ID: "c2", Config: json.RawMessage(c.config), Credentials: []byte(c.credentials)})
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%v, want an error with %q and no secret", err, c.want)
			}
		})
	}
}
