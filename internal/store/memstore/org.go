package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/store"
)

// byCreated orders by creation time, then id, as the SQL stores list.
func byCreated[T any](xs []T, created func(T) (int64, string)) {
	slices.SortFunc(xs, func(a, b T) int {
		ca, ia := created(a)
		cb, ib := created(b)
		return cmp.Or(cmp.Compare(ca, cb), strings.Compare(ia, ib))
	})
}

// CreateOrg implements store.Tx.
func (t *tx) CreateOrg(_ context.Context, o *store.Org) error {
	op := "create org " + o.ID
	if err := t.w(op); err != nil {
		return err
	}
	x := *o
	if x.ID == "" {
		x.ID = store.NewID()
	}
	if x.TimeZone == "" {
		x.TimeZone = "UTC"
	}
	x.Created = t.orNow(x.Created)
	if _, ok := t.d.orgs[x.ID]; ok {
		return conflict(op)
	}
	set(t, t.d.orgs, x.ID, x)
	*o = x
	return nil
}

// GetOrg implements store.Tx.
func (t *tx) GetOrg(_ context.Context, id string) (store.Org, error) {
	op := "get org " + id
	if err := t.r(op); err != nil {
		return store.Org{}, err
	}
	o, ok := t.d.orgs[id]
	if !ok {
		return store.Org{}, notFound(op)
	}
	return o, nil
}

// ListOrgs implements store.Tx.
func (t *tx) ListOrgs(context.Context) ([]store.Org, error) {
	if err := t.r("list orgs"); err != nil {
		return nil, err
	}
	out := make([]store.Org, 0, len(t.d.orgs))
	for _, o := range t.d.orgs {
		out = append(out, o)
	}
	byCreated(out, func(o store.Org) (int64, string) { return o.Created.UnixMicro(), o.ID })
	return out, nil
}

// UpdateOrg implements store.Tx.
func (t *tx) UpdateOrg(_ context.Context, o store.Org) error {
	op := "update org " + o.ID
	if err := t.w(op); err != nil {
		return err
	}
	x, ok := t.d.orgs[o.ID]
	if !ok {
		return notFound(op)
	}
	x.Name, x.TimeZone = o.Name, o.TimeZone
	set(t, t.d.orgs, x.ID, x)
	return nil
}

// CreateUser implements store.Tx.
func (t *tx) CreateUser(_ context.Context, u *store.User) error {
	x := *u
	x.Email = strings.ToLower(x.Email)
	op := "create user " + x.Email
	if err := t.w(op); err != nil {
		return err
	}
	if x.ID == "" {
		x.ID = store.NewID()
	}
	if x.Role == "" {
		x.Role = store.RoleMember
	}
	x.Created = t.orNow(x.Created)
	ek := key(x.OrgID, x.Email)
	if _, ok := t.d.users[x.ID]; ok {
		return conflict(op)
	}
	if _, ok := t.d.userByEmail[ek]; ok {
		return conflict(op)
	}
	set(t, t.d.users, x.ID, x)
	set(t, t.d.userByEmail, ek, x.ID)
	*u = x
	return nil
}

// GetUser implements store.Tx.
func (t *tx) GetUser(_ context.Context, orgID, id string) (store.User, error) {
	op := "get user " + id
	if err := t.r(op); err != nil {
		return store.User{}, err
	}
	u, ok := t.d.users[id]
	if !ok || u.OrgID != orgID {
		return store.User{}, notFound(op)
	}
	return u, nil
}

// GetUserByEmail implements store.Tx.
func (t *tx) GetUserByEmail(ctx context.Context, orgID, email string) (store.User, error) {
	email = strings.ToLower(email)
	op := "get user by email " + email
	if err := t.r(op); err != nil {
		return store.User{}, err
	}
	id, ok := t.d.userByEmail[key(orgID, email)]
	if !ok {
		return store.User{}, notFound(op)
	}
	return t.d.users[id], nil
}

// ListUsers implements store.Tx.
func (t *tx) ListUsers(_ context.Context, orgID string) ([]store.User, error) {
	if err := t.r("list users"); err != nil {
		return nil, err
	}
	var out []store.User
	for _, u := range t.d.users {
		if u.OrgID == orgID {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b store.User) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

// UpdateUser implements store.Tx.
func (t *tx) UpdateUser(_ context.Context, u store.User) error {
	op := "update user " + u.ID
	if err := t.w(op); err != nil {
		return err
	}
	x, ok := t.d.users[u.ID]
	if !ok || x.OrgID != u.OrgID {
		return notFound(op)
	}
	email := strings.ToLower(u.Email)
	if email != x.Email {
		ek := key(x.OrgID, email)
		if _, taken := t.d.userByEmail[ek]; taken {
			return conflict(op)
		}
		del(t, t.d.userByEmail, key(x.OrgID, x.Email))
		set(t, t.d.userByEmail, ek, x.ID)
	}
	x.Email, x.Name, x.Role, x.TimeZone, x.CRMUserID, x.SyncEnabled, x.Disabled =
		email, u.Name, u.Role, u.TimeZone, u.CRMUserID, u.SyncEnabled, u.Disabled
	set(t, t.d.users, x.ID, x)
	return nil
}

// CreateToken implements store.Tx.
func (t *tx) CreateToken(_ context.Context, k *store.Token) error {
	op := "create token " + k.ID
	if err := t.w(op); err != nil {
		return err
	}
	x := *k
	if x.ID == "" {
		x.ID = store.NewID()
	}
	x.Created = t.orNow(x.Created)
	x.LastUsed = norm(x.LastUsed)
	if _, ok := t.d.tokens[x.ID]; ok {
		return conflict(op)
	}
	if _, ok := t.d.tokenByHash[x.Hash]; ok {
		return conflict(op)
	}
	set(t, t.d.tokens, x.ID, x)
	set(t, t.d.tokenByHash, x.Hash, x.ID)
	*k = x
	return nil
}

// GetTokenByHash implements store.Tx.
func (t *tx) GetTokenByHash(_ context.Context, hash string) (store.Token, error) {
	const op = "get token by hash"
	if err := t.r(op); err != nil {
		return store.Token{}, err
	}
	id, ok := t.d.tokenByHash[hash]
	if !ok {
		return store.Token{}, notFound(op)
	}
	return t.d.tokens[id], nil
}

// DeleteToken implements store.Tx.
func (t *tx) DeleteToken(_ context.Context, userID, id string) error {
	op := "delete token " + id
	if err := t.w(op); err != nil {
		return err
	}
	k, ok := t.d.tokens[id]
	if !ok || k.UserID != userID {
		return notFound(op)
	}
	del(t, t.d.tokens, id)
	del(t, t.d.tokenByHash, k.Hash)
	return nil
}

func copyConn(c store.Connection) store.Connection {
	c.Config = cloneJSON(c.Config)
	c.Credentials = cloneBytes(c.Credentials)
	return c
}

// CreateConnection implements store.Tx.
func (t *tx) CreateConnection(_ context.Context, c *store.Connection) error {
	op := "create connection " + c.System
	if err := t.w(op); err != nil {
		return err
	}
	x := copyConn(*c)
	if x.ID == "" {
		x.ID = store.NewID()
	}
	if x.Status == "" {
		x.Status = store.ConnActive
	}
	x.Created = t.orNow(x.Created)
	x.Updated = t.orNow(x.Updated)
	sk := key(x.OrgID, x.System, x.UserID)
	if _, ok := t.d.conns[x.ID]; ok {
		return conflict(op)
	}
	if _, ok := t.d.connBySys[sk]; ok {
		return conflict(op)
	}
	set(t, t.d.conns, x.ID, x)
	set(t, t.d.connBySys, sk, x.ID)
	*c = copyConn(x)
	return nil
}

// GetConnection implements store.Tx.
func (t *tx) GetConnection(_ context.Context, orgID, id string) (store.Connection, error) {
	op := "get connection " + id
	if err := t.r(op); err != nil {
		return store.Connection{}, err
	}
	c, ok := t.d.conns[id]
	if !ok || c.OrgID != orgID {
		return store.Connection{}, notFound(op)
	}
	return copyConn(c), nil
}

// ListConnections implements store.Tx.
func (t *tx) ListConnections(_ context.Context, orgID string) ([]store.Connection, error) {
	if err := t.r("list connections"); err != nil {
		return nil, err
	}
	var out []store.Connection
	for _, c := range t.d.conns {
		if c.OrgID == orgID {
			out = append(out, copyConn(c))
		}
	}
	byCreated(out, func(c store.Connection) (int64, string) { return c.Created.UnixMicro(), c.ID })
	return out, nil
}

// UpdateConnection implements store.Tx.
func (t *tx) UpdateConnection(_ context.Context, c store.Connection) error {
	op := "update connection " + c.ID
	if err := t.w(op); err != nil {
		return err
	}
	x, ok := t.d.conns[c.ID]
	if !ok || x.OrgID != c.OrgID {
		return notFound(op)
	}
	x.Name, x.Status, x.Config, x.Credentials, x.Error, x.Updated =
		c.Name, c.Status, cloneJSON(c.Config), cloneBytes(c.Credentials), c.Error, t.orNow(c.Updated)
	set(t, t.d.conns, x.ID, x)
	return nil
}

// DeleteConnection implements store.Tx.
func (t *tx) DeleteConnection(_ context.Context, orgID, id string) error {
	op := "delete connection " + id
	if err := t.w(op); err != nil {
		return err
	}
	c, ok := t.d.conns[id]
	if !ok || c.OrgID != orgID {
		return notFound(op)
	}
	del(t, t.d.conns, id)
	del(t, t.d.connBySys, key(c.OrgID, c.System, c.UserID))
	del(t, t.d.records, id)
	return nil
}

func copyStream(s store.Stream) store.Stream {
	s.Settings = cloneJSON(s.Settings)
	s.EnabledAt, s.LastRun, s.NextRun = norm(s.EnabledAt), norm(s.LastRun), norm(s.NextRun)
	return s
}

// CreateStream implements store.Tx.
func (t *tx) CreateStream(_ context.Context, s *store.Stream) error {
	op := "create stream " + s.ID
	if err := t.w(op); err != nil {
		return err
	}
	x := copyStream(*s)
	if x.ID == "" {
		x.ID = store.NewID()
	}
	x.Created = t.orNow(x.Created)
	if _, ok := t.d.streams[x.ID]; ok {
		return conflict(op)
	}
	set(t, t.d.streams, x.ID, x)
	*s = copyStream(x)
	return nil
}

// GetStream implements store.Tx.
func (t *tx) GetStream(_ context.Context, orgID, id string) (store.Stream, error) {
	op := "get stream " + id
	if err := t.r(op); err != nil {
		return store.Stream{}, err
	}
	s, ok := t.d.streams[id]
	if !ok || s.OrgID != orgID {
		return store.Stream{}, notFound(op)
	}
	return copyStream(s), nil
}

func (t *tx) listStreams(all bool, orgID string) []store.Stream {
	var out []store.Stream
	for _, s := range t.d.streams {
		if all || s.OrgID == orgID {
			out = append(out, copyStream(s))
		}
	}
	byCreated(out, func(s store.Stream) (int64, string) { return s.Created.UnixMicro(), s.ID })
	return out
}

// ListStreams implements store.Tx.
func (t *tx) ListStreams(_ context.Context, orgID string) ([]store.Stream, error) {
	if err := t.r("list streams"); err != nil {
		return nil, err
	}
	return t.listStreams(false, orgID), nil
}

// ListAllStreams implements store.Tx.
func (t *tx) ListAllStreams(context.Context) ([]store.Stream, error) {
	if err := t.r("list all streams"); err != nil {
		return nil, err
	}
	return t.listStreams(true, ""), nil
}

// UpdateStream implements store.Tx.
func (t *tx) UpdateStream(_ context.Context, s store.Stream) error {
	op := "update stream " + s.ID
	if err := t.w(op); err != nil {
		return err
	}
	x, ok := t.d.streams[s.ID]
	if !ok || x.OrgID != s.OrgID {
		return notFound(op)
	}
	y := copyStream(s)
	y.Created = x.Created
	set(t, t.d.streams, y.ID, y)
	return nil
}

// DeleteStream implements store.Tx.
func (t *tx) DeleteStream(_ context.Context, orgID, id string) error {
	op := "delete stream " + id
	if err := t.w(op); err != nil {
		return err
	}
	s, ok := t.d.streams[id]
	if !ok || s.OrgID != orgID {
		return notFound(op)
	}
	del(t, t.d.streams, id)
	if ids := t.d.streamRuns[id]; ids != nil {
		for _, rid := range *ids {
			del(t, t.d.runs, rid)
		}
		del(t, t.d.streamRuns, id)
	}
	t.deleteStreamState(id)
	return nil
}

func normRun(r store.Run) store.Run {
	r.Started, r.Finished = norm(r.Started), norm(r.Finished)
	return r
}

// CreateRun implements store.Tx.
func (t *tx) CreateRun(_ context.Context, r *store.Run) error {
	op := "create run " + r.ID
	if err := t.w(op); err != nil {
		return err
	}
	x := normRun(*r)
	if x.ID == "" {
		x.ID = store.NewID()
	}
	if x.Status == "" {
		x.Status = store.RunQueued
	}
	if _, ok := t.d.runs[x.ID]; ok {
		return conflict(op)
	}
	set(t, t.d.runs, x.ID, runEntry{run: x, seq: t.nextSeq()})
	ids := t.d.streamRuns[x.StreamID]
	if ids == nil {
		ids = new([]string)
		set(t, t.d.streamRuns, x.StreamID, ids)
	}
	*ids = append(*ids, x.ID)
	t.log(func() { *ids = (*ids)[:len(*ids)-1] })
	*r = x
	return nil
}

// UpdateRun implements store.Tx.
func (t *tx) UpdateRun(_ context.Context, r store.Run) error {
	op := "update run " + r.ID
	if err := t.w(op); err != nil {
		return err
	}
	e, ok := t.d.runs[r.ID]
	if !ok || e.run.OrgID != r.OrgID {
		return notFound(op)
	}
	x := normRun(r)
	x.StreamID = e.run.StreamID
	set(t, t.d.runs, x.ID, runEntry{run: x, seq: e.seq})
	return nil
}

// GetRun implements store.Tx.
func (t *tx) GetRun(_ context.Context, orgID, id string) (store.Run, error) {
	op := "get run " + id
	if err := t.r(op); err != nil {
		return store.Run{}, err
	}
	e, ok := t.d.runs[id]
	if !ok || e.run.OrgID != orgID {
		return store.Run{}, notFound(op)
	}
	return e.run, nil
}

// ListRuns implements store.Tx.
func (t *tx) ListRuns(_ context.Context, streamID string, limit int) ([]store.Run, error) {
	if err := t.r("list runs"); err != nil {
		return nil, err
	}
	ids := t.d.streamRuns[streamID]
	if ids == nil {
		return nil, nil
	}
	var out []store.Run
	for i := len(*ids) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, t.d.runs[(*ids)[i]].run)
	}
	return out, nil
}
