package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// batch is the size of the batch tests: more than a 1,000–2,000 sync batch.
const batch = 2500

func rec(conn, object string, i int) store.Record {
	return store.Record{
		ConnID: conn, Object: object, ID: fmt.Sprintf("r%05d", i), Key: fmt.Sprintf("k%d", i),
		Fields:  json.RawMessage(fmt.Sprintf(`{"Subject":"task %d"}`, i)),
		Created: ts(time.Duration(i) * time.Second), Modified: ts(time.Duration(i) * time.Minute),
		Gen: 1,
	}
}

func testRecords(t *testing.T, s store.Store) {
	r1 := rec("c1", "Task", 1)
	r1.EmailKey, r1.NameKey = "ann@example.com", "ann lee"
	r2 := rec("c1", "Task", 2)
	r2.Deleted = true
	r3 := rec("c1", "Event", 1) // same id, other object
	r4 := rec("c2", "Task", 1)  // same id, other connection
	write(t, s, func(tx store.Tx) error { return tx.PutRecords(ctx, []store.Record{r1, r2, r3, r4}) })
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetRecords(ctx, "c1", "Task", []string{r1.ID, r2.ID, "missing", r1.ID})
		diff(t, "GetRecords", map[string]store.Record{r1.ID: r1, r2.ID: r2}, got)
		got, err2 := tx.GetRecords(ctx, "c2", "Task", []string{r1.ID})
		diff(t, "GetRecords other connection", map[string]store.Record{r4.ID: r4}, got)
		got, err3 := tx.GetRecords(ctx, "c1", "Task", nil)
		if got == nil || len(got) != 0 {
			t.Fatalf("GetRecords of no ids = %#v, want an empty map", got)
		}
		return joinErr(err, err2, err3)
	})
	// Replace: every field is overwritten; a batch repeating an id keeps the last.
	r1b := r1
	r1b.Fields, r1b.EmailKey, r1b.Gen, r1b.Modified = json.RawMessage(`{"Subject":"renamed"}`), "", 2, ts(time.Hour)
	r2b := r2
	r2b.Deleted = false
	write(t, s, func(tx store.Tx) error { return tx.PutRecords(ctx, []store.Record{r1, r2b, r1b}) })
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetRecords(ctx, "c1", "Task", []string{r1.ID, r2.ID})
		diff(t, "GetRecords after replace", map[string]store.Record{r1.ID: r1b, r2.ID: r2b}, got)
		return err
	})
}

func testRecordsBatch(t *testing.T, s store.Store) {
	recs := make([]store.Record, batch)
	ids := make([]string, batch)
	for i := range recs {
		recs[i] = rec("c1", "Contact", i)
		recs[i].EmailKey = fmt.Sprintf("p%d@example.com", i%100)
		ids[i] = recs[i].ID
	}
	write(t, s, func(tx store.Tx) error { return tx.PutRecords(ctx, recs) })
	want := make(map[string]store.Record, batch)
	for _, r := range recs {
		want[r.ID] = r
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetRecords(ctx, "c1", "Contact", append(ids, "nope"))
		diff(t, "GetRecords of a big batch", want, got)
		return err
	})
	// Update every other record and page through them all.
	for i := 0; i < batch; i += 2 {
		recs[i].Gen = 7
		recs[i].Fields = json.RawMessage(`{"v":2}`)
		want[recs[i].ID] = recs[i]
	}
	write(t, s, func(tx store.Tx) error { return tx.PutRecords(ctx, recs) })
	read(t, s, func(tx store.Tx) error {
		var all []store.Record
		after := ""
		for {
			page, err := tx.ListRecords(ctx, "c1", "Contact", after, 1000)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
			after = page[len(page)-1].ID
		}
		diff(t, "ListRecords pages", recs, all)
		return nil
	})
}

func testFindRecords(t *testing.T, s store.Store) {
	mk := func(id, key, email, name string, deleted bool) store.Record {
		return store.Record{ConnID: "c1", Object: "Contact", ID: id, Key: key, EmailKey: email, NameKey: name, Deleted: deleted}
	}
	recs := []store.Record{
		mk("b", "ext-1", "ann@example.com", "ann lee", false),
		mk("a", "ext-2", "ann@example.com", "bob roe", false),
		mk("c", "ext-1", "ann@example.com", "ann lee", true), // deleted: found by MatchExternalAny only
		mk("d", "", "", "", false),                           // no keys: found by none
		{ConnID: "c1", Object: "Lead", ID: "e", Key: "ext-1", EmailKey: "ann@example.com"},
		{ConnID: "c2", Object: "Contact", ID: "f", Key: "ext-1", EmailKey: "ann@example.com"},
	}
	write(t, s, func(tx store.Tx) error { return tx.PutRecords(ctx, recs) })
	tests := []struct {
		kind store.MatchKind
		key  string
		want []string
	}{
		{store.MatchExternal, "ext-1", []string{"b"}},
		{store.MatchExternal, "ext-2", []string{"a"}},
		{store.MatchEmail, "ann@example.com", []string{"a", "b"}},
		{store.MatchName, "ann lee", []string{"b"}},
		{store.MatchName, "nobody", nil},
		{store.MatchExternal, "", nil},
		{store.MatchExternalAny, "ext-1", []string{"b", "c"}},
		{store.MatchExternalAny, "", nil},
		{store.MatchEmail, "", nil},
		{store.MatchName, "", nil},
	}
	read(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.FindRecords(ctx, "c1", "Contact", tt.kind, tt.key)
			if err != nil {
				return err
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			diff(t, fmt.Sprintf("FindRecords(%s, %q)", tt.kind, tt.key), tt.want, ids)
		}
		return nil
	})
}

func testStaleAndDeleteRecords(t *testing.T, s store.Store) {
	var recs []store.Record
	for i := range 10 {
		r := rec("c1", "Task", i)
		r.Gen = int64(i % 3) // gens 0,1,2,0,1,2,...
		r.Deleted = i == 3   // stale but deleted: not listed
		recs = append(recs, r)
	}
	recs = append(recs, rec("c1", "Event", 1), rec("c2", "Task", 1))
	write(t, s, func(tx store.Tx) error { return tx.PutRecords(ctx, recs) })
	read(t, s, func(tx store.Tx) error {
		stale, err := tx.ListStaleRecords(ctx, "c1", "Task", 2, 0)
		var ids []string
		for _, r := range stale {
			ids = append(ids, r.ID)
		}
		diff(t, "ListStaleRecords", []string{"r00000", "r00001", "r00004", "r00006", "r00007", "r00009"}, ids)
		stale, err2 := tx.ListStaleRecords(ctx, "c1", "Task", 2, 2)
		if len(stale) != 2 || stale[1].ID != "r00001" {
			t.Fatalf("ListStaleRecords with limit 2: %v", stale)
		}
		return joinErr(err, err2)
	})
	write(t, s, func(tx store.Tx) error {
		n, err := tx.DeleteRecords(ctx, "c1", "Task")
		if n != 10 {
			t.Fatalf("DeleteRecords(c1, Task) = %d, want 10", n)
		}
		return err
	})
	read(t, s, func(tx store.Tx) error {
		left, err := tx.ListRecords(ctx, "c1", "Event", "", 0)
		left2, err2 := tx.ListRecords(ctx, "c2", "Task", "", 0)
		if len(left) != 1 || len(left2) != 1 {
			t.Fatalf("DeleteRecords removed too much: %v %v", left, left2)
		}
		return joinErr(err, err2)
	})
	write(t, s, func(tx store.Tx) error {
		n, err := tx.DeleteRecords(ctx, "c1", "")
		if n != 1 {
			t.Fatalf("DeleteRecords(c1, all objects) = %d, want 1", n)
		}
		return err
	})
}
