// Package admin is CRM sync administration (SPEC A1–A7): an admin connects
// the whole org to the CRM and disconnects it, each time with the choice to
// erase the CRM data imported so far; grants seats from the CRM's own
// users; enables and disables CRM sync per user; and every enabled user
// starts with saved lists of the leads and accounts they own in the CRM.
//
// The package talks to the CRM through the CRM interface only (SPEC A1):
// the Salesforce connector implements it, another CRM would too. Every
// action is written to the org's audit log in the transaction that makes
// it (SPEC A7); the caller (the API, the CLI) checks that the actor is an
// admin before calling an admin action.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
)

// DefaultSystem is the store's system name of the CRM connection unless
// Config.System names another CRM.
const DefaultSystem = "salesforce"

// CRMUser is a user of the CRM, from which seats are granted (SPEC A2).
type CRMUser struct {
	ID        string `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Profile   string `json:"profile"`
	ManagerID string `json:"manager_id,omitempty"`
	Active    bool   `json:"active"`
}

// FieldAccess is what the integration user may do with one CRM field.
type FieldAccess struct {
	Createable bool
	Updateable bool
}

// SavedItem is one lead or account of a saved list (SPEC A3).
type SavedItem struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CRM is what administration needs of a CRM connection.
type CRM interface {
	// Users lists the CRM's users, active or not.
	Users(ctx context.Context) ([]CRMUser, error)
	// Describe maps each field of object to its access.
	Describe(ctx context.Context, object string) (map[string]FieldAccess, error)
	// Owned lists the records of object (Lead, Account) a CRM user owns.
	Owned(ctx context.Context, object, ownerID string) ([]SavedItem, error)
}

// Dialer opens the CRM behind a connection.
type Dialer func(ctx context.Context, c store.Connection) (CRM, error)

// Errors callers map to answers.
var (
	// ErrNotConnected: the org has no working CRM connection.
	ErrNotConnected = errors.New("admin: the org is not connected to the CRM")
	// ErrInvalid: the request itself is wrong (a message says how).
	ErrInvalid = errors.New("admin: invalid request")
	// ErrMapping: a stream maps a CRM field that is missing or that the
	// integration user may not write.
	ErrMapping = errors.New("admin: stream mappings do not fit the CRM")
)

// Settings under which the service keeps its state.
const (
	settingSaved         = "crm.saved"           // per user: SavedLists
	settingPausedStreams = "crm.paused_streams"  // per user: streams A6 paused
	settingOffStreams    = "crm.stopped_streams" // per org: streams A5 stopped
	// SystemActor is the audit actor of what the hub does by itself (the
	// scheduled users sync).
	SystemActor = "system"
)

// SavedLists are a user's saved leads and accounts (SPEC A3).
type SavedLists struct {
	Leads    []SavedItem `json:"leads"`
	Accounts []SavedItem `json:"accounts"`
	Updated  time.Time   `json:"updated"`
}

// Config configures a Service.
type Config struct {
	Store store.Store
	Dial  Dialer
	// Definitions are the stream kinds whose mappings Validate checks.
	Definitions []*syncer.Definition
	// System is the CRM connection's system name (DefaultSystem).
	System string
	// OAuth makes the CRM's web-server flow; nil: StartOAuth refuses.
	OAuth OAuthFlowFunc
	Now   func() time.Time
}

// Service carries out administration.
type Service struct {
	store  store.Store
	dial   Dialer
	defs   map[string]*syncer.Definition
	system string
	oauth  OAuthFlowFunc
	now    func() time.Time
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Dial == nil {
		return nil, errors.New("admin: new: Config needs Store and Dial")
	}
	s := &Service{store: cfg.Store, dial: cfg.Dial, defs: map[string]*syncer.Definition{}, system: cfg.System, oauth: cfg.OAuth, now: cfg.Now}
	if s.system == "" {
		s.system = DefaultSystem
	}
	for _, d := range cfg.Definitions {
		s.defs[d.Name] = d
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Actor is who acts: an admin of an org, or SystemActor.
type Actor struct {
	OrgID  string
	UserID string
}

// ConnectRequest is what an admin gives to connect the org (SPEC A4).
type ConnectRequest struct {
	// Config is the connection's non-secret settings (for Salesforce:
	// base_url and options); Credentials its secrets, sealed at rest.
	Config      json.RawMessage
	Credentials json.RawMessage
	// Erase drops the CRM data imported before (mirror, links, saved
	// lists) so that the sync starts afresh; hub-native data stays.
	Erase bool
}

// Status is the org's CRM connection as administration sees it.
type Status struct {
	Connected    bool   `json:"connected"`
	ConnectionID string `json:"connection_id,omitempty"`
	State        string `json:"status"`
	Error        string `json:"error,omitempty"`
	Seats        int    `json:"seats"`
	Streams      int    `json:"streams"`
}

// Connect connects the org to the CRM, or replaces the connection's
// settings: it signs in (listing the CRM's users proves the credentials),
// validates every stream's mapping against the CRM's describe, optionally
// erases what was imported before, and restarts the streams a disconnect
// stopped. Mapping problems are saved as the connection's error and
// returned wrapped in ErrMapping; the connection is kept so the admin can
// fix the mapping and validate again.
func (s *Service) Connect(ctx context.Context, a Actor, req ConnectRequest) (Status, error) {
	if len(req.Config) == 0 || !json.Valid(req.Config) || len(req.Credentials) == 0 || !json.Valid(req.Credentials) {
		return Status{}, fmt.Errorf("%w: connect needs the connection's config and credentials as JSON objects", ErrInvalid)
	}
	conn, found, err := s.connection(ctx, a.OrgID)
	if err != nil {
		return Status{}, err
	}
	conn.OrgID, conn.System, conn.Config, conn.Credentials = a.OrgID, s.system, req.Config, req.Credentials
	if conn.Name == "" {
		conn.Name = "CRM"
	}
	crm, err := s.dial(ctx, conn)
	if err != nil {
		return Status{}, fmt.Errorf("admin: connect: %w", err)
	}
	if _, err := crm.Users(ctx); err != nil {
		return Status{}, fmt.Errorf("admin: connect: signing in to the CRM failed: %w", err)
	}
	conn.Status, conn.Error, conn.Updated = store.ConnActive, "", time.Time{}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if found {
			if err := tx.UpdateConnection(ctx, conn); err != nil {
				return err
			}
		} else if err := tx.CreateConnection(ctx, &conn); err != nil {
			return err
		}
		if req.Erase {
			if err := s.erase(ctx, tx, conn); err != nil {
				return err
			}
		}
		if err := s.restartStreams(ctx, tx, a.OrgID); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "crm.connect", conn.ID, map[string]any{"erase": req.Erase, "reconnect": found})
	})
	if err != nil {
		return Status{}, fmt.Errorf("admin: connect: %w", err)
	}
	if _, err := s.Validate(ctx, a.OrgID); err != nil {
		st, _ := s.Status(ctx, a.OrgID)
		return st, err
	}
	return s.Status(ctx, a.OrgID)
}

// Validate checks every stream that uses the CRM connection against the
// CRM's describe: each mapped field must exist, and a field the hub writes
// must be createable and updateable by the integration user. The problems
// are saved as the connection's error (cleared when there are none) and
// returned, wrapped in ErrMapping.
func (s *Service) Validate(ctx context.Context, orgID string) ([]string, error) {
	conn, crm, err := s.open(ctx, orgID)
	if err != nil {
		return nil, err
	}
	streams, err := s.crmStreams(ctx, orgID, conn.ID)
	if err != nil {
		return nil, err
	}
	var problems []string
	described := map[string]map[string]FieldAccess{}
	for _, st := range streams {
		def := s.defs[st.Kind]
		if def == nil {
			continue
		}
		side, object := store.SideA, st.ObjectA
		if st.ConnB == conn.ID {
			side, object = store.SideB, st.ObjectB
		}
		fields, ok := described[object]
		if !ok {
			if fields, err = crm.Describe(ctx, object); err != nil {
				return nil, fmt.Errorf("admin: validate stream %q: %w", st.Name, err)
			}
			described[object] = fields
		}
		fs := def.Fields
		if def.Loser != nil && def.Loser.Side == side {
			// The field replaced values are kept in is written as one
			// flowing into this side.
			into := syncer.BToA
			if side == store.SideB {
				into = syncer.AToB
			}
			fs = append(slices.Clone(fs), syncer.Field{A: def.Loser.Field, B: def.Loser.Field, Dir: into})
		}
		for _, f := range fs {
			name, writes := f.A, f.Dir != syncer.AToB
			if side == store.SideB {
				name, writes = f.B, f.Dir != syncer.BToA
			}
			if name == "" || strings.HasPrefix(name, syncer.HubFieldPrefix) {
				continue // the hub computes it; the CRM has no such field
			}
			fa, ok := fields[name]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("stream %q maps field %s.%s, which the CRM does not have", st.Name, object, name))
			case writes && !(fa.Createable && fa.Updateable):
				problems = append(problems, fmt.Sprintf("stream %q writes field %s.%s, which the integration user may not create or update", st.Name, object, name))
			}
		}
	}
	slices.Sort(problems)
	problems = slices.Compact(problems)
	msg := strings.Join(problems, "; ")
	if err := s.store.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.GetConnection(ctx, orgID, conn.ID)
		if err != nil {
			return err
		}
		c.Error, c.Updated = msg, time.Time{}
		return tx.UpdateConnection(ctx, c)
	}); err != nil {
		return nil, fmt.Errorf("admin: validate: %w", err)
	}
	if len(problems) > 0 {
		return problems, fmt.Errorf("%w: %s", ErrMapping, msg)
	}
	return nil, nil
}

// Disconnect stops CRM sync for the whole org (SPEC A5): the connection's
// credentials are dropped, every stream using it stops (and restarts at the
// next Connect), and, when erase is set, the imported CRM data goes too.
// Nothing else is deleted: links and cursors stay unless erased, so a
// reconnect resumes where the sync stopped.
func (s *Service) Disconnect(ctx context.Context, a Actor, erase bool) error {
	conn, found, err := s.connection(ctx, a.OrgID)
	if err != nil {
		return err
	}
	if !found {
		return ErrNotConnected
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		conn.Status, conn.Credentials, conn.Error, conn.Updated = store.ConnDisconnected, nil, "", time.Time{}
		if err := tx.UpdateConnection(ctx, conn); err != nil {
			return err
		}
		streams, err := crmStreamsTx(ctx, tx, a.OrgID, conn.ID)
		if err != nil {
			return err
		}
		var stopped []string
		if err := getSetting(ctx, tx, a.OrgID, "", settingOffStreams, &stopped); err != nil {
			return err
		}
		for _, st := range streams {
			if !st.Enabled {
				continue
			}
			st.Enabled = false
			if err := tx.UpdateStream(ctx, st); err != nil {
				return err
			}
			stopped = append(stopped, st.ID)
		}
		if err := putSetting(ctx, tx, a.OrgID, "", settingOffStreams, stopped); err != nil {
			return err
		}
		if erase {
			if err := s.erase(ctx, tx, conn); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a, "crm.disconnect", conn.ID, map[string]any{"erase": erase, "streams_stopped": len(stopped)})
	})
	if err != nil {
		return fmt.Errorf("admin: disconnect: %w", err)
	}
	return nil
}

// Erase drops the CRM data imported so far — the CRM mirror, the links,
// bases, cursors and pending work of the streams that use the CRM, and the
// users' saved lists — and keeps hub-native data (SPEC A4, A5).
func (s *Service) Erase(ctx context.Context, a Actor) error {
	conn, found, err := s.connection(ctx, a.OrgID)
	if err != nil {
		return err
	}
	if !found {
		return ErrNotConnected
	}
	return s.store.InTx(ctx, func(tx store.Tx) error {
		if err := s.erase(ctx, tx, conn); err != nil {
			return fmt.Errorf("admin: erase: %w", err)
		}
		return s.audit(ctx, tx, a, "crm.erase", conn.ID, nil)
	})
}

func (s *Service) erase(ctx context.Context, tx store.Tx, conn store.Connection) error {
	streams, err := crmStreamsTx(ctx, tx, conn.OrgID, conn.ID)
	if err != nil {
		return err
	}
	objects := []string{"User", "Lead", "Account"}
	for _, st := range streams {
		if err := tx.DeleteStreamState(ctx, st.ID); err != nil {
			return fmt.Errorf("stream %s: %w", st.ID, err)
		}
		if st.ConnA == conn.ID {
			objects = append(objects, st.ObjectA)
		} else {
			objects = append(objects, st.ObjectB)
		}
	}
	slices.Sort(objects)
	for _, o := range slices.Compact(objects) {
		if _, err := tx.DeleteRecords(ctx, conn.ID, o); err != nil {
			return fmt.Errorf("mirror of %s: %w", o, err)
		}
	}
	users, err := tx.ListUsers(ctx, conn.OrgID)
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := putSetting(ctx, tx, conn.OrgID, u.ID, settingSaved, SavedLists{}); err != nil {
			return err
		}
	}
	return nil
}

// restartStreams enables again the streams Disconnect stopped.
func (s *Service) restartStreams(ctx context.Context, tx store.Tx, orgID string) error {
	var stopped []string
	if err := getSetting(ctx, tx, orgID, "", settingOffStreams, &stopped); err != nil {
		return err
	}
	for _, id := range stopped {
		st, err := tx.GetStream(ctx, orgID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		st.Enabled = true
		if err := tx.UpdateStream(ctx, st); err != nil {
			return err
		}
	}
	return putSetting(ctx, tx, orgID, "", settingOffStreams, []string{})
}

// Status reports the org's CRM connection.
func (s *Service) Status(ctx context.Context, orgID string) (Status, error) {
	var st Status
	err := s.store.Read(ctx, func(tx store.Tx) error {
		conn, found, err := connectionTx(ctx, tx, orgID, s.system)
		if err != nil || !found {
			st.State = store.ConnDisconnected
			return err
		}
		st.ConnectionID, st.State, st.Error = conn.ID, conn.Status, conn.Error
		st.Connected = conn.Status == store.ConnActive
		users, err := tx.ListUsers(ctx, orgID)
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.CRMUserID != "" {
				st.Seats++
			}
		}
		streams, err := crmStreamsTx(ctx, tx, orgID, conn.ID)
		st.Streams = len(streams)
		return err
	})
	return st, err
}

// CRMUsers lists the CRM's users, from which an admin grants seats.
func (s *Service) CRMUsers(ctx context.Context, orgID string) ([]CRMUser, error) {
	_, crm, err := s.open(ctx, orgID)
	if err != nil {
		return nil, err
	}
	users, err := crm.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: CRM users: %w", err)
	}
	return users, nil
}

// GrantSeat gives hub user userID the seat of CRM user crmUserID, which
// must be an active CRM user no other hub user holds (SPEC A2), enables
// the user's CRM sync and loads their saved lists (SPEC A3).
func (s *Service) GrantSeat(ctx context.Context, a Actor, userID, crmUserID string) (store.User, error) {
	conn, crm, err := s.open(ctx, a.OrgID)
	if err != nil {
		return store.User{}, err
	}
	users, err := crm.Users(ctx)
	if err != nil {
		return store.User{}, fmt.Errorf("admin: grant seat: %w", err)
	}
	i := slices.IndexFunc(users, func(u CRMUser) bool {
		return u.ID == crmUserID || strings.EqualFold(u.Username, crmUserID)
	})
	if i < 0 {
		return store.User{}, fmt.Errorf("%w: the CRM has no user %q", ErrInvalid, crmUserID)
	}
	cu := users[i]
	if !cu.Active {
		return store.User{}, fmt.Errorf("%w: CRM user %s (%s) is inactive", ErrInvalid, cu.Username, cu.ID)
	}
	lists, err := savedLists(ctx, crm, cu.ID, s.now())
	if err != nil {
		return store.User{}, fmt.Errorf("admin: grant seat: %w", err)
	}
	var u store.User
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if u, err = tx.GetUser(ctx, a.OrgID, userID); err != nil {
			return err
		}
		all, err := tx.ListUsers(ctx, a.OrgID)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.ID != u.ID && o.CRMUserID == cu.ID {
				return fmt.Errorf("%w: CRM user %s's seat is held by %s", ErrInvalid, cu.Username, o.Email)
			}
		}
		u.CRMUserID, u.SyncEnabled = cu.ID, true
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := s.resumeUser(ctx, tx, u); err != nil {
			return err
		}
		if err := putSetting(ctx, tx, a.OrgID, u.ID, settingSaved, lists); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "crm.seat.grant", u.ID, map[string]any{"crm_user": cu.ID, "username": cu.Username, "connection": conn.ID})
	})
	if err != nil {
		return store.User{}, fmt.Errorf("admin: grant seat: %w", err)
	}
	return u, nil
}

// RevokeSeat takes the user's seat away: their CRM sync stops (their
// streams pause, losing nothing) until a seat is granted again.
func (s *Service) RevokeSeat(ctx context.Context, a Actor, userID string) (store.User, error) {
	var u store.User
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if u, err = s.revoke(ctx, tx, a, userID, "revoked by an admin"); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return store.User{}, fmt.Errorf("admin: revoke seat: %w", err)
	}
	return u, nil
}

func (s *Service) revoke(ctx context.Context, tx store.Tx, a Actor, userID, why string) (store.User, error) {
	u, err := tx.GetUser(ctx, a.OrgID, userID)
	if err != nil {
		return u, err
	}
	prev := u.CRMUserID
	u.CRMUserID, u.SyncEnabled = "", false
	if err := tx.UpdateUser(ctx, u); err != nil {
		return u, err
	}
	if err := s.pauseUser(ctx, tx, u); err != nil {
		return u, err
	}
	return u, s.audit(ctx, tx, a, "crm.seat.revoke", u.ID, map[string]any{"crm_user": prev, "why": why})
}

// SetUserSync enables or disables one user's CRM sync (SPEC A6). Disabled,
// the user's streams pause with their links, cursors and pending changes
// kept; enabled again, they resume and catch up on what changed meanwhile.
// Enabling needs a seat.
func (s *Service) SetUserSync(ctx context.Context, a Actor, userID string, enabled bool) (store.User, error) {
	var u store.User
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, a.OrgID, userID); err != nil {
			return err
		}
		if enabled && u.CRMUserID == "" {
			return fmt.Errorf("%w: %s has no CRM seat; grant one first", ErrInvalid, u.Email)
		}
		u.SyncEnabled = enabled
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		action := "crm.user.disable"
		if enabled {
			action = "crm.user.enable"
			err = s.resumeUser(ctx, tx, u)
		} else {
			err = s.pauseUser(ctx, tx, u)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, action, u.ID, nil)
	})
	if err != nil {
		return store.User{}, fmt.Errorf("admin: user sync: %w", err)
	}
	return u, nil
}

// pauseUser stops the user's enabled streams and remembers which.
func (s *Service) pauseUser(ctx context.Context, tx store.Tx, u store.User) error {
	var paused []string
	if err := getSetting(ctx, tx, u.OrgID, u.ID, settingPausedStreams, &paused); err != nil {
		return err
	}
	streams, err := tx.ListStreams(ctx, u.OrgID)
	if err != nil {
		return err
	}
	for _, st := range streams {
		if st.UserID != u.ID || !st.Enabled {
			continue
		}
		st.Enabled = false
		if err := tx.UpdateStream(ctx, st); err != nil {
			return err
		}
		paused = append(paused, st.ID)
	}
	return putSetting(ctx, tx, u.OrgID, u.ID, settingPausedStreams, paused)
}

// resumeUser enables again the streams pauseUser stopped.
func (s *Service) resumeUser(ctx context.Context, tx store.Tx, u store.User) error {
	var paused []string
	if err := getSetting(ctx, tx, u.OrgID, u.ID, settingPausedStreams, &paused); err != nil {
		return err
	}
	for _, id := range paused {
		st, err := tx.GetStream(ctx, u.OrgID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		st.Enabled = true
		if err := tx.UpdateStream(ctx, st); err != nil {
			return err
		}
	}
	return putSetting(ctx, tx, u.OrgID, u.ID, settingPausedStreams, []string{})
}

// UsersSyncResult is what one users sync did.
type UsersSyncResult struct {
	CRMUsers  int      `json:"crm_users"`
	Revoked   []string `json:"revoked"` // hub users who lost their seat
	Refreshed int      `json:"saved_lists_refreshed"`
}

// SyncUsers reads the CRM's users: a hub user whose CRM user is gone or
// deactivated loses the seat (SPEC A2), and every seated user's saved lists
// are refreshed from what they own now (SPEC A3). serve runs it hourly.
func (s *Service) SyncUsers(ctx context.Context, orgID string) (UsersSyncResult, error) {
	var res UsersSyncResult
	_, crm, err := s.open(ctx, orgID)
	if err != nil {
		return res, err
	}
	crmUsers, err := crm.Users(ctx)
	if err != nil {
		return res, fmt.Errorf("admin: users sync: %w", err)
	}
	res.CRMUsers = len(crmUsers)
	active := map[string]bool{}
	for _, cu := range crmUsers {
		active[cu.ID] = cu.Active
	}
	var users []store.User
	if err := s.store.Read(ctx, func(tx store.Tx) error {
		users, err = tx.ListUsers(ctx, orgID)
		return err
	}); err != nil {
		return res, fmt.Errorf("admin: users sync: %w", err)
	}
	sys := Actor{OrgID: orgID, UserID: SystemActor}
	for _, u := range users {
		if u.CRMUserID == "" {
			continue
		}
		if !active[u.CRMUserID] {
			err := s.store.InTx(ctx, func(tx store.Tx) error {
				_, err := s.revoke(ctx, tx, sys, u.ID, "the CRM user is inactive or gone")
				return err
			})
			if err != nil {
				return res, fmt.Errorf("admin: users sync: revoke %s: %w", u.Email, err)
			}
			res.Revoked = append(res.Revoked, u.Email)
			continue
		}
		lists, err := savedLists(ctx, crm, u.CRMUserID, s.now())
		if err != nil {
			return res, fmt.Errorf("admin: users sync: saved lists of %s: %w", u.Email, err)
		}
		if err := s.store.InTx(ctx, func(tx store.Tx) error {
			return putSetting(ctx, tx, orgID, u.ID, settingSaved, lists)
		}); err != nil {
			return res, fmt.Errorf("admin: users sync: %w", err)
		}
		res.Refreshed++
	}
	return res, nil
}

// Saved returns a user's saved leads and accounts (SPEC A3).
func (s *Service) Saved(ctx context.Context, orgID, userID string) (SavedLists, error) {
	lists := SavedLists{Leads: []SavedItem{}, Accounts: []SavedItem{}}
	err := s.store.Read(ctx, func(tx store.Tx) error {
		return getSetting(ctx, tx, orgID, userID, settingSaved, &lists)
	})
	if lists.Leads == nil {
		lists.Leads = []SavedItem{}
	}
	if lists.Accounts == nil {
		lists.Accounts = []SavedItem{}
	}
	return lists, err
}

func savedLists(ctx context.Context, crm CRM, crmUserID string, now time.Time) (SavedLists, error) {
	leads, err := crm.Owned(ctx, "Lead", crmUserID)
	if err != nil {
		return SavedLists{}, err
	}
	accounts, err := crm.Owned(ctx, "Account", crmUserID)
	if err != nil {
		return SavedLists{}, err
	}
	return SavedLists{Leads: leads, Accounts: accounts, Updated: now.UTC()}, nil
}

// open returns the org's active CRM connection and its CRM.
func (s *Service) open(ctx context.Context, orgID string) (store.Connection, CRM, error) {
	conn, found, err := s.connection(ctx, orgID)
	if err != nil {
		return conn, nil, err
	}
	if !found || conn.Status == store.ConnDisconnected {
		return conn, nil, ErrNotConnected
	}
	crm, err := s.dial(ctx, conn)
	if err != nil {
		return conn, nil, fmt.Errorf("admin: %w", err)
	}
	return conn, crm, nil
}

func (s *Service) connection(ctx context.Context, orgID string) (c store.Connection, found bool, err error) {
	err = s.store.Read(ctx, func(tx store.Tx) error {
		c, found, err = connectionTx(ctx, tx, orgID, s.system)
		return err
	})
	return c, found, err
}

// connectionTx finds the org-wide CRM connection.
func connectionTx(ctx context.Context, tx store.Tx, orgID, system string) (store.Connection, bool, error) {
	conns, err := tx.ListConnections(ctx, orgID)
	if err != nil {
		return store.Connection{}, false, err
	}
	for _, c := range conns {
		if c.System == system && c.UserID == "" {
			return c, true, nil
		}
	}
	return store.Connection{}, false, nil
}

func (s *Service) crmStreams(ctx context.Context, orgID, connID string) (out []store.Stream, err error) {
	err = s.store.Read(ctx, func(tx store.Tx) error {
		out, err = crmStreamsTx(ctx, tx, orgID, connID)
		return err
	})
	return out, err
}

func crmStreamsTx(ctx context.Context, tx store.Tx, orgID, connID string) ([]store.Stream, error) {
	all, err := tx.ListStreams(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []store.Stream
	for _, st := range all {
		if st.ConnA == connID || st.ConnB == connID {
			out = append(out, st)
		}
	}
	return out, nil
}

func (s *Service) audit(ctx context.Context, tx store.Tx, a Actor, action, target string, detail any) error {
	raw, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	actor := a.UserID
	if actor == "" {
		actor = SystemActor
	}
	return tx.AddAudit(ctx, &store.Audit{OrgID: a.OrgID, ActorID: actor, Action: action, Target: target,
		Detail: raw, Created: s.now().UTC()})
}

func getSetting(ctx context.Context, tx store.Tx, orgID, userID, name string, v any) error {
	raw, err := tx.GetSetting(ctx, orgID, userID, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(raw) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

func putSetting(ctx context.Context, tx store.Tx, orgID, userID, name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.PutSetting(ctx, orgID, userID, name, raw)
}
