package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func event(t *testing.T, id string, f map[string]any) store.Record {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return store.Record{Object: "Event", ID: id, Fields: b}
}

func seeded(t *testing.T) ([]store.Record, Names) {
	evs := []store.Record{
		event(t, "E1", map[string]any{"OwnerId": "U1", "Subject": "Demo", "StartDateTime": "2026-11-02T10:00:00Z",
			"EndDateTime": "2026-11-02T10:30:00Z", FieldMeetingID: "z1", FieldStatus: "held",
			FieldParticipants: 3.0, FieldDuration: 30.0, FieldAttendees: "Ann; Bob; Cy",
			"WhoId": "C1", "WhatId": "O1", "AccountId": "A1"}),
		event(t, "E2", map[string]any{"OwnerId": "U2", "Subject": "Call", "StartDateTime": "2026-11-01T09:00:00Z",
			FieldMeetingID: "z2", FieldStatus: "scheduled"}),
		event(t, "E3", map[string]any{"OwnerId": "U1", "Subject": "Lunch", "StartDateTime": "2026-11-03T12:00:00Z"}),
		event(t, "E4", map[string]any{"OwnerId": "U1", "Subject": "Old", "StartDateTime": "2026-10-01T12:00:00Z",
			FieldMeetingID: "z4", FieldStatus: "held"}),
	}
	names := Names{"C1": {"Contact", "Ann Lee"}, "O1": {"Opportunity", "Big deal"}, "A1": {"Account", "Acme"}}
	return evs, names
}

func TestM16aMeetingEventsWithAccountContactOpportunity(t *testing.T) {
	evs, names := seeded(t)
	rows, err := Meetings(evs, names, "", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].EventID != "E2" || rows[1].EventID != "E1" {
		t.Fatalf("rows = %+v, want E2 then E1 (non-meeting and out-of-range left out)", rows)
	}
	r := rows[1]
	if r.Account != "Acme" || r.Contact != "Ann Lee" || r.Opportunity != "Big deal" || r.Subject != "Demo" {
		t.Errorf("row = %+v", r)
	}
}

func TestM16bcGroupedByStatusAndByUser(t *testing.T) {
	evs, names := seeded(t)
	rows, err := Meetings(evs, names, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	g := ByStatus(rows)
	if len(g) != 2 || g[0].Status != "held" || len(g[0].Rows) != 2 || g[1].Status != "scheduled" {
		t.Fatalf("by status = %+v", g)
	}
	if d := g[0].Rows[1]; d.Duration != 30 || d.Participants != 3 || d.Attendees != "Ann; Bob; Cy" {
		t.Errorf("held row = %+v", d)
	}
	u := ByUserStatus(rows)
	if len(u) != 2 || u[0].User != "U1" || u[0].Status != "held" || u[1].User != "U2" {
		t.Fatalf("by user = %+v", u)
	}
	own, _ := Meetings(evs, names, "U2", time.Time{}, time.Time{})
	if len(own) != 1 || own[0].EventID != "E2" {
		t.Errorf("U2's rows = %+v", own)
	}
}
