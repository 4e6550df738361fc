package salesforce_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// callLog records every API call's method and path, in order.
type callLog struct {
	mu    sync.Mutex
	calls []string
	next  http.RoundTripper
}

func (l *callLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.calls = append(l.calls, r.Method+" "+r.URL.Path)
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// count counts the calls whose "METHOD path" contains every part.
func (l *callLog) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
next:
	for _, c := range l.calls {
		for _, p := range parts {
			if !strings.Contains(c, p) {
				continue next
			}
		}
		n++
	}
	return n
}

// TestBulkInitialLoad: issue 3, Bulk API 2.0 query jobs for initial loads
// above a threshold. A first listing of more records than the threshold
// runs as one query job (created, polled with backoff, its CSV read a page
// at a time along Sforce-Locator), whose records carry the same values a
// REST query answers. Edits made while the job's pages are read reach the
// first incremental listing, and that listing repeats nothing the
// snapshot already held: no gap, no duplicate.
func TestBulkInitialLoad(t *testing.T) {
	t.Parallel()
	const n, threshold, pageSize = 250, 100, 60
	log := &callLog{next: http.DefaultTransport}
	o := newOrg(t, nil, func(c *salesforce.Config) {
		c.BulkThreshold, c.BulkPageSize = threshold, pageSize
		c.HTTPClient = &http.Client{Transport: log}
	})
	var ids []string
	for i := range n {
		f := map[string]any{"LastName": fmt.Sprintf("Contact %d", i), "Email": fmt.Sprintf("c%d@acme.test", i),
			"HasOptedOutOfEmail": i%3 == 0, "Description": fmt.Sprintf("line one, \"quoted\"\nline %d", i)}
		if i%2 == 0 {
			f["Birthdate"] = "1990-01-02"
			f["crmsync_Key__c"] = fmt.Sprintf("k-%d", i)
		}
		ids = append(ids, o.create("Contact", f))
	}
	o.sb.Advance(10 * time.Minute)

	// The first page: count, describe, the job, its polls, one results page.
	p, err := o.conn.Changes(t.Context(), "Contact", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := log.count("POST", "/jobs/query"); got != 1 {
		t.Errorf("%d query jobs created, want 1", got)
	}
	if got := log.count("GET", "/jobs/query/", "/results"); got != 1 {
		t.Errorf("%d results pages read for the first page, want 1", got)
	}
	if polls := log.count("GET", "/jobs/query/") - 1; polls != 2 {
		t.Errorf("%d job polls, want 2 (the sandbox answers InProgress once)", polls)
	}
	o.mu.Lock()
	waits := append([]time.Duration(nil), o.waits...)
	o.mu.Unlock()
	if len(waits) != 1 || waits[0] <= 0 {
		t.Errorf("waits between polls: %v, want one", waits)
	}
	if len(p.Records) != pageSize || !p.More || p.Total != n {
		t.Fatalf("first page: %d records, more %v, total %d", len(p.Records), p.More, p.Total)
	}

	// Users edit while the pages are read.
	o.sb.Advance(time.Minute)
	edited, gone := ids[n-1], ids[n-2] // likely on a later page, with the old values
	if err := o.sb.Update("Contact", edited, "", map[string]any{"LastName": "Edited"}); err != nil {
		t.Fatal(err)
	}
	if err := o.sb.Delete("Contact", gone, ""); err != nil {
		t.Fatal(err)
	}
	added := o.create("Contact", map[string]any{"LastName": "Added during the load"})

	bulk := map[string]connector.Record{}
	pages := 1
	for _, r := range p.Records {
		bulk[r.ID] = r
	}
	cur := p.Cursor
	for p.More {
		if p, err = o.conn.Changes(t.Context(), "Contact", cur); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range p.Records {
			if _, dup := bulk[r.ID]; dup {
				t.Errorf("%s listed twice by the snapshot", r.ID)
			}
			bulk[r.ID] = r
		}
		cur = p.Cursor
	}
	if want := (n + pageSize - 1) / pageSize; pages != want || log.count("/results") != want {
		t.Errorf("%d pages, %d results calls; want %d", pages, log.count("/results"), want)
	}
	if len(bulk) != n {
		t.Errorf("the snapshot holds %d records, want %d", len(bulk), n)
	}
	if _, ok := bulk[added]; ok {
		t.Error("a record created after the job is in its snapshot")
	}
	if log.count("/query") != log.count("/jobs/query")+1 {
		t.Errorf("REST queries besides the count: calls %v", log.calls)
	}

	// The same records as a REST query answers them.
	restConn, err := salesforce.New(salesforce.Config{BaseURL: o.srv.URL, ClientID: sandbox.DefaultClientID,
		ClientSecret: sandbox.DefaultClientSecret, Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword,
		Now: o.sb.Now, BulkThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	viaREST := map[string]connector.Record{}
	for c := ""; ; {
		rp, err := restConn.Changes(t.Context(), "Contact", c)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rp.Records {
			viaREST[r.ID] = r
		}
		if c = rp.Cursor; !rp.More {
			break
		}
	}
	for _, id := range ids[:n-2] {
		if diff := cmp.Diff(viaREST[id], bulk[id]); diff != "" {
			t.Fatalf("record %s, REST (-) against Bulk (+):\n%s", id, diff)
		}
	}

	// The first increment: exactly the three changes made during the load.
	o.sb.Advance(2 * time.Minute) // getDeleted covers whole minutes
	inc, _, _ := o.listAll("Contact", cur)
	got := map[string]connector.Record{}
	for _, r := range inc {
		if _, dup := got[r.ID]; dup {
			t.Errorf("%s listed twice by the increment", r.ID)
		}
		got[r.ID] = r
	}
	if len(got) != 3 || got[edited].Fields["LastName"] != "Edited" || !got[gone].Deleted || got[added].Fields == nil {
		var ls []string
		for id, r := range got {
			ls = append(ls, fmt.Sprintf("%s deleted=%v %v", id, r.Deleted, r.Fields["LastName"]))
		}
		t.Errorf("the first increment: %v; want %s edited, %s deleted and %s added", ls, edited, gone, added)
	}
}

// TestBulkBelowThreshold: a first listing of no more records than the
// threshold pages REST queries, and an object past it but with Bulk turned
// off (a negative threshold) does too.
func TestBulkBelowThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		threshold int
		n         int
	}{{"at the threshold", 30, 30}, {"bulk off", -1, 30}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			log := &callLog{next: http.DefaultTransport}
			o := newOrg(t, nil, func(c *salesforce.Config) {
				c.BulkThreshold, c.PageSize = tc.threshold, 200
				c.HTTPClient = &http.Client{Transport: log}
			})
			for i := range tc.n {
				o.create("Contact", map[string]any{"LastName": fmt.Sprintf("C%d", i)})
			}
			recs, _, _ := o.listAll("Contact", "")
			if len(recs) != tc.n || log.count("/jobs/") != 0 {
				t.Errorf("%d records, %d Bulk calls; want %d and none", len(recs), log.count("/jobs/"), tc.n)
			}
		})
	}
}

// TestEngineBulkFirstImport: the engine's first import of an org past the
// threshold (set in the connection's config) goes through a Bulk job, every
// task reaches the hub once, the next run changes nothing, and an edit made
// after the import arrives by the increment.
func TestEngineBulkFirstImport(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var offset sync.Mutex
	shift := time.Duration(0)
	clock := func() time.Time { offset.Lock(); defer offset.Unlock(); return time.Now().Add(shift) }
	sb := sandbox.New(sandbox.Config{CustomFields: map[string][]sandbox.Field{"Task": {keyField}}, Clock: clock})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	hub := memory.New(memory.Options{Name: "hub", Now: clock})
	s := testenv.SQLite(t)
	creds, _ := json.Marshal(salesforce.ConnectionCredentials{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword})
	org, st := seedTaskStream(t, s, srv.URL, creds)
	if err := s.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.GetConnection(ctx, org.ID, st.ConnA)
		if err != nil {
			return err
		}
		c.Config = json.RawMessage(`{"base_url":"` + srv.URL + `","bulk_threshold":5,"bulk_page_size":4}`)
		return tx.UpdateConnection(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	const n = 13
	var first string
	for i := range n {
		id, err := sb.Create("Task", "", map[string]any{"Subject": fmt.Sprintf("Task %d", i), "Status": "Not Started", "Priority": "Normal"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = id
		}
	}
	factory := salesforce.StoreFactory(s, nil)
	engine, err := syncer.New(syncer.Config{Store: s, Definitions: []*syncer.Definition{task.Definition()}, Now: clock,
		Connectors: func(ctx context.Context, c store.Connection) (connector.Connector, error) {
			if c.System == registry.SystemMemory {
				return hub, nil
			}
			return factory(ctx, c)
		}})
	if err != nil {
		t.Fatal(err)
	}
	run := func(what string) store.Run {
		t.Helper()
		r, err := engine.Run(ctx, org.ID, st.ID, "manual")
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return r
	}
	run("first import")
	names := map[string]int{}
	for _, r := range hub.List("task") {
		names[r.Fields["name"].(string)]++
	}
	if len(names) != n {
		t.Fatalf("the hub holds %d distinct tasks after the import, want %d: %v", len(names), n, names)
	}
	for name, k := range names {
		if k != 1 {
			t.Errorf("%s is in the hub %d times", name, k)
		}
	}
	var jobs int
	for _, j := range sbJobs(t, srv.URL) {
		if j == "Task" {
			jobs++
		}
	}
	if jobs != 1 {
		t.Errorf("%d Bulk query jobs on Task, want 1", jobs)
	}
	offset.Lock()
	shift += 2 * time.Minute
	offset.Unlock()
	if r := run("steady state"); r.Counts.Created+r.Counts.Updated+r.Counts.Deleted != 0 {
		t.Errorf("a run after the import wrote: %+v", r.Counts)
	}
	if err := sb.Update("Task", first, "", map[string]any{"Description": "edited in Salesforce"}); err != nil {
		t.Fatal(err)
	}
	offset.Lock()
	shift += 2 * time.Minute
	offset.Unlock()
	run("after an edit")
	found := false
	for _, r := range hub.List("task") {
		found = found || r.Fields["details"] == "edited in Salesforce"
	}
	if !found || len(hub.List("task")) != n {
		t.Errorf("the edit made after the import did not reach the hub (%d tasks)", len(hub.List("task")))
	}
}

// sbJobs lists the objects of the sandbox's Bulk query jobs, as an admin
// would with GET jobs/query.
func sbJobs(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.PostForm(base+"/services/oauth2/token", url.Values{"grant_type": {"password"},
		"client_id": {sandbox.DefaultClientID}, "client_secret": {sandbox.DefaultClientSecret},
		"username": {sandbox.DefaultUsername}, "password": {sandbox.DefaultPassword}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/services/data/v62.0/jobs/query", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Records []struct {
			Object string `json:"object"`
		} `json:"records"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var objs []string
	for _, r := range out.Records {
		objs = append(objs, r.Object)
	}
	return objs
}
