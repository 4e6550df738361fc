package caldav_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/caldav"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// putRaw stores a VTODO the way another CalDAV client would.
func putRaw(t *testing.T, url, body string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "PUT", url, strings.NewReader(strings.ReplaceAll(body, "\n", "\r\n")))
	req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	req.SetBasicAuth("ann", "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("PUT %s: %s", url, res.Status)
	}
}

func getRaw(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	req.SetBasicAuth("ann", "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func byName(t *testing.T, c *caldav.Connector, cur string) (map[string]connector.Record, string) {
	t.Helper()
	page, err := c.Changes(t.Context(), caldav.Object, cur)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]connector.Record{}
	for _, r := range page.Records {
		name, _ := r.Fields["name"].(string)
		if r.Deleted {
			name = "deleted " + r.ID
		}
		out[name] = r
	}
	return out, page.Cursor
}

// The connector against a real CalDAV server (Radicale): creates are
// idempotent by key, updates keep the properties it does not map, values
// outside the map come through as they are, and deletes are listed.
func TestCalDAVTaskListAgainstRadicale(t *testing.T) {
	base := testenv.Radicale(t)
	list := testenv.MakeCollection(t, base, "ann", "tasks", "calendar")
	c, err := caldav.New(caldav.Config{URL: list, Username: "ann", Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	create := connector.Write{Op: connector.OpCreate, Key: "k-1", Fields: connector.Fields{"name": "Call Ann", "status": "Open",
		"priority": "High", "due": "2026-03-02", "details": "About the renewal"}}
	res, err := c.Write(ctx, caldav.Object, []connector.Write{create})
	if err != nil || res[0].Err != nil {
		t.Fatalf("create: %v %v", err, res)
	}
	again, _ := c.Write(ctx, caldav.Object, []connector.Write{create}) // a retry
	if again[0].Err != nil || again[0].ID != res[0].ID {
		t.Fatalf("a retried create = %+v, want the first object %s", again[0], res[0].ID)
	}
	recs, cur := byName(t, c, "")
	if len(recs) != 1 {
		t.Fatalf("after a create and its retry the list holds %d objects: %v", len(recs), recs)
	}
	got := recs["Call Ann"]
	for k, want := range map[string]string{"status": "Open", "priority": "High", "due": "2026-03-02", "details": "About the renewal"} {
		if got.Fields[k] != want {
			t.Errorf("%s = %v, want %q", k, got.Fields[k], want)
		}
	}
	if got.Key != "k-1" {
		t.Errorf("key = %q, want the UID k-1", got.Key)
	}

	// Another client adds an alarm and a category; an update of ours
	// keeps them.
	url := strings.TrimSuffix(base, "/") + got.ID
	raw := getRaw(t, url)
	raw = strings.Replace(raw, "END:VTODO", "CATEGORIES:Sales\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Call\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nX-CLIENT-FLAG:1\r\nEND:VTODO", 1)
	putRaw(t, url, strings.ReplaceAll(raw, "\r\n", "\n"))
	if res, _ := c.Write(ctx, caldav.Object, []connector.Write{{Op: connector.OpUpdate, ID: got.ID, Fields: connector.Fields{"status": "Complete"}}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	after := getRaw(t, url)
	for _, keep := range []string{"CATEGORIES:Sales", "BEGIN:VALARM", "X-CLIENT-FLAG:1", "STATUS:COMPLETED", "SUMMARY:Call Ann", "COMPLETED:"} {
		if !strings.Contains(after, keep) {
			t.Errorf("after the update the object lacks %q:\n%s", keep, after)
		}
	}
	recs, cur = byName(t, c, cur)
	if len(recs) != 1 || recs["Call Ann"].Fields["status"] != "Complete" {
		t.Errorf("the listing after the update = %v", recs)
	}

	// A task another app marks in progress, with priority 3: both come
	// through as they are, outside the stream's maps.
	putRaw(t, list+"other.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VTODO\nUID:other-1\nDTSTAMP:20260301T100000Z\nSUMMARY:Draft the plan\nSTATUS:IN-PROCESS\nPRIORITY:3\nEND:VTODO\nEND:VCALENDAR\n")
	recs, cur = byName(t, c, cur)
	if r := recs["Draft the plan"]; r.Fields["status"] != "IN-PROCESS" || r.Fields["priority"] != "3" || len(recs) != 1 {
		t.Errorf("the increment = %v, want only the new task with its own values", recs)
	}
	if res, _ := c.Write(ctx, caldav.Object, []connector.Write{{Op: connector.OpDelete, ID: got.ID}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	recs, _ = byName(t, c, cur)
	if _, ok := recs["deleted "+got.ID]; !ok || len(recs) != 1 {
		t.Errorf("after the delete the increment = %v", recs)
	}
	if res, _ := c.Write(ctx, caldav.Object, []connector.Write{{Op: connector.OpDelete, ID: got.ID}}); res[0].Err != nil {
		t.Errorf("deleting an object already gone: %v", res[0].Err)
	}
	bad, _ := c.Write(ctx, caldav.Object, []connector.Write{{Op: connector.OpCreate, Key: "k-2", Fields: connector.Fields{"name": "x", "due": "next week"}}})
	if bad[0].Err == nil || !strings.Contains(bad[0].Err.Error(), "due") {
		t.Errorf("a bad due date = %v, want a field error naming due", bad[0].Err)
	}
}

// Issue 4's CalDAV task lists: the reminder-task stream pairs the CRM's
// Tasks (the Salesforce sandbox, through the real connector) with a user's
// CalDAV task list on Radicale, with SPEC T2's map both ways; values
// outside the maps stay where they are.
func TestCalDAVTaskStreamWithSalesforce(t *testing.T) {
	base := testenv.Radicale(t)
	list := testenv.MakeCollection(t, base, "ann", "tasks", "calendar")
	// One clock for the sandbox and the connector, which the test moves on
	// so that getDeleted, which covers whole minutes, sees a delete.
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	sb := sandbox.New(sandbox.Config{Clock: clock, CustomFields: map[string][]sandbox.Field{"Task": {{Name: "crmsync_Key__c", Type: sandbox.TypeString, Length: 80, ExternalID: true, Unique: true}}}})
	sf := httptest.NewServer(sb)
	t.Cleanup(sf.Close)
	s := testenv.SQLite(t)
	reg := registry.New()
	reg.Register(salesforce.SystemName, func(_ context.Context, c store.Connection) (connector.Connector, error) {
		return salesforce.New(salesforce.Config{BaseURL: sf.URL, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
			Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword, Now: clock})
	})
	reg.Register(caldav.SystemName, caldav.Factory)
	engine, err := syncer.New(syncer.Config{Store: s, Definitions: []*syncer.Definition{task.Definition()}, Connectors: reg.Resolve})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var org store.Org
	var st store.Stream
	creds, _ := json.Marshal(salesforce.ConnectionCredentials{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword})
	err = s.InTx(ctx, func(tx store.Tx) error {
		org = store.Org{Name: "Acme"}
		if err := tx.CreateOrg(ctx, &org); err != nil {
			return err
		}
		u := store.User{OrgID: org.ID, Email: "ann@acme.test"}
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		crm := store.Connection{OrgID: org.ID, System: salesforce.SystemName, Config: json.RawMessage(`{"base_url":"` + sf.URL + `"}`), Credentials: creds}
		dav := store.Connection{OrgID: org.ID, UserID: u.ID, System: caldav.SystemName, Name: "Ann's CalDAV tasks",
			Config: json.RawMessage(`{"url":"` + list + `","username":"ann"}`), Credentials: []byte(`{"password":"x"}`)}
		for _, c := range []*store.Connection{&crm, &dav} {
			if err := tx.CreateConnection(ctx, c); err != nil {
				return err
			}
		}
		st = store.Stream{OrgID: org.ID, UserID: u.ID, Name: "Ann's CalDAV reminders", Kind: task.Kind, ConnA: crm.ID, ObjectA: "Task",
			ConnB: dav.ID, ObjectB: caldav.Object, Enabled: true, EnabledAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second),
			Settings: json.RawMessage(`{"` + task.SettingSubjectTemplate + `":true}`)}
		return tx.CreateStream(ctx, &st)
	})
	if err != nil {
		t.Fatal(err)
	}
	run := func(what string) {
		t.Helper()
		r, err := engine.Run(ctx, org.ID, st.ID, "manual")
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if r.Counts.Quarantined != 0 {
			t.Fatalf("%s: %d quarantined", what, r.Counts.Quarantined)
		}
	}
	dav, _ := caldav.New(caldav.Config{URL: list, Username: "ann", Password: "x"})
	davTasks := func() map[string]connector.Record { recs, _ := byName(t, dav, ""); return recs }

	crmID, err := sb.Create("Task", "", map[string]any{"Subject": "Call Ann", "Status": "Not Started", "Priority": "High", "ActivityDate": "2026-03-02"})
	if err != nil {
		t.Fatal(err)
	}
	run("first sync")
	if r, ok := davTasks()["Call Ann"]; !ok || r.Fields["priority"] != "High" || r.Fields["due"] != "2026-03-02" || r.Fields["status"] != "Open" {
		t.Fatalf("the CRM task in the CalDAV list: %v", davTasks())
	}
	// Another CalDAV client adds a task and completes the first.
	putRaw(t, list+"phone.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//phone//EN\nBEGIN:VTODO\nUID:phone-1\nDTSTAMP:20260301T100000Z\nSUMMARY:Send the quote\nPRIORITY:5\nDUE;VALUE=DATE:20260304\nEND:VTODO\nEND:VCALENDAR\n")
	first := davTasks()["Call Ann"]
	if res, _ := dav.Write(ctx, caldav.Object, []connector.Write{{Op: connector.OpUpdate, ID: first.ID, Fields: connector.Fields{"status": "Complete"}}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	run("after the CalDAV edits")
	got, _ := sb.Get("Task", crmID)
	if got["Status"] != "Completed" {
		t.Errorf("the completion did not reach the CRM: %v", got["Status"])
	}
	conn, _ := salesforce.Factory(ctx, store.Connection{Config: json.RawMessage(`{"base_url":"` + sf.URL + `"}`), Credentials: creds})
	rows, err := conn.(*salesforce.Connector).Query(ctx, "SELECT Id, Subject, Priority, ActivityDate FROM Task WHERE Subject = 'Send the quote'")
	if err != nil || len(rows) != 1 || rows[0]["Priority"] != "Normal" || rows[0]["ActivityDate"] != "2026-03-04" {
		t.Errorf("the CalDAV task in the CRM: %v %v", rows, err)
	}
	// "In Progress" in the CRM has no CalDAV counterpart in the map: not
	// synced, the list keeps its status.
	if err := sb.Update("Task", crmID, "", map[string]any{"Status": "In Progress"}); err != nil {
		t.Fatal(err)
	}
	run("after In Progress")
	if r := davTasks()["Call Ann"]; r.Fields["status"] != "Complete" {
		t.Errorf("a status outside the map overwrote the list: %v", r.Fields["status"])
	}
	if err := sb.Delete("Task", crmID, ""); err != nil {
		t.Fatal(err)
	}
	offset.Add(int64(2 * time.Minute))
	run("after the CRM delete")
	if _, still := davTasks()["Call Ann"]; still {
		t.Error("the CRM delete did not reach the CalDAV list")
	}
}
