package cli

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/http/api"
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

var tokenRE = regexp.MustCompile(`export TOKEN=(` + api.TokenPrefix + `[A-Za-z0-9_-]+)`)

// demoRun is one start of the demo command in-process.
type demoRun struct {
	base   string
	token  string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

// startDemo runs "crmsync demo" on a free loopback port with no CRMSYNC_*
// variables, as on a fresh clone, and waits for its guide.
func startDemo(t *testing.T, dir string) *demoRun {
	t.Helper()
	var stdout, stderr syncBuffer
	a := newApp(func(string) (string, bool) { return "", false }, &stdout, &stderr)
	a.demoActivity = time.Hour // the data holds still while the test looks
	addr := make(chan string, 1)
	a.onListen = func(s string) { addr <- s }
	ctx, cancel := context.WithCancel(t.Context())
	d := &demoRun{stdout: &stdout, stderr: &stderr, cancel: cancel, done: make(chan int, 1)}
	go func() { d.done <- a.run(ctx, []string{"demo", "--data-dir", dir, "--addr", "127.0.0.1:0"}) }()
	select {
	case s := <-addr:
		d.base = "http://" + s
	case code := <-d.done:
		t.Fatalf("demo exited %d before listening:\n%s", code, stderr.String())
	case <-time.After(waitTimeout):
		t.Fatal("demo did not start listening")
	}
	waitFor(t, "the demo's guide", func() bool { return tokenRE.MatchString(stdout.String()) })
	d.token = tokenRE.FindStringSubmatch(stdout.String())[1]
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
	if strings.Contains(d.stderr.String(), d.token) {
		t.Error("the token reached the log")
	}
}

// demoConnections finds the demo's two connections through the API.
func demoConnections(t *testing.T, d *demoRun) (crm, hub api.Connection) {
	t.Helper()
	var conns struct{ Items []api.Connection }
	getJSON(t, d.base+"/api/v1/connections", d.token, &conns)
	for _, c := range conns.Items {
		switch c.System {
		case systemMemory:
			crm = c
		case systemMemoryTasks:
			hub = c
		}
	}
	if crm.Name != demoCRMName || hub.Name != demoHubName {
		t.Fatalf("connections = %+v", conns.Items)
	}
	return crm, hub
}

// checkDemoSynced checks that the hub list holds every seeded CRM task, as
// the T2 field map says, and the CRM the hub tasks created after enabling.
func checkDemoSynced(t *testing.T, crmSys, hubSys *memory.System) {
	t.Helper()
	hubByName := map[string]connector.Fields{}
	for _, r := range hubSys.List(demoObjectB) {
		hubByName[r.Fields["name"].(string)] = r.Fields
	}
	mapped := map[string]string{"Not Started": "Open", "Completed": "Complete", "Normal": "Normal", "High": "High"}
	crmBySubject := map[string]connector.Record{}
	for _, r := range crmSys.List(demoObjectA) {
		crmBySubject[r.Fields["Subject"].(string)] = r
	}
	for _, want := range demoCRMTasks {
		got, ok := hubByName[want.subject]
		if !ok {
			t.Errorf("CRM task %q is not in the hub list", want.subject)
			continue
		}
		// SPEC T2: unmapped values (In Progress, Low, ...) are not synced.
		if got["status"] != nilIfEmpty(mapped[want.status]) || got["priority"] != nilIfEmpty(mapped[want.priority]) {
			t.Errorf("hub task %q: status %v priority %v, from CRM %q %q", want.subject, got["status"], got["priority"], want.status, want.priority)
		}
		crm := crmBySubject[want.subject]
		if got["due"] != crm.Fields["ActivityDate"] || got["details"] != want.description {
			t.Errorf("hub task %q = %v, CRM task %v", want.subject, got, crm.Fields)
		}
	}
	// SPEC T3: hub tasks created after enabling reach the CRM; older ones
	// do not.
	for _, h := range demoHubTasks {
		if r, ok := crmBySubject[h.name]; !ok || r.Key == "" {
			t.Errorf("hub task %q was not pushed to the CRM", h.name)
		}
	}
	for _, name := range demoOldHubTasks {
		if _, ok := crmBySubject[name]; ok {
			t.Errorf("hub task %q predates the stream but reached the CRM", name)
		}
		if _, ok := hubByName[name]; !ok {
			t.Errorf("hub task %q is gone from the hub", name)
		}
	}
	if n := len(crmSys.List(demoObjectA)); n != len(demoCRMTasks)+len(demoHubTasks) {
		t.Errorf("the CRM holds %d tasks, want %d", n, len(demoCRMTasks)+len(demoHubTasks))
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")

	d := startDemo(t, dir)
	for _, f := range []string{"secret.key", demoDBFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("data dir: %v", err)
		}
	}
	out := d.stdout.String()
	for _, want := range []string{d.base + "/healthz", "/api/v1/streams", "/runs", "/api/v1/conflicts", "/api/v1/quarantine", "-X POST", "/sync", "/metrics"} {
		if !strings.Contains(out, want) {
			t.Errorf("guide lacks %q:\n%s", want, out)
		}
	}
	if code, body := request(t, "GET", d.base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz: %d %s", code, body)
	}

	var streams struct{ Items []api.Stream }
	getJSON(t, d.base+"/api/v1/streams", d.token, &streams)
	if len(streams.Items) != 1 {
		t.Fatalf("streams = %+v", streams.Items)
	}
	s := streams.Items[0]
	if !s.Enabled || s.Kind != "tasks" || s.ObjectA != "Task" || s.ObjectB != "task" || s.Schedule.Kind != "interval" || s.Schedule.Minutes != 1 || s.UserID == "" {
		t.Errorf("stream = %+v", s)
	}
	if !strings.Contains(out, "/api/v1/streams/"+s.ID+"/sync") {
		t.Errorf("guide does not name stream %s", s.ID)
	}

	// The first sync runs by itself.
	var runs []api.Run
	waitFor(t, "the first sync run", func() bool {
		runs = succeededRuns(t, d.base, d.token, s.ID)
		return len(runs) > 0
	})
	if runs[0].Counts.Created == 0 {
		t.Errorf("first run created nothing: %+v", runs[0])
	}
	crm, hub := demoConnections(t, d)
	crmSys, hubSys := memorySystems.Get(crm.ID), memorySystems.Get(hub.ID)
	checkDemoSynced(t, crmSys, hubSys)

	// "sync now" through the API answers with a job id (a new run, or the
	// first one while River has not yet recorded it as done).
	code, body := request(t, "POST", d.base+"/api/v1/streams/"+s.ID+"/sync", d.token)
	if code != http.StatusAccepted || !strings.Contains(body, `"id"`) {
		t.Errorf("sync now: %d %s", code, body)
	}
	d.stop(t)

	// A restart keeps the org and its history, issues a new token, seeds
	// fresh systems and syncs them from a clean state.
	restart := time.Now()
	d2 := startDemo(t, dir)
	defer d2.stop(t)
	if d2.token == d.token {
		t.Error("the restart printed the old token")
	}
	waitFor(t, "the first sync after the restart", func() bool {
		for _, r := range succeededRuns(t, d2.base, d2.token, s.ID) {
			if r.Started.After(restart) && r.Counts.Created > 0 {
				return true
			}
		}
		return false
	})
	crm2, hub2 := demoConnections(t, d2)
	if crm2.ID != crm.ID || hub2.ID != hub.ID {
		t.Errorf("the restart made new connections")
	}
	if memorySystems.Get(hub.ID) == hubSys {
		t.Error("the restart kept the old in-memory systems")
	}
	checkDemoSynced(t, memorySystems.Get(crm.ID), memorySystems.Get(hub.ID))
	if !strings.Contains(d2.stderr.String(), "first_start=false") {
		t.Errorf("the restart does not say it re-seeded:\n%s", d2.stderr.String())
	}
}

func TestDemoReset(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, demoDBFile)
	if err := os.WriteFile(db, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := newApp(func(string) (string, bool) { return "", false }, &syncBuffer{}, &syncBuffer{})
	a.demoActivity = time.Hour
	addr := make(chan string, 1)
	a.onListen = func(s string) { addr <- s }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, []string{"demo", "--data-dir", dir, "--addr", "127.0.0.1:0", "--reset"}) }()
	select {
	case <-addr:
	case code := <-done:
		t.Fatalf("demo --reset exited %d over a broken database", code)
	case <-time.After(waitTimeout):
		t.Fatal("demo --reset did not start listening")
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(waitTimeout):
		t.Fatal("demo --reset did not stop")
	}
}

func TestDemoActivity(t *testing.T) {
	t.Parallel()
	crm, hub := seedDemoSystems(time.Now().Add(-time.Minute), time.Now())
	var logs syncBuffer
	act := &demoActivity{crm: crm, hub: hub, loc: time.UTC, rnd: rand.New(rand.NewPCG(1, 2)), log: newLogger(&logs, config.Default())}
	crmBefore, hubBefore := len(crm.List(demoObjectA)), len(hub.List(demoObjectB))
	crmSeq, hubSeq := crm.Cursor(), hub.Cursor()
	const steps = 60
	for range steps {
		act.step(t.Context())
	}
	out := logs.String()
	if n := strings.Count(out, `msg="demo: activity"`); n != steps {
		t.Errorf("%d activity lines for %d steps:\n%s", n, steps, out)
	}
	for _, action := range []string{"action=complete", "action=reschedule", "action=add", "side=crm", "side=hub"} {
		if !strings.Contains(out, action) {
			t.Errorf("no %s in %d steps", action, steps)
		}
	}
	if strings.Contains(out, "error=") {
		t.Errorf("an edit failed:\n%s", out)
	}
	if crm.Cursor() == crmSeq || hub.Cursor() == hubSeq {
		t.Error("a side saw no change")
	}
	if len(crm.List(demoObjectA))+len(hub.List(demoObjectB)) != crmBefore+hubBefore+act.added {
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
