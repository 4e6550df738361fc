package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// item is the work one pending record (or a linked pair) produces in a
// merge batch. It takes effect locally only when all its writes succeeded.
type item struct {
	pend []store.Pending
	side store.Side // for unlinked items: the record's side
	id   string

	link *store.Link // the link to put on success
	// intent is the link, with the writes in flight, committed before
	// they are sent.
	intent     *store.Link
	dropLink   string // a link (by A id) to delete on success
	tombs      []store.Tombstone
	conflicts  []fieldConflict
	writes     []*write
	mirror     []store.Record // mirror rows to put on success
	quarantine *store.Quarantine
	// repend marks records to merge again (a record found gone).
	repend []store.Pending

	err       error
	transient bool
}

// write is one record write of an item, sent in a batch of its side.
type write struct {
	side store.Side
	w    connector.Write
	res  connector.Result
	it   *item
	// base of a create: the new link is completed with the new id.
	onCreate func(id string)
}

// batch is the state of one merge batch.
type batch struct {
	r       *run
	now     time.Time
	links   map[store.Side]map[string]store.Link
	recs    map[store.Side]map[string]store.Record
	tombs   map[store.Side]map[string]store.Tombstone
	claimed map[store.Side]map[string]bool
	items   []*item
	// pendingless marks a batch whose records were never marked pending
	// (the import fast path): the caller marks the failed ones.
	pendingless bool
}

func (r *run) mergeAll(ctx context.Context) error {
	err := r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		n, err := tx.CountPending(ctx, r.st.ID)
		if err != nil {
			return err
		}
		r.rec.Total += n // the merge's steps follow the pull's
		r.otherEmpty = map[store.Side]bool{}
		for _, s := range []store.Side{store.SideA, store.SideB} {
			some, err := tx.ListRecords(ctx, r.connID(s), r.object(s), "", 1)
			if err != nil {
				return err
			}
			r.otherEmpty[s] = len(some) == 0
		}
		return nil
	})
	if err != nil {
		return err
	}
	var firstErr error
	for {
		var ps []store.Pending
		err := r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
			var err error
			ps, err = tx.ListPending(ctx, r.st.ID, r.e.cfg.MergeBatch)
			return err
		})
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return nil
		}
		b, err := r.mergeBatch(ctx, ps)
		if err != nil {
			return err
		}
		for _, it := range b.items {
			if it.transient && firstErr == nil {
				firstErr = it.err
			}
		}
		if r.transient > 0 {
			return fmt.Errorf("%d records failed and stay pending for the next run: %w", r.transient, firstErr)
		}
	}
}

func (r *run) newBatch() *batch {
	return &batch{r: r, now: r.e.cfg.Now(),
		links: map[store.Side]map[string]store.Link{}, recs: map[store.Side]map[string]store.Record{store.SideA: {}, store.SideB: {}},
		tombs: map[store.Side]map[string]store.Tombstone{}, claimed: map[store.Side]map[string]bool{store.SideA: {}, store.SideB: {}}}
}

func (r *run) mergeBatch(ctx context.Context, ps []store.Pending) (*batch, error) {
	b := r.newBatch()
	ids := map[store.Side][]string{}
	for _, p := range ps {
		ids[p.Side] = append(ids[p.Side], p.RecordID)
	}
	err := r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		need := map[store.Side][]string{}
		for _, s := range []store.Side{store.SideA, store.SideB} {
			ls, err := tx.GetLinks(ctx, r.st.ID, s, ids[s])
			if err != nil {
				return err
			}
			b.links[s] = ls
			need[s] = append(need[s], ids[s]...)
			for _, l := range ls {
				if s == store.SideA {
					need[store.SideB] = append(need[store.SideB], l.BID)
				} else {
					need[store.SideA] = append(need[store.SideA], l.AID)
				}
			}
			if b.tombs[s], err = tx.GetTombstones(ctx, r.st.ID, s, ids[s]); err != nil {
				return err
			}
		}
		for _, s := range []store.Side{store.SideA, store.SideB} {
			recs, err := tx.GetRecords(ctx, r.connID(s), r.object(s), need[s])
			if err != nil {
				return err
			}
			b.recs[s] = recs
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	byLink := map[string]*item{}
	var unlinked []*item
	for _, p := range ps {
		l, ok := b.links[p.Side][p.RecordID]
		if !ok {
			unlinked = append(unlinked, &item{pend: []store.Pending{p}, side: p.Side, id: p.RecordID})
			continue
		}
		if it := byLink[l.AID]; it != nil {
			it.pend = append(it.pend, p)
			continue
		}
		it := &item{pend: []store.Pending{p}}
		byLink[l.AID] = it
		b.claimed[store.SideA][l.AID], b.claimed[store.SideB][l.BID] = true, true
		b.items = append(b.items, it)
		b.linked(it, l, false)
	}
	if err := b.matchUnlinked(ctx, unlinked); err != nil {
		return nil, err
	}
	if err := b.commitIntents(ctx); err != nil {
		return nil, err
	}
	if err := b.send(ctx); err != nil {
		return nil, err
	}
	return b, b.commit(ctx, len(ps))
}

// view returns side s of a linked pair: the mirror row, or, before the
// record's own change has been pulled, the values of the base.
func (b *batch) view(s store.Side, l store.Link, bs base) (view, store.Record, bool, error) {
	id := l.AID
	if s == store.SideB {
		id = l.BID
	}
	rec, ok := b.recs[s][id]
	if !ok {
		v := view{id: id, fields: connector.Fields{}, modified: l.Updated}
		for _, f := range b.r.def.Fields {
			bp := bs[f.Name]
			if s == store.SideA {
				v.fields[f.A] = bp.A
			} else {
				v.fields[f.B] = bp.B
			}
		}
		return v, rec, false, nil
	}
	v := view{id: id, modified: rec.Modified}
	if !rec.Deleted {
		if err := json.Unmarshal(rec.Fields, &v.fields); err != nil {
			return v, rec, true, fmt.Errorf("record %s: decode mirror: %w", id, err)
		}
	}
	return v, rec, true, nil
}

// linked merges a linked pair; recovered marks a pair found by its
// idempotency key, whose base was lost with the commit.
func (b *batch) linked(it *item, l store.Link, recovered bool) {
	r := b.r
	bs, err := decodeBase(l.Base)
	if err != nil {
		b.quarantine(it, store.SideA, l.AID, "", err, nil)
		return
	}
	va, ra, okA, errA := b.view(store.SideA, l, bs)
	vb, rb, okB, errB := b.view(store.SideB, l, bs)
	if err := errors.Join(errA, errB); err != nil {
		b.quarantine(it, store.SideA, l.AID, "", err, nil)
		return
	}
	delA, delB := okA && ra.Deleted, okB && rb.Deleted
	if delA || delB {
		b.deleted(it, l, delA, delB, ra, rb)
		return
	}
	res, err := r.def.merge(r.settings, bs, va, vb, recovered, b.now)
	if err != nil {
		var bf *badField
		if errors.As(err, &bf) {
			id := l.AID
			payload := va.fields
			if bf.side == store.SideB {
				id, payload = l.BID, vb.fields
			}
			b.quarantine(it, bf.side, id, bf.field, err, payload)
		} else {
			b.quarantine(it, store.SideA, l.AID, "", err, nil)
		}
		if len(l.Base) == 0 {
			// A pair just matched or recovered: who is whom is settled even
			// though a value is not, so the link is kept, with no agreed
			// value yet (none known at all, for a recovered pair), and the
			// pair merges once the value is fixed.
			held := base{}
			if recovered {
				for _, f := range r.def.Fields {
					held[f.Name] = basePair{U: true}
				}
			}
			l.Base, _ = json.Marshal(held)
			l.Updated = b.now
			it.link = &l
		}
		return
	}
	b.apply(it, l, res, va, vb, okA, okB, ra, rb)
}

// apply turns a merge result into writes and the link to store.
func (b *batch) apply(it *item, l store.Link, res mergeResult, va, vb view, okA, okB bool, ra, rb store.Record) {
	r := b.r
	it.conflicts = res.conflicts
	if lf := r.def.Loser; lf != nil && len(res.conflicts) > 0 {
		w, cur := res.writeA, va.fields[lf.Field]
		if lf.Side == store.SideB {
			w, cur = res.writeB, vb.fields[lf.Field]
		}
		w[lf.Field] = loserText(cur, res.conflicts, b.now, lf.MaxLen)
	}
	raw, _ := json.Marshal(res.base)
	if !l.Created.Equal(b.now) && string(raw) == string(l.Base) && len(res.writeA)+len(res.writeB) == 0 {
		return // an echo of our own write, or nothing that syncs
	}
	if len(res.writeA)+len(res.writeB) > 0 {
		in := l
		in.Base, _ = json.Marshal(res.intent)
		in.Updated = b.now
		it.intent = &in
	}
	l.Base, l.Updated = raw, b.now
	it.link = &l
	for _, s := range []store.Side{store.SideA, store.SideB} {
		fields, v, ok, rec := res.writeA, va, okA, ra
		if s == store.SideB {
			fields, v, ok, rec = res.writeB, vb, okB, rb
		}
		if len(fields) == 0 {
			continue
		}
		wr := &write{side: s, it: it, w: connector.Write{Op: connector.OpUpdate, ID: v.id, Fields: fields}}
		it.writes = append(it.writes, wr)
		if ok {
			merged := maps.Clone(v.fields)
			maps.Copy(merged, fields)
			raw, _ := json.Marshal(merged)
			rec.Fields = raw
			rec.EmailKey, rec.NameKey = matchKeys(r.def.side(s), merged)
			it.mirror = append(it.mirror, rec)
		}
	}
}

// deleted applies the delete policy to a pair one or both of whose records
// are gone.
func (b *batch) deleted(it *item, l store.Link, delA, delB bool, ra, rb store.Record) {
	r := b.r
	it.dropLink = l.AID
	tomb := func(reason string) {
		it.tombs = append(it.tombs,
			store.Tombstone{StreamID: r.st.ID, Side: store.SideA, RecordID: l.AID, Deleted: b.now, Reason: reason},
			store.Tombstone{StreamID: r.st.ID, Side: store.SideB, RecordID: l.BID, Deleted: b.now, Reason: reason})
	}
	if delA && delB {
		tomb("deleted on both sides")
		return
	}
	from, rec, otherID := store.SideA, ra, l.BID
	if delB {
		from, rec, otherID = store.SideB, rb, l.AID
	}
	pol := r.def.side(from).Delete
	propagate := pol.Mode == DeletePropagate
	if pol.Mode == DeleteWithin && !rec.Modified.IsZero() {
		propagate = b.now.Sub(rec.Modified) <= time.Duration(pol.Days)*24*time.Hour
	}
	if !propagate {
		tomb(fmt.Sprintf("deleted on side %s; the delete is not synced", from))
		return
	}
	tomb(fmt.Sprintf("deleted on side %s", from))
	it.writes = append(it.writes, &write{side: from.Other(), it: it, w: connector.Write{Op: connector.OpDelete, ID: otherID}})
	if other, ok := b.recs[from.Other()][otherID]; ok {
		other.Deleted, other.Modified = true, b.now
		it.mirror = append(it.mirror, other)
	}
}

// vanished handles an update refused because the record no longer exists:
// a delete the change listing has not reported (yet). The record is
// mirrored as deleted and marked pending again, so that the delete policy
// settles the pair in this run. The delete happened after the record was
// last seen alive, so that time stands for it: a delete policy "within N
// days" then propagates it when the record was seen within N days, and
// counts it as of unknown age otherwise.
func (b *batch) vanished(it *item, s store.Side, id string) {
	rec, ok := b.recs[s][id]
	if !ok {
		rec = store.Record{ConnID: b.r.connID(s), Object: b.r.object(s), ID: id, Fields: json.RawMessage("{}")}
	}
	rec.Deleted, rec.Gen = true, b.r.gen[s]
	it.writes, it.link, it.conflicts, it.tombs, it.dropLink = nil, nil, nil, nil, ""
	it.mirror = []store.Record{rec}
	it.repend = append(it.repend, store.Pending{StreamID: b.r.st.ID, Side: s, RecordID: id})
}

func (b *batch) quarantine(it *item, s store.Side, id, field string, err error, payload connector.Fields) {
	r := b.r
	raw, _ := json.Marshal(payload)
	msg := fmt.Sprintf("%s record %s: %v", r.object(s), id, err)
	it.quarantine = &store.Quarantine{OrgID: r.st.OrgID, StreamID: r.st.ID, Side: s, RecordID: id, Field: field,
		Error: msg, Payload: raw, Status: store.QuarantineOpen}
	it.writes, it.link, it.dropLink, it.mirror, it.conflicts, it.tombs, it.intent = nil, nil, "", nil, nil, nil, nil
}

// matchUnlinked links unlinked records to their counterpart, or plans their
// creation on the other side as the create policy allows.
func (b *batch) matchUnlinked(ctx context.Context, items []*item) error {
	r := b.r
	var creates []*item
	for _, it := range items {
		b.items = append(b.items, it)
		s := it.side
		rec, ok := b.recs[s][it.id]
		if !ok || rec.Deleted || b.claimed[s][it.id] {
			continue // nothing to sync: the pending mark just goes
		}
		if _, dead := b.tombs[s][it.id]; dead {
			continue
		}
		var fields connector.Fields
		if err := json.Unmarshal(rec.Fields, &fields); err != nil {
			b.quarantine(it, s, it.id, "", fmt.Errorf("decode mirror: %w", err), nil)
			continue
		}
		if gone, origin, err := b.originGone(ctx, s, rec); err != nil {
			return err
		} else if gone {
			// A copy this stream made of a record deleted since: the
			// delete policy applies to it as to a linked pair.
			l := store.Link{StreamID: r.st.ID, AID: origin.ID, BID: it.id}
			ra, rb := origin, rec
			if s == store.SideA {
				l.AID, l.BID, ra, rb = it.id, origin.ID, rec, origin
			}
			b.claimed[s][it.id] = true
			b.deleted(it, l, s == store.SideB, s == store.SideA, ra, rb)
			continue
		}
		if cp, gone, err := b.copyGone(ctx, s, rec); err != nil {
			return err
		} else if gone {
			// This stream copied the record before (a run that died before
			// committing the link) and a user deleted the copy since: the
			// delete policy applies to the pair, or the record would be
			// copied again.
			o := s.Other()
			b.claimed[s][it.id], b.claimed[o][cp.ID] = true, true
			l := store.Link{StreamID: r.st.ID, AID: it.id, BID: cp.ID}
			ra, rb := rec, cp
			if s == store.SideB {
				l.AID, l.BID, ra, rb = cp.ID, it.id, cp, rec
			}
			b.deleted(it, l, o == store.SideA, o == store.SideB, ra, rb)
			continue
		}
		if !r.inScope(s, fields) {
			continue // not this stream's to take up, until it changes
		}
		cands, byKey, err := b.candidates(ctx, s, rec)
		if err != nil {
			return err
		}
		if !byKey {
			cands = r.scoped(s.Other(), cands)
		}
		switch {
		case len(cands) == 1:
			b.claimed[s][it.id], b.claimed[s.Other()][cands[0].ID] = true, true
			l := store.Link{StreamID: r.st.ID, Created: b.now}
			if s == store.SideA {
				l.AID, l.BID = it.id, cands[0].ID
				b.recs[store.SideB][cands[0].ID] = cands[0]
			} else {
				l.AID, l.BID = cands[0].ID, it.id
				b.recs[store.SideA][cands[0].ID] = cands[0]
			}
			b.linked(it, l, byKey)
		case len(cands) > 1:
			ids := make([]string, len(cands))
			for i, c := range cands {
				ids[i] = c.ID
			}
			b.quarantine(it, s, it.id, "", fmt.Errorf("ambiguous match: %d candidates on side %s (%v); link one by hand", len(cands), s.Other(), ids), fields)
		default:
			it.link = &store.Link{} // placeholder: filled in by the create
			creates = append(creates, it)
		}
	}
	for _, it := range creates {
		b.create(it)
	}
	return nil
}

// copyGone reports whether this stream's copy of rec on the other side
// exists only as a deleted record, and returns it.
func (b *batch) copyGone(ctx context.Context, s store.Side, rec store.Record) (store.Record, bool, error) {
	r := b.r
	o := s.Other()
	if r.otherEmpty[o] {
		return store.Record{}, false, nil
	}
	var copies []store.Record
	err := r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		var err error
		copies, err = tx.FindRecords(ctx, r.connID(o), r.object(o), store.MatchExternalAny, IdempotencyKey(r.st.ID, s, rec.ID))
		return err
	})
	if err != nil || len(copies) == 0 {
		return store.Record{}, false, err
	}
	for _, c := range copies {
		if !c.Deleted || b.claimed[o][c.ID] {
			return store.Record{}, false, nil // a live copy: the recovery path links it
		}
	}
	return copies[0], true, nil
}

// originGone reports whether rec was created by this stream from a record
// of the other side that has been deleted (or set aside) since.
func (b *batch) originGone(ctx context.Context, s store.Side, rec store.Record) (bool, store.Record, error) {
	r := b.r
	o, id, ok := parseKey(r.st.ID, rec.Key)
	if !ok || o != s.Other() {
		return false, store.Record{}, nil
	}
	var origin store.Record
	gone := false
	err := r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		got, err := tx.GetRecords(ctx, r.connID(o), r.object(o), []string{id})
		if err != nil {
			return err
		}
		tombs, err := tx.GetTombstones(ctx, r.st.ID, o, []string{id})
		if err != nil {
			return err
		}
		// Both sides are pulled in full before any merge, so an origin the
		// mirror does not hold no longer exists (it was deleted before its
		// first listing reached us).
		o, seen := got[id]
		origin = o
		origin.ID = id
		_, dead := tombs[id]
		gone = dead || !seen || o.Deleted
		return nil
	})
	return gone, origin, err
}

// candidates finds the records of the other side an unlinked record of side
// s matches, by the rules in order: the idempotency key, email, name.
// byKey reports a match by idempotency key: a pair recovered after a crash.
func (b *batch) candidates(ctx context.Context, s store.Side, rec store.Record) (out []store.Record, byKey bool, err error) {
	r := b.r
	o := s.Other()
	if r.otherEmpty[o] {
		return nil, false, nil
	}
	mine, theirs := r.def.side(s), r.def.side(o)
	type rule struct {
		kind store.MatchKind
		key  string
	}
	rules := []rule{{store.MatchExternal, IdempotencyKey(r.st.ID, s, rec.ID)}}
	if theirs.ExternalID != "" {
		rules = append(rules, rule{store.MatchExternal, rec.ID}) // their field names my id
	}
	var mineExt string
	if mine.ExternalID != "" {
		var f connector.Fields
		if json.Unmarshal(rec.Fields, &f) == nil {
			mineExt, _ = f[mine.ExternalID].(string) // my field names their id
		}
	}
	if mine.Email != "" && theirs.Email != "" && rec.EmailKey != "" {
		rules = append(rules, rule{store.MatchEmail, rec.EmailKey})
	}
	if (mine.FirstName != "" || mine.LastName != "") && (theirs.FirstName != "" || theirs.LastName != "") && rec.NameKey != "" {
		rules = append(rules, rule{store.MatchName, rec.NameKey})
	}
	err = r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		if side, id, ok := parseKey(r.st.ID, rec.Key); ok && side == o {
			// Created by this stream from that record: they are one.
			got, err := tx.GetRecords(ctx, r.connID(o), r.object(o), []string{id})
			if err != nil {
				return err
			}
			if c, ok := got[id]; ok && !c.Deleted {
				out, err = b.usable(ctx, tx, o, []store.Record{c})
				if err != nil || len(out) > 0 {
					byKey = true
					return err
				}
			}
		}
		if mineExt != "" {
			got, err := tx.GetRecords(ctx, r.connID(o), r.object(o), []string{mineExt})
			if err != nil {
				return err
			}
			if c, ok := got[mineExt]; ok {
				if out, err = b.usable(ctx, tx, o, []store.Record{c}); err != nil || len(out) > 0 {
					return err
				}
			}
		}
		for i, ru := range rules {
			found, err := tx.FindRecords(ctx, r.connID(o), r.object(o), ru.kind, ru.key)
			if err != nil {
				return err
			}
			if i > 0 {
				if found, err = b.notCopies(ctx, tx, o, found); err != nil {
					return err
				}
			}
			if out, err = b.usable(ctx, tx, o, found); err != nil || len(out) == 0 {
				if err != nil {
					return err
				}
				continue
			}
			if ru.kind == store.MatchExternal {
				byKey = i == 0 // our own idempotency key: a recovered pair
				return nil
			}
			if len(out) > 1 {
				return nil
			}
			// One candidate: it is a match only if it matches no other
			// record of this side either; otherwise it is a guess.
			back, err := tx.FindRecords(ctx, r.connID(s), r.object(s), ru.kind, ru.key)
			if err != nil {
				return err
			}
			if back, err = b.notCopies(ctx, tx, s, back); err != nil {
				return err
			}
			if back, err = b.usable(ctx, tx, s, back); err != nil {
				return err
			}
			if len(back) > 1 {
				out = append(out, back...)
			}
			return nil
		}
		return nil
	})
	return out, byKey, err
}

// inScope reports whether side s's Scope takes up a record with fields.
func (r *run) inScope(s store.Side, fields connector.Fields) bool {
	scope := r.def.side(s).Scope
	return scope == nil || scope(r.settings, fields)
}

// scoped drops the match candidates of side s its Scope does not take up.
func (r *run) scoped(s store.Side, cands []store.Record) []store.Record {
	if r.def.side(s).Scope == nil {
		return cands
	}
	out := cands[:0:0]
	for _, c := range cands {
		var f connector.Fields
		if json.Unmarshal(c.Fields, &f) == nil && r.inScope(s, f) {
			out = append(out, c)
		}
	}
	return out
}

// notCopies drops, from candidates of side s, the records this stream
// created from another and the records it made a copy of: a copy and its
// origin belong together (their link may have been lost in a crash) and
// are never matched to anything else by email or name.
func (b *batch) notCopies(ctx context.Context, tx store.Tx, s store.Side, recs []store.Record) ([]store.Record, error) {
	r := b.r
	out := recs[:0:0]
	for _, c := range recs {
		if _, _, ok := parseKey(r.st.ID, c.Key); ok {
			continue
		}
		copies, err := tx.FindRecords(ctx, r.connID(s.Other()), r.object(s.Other()), store.MatchExternal, IdempotencyKey(r.st.ID, s, c.ID))
		if err != nil {
			return nil, err
		}
		if len(copies) == 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// usable drops candidates that are linked, claimed or tombstoned.
func (b *batch) usable(ctx context.Context, tx store.Tx, s store.Side, cands []store.Record) ([]store.Record, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = c.ID
	}
	links, err := tx.GetLinks(ctx, b.r.st.ID, s, ids)
	if err != nil {
		return nil, err
	}
	tombs, err := tx.GetTombstones(ctx, b.r.st.ID, s, ids)
	if err != nil {
		return nil, err
	}
	var out []store.Record
	for _, c := range cands {
		_, linked := links[c.ID]
		_, dead := tombs[c.ID]
		if !linked && !dead && !c.Deleted && !b.claimed[s][c.ID] {
			out = append(out, c)
		}
	}
	return out, nil
}

// create plans the creation of an unlinked record on the other side.
func (b *batch) create(it *item) {
	var fields connector.Fields
	_ = json.Unmarshal(b.recs[it.side][it.id].Fields, &fields)
	b.createFrom(it, fields)
}

// createFrom plans the creation of an unlinked record from its fields.
func (b *batch) createFrom(it *item, fields connector.Fields) {
	r := b.r
	s := it.side
	rec := b.recs[s][it.id]
	it.link = nil
	if !r.inScope(s, fields) {
		return
	}
	switch r.def.side(s).Create {
	case CreateNever:
		return
	case CreateAfterEnable:
		if rec.Created.Before(r.st.EnabledAt) {
			return // existed before sync was enabled: never pushed
		}
	}
	out, bs, err := r.def.createFields(r.settings, s, fields)
	if err != nil {
		var bf *badField
		field := ""
		if errors.As(err, &bf) {
			field = bf.field
		}
		b.quarantine(it, s, it.id, field, err, fields)
		return
	}
	for field, setting := range r.def.side(s.Other()).Defaults {
		if v, _ := r.settings[setting].(string); v != "" {
			out[field] = v
		}
	}
	b.claimed[s][it.id] = true
	raw, _ := json.Marshal(bs)
	l := &store.Link{StreamID: r.st.ID, Base: raw, Created: b.now, Updated: b.now}
	it.link = l
	wr := &write{side: s.Other(), it: it, w: connector.Write{Op: connector.OpCreate, Key: IdempotencyKey(r.st.ID, s, it.id), Fields: out}}
	wr.onCreate = func(id string) {
		if s == store.SideA {
			l.AID, l.BID = it.id, id
		} else {
			l.AID, l.BID = id, it.id
		}
		// Mirror the new record at once: a full reconciliation must find
		// it even if it is deleted before its echo is ever pulled.
		o := s.Other()
		raw, _ := json.Marshal(out)
		m := store.Record{ConnID: r.connID(o), Object: r.object(o), ID: id, Key: wr.w.Key, Fields: raw,
			Created: b.now, Modified: b.now, Gen: r.gen[o]}
		if !wr.res.Modified.IsZero() {
			m.Created, m.Modified = wr.res.Modified, wr.res.Modified
		}
		m.EmailKey, m.NameKey = matchKeys(r.def.side(o), out)
		it.mirror = append(it.mirror, m)
	}
	it.writes = append(it.writes, wr)
}

// commitIntents stores, before any write goes out, the values each update
// is about to write, so that after a crash the next merge recognises them
// as ours and not as a user's edit.
//
// The conflicts those writes settle are recorded here too: once the loser's
// value may be overwritten, its record must already exist.
func (b *batch) commitIntents(ctx context.Context) error {
	var ls []store.Link
	var items []*item
	for _, it := range b.items {
		if it.intent != nil && it.quarantine == nil {
			ls = append(ls, *it.intent)
			items = append(items, it)
		}
	}
	if len(ls) == 0 {
		return nil
	}
	return b.r.e.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutLinks(ctx, ls); err != nil {
			return err
		}
		return b.addConflicts(ctx, tx, items)
	})
}

// addConflicts records the conflicts of items.
func (b *batch) addConflicts(ctx context.Context, tx store.Tx, items []*item) error {
	r := b.r
	for _, it := range items {
		for _, c := range it.conflicts {
			av, _ := json.Marshal(c.a)
			bv, _ := json.Marshal(c.b)
			row := &store.Conflict{OrgID: r.st.OrgID, StreamID: r.st.ID, AID: it.link.AID, BID: it.link.BID,
				Field: c.field, AValue: av, BValue: bv, Winner: c.winner, Reason: c.reason, Created: b.now}
			if err := tx.AddConflict(ctx, row); err != nil {
				return err
			}
		}
	}
	return nil
}

// send writes every planned write, side by side, in batches of the
// connector's size. A failed call fails only the records it carried.
func (b *batch) send(ctx context.Context) error {
	r := b.r
	for _, s := range []store.Side{store.SideA, store.SideB} {
		var ws []*write
		for _, it := range b.items {
			for _, w := range it.writes {
				if w.side == s {
					ws = append(ws, w)
				}
			}
		}
		size := r.conn[s].Capabilities().BatchSize
		if size <= 0 {
			size = 200
		}
		for start := 0; start < len(ws); start += size {
			chunk := ws[start:min(start+size, len(ws))]
			batch := make([]connector.Write, len(chunk))
			for i, w := range chunk {
				batch[i] = w.w
			}
			res, err := r.conn[s].Write(ctx, r.object(s), batch)
			if err == nil && len(res) != len(chunk) {
				err = fmt.Errorf("connector answered %d results for %d writes", len(res), len(chunk))
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			for i, w := range chunk {
				if err != nil {
					w.res = connector.Result{Err: err}
				} else {
					w.res = res[i]
				}
				if w.res.Err != nil && w.w.Op == connector.OpDelete && errors.Is(w.res.Err, connector.ErrNotFound) {
					w.res.Err = nil // already gone: the delete is done
				}
			}
		}
	}
	for _, it := range b.items {
		for _, w := range it.writes {
			if w.res.Err == nil {
				continue
			}
			if errors.Is(w.res.Err, connector.ErrInvalid) {
				var fe *connector.FieldError
				field := ""
				if errors.As(w.res.Err, &fe) {
					field = fe.Field
				}
				id := w.w.ID
				if id == "" {
					id = it.id
				}
				b.quarantine(it, w.side, id, field, fmt.Errorf("side %s refused the %s: %w", w.side, w.w.Op, w.res.Err), w.w.Fields)
				break
			}
			if w.w.Op == connector.OpUpdate && errors.Is(w.res.Err, connector.ErrNotFound) {
				b.vanished(it, w.side, w.w.ID)
				break
			}
			target := w.w.ID
			if target == "" { // a create: name the record it copies
				target = "of record " + it.id
			}
			it.err, it.transient = fmt.Errorf("%s %s on side %s: %w", w.w.Op, target, w.side, w.res.Err), true
			break
		}
		if it.err == nil && it.quarantine == nil {
			for _, w := range it.writes {
				if w.onCreate != nil {
					w.onCreate(w.res.ID)
				}
			}
		}
	}
	return nil
}

// commit stores what the batch achieved: links, bases, mirror rows,
// tombstones, conflicts and quarantine, and clears the pending marks of
// every settled record — all in one transaction.
func (b *batch) commit(ctx context.Context, n int) error {
	var rec store.Run
	var failed int
	err := b.r.e.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		rec, failed, err = b.commitTx(ctx, tx, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("commit merge: %w", err)
	}
	b.r.transient += failed
	b.r.rec = rec
	b.r.e.progress(rec)
	return nil
}

// commitTx writes the batch's outcome inside tx and returns the run record
// as it will stand once tx commits, and how many records failed and stay
// pending. A batch without pending marks (the import fast path) leaves
// its failed records to the caller. It changes nothing in memory: the
// store may run it more than once.
func (b *batch) commitTx(ctx context.Context, tx store.Tx, n int) (store.Run, int, error) {
	r := b.r
	var links []store.Link
	var drop []string
	var tombs []store.Tombstone
	var mirror []store.Record
	var done []store.Pending
	var counts store.RunCounts
	failed := 0
	for _, it := range b.items {
		if it.transient {
			failed++
			continue
		}
		done = append(done, it.pend...)
		if it.quarantine != nil {
			counts.Quarantined++
			if it.link != nil && it.link.AID != "" {
				links = append(links, *it.link) // a pair kept in review
			}
			continue
		}
		if it.link != nil && it.link.AID != "" {
			links = append(links, *it.link)
		}
		if it.dropLink != "" {
			drop = append(drop, it.dropLink)
		}
		tombs = append(tombs, it.tombs...)
		mirror = append(mirror, it.mirror...)
		counts.Conflicts += int64(len(it.conflicts))
		for _, w := range it.writes {
			switch w.w.Op {
			case connector.OpCreate:
				counts.Created++
			case connector.OpUpdate:
				counts.Updated++
			case connector.OpDelete:
				counts.Deleted++
			}
		}
		if len(it.writes) == 0 && it.link == nil && it.dropLink == "" {
			counts.Skipped++
		}
	}
	rec := r.rec
	if !b.pendingless { // the fast path's records count as pulled
		rec.Done += int64(n - failed)
	}
	rec.Counts.Created += counts.Created
	rec.Counts.Updated += counts.Updated
	rec.Counts.Deleted += counts.Deleted
	rec.Counts.Conflicts += counts.Conflicts
	rec.Counts.Quarantined += counts.Quarantined
	rec.Counts.Skipped += counts.Skipped
	if err := tx.PutRecords(ctx, mirror); err != nil {
		return rec, failed, err
	}
	if err := tx.DeleteLinks(ctx, r.st.ID, drop); err != nil {
		return rec, failed, err
	}
	if err := tx.PutLinks(ctx, links); err != nil {
		return rec, failed, err
	}
	if err := tx.PutTombstones(ctx, tombs); err != nil {
		return rec, failed, err
	}
	for _, it := range b.items {
		if it.transient || it.quarantine == nil {
			continue
		}
		q := *it.quarantine
		q.Created, q.Updated = b.now, b.now
		if err := tx.AddQuarantine(ctx, &q); err != nil {
			return rec, failed, err
		}
	}
	var late []*item // conflicts not already recorded with an intent
	for _, it := range b.items {
		if !it.transient && it.quarantine == nil && it.intent == nil {
			late = append(late, it)
		}
	}
	if err := b.addConflicts(ctx, tx, late); err != nil {
		return rec, failed, err
	}
	if !b.pendingless {
		if err := tx.DeletePending(ctx, done); err != nil {
			return rec, failed, err
		}
	}
	var again []store.Pending
	for _, it := range b.items {
		if !it.transient {
			again = append(again, it.repend...)
		}
	}
	if err := tx.AddPending(ctx, again); err != nil {
		return rec, failed, err
	}
	return rec, failed, tx.UpdateRun(ctx, rec)
}
