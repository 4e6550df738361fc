package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/crmsync/crmsync/internal/store"
)

// waitLimit bounds every wait on a signal; reaching it fails the test.
const waitLimit = 20 * time.Second

// clock is a stubbable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

type call struct{ org, stream, trigger string }

// fakeRunner records its calls and the most runs of one stream it saw at
// once. When gate is set, each run waits for it to yield (or close).
type fakeRunner struct {
	mu      sync.Mutex
	running map[string]int
	most    map[string]int
	calls   []call
	started chan call
	gate    chan struct{}
	// fail, when set, decides the outcome of the stream's nth run (from 1);
	// it may panic.
	fail func(n int, c call) error
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{running: map[string]int{}, most: map[string]int{}, started: make(chan call, 100)}
}

func (r *fakeRunner) RunStream(ctx context.Context, orgID, streamID, trigger string) error {
	c := call{orgID, streamID, trigger}
	r.mu.Lock()
	r.running[streamID]++
	r.most[streamID] = max(r.most[streamID], r.running[streamID])
	r.calls = append(r.calls, c)
	n := r.countLocked(streamID)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running[streamID]--
		r.mu.Unlock()
	}()
	r.started <- c
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.fail != nil {
		return r.fail(n, c)
	}
	return nil
}

func (r *fakeRunner) countLocked(streamID string) int {
	n := 0
	for _, c := range r.calls {
		if c.stream == streamID {
			n++
		}
	}
	return n
}

func (r *fakeRunner) count(streamID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.countLocked(streamID)
}

func (r *fakeRunner) mostAtOnce(streamID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.most[streamID]
}

// fixture is an org in America/New_York with a store, a runner and a clock
// stopped at 09:00:30 local on the spring-forward day.
type fixture struct {
	store  store.Store
	runner *fakeRunner
	clock  *clock
	org    store.Org
}

var fixtureNow = time.Date(2026, 3, 8, 13, 0, 30, 0, time.UTC) // 09:00:30 EDT

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	f := &fixture{store: st, runner: newFakeRunner(), clock: &clock{t: fixtureNow}}
	f.org = f.addOrg(t, "America/New_York")
	return f
}

func (f *fixture) addOrg(t *testing.T, zone string) store.Org {
	t.Helper()
	o := store.Org{Name: "Acme " + zone, TimeZone: zone}
	if err := f.store.InTx(context.Background(), func(tx store.Tx) error { return tx.CreateOrg(context.Background(), &o) }); err != nil {
		t.Fatal(err)
	}
	return o
}

// addStream creates s (in the fixture's org unless s.OrgID is set).
func (f *fixture) addStream(t *testing.T, s store.Stream) store.Stream {
	t.Helper()
	if s.OrgID == "" {
		s.OrgID = f.org.ID
	}
	if s.Name == "" {
		s.Name = "stream"
	}
	if err := f.store.InTx(context.Background(), func(tx store.Tx) error { return tx.CreateStream(context.Background(), &s) }); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) stream(t *testing.T, s store.Stream) store.Stream {
	t.Helper()
	var got store.Stream
	err := f.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		got, err = tx.GetStream(context.Background(), s.OrgID, s.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f *fixture) config(t *testing.T) Config {
	return Config{
		Logger:       testLogger(t),
		Workers:      4,
		TickInterval: time.Hour, // only the tick River runs on start
		Runner:       f.runner,
		Store:        f.store,
		Clock:        f.clock.Now,
		testOnly:     true,
	}
}

// testLogger logs warnings and errors to the test log until the test ends.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close) // registered first, so it runs after the queues stop
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// start migrates q, starts it, and stops it when the test ends.
func start(t *testing.T, q *Queue) {
	t.Helper()
	ctx := context.Background()
	if err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}

// recorder keeps every job event of some queues, for tests to wait on.
type recorder struct {
	mu     sync.Mutex
	events []*river.Event
	signal chan struct{} // a value after each new event
}

// record subscribes to the given event kinds of every queue in qs.
func record(t *testing.T, qs []*Queue, kinds ...river.EventKind) *recorder {
	t.Helper()
	r := &recorder{signal: make(chan struct{}, 1)}
	for _, q := range qs {
		ch, cancel := q.client.Subscribe(kinds...)
		t.Cleanup(cancel)
		go func() {
			for ev := range ch {
				r.mu.Lock()
				r.events = append(r.events, ev)
				r.mu.Unlock()
				select {
				case r.signal <- struct{}{}:
				default:
				}
			}
		}()
	}
	return r
}

// waitUntil waits until cond holds for the events so far.
func (r *recorder) waitUntil(t *testing.T, what string, cond func([]*river.Event) bool) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		r.mu.Lock()
		ok := cond(r.events)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.signal:
		case <-deadline:
			t.Fatalf("no %s within %s", what, waitLimit)
		}
	}
}

// wait waits for an event of the given kind about job id and returns the
// job as that event saw it.
func (r *recorder) wait(t *testing.T, kind river.EventKind, id int64) *rivertype.JobRow {
	t.Helper()
	var job *rivertype.JobRow
	r.waitUntil(t, fmt.Sprintf("%s event for job %d", kind, id), func(evs []*river.Event) bool {
		for _, ev := range evs {
			if ev.Kind == kind && ev.Job.ID == id {
				job = ev.Job
				return true
			}
		}
		return false
	})
	return job
}

// receive waits for a value from ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("no %s within %s", what, waitLimit)
		panic("unreachable")
	}
}

func syncJobs(t *testing.T, q *Queue) []*rivertype.JobRow {
	t.Helper()
	res, err := q.client.JobList(context.Background(), river.NewJobListParams().Kinds(SyncArgs{}.Kind()).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	return res.Jobs
}

func unmarshal(j *rivertype.JobRow, v any) error { return json.Unmarshal(j.EncodedArgs, v) }

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	_, err := NewSQLite(nil, Config{Workers: -1})
	want := "job: config: Runner is required; Store is required; Workers must be 0 (default 4) or more, got -1"
	if err == nil || err.Error() != want {
		t.Fatalf("New = %v, want %q", err, want)
	}
}

func TestSyncNow(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			st, newNode := db.open(t)
			f := newFixture(t, st)
			s := f.addStream(t, store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleInterval, Minutes: 30},
				LastRun: fixtureNow.Add(-time.Minute)})
			off := f.addStream(t, store.Stream{Enabled: false, Schedule: store.Schedule{Kind: store.ScheduleManual}})
			q := newNode(t, f.config(t))
			done := record(t, []*Queue{q}, river.EventKindJobCompleted, river.EventKindJobCancelled)
			start(t, q)
			ctx := context.Background()

			id, err := q.SyncNow(ctx, f.org.ID, s.ID)
			if err != nil {
				t.Fatalf("SyncNow: %v", err)
			}
			if got := receive(t, f.runner.started, "run"); got != (call{f.org.ID, s.ID, TriggerManual}) {
				t.Fatalf("runner called with %+v", got)
			}
			done.wait(t, river.EventKindJobCompleted, id)

			got := f.stream(t, s)
			if !got.LastRun.Equal(fixtureNow) || !got.NextRun.Equal(fixtureNow.Add(30*time.Minute)) {
				t.Errorf("after the run LastRun, NextRun = %s, %s; want %s, %s", got.LastRun, got.NextRun, fixtureNow, fixtureNow.Add(30*time.Minute))
			}

			if _, err := q.SyncNow(ctx, f.org.ID, off.ID); !errors.Is(err, ErrDisabled) {
				t.Errorf("SyncNow of a disabled stream = %v, want ErrDisabled", err)
			}
			if _, err := q.SyncNow(ctx, f.org.ID, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SyncNow of an unknown stream = %v, want store.ErrNotFound", err)
			}
			if _, err := q.SyncNow(ctx, "other-org", s.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SyncNow of another org's stream = %v, want store.ErrNotFound", err)
			}

			// A run queued for a stream deleted meanwhile is cancelled, not retried.
			res, err := q.insertSync(ctx, f.org.ID, "deleted", TriggerWebhook)
			if err != nil {
				t.Fatal(err)
			}
			done.wait(t, river.EventKindJobCancelled, res.Job.ID)
			if n := f.runner.count("deleted"); n != 0 {
				t.Errorf("runner ran a deleted stream %d times", n)
			}
		})
	}
}

// One stream never runs twice at once: a second SyncNow while the first run
// is going answers ErrAlreadyQueued with the running job's id.
func TestOneRunPerStreamAtATime(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			st, newNode := db.open(t)
			f := newFixture(t, st)
			f.runner.gate = make(chan struct{})
			a := f.addStream(t, store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleManual}})
			b := f.addStream(t, store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleManual}})
			q := newNode(t, f.config(t))
			done := record(t, []*Queue{q}, river.EventKindJobCompleted)
			start(t, q)
			ctx := context.Background()

			first, err := q.SyncNow(ctx, f.org.ID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			receive(t, f.runner.started, "first run of a")

			// While a runs: more requests for a, from several callers at once.
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() {
					id, err := q.SyncNow(ctx, f.org.ID, a.ID)
					if !errors.Is(err, ErrAlreadyQueued) || id != first {
						errs <- fmt.Errorf("SyncNow during a run = %d, %v; want %d, ErrAlreadyQueued", id, err, first)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}

			// Another stream still runs beside it: the limit is per stream.
			other, err := q.SyncNow(ctx, f.org.ID, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := receive(t, f.runner.started, "run of b"); got.stream != b.ID {
				t.Fatalf("second run started was %+v, want stream b", got)
			}

			close(f.runner.gate)
			done.wait(t, river.EventKindJobCompleted, first)
			done.wait(t, river.EventKindJobCompleted, other)

			// Once the run is over, the next request queues a new run.
			again, err := q.SyncNow(ctx, f.org.ID, a.ID)
			if err != nil || again == first {
				t.Fatalf("SyncNow after the run = %d, %v; want a new job", again, err)
			}
			done.wait(t, river.EventKindJobCompleted, again)

			if n := f.runner.count(a.ID); n != 2 {
				t.Errorf("stream a ran %d times, want 2", n)
			}
			if m := f.runner.mostAtOnce(a.ID); m != 1 {
				t.Errorf("stream a ran %d times at once, want 1", m)
			}
		})
	}
}

// A failing or panicking run is retried by River; the process goes on, and
// SyncNow brings a run waiting out its backoff forward.
func TestFailedRunsAreRetried(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			st, newNode := db.open(t)
			f := newFixture(t, st)
			panics := f.addStream(t, store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleManual}})
			fails := f.addStream(t, store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleManual}})
			f.runner.fail = func(n int, c call) error {
				switch {
				case n > 1:
					return nil
				case c.stream == panics.ID:
					panic("boom")
				default:
					return errors.New("salesforce: 503 service unavailable")
				}
			}
			q := newNode(t, f.config(t))
			ev := record(t, []*Queue{q}, river.EventKindJobCompleted, river.EventKindJobFailed)
			start(t, q)
			ctx := context.Background()

			for _, tc := range []struct {
				stream store.Stream
				want   string
			}{
				{panics, "boom"},
				{fails, "job: sync stream " + fails.ID + ": salesforce: 503 service unavailable"},
			} {
				id, err := q.SyncNow(ctx, f.org.ID, tc.stream.ID)
				if err != nil {
					t.Fatal(err)
				}
				failed := ev.wait(t, river.EventKindJobFailed, id)
				// River keeps a short backoff in state available with a
				// future scheduled_at, a longer one in state retryable.
				waiting := failed.State == rivertype.JobStateRetryable || failed.State == rivertype.JobStateAvailable
				if !waiting || !failed.ScheduledAt.After(failed.Errors[0].At) || len(failed.Errors) != 1 || failed.Errors[0].Error != tc.want {
					t.Fatalf("after the first attempt: state %s at %s, errors %+v; want a retry later with %q",
						failed.State, failed.ScheduledAt, failed.Errors, tc.want)
				}
				again, err := q.SyncNow(ctx, f.org.ID, tc.stream.ID)
				if again != id || !errors.Is(err, ErrAlreadyQueued) {
					t.Fatalf("SyncNow while waiting to retry = %d, %v; want %d, ErrAlreadyQueued", again, err, id)
				}
				if j, err := q.client.JobGet(ctx, id); err != nil {
					t.Fatal(err)
				} else if j.State != rivertype.JobStateCompleted && j.State != rivertype.JobStateRunning && j.ScheduledAt.After(time.Now()) {
					t.Errorf("after SyncNow the retry is still due at %s (%s), want now", j.ScheduledAt, j.State)
				}
				completed := ev.wait(t, river.EventKindJobCompleted, id)
				if completed.Attempt != 2 {
					t.Errorf("completed on attempt %d, want 2", completed.Attempt)
				}
				if n := f.runner.count(tc.stream.ID); n != 2 {
					t.Errorf("runner called %d times, want 2", n)
				}
			}
		})
	}
}

// SPEC X1: the tick queues the enabled streams whose schedule is due, in
// their org's time zone, and records the others' next run.
func TestTickQueuesDueStreamsOnly(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			st, newNode := db.open(t)
			f := newFixture(t, st)
			paris := f.addOrg(t, "Europe/Paris")
			mars := f.addOrg(t, "Mars/Olympus_Mons")
			stale := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			interval := func(m int) store.Schedule { return store.Schedule{Kind: store.ScheduleInterval, Minutes: m} }
			daily := func(at string) store.Schedule { return store.Schedule{Kind: store.ScheduleDaily, At: at} }
			type want struct {
				queued  bool
				nextRun time.Time
			}
			cases := []struct {
				name string
				s    store.Stream
				want want
			}{
				{"interval due", store.Stream{Enabled: true, Schedule: interval(10), LastRun: fixtureNow.Add(-15 * time.Minute)}, want{queued: true}},
				{"interval not due", store.Stream{Enabled: true, Schedule: interval(10), LastRun: fixtureNow.Add(-5 * time.Minute)},
					want{nextRun: fixtureNow.Add(5 * time.Minute)}},
				{"daily due at 09:00 New York", store.Stream{Enabled: true, Schedule: daily("09:00"), LastRun: time.Date(2026, 3, 7, 14, 0, 5, 0, time.UTC)}, want{queued: true}},
				{"daily at 10:00 New York not yet", store.Stream{Enabled: true, Schedule: daily("10:00"), LastRun: time.Date(2026, 3, 7, 15, 0, 5, 0, time.UTC)},
					want{nextRun: time.Date(2026, 3, 8, 14, 0, 0, 0, time.UTC)}},
				{"never ran", store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleHourly}}, want{queued: true}},
				{"continuous polled a minute ago", store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleContinuous}, LastRun: fixtureNow.Add(-time.Minute)},
					want{nextRun: fixtureNow.Add(time.Minute)}},
				{"manual", store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleManual}, NextRun: stale}, want{}},
				{"disabled", store.Stream{Enabled: false, Schedule: interval(1), LastRun: stale, NextRun: stale}, want{}},
				{"invalid schedule", store.Stream{Enabled: true, Schedule: interval(0), LastRun: stale}, want{}},
				{"daily due at 14:00 Paris", store.Stream{OrgID: paris.ID, Enabled: true, Schedule: daily("14:00"), LastRun: time.Date(2026, 3, 7, 13, 0, 5, 0, time.UTC)}, want{queued: true}},
				{"daily at 15:00 Paris not yet", store.Stream{OrgID: paris.ID, Enabled: true, Schedule: daily("15:00"), LastRun: time.Date(2026, 3, 7, 14, 0, 5, 0, time.UTC)},
					want{nextRun: time.Date(2026, 3, 8, 14, 0, 0, 0, time.UTC)}},
				{"unknown zone counts as UTC", store.Stream{OrgID: mars.ID, Enabled: true, Schedule: daily("13:00"), LastRun: time.Date(2026, 3, 7, 13, 0, 5, 0, time.UTC)}, want{queued: true}},
				{"org gone", store.Stream{OrgID: "gone", Enabled: true, Schedule: interval(1)}, want{}},
			}
			ids := map[string]string{} // stream id -> case name
			var wantQueued []string
			for i := range cases {
				cases[i].s.Name = cases[i].name
				cases[i].s = f.addStream(t, cases[i].s)
				ids[cases[i].s.ID] = cases[i].name
				if cases[i].want.queued {
					wantQueued = append(wantQueued, cases[i].name)
				}
			}
			q := newNode(t, f.config(t))
			ctx := context.Background()
			if err := q.Migrate(ctx); err != nil {
				t.Fatal(err)
			}

			// Not started: the tick is called directly and the jobs it
			// queues stay available to be listed.
			err := q.tick(ctx)
			if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "get org gone") {
				t.Errorf("tick = %v, want it to report the missing org", err)
			}
			var queued []string
			for _, j := range syncJobs(t, q) {
				var args SyncArgs
				if err := unmarshal(j, &args); err != nil {
					t.Fatal(err)
				}
				if args.Trigger != TriggerSchedule {
					t.Errorf("%s queued with trigger %q", ids[args.StreamID], args.Trigger)
				}
				queued = append(queued, ids[args.StreamID])
			}
			slices.Sort(queued)
			slices.Sort(wantQueued)
			if !slices.Equal(queued, wantQueued) {
				t.Errorf("queued %q\nwant   %q", queued, wantQueued)
			}
			for _, c := range cases {
				if c.want.queued {
					continue
				}
				if got := f.stream(t, c.s).NextRun; !got.Equal(c.want.nextRun) {
					t.Errorf("%s: NextRun = %s, want %s", c.name, got, c.want.nextRun)
				}
			}

			// The next tick finds the due streams already queued.
			_ = q.tick(ctx)
			if n := len(syncJobs(t, q)); n != len(wantQueued) {
				t.Errorf("after a second tick %d sync jobs, want %d", n, len(wantQueued))
			}
		})
	}
}

// Several nodes share one database; River runs the tick on the elected
// leader only and the per-stream unique job covers the rest, so a daily
// stream runs exactly once.
func TestScheduledRunHappensOnce(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			st, newNode := db.open(t)
			f := newFixture(t, st)
			s := f.addStream(t, store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleDaily, At: "09:00"},
				LastRun: time.Date(2026, 3, 7, 14, 0, 5, 0, time.UTC)}) // 09:00:05 EST yesterday
			cfg := f.config(t)
			cfg.TickInterval = 20 * time.Millisecond

			// Two nodes start together: their River migrations run at once
			// and must not trip over each other.
			nodes := []*Queue{newNode(t, cfg), newNode(t, cfg)}
			var wg sync.WaitGroup
			for _, q := range nodes {
				wg.Go(func() {
					if err := q.Migrate(context.Background()); err != nil {
						t.Errorf("concurrent Migrate: %v", err)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
			completed := record(t, nodes, river.EventKindJobCompleted)
			for _, q := range nodes {
				start(t, q)
			}

			if got := receive(t, f.runner.started, "scheduled run"); got != (call{f.org.ID, s.ID, TriggerSchedule}) {
				t.Fatalf("runner called with %+v", got)
			}
			// Wait for the run to complete, then for three more ticks.
			completed.waitUntil(t, "run and three ticks after it", func(evs []*river.Event) bool {
				synced, ticks := false, 0
				for _, ev := range evs {
					switch ev.Job.Kind {
					case SyncArgs{}.Kind():
						synced = true
					case TickArgs{}.Kind():
						if synced {
							ticks++
						}
					}
				}
				return ticks >= 3
			})
			if n := f.runner.count(s.ID); n != 1 {
				t.Errorf("stream ran %d times, want 1", n)
			}
			if jobs := syncJobs(t, nodes[0]); len(jobs) != 1 {
				t.Errorf("%d sync jobs in River, want 1", len(jobs))
			}
			got := f.stream(t, s)
			wantNext := time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC) // 09:00 EDT
			if !got.LastRun.Equal(fixtureNow) || !got.NextRun.Equal(wantNext) {
				t.Errorf("LastRun, NextRun = %s, %s; want %s, %s", got.LastRun, got.NextRun, fixtureNow, wantNext)
			}
			// River's migrations are idempotent.
			for _, q := range nodes {
				if err := q.Migrate(context.Background()); err != nil {
					t.Errorf("second Migrate: %v", err)
				}
			}
		})
	}
}

// Stop waits for running syncs; when its context ends first, it cancels
// them, and River puts the interrupted run back in the queue.
func TestStopCancelsRunsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			st, newNode := db.open(t)
			f := newFixture(t, st)
			f.runner.gate = make(chan struct{}) // never opens: runs end with their context
			s := f.addStream(t, store.Stream{Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleManual}})
			q := newNode(t, f.config(t))
			start(t, q)
			ctx := context.Background()
			id, err := q.SyncNow(ctx, f.org.ID, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			receive(t, f.runner.started, "run")

			stopCtx, cancel := context.WithCancel(ctx)
			cancel()
			if err := q.Stop(stopCtx); !errors.Is(err, context.Canceled) {
				t.Fatalf("Stop = %v, want context.Canceled", err)
			}
			f.runner.mu.Lock()
			running := f.runner.running[s.ID]
			f.runner.mu.Unlock()
			if running != 0 {
				t.Errorf("%d runs still going after Stop", running)
			}
			j, err := q.client.JobGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if j.State != rivertype.JobStateAvailable {
				t.Errorf("interrupted run is %s, want available", j.State)
			}
		})
	}
}
