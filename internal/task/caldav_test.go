package task_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/caldav"
	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// SPEC T1, T8 with a CalDAV task list: a user connects a task list on a
// real Radicale through the API; a wrong address or a collection that is
// not a task list is refused with a clear error before anything is
// stored; saving syncs the CRM's tasks into the list at once; the password
// is never read back; the CalDAV stream and the hub list's stream are two
// streams; deleting ends the sync and forgets the login.
func TestT1CalDAVTaskListOverTheAPI(t *testing.T) {
	rad := testenv.Radicale(t)
	list := testenv.MakeCollection(t, rad, "sam", "tasks", "calendar")
	book := testenv.MakeCollection(t, rad, "sam", "people", "addressbook")
	r := newSyncRig(t)
	if _, err := r.sb.Create("Task", "", map[string]any{"Subject": "Call Ann", "Status": "Not Started", "Priority": "High", "ActivityDate": "2026-03-02"}); err != nil {
		t.Fatal(err)
	}

	refused := func(url, want string) {
		t.Helper()
		var e struct{ Error api.Error }
		code := r.do("PUT", "/api/v1/tasks/caldav", task.CalDAVSettings{Enabled: true, URL: url, Username: "sam", Password: "x"}, &e)
		if code != http.StatusUnprocessableEntity || !strings.Contains(e.Error.Message, want) {
			t.Fatalf("PUT %s: %d %+v, want 422 saying %q", url, code, e.Error, want)
		}
	}
	refused(rad+"sam/nope/", "no such collection")
	refused(book, "not a calendar collection")
	refused("ftp://dav.example/x", "not an http(s) collection URL")
	var none api.TaskCalDAVStatus
	if r.do("GET", "/api/v1/tasks/caldav", nil, &none); none.StreamID != "" || none.Enabled {
		t.Fatalf("a refused save stored something: %+v", none)
	}

	var st api.TaskCalDAVStatus
	if code := r.do("PUT", "/api/v1/tasks/caldav", task.CalDAVSettings{Enabled: true, URL: list, Username: "sam", Password: "x", SubjectTemplate: true}, &st); code != http.StatusOK {
		t.Fatalf("PUT the task list: %d %+v", code, st)
	}
	if st.StreamID == "" || st.Job == "" || st.LastRun == nil || st.LastRun.Status != "succeeded" || st.LastRun.Done != st.LastRun.Total {
		t.Fatalf("the save did not re-sync: %+v (last run %+v)", st, st.LastRun)
	}
	dav, err := caldav.New(caldav.Config{URL: list, Username: "sam", Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := dav.Changes(t.Context(), caldav.Object, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 1 || page.Records[0].Fields["name"] != "Call Ann" || page.Records[0].Fields["priority"] != "High" {
		t.Fatalf("the CalDAV list after the save: %+v", page.Records)
	}

	req, _ := http.NewRequestWithContext(t.Context(), "GET", r.url+"/api/v1/tasks/caldav", nil)
	req.Header.Set("Authorization", "Bearer "+r.samTok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.NewDecoder(res.Body).Decode(&raw)
	res.Body.Close()
	if _, leaked := raw["password"]; leaked || raw["url"] != list || raw["username"] != "sam" {
		t.Fatalf("GET answers %v: want the url and username, never the password", raw)
	}

	hub := r.save(task.SyncSettings{Enabled: true})
	if hub.StreamID == "" || hub.StreamID == st.StreamID {
		t.Fatalf("the hub list's stream %q and the CalDAV one %q must be two streams", hub.StreamID, st.StreamID)
	}
	var again api.TaskCalDAVStatus
	if r.do("GET", "/api/v1/tasks/caldav", nil, &again); again.StreamID != st.StreamID {
		t.Fatalf("after enabling the hub list, the CalDAV sync is %+v", again)
	}

	other := testenv.MakeCollection(t, rad, "sam", "work", "calendar")
	var e struct{ Error api.Error }
	if code := r.do("PUT", "/api/v1/tasks/caldav", task.CalDAVSettings{Enabled: true, URL: other}, &e); code != http.StatusUnprocessableEntity || e.Error.Field != "url" {
		t.Fatalf("switching lists under a sync: %d %+v, want 422 on url", code, e)
	}
	// A save without the password keeps the stored one (the check passes
	// with it).
	if code := r.do("PUT", "/api/v1/tasks/caldav", task.CalDAVSettings{Enabled: true, PollMinutes: 5}, &again); code != http.StatusOK || again.PollMinutes != 5 {
		t.Fatalf("a save without the password: %d %+v", code, again)
	}

	if code := r.do("DELETE", "/api/v1/tasks/caldav", nil, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	if code := r.do("DELETE", "/api/v1/tasks/caldav", nil, nil); code != http.StatusNotFound {
		t.Fatalf("DELETE again: %d, want 404", code)
	}
	var gone api.TaskCalDAVStatus
	if r.do("GET", "/api/v1/tasks/caldav", nil, &gone); gone.StreamID != "" {
		t.Fatalf("after DELETE: %+v", gone)
	}
	if page, err := dav.Changes(t.Context(), caldav.Object, ""); err != nil || len(page.Records) != 1 {
		t.Fatalf("the list's tasks must stay after the sync ends: %v %+v", err, page.Records)
	}
}
