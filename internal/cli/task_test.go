package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// runAt runs the command line with the app's clock at now.
func (h *hub) runAt(now time.Time, args ...string) (int, string, string) {
	h.t.Helper()
	a, stdout, stderr := h.app()
	a.now = func() time.Time { return now }
	code := a.run(h.t.Context(), args)
	return code, stdout.String(), stderr.String()
}

// taskRows returns the table's data rows, each split into its columns.
func taskRows(t *testing.T, out string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("not a task table:\n%s", out)
	}
	var rows [][]string
	for _, l := range lines[1:] {
		rows = append(rows, strings.Fields(l))
	}
	return rows
}

// SPEC T1, T4, T6: a user's tasks from the command line: add, list, the
// command center in the user's zone, done, edit, rm.
func TestTaskCommands(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.must("user", "create", "--email", "ann@acme.test", "--tz", "Europe/Stockholm")
	h.must("user", "create", "--email", "bob@acme.test")

	out := h.must("task", "add", "--user", "ann@acme.test", "--name", "Call Bob", "--due", "2026-03-02", "--priority", "high",
		"--details", "About the renewal")
	rows := taskRows(t, out)
	if len(rows) != 1 || rows[0][1] != "2026-03-02" || rows[0][2] != "High" || rows[0][3] != "Open" {
		t.Fatalf("task add printed:\n%s", out)
	}
	call := rows[0][0]
	undated := taskRows(t, h.must("task", "add", "--user", "ann@acme.test", "--name", "Undated"))[0][0]
	h.must("task", "add", "--user", "ann@acme.test", "--name", "Next week", "--due", "2026-03-09")
	h.must("task", "add", "--user", "bob@acme.test", "--name", "Bob's", "--due", "2026-03-02")

	out = h.must("task", "list", "--user", "ann@acme.test")
	if rows := taskRows(t, out); len(rows) != 3 || rows[0][0] != call || rows[2][0] != undated || rows[2][1] != "-" {
		t.Errorf("task list:\n%s", out)
	}

	// SPEC T4: 23:30 UTC on 1 March is already 2 March in Stockholm.
	code, out, stderr := h.runAt(time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), "task", "list", "--user", "ann@acme.test", "--today")
	if code != 0 {
		t.Fatalf("task list --today: exit %d\n%s", code, stderr)
	}
	if rows := taskRows(t, out); len(rows) != 1 || rows[0][0] != call {
		t.Errorf("task list --today:\n%s", out)
	}
	if !strings.Contains(stderr, "today (2026-03-02) and tomorrow (2026-03-03), Europe/Stockholm") {
		t.Errorf("task list --today said: %s", stderr)
	}
	code, out, _ = h.runAt(time.Date(2026, 3, 1, 22, 30, 0, 0, time.UTC), "task", "list", "--user", "ann@acme.test", "--today")
	if rows := taskRows(t, out); code != 0 || len(rows) != 1 {
		t.Errorf("task list --today on the evening before:\n%s", out)
	}
	code, out, _ = h.runAt(time.Date(2026, 3, 3, 23, 30, 0, 0, time.UTC), "task", "list", "--user", "ann@acme.test", "--today")
	if rows := taskRows(t, out); code != 0 || len(rows) != 0 {
		t.Errorf("task list --today two days on:\n%s", out)
	}

	// done, then edit: only the flags given change; --due '' clears.
	if rows := taskRows(t, h.must("task", "done", call, "--user", "ann@acme.test")); rows[0][3] != "Complete" {
		t.Errorf("task done: %v", rows)
	}
	if rows := taskRows(t, h.must("task", "list", "--user", "ann@acme.test", "--status", "complete")); len(rows) != 1 || rows[0][0] != call {
		t.Errorf("task list --status complete: %v", rows)
	}
	out = h.must("task", "edit", call, "--due", "", "--name", "Call Bob again")
	if rows := taskRows(t, out); rows[0][1] != "-" || rows[0][2] != "High" || rows[0][3] != "Complete" || !strings.Contains(out, "Call Bob again") {
		t.Errorf("task edit:\n%s", out)
	}

	// Bad values name their flag and change nothing.
	for _, args := range [][]string{
		{"task", "add", "--user", "ann@acme.test", "--name", "x", "--due", "2026-13-01"},
		{"task", "edit", call, "--priority", "Low"},
		{"task", "edit", call, "--name", "  "},
	} {
		code, _, stderr := h.run(args...)
		flag := args[len(args)-2]
		if code == 0 || !strings.Contains(stderr, flag+":") {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
	// Another user's task is not found through them.
	if code, _, stderr := h.run("task", "done", call, "--user", "bob@acme.test"); code == 0 || !strings.Contains(stderr, "no task") {
		t.Errorf("task done of ann's task as bob: exit %d, %s", code, stderr)
	}

	h.must("task", "rm", undated)
	if code, _, stderr := h.run("task", "rm", undated); code == 0 || !strings.Contains(stderr, "no task") {
		t.Errorf("task rm twice: exit %d, %s", code, stderr)
	}
	if rows := taskRows(t, h.must("task", "list", "--user", "ann@acme.test")); len(rows) != 2 {
		t.Errorf("after rm: %v", rows)
	}

	// The rows are the store's: the CLI and the API share one list.
	s := h.store()
	err := s.Read(t.Context(), func(tx store.Tx) error {
		orgs, err := tx.ListOrgs(t.Context())
		if err != nil {
			return err
		}
		u, err := tx.GetUserByEmail(t.Context(), orgs[0].ID, "ann@acme.test")
		if err != nil {
			return err
		}
		got, err := tx.GetHubTask(t.Context(), u.OrgID, u.ID, call)
		if got.Name != "Call Bob again" || got.Details != "About the renewal" || got.Due != "" {
			t.Errorf("stored task: %+v", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
