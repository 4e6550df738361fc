package syncer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
)

// clock is a stubbable clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// faultStore fails a transaction's commit on demand, as a crash between a
// remote write and the local commit would.
type faultStore struct {
	store.Store
	mu   sync.Mutex
	fail func() bool
}

var errCommit = errors.New("injected commit failure")

func (f *faultStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return f.Store.InTx(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		f.mu.Lock()
		fail := f.fail != nil && f.fail()
		f.mu.Unlock()
		if fail {
			return errCommit
		}
		return nil
	})
}

func (f *faultStore) setFail(fn func() bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

// env is one hub with one stream between two in-memory systems.
type env struct {
	t      testing.TB
	clock  *clock
	store  *faultStore
	a, b   *memory.System
	engine *syncer.Engine
	def    *syncer.Definition
	org    store.Org
	stream store.Stream
}

// newEnv sets up an org, two connections and one enabled stream of def.
func newEnv(t testing.TB, st store.Store, def *syncer.Definition, settings map[string]any) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, clock: newClock(), store: &faultStore{Store: st}, def: def}
	e.a = memory.New(memory.Options{Name: "a", Now: e.clock.Now, PageSize: 7, BatchSize: 5})
	e.b = memory.New(memory.Options{Name: "b", Now: e.clock.Now, PageSize: 7, BatchSize: 5})
	systems := map[string]*memory.System{}
	err := st.InTx(ctx, func(tx store.Tx) error {
		e.org = store.Org{Name: "Acme", TimeZone: "UTC", Created: e.clock.Now()}
		if err := tx.CreateOrg(ctx, &e.org); err != nil {
			return err
		}
		ca := store.Connection{OrgID: e.org.ID, System: "memory-a", Name: "A", Status: store.ConnActive}
		cb := store.Connection{OrgID: e.org.ID, System: "memory-b", Name: "B", Status: store.ConnActive}
		if err := tx.CreateConnection(ctx, &ca); err != nil {
			return err
		}
		if err := tx.CreateConnection(ctx, &cb); err != nil {
			return err
		}
		systems[ca.ID], systems[cb.ID] = e.a, e.b
		raw, _ := json.Marshal(settings)
		e.stream = store.Stream{OrgID: e.org.ID, Name: def.Name, Kind: def.Name, ConnA: ca.ID, ObjectA: "Task",
			ConnB: cb.ID, ObjectB: "task", Enabled: true, EnabledAt: e.clock.Now(), Settings: raw,
			Schedule: store.Schedule{Kind: store.ScheduleManual}, Created: e.clock.Now()}
		return tx.CreateStream(ctx, &e.stream)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.engine, err = syncer.New(syncer.Config{
		Store: e.store, Definitions: []*syncer.Definition{def}, Now: e.clock.Now, MergeBatch: 6,
		Connectors: func(_ context.Context, c store.Connection) (connector.Connector, error) {
			s, ok := systems[c.ID]
			if !ok {
				return nil, fmt.Errorf("no system for %s", c.ID)
			}
			return s, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sync runs the stream once.
func (e *env) sync() (store.Run, error) {
	return e.engine.Run(context.Background(), e.org.ID, e.stream.ID, "manual")
}

// mustSync runs the stream and fails the test on error.
func (e *env) mustSync() store.Run {
	e.t.Helper()
	r, err := e.sync()
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return r
}

// links returns the stream's links keyed by A id.
func (e *env) links(ids []string) map[string]store.Link {
	e.t.Helper()
	var out map[string]store.Link
	err := e.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.GetLinks(context.Background(), e.stream.ID, store.SideA, ids)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) conflicts() []store.Conflict {
	e.t.Helper()
	var out []store.Conflict
	err := e.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.ListConflicts(context.Background(), store.ConflictFilter{StreamID: e.stream.ID, Limit: 100000})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) quarantine() []store.Quarantine {
	e.t.Helper()
	var out []store.Quarantine
	err := e.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.ListQuarantine(context.Background(), store.QuarantineFilter{StreamID: e.stream.ID, Limit: 100000})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) pending() int64 {
	e.t.Helper()
	var n int64
	err := e.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.CountPending(context.Background(), e.stream.ID)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// taskDef is a definition shaped like the reminder-task stream (SPEC T2),
// with the policies given.
func taskDef(conflict syncer.ConflictMode, delA, delB syncer.DeletePolicy, createB syncer.CreatePolicy) *syncer.Definition {
	return &syncer.Definition{
		Name: "tasks",
		Fields: []syncer.Field{
			{Name: "name", A: "Subject", B: "name", MaxLenA: 80},
			{Name: "status", A: "Status", B: "status", Values: []syncer.ValuePair{{A: "Not Started", B: "Open"}, {A: "Completed", B: "Complete"}}},
			{Name: "priority", A: "Priority", B: "priority", Values: []syncer.ValuePair{{A: "Normal", B: "Normal"}, {A: "High", B: "High"}}},
			{Name: "due", A: "ActivityDate", B: "due", Type: syncer.Date},
			{Name: "details", A: "Description", B: "details"},
			{Name: "hours", A: "Hours__c", B: "hours", Type: syncer.Number},
			{Name: "owner_note", A: "Note__c", B: "note", Dir: syncer.AToB},
			{Name: "flag", A: "Flag__c", B: "flag", Type: syncer.Bool, Condition: "sync_flag"},
		},
		A:        syncer.SideRules{Create: syncer.CreateAll, Delete: delA},
		B:        syncer.SideRules{Create: createB, Delete: delB},
		Conflict: conflict,
		Loser:    &syncer.LoserField{Side: store.SideA, Field: "Replaced__c"},
	}
}

// rnd wraps a seeded source.
func rnd(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
