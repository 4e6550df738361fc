package salesforce_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/testenv"
)

// benchN is n scaled by CRMSYNC_BENCH_SCALE (0.01 runs 1% of the
// documented sizes, for a quick look).
func benchN(n int) int {
	if f, err := strconv.ParseFloat(os.Getenv("CRMSYNC_BENCH_SCALE"), 64); err == nil && f > 0 {
		return max(1, int(float64(n)*f))
	}
	return n
}

// helperEnv asks the test binary, started again by a benchmark, to serve
// a sandbox org seeded with that many Contacts instead of running tests.
const helperEnv = "CRMSYNC_SALESFORCE_SANDBOX_CONTACTS"

// TestHelperSandboxProcess is no test: run by a benchmark in a process of
// its own (so that the sandbox's memory does not count as the hub's), it
// serves a seeded sandbox on a loopback port, prints its URL and serves
// until its standard input closes.
func TestHelperSandboxProcess(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(helperEnv))
	if err != nil {
		t.Skip("a helper process for the benchmarks, started by them")
	}
	sb := sandbox.New(sandbox.Config{CustomFields: map[string][]sandbox.Field{"Contact": {keyField}}, DailyAPIRequests: 10_000_000})
	if _, err := sb.Seed(sandbox.SeedConfig{Accounts: max(n/1000, 1), Contacts: n}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sb}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("SANDBOX http://%s\n", ln.Addr())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the benchmark closes it
	_ = srv.Close()
	os.Exit(0)
}

// sandboxProcess starts the helper process with n Contacts and returns its
// base URL; the process ends with the benchmark.
func sandboxProcess(b *testing.B, n int) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSandboxProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "SANDBOX "); ok {
			go func() {
				for sc.Scan() { // drain
				}
			}()
			return u
		}
	}
	b.Fatalf("the sandbox process said no URL: %v", sc.Err())
	return ""
}

// apiCounter counts REST API calls (not OAuth) and the refused ones.
type apiCounter struct {
	calls, refused atomic.Int64
	mu             sync.Mutex
	byKind         map[string]int
}

func (a *apiCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if !strings.HasPrefix(r.URL.Path, "/services/data/") {
		return resp, err
	}
	a.calls.Add(1)
	if err == nil && (resp.StatusCode == 429 || resp.StatusCode == 503) {
		a.refused.Add(1)
	}
	kind := r.Method + " " + r.URL.Path
	if i := strings.Index(kind, "/services/data/"); i >= 0 {
		rest := kind[i+len("/services/data/"):]
		_, rest, _ = strings.Cut(rest, "/")
		if strings.HasPrefix(rest, "query/") {
			rest = "query/{next}"
		}
		if strings.HasPrefix(rest, "jobs/query/") {
			rest = "jobs/query/{id}" + map[bool]string{true: "/results", false: ""}[strings.HasSuffix(rest, "/results")]
		}
		kind = r.Method + " " + rest
	}
	a.mu.Lock()
	if a.byKind == nil {
		a.byKind = map[string]int{}
	}
	a.byKind[kind]++
	a.mu.Unlock()
	return resp, err
}

// peakHeap samples the heap until stop is closed and sends the peak.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse+ms.StackInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// contactFields is what the benchmarks select: an address book's fields.
var contactFields = []string{"FirstName", "LastName", "Email", "Phone", "Title", "AccountId", "MailingCity"}

// BenchmarkInitialImport imports every Contact of a sandbox org seeded
// with 1,000,000 of them (in a process of its own, on loopback) through the
// connector: with Bulk API 2.0 (the default above 10,000 records) and with
// REST query pages of 2,000, and through the engine into SQLite. Reported:
// records/s, the hub's peak heap (goal <= 300 MiB), API calls and their
// ratio to the method's minimum (goal <= 1.05): for Bulk, one job, one
// status poll and ceil(n / 10,000) results pages; for REST, ceil(n / 2,000)
// query pages.
func BenchmarkInitialImport(b *testing.B) {
	n := benchN(1_000_000)
	base := sandboxProcess(b, n)
	for _, mode := range []string{"bulk", "rest", "engine-sqlite"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				api := &apiCounter{}
				cfg := salesforce.Config{BaseURL: base, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
					Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword, HTTPClient: &http.Client{Transport: api},
					Fields: map[string][]string{"Contact": contactFields}}
				minimum := 2 + (n+salesforce.DefaultBulkPageSize-1)/salesforce.DefaultBulkPageSize
				if mode == "rest" {
					cfg.BulkThreshold = -1
					minimum = (n + 1999) / 2000
				}
				conn, err := salesforce.New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				stop := make(chan struct{})
				peak := peakHeap(stop)
				start := time.Now()
				got := 0
				if mode == "engine-sqlite" {
					got = importThroughEngine(b, conn)
				} else {
					seen := 0
					for cur := ""; ; {
						p, err := conn.Changes(context.Background(), "Contact", cur)
						if err != nil {
							b.Fatal(err)
						}
						seen += len(p.Records)
						if cur = p.Cursor; !p.More {
							break
						}
					}
					got = seen
				}
				took := time.Since(start)
				close(stop)
				if got != n {
					b.Fatalf("imported %d contacts, want %d", got, n)
				}
				b.ReportMetric(float64(n)/took.Seconds(), "records/s")
				b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(api.calls.Load()), "api-calls")
				b.ReportMetric(float64(minimum), "min-calls")
				b.ReportMetric(float64(api.calls.Load())/float64(minimum), "calls/min")
				b.Logf("%s: calls by kind %v", mode, api.byKind)
			}
		})
	}
}

// contactDef is a minimal address-book stream for the engine benchmark.
func contactDef() *syncer.Definition {
	return &syncer.Definition{
		Name: "bench-contacts",
		Fields: []syncer.Field{
			{Name: "first", A: "FirstName", B: "first"}, {Name: "last", A: "LastName", B: "last"},
			{Name: "email", A: "Email", B: "email"}, {Name: "phone", A: "Phone", B: "phone"},
			{Name: "title", A: "Title", B: "title"},
		},
		A:        syncer.SideRules{Create: syncer.CreateAll, Delete: syncer.DeletePolicy{Mode: syncer.DeletePropagate}},
		B:        syncer.SideRules{Create: syncer.CreateAfterEnable, Delete: syncer.DeletePolicy{Mode: syncer.DeletePropagate}},
		Conflict: syncer.NewestWins,
	}
}

// countingSink is side B of the engine benchmark: it takes writes and
// keeps only their number.
type countingSink struct{ writes atomic.Int64 }

func (s *countingSink) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: 200}
}

func (s *countingSink) Changes(context.Context, string, string) (connector.Page, error) {
	return connector.Page{Cursor: "0"}, nil
}

func (s *countingSink) Write(_ context.Context, _ string, ws []connector.Write) ([]connector.Result, error) {
	out := make([]connector.Result, len(ws))
	for i := range ws {
		out[i] = connector.Result{ID: "b" + strconv.FormatInt(s.writes.Add(1), 10)}
	}
	return out, nil
}

// importThroughEngine runs the engine's first import of the org's
// Contacts into a new SQLite store, created on a counting sink, and
// returns how many the sink received.
func importThroughEngine(b *testing.B, conn *salesforce.Connector) int {
	b.Helper()
	ctx := context.Background()
	st := testenv.SQLite(b)
	out := &countingSink{}
	def := contactDef()
	var org store.Org
	var s store.Stream
	conns := map[string]connector.Connector{}
	err := st.InTx(ctx, func(tx store.Tx) error {
		org = store.Org{Name: "Bench", TimeZone: "UTC"}
		if err := tx.CreateOrg(ctx, &org); err != nil {
			return err
		}
		ca := store.Connection{OrgID: org.ID, System: salesforce.SystemName, Name: "Salesforce"}
		cb := store.Connection{OrgID: org.ID, System: "sink", Name: "Address book"}
		if err := tx.CreateConnection(ctx, &ca); err != nil {
			return err
		}
		if err := tx.CreateConnection(ctx, &cb); err != nil {
			return err
		}
		conns[ca.ID], conns[cb.ID] = conn, out
		s = store.Stream{OrgID: org.ID, Name: "contacts", Kind: def.Name, ConnA: ca.ID, ObjectA: "Contact", ConnB: cb.ID,
			ObjectB: "contact", Enabled: true, EnabledAt: time.Now().Add(-time.Hour), Settings: json.RawMessage(`{}`)}
		return tx.CreateStream(ctx, &s)
	})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{Store: st, Definitions: []*syncer.Definition{def},
		Connectors: func(_ context.Context, c store.Connection) (connector.Connector, error) { return conns[c.ID], nil }})
	if err != nil {
		b.Fatal(err)
	}
	run, err := eng.Run(ctx, org.ID, s.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if run.Counts.Created != out.writes.Load() {
		b.Fatalf("the run counts %d created, the sink %d", run.Counts.Created, out.writes.Load())
	}
	return int(out.writes.Load())
}

// BenchmarkWriteChanged writes 10,000 changed Contacts through sObject
// Collections while the sandbox injects faults (5% 503, 5% 429, 5% lost
// answers of writes carried out, 2% of records UNABLE_TO_LOCK_ROW), and
// writes again the records that failed, as the engine's next run would.
// Reported: Collections calls, the calls refused (each one retry), the
// calls that re-wrote failed records, and calls less both over the
// minimum ceil(10,000 / 200) = 50: goal exactly 1.
func BenchmarkWriteChanged(b *testing.B) {
	n := benchN(10_000)
	minimum := (n + 199) / 200
	for b.Loop() {
		b.StopTimer()
		sb := sandbox.New(sandbox.Config{CustomFields: map[string][]sandbox.Field{"Contact": {keyField}}, DailyAPIRequests: 10_000_000})
		if _, err := sb.Seed(sandbox.SeedConfig{Accounts: 10, Contacts: n}); err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(sb)
		api := &apiCounter{}
		var sleeps atomic.Int64
		conn, err := salesforce.New(salesforce.Config{BaseURL: srv.URL, ClientID: sandbox.DefaultClientID,
			ClientSecret: sandbox.DefaultClientSecret, Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword,
			HTTPClient: &http.Client{Transport: api}, Fields: map[string][]string{"Contact": contactFields}, MaxRetries: 20,
			Sleep: func(ctx context.Context, _ time.Duration) error { sleeps.Add(1); return ctx.Err() }})
		if err != nil {
			b.Fatal(err)
		}
		var ids []string
		for cur := ""; ; {
			p, err := conn.Changes(context.Background(), "Contact", cur)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range p.Records {
				ids = append(ids, r.ID)
			}
			if cur = p.Cursor; !p.More {
				break
			}
		}
		if err := sb.SetFaults(sandbox.Faults{ErrorRate: 0.05, RateLimitRate: 0.05, RetryAfter: time.Second,
			LostResponseRate: 0.05, PartialFailureRate: 0.02}); err != nil {
			b.Fatal(err)
		}
		ws := make([]connector.Write, len(ids))
		for i, id := range ids {
			ws[i] = connector.Write{Op: connector.OpUpdate, ID: id, Fields: connector.Fields{"Title": "Changed " + strconv.Itoa(i)}}
		}
		before, refusedBefore := api.calls.Load(), api.refused.Load()
		b.StartTimer()
		start := time.Now()
		res, err := conn.Write(context.Background(), "Contact", ws)
		if err != nil {
			b.Fatal(err)
		}
		firstPass := api.calls.Load() - before
		var rewrites int64
		for round := 0; ; round++ {
			var again []connector.Write
			for i, r := range res {
				if r.Err != nil {
					again = append(again, ws[i])
				}
			}
			if len(again) == 0 {
				break
			}
			if round == 10 {
				b.Fatalf("%d records still fail after 10 rounds", len(again))
			}
			c0 := api.calls.Load()
			if res, err = conn.Write(context.Background(), "Contact", again); err != nil {
				b.Fatal(err)
			}
			ws = again
			rewrites += api.calls.Load() - c0
		}
		took := time.Since(start)
		b.StopTimer()
		calls := api.calls.Load() - before
		refused := api.refused.Load() - refusedBefore
		srv.Close()
		for i, id := range ids {
			if got, _ := sb.Get("Contact", id); got["Title"] != "Changed "+strconv.Itoa(i) {
				b.Fatalf("contact %s: Title %v", id, got["Title"])
			}
		}
		// Every call beyond the minimum is a retry of a refused call or a
		// re-write of records a fault failed.
		if firstPass-refused > int64(minimum) {
			b.Errorf("first pass: %d calls, %d refused: %d calls beyond the %d minimum were not retries", firstPass, refused, firstPass-refused-int64(minimum), minimum)
		}
		b.ReportMetric(float64(n)/took.Seconds(), "records/s")
		b.ReportMetric(float64(calls), "collections-calls")
		b.ReportMetric(float64(refused), "retries")
		b.ReportMetric(float64(rewrites), "rewrite-calls")
		b.ReportMetric(float64(calls-refused-rewrites)/float64(minimum), "calls-less-faults/min")
		b.StartTimer()
	}
}
