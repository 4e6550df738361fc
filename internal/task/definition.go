package task

import (
	"time"

	"github.com/crmsync/crmsync/internal/syncer"
)

// Kind is the stream kind of reminder-task sync.
const Kind = "tasks"

// SettingSubjectTemplate is the stream setting that is true while the
// activity template uses {{activity_subject}} (SPEC T7).
const SettingSubjectTemplate = "subject_template"

// Definition returns the reminder-task stream: side A is the CRM's Task
// object, side B the hub's reminder tasks.
//
// SPEC T2: name ↔ Subject; status Open ↔ Not Started, Complete ↔ Completed
// (other CRM statuses are not synced); priority Normal ↔ Normal, High ↔
// High (Low is not synced); due date ↔ ActivityDate; details ↔ Description.
// SPEC T3: CRM tasks are imported; hub tasks that existed before enabling
// are never pushed. SPEC T4: the first import pulls the last 24 hours.
// SPEC T5: CRM deletes within 15 days reach the hub. SPEC T7: the subject
// goes hub → CRM only, and only while the template uses it.
func Definition() *syncer.Definition {
	return &syncer.Definition{
		Name: Kind,
		Fields: []syncer.Field{
			{Name: "name", A: "Subject", B: "name", Dir: syncer.BToA, Seed: true, MaxLenA: 255, Condition: SettingSubjectTemplate},
			{Name: "status", A: "Status", B: "status", Values: []syncer.ValuePair{
				{A: "Not Started", B: "Open"}, {A: "Completed", B: "Complete"}}},
			{Name: "priority", A: "Priority", B: "priority", Values: []syncer.ValuePair{
				{A: "Normal", B: "Normal"}, {A: "High", B: "High"}}},
			{Name: "due", A: "ActivityDate", B: "due", Type: syncer.Date},
			{Name: "details", A: "Description", B: "details", MaxLenA: 32000},
		},
		A: syncer.SideRules{
			Create:          syncer.CreateAll,
			Delete:          syncer.DeletePolicy{Mode: syncer.DeleteWithin, Days: 15},
			InitialLookback: 24 * time.Hour,
		},
		B: syncer.SideRules{
			Create: syncer.CreateAfterEnable,
			Delete: syncer.DeletePolicy{Mode: syncer.DeletePropagate},
		},
		Conflict: syncer.NewestWins,
	}
}
