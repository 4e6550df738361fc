package cli

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
)

// SPEC A2, A4–A7 from the command line: connect with the secrets from the
// environment, list the CRM's users, grant a seat, pause and resume a
// user, disconnect; every step audited with the CLI as actor.
func TestCRMCommands(t *testing.T) {
	sb := sandbox.New(sandbox.Config{Users: []sandbox.UserConfig{
		{Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword, LastName: "Integration"},
		{Username: "sam.seller@acme.sandbox", Password: "x", FirstName: "Sam", LastName: "Seller"},
	}})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	h := newHub(t)
	h.must("user", "create", "--email", "admin@acme.test", "--admin")
	h.must("user", "create", "--email", "sam@acme.test")

	if code, _, stderr := h.run("crm", "connect", "--url", srv.URL, "--client-id", sandbox.DefaultClientID, "--username", sandbox.DefaultUsername); code == 0 || !strings.Contains(stderr, "CRMSYNC_CRM_PASSWORD") {
		t.Errorf("connect without the password in the environment: exit %d, %s", code, stderr)
	}
	h.env["CRMSYNC_CRM_CLIENT_SECRET"] = sandbox.DefaultClientSecret
	h.env["CRMSYNC_CRM_PASSWORD"] = sandbox.DefaultPassword
	out := h.must("crm", "connect", "--url", srv.URL, "--client-id", sandbox.DefaultClientID, "--username", sandbox.DefaultUsername)
	if !strings.Contains(out, `"connected": true`) || strings.Contains(out, sandbox.DefaultPassword) {
		t.Fatalf("crm connect printed %s", out)
	}
	out = h.must("crm", "users")
	if !strings.Contains(out, "sam.seller@acme.sandbox") || !strings.Contains(out, "Sam Seller") {
		t.Errorf("crm users printed %s", out)
	}
	out = h.must("crm", "seat", "grant", "sam@acme.test", "sam.seller@acme.sandbox")
	if !strings.Contains(out, "CRM sync enabled true") {
		t.Errorf("seat grant printed %s", out)
	}
	if out := h.must("crm", "disable", "sam@acme.test"); !strings.Contains(out, "CRM sync enabled false") {
		t.Errorf("disable printed %s", out)
	}
	if out := h.must("crm", "enable", "sam@acme.test"); !strings.Contains(out, "CRM sync enabled true") {
		t.Errorf("enable printed %s", out)
	}
	if out := h.must("crm", "saved", "sam@acme.test"); !strings.Contains(out, `"leads": []`) {
		t.Errorf("saved printed %s", out)
	}
	h.must("crm", "disconnect")
	if out := h.must("crm", "status"); !strings.Contains(out, `"status": "disconnected"`) {
		t.Errorf("status after disconnect: %s", out)
	}
	if code, _, stderr := h.run("crm", "users"); code == 0 || !strings.Contains(stderr, "not connected") {
		t.Errorf("crm users while disconnected: exit %d, %s", code, stderr)
	}
	s := h.store()
	var actions []string
	err := s.Read(t.Context(), func(tx store.Tx) error {
		orgs, err := tx.ListOrgs(t.Context())
		if err != nil {
			return err
		}
		as, err := tx.ListAudit(t.Context(), orgs[0].ID, 100)
		for _, a := range as {
			if a.ActorID == cliActor {
				actions = append(actions, a.Action)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"crm.connect", "crm.seat.grant", "crm.user.disable", "crm.user.enable", "crm.disconnect"} {
		if !slices.Contains(actions, want) {
			t.Errorf("the audit log's CLI actions %q lack %s (SPEC A7)", actions, want)
		}
	}
}
