package task_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/task"
)

// crmTask creates a Task in the sandbox as its integration user and
// returns its id.
func (r *syncRig) crmTask(fields map[string]any) string {
	r.t.Helper()
	id, err := r.sb.Create("Task", "", fields)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// crmTaskByID reads one Task's fields from the sandbox.
func (r *syncRig) crmTaskByID(id string) map[string]any {
	r.t.Helper()
	row, err := r.sb.Get("Task", id)
	if err != nil {
		r.t.Fatalf("CRM task %s: %v", id, err)
	}
	return row
}

// SPEC T2: the map of each field, both ways, exactly as the spec gives it;
// a CRM status or priority outside it ("In Progress", "Low") is not
// synced: never imported as a wrong value, never overwritten by the hub.
func TestT2FieldMapBothWaysAndValuesOutsideItAreNotSynced(t *testing.T) {
	r := newSyncRig(t)
	mapped := r.crmTask(map[string]any{"Subject": "Call Ann", "Status": "Completed", "Priority": "High",
		"ActivityDate": "2026-03-02", "Description": "About the renewal"})
	odd := r.crmTask(map[string]any{"Subject": "Chase Bo", "Status": "In Progress", "Priority": "Low", "ActivityDate": "2026-03-03"})
	r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true})

	hub := r.hubTasks()
	ann, ok := hub["Call Ann"]
	if !ok {
		t.Fatalf("hub tasks = %v, want Call Ann imported", keys(hub))
	}
	if ann.Status != "Complete" || ann.Priority != "High" || ann.Due != "2026-03-02" || ann.Details != "About the renewal" {
		t.Errorf("Call Ann in the hub = %+v, want Complete, High, 2026-03-02, the description", ann)
	}
	bo, ok := hub["Chase Bo"]
	if !ok {
		t.Fatalf("hub tasks = %v, want Chase Bo imported with its mapped fields", keys(hub))
	}
	if bo.Due != "2026-03-03" {
		t.Errorf("Chase Bo's due = %q, want the CRM's date", bo.Due)
	}

	// Hub → CRM: every mapped field, through the API.
	if code := r.do("PATCH", "/api/v1/tasks/"+ann.ID, map[string]any{"status": "Open", "priority": "Normal",
		"due": "2026-03-09", "details": "Renewal moved"}, nil); code != http.StatusOK {
		t.Fatalf("edit Call Ann: %d", code)
	}
	got := r.crmTaskByID(mapped)
	if got["Status"] != "Not Started" || got["Priority"] != "Normal" || got["ActivityDate"] != "2026-03-09" || got["Description"] != "Renewal moved" {
		t.Errorf("Call Ann in the CRM = %v, want Not Started, Normal, 2026-03-09, Renewal moved", got)
	}

	// An unrelated hub edit of Chase Bo leaves the CRM's unmapped values as they are.
	if code := r.do("PATCH", "/api/v1/tasks/"+bo.ID, map[string]any{"details": "Left a voicemail"}, nil); code != http.StatusOK {
		t.Fatalf("edit Chase Bo: %d", code)
	}
	got = r.crmTaskByID(odd)
	if got["Status"] != "In Progress" || got["Priority"] != "Low" {
		t.Errorf("Chase Bo in the CRM = %v: its unmapped status and priority were overwritten", got)
	}
	if got["Description"] != "Left a voicemail" {
		t.Errorf("Chase Bo's description in the CRM = %v, want the hub's edit", got["Description"])
	}
}

// SPEC T4: the first import pulls the CRM tasks created or updated in the
// last 24 hours; an older one stays out until it changes, and then the
// back end syncs it like any other.
func TestT4FirstImportPullsTheLast24Hours(t *testing.T) {
	r := newSyncRig(t)
	r.sb.Advance(-48 * time.Hour) // back to two days ago
	old := r.crmTask(map[string]any{"Subject": "Two days old", "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-03-02"})
	r.sb.Advance(48 * time.Hour) // and back to now
	r.crmTask(map[string]any{"Subject": "Made today", "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-03-04"})
	st := r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true})
	hub := r.hubTasks()
	if _, ok := hub["Made today"]; !ok {
		t.Errorf("hub tasks = %v, want the task made in the last 24 hours", keys(hub))
	}
	if _, ok := hub["Two days old"]; ok {
		t.Errorf("the first import pulled a task last changed 48 hours ago")
	}
	if err := r.sb.Update("Task", old, "", map[string]any{"Priority": "High"}); err != nil {
		t.Fatal(err)
	}
	var id string
	if id, _ = r.trig.SyncNow(t.Context(), r.org.ID, st.StreamID); id == "" {
		t.Fatal("the increment did not run")
	}
	if h, ok := r.hubTasks()["Two days old"]; !ok || h.Priority != "High" {
		t.Errorf("after it changed in the CRM the old task = %+v (found %v), want it synced", h, ok)
	}
}

// SPEC T5: a task deleted in the CRM within 15 days is removed from the
// hub; one deleted longer ago, found by the full reconciliation a cursor
// past the CRM's 15-day deletion window needs, stays in the hub once and is
// never pushed back (nothing resurrected), not even when edited later.
func TestT5CRMDeletesWithin15DaysReachTheHub(t *testing.T) {
	r := newSyncRig(t)
	recent := r.crmTask(map[string]any{"Subject": "Deleted soon", "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-03-02"})
	stale := r.crmTask(map[string]any{"Subject": "Deleted long ago", "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-03-02"})
	st := r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true})
	if hub := r.hubTasks(); len(hub) != 2 {
		t.Fatalf("hub tasks after enabling = %v, want both", keys(hub))
	}
	if err := r.sb.Delete("Task", recent, ""); err != nil {
		t.Fatal(err)
	}
	// getDeleted reports deletes up to its latestDateCovered, the last
	// whole minute before now: the next poll, minutes later, sees this one.
	r.sb.Advance(3 * time.Minute)
	if _, err := r.trig.SyncNow(t.Context(), r.org.ID, st.StreamID); err != nil {
		t.Fatal(err)
	}
	if _, still := r.hubTasks()["Deleted soon"]; still {
		t.Error("a task deleted in the CRM minutes ago is still in the hub")
	}

	if err := r.sb.Delete("Task", stale, ""); err != nil {
		t.Fatal(err)
	}
	r.sb.Advance(20 * 24 * time.Hour) // past getDeleted's window and the 15-day policy
	if _, err := r.trig.SyncNow(t.Context(), r.org.ID, st.StreamID); err != nil {
		t.Fatal(err)
	}
	if _, back := r.crmTasks()["Deleted long ago"]; back {
		t.Error("the reconciliation pushed a task deleted 20 days ago back into the CRM")
	}
	// The delete is older than the 15 days the policy syncs: the hub's copy
	// stays, once, as the user's own task.
	h, ok := r.hubTasks()["Deleted long ago"]
	if !ok || len(r.hubTasks()) != 1 {
		t.Fatalf("hub tasks after the reconciliation = %v, want the stale task kept once", keys(r.hubTasks()))
	}
	// Editing it in the hub later resurrects nothing in the CRM either.
	if code := r.do("PATCH", "/api/v1/tasks/"+h.ID, map[string]any{"details": "still to do"}, nil); code != http.StatusOK {
		t.Fatalf("edit: %d", code)
	}
	if _, err := r.trig.SyncNow(t.Context(), r.org.ID, st.StreamID); err != nil {
		t.Fatal(err)
	}
	if len(r.crmTasks()) != 0 {
		t.Errorf("CRM tasks after a later hub edit = %v, want none", keys(r.crmTasks()))
	}
}

// Issue 4, conflicts: one task edited on both sides between runs merges
// field by field; the same field changed on both sides goes to the newest
// write and the loser is kept as a conflict record.
func TestTaskEditedOnBothSidesMergesFieldByField(t *testing.T) {
	r := newSyncRig(t)
	id := r.crmTask(map[string]any{"Subject": "Plan the demo", "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-03-02"})
	st := r.save(task.SyncSettings{Enabled: true, SubjectTemplate: true})
	h, ok := r.hubTasks()["Plan the demo"]
	if !ok {
		t.Fatal("the CRM task did not arrive")
	}
	// The CRM changes the description and the due date; then (a second
	// later, so newer) the hub changes the priority and the due date.
	if err := r.sb.Update("Task", id, "", map[string]any{"Description": "Bring the slides", "ActivityDate": "2026-03-10"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if code := r.do("PATCH", "/api/v1/tasks/"+h.ID, map[string]any{"priority": "High", "due": "2026-03-12"}, nil); code != http.StatusOK {
		t.Fatalf("edit: %d", code)
	}
	if _, err := r.trig.SyncNow(t.Context(), r.org.ID, st.StreamID); err != nil {
		t.Fatal(err)
	}
	crm := r.crmTaskByID(id)
	hub := r.hubTasks()["Plan the demo"]
	if crm["Description"] != "Bring the slides" || hub.Details != "Bring the slides" {
		t.Errorf("description: CRM %v, hub %q, want the CRM's edit on both", crm["Description"], hub.Details)
	}
	if crm["Priority"] != "High" || hub.Priority != "High" {
		t.Errorf("priority: CRM %v, hub %q, want the hub's edit on both", crm["Priority"], hub.Priority)
	}
	if crm["ActivityDate"] != "2026-03-12" || hub.Due != "2026-03-12" {
		t.Errorf("due: CRM %v, hub %q, want the newest (the hub's) on both", crm["ActivityDate"], hub.Due)
	}
	var conflicts struct{ Items []api.Conflict }
	if code := r.do("GET", "/api/v1/conflicts", nil, &conflicts); code != http.StatusOK {
		t.Fatalf("conflicts: %d", code)
	}
	var found bool
	for _, c := range conflicts.Items {
		var a, b string
		_ = json.Unmarshal(c.AValue, &a)
		_ = json.Unmarshal(c.BValue, &b)
		if c.Field == "due" && a == "2026-03-10" && b == "2026-03-12" && c.Winner == "b" {
			found = true
		}
	}
	if !found {
		t.Errorf("conflicts = %+v, want the due date's, the CRM's 2026-03-10 losing to the hub's 2026-03-12", conflicts.Items)
	}
}
