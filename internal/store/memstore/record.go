package memstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/crmsync/crmsync/internal/store"
)

// recTable holds one connection's records of one object, with the indexes
// the SQL stores keep.
type recTable struct {
	byID map[string]store.Record
	// ids is byID's keys in byte order while sorted is true; rebuilt lazily.
	ids    []string
	sorted bool
	// Match keys: key -> ids having it.
	byExt, byEmail, byName map[string]map[string]struct{}
}

// emptyTable stands for a table never written; it is never modified.
var emptyTable = newRecTable()

func newRecTable() *recTable {
	return &recTable{
		byID:    map[string]store.Record{},
		sorted:  true,
		byExt:   map[string]map[string]struct{}{},
		byEmail: map[string]map[string]struct{}{},
		byName:  map[string]map[string]struct{}{},
	}
}

func index(m map[string]map[string]struct{}, k, id string, add bool) {
	if k == "" {
		return
	}
	if add {
		s := m[k]
		if s == nil {
			s = map[string]struct{}{}
			m[k] = s
		}
		s[id] = struct{}{}
		return
	}
	delete(m[k], id)
	if len(m[k]) == 0 {
		delete(m, k)
	}
}

func (tb *recTable) indexAll(r store.Record, add bool) {
	index(tb.byExt, r.Key, r.ID, add)
	index(tb.byEmail, r.EmailKey, r.ID, add)
	index(tb.byName, r.NameKey, r.ID, add)
}

// put stores r (already copied and normalized) and reports what it replaced.
func (tb *recTable) put(r store.Record) (old store.Record, had bool) {
	old, had = tb.byID[r.ID]
	if had {
		tb.indexAll(old, false)
	} else if tb.sorted {
		if n := len(tb.ids); n == 0 || tb.ids[n-1] < r.ID {
			tb.ids = append(tb.ids, r.ID)
		} else {
			tb.sorted = false
		}
	}
	tb.byID[r.ID] = r
	tb.indexAll(r, true)
	return old, had
}

// remove deletes the record id, which must exist.
func (tb *recTable) remove(id string) {
	tb.indexAll(tb.byID[id], false)
	delete(tb.byID, id)
	if tb.sorted {
		if i, ok := slices.BinarySearch(tb.ids, id); ok {
			tb.ids = slices.Delete(tb.ids, i, i+1)
		}
	}
}

// sortedIDs returns the ids in byte order. Sorting a table is a change of
// representation only, done under the write lock or on first use.
func (tb *recTable) sortedIDs() []string {
	if !tb.sorted {
		tb.ids = tb.ids[:0]
		for id := range tb.byID {
			tb.ids = append(tb.ids, id)
		}
		sort.Strings(tb.ids)
		tb.sorted = true
	}
	return tb.ids
}

func copyRecord(r store.Record) store.Record {
	r.Fields = cloneJSON(r.Fields)
	r.Created, r.Modified = norm(r.Created), norm(r.Modified)
	return r
}

// table returns the table of conn/object, or nil.
func (t *tx) table(conn, object string) *recTable {
	return t.d.records[conn][object]
}

// tableForWrite returns the table of conn/object, creating it.
func (t *tx) tableForWrite(conn, object string) *recTable {
	objs := t.d.records[conn]
	if objs == nil {
		objs = map[string]*recTable{}
		set(t, t.d.records, conn, objs)
	}
	tb := objs[object]
	if tb == nil {
		tb = newRecTable()
		set(t, objs, object, tb)
	}
	return tb
}

// PutRecords implements store.Tx.
func (t *tx) PutRecords(_ context.Context, recs []store.Record) error {
	if err := t.w("put records"); err != nil {
		return err
	}
	for _, r := range recs {
		tb := t.tableForWrite(r.ConnID, r.Object)
		old, had := tb.put(copyRecord(r))
		id := r.ID
		t.log(func() {
			if had {
				tb.put(old)
			} else {
				tb.remove(id)
			}
		})
	}
	return nil
}

// GetRecords implements store.Tx.
func (t *tx) GetRecords(_ context.Context, connID, object string, ids []string) (map[string]store.Record, error) {
	if err := t.r("get records"); err != nil {
		return nil, err
	}
	out := make(map[string]store.Record, len(ids))
	tb := t.table(connID, object)
	if tb == nil {
		return out, nil
	}
	for _, id := range ids {
		if r, ok := tb.byID[id]; ok {
			out[id] = copyRecord(r)
		}
	}
	return out, nil
}

// FindRecords implements store.Tx.
func (t *tx) FindRecords(_ context.Context, connID, object string, kind store.MatchKind, key string) ([]store.Record, error) {
	if err := t.r("find records"); err != nil {
		return nil, err
	}
	tb := t.table(connID, object)
	if tb == nil {
		tb = emptyTable
	}
	var idx map[string]map[string]struct{}
	anyState := kind == store.MatchExternalAny
	switch kind {
	case store.MatchExternal, store.MatchExternalAny:
		idx = tb.byExt
	case store.MatchEmail:
		idx = tb.byEmail
	case store.MatchName:
		idx = tb.byName
	default:
		return nil, fmt.Errorf("store: find records: unknown match kind %q", kind)
	}
	if key == "" {
		return nil, nil
	}
	var out []store.Record
	for id := range idx[key] {
		if r := tb.byID[id]; !r.Deleted || anyState {
			out = append(out, copyRecord(r))
		}
	}
	slices.SortFunc(out, func(a, b store.Record) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// listRecords pages through a table in id order, after the given id when
// paging.
func (t *tx) listRecords(connID, object string, paging bool, after string, limit int, keep func(store.Record) bool) []store.Record {
	tb := t.table(connID, object)
	if tb == nil {
		return nil
	}
	var ids []string
	if t.ro && !tb.sorted {
		// Readers share the lock: sort a private copy.
		ids = make([]string, 0, len(tb.byID))
		for id := range tb.byID {
			ids = append(ids, id)
		}
		sort.Strings(ids)
	} else {
		ids = tb.sortedIDs()
	}
	i, _ := slices.BinarySearch(ids, after)
	if paging && i < len(ids) && ids[i] == after {
		i++
	}
	var out []store.Record
	for ; i < len(ids) && (limit <= 0 || len(out) < limit); i++ {
		if r := tb.byID[ids[i]]; keep(r) {
			out = append(out, copyRecord(r))
		}
	}
	return out
}

// ListRecords implements store.Tx.
func (t *tx) ListRecords(_ context.Context, connID, object, after string, limit int) ([]store.Record, error) {
	if err := t.r("list records"); err != nil {
		return nil, err
	}
	return t.listRecords(connID, object, true, after, limit, func(store.Record) bool { return true }), nil
}

// ListStaleRecords implements store.Tx.
func (t *tx) ListStaleRecords(_ context.Context, connID, object string, gen int64, limit int) ([]store.Record, error) {
	if err := t.r("list stale records"); err != nil {
		return nil, err
	}
	return t.listRecords(connID, object, false, "", limit, func(r store.Record) bool { return !r.Deleted && r.Gen < gen }), nil
}

// DeleteRecords implements store.Tx.
func (t *tx) DeleteRecords(_ context.Context, connID, object string) (int64, error) {
	if err := t.w("delete records"); err != nil {
		return 0, err
	}
	objs := t.d.records[connID]
	var n int64
	if object == "" {
		for _, tb := range objs {
			n += int64(len(tb.byID))
		}
		del(t, t.d.records, connID)
		return n, nil
	}
	if tb := objs[object]; tb != nil {
		n = int64(len(tb.byID))
		del(t, objs, object)
	}
	return n, nil
}
