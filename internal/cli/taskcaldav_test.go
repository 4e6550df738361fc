package cli

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/testenv"
)

// SPEC T1 with a CalDAV task list from the command line: connect checks
// the list (a missing one is a clear error, nothing stored), takes the
// password from the environment and never prints it; status shows the
// list; disconnect ends the sync.
func TestT1TaskCalDAVCommands(t *testing.T) {
	rad := testenv.Radicale(t)
	list := testenv.MakeCollection(t, rad, "sam", "tasks", "calendar")
	srv := httptest.NewServer(sandbox.New(sandbox.Config{CustomFields: map[string][]sandbox.Field{"Task": {{Name: "crmsync_Key__c", Type: sandbox.TypeString, Length: 80, ExternalID: true, Unique: true}}}}))
	t.Cleanup(srv.Close)
	h := newHub(t)
	h.must("user", "create", "--email", "admin@acme.test", "--admin")
	h.must("user", "create", "--email", "sam@acme.test")
	h.env["CRMSYNC_CRM_CLIENT_SECRET"] = sandbox.DefaultClientSecret
	h.env["CRMSYNC_CRM_PASSWORD"] = sandbox.DefaultPassword
	h.must("crm", "connect", "--url", srv.URL, "--client-id", sandbox.DefaultClientID, "--username", sandbox.DefaultUsername)
	const secret = "caldav-pass-never-printed"
	h.env[envCalDAVPassword] = secret

	if code, _, stderr := h.run("task", "caldav", "connect", "--user", "sam@acme.test", "--url", rad+"sam/missing/", "--username", "sam"); code == 0 || !strings.Contains(stderr, "no such collection") {
		t.Fatalf("connect to a missing list: exit %d, %s", code, stderr)
	}
	if out := h.must("task", "caldav", "status", "--user", "sam@acme.test"); !strings.Contains(out, "no CalDAV task list connected") {
		t.Fatalf("a refused connect stored something:\n%s", out)
	}
	out := h.must("task", "caldav", "connect", "--user", "sam@acme.test", "--url", list, "--username", "sam", "--subject-template")
	if !strings.Contains(out, "CalDAV task list "+list+" connected for sam@acme.test") || !strings.Contains(out, "names to the CRM true") {
		t.Fatalf("connect printed:\n%s", out)
	}
	status := h.must("task", "caldav", "status", "--user", "sam@acme.test")
	if !strings.Contains(status, list+` as "sam", enabled true, poll every 2 min`) {
		t.Fatalf("status printed:\n%s", status)
	}
	// Changing the poll keeps the stored password and the template switch.
	delete(h.env, envCalDAVPassword)
	if out := h.must("task", "caldav", "connect", "--user", "sam@acme.test", "--poll", "5"); !strings.Contains(out, "polled every 5 min, names to the CRM true") {
		t.Fatalf("reconnect printed:\n%s", out)
	}
	if out := h.must("task", "sync", "status", "--user", "sam@acme.test"); !strings.Contains(out, "never enabled") {
		t.Fatalf("the CalDAV stream must not pass for the hub list's:\n%s", out)
	}
	// Sealed at rest: the database file never holds the password in clear.
	for _, f := range []string{"hub.db", "hub.db-wal"} {
		if raw, err := os.ReadFile(filepath.Join(h.dir, f)); err == nil && strings.Contains(string(raw), secret) {
			t.Fatalf("%s holds the CalDAV password in clear", f)
		}
	}
	if out := h.must("task", "caldav", "disconnect", "--user", "sam@acme.test"); !strings.Contains(out, "sync ended for sam@acme.test") {
		t.Fatalf("disconnect printed:\n%s", out)
	}
	if code, _, stderr := h.run("task", "caldav", "disconnect", "--user", "sam@acme.test"); code == 0 || !strings.Contains(stderr, "no CalDAV task list connected") {
		t.Fatalf("disconnect again: exit %d, %s", code, stderr)
	}
	if _, o, e := h.run("task", "caldav", "status", "--user", "sam@acme.test"); strings.Contains(o+e, secret) {
		t.Fatal("status printed the password")
	}
}
