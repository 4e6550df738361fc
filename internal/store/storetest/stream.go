package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func testStreams(t *testing.T, s store.Store) {
	o1, o2 := newOrg(t, s, "one"), newOrg(t, s, "two")
	a := store.Stream{OrgID: o1.ID, UserID: "u1", Name: "My tasks", Kind: "tasks", ConnA: "c1", ObjectA: "Task", ConnB: "c2", ObjectB: "todo",
		Enabled: true, EnabledAt: ts(0), Settings: json.RawMessage(`{"sync_notes":true}`),
		Schedule: store.Schedule{Kind: store.ScheduleDaily, At: "07:30"}, LastRun: ts(time.Hour), NextRun: ts(25 * time.Hour),
		LastError: "boom", Created: ts(-time.Hour)}
	b := store.Stream{OrgID: o1.ID, Name: "Contacts", Kind: "contacts", Schedule: store.Schedule{Kind: store.ScheduleInterval, Minutes: 15}, Created: ts(0)}
	c := store.Stream{OrgID: o2.ID, Name: "Meetings", Kind: "meetings", Created: ts(-2 * time.Hour)}
	write(t, s, func(tx store.Tx) error {
		for _, x := range []*store.Stream{&a, &b, &c} {
			if err := tx.CreateStream(ctx, x); err != nil {
				return err
			}
		}
		wantErr(t, "CreateStream duplicate id", tx.CreateStream(ctx, &store.Stream{ID: a.ID, OrgID: o1.ID}), store.ErrConflict)
		return nil
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetStream(ctx, o1.ID, a.ID)
		if err != nil {
			return err
		}
		diff(t, "GetStream", a, got)
		list, err := tx.ListStreams(ctx, o1.ID)
		diff(t, "ListStreams", []store.Stream{a, b}, list)
		all, err2 := tx.ListAllStreams(ctx)
		diff(t, "ListAllStreams", []store.Stream{c, a, b}, all)
		_, err3 := tx.GetStream(ctx, o2.ID, a.ID)
		wantErr(t, "GetStream other org", err3, store.ErrNotFound)
		return joinErr(err, err2)
	})

	a.Enabled, a.Settings, a.Schedule, a.LastError, a.NextRun = false, nil, store.Schedule{Kind: store.ScheduleManual}, "", time.Time{}
	write(t, s, func(tx store.Tx) error {
		if err := tx.UpdateStream(ctx, a); err != nil {
			return err
		}
		x := a
		x.OrgID = o2.ID
		wantErr(t, "UpdateStream other org", tx.UpdateStream(ctx, x), store.ErrNotFound)
		wantErr(t, "DeleteStream other org", tx.DeleteStream(ctx, o2.ID, a.ID), store.ErrNotFound)
		// State that DeleteStream must take along, and review data it keeps.
		if err := tx.AddPending(ctx, []store.Pending{{StreamID: a.ID, Side: store.SideA, RecordID: "r1"}}); err != nil {
			return err
		}
		if err := tx.PutLinks(ctx, []store.Link{{StreamID: a.ID, AID: "r1", BID: "x1"}}); err != nil {
			return err
		}
		if err := tx.CreateRun(ctx, &store.Run{OrgID: o1.ID, StreamID: a.ID}); err != nil {
			return err
		}
		return tx.AddConflict(ctx, &store.Conflict{OrgID: o1.ID, StreamID: a.ID, AID: "r1", Field: "subject"})
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetStream(ctx, o1.ID, a.ID)
		diff(t, "stream after update", a, got)
		return err
	})
	write(t, s, func(tx store.Tx) error { return tx.DeleteStream(ctx, o1.ID, a.ID) })
	read(t, s, func(tx store.Tx) error {
		_, err := tx.GetStream(ctx, o1.ID, a.ID)
		wantErr(t, "GetStream after delete", err, store.ErrNotFound)
		n, err := tx.CountPending(ctx, a.ID)
		m, err2 := tx.CountLinks(ctx, a.ID)
		runs, err3 := tx.ListRuns(ctx, a.ID, 0)
		conflicts, err4 := tx.ListConflicts(ctx, store.ConflictFilter{StreamID: a.ID})
		if n != 0 || m != 0 || len(runs) != 0 {
			t.Fatalf("deleted stream left %d pending, %d links, %d runs", n, m, len(runs))
		}
		if len(conflicts) != 1 {
			t.Fatalf("DeleteStream dropped conflicts kept for review: %v", conflicts)
		}
		return joinErr(err, err2, err3, err4)
	})
}

func testRuns(t *testing.T, s store.Store) {
	st := newStream(t, s)
	other := newOrg(t, s, "other")
	var runs []store.Run
	write(t, s, func(tx store.Tx) error {
		for i := range 5 {
			r := store.Run{OrgID: st.OrgID, StreamID: st.ID, Trigger: "schedule", Started: ts(time.Duration(i) * time.Minute)}
			if i == 3 {
				r.ID = fmt.Sprintf("run-%d", i) // caller-chosen ids sort anywhere
			}
			if err := tx.CreateRun(ctx, &r); err != nil {
				return err
			}
			runs = append(runs, r)
		}
		return nil
	})
	if runs[0].Status != store.RunQueued || runs[0].ID == "" {
		t.Fatalf("CreateRun defaults: %+v", runs[0])
	}
	r := runs[4]
	r.Status, r.Finished, r.Done, r.Total, r.Error = store.RunSucceeded, ts(time.Hour), 40, 40, ""
	r.Counts = store.RunCounts{Pulled: 40, Created: 3, Updated: 30, Deleted: 1, Conflicts: 2, Quarantined: 1, Skipped: 3}
	runs[4] = r
	write(t, s, func(tx store.Tx) error {
		if err := tx.UpdateRun(ctx, r); err != nil {
			return err
		}
		x := r
		x.OrgID = other.ID
		wantErr(t, "UpdateRun other org", tx.UpdateRun(ctx, x), store.ErrNotFound)
		return nil
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetRun(ctx, st.OrgID, r.ID)
		if err != nil {
			return err
		}
		diff(t, "GetRun", r, got)
		_, err = tx.GetRun(ctx, other.ID, r.ID)
		wantErr(t, "GetRun other org", err, store.ErrNotFound)
		list, err := tx.ListRuns(ctx, st.ID, 3)
		diff(t, "ListRuns newest first", []store.Run{runs[4], runs[3], runs[2]}, list)
		all, err2 := tx.ListRuns(ctx, st.ID, 0)
		if len(all) != 5 {
			t.Fatalf("ListRuns without limit: %d runs", len(all))
		}
		return joinErr(err, err2)
	})
}
