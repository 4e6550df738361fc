package task_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// BenchmarkTaskSync is issue 4's benchmark: N reminder tasks (100,000 by
// default; CRMSYNC_BENCH_TASKS sets another) in a Salesforce sandbox on
// loopback, a first sync into a user's hub list on SQLite, then 1% of the
// tasks changed on each side and an incremental run. It reports each
// run's wall time and its API calls against the minimum: for the first
// sync the count and describe calls, then a Bulk 2.0 job (create, poll,
// one results page per 10,000 rows) or, below the Bulk threshold, REST
// query pages of 2,000; for the increment one query
// page per 2,000 changed rows, one getDeleted and ⌈changes / 200⌉
// Collections calls for the hub's changes.
func BenchmarkTaskSync(b *testing.B) {
	n := 100_000
	if v := os.Getenv("CRMSYNC_BENCH_TASKS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		var offset time.Duration
		clock := func() time.Time { return time.Now().Add(offset) }
		sb := sandbox.New(sandbox.Config{Clock: clock, DailyAPIRequests: 100_000_000,
			CustomFields: map[string][]sandbox.Field{"Task": {{Name: "crmsync_Key__c", Type: sandbox.TypeString, Length: 80, ExternalID: true, Unique: true}}},
			Seed:         sandbox.SeedConfig{Tasks: n, HistoryDays: 1}})
		srv := httptest.NewServer(sb)
		s := testenv.SQLite(b)
		var sf *salesforce.Connector
		kinds := &callKinds{seen: map[string]int{}}
		reg := registry.New()
		reg.Register(salesforce.SystemName, func(context.Context, store.Connection) (connector.Connector, error) {
			if sf == nil {
				var err error
				sf, err = salesforce.New(salesforce.Config{BaseURL: srv.URL, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
					Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword, Now: clock, Budget: 100_000_000,
					HTTPClient: &http.Client{Transport: kinds}})
				if err != nil {
					return nil, err
				}
			}
			return sf, nil
		})
		reg.Register(hubtask.SystemName, hubtask.Factory(s))
		engine, err := syncer.New(syncer.Config{Store: s, Definitions: []*syncer.Definition{task.Definition()}, Connectors: reg.Resolve, Now: clock})
		if err != nil {
			b.Fatal(err)
		}
		var org store.Org
		var u store.User
		var st store.Stream
		err = s.InTx(ctx, func(tx store.Tx) error {
			org = store.Org{Name: "Bench"}
			if err := tx.CreateOrg(ctx, &org); err != nil {
				return err
			}
			u = store.User{OrgID: org.ID, Email: "sam@bench.test"}
			if err := tx.CreateUser(ctx, &u); err != nil {
				return err
			}
			crm := store.Connection{OrgID: org.ID, System: salesforce.SystemName, Config: json.RawMessage(`{"base_url":"` + srv.URL + `"}`)}
			if err := tx.CreateConnection(ctx, &crm); err != nil {
				return err
			}
			st, err = task.SaveSettings(ctx, tx, u, task.SyncSettings{Enabled: true, SubjectTemplate: true}, clock().Add(-time.Minute))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		first, err := engine.Run(ctx, org.ID, st.ID, "bench")
		if err != nil {
			b.Fatal(err)
		}
		firstTook, firstCalls := time.Since(start), sf.Calls()
		b.StopTimer()
		b.Logf("first sync of %d tasks: %s", n, kinds.take())
		if first.Counts.Created < int64(n) {
			b.Fatalf("the first sync created %d of %d tasks", first.Counts.Created, n)
		}
		// 1% changed on each side, on distinct tasks.
		changes := max(n/100, 1)
		var hubs []store.HubTask
		_ = s.Read(ctx, func(tx store.Tx) (err error) {
			hubs, err = tx.ListHubTasks(ctx, store.HubTaskFilter{OrgID: org.ID, UserID: u.ID, Limit: 2 * changes})
			return err
		})
		var links map[string]store.Link
		_ = s.Read(ctx, func(tx store.Tx) error {
			ids := make([]string, 0, len(hubs))
			for _, h := range hubs {
				ids = append(ids, h.ID)
			}
			var err error
			links, err = tx.GetLinks(ctx, st.ID, store.SideB, ids)
			return err
		})
		offset += time.Minute
		for i, h := range hubs {
			if i < changes {
				h.Details = fmt.Sprintf("changed in the hub %d", i)
				h.Modified = clock()
				if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateHubTask(ctx, h) }); err != nil {
					b.Fatal(err)
				}
				continue
			}
			if err := sb.Update("Task", links[h.ID].AID, "", map[string]any{"Description": fmt.Sprintf("changed in the CRM %d", i)}); err != nil {
				b.Fatal(err)
			}
		}
		offset += 2 * time.Minute
		calls := sf.Calls()
		b.StartTimer()
		start = time.Now()
		inc, err := engine.Run(ctx, org.ID, st.ID, "bench")
		if err != nil {
			b.Fatal(err)
		}
		incTook, incCalls := time.Since(start), sf.Calls()-calls
		b.StopTimer()
		b.Logf("increment of %d + %d changes: %s", changes, changes, kinds.take())
		if inc.Counts.Updated < int64(2*changes) {
			b.Errorf("the increment updated %d, want %d", inc.Counts.Updated, 2*changes)
		}
		// The first sync needs the count that picks Bulk or REST and the
		// describe that names the fields, then the data: a Bulk job, one
		// status poll and its results pages, or REST pages of 2,000.
		minFirst := 2 + (n+1_999)/2_000
		if n > salesforce.DefaultBulkThreshold {
			minFirst = 2 + 2 + (n+salesforce.DefaultBulkPageSize-1)/salesforce.DefaultBulkPageSize
		}
		minInc := 1 + (changes+1_999)/2_000 + (changes+199)/200
		b.ReportMetric(firstTook.Seconds(), "first-s")
		b.ReportMetric(float64(firstCalls), "first-calls")
		b.ReportMetric(float64(firstCalls)/float64(minFirst), "first-calls/min")
		b.ReportMetric(incTook.Seconds(), "increment-s")
		b.ReportMetric(float64(incCalls), "increment-calls")
		b.ReportMetric(float64(incCalls)/float64(minInc), "increment-calls/min")
		b.ReportMetric(float64(n)/firstTook.Seconds(), "first-records/s")
		srv.Close()
	}
}

// callKinds counts the REST API calls by method and resource.
type callKinds struct {
	mu   sync.Mutex
	seen map[string]int
}

func (k *callKinds) RoundTrip(r *http.Request) (*http.Response, error) {
	if _, rest, ok := strings.Cut(r.URL.Path, "/services/data/"); ok {
		_, rest, _ = strings.Cut(rest, "/")
		if strings.HasPrefix(rest, "query/") {
			rest = "query/{next}"
		}
		if strings.HasPrefix(rest, "jobs/query/") {
			rest = "jobs/query/{id}" + strings.TrimPrefix(strings.TrimPrefix(rest, "jobs/query/"), strings.Split(strings.TrimPrefix(rest, "jobs/query/"), "/")[0])
		}
		k.mu.Lock()
		k.seen[r.Method+" "+rest]++
		k.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// take returns the counts since the last take and forgets them.
func (k *callKinds) take() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for kind, n := range k.seen {
		out = append(out, fmt.Sprintf("%s ×%d", kind, n))
	}
	sort.Strings(out)
	k.seen = map[string]int{}
	return strings.Join(out, ", ")
}
