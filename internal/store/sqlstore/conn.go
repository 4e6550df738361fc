package sqlstore

import (
	"context"
	"fmt"

	"github.com/crmsync/crmsync/internal/store"
)

const connCols = `id, org_id, sys, user_id, name, status, config, credentials, error, created, updated`

func (t *tx) scanConn(r scanner) (store.Connection, error) {
	var c store.Connection
	var config string
	var sealed []byte
	var created, updated int64
	if err := r.Scan(&c.ID, &c.OrgID, &c.System, &c.UserID, &c.Name, &c.Status, &config, &sealed, &c.Error, &created, &updated); err != nil {
		return c, err
	}
	c.Config = jsonRaw(config)
	c.Created = fromMicros(created)
	c.Updated = fromMicros(updated)
	if len(sealed) > 0 {
		plain, err := t.s.box.Open(sealed)
		if err != nil {
			return c, fmt.Errorf("open credentials: %w", err)
		}
		c.Credentials = plain
	}
	return c, nil
}

// seal encrypts credentials for storage; none stays NULL.
func (t *tx) seal(plain []byte) ([]byte, error) {
	if len(plain) == 0 {
		return nil, nil
	}
	return t.s.box.Seal(plain)
}

// CreateConnection implements store.Tx.
func (t *tx) CreateConnection(ctx context.Context, c *store.Connection) error {
	if c.ID == "" {
		c.ID = store.NewID()
	}
	if c.Status == "" {
		c.Status = store.ConnActive
	}
	c.Created = t.orNow(c.Created)
	c.Updated = t.orNow(c.Updated)
	op := "create connection " + c.System
	sealed, err := t.seal(c.Credentials)
	if err != nil {
		return errorf(op, err)
	}
	return t.insertOne(ctx, op,
		`INSERT INTO connections (`+connCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.OrgID, c.System, c.UserID, c.Name, c.Status, jsonText(c.Config), sealed, c.Error,
		micros(c.Created), micros(c.Updated))
}

// GetConnection implements store.Tx.
func (t *tx) GetConnection(ctx context.Context, orgID, id string) (store.Connection, error) {
	c, err := t.scanConn(t.queryRow(ctx, `SELECT `+connCols+` FROM connections WHERE org_id = ? AND id = ?`, orgID, id))
	return c, rowErr(err, "get connection "+id)
}

// ListConnections implements store.Tx.
func (t *tx) ListConnections(ctx context.Context, orgID string) ([]store.Connection, error) {
	rows, err := t.query(ctx, `SELECT `+connCols+` FROM connections WHERE org_id = ? ORDER BY created, id`, orgID)
	return collect(rows, err, "list connections", t.scanConn)
}

// UpdateConnection implements store.Tx.
func (t *tx) UpdateConnection(ctx context.Context, c store.Connection) error {
	op := "update connection " + c.ID
	if err := t.writable(op); err != nil {
		return err
	}
	sealed, err := t.seal(c.Credentials)
	if err != nil {
		return errorf(op, err)
	}
	return t.execOne(ctx, op,
		`UPDATE connections SET name = ?, status = ?, config = ?, credentials = ?, error = ?, updated = ?
		WHERE org_id = ? AND id = ?`,
		c.Name, c.Status, jsonText(c.Config), sealed, c.Error, micros(t.orNow(c.Updated)), c.OrgID, c.ID)
}

// DeleteConnection implements store.Tx.
func (t *tx) DeleteConnection(ctx context.Context, orgID, id string) error {
	op := "delete connection " + id
	if err := t.writable(op); err != nil {
		return err
	}
	return t.atomically(ctx, func() error {
		if err := t.execOne(ctx, op, `DELETE FROM connections WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM records WHERE conn_id = ?`, id); err != nil {
			return errorf(op, err)
		}
		return nil
	})
}
