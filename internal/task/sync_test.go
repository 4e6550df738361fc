package task_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/caldav"
	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/http/api"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// engineTrigger is the queue as the API sees it, running each "sync now"
// at once so that a test reads its outcome right after the request.
type engineTrigger struct {
	t      *testing.T
	engine *syncer.Engine
	runs   []string
}

func (e *engineTrigger) SyncNow(ctx context.Context, orgID, streamID string) (string, error) {
	r, err := e.engine.Run(ctx, orgID, streamID, "manual")
	if err != nil {
		e.t.Errorf("run of stream %s: %v", streamID, err)
		return "", err
	}
	e.runs = append(e.runs, r.ID)
	return r.ID, nil
}

// syncRig is an org connected to a Salesforce sandbox (over HTTP, through
// the real connector) with a member, Sam, and the hub's API in front of
// the engine.
type syncRig struct {
	t       *testing.T
	sb      *sandbox.Server
	s       store.Store
	trig    *engineTrigger
	url     string
	org     store.Org
	sam     store.User
	samTok  string
	crmConn store.Connection
}

func newSyncRig(t *testing.T) *syncRig {
	t.Helper()
	ctx := t.Context()
	sb := sandbox.New(sandbox.Config{CustomFields: map[string][]sandbox.Field{"Task": {{Name: "crmsync_Key__c", Type: sandbox.TypeString, Length: 80, ExternalID: true, Unique: true}}}})
	sf := httptest.NewServer(sb)
	t.Cleanup(sf.Close)
	s := testenv.SQLite(t)
	reg := registry.New()
	// The connector and the engine tell time by the sandbox, so that a
	// test may move all three days ahead (sb.Advance) and have windows
	// judged as they would be.
	reg.Register(salesforce.SystemName, func(_ context.Context, c store.Connection) (connector.Connector, error) {
		return salesforce.New(salesforce.Config{BaseURL: sf.URL, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
			Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword, Now: sb.Now})
	})
	reg.Register(hubtask.SystemName, hubtask.Factory(s))
	reg.Register(caldav.SystemName, caldav.Factory)
	engine, err := syncer.New(syncer.Config{Store: s, Definitions: []*syncer.Definition{task.Definition()}, Connectors: reg.Resolve, Now: sb.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := &syncRig{t: t, sb: sb, s: s, trig: &engineTrigger{t: t, engine: engine}}
	creds, _ := json.Marshal(salesforce.ConnectionCredentials{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword})
	err = s.InTx(ctx, func(tx store.Tx) error {
		r.org = store.Org{Name: "Acme", TimeZone: "Europe/Paris"}
		if err := tx.CreateOrg(ctx, &r.org); err != nil {
			return err
		}
		r.sam = store.User{OrgID: r.org.ID, Email: "sam@acme.test", Name: "Sam"}
		if err := tx.CreateUser(ctx, &r.sam); err != nil {
			return err
		}
		r.crmConn = store.Connection{OrgID: r.org.ID, System: salesforce.SystemName, Name: "Salesforce",
			Config: json.RawMessage(`{"base_url":"` + sf.URL + `"}`), Credentials: creds}
		if err := tx.CreateConnection(ctx, &r.crmConn); err != nil {
			return err
		}
		r.samTok, err = api.IssueToken(ctx, tx, r.sam, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Store: s, Trigger: r.trig})
	if err != nil {
		t.Fatal(err)
	}
	hub := httptest.NewServer(a)
	t.Cleanup(hub.Close)
	r.url = hub.URL
	return r
}

func (r *syncRig) do(method, path string, body any, out any) int {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(r.t.Context(), method, r.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+r.samTok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

func (r *syncRig) save(set task.SyncSettings) api.TaskSyncStatus {
	r.t.Helper()
	var st api.TaskSyncStatus
	if code := r.do("PUT", "/api/v1/tasks/sync", set, &st); code != http.StatusOK {
		r.t.Fatalf("save task sync settings %+v: %d", set, code)
	}
	return st
}

// crmTasks lists the sandbox's Tasks by Subject.
func (r *syncRig) crmTasks() map[string]map[string]any {
	r.t.Helper()
	out := map[string]map[string]any{}
	conn, err := salesforce.Factory(r.t.Context(), r.crmConn)
	if err != nil {
		r.t.Fatal(err)
	}
	rows, err := conn.(*salesforce.Connector).Query(r.t.Context(), "SELECT Id, Subject, Status, Priority FROM Task")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, row := range rows {
		subj, _ := row["Subject"].(string)
		if subj == "" {
			subj = "(no subject) " + row["Id"].(string)
		}
		out[subj] = row
	}
	return out
}

func (r *syncRig) hubTasks() map[string]api.Task {
	r.t.Helper()
	var list struct{ Items []api.Task }
	if code := r.do("GET", "/api/v1/tasks?limit=500", nil, &list); code != http.StatusOK {
		r.t.Fatalf("list tasks: %d", code)
	}
	out := map[string]api.Task{}
	for _, h := range list.Items {
		out[h.Name] = h
	}
	return out
}

func (r *syncRig) addHubTask(name string) api.Task {
	r.t.Helper()
	var h api.Task
	if code := r.do("POST", "/api/v1/tasks", map[string]any{"name": name, "due": "2026-03-05"}, &h); code != http.StatusCreated {
		r.t.Fatalf("add task %q: %d", name, code)
	}
	return h
}

// SPEC T1 and T8: enabling task sync in the settings makes the user's
// stream between their hub list and the CRM's Tasks, and saving starts a
// re-sync whose progress (done and total) the API reports; CRM tasks
// arrive in the hub and hub tasks made since reach the CRM.
func TestT1EnablingTaskSyncSyncsBothWays(t *testing.T) {
	r := newSyncRig(t)
	var off api.TaskSyncStatus
	r.do("GET", "/api/v1/tasks/sync", nil, &off)
	if off.Enabled || off.StreamID != "" || off.PollMinutes != task.DefaultPollMinutes {
		t.Fatalf("settings before enabling = %+v", off)
	}
	if _, err := r.sb.Create("Task", "", map[string]any{"Subject": "Call Ann", "Status": "Not Started", "Priority": "High", "ActivityDate": "2026-03-02"}); err != nil {
		t.Fatal(err)
	}
	st := r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true})
	if st.StreamID == "" || st.Job == "" || st.LastRun == nil {
		t.Fatalf("enable answered %+v, want the stream and the re-sync it started (T8)", st)
	}
	if st.LastRun.Status != store.RunSucceeded || st.LastRun.Total == 0 || st.LastRun.Done != st.LastRun.Total {
		t.Errorf("the re-sync's progress = %+v, want done = total > 0 (T8)", st.LastRun)
	}
	if h, ok := r.hubTasks()["Call Ann"]; !ok || h.Priority != store.HubTaskHigh {
		t.Errorf("the CRM task did not arrive in the hub: %+v", r.hubTasks())
	}
	r.addHubTask("Send the quote") // a hub write starts a run (T6)
	if got := r.crmTasks()["Send the quote"]; got == nil || got["Status"] != "Not Started" {
		t.Errorf("the hub task did not reach the CRM: %v", r.crmTasks())
	}
	var again api.TaskSyncStatus
	r.do("GET", "/api/v1/tasks/sync", nil, &again)
	if !again.Enabled || !again.SubjectTemplate || again.LastRun == nil || again.LastRun.Done == 0 {
		t.Errorf("GET after enabling = %+v", again)
	}
}

// SPEC T3 through the settings: the hub tasks that existed before sync
// was enabled are never pushed; those created after are.
func TestT3TasksFromBeforeEnablingStayInTheHub(t *testing.T) {
	r := newSyncRig(t)
	r.addHubTask("Old private note")
	time.Sleep(1100 * time.Millisecond) // the store keeps seconds apart: created strictly before enabling
	r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true})
	r.addHubTask("New follow-up")
	crm := r.crmTasks()
	if _, pushed := crm["Old private note"]; pushed {
		t.Error("a hub task from before enabling reached the CRM")
	}
	if _, ok := crm["New follow-up"]; !ok {
		t.Errorf("a hub task made after enabling did not reach the CRM: %v", crm)
	}
}

// SPEC T6: while enabled, create, edit, complete and delete in the hub
// reach the CRM without waiting for a schedule; the CRM is polled every
// poll_minutes (default 2); disabled, hub writes stay in the hub.
func TestT6HubWritesReachTheCRMWhileEnabled(t *testing.T) {
	r := newSyncRig(t)
	st := r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true})
	var s store.Stream
	_ = r.s.Read(t.Context(), func(tx store.Tx) (err error) { s, err = tx.GetStream(t.Context(), r.org.ID, st.StreamID); return err })
	if s.Schedule.Kind != store.ScheduleContinuous || s.Schedule.Minutes != 2 {
		t.Errorf("the stream's schedule = %+v, want continuous with a 2-minute poll", s.Schedule)
	}
	h := r.addHubTask("Book the venue")
	if r.crmTasks()["Book the venue"] == nil {
		t.Fatal("create did not reach the CRM")
	}
	if code := r.do("PATCH", "/api/v1/tasks/"+h.ID, map[string]any{"priority": "High"}, nil); code != http.StatusOK {
		t.Fatalf("edit: %d", code)
	}
	if got := r.crmTasks()["Book the venue"]; got["Priority"] != "High" {
		t.Errorf("edit did not reach the CRM: %v", got)
	}
	if code := r.do("POST", "/api/v1/tasks/"+h.ID+"/complete", nil, nil); code != http.StatusOK {
		t.Fatalf("complete: %d", code)
	}
	if got := r.crmTasks()["Book the venue"]; got["Status"] != "Completed" {
		t.Errorf("complete did not reach the CRM: %v", got)
	}
	if code := r.do("DELETE", "/api/v1/tasks/"+h.ID, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if _, still := r.crmTasks()["Book the venue"]; still {
		t.Error("delete did not reach the CRM")
	}

	runs := len(r.trig.runs)
	r.save(task.SyncSettings{Enabled: false})
	r.addHubTask("Private reminder")
	if len(r.trig.runs) != runs {
		t.Errorf("a hub write ran the stream after sync was disabled")
	}
	if _, pushed := r.crmTasks()["Private reminder"]; pushed {
		t.Error("a task made while disabled reached the CRM")
	}
	var bad map[string]any
	if code := r.do("PUT", "/api/v1/tasks/sync", map[string]any{"enabled": true, "poll_minutes": 90}, &bad); code != http.StatusUnprocessableEntity {
		t.Errorf("poll_minutes 90 = %d %v, want 422", code, bad)
	}
}

// SPEC T7 through the settings: names go hub → CRM only while the
// activity template uses {{activity_subject}}; a subject changed in the
// CRM never comes back to the hub.
func TestT7SubjectFollowsTheTemplateSetting(t *testing.T) {
	r := newSyncRig(t)
	r.save(task.SyncSettings{Enabled: true, SubjectTemplate: false})
	h := r.addHubTask("Call Bo")
	var crmSubjects []string
	for subj := range r.crmTasks() {
		crmSubjects = append(crmSubjects, subj)
	}
	if slices.Contains(crmSubjects, "Call Bo") {
		t.Errorf("without the template the name reached the CRM: %q", crmSubjects)
	}
	r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true})
	if code := r.do("PATCH", "/api/v1/tasks/"+h.ID, map[string]any{"name": "Call Bo about the offer"}, nil); code != http.StatusOK {
		t.Fatal(code)
	}
	got := r.crmTasks()["Call Bo about the offer"]
	if got == nil {
		t.Fatalf("with the template the new name did not reach the CRM: %v", r.crmTasks())
	}
	if err := r.sb.Update("Task", got["Id"].(string), "", map[string]any{"Subject": "Renamed in the CRM"}); err != nil {
		t.Fatal(err)
	}
	r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true}) // saving re-syncs (T8)
	if _, ok := r.hubTasks()["Call Bo about the offer"]; !ok || strings.Contains(strings.Join(keys(r.hubTasks()), ","), "Renamed in the CRM") {
		t.Errorf("a subject changed in the CRM came back to the hub: %v", keys(r.hubTasks()))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
