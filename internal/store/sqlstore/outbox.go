package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

const outboxCols = `id, org_id, kind, msg_key, payload, status, attempts, next_try, last_error, created, sent`

func scanOutbox(r scanner) (store.OutboxMessage, error) {
	var m store.OutboxMessage
	var payload string
	var nextTry, created, sent int64
	err := r.Scan(&m.ID, &m.OrgID, &m.Kind, &m.Key, &payload, &m.Status, &m.Attempts, &nextTry, &m.LastError, &created, &sent)
	m.Payload = jsonRaw(payload)
	m.NextTry = fromMicros(nextTry)
	m.Created = fromMicros(created)
	m.Sent = fromMicros(sent)
	return m, err
}

// AddOutbox implements store.Tx.
func (t *tx) AddOutbox(ctx context.Context, m *store.OutboxMessage) error {
	if m.ID == "" {
		m.ID = store.NewID()
	}
	if m.Status == "" {
		m.Status = store.OutboxPending
	}
	m.Created = t.orNow(m.Created)
	m.NextTry = norm(m.NextTry)
	m.Sent = norm(m.Sent)
	return t.insertOne(ctx, "add outbox "+m.Key,
		`INSERT INTO outbox (`+outboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.OrgID, m.Kind, m.Key, jsonText(m.Payload), m.Status, m.Attempts, micros(m.NextTry), m.LastError,
		micros(m.Created), micros(m.Sent))
}

// ListOutboxDue implements store.Tx.
func (t *tx) ListOutboxDue(ctx context.Context, now time.Time, limit int) ([]store.OutboxMessage, error) {
	rows, err := t.query(ctx, `SELECT `+outboxCols+` FROM outbox WHERE status = ? AND next_try <= ?
		ORDER BY next_try, seq`+limitSQL(limit), store.OutboxPending, micros(now))
	return collect(rows, err, "list outbox due", scanOutbox)
}

// GetOutbox implements store.Tx.
func (t *tx) GetOutbox(ctx context.Context, id string) (store.OutboxMessage, error) {
	m, err := scanOutbox(t.queryRow(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
	return m, rowErr(err, "get outbox "+id)
}

// UpdateOutbox implements store.Tx.
func (t *tx) UpdateOutbox(ctx context.Context, m store.OutboxMessage) error {
	return t.execOne(ctx, "update outbox "+m.ID,
		`UPDATE outbox SET payload = ?, status = ?, attempts = ?, next_try = ?, last_error = ?, sent = ? WHERE id = ?`,
		jsonText(m.Payload), m.Status, m.Attempts, micros(m.NextTry), m.LastError, micros(m.Sent), m.ID)
}

// GetSetting implements store.Tx.
func (t *tx) GetSetting(ctx context.Context, orgID, userID, name string) (json.RawMessage, error) {
	var v string
	err := t.queryRow(ctx, `SELECT value FROM settings WHERE org_id = ? AND user_id = ? AND name = ?`, orgID, userID, name).Scan(&v)
	if err != nil {
		return nil, rowErr(err, settingOp("get", orgID, userID, name))
	}
	return jsonRaw(v), nil
}

// PutSetting implements store.Tx.
func (t *tx) PutSetting(ctx context.Context, orgID, userID, name string, value json.RawMessage) error {
	op := settingOp("put", orgID, userID, name)
	if err := t.writable(op); err != nil {
		return err
	}
	var err error
	if len(value) == 0 {
		_, err = t.exec(ctx, `DELETE FROM settings WHERE org_id = ? AND user_id = ? AND name = ?`, orgID, userID, name)
	} else {
		_, err = t.exec(ctx, `INSERT INTO settings (org_id, user_id, name, value) VALUES (?, ?, ?, ?)
			ON CONFLICT (org_id, user_id, name) DO UPDATE SET value = excluded.value`, orgID, userID, name, string(value))
	}
	if err != nil {
		return errorf(op, err)
	}
	return nil
}

func settingOp(verb, orgID, userID, name string) string {
	if userID == "" {
		return fmt.Sprintf("%s setting %s of org %s", verb, name, orgID)
	}
	return fmt.Sprintf("%s setting %s of user %s", verb, name, userID)
}
