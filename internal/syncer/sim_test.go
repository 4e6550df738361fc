package syncer_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/memstore"
	"github.com/crmsync/crmsync/internal/store/postgres"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// The simulation: random histories of creates, updates and deletes on both
// sides, with failures injected between any two steps of a run, checked
// after the system settles. A failing history prints its seed; replay it
// with -sim.seed=N.
var (
	simN    = flag.Int("sim.n", 0, "histories each simulation runs (default: $CRMSYNC_SIM_HISTORIES, _SQLITE, _POSTGRES, or 10000, 300, 1000; a 30th with -short)")
	simSeed = flag.Uint64("sim.seed", 0, "replay one history by its seed")
)

// TestSimulation is the engine's deterministic simulation on the in-memory
// store (which passes the same store suite as SQLite and PostgreSQL).
func TestSimulation(t *testing.T) {
	simulate(t, "TestSimulation", simCount(t, "CRMSYNC_SIM_HISTORIES", 10000), 2,
		func(testing.TB) store.Store { return memstore.New(memstore.Config{}) })
}

// TestSimulationSQLite runs histories on a real SQLite file, all in one
// database as a hub holds many orgs.
func TestSimulationSQLite(t *testing.T) {
	st := testenv.SQLite(t)
	simulate(t, "TestSimulationSQLite", simCount(t, "CRMSYNC_SIM_SQLITE", 300), 2,
		func(testing.TB) store.Store { return st })
}

// TestSimulationPostgres runs histories on a real PostgreSQL schema.
func TestSimulationPostgres(t *testing.T) {
	url := testenv.Postgres(t)
	key := make([]byte, 32)
	box, _ := secret.NewBox(key)
	st, err := postgres.Open(context.Background(), url, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	simulate(t, "TestSimulationPostgres", simCount(t, "CRMSYNC_SIM_POSTGRES", 1000), 8,
		func(testing.TB) store.Store { return st })
}

func simCount(t *testing.T, env string, def int) int {
	if *simN > 0 {
		return *simN
	}
	if v, err := strconv.Atoi(os.Getenv(env)); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return max(1, def/30)
	}
	return def
}

// simulate runs n histories on workers goroutines and stops at the first
// that fails, printing how to replay it.
func simulate(t *testing.T, name string, n, workers int, open func(testing.TB) store.Store) {
	if *simSeed != 0 {
		n, workers = 1, 1
	}
	base := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("CRMSYNC_SIM_BASE_SEED"), 10, 64); err == nil {
		base = v
	}
	if *simSeed != 0 {
		base = *simSeed
	}
	t.Logf("simulating %d histories from base seed %d on %d workers", n, base, workers)
	seeds := make(chan uint64)
	var (
		mu     sync.Mutex
		failed *recorder
		fseed  uint64
	)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				rec := &recorder{TB: t}
				done := make(chan struct{})
				go func() { // a failing history ends this goroutine only
					defer close(done)
					runHistory(rec, seed, open(rec))
				}()
				<-done
				if rec.Failed() {
					mu.Lock()
					if failed == nil {
						failed, fseed = rec, seed
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		stop := failed != nil
		mu.Unlock()
		if stop {
			break
		}
		seeds <- base + uint64(i)
	}
	close(seeds)
	wg.Wait()
	if failed != nil {
		for _, l := range failed.log {
			t.Log(l)
		}
		t.Fatalf("history %d failed; replay with: go test ./internal/syncer -run '%s$' -sim.seed=%d -v", fseed, name, fseed)
	}
}

// recorder is the testing.TB of one history on its own goroutine: a fatal
// failure ends that goroutine, and the caller reports it.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	log    []string
}

func (r *recorder) Helper() {}
func (r *recorder) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprint(args...))
}
func (r *recorder) Logf(format string, args ...any) { r.Log(fmt.Sprintf(format, args...)) }
func (r *recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *recorder) Error(args ...any)                 { r.Fail(); r.Log(args...) }
func (r *recorder) Errorf(format string, args ...any) { r.Fail(); r.Logf(format, args...) }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }

type write struct {
	seq   int
	value any
	// revert marks a write back to the last synced value: not a change the
	// sync can see, so it proves nothing either way.
	revert bool
	// initial marks a value the record was created with.
	initial bool
}

type wkey struct {
	side  store.Side
	id    string
	field string // mapping name
}

// history is the model of what users did.
type history struct {
	t        testing.TB
	r        *rand.Rand
	e        *env
	seq      int
	writes   map[wkey]write
	deletes  []expectDelete
	expired  bool
	skipped  bool
	settings map[string]any
	log      []string
}

type expectDelete struct {
	side       store.Side
	id, other  string
	at         time.Time
	propagates syncer.DeletePolicy
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var (
	namesPool   = []string{"Call Ana", "Email Björn", "Send quote", "Renewal", "Demo follow-up", "Ölands visit"}
	statusA     = []any{"Not Started", "Completed", "In Progress"} // In Progress is outside the map
	statusB     = []any{"Open", "Complete", "Waiting"}             // Waiting is outside the map
	priorityA   = []any{"Normal", "High", "Low"}                   // Low is outside the map
	priorityB   = []any{"Normal", "High"}
	duePool     = []any{"2026-11-02", "2026-11-03", "2026-12-24", nil}
	detailsPool = []any{"", "call back", "bring contract", "ça va", nil}
)

// value draws a value a user of side s might type into field f.
func (h *history) value(s store.Side, f string) any {
	r := h.r
	switch f {
	case "name":
		if r.IntN(25) == 0 {
			return strings.Repeat("long name ", 10) // too long for A: quarantined
		}
		return pick(r, namesPool) + " " + strconv.Itoa(r.IntN(3))
	case "status":
		if s == store.SideA {
			return pick(r, statusA)
		}
		return pick(r, statusB)
	case "priority":
		if s == store.SideA {
			return pick(r, priorityA)
		}
		return pick(r, priorityB)
	case "due":
		return pick(r, duePool)
	case "details":
		return pick(r, detailsPool)
	case "hours":
		return float64(r.IntN(4))
	case "owner_note":
		return pick(r, []any{"a", "b", "c"})
	case "flag":
		return r.IntN(2) == 0
	}
	panic(f)
}

func (h *history) sys(s store.Side) *memory.System {
	if s == store.SideA {
		return h.e.a
	}
	return h.e.b
}

func fieldName(def *syncer.Definition, s store.Side, name string) string {
	for _, f := range def.Fields {
		if f.Name == name {
			if s == store.SideA {
				return f.A
			}
			return f.B
		}
	}
	panic(name)
}

func objectOf(s store.Side) string {
	if s == store.SideA {
		return "Task"
	}
	return "task"
}

// canon is the normalised form of a user's value, as the engine compares.
func canon(def *syncer.Definition, name string, v any) any {
	if s, ok := v.(string); ok && s == "" {
		return nil
	}
	return v
}

func (h *history) create(s store.Side) {
	fields := map[string]any{}
	for _, f := range h.e.def.Fields {
		if h.r.IntN(3) > 0 {
			fields[f.Name] = h.value(s, f.Name)
		}
	}
	out := connector.Fields{}
	for name, v := range fields {
		out[fieldName(h.e.def, s, name)] = v
	}
	id := h.sys(s).Create(objectOf(s), out)
	for name, v := range fields {
		h.seq++
		h.writes[wkey{s, id, name}] = write{seq: h.seq, value: canon(h.e.def, name, v), initial: true}
	}
	h.log = append(h.log, fmt.Sprintf("create %s %s %v", s, id, out))
}

func (h *history) update(s store.Side) {
	recs := h.sys(s).List(objectOf(s))
	if len(recs) == 0 {
		return
	}
	rec := pick(h.r, recs)
	fields := map[string]any{}
	for n := 1 + h.r.IntN(2); n > 0; n-- {
		f := pick(h.r, h.e.def.Fields)
		fields[f.Name] = h.value(s, f.Name)
	}
	out := connector.Fields{}
	for name, v := range fields {
		out[fieldName(h.e.def, s, name)] = v
	}
	if err := h.sys(s).Update(objectOf(s), rec.ID, out); err != nil {
		h.t.Fatalf("user update: %v", err)
	}
	for name, v := range fields {
		if canonOf(rec.Fields[fieldName(h.e.def, s, name)]) == canon(h.e.def, name, v) {
			continue // the value it had: no change, no write to keep
		}
		if h.restoresBase(s, rec.ID, name, canon(h.e.def, name, v)) {
			// Back to the last synced value: to a state-based sync this is
			// no change at all (the edit in between was never seen).
			h.seq++
			h.writes[wkey{s, rec.ID, name}] = write{seq: h.seq, value: canon(h.e.def, name, v), revert: true}
			continue
		}
		h.seq++
		// Emptying a field of a record not linked yet leaves it as if
		// created empty: to matching, no value.
		cv := canon(h.e.def, name, v)
		h.writes[wkey{s, rec.ID, name}] = write{seq: h.seq, value: cv, initial: cv == nil && !h.linked(s, rec.ID)}
	}
	h.log = append(h.log, fmt.Sprintf("update %s %s %v", s, rec.ID, out))
}

// restoresBase reports whether v is the value the engine last agreed on
// (or was about to write) for this field of a linked record.
// linked reports whether the record has a link now.
func (h *history) linked(s store.Side, id string) bool {
	var ls map[string]store.Link
	err := h.e.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		ls, err = tx.GetLinks(context.Background(), h.e.stream.ID, s, []string{id})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(ls) > 0
}

func (h *history) restoresBase(s store.Side, id, field string, v any) bool {
	var ls map[string]store.Link
	err := h.e.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		ls, err = tx.GetLinks(context.Background(), h.e.stream.ID, s, []string{id})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	l, ok := ls[id]
	if !ok {
		return false
	}
	var base map[string]struct {
		A, B any
		I    *struct{ A, B any }
	}
	if err := json.Unmarshal(l.Base, &base); err != nil {
		h.t.Fatal(err)
	}
	bp, ok := base[field]
	if !ok {
		return false
	}
	pick := func(a, b any) any {
		if s == store.SideA {
			return a
		}
		return b
	}
	if pick(bp.A, bp.B) == v {
		return true
	}
	return bp.I != nil && pick(bp.I.A, bp.I.B) == v
}

func (h *history) remove(s store.Side) {
	recs := h.sys(s).List(objectOf(s))
	if len(recs) == 0 {
		return
	}
	rec := pick(h.r, recs)
	var ls map[string]store.Link
	err := h.e.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		ls, err = tx.GetLinks(context.Background(), h.e.stream.ID, s, []string{rec.ID})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if l, ok := ls[rec.ID]; ok {
		other := l.BID
		if s == store.SideB {
			other = l.AID
		}
		pol := h.e.def.A.Delete
		if s == store.SideB {
			pol = h.e.def.B.Delete
		}
		h.deletes = append(h.deletes, expectDelete{side: s, id: rec.ID, other: other, at: h.e.clock.Now(), propagates: pol})
	}
	if err := h.sys(s).Delete(objectOf(s), rec.ID); err != nil {
		h.t.Fatal(err)
	}
	h.log = append(h.log, fmt.Sprintf("delete %s %s", s, rec.ID))
}

// faultySync runs the stream with one random failure switched on.
func (h *history) faultySync() {
	r := h.r
	s := h.sys(pick(r, []store.Side{store.SideA, store.SideB}))
	kind := r.IntN(7)
	switch kind {
	case 0:
		s.SetFaults(memory.Faults{FailWriteN: 1 + r.IntN(3)})
	case 1:
		s.SetFaults(memory.Faults{CrashAfterWriteN: 1 + r.IntN(3)})
	case 2:
		bad := r.IntN(3)
		n := 0
		s.SetFaults(memory.Faults{FailRecord: func(string, connector.Write) error {
			n++
			if n%3 == bad {
				return memory.ErrInjected
			}
			return nil
		}})
	case 3:
		s.SetFaults(memory.Faults{FailChangesN: 1 + r.IntN(4)})
	case 4:
		k := 1 + r.IntN(12)
		n := 0
		h.e.store.setFail(func() bool { n++; return n == k })
	}
	_, err := h.e.sync()
	h.log = append(h.log, fmt.Sprintf("sync with fault %d: %v", kind, err))
	h.e.a.SetFaults(memory.Faults{})
	h.e.b.SetFaults(memory.Faults{})
	h.e.store.setFail(nil)
}

func runHistory(t testing.TB, seed uint64, st store.Store) {
	r := rnd(seed)
	delModes := []syncer.DeletePolicy{{Mode: syncer.DeletePropagate}, {Mode: syncer.DeleteNever}, {Mode: syncer.DeleteWithin, Days: 1}}
	def := taskDef(syncer.ConflictMode(r.IntN(3)), pick(r, delModes), pick(r, delModes), syncer.CreatePolicy(r.IntN(2)))
	settings := map[string]any{"sync_flag": r.IntN(2) == 0}
	if r.IntN(4) == 0 {
		// The reminder-task stream exactly as the hub runs it (issue 4):
		// its own map, one-way subject behind the template setting,
		// policies and first-import window.
		def = task.Definition()
		settings = map[string]any{task.SettingSubjectTemplate: r.IntN(2) == 0}
	} else if r.IntN(2) == 0 {
		// Match unlinked records too: details play the email, the name the
		// person; their small pools make matches and ambiguities common.
		def.A.Email, def.B.Email = "Description", "details"
		def.A.FirstName, def.B.FirstName = "Subject", "name"
	}
	e := newEnv(t, st, def, settings)
	h := &history{t: t, r: r, e: e, writes: map[wkey]write{}, settings: settings}
	defer func() {
		if t.Failed() {
			t.Logf("seed %d, stream %s, policies: conflict=%d delA=%+v delB=%+v createB=%d matching=%v settings=%v", seed, def.Name, def.Conflict, def.A.Delete, def.B.Delete, def.B.Create, def.A.Email != "", settings)
			for _, l := range h.log {
				t.Log(l)
			}
			for _, c := range e.conflicts() {
				t.Logf("conflict %s/%s %s a=%s b=%s winner=%s (%s)", c.AID, c.BID, c.Field, c.AValue, c.BValue, c.Winner, c.Reason)
			}
			for _, r := range e.a.List("Task") {
				t.Logf("final A %s %v", r.ID, r.Fields)
			}
			for _, r := range e.b.List("task") {
				t.Logf("final B %s key=%s %v", r.ID, r.Key, r.Fields)
			}
		}
	}()
	// Some records exist before sync is enabled.
	for n := r.IntN(4); n > 0; n-- {
		h.create(pick(r, []store.Side{store.SideA, store.SideB}))
	}
	e.clock.Advance(time.Minute)
	if err := e.store.InTx(context.Background(), func(tx store.Tx) error {
		s, err := tx.GetStream(context.Background(), e.org.ID, e.stream.ID)
		if err != nil {
			return err
		}
		s.EnabledAt = e.clock.Now()
		e.stream = s
		return tx.UpdateStream(context.Background(), s)
	}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	steps := 10 + r.IntN(25)
	for i := 0; i < steps; i++ {
		e.clock.Advance(time.Duration(1+r.IntN(90)) * time.Second)
		side := pick(r, []store.Side{store.SideA, store.SideB})
		switch op := r.IntN(20); {
		case op < 4:
			h.create(side)
		case op < 10:
			h.update(side)
		case op < 12:
			h.remove(side)
		case op < 15:
			_, err := e.sync()
			h.log = append(h.log, fmt.Sprintf("sync: %v", err))
		case op < 19:
			h.faultySync()
		case op < 20:
			if r.IntN(2) == 0 {
				h.sys(side).ExpireCursors()
				h.expired = true
				h.log = append(h.log, "expire cursors "+string(side))
			} else {
				e.clock.Advance(49 * time.Hour)
				h.skipped = true
				h.log = append(h.log, "two days pass")
			}
		}
	}
	h.settle()
	h.check()
}

// settle runs the stream until a run finds nothing to do.
func (h *history) settle() {
	for i := 0; i < 6; i++ {
		h.e.clock.Advance(time.Second)
		run, err := h.e.sync()
		if err != nil {
			h.t.Fatalf("settling run %d failed: %v", i, err)
		}
		h.log = append(h.log, fmt.Sprintf("settle: %+v", run.Counts))
		if i > 0 && run.Counts.Created+run.Counts.Updated+run.Counts.Deleted == 0 {
			return
		}
	}
	h.t.Fatalf("the system did not settle in 6 runs")
}

func (h *history) check() {
	t, e := h.t, h.e
	if n := e.pending(); n != 0 {
		t.Fatalf("%d records still pending after settling", n)
	}
	as, bs := e.a.List("Task"), e.b.List("task")
	liveA, liveB := map[string]connector.Record{}, map[string]connector.Record{}
	var aIDs []string
	for _, r := range as {
		liveA[r.ID] = r
		aIDs = append(aIDs, r.ID)
	}
	for _, r := range bs {
		liveB[r.ID] = r
	}
	links := e.links(aIDs)
	linkedB := map[string]string{}
	for _, l := range links {
		if _, ok := liveB[l.BID]; !ok {
			t.Fatalf("link %s-%s points at a missing B record", l.AID, l.BID)
		}
		if prev, dup := linkedB[l.BID]; dup {
			t.Fatalf("B record %s linked twice (%s, %s)", l.BID, prev, l.AID)
		}
		linkedB[l.BID] = l.AID
	}
	quarantined := map[string]bool{}
	for _, q := range e.quarantine() {
		quarantined[string(q.Side)+q.RecordID] = true
	}
	// A record made from another (after a crash lost its link) is in
	// review with its origin.
	for side, recs := range map[store.Side]map[string]connector.Record{store.SideA: liveA, store.SideB: liveB} {
		for _, r := range recs {
			origin, ok := strings.CutPrefix(r.Key, "crmsync:"+e.stream.ID+":"+string(side.Other())+":")
			if ok && (quarantined[string(side)+r.ID] || quarantined[string(side.Other())+origin]) {
				quarantined[string(side)+r.ID], quarantined[string(side.Other())+origin] = true, true
			}
		}
	}
	// Tombstoned records are detached on purpose (a delete not synced).
	tomb := func(s store.Side, id string) bool {
		var ts map[string]store.Tombstone
		_ = e.store.Read(context.Background(), func(tx store.Tx) error {
			var err error
			ts, err = tx.GetTombstones(context.Background(), e.stream.ID, s, []string{id})
			return err
		})
		return len(ts) > 0
	}
	// No duplicates: a record the stream created names its origin in its
	// key, and is linked to exactly that origin.
	for side, recs := range map[store.Side]map[string]connector.Record{store.SideA: liveA, store.SideB: liveB} {
		for _, r := range recs {
			if r.Key == "" || tomb(side, r.ID) || quarantined[string(side)+r.ID] {
				continue
			}
			prefix := "crmsync:" + e.stream.ID + ":" + string(side.Other()) + ":"
			origin, ok := strings.CutPrefix(r.Key, prefix)
			if !ok {
				t.Fatalf("record %s has foreign key %q", r.ID, r.Key)
			}
			if quarantined[string(side.Other())+origin] {
				continue // the pair is in review
			}
			if side == store.SideB {
				if linkedB[r.ID] != origin {
					t.Fatalf("B record %s (from A %s) is linked to %q: duplicate", r.ID, origin, linkedB[r.ID])
				}
			} else if l, ok := links[r.ID]; !ok || l.BID != origin {
				t.Fatalf("A record %s (from B %s) is not linked to its origin: duplicate", r.ID, origin)
			}
		}
	}
	for id, r := range liveA {
		if _, ok := links[id]; !ok && !quarantined["a"+id] && !tomb(store.SideA, id) {
			t.Fatalf("A record %s %v is not synced", id, r.Fields)
		}
	}
	for id, r := range liveB {
		if _, ok := linkedB[id]; ok || quarantined["b"+id] || tomb(store.SideB, id) {
			continue
		}
		if e.def.B.Create == syncer.CreateAfterEnable && r.Created.Before(e.stream.EnabledAt) {
			continue // SPEC T3: existed before enabling, never pushed
		}
		t.Fatalf("B record %s %v is not synced", id, r.Fields)
	}
	conflicts := e.conflicts()
	lost := func(aID, field string, s store.Side, v any) bool {
		for _, c := range conflicts {
			if c.AID != aID || c.Field != field || c.Winner == s {
				continue
			}
			raw := c.AValue
			if s == store.SideB {
				raw = c.BValue
			}
			var got any
			_ = json.Unmarshal(raw, &got)
			if got == v {
				return true
			}
		}
		return false
	}
	for _, l := range links {
		if quarantined["a"+l.AID] || quarantined["b"+l.BID] {
			continue
		}
		ra, rb := liveA[l.AID], liveB[l.BID]
		for _, f := range e.def.Fields {
			if f.Condition != "" && h.settings[f.Condition] != true {
				continue
			}
			va, vb := canonOf(ra.Fields[f.A]), canonOf(rb.Fields[f.B])
			heldA, heldB := unmapped(f, store.SideA, va), unmapped(f, store.SideB, vb)
			// Unmapped values are never overwritten.
			for s, v := range map[store.Side]any{store.SideA: va, store.SideB: vb} {
				id := l.AID
				if s == store.SideB {
					id = l.BID
				}
				if w, ok := h.writes[wkey{s, id, f.Name}]; ok && unmapped(f, s, w.value) && v != w.value {
					t.Fatalf("%s field %s of %s: unmapped value %v was overwritten with %v", s, f.Name, id, w.value, v)
				}
			}
			if f.Dir != syncer.Both || heldA || heldB {
				continue
			}
			if want := mapped(f, va); want != vb {
				t.Fatalf("pair %s/%s field %s differs: a=%v b=%v", l.AID, l.BID, f.Name, va, vb)
			}
			// The latest value a user wrote is current, or a kept loser.
			wa, okA := h.writes[wkey{store.SideA, l.AID, f.Name}]
			wb, okB := h.writes[wkey{store.SideB, l.BID, f.Name}]
			if ra.Key == "" && rb.Key == "" {
				// Two records matched, not one made from the other: with
				// no base, a field created empty holds no value, and
				// match-and-merge fills it from the other side (C10).
				okA = okA && (wa.value != nil || !wa.initial)
				okB = okB && (wb.value != nil || !wb.initial)
			}
			switch {
			case okA && (!okB || wa.seq > wb.seq):
				if !wa.revert && wa.value != va && !lost(l.AID, f.Name, store.SideA, wa.value) && !unmapped(f, store.SideA, wa.value) {
					t.Fatalf("A %s field %s: the user's %v is neither current (%v) nor a conflict loser", l.AID, f.Name, wa.value, va)
				}
			case okB:
				if !wb.revert && wb.value != vb && !lost(l.AID, f.Name, store.SideB, wb.value) && !unmapped(f, store.SideB, wb.value) {
					t.Fatalf("B %s field %s: the user's %v is neither current (%v) nor a conflict loser", l.BID, f.Name, wb.value, vb)
				}
			}
		}
	}
	// Deletes obey the policy.
	for _, d := range h.deletes {
		live := liveB
		if d.side == store.SideB {
			live = liveA
		}
		_, alive := live[d.other]
		switch d.propagates.Mode {
		case syncer.DeletePropagate:
			if alive {
				t.Fatalf("%s delete of %s did not reach %s", d.side, d.id, d.other)
			}
		case syncer.DeleteNever:
			if !alive && !h.deletedByUser(d.side.Other(), d.other) {
				t.Fatalf("%s delete of %s reached %s, but deletes are not synced", d.side, d.id, d.other)
			}
		case syncer.DeleteWithin:
			if !h.expired && !h.skipped && alive {
				t.Fatalf("%s delete of %s within the window did not reach %s", d.side, d.id, d.other)
			}
		}
	}
}

func (h *history) deletedByUser(s store.Side, id string) bool {
	for _, l := range h.log {
		if l == fmt.Sprintf("delete %s %s", s, id) {
			return true
		}
	}
	return false
}

func canonOf(v any) any {
	if s, ok := v.(string); ok && s == "" {
		return nil
	}
	return v
}

func unmapped(f syncer.Field, s store.Side, v any) bool {
	if f.Values == nil || v == nil {
		return false
	}
	for _, p := range f.Values {
		if (s == store.SideA && p.A == v) || (s == store.SideB && p.B == v) {
			return false
		}
	}
	return true
}

func mapped(f syncer.Field, va any) any {
	if f.Values == nil || va == nil {
		return va
	}
	for _, p := range f.Values {
		if p.A == va {
			return p.B
		}
	}
	return nil
}
