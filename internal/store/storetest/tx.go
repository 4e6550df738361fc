package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func testTimeRoundTrip(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	now := time.Now() // carries a monotonic clock reading
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"zero", time.Time{}, time.Time{}},
		{"nanoseconds in a zone", time.Date(2025, 3, 30, 1, 59, 59, 999999999, zone), time.Date(2025, 3, 29, 20, 29, 59, 999999000, time.UTC)},
		{"microseconds", ts(0), ts(0)},
		{"before 1970", time.Date(1969, 7, 20, 20, 17, 40, 500, time.UTC), time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)},
		{"far future", time.Date(2999, 12, 31, 23, 59, 59, 1000, time.UTC), time.Date(2999, 12, 31, 23, 59, 59, 1000, time.UTC)},
		{"with monotonic reading", now, time.UnixMicro(now.UnixMicro()).UTC()},
	}
	var recs []store.Record
	for i, tt := range tests {
		recs = append(recs, store.Record{ConnID: "c", Object: "o", ID: strconv.Itoa(i), Created: tt.in, Modified: tt.in})
	}
	o := store.Org{Name: "tz", Created: tests[1].in}
	write(t, s, func(tx store.Tx) error {
		return joinErr(tx.PutRecords(ctx, recs), tx.CreateOrg(ctx, &o))
	})
	// The pointer given to Create holds the time as stored.
	if o.Created != tests[1].want {
		t.Fatalf("CreateOrg wrote back Created %v (%v), want %v", o.Created, o.Created.Location(), tests[1].want)
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetRecords(ctx, "c", "o", []string{"0", "1", "2", "3", "4", "5"})
		if err != nil {
			return err
		}
		for i, tt := range tests {
			r := got[strconv.Itoa(i)]
			// == rather than Equal: the location must be UTC (or unset, for
			// the zero time) and the monotonic reading gone.
			if r.Created != tt.want || r.Modified != tt.want {
				t.Errorf("%s: stored %v, read back %v (%v), want %v", tt.name, tt.in, r.Created, r.Created.Location(), tt.want)
			}
		}
		org, err := tx.GetOrg(ctx, o.ID)
		if org.Created != tests[1].want {
			t.Errorf("org Created read back as %v", org.Created)
		}
		return err
	})
}

func testJSONRoundTrip(t *testing.T, s store.Store) {
	tests := []struct {
		name     string
		in, want json.RawMessage
	}{
		{"nil", nil, nil},
		{"empty", json.RawMessage{}, nil},
		{"kept byte for byte", json.RawMessage(`{ "b" : 1,  "a":[true,null] }`), json.RawMessage(`{ "b" : 1,  "a":[true,null] }`)},
		{"unicode", json.RawMessage(`{"name":"Zoë 東京 \u00e9"}`), json.RawMessage(`{"name":"Zoë 東京 \u00e9"}`)},
		{"null", json.RawMessage(`null`), json.RawMessage(`null`)},
	}
	var recs []store.Record
	for i, tt := range tests {
		recs = append(recs, store.Record{ConnID: "c", Object: "o", ID: strconv.Itoa(i), Fields: tt.in})
	}
	write(t, s, func(tx store.Tx) error { return tx.PutRecords(ctx, recs) })
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetRecords(ctx, "c", "o", []string{"0", "1", "2", "3", "4"})
		for i, tt := range tests {
			f := got[strconv.Itoa(i)].Fields
			if string(f) != string(tt.want) || (f == nil) != (tt.want == nil) {
				t.Errorf("%s: read back %#v, want %#v", tt.name, f, tt.want)
			}
		}
		return err
	})
}

var errBoom = errors.New("boom")

func testRollback(t *testing.T, s store.Store) {
	st := newStream(t, s)
	o := store.Org{ID: "rolled-back"}
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateOrg(ctx, &o); err != nil {
			return err
		}
		var recs []store.Record
		for i := range 600 {
			recs = append(recs, rec("c1", "Task", i))
		}
		if err := joinErr(
			tx.PutRecords(ctx, recs),
			tx.AddPending(ctx, []store.Pending{{StreamID: st.ID, Side: store.SideA, RecordID: "r1"}}),
			tx.PutSetting(ctx, st.OrgID, "", "x", json.RawMessage(`1`)),
			tx.DeleteStream(ctx, st.OrgID, st.ID),
		); err != nil {
			return err
		}
		return fmt.Errorf("stop: %w", errBoom)
	})
	// SPEC: InTx commits everything or nothing; fn's error comes back.
	wantErr(t, "InTx with a failing fn", err, errBoom)
	read(t, s, func(tx store.Tx) error {
		_, err := tx.GetOrg(ctx, "rolled-back")
		wantErr(t, "org of a rolled-back tx", err, store.ErrNotFound)
		recs, err := tx.ListRecords(ctx, "c1", "Task", "", 0)
		n, err2 := tx.CountPending(ctx, st.ID)
		_, err3 := tx.GetSetting(ctx, st.OrgID, "", "x")
		wantErr(t, "setting of a rolled-back tx", err3, store.ErrNotFound)
		_, err4 := tx.GetStream(ctx, st.OrgID, st.ID)
		if len(recs) != 0 || n != 0 {
			t.Fatalf("rolled-back tx left %d records, %d pending", len(recs), n)
		}
		return joinErr(err, err2, err4)
	})
}

func testConflictKeepsTxUsable(t *testing.T, s store.Store) {
	o := newOrg(t, s, "acme")
	write(t, s, func(tx store.Tx) error {
		return tx.CreateUser(ctx, &store.User{OrgID: o.ID, Email: "ann@example.com"})
	})
	// A caller may treat ErrConflict as "already done" and go on: the
	// transaction must still commit what else it writes.
	write(t, s, func(tx store.Tx) error {
		wantErr(t, "CreateUser duplicate", tx.CreateUser(ctx, &store.User{OrgID: o.ID, Email: "ann@example.com"}), store.ErrConflict)
		m := store.OutboxMessage{Key: "welcome-bob", Kind: "email"}
		if err := tx.AddOutbox(ctx, &m); err != nil {
			return err
		}
		dup := store.OutboxMessage{Key: "welcome-bob"}
		wantErr(t, "AddOutbox duplicate", tx.AddOutbox(ctx, &dup), store.ErrConflict)
		return tx.CreateUser(ctx, &store.User{OrgID: o.ID, Email: "bob@example.com"})
	})
	read(t, s, func(tx store.Tx) error {
		users, err := tx.ListUsers(ctx, o.ID)
		due, err2 := tx.ListOutboxDue(ctx, time.Now(), 0)
		if len(users) != 2 || len(due) != 1 {
			t.Fatalf("after conflicts: %d users, %d outbox messages; want 2 and 1", len(users), len(due))
		}
		return joinErr(err, err2)
	})
}

func testReadRejectsWrites(t *testing.T, s store.Store) {
	o := newOrg(t, s, "acme")
	writes := []struct {
		name string
		fn   func(tx store.Tx) error
	}{
		{"CreateOrg", func(tx store.Tx) error { return tx.CreateOrg(ctx, &store.Org{Name: "x"}) }},
		{"UpdateOrg", func(tx store.Tx) error { return tx.UpdateOrg(ctx, o) }},
		{"CreateUser", func(tx store.Tx) error { return tx.CreateUser(ctx, &store.User{OrgID: o.ID, Email: "a@b"}) }},
		{"CreateConnection", func(tx store.Tx) error {
			return tx.CreateConnection(ctx, &store.Connection{OrgID: o.ID, System: "zoom"})
		}},
		{"DeleteConnection", func(tx store.Tx) error { return tx.DeleteConnection(ctx, o.ID, "c") }},
		{"CreateStream", func(tx store.Tx) error { return tx.CreateStream(ctx, &store.Stream{OrgID: o.ID}) }},
		{"PutRecords", func(tx store.Tx) error { return tx.PutRecords(ctx, []store.Record{rec("c", "o", 1)}) }},
		{"DeleteRecords", func(tx store.Tx) error { _, err := tx.DeleteRecords(ctx, "c", ""); return err }},
		{"AddPending", func(tx store.Tx) error {
			return tx.AddPending(ctx, []store.Pending{{StreamID: "s", Side: store.SideA, RecordID: "r"}})
		}},
		{"PutLinks", func(tx store.Tx) error { return tx.PutLinks(ctx, []store.Link{link(1)}) }},
		{"PutCursor", func(tx store.Tx) error { return tx.PutCursor(ctx, store.Cursor{StreamID: "s", Side: store.SideA}) }},
		{"PutTombstones", func(tx store.Tx) error {
			return tx.PutTombstones(ctx, []store.Tombstone{{StreamID: "s", Side: store.SideA, RecordID: "r"}})
		}},
		{"DeleteStreamState", func(tx store.Tx) error { return tx.DeleteStreamState(ctx, "s") }},
		{"AddAudit", func(tx store.Tx) error { return tx.AddAudit(ctx, &store.Audit{OrgID: o.ID}) }},
		{"AddOutbox", func(tx store.Tx) error { return tx.AddOutbox(ctx, &store.OutboxMessage{Key: "k"}) }},
		{"PutSetting", func(tx store.Tx) error { return tx.PutSetting(ctx, o.ID, "", "n", json.RawMessage(`1`)) }},
		{"CreateHubTask", func(tx store.Tx) error {
			return tx.CreateHubTask(ctx, &store.HubTask{OrgID: o.ID, UserID: "u", Name: "n"})
		}},
		{"UpdateHubTask", func(tx store.Tx) error {
			return tx.UpdateHubTask(ctx, store.HubTask{OrgID: o.ID, UserID: "u", ID: "t", Name: "n",
				Status: store.HubTaskOpen, Priority: store.HubTaskNormal})
		}},
		{"DeleteHubTask", func(tx store.Tx) error { return tx.DeleteHubTask(ctx, o.ID, "u", "t") }},
	}
	for _, w := range writes {
		err := s.Read(ctx, func(tx store.Tx) error {
			wantErr(t, "Read: "+w.name, w.fn(tx), store.ErrReadOnly)
			return nil
		})
		if err != nil {
			t.Fatalf("Read around %s: %v", w.name, err)
		}
	}
	read(t, s, func(tx store.Tx) error {
		orgs, err := tx.ListOrgs(ctx)
		recs, err2 := tx.ListRecords(ctx, "c", "o", "", 0)
		if len(orgs) != 1 || len(recs) != 0 {
			t.Fatalf("a read-only tx wrote: %d orgs, %d records", len(orgs), len(recs))
		}
		return joinErr(err, err2)
	})
}

func testConcurrentIncrements(t *testing.T, s store.Store) {
	const workers, each = 4, 15
	write(t, s, func(tx store.Tx) error { return tx.PutSetting(ctx, "o", "", "counter", json.RawMessage(`0`)) })
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	// A reader runs alongside the writers and never sees a torn counter.
	done := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-done:
				return
			default:
			}
			err := s.Read(ctx, func(tx store.Tx) error {
				v, err := tx.GetSetting(ctx, "o", "", "counter")
				if err != nil {
					return err
				}
				if _, err := strconv.Atoi(string(v)); err != nil {
					return err
				}
				_, err = tx.ListRecords(ctx, "c", "o", "", 10)
				return err
			})
			if err != nil {
				errs <- fmt.Errorf("reader: %w", err)
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := s.InTx(ctx, func(tx store.Tx) error {
					v, err := tx.GetSetting(ctx, "o", "", "counter")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(string(v))
					if err != nil {
						return err
					}
					return tx.PutSetting(ctx, "o", "", "counter", json.RawMessage(strconv.Itoa(n+1)))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	<-readerDone
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent InTx: %v", err)
	}
	// SPEC: transactions are serializable: no increment is lost.
	read(t, s, func(tx store.Tx) error {
		v, err := tx.GetSetting(ctx, "o", "", "counter")
		if string(v) != strconv.Itoa(workers*each) {
			t.Fatalf("counter = %s after %d increments", v, workers*each)
		}
		return err
	})
}
