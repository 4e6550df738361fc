package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/contact"
	"github.com/crmsync/crmsync/internal/http/api"
	graphsb "github.com/crmsync/crmsync/internal/sandbox/msgraph"
	"github.com/crmsync/crmsync/internal/store"
)

// waitTimeout bounds every wait of these tests: River polls SQLite about
// once a second, and the race detector on two cores is slow.
const waitTimeout = 60 * time.Second

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		select {
		case <-tick.C:
		case <-t.Context().Done():
			t.Fatalf("test ended waiting for %s", what)
		}
	}
}

// getJSON GETs url with the token and decodes the answer into v.
func getJSON(t *testing.T, url, token string, v any) {
	t.Helper()
	code, body := request(t, "GET", url, token)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// succeededRuns lists the stream's succeeded runs.
func succeededRuns(t *testing.T, base, token, streamID string) []api.Run {
	t.Helper()
	var runs struct{ Items []api.Run }
	getJSON(t, base+"/api/v1/streams/"+streamID+"/runs", token, &runs)
	var out []api.Run
	for _, r := range runs.Items {
		if r.Status == store.RunSucceeded {
			out = append(out, r)
		}
	}
	return out
}

var (
	adminTokenRE  = regexp.MustCompile(`export ADMIN_TOKEN=(` + api.TokenPrefix + `[A-Za-z0-9_-]+)`)
	memberTokenRE = regexp.MustCompile(`export SAM_TOKEN=(` + api.TokenPrefix + `[A-Za-z0-9_-]+)`)
)

// demoRun is one start of the demo command in-process.
type demoRun struct {
	base        string
	adminToken  string
	memberToken string
	stdout      *syncBuffer
	stderr      *syncBuffer
	cancel      context.CancelFunc
	done        chan int
}

// startDemo runs "crmsync demo" on a free loopback port with no CRMSYNC_*
// variables, as on a fresh clone, and waits for its guide.
func startDemo(t *testing.T, dir string, flags ...string) *demoRun {
	t.Helper()
	var stdout, stderr syncBuffer
	a := newApp(func(string) (string, bool) { return "", false }, &stdout, &stderr)
	a.demoActivity = time.Hour // the data holds still while the test looks
	addr := make(chan string, 1)
	a.onListen = func(s string) { addr <- s }
	ctx, cancel := context.WithCancel(t.Context())
	d := &demoRun{stdout: &stdout, stderr: &stderr, cancel: cancel, done: make(chan int, 1)}
	args := append([]string{"demo", "--data-dir", dir, "--addr", "127.0.0.1:0"}, flags...)
	go func() { d.done <- a.run(ctx, args) }()
	select {
	case s := <-addr:
		d.base = "http://" + s
	case code := <-d.done:
		t.Fatalf("demo exited %d before listening:\n%s", code, stderr.String())
	case <-time.After(waitTimeout):
		t.Fatal("demo did not start listening")
	}
	waitFor(t, "the demo's guide", func() bool { return memberTokenRE.MatchString(stdout.String()) })
	d.adminToken = adminTokenRE.FindStringSubmatch(stdout.String())[1]
	d.memberToken = memberTokenRE.FindStringSubmatch(stdout.String())[1]
	return d
}

// stop cancels the demo as Ctrl-C does and checks that it stops cleanly.
func (d *demoRun) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		if code != 0 {
			t.Errorf("demo exited %d after Ctrl-C:\n%s", code, d.stderr.String())
		}
	case <-time.After(waitTimeout):
		t.Fatal("demo did not stop")
	}
	for _, tok := range []string{d.adminToken, d.memberToken} {
		if strings.Contains(d.stderr.String(), tok) {
			t.Error("a token reached the log")
		}
	}
}

// stream finds the demo's one stream through the API.
func (d *demoRun) stream(t *testing.T) api.Stream {
	t.Helper()
	return d.streamOf(t, "tasks")
}

// streamOf is the demo's one stream of kind.
func (d *demoRun) streamOf(t *testing.T, kind string) api.Stream {
	t.Helper()
	var streams struct{ Items []api.Stream }
	getJSON(t, d.base+"/api/v1/streams", d.adminToken, &streams)
	var out []api.Stream
	for _, s := range streams.Items {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%s streams = %+v", kind, streams.Items)
	}
	return out[0]
}

// connections finds the demo's CRM and the member's hub list through the
// API, and checks that the list is the member's own.
func (d *demoRun) connections(t *testing.T) (crm, hub api.Connection) {
	t.Helper()
	var conns struct{ Items []api.Connection }
	getJSON(t, d.base+"/api/v1/connections", d.adminToken, &conns)
	for _, c := range conns.Items {
		switch c.System {
		case salesforce.SystemName:
			crm = c
		case hubtask.SystemName:
			hub = c
		}
	}
	if crm.Name != demoCRMName || crm.UserID != "" || hub.Name != demoHubName {
		t.Fatalf("connections = %+v", conns.Items)
	}
	// The CRM connection's settings name the sandbox; its secrets stay out
	// of the API.
	var cfg salesforce.ConnectionConfig
	if err := json.Unmarshal(crm.Config, &cfg); err != nil || !strings.HasPrefix(cfg.BaseURL, "http://127.0.0.1:") || cfg.ExternalIDField != demoSFKeyField {
		t.Errorf("CRM connection config %s (%v)", crm.Config, err)
	}
	if _, body := request(t, "GET", d.base+"/api/v1/connections", d.adminToken); strings.Contains(body, demoSFPassword) {
		t.Error("the API shows the Salesforce password")
	}
	var me api.Me
	getJSON(t, d.base+"/api/v1/me", d.memberToken, &me)
	if me.User.Email != demoMemberEmail || hub.UserID != me.User.ID {
		t.Errorf("the hub list belongs to %q, the member token to %+v", hub.UserID, me.User)
	}
	return crm, hub
}

// hubTasks lists the member's hub tasks through the API, by name.
func (d *demoRun) hubTasks(t *testing.T) map[string]api.Task {
	t.Helper()
	var list struct{ Items []api.Task }
	getJSON(t, d.base+"/api/v1/tasks?limit=500", d.memberToken, &list)
	byName := map[string]api.Task{}
	for _, h := range list.Items {
		byName[h.Name] = h
	}
	return byName
}

// demoSandboxOf is the running demo's Salesforce sandbox behind the CRM
// connection conn.
func demoSandboxOf(t *testing.T, conn api.Connection) *demoSandbox {
	t.Helper()
	v, ok := demoSandboxes.Load(conn.ID)
	if !ok {
		t.Fatalf("no Salesforce sandbox for connection %s", conn.ID)
	}
	return v.(*demoSandbox)
}

// crmBySubject lists the Salesforce sandbox's live Tasks by subject.
func crmBySubject(t *testing.T, sb *demoSandbox) map[string]map[string]any {
	t.Helper()
	recs, err := demoSandboxTasks(t.Context(), sb.org, sb.base)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, r := range recs {
		s, _ := r["Subject"].(string)
		out[s] = r
	}
	return out
}

// checkDemoSynced checks, after a first sync, the member's hub list through
// the API against the seeded CRM tasks, and the CRM against the seeded hub
// tasks.
func checkDemoSynced(t *testing.T, d *demoRun, crm *demoSandbox) {
	t.Helper()
	hub := d.hubTasks(t)
	crmTasks := crmBySubject(t, crm)
	// SPEC T2: Not Started ↔ Open, Completed ↔ Complete, Normal and High
	// as they are. Other values (In Progress, Waiting on someone else,
	// Low) are not synced: the hub task has its default, Open or Normal,
	// and the CRM task keeps its own value.
	status := map[string]string{"Not Started": store.HubTaskOpen, "Completed": store.HubTaskComplete}
	priority := map[string]string{"Normal": store.HubTaskNormal, "High": store.HubTaskHigh}
	orDefault := func(m map[string]string, v, def string) string {
		if got, ok := m[v]; ok {
			return got
		}
		return def
	}
	for _, want := range demoCRMTasks {
		got, ok := hub[want.subject]
		if !ok {
			t.Errorf("CRM task %q is not in the member's hub list", want.subject)
			continue
		}
		if s := orDefault(status, want.status, store.HubTaskOpen); got.Status != s {
			t.Errorf("hub task %q: status %q, want %q (CRM %q)", want.subject, got.Status, s, want.status)
		}
		if p := orDefault(priority, want.priority, store.HubTaskNormal); got.Priority != p {
			t.Errorf("hub task %q: priority %q, want %q (CRM %q)", want.subject, got.Priority, p, want.priority)
		}
		c := crmTasks[want.subject]
		if got.Due != c["ActivityDate"] || got.Details != want.description {
			t.Errorf("hub task %+v, CRM task %v", got, c)
		}
		if c["Status"] != want.status || c["Priority"] != want.priority {
			t.Errorf("CRM task %q now %v %v, seeded %q %q: a hub default came back", want.subject,
				c["Status"], c["Priority"], want.status, want.priority)
		}
		if owner := crmTasks[demoCRMTasks[0].subject]["OwnerId"]; c["OwnerId"] != owner || owner == nil {
			t.Errorf("CRM task %q is owned by %v, the first by %v", want.subject, c["OwnerId"], owner)
		}
	}
	// SPEC T3: hub tasks created after enabling reach the CRM; older ones
	// do not, and stay in the hub.
	crmStatus := map[string]string{store.HubTaskOpen: "Not Started", store.HubTaskComplete: "Completed"}
	for _, h := range demoHubTasks {
		r, ok := crmTasks[h.name]
		if key, _ := r[demoSFKeyField].(string); !ok || key == "" {
			t.Errorf("hub task %q was not pushed to the CRM with a key: %v", h.name, r)
			continue
		}
		if r["Status"] != crmStatus[h.status] || r["Priority"] != h.priority {
			t.Errorf("pushed hub task %q: CRM %v", h.name, r)
		}
	}
	for _, name := range demoOldHubTasks {
		if _, ok := crmTasks[name]; ok {
			t.Errorf("hub task %q predates the stream but reached the CRM", name)
		}
		if _, ok := hub[name]; !ok {
			t.Errorf("hub task %q is gone from the hub", name)
		}
	}
	if n, want := len(crmTasks), len(demoCRMTasks)+len(demoHubTasks); n != want {
		t.Errorf("the CRM holds %d tasks, want %d", n, want)
	}
	if n, want := len(hub), len(demoCRMTasks)+len(demoHubTasks)+len(demoOldHubTasks); n != want {
		t.Errorf("the hub list holds %d tasks, want %d", n, want)
	}
}

// waitFirstSync waits for a succeeded run that created records.
func waitFirstSync(t *testing.T, d *demoRun, streamID string) {
	t.Helper()
	waitFor(t, "the first sync run", func() bool {
		for _, r := range succeededRuns(t, d.base, d.adminToken, streamID) {
			if r.Counts.Created > 0 {
				return true
			}
		}
		return false
	})
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")

	d := startDemo(t, dir)
	key, err := os.ReadFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatalf("data dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, demoDBFile)); err != nil {
		t.Errorf("data dir: %v", err)
	}
	out := d.stdout.String()
	for _, want := range []string{
		d.base + "/healthz", "/api/v1/streams", "/runs", "/api/v1/conflicts", "/api/v1/quarantine", "/metrics",
		`$SAM_TOKEN" ` + d.base + "/api/v1/tasks\n", `$SAM_TOKEN" ` + d.base + "/api/v1/tasks/today\n",
		"/complete", "recreates the\ndemo database",
		"salesforce sandbox: http://127.0.0.1:", "/services/oauth2/token", "/query?q=SELECT+Subject,Status,ActivityDate+FROM+Task",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("guide lacks %q:\n%s", want, out)
		}
	}
	if code, body := request(t, "GET", d.base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz: %d %s", code, body)
	}

	s := d.stream(t)
	if !s.Enabled || s.Kind != "tasks" || s.ObjectA != "Task" || s.ObjectB != "task" || s.Schedule.Kind != "interval" || s.Schedule.Minutes != 1 || s.UserID == "" {
		t.Errorf("stream = %+v", s)
	}
	if !strings.Contains(out, "/api/v1/streams/"+s.ID+"/sync") {
		t.Errorf("guide does not name stream %s", s.ID)
	}

	// The first sync runs by itself.
	waitFirstSync(t, d, s.ID)
	crmConn, _ := d.connections(t)
	crm := demoSandboxOf(t, crmConn)
	if !strings.Contains(out, "salesforce sandbox: "+crm.base+" ") {
		t.Errorf("guide does not name the sandbox %s", crm.base)
	}
	checkDemoSynced(t, d, crm)
	checkDemoContacts(t, d, crmConn)

	// SPEC T6: completing in the hub reaches the CRM, for a task imported
	// from the CRM and for one the hub pushed there.
	hub := d.hubTasks(t)
	done := []string{demoCRMTasks[0].subject, demoHubTasks[1].name}
	for _, name := range done {
		h := hub[name]
		if h.Status != store.HubTaskOpen {
			t.Fatalf("hub task %q is %q before the test completes it", name, h.Status)
		}
		code, body := request(t, "POST", d.base+"/api/v1/tasks/"+h.ID+"/complete", d.memberToken)
		var got api.Task
		if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil || got.Status != store.HubTaskComplete {
			t.Fatalf("complete %q: %d %s", name, code, body)
		}
	}
	// Sync now, as the stream's owner. A run already under way may have
	// read the hub before the completes, so ask again now and then.
	var asked time.Time
	waitFor(t, "the completes to reach the CRM", func() bool {
		if time.Since(asked) > 3*time.Second {
			code, body := request(t, "POST", d.base+"/api/v1/streams/"+s.ID+"/sync", d.memberToken)
			if code != http.StatusAccepted || !strings.Contains(body, `"id"`) {
				t.Fatalf("sync now: %d %s", code, body)
			}
			asked = time.Now()
		}
		crmTasks := crmBySubject(t, crm)
		for _, name := range done {
			if crmTasks[name]["Status"] != "Completed" {
				return false
			}
		}
		return true
	})
	d.stop(t)
	if _, err := http.Get(crm.base + "/services/data"); err == nil {
		t.Error("the Salesforce sandbox still answers after the demo stopped")
	}
	if _, ok := demoSandboxes.Load(crmConn.ID); ok {
		t.Error("the stopped demo's sandbox is still registered")
	}

	// A restart recreates the database: a new org with new tokens, the old
	// ones refused; the key file is kept; everything is seeded and synced
	// again from the start.
	d2 := startDemo(t, dir)
	defer d2.stop(t)
	if key2, err := os.ReadFile(filepath.Join(dir, "secret.key")); err != nil || !bytes.Equal(key2, key) {
		t.Errorf("the key file changed across starts (%v)", err)
	}
	for _, tok := range []string{d.adminToken, d.memberToken} {
		if code, _ := request(t, "GET", d2.base+"/api/v1/me", tok); code != http.StatusUnauthorized {
			t.Errorf("a token of the previous start answers %d, want 401", code)
		}
	}
	s2 := d2.stream(t)
	if s2.ID == s.ID {
		t.Error("the restart kept the stream")
	}
	waitFirstSync(t, d2, s2.ID)
	crmConn2, _ := d2.connections(t)
	checkDemoSynced(t, d2, demoSandboxOf(t, crmConn2))
	if !strings.Contains(d2.stderr.String(), "demo: database recreated and seeded") {
		t.Errorf("the restart does not say it recreated the database:\n%s", d2.stderr.String())
	}
}

// TestDemoFreshDatabase starts the demo over a database it cannot read:
// the demo replaces it. --reset, which once asked for that, still parses.
func TestDemoFreshDatabase(t *testing.T) {
	t.Parallel()
	for _, flags := range [][]string{nil, {"--reset"}} {
		t.Run(strings.Join(append([]string{"demo"}, flags...), " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range []string{demoDBFile, demoDBFile + "-wal"} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("not a database"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			d := startDemo(t, dir, flags...)
			if code, body := request(t, "GET", d.base+"/api/v1/me", d.memberToken); code != http.StatusOK {
				t.Errorf("me: %d %s", code, body)
			}
			d.stop(t)
		})
	}
}

// TestDemoAddrInUse checks that a demo whose address is taken, as by a
// demo already running there, stops before it deletes the database.
func TestDemoAddrInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, demoDBFile)
	if err := os.WriteFile(db, []byte("a running demo's database"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	a := newApp(func(string) (string, bool) { return "", false }, &syncBuffer{}, &stderr)
	if code := a.run(t.Context(), []string{"demo", "--data-dir", dir, "--addr", ln.Addr().String()}); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "another demo running?") {
		t.Errorf("stderr = %s", stderr.String())
	}
	if b, err := os.ReadFile(db); err != nil || string(b) != "a running demo's database" {
		t.Errorf("the database was touched: %q %v", b, err)
	}
}

func TestDemoActivity(t *testing.T) {
	t.Parallel()
	db := openHubDB(t, "sqlite:"+filepath.Join(t.TempDir(), "hub.db"))
	defer db.Close()
	now := time.Now()
	var logs syncBuffer
	log := newLogger(&logs, config.Default())
	sb, err := startDemoSandbox(t.Context(), now, log)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.stop()
	sfConfig, sfCreds, err := sb.connection()
	if err != nil {
		t.Fatal(err)
	}
	st, err := seedDemo(t.Context(), db.Store, now, time.UTC, sfConfig, sfCreds)
	if err != nil {
		t.Fatal(err)
	}
	// listCRM lists the sandbox's Tasks, and prints them to compare.
	listCRM := func() (n int, snapshot string) {
		t.Helper()
		recs, err := demoSandboxTasks(t.Context(), sb.org, sb.base)
		if err != nil {
			t.Fatal(err)
		}
		return len(recs), fmt.Sprint(recs)
	}
	// listHub lists the member's hub tasks and the last Seq of the list.
	listHub := func() (n int, seq int64) {
		t.Helper()
		err := db.Store.Read(t.Context(), func(tx store.Tx) error {
			hs, err := tx.ListHubTasks(t.Context(), store.HubTaskFilter{OrgID: st.org.ID, UserID: st.member.ID})
			for _, h := range hs {
				seq = max(seq, h.Seq)
			}
			n = len(hs)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, seq
	}
	act := &demoActivity{crm: sb.org, crmBase: sb.base, store: db.Store, orgID: st.org.ID, userID: st.member.ID, loc: time.UTC,
		rnd: rand.New(rand.NewPCG(1, 2)), log: log}
	crmBefore, crmSnap := listCRM()
	if crmBefore != len(demoCRMTasks) {
		t.Errorf("the sandbox holds %d Tasks, want %d", crmBefore, len(demoCRMTasks))
	}
	hubBefore, hubSeq := listHub()
	const steps = 60
	for range steps {
		act.step(t.Context())
	}
	out := logs.String()
	if n := strings.Count(out, `msg="demo: activity"`); n != steps {
		t.Errorf("%d activity lines for %d steps:\n%s", n, steps, out)
	}
	for _, side := range []string{"crm", "hub"} {
		for _, action := range []string{"complete", "reschedule", "add"} {
			if !strings.Contains(out, "side="+side+" action="+action) {
				t.Errorf("no %s on the %s side in %d steps", action, side, steps)
			}
		}
	}
	if strings.Contains(out, "error=") {
		t.Errorf("an edit failed:\n%s", out)
	}
	hubAfter, hubSeqAfter := listHub()
	crmAfter, crmSnapAfter := listCRM()
	if crmSnapAfter == crmSnap || hubSeqAfter == hubSeq {
		t.Error("a side saw no change")
	}
	if crmAfter+hubAfter != crmBefore+hubBefore+act.added {
		t.Errorf("added %d tasks, lists do not add up", act.added)
	}
}

func TestDemoURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"[::]:8080":      "http://localhost:8080",
		"0.0.0.0:80":     "http://localhost:80",
		"[::1]:9000":     "http://[::1]:9000",
	} {
		if got := demoURL(in); got != want {
			t.Errorf("demoURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// checkDemoContacts waits for Sam's CRM contacts and leads to reach his
// mailbox in the Graph sandbox, each filed under its fixed category, and
// for his mailbox contacts filed under the picked category to reach the
// CRM (SPEC C2, C3, C6).
func checkDemoContacts(t *testing.T, d *demoRun, crmConn api.Connection) {
	t.Helper()
	v, ok := demoMailboxes.Load(crmConn.ID)
	if !ok {
		t.Fatal("no Graph sandbox registered for the demo")
	}
	mb := v.(*demoMailbox)
	for _, kind := range []string{"contacts", "contact-leads"} {
		waitFirstSync(t, d, d.streamOf(t, kind).ID)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {graphsb.DefaultClientID},
		"client_secret": {graphsb.DefaultClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	res, err := http.PostForm(mb.tokenURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	var list struct {
		Value []struct {
			Categories     []string `json:"categories"`
			EmailAddresses []struct {
				Address string `json:"address"`
			} `json:"emailAddresses"`
			Surname string `json:"surname"`
		} `json:"value"`
	}
	getJSON(t, mb.base+"/v1.0/users/"+mb.upn()+"/contacts?$top=500", tok.AccessToken, &list)
	filed := map[string][]string{}
	for _, c := range list.Value {
		key := c.Surname
		if len(c.EmailAddresses) > 0 {
			key = c.EmailAddresses[0].Address
		}
		filed[key] = c.Categories
	}
	for who, want := range map[string]string{"cora@umbrella.example": contact.CategoryCurrentCustomer,
		"pia@hooli.example": contact.CategoryCurrentProspect, "lars@vandelay.example": contact.CategoryLostProspect,
		"willy@wonka.example": contact.CategoryCompany, "solveig@example.org": contact.CategoryPerson, "Lane": contact.CategoryLead} {
		if !slices.Contains(filed[who], want) {
			t.Errorf("mailbox contact %s filed under %v, want %s", who, filed[who], want)
		}
	}
	var sync api.ContactSync
	getJSON(t, d.base+"/api/v1/contacts/sync", d.memberToken, &sync)
	imported := int64(0)
	for _, st := range sync.Streams {
		if st.LastRun == nil || st.LastRun.Status != store.RunSucceeded {
			t.Errorf("contact stream %s: last run %+v", st.Kind, st.LastRun)
			continue
		}
		if st.Kind == "contacts" {
			imported = st.LastRun.Counts.Created
		}
	}
	if !slices.Equal(sync.Import, []string{demoImportCategory}) || imported == 0 {
		t.Errorf("contact sync = %+v; created %d", sync.Settings, imported)
	}
}
