package sqlstore

import (
	"context"
	"strings"

	"github.com/crmsync/crmsync/internal/store"
)

// where builds a WHERE clause from the non-empty conditions.
type where struct {
	conds []string
	args  []any
}

func (w *where) eq(col, v string) {
	if v != "" {
		w.conds = append(w.conds, col+" = ?")
		w.args = append(w.args, v)
	}
}

// String renders the clause, empty when there are no conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

const conflictCols = `id, org_id, stream_id, a_id, b_id, field, a_value, b_value, winner, reason, created`

func scanConflict(r scanner) (store.Conflict, error) {
	var c store.Conflict
	var aValue, bValue, winner string
	var created int64
	err := r.Scan(&c.ID, &c.OrgID, &c.StreamID, &c.AID, &c.BID, &c.Field, &aValue, &bValue, &winner, &c.Reason, &created)
	c.AValue = jsonRaw(aValue)
	c.BValue = jsonRaw(bValue)
	c.Winner = store.Side(winner)
	c.Created = fromMicros(created)
	return c, err
}

// AddConflict implements store.Tx.
func (t *tx) AddConflict(ctx context.Context, c *store.Conflict) error {
	if c.ID == "" {
		c.ID = store.NewID()
	}
	c.Created = t.orNow(c.Created)
	return t.insertOne(ctx, "add conflict "+c.ID,
		`INSERT INTO conflicts (`+conflictCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.OrgID, c.StreamID, c.AID, c.BID, c.Field, jsonText(c.AValue), jsonText(c.BValue),
		string(c.Winner), c.Reason, micros(c.Created))
}

// ListConflicts implements store.Tx.
func (t *tx) ListConflicts(ctx context.Context, f store.ConflictFilter) ([]store.Conflict, error) {
	var w where
	w.eq("org_id", f.OrgID)
	w.eq("stream_id", f.StreamID)
	w.eq("a_id", f.AID)
	rows, err := t.query(ctx, `SELECT `+conflictCols+` FROM conflicts`+w.String()+` ORDER BY seq DESC`+limitSQL(f.Limit), w.args...)
	return collect(rows, err, "list conflicts", scanConflict)
}

const quarantineCols = `id, org_id, stream_id, side, record_id, field, error, payload, status, created, updated`

func scanQuarantine(r scanner) (store.Quarantine, error) {
	var q store.Quarantine
	var side, payload string
	var created, updated int64
	err := r.Scan(&q.ID, &q.OrgID, &q.StreamID, &side, &q.RecordID, &q.Field, &q.Error, &payload, &q.Status, &created, &updated)
	q.Side = store.Side(side)
	q.Payload = jsonRaw(payload)
	q.Created = fromMicros(created)
	q.Updated = fromMicros(updated)
	return q, err
}

// AddQuarantine implements store.Tx.
func (t *tx) AddQuarantine(ctx context.Context, q *store.Quarantine) error {
	if q.ID == "" {
		q.ID = store.NewID()
	}
	if q.Status == "" {
		q.Status = store.QuarantineOpen
	}
	q.Created = t.orNow(q.Created)
	q.Updated = t.orNow(q.Updated)
	return t.insertOne(ctx, "add quarantine "+q.ID,
		`INSERT INTO quarantine (`+quarantineCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.ID, q.OrgID, q.StreamID, string(q.Side), q.RecordID, q.Field, q.Error, jsonText(q.Payload), q.Status,
		micros(q.Created), micros(q.Updated))
}

// GetQuarantine implements store.Tx.
func (t *tx) GetQuarantine(ctx context.Context, orgID, id string) (store.Quarantine, error) {
	q, err := scanQuarantine(t.queryRow(ctx, `SELECT `+quarantineCols+` FROM quarantine WHERE org_id = ? AND id = ?`, orgID, id))
	return q, rowErr(err, "get quarantine "+id)
}

// ListQuarantine implements store.Tx.
func (t *tx) ListQuarantine(ctx context.Context, f store.QuarantineFilter) ([]store.Quarantine, error) {
	var w where
	w.eq("org_id", f.OrgID)
	w.eq("stream_id", f.StreamID)
	w.eq("status", f.Status)
	rows, err := t.query(ctx, `SELECT `+quarantineCols+` FROM quarantine`+w.String()+` ORDER BY seq DESC`+limitSQL(f.Limit), w.args...)
	return collect(rows, err, "list quarantine", scanQuarantine)
}

// UpdateQuarantine implements store.Tx.
func (t *tx) UpdateQuarantine(ctx context.Context, q store.Quarantine) error {
	return t.execOne(ctx, "update quarantine "+q.ID,
		`UPDATE quarantine SET field = ?, error = ?, payload = ?, status = ?, updated = ? WHERE org_id = ? AND id = ?`,
		q.Field, q.Error, jsonText(q.Payload), q.Status, micros(t.orNow(q.Updated)), q.OrgID, q.ID)
}

const auditCols = `id, org_id, actor_id, action, target, detail, created`

// AddAudit implements store.Tx.
func (t *tx) AddAudit(ctx context.Context, a *store.Audit) error {
	if a.ID == "" {
		a.ID = store.NewID()
	}
	a.Created = t.orNow(a.Created)
	return t.insertOne(ctx, "add audit "+a.ID,
		`INSERT INTO audit (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.OrgID, a.ActorID, a.Action, a.Target, jsonText(a.Detail), micros(a.Created))
}

// ListAudit implements store.Tx.
func (t *tx) ListAudit(ctx context.Context, orgID string, limit int) ([]store.Audit, error) {
	rows, err := t.query(ctx, `SELECT `+auditCols+` FROM audit WHERE org_id = ? ORDER BY seq DESC`+limitSQL(limit), orgID)
	return collect(rows, err, "list audit", func(r scanner) (store.Audit, error) {
		var a store.Audit
		var detail string
		var created int64
		err := r.Scan(&a.ID, &a.OrgID, &a.ActorID, &a.Action, &a.Target, &detail, &created)
		a.Detail = jsonRaw(detail)
		a.Created = fromMicros(created)
		return a, err
	})
}
