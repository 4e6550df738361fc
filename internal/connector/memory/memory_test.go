package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
)

// listAll follows a change listing to its end.
func listAll(t *testing.T, s *memory.System, cursor string) ([]connector.Record, string) {
	t.Helper()
	var out []connector.Record
	for {
		p, err := s.Changes(context.Background(), "Task", cursor)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Records...)
		cursor = p.Cursor
		if !p.More {
			return out, cursor
		}
	}
}

func TestChangesPageAndResume(t *testing.T) {
	s := memory.New(memory.Options{PageSize: 2})
	a := s.Create("Task", connector.Fields{"Subject": "a"})
	s.Create("Task", connector.Fields{"Subject": "b"})
	c := s.Create("Task", connector.Fields{"Subject": "c"})
	all, cur := listAll(t, s, "")
	if len(all) != 3 {
		t.Fatalf("first listing: %d records", len(all))
	}
	// Later changes only, a record once with its latest state, deletes as
	// tombstones.
	_ = s.Update("Task", a, connector.Fields{"Subject": "a1"})
	_ = s.Update("Task", a, connector.Fields{"Subject": "a2"})
	_ = s.Delete("Task", c)
	got, _ := listAll(t, s, cur)
	if len(got) != 2 || got[0].ID != a || got[0].Fields["Subject"] != "a2" || got[1].ID != c || !got[1].Deleted {
		t.Fatalf("incremental listing: %+v", got)
	}
	// A full listing leaves deleted records out.
	if all, _ := listAll(t, s, ""); len(all) != 2 {
		t.Fatalf("full listing after a delete: %d records", len(all))
	}
}

func TestExpiredCursor(t *testing.T) {
	s := memory.New(memory.Options{})
	s.Create("Task", connector.Fields{})
	_, cur := listAll(t, s, "")
	s.ExpireCursors()
	if _, err := s.Changes(context.Background(), "Task", cur); !errors.Is(err, connector.ErrCursorExpired) {
		t.Fatalf("old cursor: %v", err)
	}
	// Cursors handed out after the expiry work.
	_, cur = listAll(t, s, "")
	if _, err := s.Changes(context.Background(), "Task", cur); err != nil {
		t.Fatal(err)
	}
}

func TestIdempotentCreateAndWriteResults(t *testing.T) {
	s := memory.New(memory.Options{BatchSize: 3})
	ctx := context.Background()
	res, err := s.Write(ctx, "Task", []connector.Write{
		{Op: connector.OpCreate, Key: "k1", Fields: connector.Fields{"Subject": "x"}},
		{Op: connector.OpCreate, Key: "k1", Fields: connector.Fields{"Subject": "x"}},
		{Op: connector.OpUpdate, ID: "missing", Fields: connector.Fields{"Subject": "y"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ID != res[1].ID || res[0].Err != nil {
		t.Fatalf("a repeated key made a second record: %+v", res)
	}
	if !errors.Is(res[2].Err, connector.ErrNotFound) {
		t.Fatalf("update of a missing record: %v", res[2].Err)
	}
	if n := len(s.List("Task")); n != 1 {
		t.Fatalf("%d records, want 1", n)
	}
	if _, err := s.Write(ctx, "Task", make([]connector.Write, 4)); err == nil {
		t.Fatal("a batch over the size was accepted")
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	w := []connector.Write{{Op: connector.OpCreate, Fields: connector.Fields{}}}

	s := memory.New(memory.Options{})
	s.SetFaults(memory.Faults{FailWriteN: 1})
	if _, err := s.Write(ctx, "Task", w); !errors.Is(err, memory.ErrInjected) || len(s.List("Task")) != 0 {
		t.Fatalf("FailWriteN: err %v, %d records", err, len(s.List("Task")))
	}

	s = memory.New(memory.Options{})
	s.SetFaults(memory.Faults{CrashAfterWriteN: 1})
	if _, err := s.Write(ctx, "Task", w); !errors.Is(err, memory.ErrCrashed) || len(s.List("Task")) != 1 {
		t.Fatalf("CrashAfterWriteN: err %v, %d records (the write must apply)", err, len(s.List("Task")))
	}

	s = memory.New(memory.Options{})
	s.SetFaults(memory.Faults{FailRecord: func(_ string, w connector.Write) error {
		if w.Fields["bad"] == true {
			return memory.ErrInjected
		}
		return nil
	}})
	res, err := s.Write(ctx, "Task", []connector.Write{
		{Op: connector.OpCreate, Fields: connector.Fields{"bad": true}},
		{Op: connector.OpCreate, Fields: connector.Fields{}},
	})
	if err != nil || res[0].Err == nil || res[1].Err != nil || len(s.List("Task")) != 1 {
		t.Fatalf("FailRecord: %v %+v", err, res)
	}

	s = memory.New(memory.Options{})
	s.SetFaults(memory.Faults{FailChangesN: 1})
	if _, err := s.Changes(ctx, "Task", ""); !errors.Is(err, memory.ErrInjected) {
		t.Fatalf("FailChangesN: %v", err)
	}
}

// A record deleted while a full listing is under way, after a page listed
// it alive, is reported as deleted on a later page.
func TestDeleteDuringFullListing(t *testing.T) {
	s := memory.New(memory.Options{PageSize: 1})
	a := s.Create("Task", connector.Fields{"Subject": "a"})
	s.Create("Task", connector.Fields{"Subject": "b"})
	p, err := s.Changes(context.Background(), "Task", "")
	if err != nil || len(p.Records) != 1 || p.Records[0].ID != a {
		t.Fatalf("first page: %+v %v", p, err)
	}
	_ = s.Delete("Task", a)
	rest, _ := listAll(t, s, p.Cursor)
	var gone bool
	for _, r := range rest {
		gone = gone || (r.ID == a && r.Deleted)
	}
	if !gone {
		t.Fatalf("the delete of %s, listed alive earlier, was never reported: %+v", a, rest)
	}
}
