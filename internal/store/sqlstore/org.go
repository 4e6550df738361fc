package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crmsync/crmsync/internal/store"
)

const orgCols = `id, name, time_zone, created`

func scanOrg(r scanner) (store.Org, error) {
	var o store.Org
	var created int64
	err := r.Scan(&o.ID, &o.Name, &o.TimeZone, &created)
	o.Created = fromMicros(created)
	return o, err
}

// CreateOrg implements store.Tx.
func (t *tx) CreateOrg(ctx context.Context, o *store.Org) error {
	if o.ID == "" {
		o.ID = store.NewID()
	}
	if o.TimeZone == "" {
		o.TimeZone = "UTC"
	}
	o.Created = t.orNow(o.Created)
	return t.insertOne(ctx, "create org "+o.ID,
		`INSERT INTO orgs (`+orgCols+`) VALUES (?, ?, ?, ?)`,
		o.ID, o.Name, o.TimeZone, micros(o.Created))
}

// GetOrg implements store.Tx.
func (t *tx) GetOrg(ctx context.Context, id string) (store.Org, error) {
	o, err := scanOrg(t.queryRow(ctx, `SELECT `+orgCols+` FROM orgs WHERE id = ?`, id))
	return o, rowErr(err, "get org "+id)
}

// ListOrgs implements store.Tx.
func (t *tx) ListOrgs(ctx context.Context) ([]store.Org, error) {
	rows, err := t.query(ctx, `SELECT `+orgCols+` FROM orgs ORDER BY created, id`)
	return collect(rows, err, "list orgs", scanOrg)
}

// UpdateOrg implements store.Tx.
func (t *tx) UpdateOrg(ctx context.Context, o store.Org) error {
	return t.execOne(ctx, "update org "+o.ID,
		`UPDATE orgs SET name = ?, time_zone = ? WHERE id = ?`, o.Name, o.TimeZone, o.ID)
}

const userCols = `id, org_id, email, name, role, time_zone, crm_user_id, sync_enabled, disabled, created`

func scanUser(r scanner) (store.User, error) {
	var u store.User
	var role string
	var syncEnabled, disabled, created int64
	err := r.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &role, &u.TimeZone, &u.CRMUserID, &syncEnabled, &disabled, &created)
	u.Role = store.Role(role)
	u.SyncEnabled = syncEnabled != 0
	u.Disabled = disabled != 0
	u.Created = fromMicros(created)
	return u, err
}

// CreateUser implements store.Tx.
func (t *tx) CreateUser(ctx context.Context, u *store.User) error {
	if u.ID == "" {
		u.ID = store.NewID()
	}
	if u.Role == "" {
		u.Role = store.RoleMember
	}
	u.Email = strings.ToLower(u.Email)
	u.Created = t.orNow(u.Created)
	return t.insertOne(ctx, "create user "+u.Email,
		`INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Email, u.Name, string(u.Role), u.TimeZone, u.CRMUserID,
		boolInt(u.SyncEnabled), boolInt(u.Disabled), micros(u.Created))
}

// GetUser implements store.Tx.
func (t *tx) GetUser(ctx context.Context, orgID, id string) (store.User, error) {
	u, err := scanUser(t.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE org_id = ? AND id = ?`, orgID, id))
	return u, rowErr(err, "get user "+id)
}

// GetUserByEmail implements store.Tx.
func (t *tx) GetUserByEmail(ctx context.Context, orgID, email string) (store.User, error) {
	email = strings.ToLower(email)
	u, err := scanUser(t.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE org_id = ? AND email = ?`, orgID, email))
	return u, rowErr(err, "get user by email "+email)
}

// ListUsers implements store.Tx.
func (t *tx) ListUsers(ctx context.Context, orgID string) ([]store.User, error) {
	rows, err := t.query(ctx, `SELECT `+userCols+` FROM users WHERE org_id = ? ORDER BY email`, orgID)
	return collect(rows, err, "list users", scanUser)
}

// UpdateUser implements store.Tx.
func (t *tx) UpdateUser(ctx context.Context, u store.User) error {
	op := "update user " + u.ID
	if err := t.writable(op); err != nil {
		return err
	}
	// A changed email may collide: the savepoint keeps the tx usable.
	return t.atomically(ctx, func() error {
		return t.execOne(ctx, op,
			`UPDATE users SET email = ?, name = ?, role = ?, time_zone = ?, crm_user_id = ?, sync_enabled = ?, disabled = ?
			WHERE org_id = ? AND id = ?`,
			strings.ToLower(u.Email), u.Name, string(u.Role), u.TimeZone, u.CRMUserID,
			boolInt(u.SyncEnabled), boolInt(u.Disabled), u.OrgID, u.ID)
	})
}

const tokenCols = `id, user_id, org_id, hash, name, created, last_used`

func scanToken(r scanner) (store.Token, error) {
	var k store.Token
	var created, lastUsed int64
	err := r.Scan(&k.ID, &k.UserID, &k.OrgID, &k.Hash, &k.Name, &created, &lastUsed)
	k.Created = fromMicros(created)
	k.LastUsed = fromMicros(lastUsed)
	return k, err
}

// CreateToken implements store.Tx.
func (t *tx) CreateToken(ctx context.Context, k *store.Token) error {
	if k.ID == "" {
		k.ID = store.NewID()
	}
	k.Created = t.orNow(k.Created)
	k.LastUsed = norm(k.LastUsed)
	return t.insertOne(ctx, "create token "+k.ID,
		`INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.OrgID, k.Hash, k.Name, micros(k.Created), micros(k.LastUsed))
}

// GetTokenByHash implements store.Tx.
func (t *tx) GetTokenByHash(ctx context.Context, hash string) (store.Token, error) {
	k, err := scanToken(t.queryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash))
	// The hash is as good as the token: keep it out of the message.
	return k, rowErr(err, "get token by hash")
}

// DeleteToken implements store.Tx.
func (t *tx) DeleteToken(ctx context.Context, userID, id string) error {
	return t.execOne(ctx, "delete token "+id, `DELETE FROM tokens WHERE user_id = ? AND id = ?`, userID, id)
}

// rowErr maps a single-row read's error: no row is store.ErrNotFound.
func rowErr(err error, op string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return notFound(op)
	default:
		return errorf(op, err)
	}
}

func errorf(op string, err error) error {
	return fmt.Errorf("store: %s: %w", op, err)
}

// collect scans every row with scan, closing rows.
func collect[T any](rows *sql.Rows, err error, op string, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, errorf(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, errorf(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, errorf(op, err)
	}
	return out, nil
}
