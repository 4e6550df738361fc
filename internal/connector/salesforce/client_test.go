package salesforce_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
)

// org is a sandbox org served over real HTTP and a connector logged in to
// it, with its calls counted and its waits recorded instead of slept.
type org struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	conn  *salesforce.Connector
	calls *counter
	mu    sync.Mutex
	waits []time.Duration
}

// counter counts requests by path, over the real transport.
type counter struct {
	mu    sync.Mutex
	paths map[string]int
	next  http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	p := r.URL.Path
	if i := strings.Index(p, "/query/"); i >= 0 {
		p = p[:i] + "/query" // a nextRecordsUrl is a query page too
	}
	c.mu.Lock()
	c.paths[p]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *counter) count(suffix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for p, k := range c.paths {
		if strings.HasSuffix(p, suffix) {
			n += k
		}
	}
	return n
}

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newOrg starts a sandbox whose Task and Contact carry crmsync_Key__c.
// clock is the sandbox's clock; nil uses a fixed start that tests move
// with Advance. tune adjusts the connector's Config.
func newOrg(t *testing.T, clock func() time.Time, tune func(*salesforce.Config)) *org {
	t.Helper()
	if clock == nil {
		clock = func() time.Time { return start }
	}
	key := sandbox.Field{Name: "crmsync_Key__c", Type: sandbox.TypeString, Length: 80, ExternalID: true, Unique: true}
	sb := sandbox.New(sandbox.Config{Clock: clock, CustomFields: map[string][]sandbox.Field{"Task": {key}, "Contact": {key}}})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	o := &org{t: t, sb: sb, srv: srv, calls: &counter{paths: map[string]int{}, next: http.DefaultTransport}}
	cfg := salesforce.Config{BaseURL: srv.URL, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword + sandbox.DefaultSecurityToken,
		HTTPClient: &http.Client{Transport: o.calls, Timeout: 30 * time.Second}, Now: sb.Now,
		Sleep: func(_ context.Context, d time.Duration) error {
			o.mu.Lock()
			o.waits = append(o.waits, d)
			o.mu.Unlock()
			return nil
		}}
	if tune != nil {
		tune(&cfg)
	}
	conn, err := salesforce.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.conn = conn
	return o
}

func (o *org) create(object string, fields map[string]any) string {
	o.t.Helper()
	id, err := o.sb.Create(object, "", fields)
	if err != nil {
		o.t.Fatal(err)
	}
	return id
}

// listAll pages Changes from cursor to the end.
func (o *org) listAll(object, cursor string) ([]connector.Record, string, int64) {
	o.t.Helper()
	var out []connector.Record
	var total int64
	for {
		p, err := o.conn.Changes(o.t.Context(), object, cursor)
		if err != nil {
			o.t.Fatalf("changes: %v", err)
		}
		out = append(out, p.Records...)
		cursor, total = p.Cursor, p.Total
		if !p.More {
			return out, cursor, total
		}
	}
}

func TestFullListingPages(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, nil)
	const n = 4100
	for i := range n {
		o.create("Task", map[string]any{"Subject": fmt.Sprintf("Task %d", i)})
	}
	recs, cursor, total := o.listAll("Task", "")
	if len(recs) != n || total != n {
		t.Fatalf("listed %d records, total %d; want %d", len(recs), total, n)
	}
	// The pages and the COUNT() that finds the object below the Bulk
	// threshold.
	if got, want := o.calls.count("/query"), (n+1999)/2000+1; got != want {
		t.Errorf("query calls = %d, want ceil(%d/2000) + 1 = %d", got, n, want)
	}
	ids := map[string]bool{}
	for i, r := range recs {
		if ids[r.ID] || r.Deleted || r.Fields["Subject"] == nil || r.Modified.IsZero() || r.Created.IsZero() {
			t.Fatalf("record %d: %+v", i, r)
		}
		if _, ok := r.Fields["attributes"]; ok {
			t.Fatal("attributes leaked into Fields")
		}
		ids[r.ID] = true
	}
	var c struct{ Since, Next string }
	if err := json.Unmarshal([]byte(cursor), &c); err != nil || c.Next != "" || c.Since != start.Format(time.RFC3339) {
		t.Errorf("final cursor %s (%v)", cursor, err)
	}
	// Describe is called once, limits once.
	if d, l := o.calls.count("/describe"), o.calls.count("/limits"); d != 1 || l != 1 {
		t.Errorf("describe calls %d, limits calls %d; want 1 and 1", d, l)
	}
}

func TestIncrementalSeesUpdatesAndDeletes(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, nil)
	keep := o.create("Task", map[string]any{"Subject": "Keep"})
	o.sb.Advance(5 * time.Minute)
	edit := o.create("Task", map[string]any{"Subject": "Edit"})
	gone := o.create("Task", map[string]any{"Subject": "Gone"})
	_, cursor, _ := o.listAll("Task", "")

	o.sb.Advance(10 * time.Minute)
	if err := o.sb.Update("Task", edit, "", map[string]any{"Subject": "Edited"}); err != nil {
		t.Fatal(err)
	}
	if err := o.sb.Delete("Task", gone, ""); err != nil {
		t.Fatal(err)
	}
	o.sb.Advance(2 * time.Minute) // getDeleted covers whole minutes

	recs, cursor2, _ := o.listAll("Task", cursor)
	byID := map[string]connector.Record{}
	for _, r := range recs {
		byID[r.ID] = r
	}
	if r, ok := byID[edit]; !ok || r.Fields["Subject"] != "Edited" {
		t.Errorf("update not seen: %+v", r)
	}
	if r, ok := byID[gone]; !ok || !r.Deleted || r.Fields != nil || !r.Modified.Equal(start.Add(15*time.Minute)) {
		t.Errorf("delete not seen as a tombstone: %+v", r)
	}
	if _, ok := byID[keep]; ok {
		t.Errorf("record unchanged since before the overlap listed again: %v", byID[keep])
	}

	// Nothing changed since: only the overlap minute before the cursor
	// comes back (the edit and the delete, at the cursor's instant).
	o.sb.Advance(10 * time.Minute)
	recs, _, _ = o.listAll("Task", cursor2)
	for _, r := range recs {
		if r.Modified.Before(start.Add(15*time.Minute - time.Minute)) {
			t.Errorf("quiet org listed a change before the overlap: %+v", r)
		}
	}
	if len(recs) != 2 {
		t.Errorf("quiet org listed %d changes, want the 2 in the overlap", len(recs))
	}
}

func TestExpiredCursor(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, nil)
	old := `{"since":"` + start.Add(-16*24*time.Hour).Format(time.RFC3339) + `","next":""}`
	if _, err := o.conn.Changes(t.Context(), "Task", old); !errors.Is(err, connector.ErrCursorExpired) {
		t.Fatalf("16-day-old cursor: %v, want ErrCursorExpired", err)
	}
	fresh := `{"since":"` + start.Add(-14*24*time.Hour).Format(time.RFC3339) + `","next":""}`
	if _, err := o.conn.Changes(t.Context(), "Task", fresh); err != nil {
		t.Fatalf("14-day-old cursor: %v", err)
	}
}

func TestWriteUpsertsByKey(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, nil)
	var ws []connector.Write
	for i := range 250 { // two Collections calls
		ws = append(ws, connector.Write{Op: connector.OpCreate, Key: fmt.Sprintf("k-%03d", i),
			Fields: connector.Fields{"Subject": fmt.Sprintf("Task %d", i), "Status": "Not Started"}})
	}
	first, err := o.conn.Write(t.Context(), "Task", ws)
	if err != nil {
		t.Fatal(err)
	}
	// A retried batch (the answer was lost) must not duplicate a record.
	again, err := o.conn.Write(t.Context(), "Task", ws)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ws {
		if first[i].Err != nil || first[i].ID == "" || again[i].ID != first[i].ID {
			t.Fatalf("write %d: first %+v, again %+v", i, first[i], again[i])
		}
	}
	if n := o.sb.Counts()["Task"]; n != 250 {
		t.Errorf("the org holds %d tasks, want 250", n)
	}
	recs, _, _ := o.listAll("Task", "")
	if recs[0].Key == "" {
		t.Errorf("listed record has no Key: %+v", recs[0])
	}

	// Updates and deletes, in the batch's order; a second delete is
	// ErrNotFound.
	res, err := o.conn.Write(t.Context(), "Task", []connector.Write{
		{Op: connector.OpUpdate, ID: first[0].ID, Fields: connector.Fields{"Subject": "Renamed"}},
		{Op: connector.OpDelete, ID: first[1].ID},
	})
	if err != nil || res[0].Err != nil || res[1].Err != nil || res[0].ID != first[0].ID || res[1].ID != first[1].ID {
		t.Fatalf("update and delete: %+v, %v", res, err)
	}
	if got, _ := o.sb.Get("Task", first[0].ID); got["Subject"] != "Renamed" {
		t.Errorf("updated Subject = %v", got["Subject"])
	}
	res, err = o.conn.Write(t.Context(), "Task", []connector.Write{{Op: connector.OpDelete, ID: first[1].ID}})
	if err != nil || !errors.Is(res[0].Err, connector.ErrNotFound) {
		t.Errorf("second delete: %+v, %v; want ErrNotFound", res, err)
	}
}

func TestWritePartialFailure(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, nil)
	res, err := o.conn.Write(t.Context(), "Task", []connector.Write{
		{Op: connector.OpCreate, Key: "a", Fields: connector.Fields{"Subject": "Fine"}},
		{Op: connector.OpCreate, Key: "b", Fields: connector.Fields{"Subject": strings.Repeat("x", 300)}},
		{Op: connector.OpCreate, Key: "c", Fields: connector.Fields{"Subject": "Also fine"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var fe *connector.FieldError
	if !errors.As(res[1].Err, &fe) || fe.Field != "Subject" || !errors.Is(res[1].Err, connector.ErrInvalid) ||
		!strings.Contains(res[1].Err.Error(), "STRING_TOO_LONG") {
		t.Errorf("too long a Subject: %v", res[1].Err)
	}
	if res[0].Err != nil || res[2].Err != nil || res[0].ID == "" || res[2].ID == "" {
		t.Errorf("the valid records: %+v, %+v", res[0], res[2])
	}
	if n := o.sb.Counts()["Task"]; n != 2 {
		t.Errorf("the org holds %d tasks, want 2", n)
	}
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, nil)
	o.create("Task", map[string]any{"Subject": "One"})
	if _, err := o.conn.Changes(t.Context(), "Task", ""); err != nil { // reads limits and describe
		t.Fatal(err)
	}
	if err := o.sb.SetFaults(sandbox.Faults{RateLimits: 2, RetryAfter: 7 * time.Second}); err != nil {
		t.Fatal(err)
	}
	p, err := o.conn.Changes(t.Context(), "Task", "")
	if err != nil || len(p.Records) != 1 {
		t.Fatalf("after two 429s: %v, %d records", err, len(p.Records))
	}
	if err := o.sb.SetFaults(sandbox.Faults{Errors: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.conn.Changes(t.Context(), "Task", ""); err != nil {
		t.Fatalf("after a 503: %v", err)
	}
	o.mu.Lock()
	waits := append([]time.Duration(nil), o.waits...)
	o.mu.Unlock()
	if len(waits) != 3 || waits[0] != 7*time.Second || waits[1] != 7*time.Second || waits[2] < time.Second || waits[2] > 1500*time.Millisecond {
		t.Errorf("waits = %v, want [7s 7s 1s..1.5s]", waits)
	}

	// Past MaxRetries, a RetryError over ErrRateLimited.
	if err := o.sb.SetFaults(sandbox.Faults{RateLimits: 100, RetryAfter: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	_, err = o.conn.Changes(t.Context(), "Task", "")
	var re *connector.RetryError
	if !errors.As(err, &re) || !errors.Is(err, connector.ErrRateLimited) || re.After != 2*time.Second {
		t.Errorf("endless 429s: %v", err)
	}
	if n := len(o.waits); n != 3+salesforce.DefaultMaxRetries {
		t.Errorf("%d waits, want %d", n, 3+salesforce.DefaultMaxRetries)
	}
}

func TestBudget(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, func(c *salesforce.Config) { c.Budget, c.BulkThreshold = 3, -1 }) // no COUNT() before listings
	o.create("Task", map[string]any{"Subject": "One"})
	if _, err := o.conn.Changes(t.Context(), "Task", ""); err != nil { // describe + query
		t.Fatal(err)
	}
	before := o.calls.count("")
	_, err := o.conn.Changes(t.Context(), "Task", "") // query: the third call
	if err != nil {
		t.Fatal(err)
	}
	_, err = o.conn.Changes(t.Context(), "Task", "")
	if !errors.Is(err, connector.ErrRateLimited) {
		t.Fatalf("over budget: %v, want ErrRateLimited", err)
	}
	if got := o.calls.count(""); got != before+1 {
		t.Errorf("calls over budget reached the org: %d, want %d", got, before+1)
	}
	if used, limit := o.conn.Usage(); used == 0 || limit != 100000 {
		t.Errorf("Sforce-Limit-Info read as %d/%d", used, limit)
	}
}

func TestTokenRefresh(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, nil)
	o.create("Task", map[string]any{"Subject": "One"})
	if _, err := o.conn.Changes(t.Context(), "Task", ""); err != nil {
		t.Fatal(err)
	}
	o.sb.ExpireTokens()
	if _, err := o.conn.Changes(t.Context(), "Task", ""); err != nil {
		t.Fatalf("after the token expired: %v", err)
	}
	if n := o.calls.count("/services/oauth2/token"); n != 2 {
		t.Errorf("token calls = %d, want 2", n)
	}
}

func TestRevokedGrantNeedsReconnect(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, func(c *salesforce.Config) { c.Password = "wrong-password" })
	_, err := o.conn.Changes(t.Context(), "Task", "")
	if !errors.Is(err, salesforce.ErrReconnect) {
		t.Fatalf("refused login: %v, want ErrReconnect", err)
	}
	if strings.Contains(err.Error(), "wrong-password") || strings.Contains(err.Error(), sandbox.DefaultClientSecret) {
		t.Errorf("a secret in the error: %v", err)
	}
}
