package syncer_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/memstore"
	"github.com/crmsync/crmsync/internal/syncer"
)

func defaultTasks() *syncer.Definition {
	return taskDef(syncer.NewestWins, syncer.DeletePolicy{Mode: syncer.DeletePropagate},
		syncer.DeletePolicy{Mode: syncer.DeletePropagate}, syncer.CreateAfterEnable)
}

func onlyRecord(t *testing.T, s *memory.System, object string) connector.Record {
	t.Helper()
	recs := s.List(object)
	if len(recs) != 1 {
		t.Fatalf("%s: want 1 record, have %d: %+v", object, len(recs), recs)
	}
	return recs[0]
}

func TestCreateFlowsBothWays(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	e.a.Create("Task", connector.Fields{"Subject": "Call Ana", "Status": "Not Started", "ActivityDate": "2026-11-03"})
	e.clock.Advance(time.Minute)
	run := e.mustSync()
	if run.Counts.Created != 1 {
		t.Fatalf("created %d, want 1", run.Counts.Created)
	}
	b := onlyRecord(t, e.b, "task")
	if b.Fields["name"] != "Call Ana" || b.Fields["status"] != "Open" || b.Fields["due"] != "2026-11-03" {
		t.Fatalf("B got %v", b.Fields)
	}
	// A hub record created after enabling goes to A.
	e.b.Create("task", connector.Fields{"name": "Send quote", "status": "Complete"})
	e.mustSync()
	var found bool
	for _, r := range e.a.List("Task") {
		if r.Fields["Subject"] == "Send quote" && r.Fields["Status"] == "Completed" {
			found = true
		}
	}
	if !found {
		t.Fatalf("B create did not reach A: %v", e.a.List("Task"))
	}
}

func TestUnmappedValueIsNotSynced(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	id := e.a.Create("Task", connector.Fields{"Subject": "Call", "Status": "In Progress", "Priority": "Low"})
	e.mustSync()
	b := onlyRecord(t, e.b, "task")
	if _, ok := b.Fields["status"]; ok {
		t.Fatalf("unmapped status was written: %v", b.Fields)
	}
	if _, ok := b.Fields["priority"]; ok {
		t.Fatalf("unmapped priority was written: %v", b.Fields)
	}
	// The hub changes status: A holds an unmapped value and keeps it.
	if err := e.b.Update("task", b.ID, connector.Fields{"status": "Complete", "name": "Call now"}); err != nil {
		t.Fatal(err)
	}
	e.mustSync()
	a, _ := e.a.Get("Task", id)
	if a.Fields["Status"] != "In Progress" || a.Fields["Priority"] != "Low" {
		t.Fatalf("unmapped A values were overwritten: %v", a.Fields)
	}
	if a.Fields["Subject"] != "Call now" {
		t.Fatalf("mapped field did not flow: %v", a.Fields)
	}
}

func TestFieldChangedOnOneSideFlows(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	id := e.a.Create("Task", connector.Fields{"Subject": "Call", "Description": "x"})
	e.mustSync()
	b := onlyRecord(t, e.b, "task")
	e.clock.Advance(time.Minute)
	_ = e.a.Update("Task", id, connector.Fields{"Subject": "Call Ana"})
	e.clock.Advance(time.Minute)
	_ = e.b.Update("task", b.ID, connector.Fields{"details": "bring contract"})
	e.mustSync()
	a, _ := e.a.Get("Task", id)
	b, _ = e.b.Get("task", b.ID)
	if a.Fields["Description"] != "bring contract" || b.Fields["name"] != "Call Ana" {
		t.Fatalf("three-way merge lost a change: a=%v b=%v", a.Fields, b.Fields)
	}
	if n := len(e.conflicts()); n != 0 {
		t.Fatalf("%d conflicts for changes to different fields", n)
	}
}

func TestConflictNewestWinsKeepsLoser(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	id := e.a.Create("Task", connector.Fields{"Subject": "Call"})
	e.mustSync()
	b := onlyRecord(t, e.b, "task")
	e.clock.Advance(time.Minute)
	_ = e.a.Update("Task", id, connector.Fields{"Subject": "From CRM"})
	e.clock.Advance(time.Minute)
	_ = e.b.Update("task", b.ID, connector.Fields{"name": "From hub"})
	e.mustSync()
	a, _ := e.a.Get("Task", id)
	if a.Fields["Subject"] != "From hub" {
		t.Fatalf("newest (B) should win, A has %v", a.Fields["Subject"])
	}
	cs := e.conflicts()
	if len(cs) != 1 || cs[0].Winner != store.SideB || string(cs[0].AValue) != `"From CRM"` {
		t.Fatalf("conflict record: %+v", cs)
	}
	if !strings.Contains(a.Fields["Replaced__c"].(string), "name: From CRM") {
		t.Fatalf("loser field: %q", a.Fields["Replaced__c"])
	}
}

func TestConflictPolicies(t *testing.T) {
	for _, tc := range []struct {
		mode syncer.ConflictMode
		want string
	}{{syncer.AWins, "From CRM"}, {syncer.BWins, "From hub"}} {
		def := taskDef(tc.mode, syncer.DeletePolicy{}, syncer.DeletePolicy{}, syncer.CreateAll)
		e := newEnv(t, memstore.New(memstore.Config{}), def, nil)
		id := e.a.Create("Task", connector.Fields{"Subject": "Call"})
		e.mustSync()
		b := onlyRecord(t, e.b, "task")
		// B edits first, A later: the policy, not the time, decides.
		e.clock.Advance(time.Minute)
		_ = e.b.Update("task", b.ID, connector.Fields{"name": "From hub"})
		e.clock.Advance(time.Minute)
		_ = e.a.Update("Task", id, connector.Fields{"Subject": "From CRM"})
		e.mustSync()
		a, _ := e.a.Get("Task", id)
		b, _ = e.b.Get("task", b.ID)
		if a.Fields["Subject"] != tc.want || b.Fields["name"] != tc.want {
			t.Fatalf("mode %d: a=%v b=%v want %q", tc.mode, a.Fields["Subject"], b.Fields["name"], tc.want)
		}
	}
}

func TestConditionalField(t *testing.T) {
	for _, on := range []bool{true, false} {
		e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), map[string]any{"sync_flag": on})
		e.a.Create("Task", connector.Fields{"Subject": "Call", "Flag__c": true})
		e.mustSync()
		_, has := onlyRecord(t, e.b, "task").Fields["flag"]
		if has != on {
			t.Fatalf("setting %v: flag synced = %v", on, has)
		}
	}
}

func TestOneWayField(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	id := e.a.Create("Task", connector.Fields{"Subject": "Call", "Note__c": "from crm"})
	e.mustSync()
	b := onlyRecord(t, e.b, "task")
	_ = e.b.Update("task", b.ID, connector.Fields{"note": "hub edit"})
	e.mustSync()
	a, _ := e.a.Get("Task", id)
	if a.Fields["Note__c"] != "from crm" {
		t.Fatalf("an A-to-B field flowed back: %v", a.Fields)
	}
}

func TestFirstSyncDoesNotPushExistingRecords(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	e.b.Create("task", connector.Fields{"name": "old hub task"})
	e.clock.Advance(time.Minute)
	setEnabledAt(t, e, e.clock.Now())
	e.clock.Advance(time.Minute)
	e.a.Create("Task", connector.Fields{"Subject": "crm task"})
	e.b.Create("task", connector.Fields{"name": "new hub task"})
	e.mustSync()
	var subjects []string
	for _, r := range e.a.List("Task") {
		subjects = append(subjects, r.Fields["Subject"].(string))
	}
	if strings.Join(subjects, ",") != "crm task,new hub task" {
		t.Fatalf("A holds %v; the old hub task must not be pushed", subjects)
	}
	if len(e.b.List("task")) != 3 {
		t.Fatalf("B holds %d records, want 3 (old, new, imported)", len(e.b.List("task")))
	}
}

func TestQuarantineNamesRecordAndFieldAndBatchGoesOn(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	e.b.Create("task", connector.Fields{"name": strings.Repeat("x", 81)})
	e.b.Create("task", connector.Fields{"name": "fine", "hours": "many"})
	e.b.Create("task", connector.Fields{"name": "good"})
	run := e.mustSync()
	if run.Counts.Created != 1 || run.Counts.Quarantined != 2 {
		t.Fatalf("counts %+v", run.Counts)
	}
	qs := e.quarantine()
	fields := map[string]bool{}
	for _, q := range qs {
		fields[q.Field] = true
		if !strings.Contains(q.Error, q.RecordID) || !strings.Contains(q.Error, q.Field) {
			t.Fatalf("error %q names neither record %s nor field %s", q.Error, q.RecordID, q.Field)
		}
	}
	if !fields["name"] || !fields["hours"] {
		t.Fatalf("quarantined fields %v", fields)
	}
}

// A record its system could not read (a malformed vCard, say) is set
// aside once, naming it, while the rest of the page syncs; once a user
// repairs it, it syncs like any other.
func TestUnreadableRecordIsSetAsideAndTheRestSyncs(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	e.b.Create("task", connector.Fields{"name": "one"})
	bad := e.b.Create("task", connector.Fields{"name": "two"})
	e.b.Create("task", connector.Fields{"name": "three"})
	if err := e.b.Corrupt("task", bad, "malformed vCard: line 3: no colon"); err != nil {
		t.Fatal(err)
	}
	run := e.mustSync()
	if run.Counts.Created != 2 || run.Counts.Quarantined != 1 {
		t.Fatalf("counts %+v, want 2 created and 1 set aside", run.Counts)
	}
	qs := e.quarantine()
	if len(qs) != 1 || qs[0].RecordID != bad || qs[0].Side != store.SideB ||
		!strings.Contains(qs[0].Error, bad) || !strings.Contains(qs[0].Error, "no colon") || qs[0].Status != store.QuarantineOpen {
		t.Fatalf("quarantine %+v, want one open entry naming %s and why", qs, bad)
	}
	// Listed again unchanged (a full listing, say): not set aside twice.
	e.b.ExpireCursors()
	if run := e.mustSync(); run.Counts.Quarantined != 0 {
		t.Fatalf("a second listing quarantined %d again", run.Counts.Quarantined)
	}
	if qs := e.quarantine(); len(qs) != 1 {
		t.Fatalf("%d quarantine entries after the second listing", len(qs))
	}
	if err := e.b.Update("task", bad, connector.Fields{"name": "two, repaired"}); err != nil {
		t.Fatal(err)
	}
	e.mustSync()
	names := map[any]bool{}
	for _, r := range e.a.List("Task") {
		names[r.Fields["Subject"]] = true
	}
	if len(names) != 3 || !names["two, repaired"] {
		t.Fatalf("CRM side after the repair: %v", names)
	}
}

func TestCrashAfterRemoteWriteDoesNotDuplicate(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	for i := 0; i < 12; i++ {
		e.a.Create("Task", connector.Fields{"Subject": "t"})
	}
	e.b.SetFaults(memory.Faults{CrashAfterWriteN: 2})
	_, _ = e.sync() // the crashed batch is retried within the run or the next
	if calls := e.b.Stats().WriteCalls; calls < 2 {
		t.Fatalf("the crash was never injected (%d write calls)", calls)
	}
	e.b.SetFaults(memory.Faults{})
	e.mustSync()
	e.mustSync()
	if n := len(e.b.List("task")); n != 12 {
		t.Fatalf("B holds %d records, want 12", n)
	}
	if n := len(e.a.List("Task")); n != 12 {
		t.Fatalf("A holds %d records, want 12 (echoes came back as new)", n)
	}
}

func TestCommitFailureReplaysWithoutDuplicates(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	for i := 0; i < 9; i++ {
		e.a.Create("Task", connector.Fields{"Subject": "t"})
	}
	n := 0
	e.store.setFail(func() bool { n++; return n == 4 })
	if _, err := e.sync(); err == nil {
		t.Fatal("the failed commit went unnoticed")
	}
	e.store.setFail(nil)
	e.mustSync()
	e.mustSync()
	if got := len(e.b.List("task")); got != 9 {
		t.Fatalf("B holds %d, want 9", got)
	}
	if got := len(e.a.List("Task")); got != 9 {
		t.Fatalf("A holds %d, want 9", got)
	}
}

func TestDeletePolicies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pol     syncer.DeletePolicy
		age     time.Duration
		removed bool
	}{
		{"propagate", syncer.DeletePolicy{Mode: syncer.DeletePropagate}, 0, true},
		{"never", syncer.DeletePolicy{Mode: syncer.DeleteNever}, 0, false},
		{"within, recent", syncer.DeletePolicy{Mode: syncer.DeleteWithin, Days: 15}, 24 * time.Hour, true},
		{"within, too old", syncer.DeletePolicy{Mode: syncer.DeleteWithin, Days: 15}, 16 * 24 * time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			def := taskDef(syncer.NewestWins, tc.pol, syncer.DeletePolicy{}, syncer.CreateAll)
			e := newEnv(t, memstore.New(memstore.Config{}), def, nil)
			id := e.a.Create("Task", connector.Fields{"Subject": "gone"})
			e.mustSync()
			b := onlyRecord(t, e.b, "task")
			_ = e.a.Delete("Task", id)
			e.clock.Advance(tc.age)
			e.mustSync()
			_, alive := e.b.Get("task", b.ID)
			if alive == tc.removed {
				t.Fatalf("B record alive=%v, want removed=%v", alive, tc.removed)
			}
			if alive { // detached: editing it must not resurrect the A record
				_ = e.b.Update("task", b.ID, connector.Fields{"name": "edited"})
				e.mustSync()
				if n := len(e.a.List("Task")); n != 0 {
					t.Fatalf("the deleted A record came back (%d records)", n)
				}
			}
		})
	}
}

func TestExpiredCursorReconcilesDeletes(t *testing.T) {
	def := taskDef(syncer.NewestWins, syncer.DeletePolicy{Mode: syncer.DeleteWithin, Days: 15}, syncer.DeletePolicy{}, syncer.CreateAll)
	e := newEnv(t, memstore.New(memstore.Config{}), def, nil)
	keep := e.a.Create("Task", connector.Fields{"Subject": "keep"})
	gone := e.a.Create("Task", connector.Fields{"Subject": "gone"})
	e.mustSync()
	_ = e.a.Delete("Task", gone)
	e.a.ExpireCursors()
	e.clock.Advance(20 * 24 * time.Hour)
	e.mustSync()
	e.mustSync()
	// The old delete is reconciled: nothing resurrected on A, B's copy
	// detached (the delete's age is unknown), the live record still syncs.
	if n := len(e.a.List("Task")); n != 1 {
		t.Fatalf("A holds %d records, want 1", n)
	}
	_ = e.a.Update("Task", keep, connector.Fields{"Subject": "kept"})
	e.mustSync()
	var names []string
	for _, r := range e.b.List("task") {
		names = append(names, r.Fields["name"].(string))
	}
	if strings.Join(names, ",") != "kept,gone" && strings.Join(names, ",") != "gone,kept" {
		t.Fatalf("B holds %v", names)
	}
}

func TestMatchingLinksInsteadOfCreating(t *testing.T) {
	def := &syncer.Definition{
		Name: "contacts",
		Fields: []syncer.Field{
			{Name: "first", A: "FirstName", B: "givenName"},
			{Name: "last", A: "LastName", B: "surname"},
			{Name: "email", A: "Email", B: "email"},
			{Name: "phone", A: "Phone", B: "phone"},
		},
		A: syncer.SideRules{Email: "Email", FirstName: "FirstName", LastName: "LastName", Delete: syncer.DeletePolicy{Mode: syncer.DeleteNever}},
		B: syncer.SideRules{Email: "email", FirstName: "givenName", LastName: "surname", Delete: syncer.DeletePolicy{Mode: syncer.DeleteNever}},
	}
	e := newEnv(t, memstore.New(memstore.Config{}), def, nil)
	e.a.Create("Task", connector.Fields{"FirstName": "Åsa", "LastName": "Öberg", "Email": "ASA@example.com"})
	e.a.Create("Task", connector.Fields{"FirstName": "José", "LastName": "Núñez", "Phone": "1"})
	e.a.Create("Task", connector.Fields{"FirstName": "Kim", "LastName": "Lee"})
	e.a.Create("Task", connector.Fields{"FirstName": "Kim", "LastName": "Lee", "Email": "other@example.com"})
	e.clock.Advance(time.Minute)
	e.b.Create("task", connector.Fields{"givenName": "Asa", "surname": "Oberg", "email": "asa@example.com", "phone": "555"})
	e.b.Create("task", connector.Fields{"givenName": "jose", "surname": "NUNEZ"})
	e.b.Create("task", connector.Fields{"givenName": "Kim", "surname": "Lee"})
	e.mustSync()
	if n := len(e.b.List("task")); n != 3 {
		t.Fatalf("B holds %d records, want 3 (2 matched, 1 in review)", n)
	}
	qs := e.quarantine()
	if len(qs) != 3 {
		t.Fatalf("the Kim Lees (two on A, one on B) must all go to review, got %+v", qs)
	}
	for _, q := range qs {
		if !strings.Contains(q.Error, "ambiguous match") {
			t.Fatalf("review reason: %q", q.Error)
		}
	}
	for _, r := range e.a.List("Task") {
		if r.Fields["Email"] == "ASA@example.com" && r.Fields["Phone"] != "555" {
			t.Fatalf("matched pair did not merge: %v", r.Fields)
		}
	}
}

func setEnabledAt(t *testing.T, e *env, at time.Time) {
	t.Helper()
	ctx := t.Context()
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		s, err := tx.GetStream(ctx, e.org.ID, e.stream.ID)
		if err != nil {
			return err
		}
		s.EnabledAt = at
		e.stream = s
		return tx.UpdateStream(ctx, s)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An external-id field on one side (a CRM custom field holding the mailbox
// id) links records before any email or name rule is tried.
func TestMatchingByExternalID(t *testing.T) {
	def := &syncer.Definition{
		Name: "contacts",
		Fields: []syncer.Field{
			{Name: "last", A: "LastName", B: "surname"},
			{Name: "phone", A: "Phone", B: "phone"},
		},
		A: syncer.SideRules{ExternalID: "Mailbox_Id__c", LastName: "LastName"},
		B: syncer.SideRules{LastName: "surname", Create: syncer.CreateNever},
	}
	e := newEnv(t, memstore.New(memstore.Config{}), def, nil)
	b1 := e.b.Create("task", connector.Fields{"surname": "Lee", "phone": "1"})
	b2 := e.b.Create("task", connector.Fields{"surname": "Lee"})
	e.mustSync() // B creates nothing on A: two unlinked mailbox Lees
	// A CRM record naming b2 as its mailbox twin links there, though its
	// name alone matches two records (which would go to review).
	e.a.Create("Task", connector.Fields{"LastName": "Lee", "Mailbox_Id__c": b2, "Phone": "9"})
	e.clock.Advance(time.Minute)
	e.mustSync()
	if n := len(e.b.List("task")); n != 2 {
		t.Fatalf("B holds %d records, want 2", n)
	}
	if qs := e.quarantine(); len(qs) != 0 {
		t.Fatalf("sent to review: %+v", qs)
	}
	got, _ := e.b.Get("task", b2)
	if got.Fields["phone"] != "9" {
		t.Fatalf("b2 = %v: the external-id match did not merge", got.Fields)
	}
	if first, _ := e.b.Get("task", b1); first.Fields["phone"] != "1" {
		t.Fatalf("b1 changed: %v", first.Fields)
	}
}

// An update refused because the record is gone (a delete the change
// listing never reported) settles the pair by the delete policy instead of
// failing every run.
func TestVanishedRecordFollowsDeletePolicy(t *testing.T) {
	e := newEnv(t, memstore.New(memstore.Config{}), defaultTasks(), nil)
	id := e.a.Create("Task", connector.Fields{"Subject": "Call"})
	e.mustSync()
	b := onlyRecord(t, e.b, "task")
	e.b.SetFaults(memory.Faults{FailRecord: func(_ string, w connector.Write) error {
		if w.Op == connector.OpUpdate && w.ID == b.ID {
			return fmt.Errorf("gone: %w", connector.ErrNotFound)
		}
		return nil
	}})
	_ = e.a.Update("Task", id, connector.Fields{"Subject": "Call again", "Description": "x"})
	run := e.mustSync()
	if run.Counts.Deleted != 1 {
		t.Fatalf("counts %+v: B's vanished copy should propagate its delete to A", run.Counts)
	}
	if _, alive := e.a.Get("Task", id); alive {
		t.Fatal("the A record survives its partner's delete (policy: propagate)")
	}
	if n := e.pending(); n != 0 {
		t.Fatalf("%d records left pending", n)
	}
}

// Fold runs in every stream's runs at once: it must be safe concurrently.
func TestFoldConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 2000; j++ {
				if got := syncer.Fold("  Åsa  ÖBERG "); got != "asa oberg" {
					t.Errorf("Fold = %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// SPEC T7: with the template not using {{activity_subject}}, the subject
// does not go hub → CRM, but an imported CRM task still gets its name once.
func TestSeedIgnoresCondition(t *testing.T) {
	def := &syncer.Definition{
		Name: "tasks",
		Fields: []syncer.Field{
			{Name: "name", A: "Subject", B: "name", Dir: syncer.BToA, Seed: true, Condition: "subject_template"},
			{Name: "details", A: "Description", B: "details"},
		},
	}
	e := newEnv(t, memstore.New(memstore.Config{}), def, map[string]any{"subject_template": false})
	id := e.a.Create("Task", connector.Fields{"Subject": "Call Ana", "Description": "x"})
	e.mustSync()
	b := onlyRecord(t, e.b, "task")
	if b.Fields["name"] != "Call Ana" {
		t.Fatalf("imported task has no name: %v", b.Fields)
	}
	_ = e.b.Update("task", b.ID, connector.Fields{"name": "Renamed in the hub"})
	e.mustSync()
	if a, _ := e.a.Get("Task", id); a.Fields["Subject"] != "Call Ana" {
		t.Fatalf("the subject went hub → CRM with the template off: %v", a.Fields)
	}
}

// SPEC T8: a long first import shows its progress: each committed step
// reports done and total, done never passes total, and both end equal.
func TestProgressOfFirstImport(t *testing.T) {
	st := memstore.New(memstore.Config{})
	e := newEnv(t, st, defaultTasks(), nil)
	for i := 0; i < 40; i++ {
		e.a.Create("Task", connector.Fields{"Subject": fmt.Sprintf("t%d", i)})
	}
	var seen []store.Run
	eng, err := syncer.New(syncer.Config{Store: e.store, Definitions: []*syncer.Definition{e.def}, Now: e.clock.Now,
		Connectors: func(_ context.Context, c store.Connection) (connector.Connector, error) {
			if c.ID == e.stream.ConnA {
				return e.a, nil
			}
			return e.b, nil
		},
		Progress: func(r store.Run) { seen = append(seen, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Run(t.Context(), e.org.ID, e.stream.ID, "manual"); err != nil {
		t.Fatal(err)
	}
	known := 0
	for _, r := range seen {
		if r.Total == 0 && r.Done == 0 {
			continue // before anything is known (the empty side's listing)
		}
		known++
		if r.Total == 0 || r.Done > r.Total {
			t.Fatalf("progress %d/%d", r.Done, r.Total)
		}
	}
	if known < 3 {
		t.Fatalf("only %d progress reports for 40 records in pages of 7", known)
	}
	last := seen[len(seen)-1]
	if last.Done != last.Total || last.Total != 40 {
		t.Fatalf("final progress %d/%d, want 40/40", last.Done, last.Total)
	}
}

func TestScopeLimitsWhatIsTakenUp(t *testing.T) {
	// A side's Scope decides which unlinked records are matched or created
	// (a mailbox's picked categories, SPEC C2); linked ones sync regardless.
	def := &syncer.Definition{
		Name: "contacts",
		Fields: []syncer.Field{
			{Name: "last", A: "LastName", B: "surname"},
			{Name: "email", A: "Email", B: "email"},
			{Name: "cats", A: "Cats__c", B: "categories", Dir: syncer.BToA},
		},
		A: syncer.SideRules{Email: "Email", Delete: syncer.DeletePolicy{Mode: syncer.DeleteNever}},
		B: syncer.SideRules{Email: "email", Delete: syncer.DeletePolicy{Mode: syncer.DeleteNever},
			Scope: func(settings map[string]any, f connector.Fields) bool {
				want, _ := settings["pick"].(string)
				cats, _ := f["categories"].(string)
				return want != "" && strings.Contains(cats, want)
			}},
	}
	e := newEnv(t, memstore.New(memstore.Config{}), def, map[string]any{"pick": "Clients"})
	e.a.Create("Task", connector.Fields{"LastName": "Known", "Email": "known@example.com"})
	e.clock.Advance(time.Minute)
	in := e.b.Create("task", connector.Fields{"surname": "Picked", "email": "p@example.com", "categories": "Clients"})
	out := e.b.Create("task", connector.Fields{"surname": "Private", "email": "x@example.com", "categories": "Family"})
	twin := e.b.Create("task", connector.Fields{"surname": "Known", "email": "known@example.com", "categories": "Family"})
	e.mustSync()
	got := map[string]bool{}
	for _, r := range e.a.List("Task") {
		got[r.Fields["LastName"].(string)] = true
	}
	if !got["Picked"] || got["Private"] || len(got) != 2 {
		t.Fatalf("A holds %v, want Known and Picked only", got)
	}
	// The out-of-scope twin of Known was not matched: Known was created on
	// B instead, and nothing links the twin.
	if n := len(e.b.List("task")); n != 4 {
		t.Fatalf("B holds %d records, want 4 (3 of its own + Known)", n)
	}
	for _, l := range e.links(nil) {
		if l.BID == out || l.BID == twin {
			t.Fatalf("an out-of-scope record was linked: %+v", l)
		}
	}
	// Filed into the category later, the record is taken up.
	e.clock.Advance(time.Minute)
	e.b.Update("task", out, connector.Fields{"categories": "Clients;Family"})
	e.mustSync()
	if n := len(e.a.List("Task")); n != 3 {
		t.Fatalf("A holds %d records after the re-filing, want 3", n)
	}
	// Linked, a record syncs even when it leaves the scope.
	e.clock.Advance(time.Minute)
	e.b.Update("task", in, connector.Fields{"categories": "", "surname": "Renamed"})
	e.mustSync()
	found := false
	for _, r := range e.a.List("Task") {
		found = found || r.Fields["LastName"] == "Renamed"
	}
	if !found {
		t.Fatal("a linked record that left the scope stopped syncing")
	}
}

func TestCreateOnlyFieldFillsOnceAndNeverMerges(t *testing.T) {
	// A CreateOnly field fills the record a create makes on the other side
	// (the category a new mailbox contact is filed under, SPEC C3), and
	// later values on either side stay where they are.
	def := &syncer.Definition{
		Name: "contacts",
		Fields: []syncer.Field{
			{Name: "last", A: "LastName", B: "surname"},
			{Name: "category", A: "Category__c", B: "categories", Dir: syncer.AToB, CreateOnly: true},
		},
		A: syncer.SideRules{Delete: syncer.DeletePolicy{Mode: syncer.DeleteNever}},
		B: syncer.SideRules{Delete: syncer.DeletePolicy{Mode: syncer.DeleteNever}},
	}
	e := newEnv(t, memstore.New(memstore.Config{}), def, nil)
	id := e.a.Create("Task", connector.Fields{"LastName": "Lee", "Category__c": "Base Lead"})
	e.mustSync()
	b := onlyRecord(t, e.b, "task")
	if b.Fields["categories"] != "Base Lead" {
		t.Fatalf("the created record was not filed: %v", b.Fields)
	}
	e.clock.Advance(time.Minute)
	if err := e.a.Update("Task", id, connector.Fields{"Category__c": "Base Current Customer"}); err != nil {
		t.Fatal(err)
	}
	if err := e.b.Update("task", b.ID, connector.Fields{"categories": "Friends"}); err != nil {
		t.Fatal(err)
	}
	e.mustSync()
	if got := onlyRecord(t, e.b, "task").Fields["categories"]; got != "Friends" {
		t.Fatalf("B's own value was overwritten: %v", got)
	}
	if got := onlyRecord(t, e.a, "Task").Fields["Category__c"]; got != "Base Current Customer" {
		t.Fatalf("A's value was overwritten: %v", got)
	}
	if cs := e.conflicts(); len(cs) != 0 {
		t.Fatalf("a create-only field made conflicts: %+v", cs)
	}
}
