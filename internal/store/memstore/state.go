package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/crmsync/crmsync/internal/store"
)

// pendingQueue is one stream's pending work in insertion order. Deleting
// only forgets an entry's position; order keeps it (dead) until compact,
// which runs at commit, so that undoing a delete puts the entry back where
// it was.
type pendingQueue struct {
	pos   map[string]int64 // key(side, id) -> seq of its live entry
	order []pendingEntry   // ascending seq; may hold dead entries
	head  int              // order[:head] are all dead
	dead  int
}

type pendingEntry struct {
	seq int64
	p   store.Pending
}

func pendingKey(side store.Side, id string) string { return key(string(side), id) }

func (q *pendingQueue) live(e pendingEntry) bool {
	seq, ok := q.pos[pendingKey(e.p.Side, e.p.RecordID)]
	return ok && seq == e.seq
}

// compact drops dead entries once they outnumber the live ones.
func (q *pendingQueue) compact() {
	if q.dead < 256 || q.dead < len(q.order)/2 {
		return
	}
	live := make([]pendingEntry, 0, len(q.pos))
	for _, e := range q.order {
		if q.live(e) {
			live = append(live, e)
		}
	}
	q.order, q.head, q.dead = live, 0, 0
}

// AddPending implements store.Tx.
func (t *tx) AddPending(_ context.Context, ps []store.Pending) error {
	if err := t.w("add pending"); err != nil {
		return err
	}
	for _, p := range ps {
		q := t.d.pending[p.StreamID]
		if q == nil {
			q = &pendingQueue{pos: map[string]int64{}}
			set(t, t.d.pending, p.StreamID, q)
		}
		k := pendingKey(p.Side, p.RecordID)
		if _, ok := q.pos[k]; ok {
			continue
		}
		seq := t.nextSeq()
		q.pos[k] = seq
		q.order = append(q.order, pendingEntry{seq: seq, p: p})
		t.log(func() {
			delete(q.pos, k)
			q.order = q.order[:len(q.order)-1]
		})
	}
	return nil
}

// ListPending implements store.Tx.
func (t *tx) ListPending(_ context.Context, streamID string, limit int) ([]store.Pending, error) {
	if err := t.r("list pending"); err != nil {
		return nil, err
	}
	q := t.d.pending[streamID]
	if q == nil {
		return nil, nil
	}
	var out []store.Pending
	for _, e := range q.order[q.head:] {
		if limit > 0 && len(out) >= limit {
			break
		}
		if q.live(e) {
			out = append(out, e.p)
		}
	}
	return out, nil
}

// DeletePending implements store.Tx.
func (t *tx) DeletePending(_ context.Context, ps []store.Pending) error {
	if err := t.w("delete pending"); err != nil {
		return err
	}
	touched := map[*pendingQueue]struct{}{}
	for _, p := range ps {
		q := t.d.pending[p.StreamID]
		if q == nil {
			continue
		}
		k := pendingKey(p.Side, p.RecordID)
		seq, ok := q.pos[k]
		if !ok {
			continue
		}
		delete(q.pos, k)
		q.dead++
		touched[q] = struct{}{}
		t.log(func() {
			q.pos[k] = seq
			q.dead--
			i, _ := slices.BinarySearchFunc(q.order, seq, func(e pendingEntry, s int64) int { return cmp.Compare(e.seq, s) })
			q.head = min(q.head, i)
		})
	}
	for q := range touched {
		// Skip the dead head, so that draining a queue in chunks stays linear.
		for q.head < len(q.order) && !q.live(q.order[q.head]) {
			q.head++
		}
		t.onCommit = append(t.onCommit, q.compact)
	}
	return nil
}

// CountPending implements store.Tx.
func (t *tx) CountPending(_ context.Context, streamID string) (int64, error) {
	if err := t.r("count pending"); err != nil {
		return 0, err
	}
	if q := t.d.pending[streamID]; q != nil {
		return int64(len(q.pos)), nil
	}
	return 0, nil
}

// linkSet is one stream's links, by A id and by B id.
type linkSet struct {
	byA map[string]store.Link
	byB map[string]string // B id -> A id
}

func copyLink(l store.Link) store.Link {
	l.Base = cloneJSON(l.Base)
	l.Created, l.Updated = norm(l.Created), norm(l.Updated)
	return l
}

// PutLinks implements store.Tx.
func (t *tx) PutLinks(_ context.Context, ls []store.Link) error {
	const op = "put links"
	if err := t.w(op); err != nil {
		return err
	}
	// Like the SQL stores, keep only the last entry for each A id, in the
	// order of those last entries, then check B ids row by row.
	type aKey struct{ stream, a string }
	last := make(map[aKey]int, len(ls))
	for i, l := range ls {
		last[aKey{l.StreamID, l.AID}] = i
	}
	return t.atomically(func() error {
		for i, in := range ls {
			if last[aKey{in.StreamID, in.AID}] != i {
				continue
			}
			lset := t.d.links[in.StreamID]
			if lset == nil {
				lset = &linkSet{byA: map[string]store.Link{}, byB: map[string]string{}}
				set(t, t.d.links, in.StreamID, lset)
			}
			if owner, ok := lset.byB[in.BID]; ok && owner != in.AID {
				return fmt.Errorf("store: %s: B record %s is linked to %s: %w", op, in.BID, owner, store.ErrConflict)
			}
			l := copyLink(in)
			l.Created, l.Updated = t.orNow(l.Created), t.orNow(l.Updated)
			if old, had := lset.byA[l.AID]; had {
				l.Created = old.Created
				if old.BID != l.BID {
					del(t, lset.byB, old.BID)
				}
			}
			set(t, lset.byA, l.AID, l)
			set(t, lset.byB, l.BID, l.AID)
		}
		return nil
	})
}

// GetLinks implements store.Tx.
func (t *tx) GetLinks(_ context.Context, streamID string, side store.Side, ids []string) (map[string]store.Link, error) {
	if side != store.SideA && side != store.SideB {
		return nil, fmt.Errorf("store: get links: unknown side %q", side)
	}
	if err := t.r("get links"); err != nil {
		return nil, err
	}
	out := make(map[string]store.Link, len(ids))
	lset := t.d.links[streamID]
	if lset == nil {
		return out, nil
	}
	for _, id := range ids {
		aID := id
		if side == store.SideB {
			var ok bool
			if aID, ok = lset.byB[id]; !ok {
				continue
			}
		}
		if l, ok := lset.byA[aID]; ok {
			out[id] = copyLink(l)
		}
	}
	return out, nil
}

// DeleteLinks implements store.Tx.
func (t *tx) DeleteLinks(_ context.Context, streamID string, aIDs []string) error {
	if err := t.w("delete links"); err != nil {
		return err
	}
	lset := t.d.links[streamID]
	if lset == nil {
		return nil
	}
	for _, id := range aIDs {
		if l, ok := lset.byA[id]; ok {
			del(t, lset.byA, id)
			del(t, lset.byB, l.BID)
		}
	}
	return nil
}

// CountLinks implements store.Tx.
func (t *tx) CountLinks(_ context.Context, streamID string) (int64, error) {
	if err := t.r("count links"); err != nil {
		return 0, err
	}
	if lset := t.d.links[streamID]; lset != nil {
		return int64(len(lset.byA)), nil
	}
	return 0, nil
}

// DeleteStreamState implements store.Tx.
func (t *tx) DeleteStreamState(_ context.Context, streamID string) error {
	if err := t.w("delete stream state " + streamID); err != nil {
		return err
	}
	t.deleteStreamState(streamID)
	return nil
}

func (t *tx) deleteStreamState(streamID string) {
	del(t, t.d.links, streamID)
	del(t, t.d.pending, streamID)
	del(t, t.d.cursors, key(streamID, string(store.SideA)))
	del(t, t.d.cursors, key(streamID, string(store.SideB)))
	del(t, t.d.tombstones, streamID)
}

// GetCursor implements store.Tx.
func (t *tx) GetCursor(_ context.Context, streamID string, side store.Side) (store.Cursor, error) {
	op := fmt.Sprintf("get cursor %s/%s", streamID, side)
	if err := t.r(op); err != nil {
		return store.Cursor{}, err
	}
	c, ok := t.d.cursors[key(streamID, string(side))]
	if !ok {
		return store.Cursor{}, notFound(op)
	}
	return c, nil
}

// PutCursor implements store.Tx.
func (t *tx) PutCursor(_ context.Context, c store.Cursor) error {
	if err := t.w(fmt.Sprintf("put cursor %s/%s", c.StreamID, c.Side)); err != nil {
		return err
	}
	c.Updated = t.orNow(c.Updated)
	set(t, t.d.cursors, key(c.StreamID, string(c.Side)), c)
	return nil
}

// PutTombstones implements store.Tx.
func (t *tx) PutTombstones(_ context.Context, ts []store.Tombstone) error {
	if err := t.w("put tombstones"); err != nil {
		return err
	}
	for _, x := range ts {
		m := t.d.tombstones[x.StreamID]
		if m == nil {
			m = map[string]store.Tombstone{}
			set(t, t.d.tombstones, x.StreamID, m)
		}
		x.Deleted = norm(x.Deleted)
		set(t, m, key(string(x.Side), x.RecordID), x)
	}
	return nil
}

// GetTombstones implements store.Tx.
func (t *tx) GetTombstones(_ context.Context, streamID string, side store.Side, ids []string) (map[string]store.Tombstone, error) {
	if err := t.r("get tombstones"); err != nil {
		return nil, err
	}
	out := make(map[string]store.Tombstone, len(ids))
	m := t.d.tombstones[streamID]
	for _, id := range ids {
		if x, ok := m[key(string(side), id)]; ok {
			out[id] = x
		}
	}
	return out, nil
}
