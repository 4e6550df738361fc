package hubtask_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// TestEngineSyncsHubTasksWithCRM runs the real engine, with the task
// stream's definition, between an in-memory CRM (side A, "Task") and this
// connector (side B) on a real SQLite store.
func TestEngineSyncsHubTasksWithCRM(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := testenv.SQLite(t)
	crm := memory.New(memory.Options{Name: "00T"})

	var org store.Org
	var user store.User
	var st store.Stream
	enabled := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	// SPEC T3: a hub task that existed before sync was enabled.
	before := store.HubTask{Name: "Old hub task", Created: enabled.Add(-time.Hour), Modified: enabled.Add(-time.Hour)}
	err := s.InTx(ctx, func(tx store.Tx) error {
		org = store.Org{Name: "Acme", TimeZone: "Europe/Stockholm"}
		if err := tx.CreateOrg(ctx, &org); err != nil {
			return err
		}
		user = store.User{OrgID: org.ID, Email: "ann@acme.test", Name: "Ann"}
		if err := tx.CreateUser(ctx, &user); err != nil {
			return err
		}
		before.OrgID, before.UserID = org.ID, user.ID
		if err := tx.CreateHubTask(ctx, &before); err != nil {
			return err
		}
		crmConn := store.Connection{OrgID: org.ID, System: registry.SystemMemory, Name: "CRM"}
		hubConn := store.Connection{OrgID: org.ID, System: hubtask.SystemName, Name: "Ann's tasks",
			Config: json.RawMessage(`{"user_id":"` + user.ID + `"}`)}
		if err := tx.CreateConnection(ctx, &crmConn); err != nil {
			return err
		}
		if err := tx.CreateConnection(ctx, &hubConn); err != nil {
			return err
		}
		st = store.Stream{OrgID: org.ID, UserID: user.ID, Name: "Ann's reminders", Kind: task.Kind,
			ConnA: crmConn.ID, ObjectA: "Task", ConnB: hubConn.ID, ObjectB: hubtask.Object,
			Enabled: true, EnabledAt: enabled, Settings: json.RawMessage(`{"` + task.SettingSubjectTemplate + `":true}`)}
		return tx.CreateStream(ctx, &st)
	})
	if err != nil {
		t.Fatal(err)
	}

	reg := registry.New()
	reg.Register(registry.SystemMemory, func(context.Context, store.Connection) (connector.Connector, error) { return crm, nil })
	reg.Register(hubtask.SystemName, hubtask.Factory(s))
	engine, err := syncer.New(syncer.Config{Store: s, Definitions: []*syncer.Definition{task.Definition()}, Connectors: reg.Resolve})
	if err != nil {
		t.Fatal(err)
	}
	run := func(what string) store.Run {
		t.Helper()
		r, err := engine.Run(ctx, org.ID, st.ID, "manual")
		if err != nil {
			t.Fatalf("%s: run: %v", what, err)
		}
		if r.Counts.Quarantined != 0 {
			t.Fatalf("%s: %d records quarantined", what, r.Counts.Quarantined)
		}
		return r
	}
	hubTasks := func() map[string]store.HubTask {
		t.Helper()
		var hs []store.HubTask
		err := s.Read(ctx, func(tx store.Tx) error {
			var err error
			hs, err = tx.ListHubTasks(ctx, store.HubTaskFilter{OrgID: org.ID, UserID: user.ID})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]store.HubTask{}
		for _, h := range hs {
			byName[h.Name] = h
		}
		return byName
	}
	crmTask := func(id string) connector.Fields {
		t.Helper()
		r, ok := crm.Get("Task", id)
		if !ok {
			t.Fatalf("CRM task %s is gone", id)
		}
		return r.Fields
	}

	callAnn := crm.Create("Task", connector.Fields{"Subject": "Call Ann", "Status": "Not Started", "Priority": "High",
		"ActivityDate": "2026-03-02", "Description": "About the renewal"})
	proposal := crm.Create("Task", connector.Fields{"Subject": "Draft proposal", "Status": "In Progress", "Priority": "Low"})

	// First sync: the CRM's tasks are imported (SPEC T3), mapped (T2).
	run("first sync")
	hub := hubTasks()
	got := hub["Call Ann"]
	want := store.HubTask{ID: got.ID, OrgID: org.ID, UserID: user.ID, Name: "Call Ann", Status: store.HubTaskOpen,
		Priority: store.HubTaskHigh, Due: "2026-03-02", Details: "About the renewal",
		Key: syncer.IdempotencyKey(st.ID, store.SideA, callAnn), Created: got.Created, Modified: got.Modified, Seq: got.Seq}
	// SPEC T2: Not Started arrives as Open, High as High.
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("imported task (-want +got):\n%s", d)
	}
	// SPEC T2: In Progress and Low have no hub value; the task is imported
	// with the hub's defaults, which are not synced back.
	if p, ok := hub["Draft proposal"]; !ok || p.Status != store.HubTaskOpen || p.Priority != store.HubTaskNormal {
		t.Fatalf("task with unmapped values: %+v (found %v)", p, ok)
	}
	if len(hub) != 3 {
		t.Fatalf("hub tasks after the first sync: %v", hub)
	}
	// SPEC T3: the hub task that existed before enabling is not pushed.
	if n := len(crm.List("Task")); n != 2 {
		t.Fatalf("the CRM holds %d tasks after the first sync, want 2", n)
	}

	// SPEC T6: the hub task is completed; the other gets a note; a new hub
	// task is made after enabling (SPEC T3: it is pushed).
	fresh := store.HubTask{OrgID: org.ID, UserID: user.ID, Name: "Send the contract", Due: "2026-03-03"}
	err = s.InTx(ctx, func(tx store.Tx) error {
		done := hub["Call Ann"]
		done.Status, done.Modified = store.HubTaskComplete, time.Time{}
		note := hub["Draft proposal"]
		note.Details, note.Modified = "Pricing in section 3", time.Time{}
		return joinErr(tx.UpdateHubTask(ctx, done), tx.UpdateHubTask(ctx, note), tx.CreateHubTask(ctx, &fresh))
	})
	if err != nil {
		t.Fatal(err)
	}
	run("after hub edits")

	// SPEC T2, T6: completing the hub task makes the CRM Task Completed.
	if got := crmTask(callAnn); got["Status"] != "Completed" || got["Priority"] != "High" {
		t.Errorf("CRM task after completing in the hub: %v", got)
	}
	// SPEC T2: In Progress and Low are never overwritten; the note flows.
	if got := crmTask(proposal); got["Status"] != "In Progress" || got["Priority"] != "Low" || got["Description"] != "Pricing in section 3" {
		t.Errorf("CRM task with unmapped values after a hub edit: %v", got)
	}
	var pushed connector.Record
	for _, r := range crm.List("Task") {
		if r.ID != callAnn && r.ID != proposal {
			pushed = r
		}
	}
	wantPushed := connector.Fields{"Subject": "Send the contract", "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-03-03"}
	if d := cmp.Diff(wantPushed, pushed.Fields); d != "" || len(crm.List("Task")) != 3 {
		t.Errorf("the hub task made after enabling, in the CRM (-want +got):\n%s\nCRM: %v", d, crm.List("Task"))
	}

	// A steady state: nothing moves, In Progress stays.
	r := run("steady state")
	if r.Counts.Created+r.Counts.Updated+r.Counts.Deleted != 0 {
		t.Errorf("a run with no edits wrote: %+v", r.Counts)
	}
	if got := crmTask(proposal); got["Status"] != "In Progress" {
		t.Errorf("CRM task status after a steady run: %v", got["Status"])
	}

	// SPEC T6: a delete in the hub reaches the CRM through the change feed;
	// SPEC T5: a recent delete in the CRM reaches the hub.
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteHubTask(ctx, org.ID, user.ID, fresh.ID) })
	if err != nil {
		t.Fatal(err)
	}
	if err := crm.Delete("Task", proposal); err != nil {
		t.Fatal(err)
	}
	run("after deletes")
	if _, ok := crm.Get("Task", pushed.ID); ok {
		t.Error("the task deleted in the hub is still in the CRM")
	}
	hub = hubTasks()
	if _, ok := hub["Draft proposal"]; ok {
		t.Error("the task deleted in the CRM is still in the hub")
	}
	if _, ok := hub["Old hub task"]; !ok || len(hub) != 2 {
		t.Errorf("hub tasks at the end: %v", hub)
	}
}

// joinErr returns the first non-nil error.
func joinErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
