package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func testConflicts(t *testing.T, s store.Store) {
	o1, o2 := newOrg(t, s, "one"), newOrg(t, s, "two")
	var cs []store.Conflict
	write(t, s, func(tx store.Tx) error {
		for i := range 6 {
			c := store.Conflict{OrgID: o1.ID, StreamID: fmt.Sprintf("s%d", i%2), AID: fmt.Sprintf("a%d", i%3), BID: "b",
				Field: "subject", AValue: json.RawMessage(`"from A"`), BValue: json.RawMessage(`"from B"`),
				Winner: store.SideA, Reason: "newest wins: a modified later"}
			if i == 0 {
				c.Created = ts(0)
			}
			if err := tx.AddConflict(ctx, &c); err != nil {
				return err
			}
			cs = append(cs, c)
		}
		return tx.AddConflict(ctx, &store.Conflict{OrgID: o2.ID, StreamID: "s0", AID: "a0"})
	})
	if cs[1].ID == "" || cs[1].Created.IsZero() || !cs[0].Created.Equal(ts(0)) {
		t.Fatalf("AddConflict did not fill ID and Created: %+v", cs[1])
	}
	rev := func(idx ...int) []store.Conflict {
		var out []store.Conflict
		for _, i := range idx {
			out = append(out, cs[i])
		}
		return out
	}
	tests := []struct {
		name string
		f    store.ConflictFilter
		want []store.Conflict
	}{
		{"org", store.ConflictFilter{OrgID: o1.ID}, rev(5, 4, 3, 2, 1, 0)},
		{"org limit", store.ConflictFilter{OrgID: o1.ID, Limit: 2}, rev(5, 4)},
		{"stream", store.ConflictFilter{OrgID: o1.ID, StreamID: "s1"}, rev(5, 3, 1)},
		{"stream and record", store.ConflictFilter{OrgID: o1.ID, StreamID: "s0", AID: "a0"}, rev(0)},
		{"record", store.ConflictFilter{OrgID: o1.ID, AID: "a2"}, rev(5, 2)},
	}
	read(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.ListConflicts(ctx, tt.f)
			if err != nil {
				return err
			}
			diff(t, "ListConflicts "+tt.name, tt.want, got)
		}
		all, err := tx.ListConflicts(ctx, store.ConflictFilter{})
		if len(all) != 7 {
			t.Fatalf("ListConflicts with no filter: %d", len(all))
		}
		return err
	})
}

func testQuarantine(t *testing.T, s store.Store) {
	o1, o2 := newOrg(t, s, "one"), newOrg(t, s, "two")
	q1 := store.Quarantine{OrgID: o1.ID, StreamID: "s1", Side: store.SideB, RecordID: "r1", Field: "Email",
		Error: "INVALID_EMAIL_ADDRESS: Email: invalid email address: ann@", Payload: json.RawMessage(`{"Email":"ann@"}`)}
	q2 := store.Quarantine{OrgID: o1.ID, StreamID: "s2", Side: store.SideA, RecordID: "r2", Status: store.QuarantineDiscarded}
	q3 := store.Quarantine{OrgID: o2.ID, StreamID: "s1", RecordID: "r3"}
	write(t, s, func(tx store.Tx) error {
		return joinErr(tx.AddQuarantine(ctx, &q1), tx.AddQuarantine(ctx, &q2), tx.AddQuarantine(ctx, &q3))
	})
	if q1.Status != store.QuarantineOpen || q1.ID == "" || q1.Created.IsZero() || q1.Updated.IsZero() {
		t.Fatalf("AddQuarantine defaults: %+v", q1)
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetQuarantine(ctx, o1.ID, q1.ID)
		if err != nil {
			return err
		}
		diff(t, "GetQuarantine", q1, got)
		_, err = tx.GetQuarantine(ctx, o2.ID, q1.ID)
		wantErr(t, "GetQuarantine other org", err, store.ErrNotFound)
		tests := []struct {
			name string
			f    store.QuarantineFilter
			want []store.Quarantine
		}{
			{"org", store.QuarantineFilter{OrgID: o1.ID}, []store.Quarantine{q2, q1}},
			{"org open", store.QuarantineFilter{OrgID: o1.ID, Status: store.QuarantineOpen}, []store.Quarantine{q1}},
			{"stream", store.QuarantineFilter{StreamID: "s1"}, []store.Quarantine{q3, q1}},
			{"limit", store.QuarantineFilter{Limit: 1}, []store.Quarantine{q3}},
		}
		for _, tt := range tests {
			got, err := tx.ListQuarantine(ctx, tt.f)
			if err != nil {
				return err
			}
			diff(t, "ListQuarantine "+tt.name, tt.want, got)
		}
		return nil
	})
	q1.Status, q1.Error, q1.Updated = store.QuarantineRetried, "", ts(time.Hour)
	write(t, s, func(tx store.Tx) error {
		x := q1
		x.OrgID = o2.ID
		wantErr(t, "UpdateQuarantine other org", tx.UpdateQuarantine(ctx, x), store.ErrNotFound)
		return tx.UpdateQuarantine(ctx, q1)
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetQuarantine(ctx, o1.ID, q1.ID)
		diff(t, "quarantine after update", q1, got)
		open, err2 := tx.ListQuarantine(ctx, store.QuarantineFilter{OrgID: o1.ID, Status: store.QuarantineOpen})
		diff(t, "open quarantine after retry", []store.Quarantine(nil), open)
		return joinErr(err, err2)
	})
}

func testAudit(t *testing.T, s store.Store) {
	o1, o2 := newOrg(t, s, "one"), newOrg(t, s, "two")
	var as []store.Audit
	write(t, s, func(tx store.Tx) error {
		for i := range 4 {
			a := store.Audit{OrgID: o1.ID, ActorID: "u1", Action: "user.disable", Target: fmt.Sprintf("u%d", i), Detail: json.RawMessage(`{"why":"left"}`)}
			if err := tx.AddAudit(ctx, &a); err != nil {
				return err
			}
			as = append(as, a)
		}
		return tx.AddAudit(ctx, &store.Audit{OrgID: o2.ID, Action: "org.create"})
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.ListAudit(ctx, o1.ID, 0)
		diff(t, "ListAudit newest first", []store.Audit{as[3], as[2], as[1], as[0]}, got)
		got, err2 := tx.ListAudit(ctx, o1.ID, 2)
		diff(t, "ListAudit limit", []store.Audit{as[3], as[2]}, got)
		return joinErr(err, err2)
	})
}

func testOutbox(t *testing.T, s store.Store) {
	now := ts(0)
	mk := func(key string, next time.Time) store.OutboxMessage {
		return store.OutboxMessage{OrgID: "o1", Kind: "email", Key: key, Payload: json.RawMessage(`{"to":"ann@example.com"}`), NextTry: next}
	}
	later := mk("later", now.Add(time.Minute))
	due1 := mk("due1", now.Add(-time.Minute))
	due2 := mk("due2", now)                 // exactly now is due
	dueZero := mk("zero", time.Time{})      // never scheduled: due at once
	sent := mk("sent", now.Add(-time.Hour)) // not pending
	sent.Status, sent.Sent = store.OutboxSent, now
	write(t, s, func(tx store.Tx) error {
		for _, m := range []*store.OutboxMessage{&later, &due2, &due1, &sent, &dueZero} {
			if err := tx.AddOutbox(ctx, m); err != nil {
				return err
			}
		}
		// SPEC: an effect is recorded once; the duplicate is refused.
		dup := mk("due1", now)
		wantErr(t, "AddOutbox duplicate key", tx.AddOutbox(ctx, &dup), store.ErrConflict)
		return nil
	})
	if due1.Status != store.OutboxPending || due1.ID == "" || due1.Created.IsZero() {
		t.Fatalf("AddOutbox defaults: %+v", due1)
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.ListOutboxDue(ctx, now, 0)
		diff(t, "ListOutboxDue", []store.OutboxMessage{dueZero, due1, due2}, got)
		got, err2 := tx.ListOutboxDue(ctx, now, 1)
		diff(t, "ListOutboxDue limit", []store.OutboxMessage{dueZero}, got)
		m, err3 := tx.GetOutbox(ctx, later.ID)
		diff(t, "GetOutbox", later, m)
		_, err4 := tx.GetOutbox(ctx, "nope")
		wantErr(t, "GetOutbox missing", err4, store.ErrNotFound)
		return joinErr(err, err2, err3)
	})
	due1.Status, due1.Sent, due1.Attempts = store.OutboxSent, now, 1
	due2.Attempts, due2.NextTry, due2.LastError = 1, now.Add(5*time.Minute), "451 try later"
	write(t, s, func(tx store.Tx) error {
		wantErr(t, "UpdateOutbox missing", tx.UpdateOutbox(ctx, store.OutboxMessage{ID: "nope"}), store.ErrNotFound)
		return joinErr(tx.UpdateOutbox(ctx, due1), tx.UpdateOutbox(ctx, due2))
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.ListOutboxDue(ctx, now, 0)
		diff(t, "ListOutboxDue after delivery", []store.OutboxMessage{dueZero}, got)
		got, err2 := tx.ListOutboxDue(ctx, now.Add(time.Hour), 0)
		diff(t, "ListOutboxDue an hour later", []store.OutboxMessage{dueZero, later, due2}, got)
		m, err3 := tx.GetOutbox(ctx, due2.ID)
		diff(t, "GetOutbox after update", due2, m)
		return joinErr(err, err2, err3)
	})
}

func testSettings(t *testing.T, s store.Store) {
	read(t, s, func(tx store.Tx) error {
		_, err := tx.GetSetting(ctx, "o1", "", "smtp")
		wantErr(t, "GetSetting never put", err, store.ErrNotFound)
		return nil
	})
	write(t, s, func(tx store.Tx) error {
		return joinErr(
			tx.PutSetting(ctx, "o1", "", "smtp", json.RawMessage(`{"host":"mail"}`)),
			tx.PutSetting(ctx, "o1", "u1", "smtp", json.RawMessage(`{"host":"mine"}`)),
			tx.PutSetting(ctx, "o2", "", "smtp", json.RawMessage(`{"host":"other"}`)),
			tx.PutSetting(ctx, "o1", "", "smtp", json.RawMessage(`{"host":"mail2"}`)), // overwrite
		)
	})
	tests := []struct{ org, user, name, want string }{
		{"o1", "", "smtp", `{"host":"mail2"}`},
		{"o1", "u1", "smtp", `{"host":"mine"}`},
		{"o2", "", "smtp", `{"host":"other"}`},
	}
	read(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.GetSetting(ctx, tt.org, tt.user, tt.name)
			if err != nil {
				return err
			}
			if string(got) != tt.want {
				t.Fatalf("GetSetting(%s, %q, %s) = %s, want %s", tt.org, tt.user, tt.name, got, tt.want)
			}
		}
		_, err := tx.GetSetting(ctx, "o1", "u2", "smtp")
		wantErr(t, "GetSetting of a user without one", err, store.ErrNotFound)
		return nil
	})
	write(t, s, func(tx store.Tx) error { return tx.PutSetting(ctx, "o1", "u1", "smtp", nil) })
	read(t, s, func(tx store.Tx) error {
		_, err := tx.GetSetting(ctx, "o1", "u1", "smtp")
		wantErr(t, "GetSetting after deleting", err, store.ErrNotFound)
		return nil
	})
}
