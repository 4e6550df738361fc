package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/testenv"
)

// stubClock is the API's clock in the task tests; it moves when told.
type stubClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stubClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stubClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// taskEnv is a hub for the task tests:
//
//	org "Acme" in America/New_York: ann (Europe/Stockholm), bob (the org's
//	zone), cy (admin, the org's zone)
//	org "Globex" in UTC: dan (admin)
type taskEnv struct {
	*fixture
	clock             *stubClock
	ann, bob, cy, dan string // tokens
}

func newTaskEnv(t *testing.T) *taskEnv {
	t.Helper()
	e := &taskEnv{fixture: &fixture{t: t, store: testenv.SQLite(t)}, clock: &stubClock{now: now}}
	ctx := t.Context()
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		acme := store.Org{Name: "Acme", TimeZone: "America/New_York"}
		globex := store.Org{Name: "Globex"}
		for _, o := range []*store.Org{&acme, &globex} {
			if err := tx.CreateOrg(ctx, o); err != nil {
				return err
			}
		}
		user := func(o store.Org, email, tz string, role store.Role) string {
			u := store.User{OrgID: o.ID, Email: email, TimeZone: tz, Role: role}
			if err := tx.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			tok, err := api.IssueToken(ctx, tx, u, "test")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		e.ann = user(acme, "ann@acme.test", "Europe/Stockholm", store.RoleMember)
		e.bob = user(acme, "bob@acme.test", "", store.RoleMember)
		e.cy = user(acme, "cy@acme.test", "", store.RoleAdmin)
		e.dan = user(globex, "dan@globex.test", "", store.RoleAdmin)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Store: e.store, Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// create posts a task as token and returns it, failing unless 201.
func (e *taskEnv) create(token string, body map[string]any) api.Task {
	e.t.Helper()
	r := e.do("POST", "/api/v1/tasks", token, body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create task: %d %s", r.status, r.body)
	}
	var out api.Task
	r.decode(e.t, &out)
	return out
}

// listNames gets path as token and returns the listed tasks' names.
func (e *taskEnv) listNames(token, path string) []string {
	e.t.Helper()
	r := e.do("GET", path, token, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	var l struct{ Items []api.Task }
	r.decode(e.t, &l)
	names := []string{}
	for _, it := range l.Items {
		names = append(names, it.Name)
	}
	return names
}

// SPEC T1, T6: a user creates, reads, edits, completes and deletes their
// reminder tasks; times come from the API's clock.
func TestTasksCRUD(t *testing.T) {
	t.Parallel()
	e := newTaskEnv(t)

	r := e.do("POST", "/api/v1/tasks", e.ann, map[string]any{"name": "  Call Bob  ", "due": "2026-03-05",
		"details": "About the renewal", "related_type": "Contact", "related_id": "003000000000001"})
	if r.status != http.StatusCreated || r.header.Get("Location") == "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created api.Task
	r.decode(t, &created)
	want := api.Task{ID: created.ID, Name: "Call Bob", Status: "Open", Priority: "Normal", Due: "2026-03-05",
		Details: "About the renewal", RelatedType: "Contact", RelatedID: "003000000000001", Created: now, Modified: now}
	if d := cmp.Diff(want, created); d != "" {
		t.Fatalf("created (-want +got):\n%s", d)
	}
	if r.header.Get("Location") != "/api/v1/tasks/"+created.ID {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	e.create(e.ann, map[string]any{"name": "Undated", "priority": "High"})
	e.create(e.ann, map[string]any{"name": "Earlier", "due": "2026-03-03", "status": "Complete"})

	var got api.Task
	if r := e.do("GET", "/api/v1/tasks/"+created.ID, e.ann, nil); r.status != http.StatusOK {
		t.Fatalf("get: %d %s", r.status, r.body)
	} else if r.decode(t, &got); !cmp.Equal(created, got) {
		t.Errorf("get: %+v", got)
	}
	if d := cmp.Diff([]string{"Earlier", "Call Bob", "Undated"}, e.listNames(e.ann, "/api/v1/tasks")); d != "" {
		t.Errorf("list (-want +got):\n%s", d)
	}
	for path, want := range map[string][]string{
		"/api/v1/tasks?status=Open":                            {"Call Bob", "Undated"},
		"/api/v1/tasks?status=Complete":                        {"Earlier"},
		"/api/v1/tasks?due_from=2026-03-04":                    {"Call Bob"},
		"/api/v1/tasks?due_from=2026-03-01&due_to=2026-03-04":  {"Earlier"},
		"/api/v1/tasks?limit=1":                                {"Earlier"},
		"/api/v1/tasks?status=Open&due_to=2026-03-31&limit=10": {"Call Bob"},
	} {
		if d := cmp.Diff(want, e.listNames(e.ann, path)); d != "" {
			t.Errorf("GET %s (-want +got):\n%s", path, d)
		}
	}

	// PATCH sets the fields given and keeps the others; "" clears.
	later := now.Add(time.Hour)
	e.clock.Set(later)
	r = e.do("PATCH", "/api/v1/tasks/"+created.ID, e.ann, map[string]any{"priority": "High", "due": "", "name": "Call Bob today"})
	if r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	got = api.Task{}
	r.decode(t, &got)
	want.Priority, want.Due, want.Name, want.Modified = "High", "", "Call Bob today", later
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("patched (-want +got):\n%s", d)
	}

	// Complete, twice: the second changes nothing, not even Modified.
	e.clock.Set(later.Add(time.Hour))
	r = e.do("POST", "/api/v1/tasks/"+created.ID+"/complete", e.ann, nil)
	r.decode(t, &got)
	if r.status != http.StatusOK || got.Status != "Complete" || !got.Modified.Equal(later.Add(time.Hour)) {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	e.clock.Set(later.Add(2 * time.Hour))
	r = e.do("POST", "/api/v1/tasks/"+created.ID+"/complete", e.ann, nil)
	r.decode(t, &got)
	if r.status != http.StatusOK || !got.Modified.Equal(later.Add(time.Hour)) {
		t.Errorf("complete again: %d %s", r.status, r.body)
	}

	if r := e.do("DELETE", "/api/v1/tasks/"+created.ID, e.ann, nil); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, req := range [][2]string{{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"POST", "/complete"}} {
		var body any
		if req[0] == "PATCH" {
			body = map[string]any{"name": "back"}
		}
		if r := e.do(req[0], "/api/v1/tasks/"+created.ID+req[1], e.ann, body); r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
			t.Errorf("%s of a deleted task: %d %s", req[0], r.status, r.body)
		}
	}
	if d := cmp.Diff([]string{"Earlier", "Undated"}, e.listNames(e.ann, "/api/v1/tasks")); d != "" {
		t.Errorf("list after delete (-want +got):\n%s", d)
	}
}

// SPEC X4: each user sees only their own tasks; another user's, an
// admin's of the same org included, is 404 like a task that does not
// exist.
func TestTasksAreTheUsersOwn(t *testing.T) {
	t.Parallel()
	e := newTaskEnv(t)
	mine := e.create(e.ann, map[string]any{"name": "Ann's", "due": "2026-03-02"})
	e.create(e.bob, map[string]any{"name": "Bob's", "due": "2026-03-02"})

	for name, tok := range map[string]string{"member of the org": e.bob, "admin of the org": e.cy, "admin of another org": e.dan} {
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/tasks/" + mine.ID, nil},
			{"PATCH", "/api/v1/tasks/" + mine.ID, map[string]any{"name": "taken"}},
			{"POST", "/api/v1/tasks/" + mine.ID + "/complete", nil},
			{"DELETE", "/api/v1/tasks/" + mine.ID, nil},
		} {
			if r := e.do(req.method, req.path, tok, req.body); r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
				t.Errorf("%s: %s %s: %d %s", name, req.method, req.path, r.status, r.body)
			}
		}
	}
	if d := cmp.Diff([]string{"Bob's"}, e.listNames(e.bob, "/api/v1/tasks")); d != "" {
		t.Errorf("bob's list (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{}, e.listNames(e.cy, "/api/v1/tasks")); d != "" {
		t.Errorf("the admin's list (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{}, e.listNames(e.dan, "/api/v1/tasks/today")); d != "" {
		t.Errorf("another org's command center (-want +got):\n%s", d)
	}
	var got api.Task
	r := e.do("GET", "/api/v1/tasks/"+mine.ID, e.ann, nil)
	r.decode(t, &got)
	if got.Name != "Ann's" || got.Status != "Open" {
		t.Errorf("ann's task after the others tried: %+v", got)
	}
	if r := e.do("GET", "/api/v1/tasks", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("list without a token: %d", r.status)
	}
}

// Values the hub refuses answer 422 naming the field, and change nothing;
// SPEC T2: only Open/Complete and Normal/High exist in the hub.
func TestTaskValidation(t *testing.T) {
	t.Parallel()
	e := newTaskEnv(t)
	task := e.create(e.ann, map[string]any{"name": "Fine", "due": "2026-03-02"})
	tests := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "   "}, "name"},
		{map[string]any{"name": strings.Repeat("x", 256)}, "name"},
		{map[string]any{"name": "x", "status": "Done"}, "status"},
		{map[string]any{"name": "x", "status": "open"}, "status"},
		{map[string]any{"name": "x", "priority": "Low"}, "priority"},
		{map[string]any{"name": "x", "due": "2026-02-30"}, "due"},
		{map[string]any{"name": "x", "due": "03/02/2026"}, "due"},
		{map[string]any{"name": "x", "details": strings.Repeat("x", 32001)}, "details"},
	}
	for _, tt := range tests {
		for _, req := range [][2]string{{"POST", "/api/v1/tasks"}, {"PATCH", "/api/v1/tasks/" + task.ID}} {
			r := e.do(req[0], req[1], e.ann, tt.body)
			var body struct{ Error api.Error }
			r.decode(t, &body)
			if r.status != http.StatusUnprocessableEntity || body.Error.Code != "invalid" || body.Error.Field != tt.field ||
				!strings.HasPrefix(body.Error.Message, tt.field+": ") {
				t.Errorf("%s %v: %d %s, want 422 naming %s", req[0], tt.body, r.status, r.body, tt.field)
			}
		}
	}
	for _, body := range []any{map[string]any{"name": "x", "colour": "red"}, map[string]any{"name": 7}} {
		if r := e.do("POST", "/api/v1/tasks", e.ann, body); r.status != http.StatusBadRequest {
			t.Errorf("POST %v: %d %s, want 400", body, r.status, r.body)
		}
	}
	for _, q := range []string{"status=Done", "due_from=tomorrow", "due_to=2026-13-01", "limit=0"} {
		if r := e.do("GET", "/api/v1/tasks?"+q, e.ann, nil); r.status != http.StatusBadRequest {
			t.Errorf("GET ?%s: %d %s, want 400", q, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/tasks/today?status=Done", e.ann, nil); r.status != http.StatusBadRequest {
		t.Errorf("command center ?status=Done: %d", r.status)
	}
	if d := cmp.Diff([]string{"Fine"}, e.listNames(e.ann, "/api/v1/tasks")); d != "" {
		t.Errorf("tasks after refused writes (-want +got):\n%s", d)
	}
	var got api.Task
	e.do("GET", "/api/v1/tasks/"+task.ID, e.ann, nil).decode(t, &got)
	if !cmp.Equal(task, got) {
		t.Errorf("the task after refused edits: %+v, was %+v", got, task)
	}
}

// SPEC T4: the command center shows the tasks due today and tomorrow in
// the user's time zone (else the org's), by the API's clock, and turns
// over at the user's midnight, daylight-saving changes included. All the
// tasks stay listed.
func TestCommandCenterAcrossDayBoundary(t *testing.T) {
	t.Parallel()
	e := newTaskEnv(t)
	dates := []string{"2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04",
		"2026-03-08", "2026-03-09", "2026-03-10", "2026-03-29", "2026-03-30", "2026-03-31"}
	for _, tok := range []string{e.ann, e.bob} {
		for _, d := range dates {
			e.create(tok, map[string]any{"name": "due " + d, "due": d})
		}
		e.create(tok, map[string]any{"name": "undated"})
	}
	e.create(e.ann, map[string]any{"name": "done on the 2nd", "due": "2026-03-02", "status": "Complete"})

	tests := []struct {
		name     string
		token    string
		at       time.Time
		zone     string
		today    string
		tomorrow string
	}{
		// Ann counts days in Europe/Stockholm, her own zone (CET, UTC+1).
		{"Stockholm before midnight", e.ann, time.Date(2026, 3, 1, 22, 59, 59, 0, time.UTC), "Europe/Stockholm", "2026-03-01", "2026-03-02"},
		{"Stockholm at midnight", e.ann, time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), "Europe/Stockholm", "2026-03-02", "2026-03-03"},
		// CEST (UTC+2) from 29 March 2026: midnight is at 22:00 UTC.
		{"Stockholm summer time, before midnight", e.ann, time.Date(2026, 3, 29, 21, 59, 59, 0, time.UTC), "Europe/Stockholm", "2026-03-29", "2026-03-30"},
		{"Stockholm summer time, at midnight", e.ann, time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), "Europe/Stockholm", "2026-03-30", "2026-03-31"},
		// Bob has no zone: the org's, America/New_York (EST, UTC-5).
		{"New York before midnight", e.bob, time.Date(2026, 3, 2, 4, 59, 59, 0, time.UTC), "America/New_York", "2026-03-01", "2026-03-02"},
		{"New York at midnight", e.bob, time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC), "America/New_York", "2026-03-02", "2026-03-03"},
		// EDT (UTC-4) from 8 March 2026: midnight is at 04:00 UTC.
		{"New York daylight time, before midnight", e.bob, time.Date(2026, 3, 9, 3, 59, 59, 0, time.UTC), "America/New_York", "2026-03-08", "2026-03-09"},
		{"New York daylight time, at midnight", e.bob, time.Date(2026, 3, 9, 4, 0, 0, 0, time.UTC), "America/New_York", "2026-03-09", "2026-03-10"},
		// The same instant is a different day for each.
		{"one instant, Stockholm", e.ann, time.Date(2026, 3, 2, 0, 30, 0, 0, time.UTC), "Europe/Stockholm", "2026-03-02", "2026-03-03"},
		{"one instant, New York", e.bob, time.Date(2026, 3, 2, 0, 30, 0, 0, time.UTC), "America/New_York", "2026-03-01", "2026-03-02"},
	}
	for _, tt := range tests {
		e.clock.Set(tt.at)
		r := e.do("GET", "/api/v1/tasks/today", tt.token, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", tt.name, r.status, r.body)
		}
		var cc api.CommandCenter
		r.decode(t, &cc)
		var got []string
		for _, it := range cc.Items {
			got = append(got, it.Name)
		}
		want := []string{"due " + tt.today, "due " + tt.tomorrow}
		if tt.token == e.ann && tt.today == "2026-03-02" {
			want = []string{"due 2026-03-02", "done on the 2nd", "due 2026-03-03"}
		}
		if tt.token == e.ann && tt.tomorrow == "2026-03-02" {
			want = []string{"due 2026-03-01", "due 2026-03-02", "done on the 2nd"}
		}
		if cc.TimeZone != tt.zone || cc.Today != tt.today || cc.Tomorrow != tt.tomorrow {
			t.Errorf("%s: zone %s, today %s, tomorrow %s; want %s, %s, %s", tt.name, cc.TimeZone, cc.Today, cc.Tomorrow, tt.zone, tt.today, tt.tomorrow)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}

	// ?status=Open leaves the completed task out; the full list keeps all.
	e.clock.Set(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	if d := cmp.Diff([]string{"due 2026-03-02", "due 2026-03-03"}, e.listNames(e.ann, "/api/v1/tasks/today?status=Open")); d != "" {
		t.Errorf("open tasks of the command center (-want +got):\n%s", d)
	}
	if n := len(e.listNames(e.ann, "/api/v1/tasks?limit=500")); n != len(dates)+2 {
		t.Errorf("ann's full list holds %d tasks, want %d", n, len(dates)+2)
	}
}
