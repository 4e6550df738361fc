package hubtask_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/memstore"
	"github.com/crmsync/crmsync/internal/testenv"
)

// stores are the stores each connector test runs on.
var stores = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", func(t *testing.T) store.Store { return testenv.SQLite(t) }},
	{"memstore", func(*testing.T) store.Store { return memstore.New(memstore.Config{}) }},
}

// forEachStore runs fn as a parallel subtest on each store.
func forEachStore(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	t.Parallel()
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			fn(t, st.open(t))
		})
	}
}

// newConn returns the connector of user in org o1 with the given page size.
func newConn(t *testing.T, s store.Store, user string, pageSize int) *hubtask.Connector {
	t.Helper()
	c, err := hubtask.New(hubtask.Config{Store: s, OrgID: "o1", UserID: user, PageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// write sends ws and fails the test when the whole call fails.
func write(t *testing.T, c *hubtask.Connector, ws ...connector.Write) []connector.Result {
	t.Helper()
	res, err := c.Write(t.Context(), hubtask.Object, ws)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if len(res) != len(ws) {
		t.Fatalf("Write answered %d results for %d writes", len(res), len(ws))
	}
	return res
}

func create(name string, more ...any) connector.Write {
	f := connector.Fields{"name": name}
	for i := 0; i+1 < len(more); i += 2 {
		f[more[i].(string)] = more[i+1]
	}
	return connector.Write{Op: connector.OpCreate, Fields: f}
}

// changes lists every page after cursor and returns the records and the
// final cursor.
func changes(t *testing.T, c *hubtask.Connector, cursor string) ([]connector.Record, string, int) {
	t.Helper()
	var out []connector.Record
	pages := 0
	for {
		p, err := c.Changes(t.Context(), hubtask.Object, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		out = append(out, p.Records...)
		cursor = p.Cursor
		if !p.More {
			return out, cursor, pages
		}
	}
}

func names(rs []connector.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		if r.Deleted {
			out[i] = "deleted " + r.ID
		} else {
			out[i], _ = r.Fields["name"].(string)
		}
	}
	return out
}

// The change feed pages through a user's tasks in write order; the cursor
// resumes after the last change; edits move a task to the end and deletes
// come as tombstones (SPEC T6: edit, complete and delete reach the other
// side).
func TestChangesPaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		c := newConn(t, s, "ann", 3)
		var res []connector.Result
		for i := range 7 { // batches hold at most the page size
			res = append(res, write(t, c, create("task "+strconv.Itoa(i)))...)
		}
		write(t, newConn(t, s, "bob", 3), create("bob's task"))

		// The first listing: three pages of three, three and one.
		var got []string
		cursor := ""
		for i, want := range []struct {
			n    int
			more bool
		}{{3, true}, {3, true}, {1, false}} {
			p, err := c.Changes(t.Context(), hubtask.Object, cursor)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Records) != want.n || p.More != want.more {
				t.Fatalf("page %d: %d records, more %v; want %d, %v", i, len(p.Records), p.More, want.n, want.more)
			}
			got = append(got, names(p.Records)...)
			cursor = p.Cursor
		}
		if d := cmp.Diff([]string{"task 0", "task 1", "task 2", "task 3", "task 4", "task 5", "task 6"}, got); d != "" {
			t.Fatalf("first listing (-want +got):\n%s", d)
		}
		first, err := c.Changes(t.Context(), hubtask.Object, "")
		if err != nil {
			t.Fatal(err)
		}
		r := first.Records[0]
		if r.ID != res[0].ID || r.Created.IsZero() || !r.Modified.Equal(res[0].Modified) ||
			!cmp.Equal(r.Fields, connector.Fields{"name": "task 0", "status": "Open", "priority": "Normal", "due": nil, "details": nil}) {
			t.Errorf("record: %+v", r)
		}

		// Caught up: an empty page that keeps the cursor.
		p, err := c.Changes(t.Context(), hubtask.Object, cursor)
		if err != nil || len(p.Records) != 0 || p.More || p.Cursor != cursor {
			t.Fatalf("caught up: %+v, %v", p, err)
		}

		// An edit, a completion and a delete, then the feed after the cursor.
		write(t, c,
			connector.Write{Op: connector.OpUpdate, ID: res[1].ID, Fields: connector.Fields{"details": "call first"}},
			connector.Write{Op: connector.OpDelete, ID: res[4].ID},
			connector.Write{Op: connector.OpUpdate, ID: res[0].ID, Fields: connector.Fields{"status": "Complete"}},
		)
		recs, next, _ := changes(t, c, cursor)
		if d := cmp.Diff([]string{"task 1", "deleted " + res[4].ID, "task 0"}, names(recs)); d != "" {
			t.Fatalf("feed after the cursor (-want +got):\n%s", d)
		}
		if recs[1].Fields != nil || recs[1].Modified.IsZero() {
			t.Errorf("tombstone: %+v", recs[1])
		}
		if recs[2].Fields["status"] != "Complete" || recs[0].Fields["details"] != "call first" {
			t.Errorf("edits: %+v", recs)
		}
		if n, _ := strconv.ParseInt(next, 10, 64); n <= 0 || next == cursor {
			t.Errorf("cursor %q did not advance from %q", next, cursor)
		}

		// A listing from scratch has the live tasks only, each once, on
		// every page, and ends on the same cursor.
		all, end, pages := changes(t, c, "")
		if d := cmp.Diff([]string{"task 2", "task 3", "task 5", "task 6", "task 1", "task 0"}, names(all)); d != "" || pages != 3 {
			t.Errorf("listing from scratch in %d pages (-want +got):\n%s", pages, d)
		}
		if end != next {
			t.Errorf("listing from scratch ends on %q, want %q", end, next)
		}
	})
}

// An update that changes nothing writes nothing, so nothing echoes back to
// the side that sent it.
func TestUpdateWithoutChangeIsNotAChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		c := newConn(t, s, "ann", 0)
		res := write(t, c, create("same", "priority", "High"))
		_, cursor, _ := changes(t, c, "")
		again := write(t, c, connector.Write{Op: connector.OpUpdate, ID: res[0].ID, Fields: connector.Fields{"name": "same", "priority": "High"}})
		if again[0].Err != nil || !again[0].Modified.Equal(res[0].Modified) {
			t.Fatalf("no-op update: %+v", again[0])
		}
		if recs, _, _ := changes(t, c, cursor); len(recs) != 0 {
			t.Fatalf("a no-op update reached the feed: %v", names(recs))
		}
	})
}

// SPEC X2: a create retried with its idempotency key answers the task the
// first one made, in a later batch or in the same one; only one task
// exists.
func TestIdempotentCreate(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		c := newConn(t, s, "ann", 0)
		w := create("from the CRM", "status", "Open")
		w.Key = "crmsync:s1:a:00T1"
		first := write(t, c, w)
		if first[0].Err != nil || first[0].ID == "" {
			t.Fatalf("create: %+v", first[0])
		}
		retry := write(t, c, w, w)
		for i, r := range retry {
			if r.Err != nil || r.ID != first[0].ID {
				t.Errorf("retry %d: %+v, want id %s", i, r, first[0].ID)
			}
		}
		other := w
		other.Key = "crmsync:s1:a:00T2"
		both := write(t, c, other, other)
		if both[0].ID == first[0].ID || both[1].ID != both[0].ID {
			t.Errorf("two creates with a new key in one batch: %+v", both)
		}
		recs, _, _ := changes(t, c, "")
		if len(recs) != 2 || recs[0].Key != w.Key || recs[1].Key != other.Key {
			t.Fatalf("tasks after retries: %+v", recs)
		}
		// Another user's list does not know the key.
		bob := write(t, newConn(t, s, "bob", 0), w)
		if bob[0].Err != nil || bob[0].ID == first[0].ID {
			t.Errorf("bob's create with ann's key: %+v", bob[0])
		}
		// Once the task is deleted, the key makes a new one.
		write(t, c, connector.Write{Op: connector.OpDelete, ID: first[0].ID})
		after := write(t, c, w)
		if after[0].Err != nil || after[0].ID == first[0].ID {
			t.Errorf("create after delete: %+v", after[0])
		}
	})
}

// SPEC X3 (and T2: only Open/Complete and Normal/High exist in the hub):
// each bad record fails alone with a FieldError naming the field, and the
// rest of the batch is written.
func TestInvalidRecordsFailAlone(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		c := newConn(t, s, "ann", 0)
		existing := write(t, c, create("existing"))[0].ID
		bobs := write(t, newConn(t, s, "bob", 0), create("bob's"))[0].ID
		tests := []struct {
			w     connector.Write
			field string // the FieldError's field; "" for a success
			gone  bool   // connector.ErrNotFound
		}{
			{w: create("good one", "due", "2026-03-02", "priority", "High", "details", "x")},
			{w: create("done?", "status", "Done"), field: "status"},
			{w: create("low", "priority", "Low"), field: "priority"},
			{w: create("bad date", "due", "2026-13-01"), field: "due"},
			{w: create("date-time", "due", "2026-03-02T10:00:00Z"), field: "due"},
			{w: create(""), field: "name"},
			{w: connector.Write{Op: connector.OpCreate, Fields: connector.Fields{"status": "Open"}}, field: "name"},
			{w: create("a number", "details", 42.0), field: "details"},
			{w: create("unknown field", "Subject", "x"), field: "Subject"},
			{w: connector.Write{Op: connector.OpUpdate, ID: existing, Fields: connector.Fields{"name": nil}}, field: "name"},
			{w: connector.Write{Op: connector.OpUpdate, ID: existing, Fields: connector.Fields{"status": "Completed"}}, field: "status"},
			{w: connector.Write{Op: connector.OpUpdate, ID: "nope", Fields: connector.Fields{"name": "x"}}, gone: true},
			{w: connector.Write{Op: connector.OpUpdate, ID: bobs, Fields: connector.Fields{"name": "mine now"}}, gone: true},
			{w: connector.Write{Op: connector.OpDelete, ID: "nope"}, gone: true},
			{w: connector.Write{Op: connector.OpUpdate, ID: existing, Fields: connector.Fields{"status": "Complete", "due": "2026-03-03"}}},
		}
		ws := make([]connector.Write, len(tests))
		for i, tt := range tests {
			ws[i] = tt.w
		}
		res := write(t, c, ws...)
		for i, tt := range tests {
			err := res[i].Err
			var fe *connector.FieldError
			switch {
			case tt.gone:
				if !errors.Is(err, connector.ErrNotFound) {
					t.Errorf("write %d: %v, want ErrNotFound", i, err)
				}
			case tt.field == "":
				if err != nil || res[i].ID == "" {
					t.Errorf("write %d: %+v, want a success", i, res[i])
				}
			case !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, connector.ErrInvalid):
				t.Errorf("write %d: %v, want a FieldError of %s wrapping ErrInvalid", i, err, tt.field)
			default:
				t.Logf("write %d: %v", i, err)
			}
		}
		recs, _, _ := changes(t, c, "")
		if d := cmp.Diff([]string{"good one", "existing"}, names(recs)); d != "" {
			t.Fatalf("tasks after the batch (-want +got):\n%s", d)
		}
		want := connector.Fields{"name": "existing", "status": "Complete", "priority": "Normal", "due": "2026-03-03", "details": nil}
		if d := cmp.Diff(want, recs[1].Fields); d != "" {
			t.Errorf("the good update (-want +got):\n%s", d)
		}
	})
}

func TestWrongObjectAndCursor(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		c := newConn(t, s, "ann", 0)
		if _, err := c.Changes(t.Context(), "Task", ""); err == nil {
			t.Error("Changes of another object: no error")
		}
		if _, err := c.Write(t.Context(), "Contact", []connector.Write{create("x")}); err == nil {
			t.Error("Write of another object: no error")
		}
		for _, cur := range []string{"x", "-1", "1:2", "i", "ix"} {
			if _, err := c.Changes(t.Context(), hubtask.Object, cur); err == nil {
				t.Errorf("Changes after cursor %q: no error", cur)
			}
		}
		big := make([]connector.Write, hubtask.DefaultPageSize+1)
		if _, err := c.Write(t.Context(), hubtask.Object, big); err == nil {
			t.Error("Write of a batch beyond BatchSize: no error")
		}
		if c.Capabilities().BatchSize != hubtask.DefaultPageSize {
			t.Errorf("BatchSize %d", c.Capabilities().BatchSize)
		}
	})
}

func TestNewNeedsStoreAndUser(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.Config{})
	for _, cfg := range []hubtask.Config{{}, {Store: s, OrgID: "o"}, {Store: s, UserID: "u"}, {OrgID: "o", UserID: "u"}} {
		if _, err := hubtask.New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
}

// The registry's factory builds the list of the user a connection names,
// who must belong to the connection's org.
func TestFactory(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.Config{})
	var u store.User
	err := s.InTx(t.Context(), func(tx store.Tx) error {
		o := store.Org{Name: "acme"}
		if err := tx.CreateOrg(t.Context(), &o); err != nil {
			return err
		}
		u = store.User{OrgID: o.ID, Email: "ann@acme.test"}
		return tx.CreateUser(t.Context(), &u)
	})
	if err != nil {
		t.Fatal(err)
	}
	factory := hubtask.Factory(s)
	cfg := func(user string) json.RawMessage { return json.RawMessage(`{"user_id":"` + user + `"}`) }
	tests := []struct {
		name string
		conn store.Connection
		ok   bool
	}{
		{"user of the org", store.Connection{ID: "c1", OrgID: u.OrgID, System: hubtask.SystemName, Config: cfg(u.ID)}, true},
		{"no config", store.Connection{ID: "c2", OrgID: u.OrgID, System: hubtask.SystemName}, false},
		{"no user", store.Connection{ID: "c3", OrgID: u.OrgID, System: hubtask.SystemName, Config: json.RawMessage(`{}`)}, false},
		{"bad json", store.Connection{ID: "c4", OrgID: u.OrgID, System: hubtask.SystemName, Config: json.RawMessage(`{`)}, false},
		{"user of another org", store.Connection{ID: "c5", OrgID: "other", System: hubtask.SystemName, Config: cfg(u.ID)}, false},
	}
	for _, tt := range tests {
		c, err := factory(t.Context(), tt.conn)
		if tt.ok != (err == nil) {
			t.Errorf("%s: %v, %v", tt.name, c, err)
			continue
		}
		if !tt.ok {
			continue
		}
		res, err := c.Write(t.Context(), hubtask.Object, []connector.Write{create("via the factory")})
		if err != nil || res[0].Err != nil {
			t.Fatalf("%s: write: %v %+v", tt.name, err, res)
		}
		err = s.Read(t.Context(), func(tx store.Tx) error {
			_, err := tx.GetHubTask(t.Context(), u.OrgID, u.ID, res[0].ID)
			return err
		})
		if err != nil {
			t.Errorf("%s: the task is not the user's: %v", tt.name, err)
		}
	}
}

// Config.Now stamps the tasks Write changes.
func TestWriteClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	s := memstore.New(memstore.Config{})
	c, err := hubtask.New(hubtask.Config{Store: s, OrgID: "o", UserID: "u", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	res := write(t, c, create("x"))
	if !res[0].Modified.Equal(now) {
		t.Errorf("Modified %v, want %v", res[0].Modified, now)
	}
}
