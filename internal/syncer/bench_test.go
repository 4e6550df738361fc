package syncer_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// benchScale shrinks the benchmarks' record counts for a quick look:
// CRMSYNC_BENCH_SCALE=0.01 runs 1% of the documented sizes.
func benchScale(n int) int {
	if f, err := strconv.ParseFloat(os.Getenv("CRMSYNC_BENCH_SCALE"), 64); err == nil && f > 0 {
		return max(1, int(float64(n)*f))
	}
	return n
}

// generator is a source that makes its records on demand, so that a
// million-record import measures the engine, not the source's memory.
type generator struct {
	n     int
	page  int
	calls atomic.Int64
	t0    time.Time
}

func (g *generator) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: 200}
}

func (g *generator) Changes(_ context.Context, _ string, cursor string) (connector.Page, error) {
	g.calls.Add(1)
	from := 0
	if cursor != "" {
		from, _ = strconv.Atoi(cursor)
	}
	to := min(from+g.page, g.n)
	p := connector.Page{Cursor: strconv.Itoa(to), More: to < g.n}
	for i := from; i < to; i++ {
		p.Records = append(p.Records, connector.Record{
			ID: fmt.Sprintf("00T%012d", i), Created: g.t0, Modified: g.t0,
			Fields: connector.Fields{"Subject": "Follow up " + strconv.Itoa(i), "Status": "Not Started",
				"Priority": "Normal", "ActivityDate": "2026-11-26", "Description": "Call back about the renewal"},
		})
	}
	return p, nil
}

func (g *generator) Write(context.Context, string, []connector.Write) ([]connector.Result, error) {
	return nil, fmt.Errorf("generator: read-only")
}

// sink accepts writes and keeps nothing but a count.
type sink struct{ writes, calls atomic.Int64 }

func (s *sink) Capabilities() connector.Capabilities { return connector.Capabilities{BatchSize: 200} }

func (s *sink) Changes(context.Context, string, string) (connector.Page, error) {
	return connector.Page{Cursor: "0"}, nil
}

func (s *sink) Write(_ context.Context, _ string, ws []connector.Write) ([]connector.Result, error) {
	s.calls.Add(1)
	out := make([]connector.Result, len(ws))
	for i := range ws {
		out[i] = connector.Result{ID: "b" + strconv.FormatInt(s.writes.Add(1), 10)}
	}
	return out, nil
}

// peakHeap samples the heap until stop is closed and returns the peak.
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

func setupStream(tb testing.TB, st store.Store, def *syncer.Definition, settings map[string]any, a, b connector.Connector, now func() time.Time) (*syncer.Engine, store.Stream) {
	tb.Helper()
	ctx := context.Background()
	var s store.Stream
	conns := map[string]connector.Connector{}
	err := st.InTx(ctx, func(tx store.Tx) error {
		org := store.Org{Name: "Bench", TimeZone: "UTC"}
		if err := tx.CreateOrg(ctx, &org); err != nil {
			return err
		}
		ca := store.Connection{OrgID: org.ID, System: "a", Name: "A", Status: store.ConnActive}
		cb := store.Connection{OrgID: org.ID, System: "b", Name: "B", Status: store.ConnActive}
		if err := tx.CreateConnection(ctx, &ca); err != nil {
			return err
		}
		if err := tx.CreateConnection(ctx, &cb); err != nil {
			return err
		}
		conns[ca.ID], conns[cb.ID] = a, b
		raw, _ := json.Marshal(settings)
		s = store.Stream{OrgID: org.ID, Name: def.Name, Kind: def.Name, ConnA: ca.ID, ObjectA: "Task", ConnB: cb.ID,
			ObjectB: "task", Enabled: true, EnabledAt: now().Add(-time.Hour), Settings: raw, Schedule: store.Schedule{Kind: store.ScheduleManual}}
		return tx.CreateStream(ctx, &s)
	})
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{Store: st, Definitions: []*syncer.Definition{def}, Now: now,
		Connectors: func(_ context.Context, c store.Connection) (connector.Connector, error) { return conns[c.ID], nil }})
	if err != nil {
		tb.Fatal(err)
	}
	return eng, s
}

// BenchmarkImport imports new records through the engine into SQLite and,
// in the same run, inserts the same rows into SQLite with plain batched
// INSERTs. Reported: both rates, their ratio (goal >= 0.5) and the peak
// heap (goal <= 300 MiB).
func BenchmarkImport(b *testing.B) {
	n := benchScale(1_000_000)
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	for i := 0; i < b.N; i++ {
		raw := rawInsertRate(b, n)
		st := testenv.SQLite(b)
		gen := &generator{n: n, page: 2000, t0: now()}
		out := &sink{}
		def := task.Definition()
		eng, s := setupStream(b, st, def, map[string]any{task.SettingSubjectTemplate: true}, gen, out, now)
		def.A.InitialLookback = 0
		runtime.GC()
		stop := make(chan struct{})
		peak := peakHeap(stop)
		start := time.Now()
		run, err := eng.Run(context.Background(), s.OrgID, s.ID, "bench")
		took := time.Since(start)
		close(stop)
		if err != nil {
			b.Fatal(err)
		}
		if run.Counts.Created != int64(n) || out.writes.Load() != int64(n) {
			b.Fatalf("created %d, sink got %d, want %d", run.Counts.Created, out.writes.Load(), n)
		}
		rate := float64(n) / took.Seconds()
		b.ReportMetric(rate, "engine-records/s")
		b.ReportMetric(raw, "raw-insert-rows/s")
		b.ReportMetric(rate/raw, "engine/raw")
		b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(out.calls.Load())/float64((n+199)/200), "write-calls/min")
	}
}

// rawInsertRate inserts n rows of the same shape in batches of 2,000 per
// transaction, the fastest plain way, and returns rows per second.
func rawInsertRate(b *testing.B, n int) float64 {
	b.Helper()
	db, err := sql.Open("sqlite", filepath.Join(b.TempDir(), "raw.db")+"?_journal_mode=WAL&_synchronous=NORMAL")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE records (conn_id TEXT, object TEXT, id TEXT, fields TEXT, modified BIGINT, PRIMARY KEY (conn_id, object, id))`); err != nil {
		b.Fatal(err)
	}
	gen := &generator{n: n, page: 2000, t0: time.Now()}
	start := time.Now()
	cursor := ""
	for {
		p, _ := gen.Changes(context.Background(), "Task", cursor)
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare(`INSERT INTO records (conn_id, object, id, fields, modified) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range p.Records {
			raw, _ := json.Marshal(r.Fields)
			if _, err := stmt.Exec("c1", "Task", r.ID, string(raw), r.Modified.UnixMicro()); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		cursor = p.Cursor
		if !p.More {
			break
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkIncremental measures a run that syncs 1,000 changes (500 on each
// side) over 10,000 and over 1,000,000 linked records on SQLite: the median
// of five runs in a row, each also pulling the echoes of the previous one's
// writes. Its cost should follow the changes, not the base: goal ratio
// <= 1.5.
func BenchmarkIncremental(b *testing.B) {
	small, large := benchScale(10_000), benchScale(1_000_000)
	changes := min(1000, small)
	for i := 0; i < b.N; i++ {
		ts := incrementalRun(b, small, changes)
		tl := incrementalRun(b, large, changes)
		b.ReportMetric(float64(ts.Milliseconds()), "ms-small-base")
		b.ReportMetric(float64(tl.Milliseconds()), "ms-large-base")
		b.ReportMetric(tl.Seconds()/ts.Seconds(), "large/small")
	}
}

func incrementalRun(b *testing.B, base, changes int) time.Duration {
	b.Helper()
	ctx := context.Background()
	clk := newClock()
	st := testenv.SQLite(b)
	sa := memory.New(memory.Options{Name: "a", Now: clk.Now, PageSize: 2000})
	sb := memory.New(memory.Options{Name: "b", Now: clk.Now, PageSize: 2000})
	def := task.Definition()
	eng, s := setupStream(b, st, def, map[string]any{task.SettingSubjectTemplate: true}, sa, sb, clk.Now)
	// Seed a linked base directly: both systems, the mirror, links, cursors.
	aIDs, bIDs := make([]string, base), make([]string, base)
	const chunk = 5000
	for start := 0; start < base; start += chunk {
		var recs []store.Record
		var links []store.Link
		for i := start; i < min(start+chunk, base); i++ {
			fa := connector.Fields{"Subject": "Task " + strconv.Itoa(i), "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-11-26"}
			fb := connector.Fields{"name": "Task " + strconv.Itoa(i), "status": "Open", "priority": "Normal", "due": "2026-11-26"}
			aIDs[i], bIDs[i] = sa.Create("Task", fa), sb.Create("task", fb)
			ra, _ := json.Marshal(fa)
			rb, _ := json.Marshal(fb)
			recs = append(recs,
				store.Record{ConnID: s.ConnA, Object: "Task", ID: aIDs[i], Fields: ra, Created: clk.Now(), Modified: clk.Now()},
				store.Record{ConnID: s.ConnB, Object: "task", ID: bIDs[i], Fields: rb, Created: clk.Now(), Modified: clk.Now()})
			bs, _ := json.Marshal(map[string]map[string]any{
				"name": {"a": fa["Subject"], "b": fb["name"]}, "status": {"a": "Not Started", "b": "Open"},
				"priority": {"a": "Normal", "b": "Normal"}, "due": {"a": "2026-11-26", "b": "2026-11-26"}, "details": {"a": nil, "b": nil}})
			links = append(links, store.Link{StreamID: s.ID, AID: aIDs[i], BID: bIDs[i], Base: bs, Created: clk.Now(), Updated: clk.Now()})
		}
		err := st.InTx(ctx, func(tx store.Tx) error {
			if err := tx.PutRecords(ctx, recs); err != nil {
				return err
			}
			return tx.PutLinks(ctx, links)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	err := st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutCursor(ctx, store.Cursor{StreamID: s.ID, Side: store.SideA, Value: sa.Cursor()}); err != nil {
			return err
		}
		return tx.PutCursor(ctx, store.Cursor{StreamID: s.ID, Side: store.SideB, Value: sb.Cursor()})
	})
	if err != nil {
		b.Fatal(err)
	}
	// Start from a steady state: the seeding's write-ahead log checkpointed,
	// as it would be long before an incremental run in a live hub.
	if _, err := st.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	// Steady state: several runs in a row, each syncing its own changes and
	// the echoes of the previous run's writes; the median run is reported.
	changes = min(changes, base)
	const rounds = 5
	took := make([]time.Duration, rounds)
	for round := 0; round < rounds; round++ {
		clk.Advance(time.Minute)
		for i := 0; i < changes; i++ {
			j := (i*(base/changes) + round*7) % base // distinct records, spread over the base
			if i%2 == 0 {
				_ = sa.Update("Task", aIDs[j], connector.Fields{"Description": fmt.Sprintf("changed %d/%d", round, i)})
			} else {
				_ = sb.Update("task", bIDs[j], connector.Fields{"details": fmt.Sprintf("changed %d/%d", round, i)})
			}
		}
		start := time.Now()
		run, err := eng.Run(ctx, s.OrgID, s.ID, "bench")
		took[round] = time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if run.Counts.Updated != int64(changes) {
			b.Fatalf("base %d round %d: updated %d, want %d", base, round, run.Counts.Updated, changes)
		}
	}
	slices.Sort(took)
	return took[rounds/2]
}
