package sqlstore

import (
	"context"
	"fmt"

	"github.com/crmsync/crmsync/internal/store"
)

type pendingKey struct {
	stream string
	side   store.Side
	id     string
}

// AddPending implements store.Tx.
func (t *tx) AddPending(ctx context.Context, ps []store.Pending) error {
	const op = "add pending"
	if err := t.writable(op); err != nil {
		return err
	}
	seen := make(map[pendingKey]struct{}, len(ps))
	args := make([]any, 0, 3*len(ps))
	for _, p := range ps {
		k := pendingKey{p.StreamID, p.Side, p.RecordID}
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		args = append(args, p.StreamID, string(p.Side), p.RecordID)
	}
	if len(args) == 0 {
		return nil
	}
	err := t.atomically(ctx, func() error {
		return t.insertRows(ctx, "pending", []column{{"stream_id", "text"}, {"side", "text"}, {"record_id", "text"}},
			`ON CONFLICT (stream_id, side, record_id) DO NOTHING`, args)
	})
	if err != nil {
		return t.fail(op, err)
	}
	return nil
}

// ListPending implements store.Tx.
func (t *tx) ListPending(ctx context.Context, streamID string, limit int) ([]store.Pending, error) {
	rows, err := t.query(ctx, `SELECT stream_id, side, record_id FROM pending WHERE stream_id = ? ORDER BY seq`+limitSQL(limit), streamID)
	return collect(rows, err, "list pending", func(r scanner) (store.Pending, error) {
		var p store.Pending
		var side string
		err := r.Scan(&p.StreamID, &side, &p.RecordID)
		p.Side = store.Side(side)
		return p, err
	})
}

// DeletePending implements store.Tx.
func (t *tx) DeletePending(ctx context.Context, ps []store.Pending) error {
	const op = "delete pending"
	if err := t.writable(op); err != nil {
		return err
	}
	type group struct {
		stream string
		side   store.Side
	}
	var order []group
	ids := map[group][]string{}
	for _, p := range ps {
		g := group{p.StreamID, p.Side}
		if _, ok := ids[g]; !ok {
			order = append(order, g)
		}
		ids[g] = append(ids[g], p.RecordID)
	}
	err := t.atomically(ctx, func() error {
		for _, g := range order {
			err := t.forIDs(ids[g], 2, func(c idChunk) error {
				q, args := c.deleteSQL("pending", "stream_id = ? AND side = ?", "record_id", g.stream, string(g.side))
				_, err := t.exec(ctx, q, args...)
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return errorf(op, err)
	}
	return nil
}

// CountPending implements store.Tx.
func (t *tx) CountPending(ctx context.Context, streamID string) (int64, error) {
	var n int64
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM pending WHERE stream_id = ?`, streamID).Scan(&n); err != nil {
		return 0, errorf("count pending", err)
	}
	return n, nil
}

const linkCols = `stream_id, a_id, b_id, base, created, updated`

var linkColumns = []column{{"stream_id", "text"}, {"a_id", "text"}, {"b_id", "text"}, {"base", "text"}, {"created", "bigint"}, {"updated", "bigint"}}

func scanLink(r scanner) (store.Link, error) {
	var l store.Link
	var base string
	var created, updated int64
	err := r.Scan(&l.StreamID, &l.AID, &l.BID, &base, &created, &updated)
	l.Base = jsonRaw(base)
	l.Created = fromMicros(created)
	l.Updated = fromMicros(updated)
	return l, err
}

// PutLinks implements store.Tx.
func (t *tx) PutLinks(ctx context.Context, ls []store.Link) error {
	const op = "put links"
	if err := t.writable(op); err != nil {
		return err
	}
	type key struct{ stream, a string }
	last := make(map[key]int, len(ls))
	for i, l := range ls {
		last[key{l.StreamID, l.AID}] = i
	}
	args := make([]any, 0, len(last)*len(linkColumns))
	for i, l := range ls {
		if last[key{l.StreamID, l.AID}] != i {
			continue
		}
		args = append(args, l.StreamID, l.AID, l.BID, jsonText(l.Base), micros(t.orNow(l.Created)), micros(t.orNow(l.Updated)))
	}
	if len(args) == 0 {
		return nil
	}
	err := t.atomically(ctx, func() error {
		return t.insertRows(ctx, "links", linkColumns,
			`ON CONFLICT (stream_id, a_id) DO UPDATE SET b_id = excluded.b_id, base = excluded.base, updated = excluded.updated`, args)
	})
	if err != nil {
		return t.fail(op, err)
	}
	return nil
}

// GetLinks implements store.Tx.
func (t *tx) GetLinks(ctx context.Context, streamID string, side store.Side, ids []string) (map[string]store.Link, error) {
	col, table := "a_id", "links"
	switch side {
	case store.SideA:
	case store.SideB:
		col, table = "b_id", t.s.d.from("links", "links_b")
	default:
		return nil, fmt.Errorf("store: get links: unknown side %q", side)
	}
	out := make(map[string]store.Link, len(ids))
	err := t.forIDs(ids, 1, func(c idChunk) error {
		q, args := c.lookupSQL(linkCols, table, "stream_id = ?", col, streamID)
		rows, err := t.query(ctx, q, args...)
		links, err := collect(rows, err, "get links", scanLink)
		for _, l := range links {
			if side == store.SideA {
				out[l.AID] = l
			} else {
				out[l.BID] = l
			}
		}
		return err
	})
	return out, err
}

// DeleteLinks implements store.Tx.
func (t *tx) DeleteLinks(ctx context.Context, streamID string, aIDs []string) error {
	const op = "delete links"
	if err := t.writable(op); err != nil {
		return err
	}
	err := t.atomically(ctx, func() error {
		return t.forIDs(aIDs, 1, func(c idChunk) error {
			q, args := c.deleteSQL("links", "stream_id = ?", "a_id", streamID)
			_, err := t.exec(ctx, q, args...)
			return err
		})
	})
	if err != nil {
		return errorf(op, err)
	}
	return nil
}

// CountLinks implements store.Tx.
func (t *tx) CountLinks(ctx context.Context, streamID string) (int64, error) {
	var n int64
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM links WHERE stream_id = ?`, streamID).Scan(&n); err != nil {
		return 0, errorf("count links", err)
	}
	return n, nil
}

// DeleteStreamState implements store.Tx.
func (t *tx) DeleteStreamState(ctx context.Context, streamID string) error {
	op := "delete stream state " + streamID
	if err := t.writable(op); err != nil {
		return err
	}
	return t.atomically(ctx, func() error { return t.deleteStreamState(ctx, op, streamID) })
}

func (t *tx) deleteStreamState(ctx context.Context, op, streamID string) error {
	for _, table := range []string{"links", "pending", "cursors", "tombstones"} {
		if _, err := t.exec(ctx, `DELETE FROM `+table+` WHERE stream_id = ?`, streamID); err != nil {
			return errorf(op, err)
		}
	}
	return nil
}

// GetCursor implements store.Tx.
func (t *tx) GetCursor(ctx context.Context, streamID string, side store.Side) (store.Cursor, error) {
	c := store.Cursor{StreamID: streamID, Side: side}
	var updated int64
	err := t.queryRow(ctx, `SELECT value, gen, updated FROM cursors WHERE stream_id = ? AND side = ?`,
		streamID, string(side)).Scan(&c.Value, &c.Gen, &updated)
	c.Updated = fromMicros(updated)
	if err != nil {
		return store.Cursor{}, rowErr(err, fmt.Sprintf("get cursor %s/%s", streamID, side))
	}
	return c, nil
}

// PutCursor implements store.Tx.
func (t *tx) PutCursor(ctx context.Context, c store.Cursor) error {
	op := fmt.Sprintf("put cursor %s/%s", c.StreamID, c.Side)
	if err := t.writable(op); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO cursors (stream_id, side, value, gen, updated) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (stream_id, side) DO UPDATE SET value = excluded.value, gen = excluded.gen, updated = excluded.updated`,
		c.StreamID, string(c.Side), c.Value, c.Gen, micros(t.orNow(c.Updated)))
	if err != nil {
		return errorf(op, err)
	}
	return nil
}

// PutTombstones implements store.Tx.
func (t *tx) PutTombstones(ctx context.Context, ts []store.Tombstone) error {
	const op = "put tombstones"
	if err := t.writable(op); err != nil {
		return err
	}
	last := make(map[pendingKey]int, len(ts))
	for i, x := range ts {
		last[pendingKey{x.StreamID, x.Side, x.RecordID}] = i
	}
	args := make([]any, 0, len(last)*5)
	for i, x := range ts {
		if last[pendingKey{x.StreamID, x.Side, x.RecordID}] != i {
			continue
		}
		args = append(args, x.StreamID, string(x.Side), x.RecordID, micros(x.Deleted), x.Reason)
	}
	if len(args) == 0 {
		return nil
	}
	err := t.atomically(ctx, func() error {
		return t.insertRows(ctx, "tombstones",
			[]column{{"stream_id", "text"}, {"side", "text"}, {"record_id", "text"}, {"deleted", "bigint"}, {"reason", "text"}},
			`ON CONFLICT (stream_id, side, record_id) DO UPDATE SET deleted = excluded.deleted, reason = excluded.reason`, args)
	})
	if err != nil {
		return t.fail(op, err)
	}
	return nil
}

// GetTombstones implements store.Tx.
func (t *tx) GetTombstones(ctx context.Context, streamID string, side store.Side, ids []string) (map[string]store.Tombstone, error) {
	out := make(map[string]store.Tombstone, len(ids))
	err := t.forIDs(ids, 2, func(c idChunk) error {
		q, args := c.lookupSQL("record_id, deleted, reason", "tombstones", "stream_id = ? AND side = ?", "record_id", streamID, string(side))
		rows, err := t.query(ctx, q, args...)
		ts, err := collect(rows, err, "get tombstones", func(r scanner) (store.Tombstone, error) {
			x := store.Tombstone{StreamID: streamID, Side: side}
			var deleted int64
			err := r.Scan(&x.RecordID, &deleted, &x.Reason)
			x.Deleted = fromMicros(deleted)
			return x, err
		})
		for _, x := range ts {
			out[x.RecordID] = x
		}
		return err
	})
	return out, err
}
