package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func testPending(t *testing.T, s store.Store) {
	// Insertion order, not id order: ids count down.
	var ps []store.Pending
	for i := range batch {
		side := store.SideA
		if i%2 == 1 {
			side = store.SideB
		}
		ps = append(ps, store.Pending{StreamID: "s1", Side: side, RecordID: fmt.Sprintf("r%05d", batch-i)})
	}
	other := store.Pending{StreamID: "s2", Side: store.SideA, RecordID: "x"}
	write(t, s, func(tx store.Tx) error {
		if err := tx.AddPending(ctx, ps[:batch/2]); err != nil {
			return err
		}
		// Re-adding keeps the first place; repeats within a batch are one.
		again := append([]store.Pending{ps[0], other}, ps[batch/2:]...)
		return tx.AddPending(ctx, append(again, ps[batch-1], ps[3]))
	})
	read(t, s, func(tx store.Tx) error {
		n, err := tx.CountPending(ctx, "s1")
		if n != batch {
			t.Fatalf("CountPending = %d, want %d", n, batch)
		}
		all, err2 := tx.ListPending(ctx, "s1", 0)
		diff(t, "ListPending order", ps, all)
		first, err3 := tx.ListPending(ctx, "s1", 10)
		diff(t, "ListPending limit", ps[:10], first)
		return joinErr(err, err2, err3)
	})
	// Delete the first 2,000 and a few absent ones; same record id on the
	// other side or in another stream stays.
	del := append([]store.Pending{}, ps[:2000]...)
	del = append(del, store.Pending{StreamID: "s1", Side: store.SideA, RecordID: "absent"},
		store.Pending{StreamID: "s2", Side: store.SideB, RecordID: "x"})
	write(t, s, func(tx store.Tx) error { return tx.DeletePending(ctx, del) })
	read(t, s, func(tx store.Tx) error {
		all, err := tx.ListPending(ctx, "s1", 0)
		diff(t, "ListPending after delete", ps[2000:], all)
		o, err2 := tx.ListPending(ctx, "s2", 0)
		diff(t, "other stream's pending", []store.Pending{other}, o)
		return joinErr(err, err2)
	})
	// Deleted then re-added work goes to the back of the queue.
	write(t, s, func(tx store.Tx) error { return tx.AddPending(ctx, ps[:1]) })
	read(t, s, func(tx store.Tx) error {
		all, err := tx.ListPending(ctx, "s1", 0)
		diff(t, "re-added pending", append(append([]store.Pending{}, ps[2000:]...), ps[0]), all)
		return err
	})
}

func link(i int) store.Link {
	return store.Link{StreamID: "s1", AID: fmt.Sprintf("a%05d", i), BID: fmt.Sprintf("b%05d", i),
		Base: json.RawMessage(fmt.Sprintf(`{"subject":{"a":"t%d","b":"t%d"}}`, i, i)), Created: ts(0), Updated: ts(time.Duration(i) * time.Microsecond)}
}

func testLinks(t *testing.T, s store.Store) {
	ls := make([]store.Link, batch)
	aIDs, bIDs := make([]string, batch), make([]string, batch)
	for i := range ls {
		ls[i] = link(i)
		aIDs[i], bIDs[i] = ls[i].AID, ls[i].BID
	}
	fresh := store.Link{StreamID: "s2", AID: "a00001", BID: "b00001"} // same ids, other stream; zero times
	write(t, s, func(tx store.Tx) error { return tx.PutLinks(ctx, append(ls, fresh)) })
	byA := make(map[string]store.Link, batch)
	byB := make(map[string]store.Link, batch)
	for _, l := range ls {
		byA[l.AID], byB[l.BID] = l, l
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetLinks(ctx, "s1", store.SideA, append(aIDs, "zz"))
		diff(t, "GetLinks by A", byA, got)
		got, err2 := tx.GetLinks(ctx, "s1", store.SideB, bIDs)
		diff(t, "GetLinks by B", byB, got)
		n, err3 := tx.CountLinks(ctx, "s1")
		if n != batch {
			t.Fatalf("CountLinks = %d", n)
		}
		got, err4 := tx.GetLinks(ctx, "s2", store.SideB, []string{"b00001"})
		if l := got["b00001"]; l.AID != "a00001" || l.Created.IsZero() || l.Updated.IsZero() {
			t.Fatalf("link with zero times: %+v", l)
		}
		return joinErr(err, err2, err3, err4)
	})
	// Relink a00000 to a new B and update a base; Created stays.
	l0, l1 := ls[0], ls[1]
	l0.BID, l0.Created, l0.Updated = "b-new", time.Time{}, ts(time.Hour)
	l1.Base, l1.Created = json.RawMessage(`{}`), ts(time.Hour)
	write(t, s, func(tx store.Tx) error { return tx.PutLinks(ctx, []store.Link{l0, l1}) })
	l0.Created, l1.Created = ts(0), ts(0)
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetLinks(ctx, "s1", store.SideB, []string{"b-new", "b00000", "b00001"})
		diff(t, "GetLinks after relink", map[string]store.Link{"b-new": l0, "b00001": l1}, got)
		return err
	})
	write(t, s, func(tx store.Tx) error { return tx.DeleteLinks(ctx, "s1", aIDs[:2000]) })
	read(t, s, func(tx store.Tx) error {
		n, err := tx.CountLinks(ctx, "s1")
		m, err2 := tx.CountLinks(ctx, "s2")
		if n != batch-2000 || m != 1 {
			t.Fatalf("after DeleteLinks: %d links in s1, %d in s2", n, m)
		}
		return joinErr(err, err2)
	})
}

func testLinkConflict(t *testing.T, s store.Store) {
	write(t, s, func(tx store.Tx) error { return tx.PutLinks(ctx, []store.Link{link(1), link(2)}) })
	// SPEC: a B record is linked to one A record at most. The failing batch
	// writes nothing, and the transaction goes on.
	write(t, s, func(tx store.Tx) error {
		bad := make([]store.Link, 0, 600)
		for i := 3; i < 600; i++ {
			bad = append(bad, link(i))
		}
		steal := link(599)
		steal.BID = "b00001"
		err := tx.PutLinks(ctx, append(bad, steal))
		wantErr(t, "PutLinks with a B id linked elsewhere", err, store.ErrConflict)
		return tx.PutLinks(ctx, []store.Link{link(700)})
	})
	read(t, s, func(tx store.Tx) error {
		n, err := tx.CountLinks(ctx, "s1")
		if n != 3 {
			t.Fatalf("CountLinks = %d, want 3: the failed batch left links behind", n)
		}
		return err
	})
}

func testCursors(t *testing.T, s store.Store) {
	read(t, s, func(tx store.Tx) error {
		_, err := tx.GetCursor(ctx, "s1", store.SideA)
		wantErr(t, "GetCursor before any", err, store.ErrNotFound)
		return nil
	})
	a := store.Cursor{StreamID: "s1", Side: store.SideA, Value: "2025-06-01T00:00:00Z", Gen: 3, Updated: ts(0)}
	b := store.Cursor{StreamID: "s1", Side: store.SideB, Value: "delta-token"}
	write(t, s, func(tx store.Tx) error { return joinErr(tx.PutCursor(ctx, a), tx.PutCursor(ctx, b)) })
	a.Value, a.Gen, a.Updated = "next", 4, ts(time.Minute)
	write(t, s, func(tx store.Tx) error { return tx.PutCursor(ctx, a) })
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetCursor(ctx, "s1", store.SideA)
		diff(t, "cursor A", a, got)
		gotB, err2 := tx.GetCursor(ctx, "s1", store.SideB)
		if gotB.Value != "delta-token" || gotB.Updated.IsZero() {
			t.Fatalf("cursor B = %+v", gotB)
		}
		_, err3 := tx.GetCursor(ctx, "s2", store.SideA)
		wantErr(t, "GetCursor other stream", err3, store.ErrNotFound)
		return joinErr(err, err2)
	})
}

func testTombstones(t *testing.T, s store.Store) {
	var ts1 []store.Tombstone
	var ids []string
	for i := range batch {
		x := store.Tombstone{StreamID: "s1", Side: store.SideB, RecordID: fmt.Sprintf("r%d", i), Deleted: ts(time.Duration(i) * time.Millisecond), Reason: "deleted in B"}
		ts1 = append(ts1, x)
		ids = append(ids, x.RecordID)
	}
	onA := store.Tombstone{StreamID: "s1", Side: store.SideA, RecordID: "r1", Reason: "discarded"}
	write(t, s, func(tx store.Tx) error { return tx.PutTombstones(ctx, append(ts1, onA)) })
	ts1[1].Reason, ts1[1].Deleted = "deleted again", ts(time.Hour)
	write(t, s, func(tx store.Tx) error { return tx.PutTombstones(ctx, ts1[1:2]) })
	want := map[string]store.Tombstone{}
	for _, x := range ts1 {
		want[x.RecordID] = x
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetTombstones(ctx, "s1", store.SideB, append(ids, "alive"))
		diff(t, "GetTombstones side B", want, got)
		got, err2 := tx.GetTombstones(ctx, "s1", store.SideA, []string{"r1", "r2"})
		diff(t, "GetTombstones side A", map[string]store.Tombstone{"r1": onA}, got)
		got, err3 := tx.GetTombstones(ctx, "s2", store.SideB, ids[:5])
		diff(t, "GetTombstones other stream", map[string]store.Tombstone{}, got)
		return joinErr(err, err2, err3)
	})
}

func testDeleteStreamState(t *testing.T, s store.Store) {
	o := newOrg(t, s, "acme")
	for _, sid := range []string{"s1", "s2"} {
		write(t, s, func(tx store.Tx) error {
			return joinErr(
				tx.AddPending(ctx, []store.Pending{{StreamID: sid, Side: store.SideA, RecordID: "r1"}}),
				tx.PutLinks(ctx, []store.Link{{StreamID: sid, AID: "a1", BID: "b1"}}),
				tx.PutCursor(ctx, store.Cursor{StreamID: sid, Side: store.SideA, Value: "c"}),
				tx.PutTombstones(ctx, []store.Tombstone{{StreamID: sid, Side: store.SideB, RecordID: "b2"}}),
				tx.AddConflict(ctx, &store.Conflict{OrgID: o.ID, StreamID: sid, AID: "a1", Field: "f"}),
				tx.AddQuarantine(ctx, &store.Quarantine{OrgID: o.ID, StreamID: sid, Side: store.SideA, RecordID: "r9"}),
			)
		})
	}
	write(t, s, func(tx store.Tx) error { return tx.DeleteStreamState(ctx, "s1") })
	read(t, s, func(tx store.Tx) error {
		for _, c := range []struct {
			sid  string
			want int
		}{{"s1", 0}, {"s2", 1}} {
			p, err := tx.CountPending(ctx, c.sid)
			l, err2 := tx.CountLinks(ctx, c.sid)
			_, err3 := tx.GetCursor(ctx, c.sid, store.SideA)
			tb, err4 := tx.GetTombstones(ctx, c.sid, store.SideB, []string{"b2"})
			if err := joinErr(err, err2, err4); err != nil {
				return err
			}
			if int(p) != c.want || int(l) != c.want || len(tb) != c.want || (err3 == nil) != (c.want == 1) {
				t.Fatalf("stream %s after DeleteStreamState(s1): pending %d, links %d, tombstones %d, cursor err %v", c.sid, p, l, len(tb), err3)
			}
			cf, err := tx.ListConflicts(ctx, store.ConflictFilter{StreamID: c.sid})
			q, err2 := tx.ListQuarantine(ctx, store.QuarantineFilter{StreamID: c.sid})
			if len(cf) != 1 || len(q) != 1 {
				t.Fatalf("stream %s: conflicts %d, quarantine %d: both are kept for review", c.sid, len(cf), len(q))
			}
			if err := joinErr(err, err2); err != nil {
				return err
			}
		}
		return nil
	})
}
