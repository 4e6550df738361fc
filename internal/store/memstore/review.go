package memstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func copyConflict(c store.Conflict) store.Conflict {
	c.AValue, c.BValue = cloneJSON(c.AValue), cloneJSON(c.BValue)
	return c
}

// AddConflict implements store.Tx.
func (t *tx) AddConflict(_ context.Context, c *store.Conflict) error {
	op := "add conflict " + c.ID
	if err := t.w(op); err != nil {
		return err
	}
	x := copyConflict(*c)
	if x.ID == "" {
		x.ID = store.NewID()
	}
	x.Created = t.orNow(x.Created)
	if _, ok := t.d.conflictIDs[x.ID]; ok {
		return conflict(op)
	}
	set(t, t.d.conflictIDs, x.ID, struct{}{})
	t.d.conflicts = append(t.d.conflicts, x)
	t.log(func() { t.d.conflicts = t.d.conflicts[:len(t.d.conflicts)-1] })
	*c = copyConflict(x)
	return nil
}

// ListConflicts implements store.Tx.
func (t *tx) ListConflicts(_ context.Context, f store.ConflictFilter) ([]store.Conflict, error) {
	if err := t.r("list conflicts"); err != nil {
		return nil, err
	}
	var out []store.Conflict
	for i := len(t.d.conflicts) - 1; i >= 0 && (f.Limit <= 0 || len(out) < f.Limit); i-- {
		c := t.d.conflicts[i]
		if (f.OrgID == "" || c.OrgID == f.OrgID) && (f.StreamID == "" || c.StreamID == f.StreamID) && (f.AID == "" || c.AID == f.AID) {
			out = append(out, copyConflict(c))
		}
	}
	return out, nil
}

func copyQuarantine(q store.Quarantine) store.Quarantine {
	q.Payload = cloneJSON(q.Payload)
	return q
}

// AddQuarantine implements store.Tx.
func (t *tx) AddQuarantine(_ context.Context, q *store.Quarantine) error {
	op := "add quarantine " + q.ID
	if err := t.w(op); err != nil {
		return err
	}
	x := copyQuarantine(*q)
	if x.ID == "" {
		x.ID = store.NewID()
	}
	if x.Status == "" {
		x.Status = store.QuarantineOpen
	}
	x.Created, x.Updated = t.orNow(x.Created), t.orNow(x.Updated)
	if _, ok := t.d.quarantine[x.ID]; ok {
		return conflict(op)
	}
	set(t, t.d.quarantine, x.ID, x)
	t.d.quarOrder = append(t.d.quarOrder, x.ID)
	t.log(func() { t.d.quarOrder = t.d.quarOrder[:len(t.d.quarOrder)-1] })
	*q = copyQuarantine(x)
	return nil
}

// GetQuarantine implements store.Tx.
func (t *tx) GetQuarantine(_ context.Context, orgID, id string) (store.Quarantine, error) {
	op := "get quarantine " + id
	if err := t.r(op); err != nil {
		return store.Quarantine{}, err
	}
	q, ok := t.d.quarantine[id]
	if !ok || q.OrgID != orgID {
		return store.Quarantine{}, notFound(op)
	}
	return copyQuarantine(q), nil
}

// ListQuarantine implements store.Tx.
func (t *tx) ListQuarantine(_ context.Context, f store.QuarantineFilter) ([]store.Quarantine, error) {
	if err := t.r("list quarantine"); err != nil {
		return nil, err
	}
	var out []store.Quarantine
	for i := len(t.d.quarOrder) - 1; i >= 0 && (f.Limit <= 0 || len(out) < f.Limit); i-- {
		q := t.d.quarantine[t.d.quarOrder[i]]
		if (f.OrgID == "" || q.OrgID == f.OrgID) && (f.StreamID == "" || q.StreamID == f.StreamID) && (f.Status == "" || q.Status == f.Status) {
			out = append(out, copyQuarantine(q))
		}
	}
	return out, nil
}

// UpdateQuarantine implements store.Tx.
func (t *tx) UpdateQuarantine(_ context.Context, q store.Quarantine) error {
	op := "update quarantine " + q.ID
	if err := t.w(op); err != nil {
		return err
	}
	x, ok := t.d.quarantine[q.ID]
	if !ok || x.OrgID != q.OrgID {
		return notFound(op)
	}
	x.Field, x.Error, x.Payload, x.Status, x.Updated = q.Field, q.Error, cloneJSON(q.Payload), q.Status, t.orNow(q.Updated)
	set(t, t.d.quarantine, x.ID, x)
	return nil
}

// AddAudit implements store.Tx.
func (t *tx) AddAudit(_ context.Context, a *store.Audit) error {
	op := "add audit " + a.ID
	if err := t.w(op); err != nil {
		return err
	}
	x := *a
	x.Detail = cloneJSON(x.Detail)
	if x.ID == "" {
		x.ID = store.NewID()
	}
	x.Created = t.orNow(x.Created)
	if _, ok := t.d.auditIDs[x.ID]; ok {
		return conflict(op)
	}
	set(t, t.d.auditIDs, x.ID, struct{}{})
	t.d.audit = append(t.d.audit, x)
	t.log(func() { t.d.audit = t.d.audit[:len(t.d.audit)-1] })
	*a = x
	a.Detail = cloneJSON(x.Detail)
	return nil
}

// ListAudit implements store.Tx.
func (t *tx) ListAudit(_ context.Context, orgID string, limit int) ([]store.Audit, error) {
	if err := t.r("list audit"); err != nil {
		return nil, err
	}
	var out []store.Audit
	for i := len(t.d.audit) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		if a := t.d.audit[i]; a.OrgID == orgID {
			a.Detail = cloneJSON(a.Detail)
			out = append(out, a)
		}
	}
	return out, nil
}

func copyOutbox(m store.OutboxMessage) store.OutboxMessage {
	m.Payload = cloneJSON(m.Payload)
	m.NextTry, m.Sent = norm(m.NextTry), norm(m.Sent)
	return m
}

// AddOutbox implements store.Tx.
func (t *tx) AddOutbox(_ context.Context, m *store.OutboxMessage) error {
	op := "add outbox " + m.Key
	if err := t.w(op); err != nil {
		return err
	}
	x := copyOutbox(*m)
	if x.ID == "" {
		x.ID = store.NewID()
	}
	if x.Status == "" {
		x.Status = store.OutboxPending
	}
	x.Created = t.orNow(x.Created)
	if _, ok := t.d.outbox[x.ID]; ok {
		return conflict(op)
	}
	if _, ok := t.d.outboxByKey[x.Key]; ok {
		return conflict(op)
	}
	set(t, t.d.outbox, x.ID, outboxEntry{m: x, seq: t.nextSeq()})
	set(t, t.d.outboxByKey, x.Key, x.ID)
	if x.Status == store.OutboxPending {
		set(t, t.d.outboxDue, x.ID, struct{}{})
	}
	*m = copyOutbox(x)
	return nil
}

// ListOutboxDue implements store.Tx.
func (t *tx) ListOutboxDue(_ context.Context, now time.Time, limit int) ([]store.OutboxMessage, error) {
	if err := t.r("list outbox due"); err != nil {
		return nil, err
	}
	cut := now.UnixMicro()
	var due []outboxEntry
	for id := range t.d.outboxDue {
		e := t.d.outbox[id]
		if e.m.NextTry.IsZero() || e.m.NextTry.UnixMicro() <= cut {
			due = append(due, e)
		}
	}
	slices.SortFunc(due, func(a, b outboxEntry) int {
		return cmp.Or(cmp.Compare(micros(a.m.NextTry), micros(b.m.NextTry)), cmp.Compare(a.seq, b.seq))
	})
	due = limited(due, limit)
	out := make([]store.OutboxMessage, len(due))
	for i, e := range due {
		out[i] = copyOutbox(e.m)
	}
	return out, nil
}

func micros(v time.Time) int64 {
	if v.IsZero() {
		return 0
	}
	return v.UnixMicro()
}

// GetOutbox implements store.Tx.
func (t *tx) GetOutbox(_ context.Context, id string) (store.OutboxMessage, error) {
	op := "get outbox " + id
	if err := t.r(op); err != nil {
		return store.OutboxMessage{}, err
	}
	e, ok := t.d.outbox[id]
	if !ok {
		return store.OutboxMessage{}, notFound(op)
	}
	return copyOutbox(e.m), nil
}

// UpdateOutbox implements store.Tx.
func (t *tx) UpdateOutbox(_ context.Context, m store.OutboxMessage) error {
	op := "update outbox " + m.ID
	if err := t.w(op); err != nil {
		return err
	}
	e, ok := t.d.outbox[m.ID]
	if !ok {
		return notFound(op)
	}
	x := e.m
	x.Payload, x.Status, x.Attempts, x.NextTry, x.LastError, x.Sent =
		cloneJSON(m.Payload), m.Status, m.Attempts, norm(m.NextTry), m.LastError, norm(m.Sent)
	set(t, t.d.outbox, x.ID, outboxEntry{m: x, seq: e.seq})
	if x.Status == store.OutboxPending {
		set(t, t.d.outboxDue, x.ID, struct{}{})
	} else {
		del(t, t.d.outboxDue, x.ID)
	}
	return nil
}

// GetSetting implements store.Tx.
func (t *tx) GetSetting(_ context.Context, orgID, userID, name string) (json.RawMessage, error) {
	op := settingOp("get", orgID, userID, name)
	if err := t.r(op); err != nil {
		return nil, err
	}
	v, ok := t.d.settings[key(orgID, userID, name)]
	if !ok {
		return nil, notFound(op)
	}
	return cloneJSON(v), nil
}

// PutSetting implements store.Tx.
func (t *tx) PutSetting(_ context.Context, orgID, userID, name string, value json.RawMessage) error {
	if err := t.w(settingOp("put", orgID, userID, name)); err != nil {
		return err
	}
	k := key(orgID, userID, name)
	if len(value) == 0 {
		del(t, t.d.settings, k)
		return nil
	}
	set(t, t.d.settings, k, cloneJSON(value))
	return nil
}

func settingOp(verb, orgID, userID, name string) string {
	if userID == "" {
		return fmt.Sprintf("%s setting %s of org %s", verb, name, orgID)
	}
	return fmt.Sprintf("%s setting %s of user %s", verb, name, userID)
}
