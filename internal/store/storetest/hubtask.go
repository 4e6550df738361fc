package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// hubTaskIDs returns the ids of tasks, in order.
func hubTaskIDs(ts []store.HubTask) []string {
	out := make([]string, len(ts))
	for i, h := range ts {
		out[i] = h.ID
	}
	return out
}

// createHubTask creates h and fails the test on error.
func createHubTask(t *testing.T, s store.Store, h store.HubTask) store.HubTask {
	t.Helper()
	write(t, s, func(tx store.Tx) error { return tx.CreateHubTask(ctx, &h) })
	return h
}

// SPEC T1: each user's reminder tasks are their own: create defaults, round
// trip, and another org's or user's task is not found, for every method.
func testHubTasks(t *testing.T, s store.Store) {
	o1, o2 := newOrg(t, s, "one"), newOrg(t, s, "two")
	h := createHubTask(t, s, store.HubTask{OrgID: o1.ID, UserID: "ann", Name: "Call Bob", Due: "2026-03-02",
		Details: "About the renewal", RelatedType: "Contact", RelatedID: "003000000000001"})
	if h.ID == "" || h.Created.IsZero() || h.Modified.IsZero() || h.Seq <= 0 {
		t.Fatalf("CreateHubTask did not fill ID, Created, Modified and Seq: %+v", h)
	}
	if h.Status != store.HubTaskOpen || h.Priority != store.HubTaskNormal {
		t.Fatalf("CreateHubTask defaults: status %q priority %q", h.Status, h.Priority)
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetHubTask(ctx, o1.ID, "ann", h.ID)
		diff(t, "GetHubTask", h, got)
		_, err2 := tx.GetHubTask(ctx, o2.ID, "ann", h.ID)
		wantErr(t, "GetHubTask of another org", err2, store.ErrNotFound)
		_, err2 = tx.GetHubTask(ctx, o1.ID, "bob", h.ID)
		wantErr(t, "GetHubTask of another user", err2, store.ErrNotFound)
		_, err2 = tx.GetHubTask(ctx, o1.ID, "ann", "nope")
		wantErr(t, "GetHubTask missing", err2, store.ErrNotFound)
		return err
	})

	upd := h
	upd.Name, upd.Status, upd.Priority, upd.Due, upd.Details = "Call Bob again", store.HubTaskComplete, store.HubTaskHigh, "", ""
	upd.RelatedType, upd.RelatedID, upd.Modified = "", "", ts(time.Hour)
	write(t, s, func(tx store.Tx) error {
		other := upd
		other.UserID = "bob"
		wantErr(t, "UpdateHubTask of another user", tx.UpdateHubTask(ctx, other), store.ErrNotFound)
		other = upd
		other.OrgID = o2.ID
		wantErr(t, "UpdateHubTask of another org", tx.UpdateHubTask(ctx, other), store.ErrNotFound)
		wantErr(t, "DeleteHubTask of another user", tx.DeleteHubTask(ctx, o1.ID, "bob", h.ID), store.ErrNotFound)
		wantErr(t, "DeleteHubTask of another org", tx.DeleteHubTask(ctx, o2.ID, "ann", h.ID), store.ErrNotFound)
		return tx.UpdateHubTask(ctx, upd)
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetHubTask(ctx, o1.ID, "ann", h.ID)
		if got.Seq <= h.Seq {
			t.Errorf("UpdateHubTask kept seq %d (was %d)", got.Seq, h.Seq)
		}
		upd.Seq = got.Seq
		diff(t, "GetHubTask after update", upd, got)
		return err
	})

	// A zero Modified is filled on update.
	write(t, s, func(tx store.Tx) error {
		x := upd
		x.Modified = time.Time{}
		return tx.UpdateHubTask(ctx, x)
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetHubTask(ctx, o1.ID, "ann", h.ID)
		if got.Modified.IsZero() {
			t.Error("UpdateHubTask with a zero Modified stored the zero time")
		}
		return err
	})

	write(t, s, func(tx store.Tx) error { return tx.DeleteHubTask(ctx, o1.ID, "ann", h.ID) })
	read(t, s, func(tx store.Tx) error {
		_, err := tx.GetHubTask(ctx, o1.ID, "ann", h.ID)
		wantErr(t, "GetHubTask after delete", err, store.ErrNotFound)
		return nil
	})
	write(t, s, func(tx store.Tx) error {
		wantErr(t, "UpdateHubTask after delete", tx.UpdateHubTask(ctx, upd), store.ErrNotFound)
		wantErr(t, "DeleteHubTask twice", tx.DeleteHubTask(ctx, o1.ID, "ann", h.ID), store.ErrNotFound)
		return nil
	})
}

// SPEC T4: all tasks stay listable; the command center filters by due
// date. Lists are ordered by due date, undated last.
func testListHubTasks(t *testing.T, s store.Store) {
	o1, o2 := newOrg(t, s, "one"), newOrg(t, s, "two")
	mk := func(org store.Org, user, name, due, status string, created time.Duration) store.HubTask {
		return createHubTask(t, s, store.HubTask{OrgID: org.ID, UserID: user, Name: name, Due: due, Status: status, Created: ts(created)})
	}
	undated := mk(o1, "ann", "undated", "", "", 0)
	today := mk(o1, "ann", "today", "2026-03-02", "", time.Minute)
	today2 := mk(o1, "ann", "today, earlier", "2026-03-02", store.HubTaskComplete, -time.Minute)
	tomorrow := mk(o1, "ann", "tomorrow", "2026-03-03", "", 0)
	later := mk(o1, "ann", "later", "2026-03-04", "", 0)
	past := mk(o1, "ann", "past", "2026-02-27", "", 0)
	bobs := mk(o1, "bob", "bob's", "2026-03-02", "", 0)
	mk(o2, "ann", "other org", "2026-03-02", "", 0)
	gone := mk(o1, "ann", "gone", "2026-03-02", "", 0)
	write(t, s, func(tx store.Tx) error { return tx.DeleteHubTask(ctx, o1.ID, "ann", gone.ID) })
	gone.Deleted = true

	tests := []struct {
		name string
		f    store.HubTaskFilter
		want []store.HubTask
	}{
		{"all of a user", store.HubTaskFilter{OrgID: o1.ID, UserID: "ann"},
			[]store.HubTask{past, today2, today, tomorrow, later, undated}},
		{"limit", store.HubTaskFilter{OrgID: o1.ID, UserID: "ann", Limit: 2}, []store.HubTask{past, today2}},
		{"today and tomorrow", store.HubTaskFilter{OrgID: o1.ID, UserID: "ann", DueFrom: "2026-03-02", DueTo: "2026-03-03"},
			[]store.HubTask{today2, today, tomorrow}},
		{"from", store.HubTaskFilter{OrgID: o1.ID, UserID: "ann", DueFrom: "2026-03-03"}, []store.HubTask{tomorrow, later}},
		{"to", store.HubTaskFilter{OrgID: o1.ID, UserID: "ann", DueTo: "2026-03-01"}, []store.HubTask{past}},
		{"status", store.HubTaskFilter{OrgID: o1.ID, UserID: "ann", Status: store.HubTaskComplete}, []store.HubTask{today2}},
		{"another user", store.HubTaskFilter{OrgID: o1.ID, UserID: "bob"}, []store.HubTask{bobs}},
		{"nobody", store.HubTaskFilter{OrgID: o1.ID, UserID: "cy"}, nil},
	}
	read(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.ListHubTasks(ctx, tt.f)
			if err != nil {
				return err
			}
			diff(t, "ListHubTasks "+tt.name, hubTaskIDs(tt.want), hubTaskIDs(got))
		}
		got, err := tx.ListHubTasks(ctx, store.HubTaskFilter{OrgID: o1.ID, UserID: "ann", DueFrom: "2026-03-02", DueTo: "2026-03-02", IncludeDeleted: true})
		if err != nil {
			return err
		}
		diff(t, "ListHubTasks with IncludeDeleted", []string{today2.ID, gone.ID, today.ID}, hubTaskIDs(got))
		if len(got) == 3 && (!got[1].Deleted || got[1].Seq <= gone.Seq) {
			t.Errorf("the tombstone listed: %+v", got[1])
		}
		return nil
	})
}

// The change feed: every create, update and delete bumps a store-wide
// monotonic Seq; a user's feed lists their tasks after a seq, in seq
// order, each at its latest write, deletes included as tombstones.
func testHubTaskChanges(t *testing.T, s store.Store) {
	o1, o2 := newOrg(t, s, "one"), newOrg(t, s, "two")
	a := createHubTask(t, s, store.HubTask{OrgID: o1.ID, UserID: "ann", Name: "a"})
	b := createHubTask(t, s, store.HubTask{OrgID: o1.ID, UserID: "ann", Name: "b"})
	bob := createHubTask(t, s, store.HubTask{OrgID: o1.ID, UserID: "bob", Name: "bob's"})
	other := createHubTask(t, s, store.HubTask{OrgID: o2.ID, UserID: "ann", Name: "other org"})
	c := createHubTask(t, s, store.HubTask{OrgID: o1.ID, UserID: "ann", Name: "c"})
	for i, h := range []store.HubTask{a, b, bob, other, c}[1:] {
		prev := []store.HubTask{a, b, bob, other, c}[i]
		if h.Seq <= prev.Seq {
			t.Fatalf("seq does not increase across users and orgs: %d after %d", h.Seq, prev.Seq)
		}
	}
	var feed []store.HubTask
	read(t, s, func(tx store.Tx) error {
		var err error
		feed, err = tx.HubTaskChanges(ctx, o1.ID, "ann", 0, 0)
		return err
	})
	diff(t, "the feed from the start", []store.HubTask{a, b, c}, feed)

	// A transaction that fails leaves nothing in the feed.
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Tx) error {
		h := store.HubTask{OrgID: o1.ID, UserID: "ann", Name: "rolled back"}
		if err := joinErr(tx.CreateHubTask(ctx, &h), tx.DeleteHubTask(ctx, o1.ID, "ann", a.ID)); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "InTx that fails", err, boom)
	read(t, s, func(tx store.Tx) error {
		got, err := tx.HubTaskChanges(ctx, o1.ID, "ann", c.Seq, 0)
		diff(t, "the feed after a rollback", []store.HubTask(nil), got)
		return err
	})

	// a is edited, then b deleted, in one transaction; then a again.
	a.Name = "a, edited"
	write(t, s, func(tx store.Tx) error {
		return joinErr(tx.UpdateHubTask(ctx, a), tx.DeleteHubTask(ctx, o1.ID, "ann", b.ID))
	})
	a.Details = "more"
	write(t, s, func(tx store.Tx) error { return tx.UpdateHubTask(ctx, a) })

	read(t, s, func(tx store.Tx) error {
		got, err := tx.HubTaskChanges(ctx, o1.ID, "ann", c.Seq, 0)
		if err != nil {
			return err
		}
		if len(got) != 2 || got[0].ID != b.ID || got[1].ID != a.ID {
			t.Fatalf("feed after c: %v, want [b a]", hubTaskIDs(got))
		}
		if !got[0].Deleted || got[0].Seq <= c.Seq || got[1].Seq <= got[0].Seq {
			t.Errorf("the delete is not a later tombstone: %+v", got)
		}
		if got[1].Name != "a, edited" || got[1].Details != "more" || got[1].Deleted {
			t.Errorf("a in the feed: %+v", got[1])
		}
		// From the start, each task appears once, at its latest write.
		all, err := tx.HubTaskChanges(ctx, o1.ID, "ann", 0, 0)
		diff(t, "the whole feed", []string{c.ID, b.ID, a.ID}, hubTaskIDs(all))
		page, err2 := tx.HubTaskChanges(ctx, o1.ID, "ann", 0, 2)
		diff(t, "a page of the feed", []string{c.ID, b.ID}, hubTaskIDs(page))
		rest, err3 := tx.HubTaskChanges(ctx, o1.ID, "ann", page[1].Seq, 2)
		diff(t, "the next page", []string{a.ID}, hubTaskIDs(rest))
		end, err4 := tx.HubTaskChanges(ctx, o1.ID, "ann", rest[0].Seq, 2)
		diff(t, "past the end", []string(nil), hubTaskIDs(end))
		bobs, err5 := tx.HubTaskChanges(ctx, o1.ID, "bob", 0, 0)
		diff(t, "bob's feed", []store.HubTask{bob}, bobs)
		return joinErr(err, err2, err3, err4, err5)
	})
}

// Bad values are refused with ErrInvalid naming the field, and nothing is
// written.
func testHubTaskValidation(t *testing.T, s store.Store) {
	o := newOrg(t, s, "one")
	ok := createHubTask(t, s, store.HubTask{OrgID: o.ID, UserID: "ann", Name: "fine"})
	tests := []struct {
		field string
		edit  func(h *store.HubTask)
	}{
		{"name", func(h *store.HubTask) { h.Name = "  " }},
		{"name", func(h *store.HubTask) { h.Name = strings.Repeat("é", store.MaxHubTaskName+1) }},
		{"status", func(h *store.HubTask) { h.Status = "Done" }},
		{"status", func(h *store.HubTask) { h.Status = "open" }},
		{"priority", func(h *store.HubTask) { h.Priority = "Low" }},
		{"due", func(h *store.HubTask) { h.Due = "2026-02-30" }},
		{"due", func(h *store.HubTask) { h.Due = "2026-3-1" }},
		{"due", func(h *store.HubTask) { h.Due = "2026-03-01T10:00:00Z" }},
		{"details", func(h *store.HubTask) { h.Details = strings.Repeat("x", store.MaxHubTaskDetails+1) }},
		{"related_id", func(h *store.HubTask) { h.RelatedID = strings.Repeat("x", store.MaxHubTaskRef+1) }},
	}
	for _, tt := range tests {
		bad := store.HubTask{OrgID: o.ID, UserID: "ann", Name: "new"}
		tt.edit(&bad)
		upd := ok
		tt.edit(&upd)
		write(t, s, func(tx store.Tx) error {
			for what, err := range map[string]error{"create": tx.CreateHubTask(ctx, &bad), "update": tx.UpdateHubTask(ctx, upd)} {
				var ie *store.InvalidError
				if !errors.Is(err, store.ErrInvalid) || !errors.As(err, &ie) || ie.Field != tt.field {
					t.Errorf("%s with a bad %s: got %v, want an InvalidError of field %s", what, tt.field, err, tt.field)
				}
			}
			return nil
		})
	}
	read(t, s, func(tx store.Tx) error {
		all, err := tx.HubTaskChanges(ctx, o.ID, "ann", 0, 0)
		diff(t, "tasks after refused writes", []store.HubTask{ok}, all)
		return err
	})
}

// A connector's idempotency key finds the live task made with it; a second
// live task of the same user cannot take it, another user's can, and a
// deleted task frees it.
func testHubTaskKeys(t *testing.T, s store.Store) {
	o := newOrg(t, s, "one")
	h := createHubTask(t, s, store.HubTask{OrgID: o.ID, UserID: "ann", Name: "from the CRM", Key: "crmsync:s1:a:00T1"})
	write(t, s, func(tx store.Tx) error {
		dup := store.HubTask{OrgID: o.ID, UserID: "ann", Name: "again", Key: h.Key}
		wantErr(t, "CreateHubTask with a key taken", tx.CreateHubTask(ctx, &dup), store.ErrConflict)
		// The refused write left the transaction usable.
		bobs := store.HubTask{OrgID: o.ID, UserID: "bob", Name: "bob's", Key: h.Key}
		return tx.CreateHubTask(ctx, &bobs)
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetHubTaskByKey(ctx, o.ID, "ann", h.Key)
		diff(t, "GetHubTaskByKey", h, got)
		_, err2 := tx.GetHubTaskByKey(ctx, o.ID, "cy", h.Key)
		wantErr(t, "GetHubTaskByKey of another user", err2, store.ErrNotFound)
		_, err2 = tx.GetHubTaskByKey(ctx, o.ID, "ann", "")
		wantErr(t, "GetHubTaskByKey of no key", err2, store.ErrNotFound)
		return err
	})
	write(t, s, func(tx store.Tx) error { return tx.DeleteHubTask(ctx, o.ID, "ann", h.ID) })
	again := createHubTask(t, s, store.HubTask{OrgID: o.ID, UserID: "ann", Name: "made again", Key: h.Key})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetHubTaskByKey(ctx, o.ID, "ann", h.Key)
		diff(t, "GetHubTaskByKey after delete and create", again.ID, got.ID)
		return err
	})
}

// Concurrent writers each get their own seq, and the feed lists every
// write once, in order: no two writes share a seq, none is lost.
func testHubTaskConcurrentSeq(t *testing.T, s store.Store) {
	o := newOrg(t, s, "one")
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				err := s.InTx(ctx, func(tx store.Tx) error {
					h := store.HubTask{OrgID: o.ID, UserID: "ann", Name: fmt.Sprintf("w%d-%d", w, i)}
					if err := tx.CreateHubTask(ctx, &h); err != nil {
						return err
					}
					h.Details = "edited"
					return tx.UpdateHubTask(ctx, h)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	read(t, s, func(tx store.Tx) error {
		all, err := tx.HubTaskChanges(ctx, o.ID, "ann", 0, 0)
		if len(all) != workers*each {
			t.Fatalf("feed holds %d tasks, want %d", len(all), workers*each)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq <= all[i-1].Seq {
				t.Fatalf("feed out of order at %d: %d after %d", i, all[i].Seq, all[i-1].Seq)
			}
		}
		return err
	})
}
