package sqlstore

import (
	"context"

	"github.com/crmsync/crmsync/internal/store"
)

const hubTaskCols = `id, org_id, user_id, name, status, priority, due, details, related_type, related_id,
	ext_key, created, modified, deleted, seq`

func scanHubTask(r scanner) (store.HubTask, error) {
	var h store.HubTask
	var created, modified, deleted int64
	err := r.Scan(&h.ID, &h.OrgID, &h.UserID, &h.Name, &h.Status, &h.Priority, &h.Due, &h.Details,
		&h.RelatedType, &h.RelatedID, &h.Key, &created, &modified, &deleted, &h.Seq)
	h.Created = fromMicros(created)
	h.Modified = fromMicros(modified)
	h.Deleted = deleted != 0
	return h, err
}

// nextHubTaskSeq draws the next seq of the change feed: MAX(seq) + 1, read
// once per transaction and counted up from there. Only one transaction
// that read a given MAX can commit (SQLite has one writer; PostgreSQL
// write transactions are serializable and retried), so seqs follow commit
// order. A write undone by a savepoint leaves a gap, which readers do not
// mind.
func (t *tx) nextHubTaskSeq(ctx context.Context, op string) (int64, error) {
	if t.hubSeq == 0 {
		if err := t.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM hub_tasks`).Scan(&t.hubSeq); err != nil {
			return 0, t.fail(op, err)
		}
	}
	t.hubSeq++
	return t.hubSeq, nil
}

// CreateHubTask implements store.Tx.
func (t *tx) CreateHubTask(ctx context.Context, h *store.HubTask) error {
	x := *h
	if x.ID == "" {
		x.ID = store.NewID()
	}
	op := "create hub task " + x.ID
	if err := t.writable(op); err != nil {
		return err
	}
	x.Created = t.orNow(x.Created)
	x.Modified = t.orNow(x.Modified)
	if err := store.PrepareHubTask(&x); err != nil {
		return errorf(op, err)
	}
	var err error
	if x.Seq, err = t.nextHubTaskSeq(ctx, op); err != nil {
		return err
	}
	// ON CONFLICT DO NOTHING (in insertOne) keeps a taken id or key from
	// aborting the transaction. A seq taken by a concurrent writer cannot
	// be swallowed this way: on PostgreSQL the row is invisible to this
	// serializable transaction, which fails to serialize and is retried.
	err = t.insertOne(ctx, op,
		`INSERT INTO hub_tasks (`+hubTaskCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.OrgID, x.UserID, x.Name, x.Status, x.Priority, x.Due, x.Details, x.RelatedType, x.RelatedID,
		x.Key, micros(x.Created), micros(x.Modified), int64(0), x.Seq)
	if err != nil {
		return err
	}
	*h = x
	return nil
}

// GetHubTask implements store.Tx.
func (t *tx) GetHubTask(ctx context.Context, orgID, userID, id string) (store.HubTask, error) {
	h, err := scanHubTask(t.queryRow(ctx, `SELECT `+hubTaskCols+` FROM hub_tasks
		WHERE org_id = ? AND user_id = ? AND id = ? AND deleted = 0`, orgID, userID, id))
	return h, rowErr(err, "get hub task "+id)
}

// GetHubTaskByKey implements store.Tx.
func (t *tx) GetHubTaskByKey(ctx context.Context, orgID, userID, key string) (store.HubTask, error) {
	op := "get hub task by key " + key
	if key == "" {
		return store.HubTask{}, notFound(op)
	}
	h, err := scanHubTask(t.queryRow(ctx, `SELECT `+hubTaskCols+` FROM hub_tasks
		WHERE org_id = ? AND user_id = ? AND ext_key = ? AND ext_key <> '' AND deleted = 0`, orgID, userID, key))
	return h, rowErr(err, op)
}

// UpdateHubTask implements store.Tx.
func (t *tx) UpdateHubTask(ctx context.Context, h store.HubTask) error {
	op := "update hub task " + h.ID
	if err := t.writable(op); err != nil {
		return err
	}
	if err := store.ValidateHubTask(h); err != nil {
		return errorf(op, err)
	}
	seq, err := t.nextHubTaskSeq(ctx, op)
	if err != nil {
		return err
	}
	return t.execOne(ctx, op,
		`UPDATE hub_tasks SET name = ?, status = ?, priority = ?, due = ?, details = ?, related_type = ?, related_id = ?,
		modified = ?, seq = ?
		WHERE org_id = ? AND user_id = ? AND id = ? AND deleted = 0`,
		h.Name, h.Status, h.Priority, h.Due, h.Details, h.RelatedType, h.RelatedID,
		micros(t.orNow(h.Modified)), seq, h.OrgID, h.UserID, h.ID)
}

// DeleteHubTask implements store.Tx.
func (t *tx) DeleteHubTask(ctx context.Context, orgID, userID, id string) error {
	op := "delete hub task " + id
	if err := t.writable(op); err != nil {
		return err
	}
	seq, err := t.nextHubTaskSeq(ctx, op)
	if err != nil {
		return err
	}
	return t.execOne(ctx, op,
		`UPDATE hub_tasks SET deleted = 1, modified = ?, seq = ? WHERE org_id = ? AND user_id = ? AND id = ? AND deleted = 0`,
		micros(t.now()), seq, orgID, userID, id)
}

// ListHubTasks implements store.Tx.
func (t *tx) ListHubTasks(ctx context.Context, f store.HubTaskFilter) ([]store.HubTask, error) {
	var w where
	w.eq("org_id", f.OrgID)
	w.eq("user_id", f.UserID)
	w.eq("status", f.Status)
	if !f.IncludeDeleted {
		w.conds = append(w.conds, "deleted = 0")
	}
	if f.DueFrom != "" {
		w.conds = append(w.conds, "due >= ?")
		w.args = append(w.args, f.DueFrom)
	}
	if f.DueTo != "" {
		w.conds = append(w.conds, "due <= ?")
		w.args = append(w.args, f.DueTo)
	}
	if f.DueFrom != "" || f.DueTo != "" {
		w.conds = append(w.conds, "due <> ''")
	}
	rows, err := t.query(ctx, `SELECT `+hubTaskCols+` FROM hub_tasks`+w.String()+`
		ORDER BY CASE WHEN due = '' THEN 1 ELSE 0 END, due, created, id`+limitSQL(f.Limit), w.args...)
	return collect(rows, err, "list hub tasks", scanHubTask)
}

// HubTaskChanges implements store.Tx.
func (t *tx) HubTaskChanges(ctx context.Context, orgID, userID string, afterSeq int64, limit int) ([]store.HubTask, error) {
	rows, err := t.query(ctx, `SELECT `+hubTaskCols+` FROM hub_tasks WHERE org_id = ? AND user_id = ? AND seq > ?
		ORDER BY seq`+limitSQL(limit), orgID, userID, afterSeq)
	return collect(rows, err, "hub task changes", scanHubTask)
}
