package syncer

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// basePair is the last agreed value of one mapping on each side.
type basePair struct {
	A any `json:"a"`
	B any `json:"b"`
	// I is a write in flight: committed before the remote write, so that
	// after a crash the merge can tell our own write from a user's edit.
	I *intent `json:"i,omitempty"`
	// U marks values never agreed on (a pair recovered after a crash):
	// any difference between the sides is a conflict.
	U bool `json:"u,omitempty"`
}

// intent is the pair a write to Side will make agree.
type intent struct {
	Side store.Side `json:"s"`
	A    any        `json:"a"`
	B    any        `json:"b"`
	At   time.Time  `json:"t"`
}

// settled returns the base a field merges against: the intent's values when
// the target side holds what was being written (the write happened), the
// last agreed values otherwise. When the target holds neither and was
// modified after the intent, a user may have edited it after our write:
// touched names that side, whose value then counts as changed.
func (bp basePair) settled(va, vb any, a, b view) (out basePair, touched store.Side) {
	if bp.I == nil {
		return bp, ""
	}
	held, want, mod := va, bp.I.A, a.modified
	if bp.I.Side == store.SideB {
		held, want, mod = vb, bp.I.B, b.modified
	}
	if equal(held, want) {
		return basePair{A: bp.I.A, B: bp.I.B}, ""
	}
	if mod.After(bp.I.At) {
		touched = bp.I.Side
	}
	return basePair{A: bp.A, B: bp.B, U: bp.U}, touched
}

type base map[string]basePair

func decodeBase(raw json.RawMessage) (base, error) {
	b := base{}
	if len(raw) == 0 {
		return b, nil
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("decode base: %w", err)
	}
	return b, nil
}

// side of a record as the merge sees it.
type view struct {
	id       string
	fields   connector.Fields
	modified time.Time
}

// fieldConflict is a field changed on both sides, as settled.
type fieldConflict struct {
	field  string
	a, b   any
	winner store.Side
	reason string
}

// badField is a value that cannot be synced.
type badField struct {
	side  store.Side
	field string // the system's field name
	err   error
}

func (e *badField) Error() string {
	return fmt.Sprintf("field %s on side %s: %v", e.field, e.side, e.err)
}

// mergeResult is what a three-way merge of one pair decided.
type mergeResult struct {
	writeA, writeB connector.Fields
	base           base
	conflicts      []fieldConflict
	// intent is the base to commit before the writes go out.
	intent base
}

// merge settles every mapped field of a linked pair against its base. A
// value on either side that cannot be converted stops the merge with a
// badField error.
//
// A field missing from the base counts as empty on both sides, so a value
// on one side fills the other (matched records merge without a loss) —
// unless unknown is set: then both sides count as changed and any
// difference is a conflict. That is the case of a pair recovered after a
// crash, whose base was never committed.
func (d *Definition) merge(settings map[string]any, old base, a, b view, unknown bool, now time.Time) (mergeResult, error) {
	res := mergeResult{writeA: connector.Fields{}, writeB: connector.Fields{}, base: base{}, intent: base{}}
	for k, v := range old {
		f := d.fieldByName(k)
		na, _ := normalize(f.Type, a.fields[f.A])
		nb, _ := normalize(f.Type, b.fields[f.B])
		v, _ = v.settled(na, nb, a, b)
		res.base[k], res.intent[k] = v, v
	}
	for i := range d.Fields {
		f := &d.Fields[i]
		if f.CreateOnly || (f.Condition != "" && settings[f.Condition] != true) {
			continue
		}
		va, err := normalize(f.Type, a.fields[f.A])
		if err != nil {
			return res, &badField{side: store.SideA, field: f.A, err: err}
		}
		vb, err := normalize(f.Type, b.fields[f.B])
		if err != nil {
			return res, &badField{side: store.SideB, field: f.B, err: err}
		}
		bp, known := old[f.Name]
		guess := unknown || bp.U // no agreed base for this field
		if bp.U {
			known = false
		}
		bp, touched := bp.settled(va, vb, a, b)
		ca, cb := !equal(va, bp.A) || touched == store.SideA, !equal(vb, bp.B) || touched == store.SideB
		if !known && guess {
			ca, cb = !equal(va, vb) || ca, !equal(va, vb) || cb
		}
		if !ca && !cb {
			continue
		}
		toB, outB, errB := f.convert(store.SideA, va)
		if outB == converted && equal(toB, vb) {
			res.base[f.Name] = basePair{A: va, B: vb} // the sides agree
			res.intent[f.Name] = res.base[f.Name]
			continue
		}
		toA, outA, errA := f.convert(store.SideB, vb)
		flowAB := ca && f.Dir.allows(store.SideA)
		flowBA := cb && f.Dir.allows(store.SideB)
		// A side holding a value outside the value map is never
		// overwritten, and its value is never written across.
		heldA := va != nil && outB == unmapped
		heldB := vb != nil && outA == unmapped
		var win store.Side
		var why string
		if flowAB && flowBA && !heldA && !heldB {
			// Only the value that wins must convert.
			win, why = d.winner(a, b)
			flowAB, flowBA = win == store.SideA, win == store.SideB
		}
		if flowAB && outB == invalid {
			return res, &badField{side: store.SideA, field: f.A, err: errB}
		}
		if flowBA && outA == invalid {
			return res, &badField{side: store.SideB, field: f.B, err: errA}
		}
		origA, origB := va, vb
		switch {
		case win != "":
			if win == store.SideA {
				res.writeB[f.B] = toB
				vb = toB
			} else {
				res.writeA[f.A] = toA
				va = toA
			}
			res.conflicts = append(res.conflicts, fieldConflict{field: f.Name, a: origA, b: origB, winner: win, reason: why})
		case flowAB:
			if outB == unmapped || heldB {
				break
			}
			if cb { // B's own edit of a field that does not flow from B
				res.conflicts = append(res.conflicts, fieldConflict{field: f.Name, a: va, b: vb, winner: store.SideA, reason: "the field syncs from a to b only"})
			}
			res.writeB[f.B] = toB
			vb = toB
		case flowBA:
			if outA == unmapped || heldA || equal(toA, va) {
				break
			}
			if ca {
				res.conflicts = append(res.conflicts, fieldConflict{field: f.Name, a: va, b: vb, winner: store.SideB, reason: "the field syncs from b to a only"})
			}
			res.writeA[f.A] = toA
			va = toA
		}
		res.base[f.Name] = basePair{A: va, B: vb}
		res.intent[f.Name] = res.base[f.Name]
		_, wroteA := res.writeA[f.A]
		_, wroteB := res.writeB[f.B]
		if wroteA || wroteB {
			// Until the write is known to have happened, the field keeps
			// its old base (unknown, for a recovered pair).
			in := basePair{A: bp.A, B: bp.B, U: !known && guess}
			in.I = &intent{Side: store.SideA, A: va, B: vb, At: now}
			if wroteB {
				in.I.Side = store.SideB
			}
			res.intent[f.Name] = in
		}
	}
	return res, nil
}

// fieldByName returns the mapping of that name (an empty one if the
// definition no longer has it).
func (d *Definition) fieldByName(name string) Field {
	for _, f := range d.Fields {
		if f.Name == name {
			return f
		}
	}
	return Field{}
}

func (d *Definition) winner(a, b view) (store.Side, string) {
	switch d.Conflict {
	case AWins:
		return store.SideA, "side a wins by policy"
	case BWins:
		return store.SideB, "side b wins by policy"
	}
	if b.modified.After(a.modified) {
		return store.SideB, "newest wins: b was modified later"
	}
	return store.SideA, "newest wins: a was modified later or at the same time"
}

// createFields converts a record of side from for a create on the other
// side, and returns the base the new pair starts from.
func (d *Definition) createFields(settings map[string]any, from store.Side, fields connector.Fields) (connector.Fields, base, error) {
	out, bs := connector.Fields{}, base{}
	for i := range d.Fields {
		f := &d.Fields[i]
		seeds := f.Seed && !f.Dir.allows(from)
		if f.Condition != "" && settings[f.Condition] != true && !seeds {
			continue // the condition gates the field's flow, not its seed
		}
		v, err := normalize(f.Type, fields[f.field(from)])
		if err != nil {
			return nil, nil, &badField{side: from, field: f.field(from), err: err}
		}
		var to any
		if f.Dir.allows(from) || seeds {
			c, o, err := f.convert(from, v)
			if o == invalid {
				return nil, nil, &badField{side: from, field: f.field(from), err: err}
			}
			if o == converted && c != nil {
				to = c
				out[f.field(from.Other())] = c
			}
		}
		if from == store.SideA {
			bs[f.Name] = basePair{A: v, B: to}
		} else {
			bs[f.Name] = basePair{A: to, B: v}
		}
	}
	return out, bs, nil
}

// loserText appends the replaced values of conflicts to a loser field's
// current text, keeping at most max characters (the newest lines).
func loserText(cur any, cs []fieldConflict, now time.Time, max int) string {
	if max <= 0 {
		max = 4000
	}
	var sb strings.Builder
	if s, ok := cur.(string); ok && s != "" {
		sb.WriteString(s)
		sb.WriteByte('\n')
	}
	for _, c := range cs {
		lost, from := c.b, "b"
		if c.winner == store.SideB {
			lost, from = c.a, "a"
		}
		fmt.Fprintf(&sb, "%s: %v (replaced %s, from side %s)\n", c.field, display(lost), now.UTC().Format(time.RFC3339), from)
	}
	out := strings.TrimRight(sb.String(), "\n")
	for len(out) > max {
		i := strings.IndexByte(out, '\n')
		if i < 0 {
			return out[len(out)-max:]
		}
		out = out[i+1:]
	}
	return out
}

func display(v any) string {
	if v == nil {
		return "(empty)"
	}
	return fmt.Sprint(v)
}
