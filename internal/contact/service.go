package contact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector/mailbox"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
)

// CRMSystem is the system name of the CRM connection contacts sync with.
const CRMSystem = salesforce.SystemName

// Errors callers map to answers.
var (
	// ErrNoCRM: the org has no CRM connection yet.
	ErrNoCRM = errors.New("contact: the org is not connected to the CRM; an admin connects it first")
	// ErrNoMailbox: the user has not connected a mailbox yet.
	ErrNoMailbox = errors.New("contact: no mailbox is connected; connect one first")
	// ErrNoSeat: the user has no CRM user, so no contacts they may see.
	ErrNoSeat = errors.New("contact: the user has no CRM seat; an admin grants one first")
)

// Config configures a Service.
type Config struct {
	// Store holds connections, streams and settings. Required.
	Store store.Store
	// Connectors opens a connection's connector (the registry). Required.
	Connectors syncer.Resolver
	// MailboxSystems are the system names of mailbox connections (msgraph,
	// carddav…). Required.
	MailboxSystems []string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger (default: discard).
	Logger *slog.Logger
}

// Service sets up and maintains users' mailbox contact sync.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Connectors == nil || len(cfg.MailboxSystems) == 0 {
		return nil, errors.New("contact: Config needs Store, Connectors and MailboxSystems")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// SkippedFolder is a folder that does not sync, and why (C5).
type SkippedFolder struct {
	mailbox.Folder
	Reason string `json:"reason"`
}

// Report is what a connected mailbox offers.
type Report struct {
	// Folders are the private folders that sync.
	Folders []mailbox.Folder `json:"folders"`
	// Skipped are the shared and global folders that do not (C5).
	Skipped []SkippedFolder `json:"skipped,omitempty"`
	// Categories are the mailbox's own categories, which the user may pick
	// for import (C2); the fixed ones are not among them.
	Categories []string `json:"categories"`
	// NoCategories says why there is nothing to pick, when so (C11).
	NoCategories string `json:"no_categories,omitempty"`
}

// Inspect reads the folders and categories of the user's mailbox.
func (s *Service) Inspect(ctx context.Context, u store.User) (Report, error) {
	c, err := s.Mailbox(ctx, u)
	if err != nil {
		return Report{}, err
	}
	mb, err := s.open(ctx, c)
	if err != nil {
		return Report{}, err
	}
	return inspect(ctx, mb)
}

func inspect(ctx context.Context, mb mailbox.Mailbox) (Report, error) {
	var rep Report
	folders, err := mb.Folders(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("contact: list the mailbox's folders: %w", err)
	}
	for _, f := range folders {
		switch f.Kind {
		case mailbox.Private:
			rep.Folders = append(rep.Folders, f)
		case mailbox.Shared:
			rep.Skipped = append(rep.Skipped, SkippedFolder{f, "a shared folder: only your own private folders sync"})
		default:
			rep.Skipped = append(rep.Skipped, SkippedFolder{f, "a global or public list: only your own private folders sync"})
		}
	}
	cats, err := mb.Categories(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("contact: list the mailbox's categories: %w", err)
	}
	for _, c := range cats {
		if !IsFixed(c.Name) {
			rep.Categories = append(rep.Categories, c.Name)
		}
	}
	slices.Sort(rep.Categories)
	if len(rep.Categories) == 0 {
		rep.NoCategories = "the mailbox has no categories of its own to offer: file some contacts under a category " +
			"in your mail or address book app first, then pick it here; until then CRM contacts still reach the mailbox"
	}
	return rep, nil
}

// Connect saves the user's mailbox connection (system is one of
// Config.MailboxSystems; cfg and creds are its settings and secrets, as
// its factory reads them), checks that it answers and reports what it
// offers (C1, C5, C11). A connection that does not answer is not saved.
func (s *Service) Connect(ctx context.Context, u store.User, system string, cfg, creds json.RawMessage) (store.Connection, Report, error) {
	if !slices.Contains(s.cfg.MailboxSystems, system) {
		return store.Connection{}, Report{}, &store.InvalidError{Field: "system", Reason: "one of " + strings.Join(s.cfg.MailboxSystems, ", ")}
	}
	c := store.Connection{OrgID: u.OrgID, UserID: u.ID, System: system, Name: u.Email + " mailbox",
		Config: cfg, Credentials: creds, Status: store.ConnActive, Created: s.cfg.Now()}
	mb, err := s.open(ctx, c)
	if err != nil {
		return store.Connection{}, Report{}, err
	}
	rep, err := inspect(ctx, mb)
	if err != nil {
		return store.Connection{}, Report{}, fmt.Errorf("%w (the mailbox was not connected)", err)
	}
	err = s.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		old, found, err := userConn(ctx, tx, u, s.cfg.MailboxSystems)
		if err != nil {
			return err
		}
		if found {
			if old.System != system {
				return &store.InvalidError{Field: "system", Reason: "the user's mailbox is a " + old.System + " connection; disconnect it first"}
			}
			old.Config, old.Credentials, old.Status, old.Error = cfg, creds, store.ConnActive, ""
			c = old
			return tx.UpdateConnection(ctx, old)
		}
		return tx.CreateConnection(ctx, &c)
	})
	return c, rep, err
}

// Settings are a user's contact sync choices.
type Settings struct {
	// Enabled switches both streams on or off.
	Enabled bool `json:"enabled"`
	// Import are the mailbox categories whose contacts go to the CRM (C2).
	Import []string `json:"import_categories"`
	// Minutes between runs (default 15).
	Minutes int `json:"minutes"`
}

// DefaultMinutes is how often contacts sync unless a user says otherwise.
const DefaultMinutes = 15

// Save applies a user's settings: the first enable creates the Contact and
// Lead streams between the org's CRM and the user's mailbox. Picked
// categories must exist in the mailbox (C2).
func (s *Service) Save(ctx context.Context, u store.User, set Settings) ([]store.Stream, error) {
	if set.Minutes == 0 {
		set.Minutes = DefaultMinutes
	}
	if set.Minutes < 1 || set.Minutes > 24*60 {
		return nil, &store.InvalidError{Field: "minutes", Reason: "between 1 and 1440"}
	}
	if set.Enabled && len(set.Import) > 0 {
		rep, err := s.Inspect(ctx, u)
		if err != nil {
			return nil, err
		}
		for _, want := range set.Import {
			if IsFixed(want) {
				return nil, &store.InvalidError{Field: "import_categories", Reason: fmt.Sprintf("%q is one of the hub's own categories, filled from the CRM", want)}
			}
			if !slices.ContainsFunc(rep.Categories, func(c string) bool { return strings.EqualFold(c, want) }) {
				reason := fmt.Sprintf("the mailbox has no category %q", want)
				if rep.NoCategories != "" {
					reason = rep.NoCategories
				}
				return nil, &store.InvalidError{Field: "import_categories", Reason: reason}
			}
		}
	}
	now := s.cfg.Now()
	var out []store.Stream
	err := s.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		conns, err := tx.ListConnections(ctx, u.OrgID)
		if err != nil {
			return err
		}
		var crm, mb *store.Connection
		for i, c := range conns {
			switch {
			case c.System == CRMSystem && c.UserID == "" && c.Status != store.ConnDisconnected:
				crm = &conns[i]
			case slices.Contains(s.cfg.MailboxSystems, c.System) && c.UserID == u.ID:
				mb = &conns[i]
			}
		}
		if crm == nil {
			return ErrNoCRM
		}
		if mb == nil {
			return ErrNoMailbox
		}
		if set.Enabled && u.CRMUserID == "" {
			return ErrNoSeat
		}
		streams, err := tx.ListStreams(ctx, u.OrgID)
		if err != nil {
			return err
		}
		for _, kind := range []string{Kind, LeadKind} {
			i := slices.IndexFunc(streams, func(st store.Stream) bool {
				return st.Kind == kind && st.UserID == u.ID && st.ConnB == mb.ID
			})
			var st store.Stream
			if i >= 0 {
				st = streams[i]
			} else if !set.Enabled {
				continue
			} else {
				object := "Contact"
				if kind == LeadKind {
					object = "Lead"
				}
				st = store.Stream{OrgID: u.OrgID, UserID: u.ID, Name: u.Email + " " + strings.ToLower(object) + "s ↔ mailbox",
					Kind: kind, ConnA: crm.ID, ObjectA: salesforce.Scope(object, "OwnerId", []string{u.CRMUserID}),
					ConnB: mb.ID, ObjectB: mailbox.Object, Created: now}
			}
			if set.Enabled && !st.Enabled {
				st.EnabledAt, st.NextRun = now, now
			}
			st.Enabled = set.Enabled
			st.Schedule = store.Schedule{Kind: store.ScheduleInterval, Minutes: set.Minutes}
			st.Settings, err = withImport(st.Settings, set.Import, u.CRMUserID)
			if err != nil {
				return err
			}
			if i >= 0 {
				err = tx.UpdateStream(ctx, st)
			} else {
				err = tx.CreateStream(ctx, &st)
			}
			if err != nil {
				return fmt.Errorf("contact: save the %s stream: %w", kind, err)
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// streamSettings is what a contact stream keeps in store.Stream.Settings.
type streamSettings struct {
	Import []string `json:"import_categories"`
	Owner  string   `json:"owner_id,omitempty"`
	// FixedIDs are the mailbox ids of the fixed categories, by name, so
	// that a renamed one is found and renamed back (C4).
	FixedIDs map[string]string `json:"fixed_category_ids,omitempty"`
}

func readSettings(raw json.RawMessage) streamSettings {
	var set streamSettings
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &set)
	}
	return set
}

func withImport(raw json.RawMessage, picked []string, owner string) (json.RawMessage, error) {
	set := readSettings(raw)
	set.Owner = owner
	set.Import = slices.Clone(picked)
	if set.Import == nil {
		set.Import = []string{}
	}
	return json.Marshal(set)
}

// SettingsOf reads a user's settings back from their Contact stream.
func SettingsOf(st store.Stream) Settings {
	return Settings{Enabled: st.Enabled, Import: readSettings(st.Settings).Import, Minutes: st.Schedule.Minutes}
}

// Streams returns the user's contact streams (none before the first
// enable).
func (s *Service) Streams(ctx context.Context, u store.User) ([]store.Stream, error) {
	var out []store.Stream
	err := s.cfg.Store.Read(ctx, func(tx store.Tx) error {
		streams, err := tx.ListStreams(ctx, u.OrgID)
		for _, st := range streams {
			if st.UserID == u.ID && (st.Kind == Kind || st.Kind == LeadKind) {
				out = append(out, st)
			}
		}
		return err
	})
	return out, err
}

func userConn(ctx context.Context, tx store.Tx, u store.User, systems []string) (store.Connection, bool, error) {
	conns, err := tx.ListConnections(ctx, u.OrgID)
	if err != nil {
		return store.Connection{}, false, err
	}
	for _, c := range conns {
		if c.UserID == u.ID && slices.Contains(systems, c.System) {
			return c, true, nil
		}
	}
	return store.Connection{}, false, nil
}

// Mailbox returns the user's mailbox connection, or ErrNoMailbox.
func (s *Service) Mailbox(ctx context.Context, u store.User) (store.Connection, error) {
	var c store.Connection
	var found bool
	err := s.cfg.Store.Read(ctx, func(tx store.Tx) error {
		var err error
		c, found, err = userConn(ctx, tx, u, s.cfg.MailboxSystems)
		return err
	})
	if err == nil && !found {
		err = ErrNoMailbox
	}
	return c, err
}

// open opens a mailbox connection's connector.
func (s *Service) open(ctx context.Context, c store.Connection) (mailbox.Mailbox, error) {
	conn, err := s.cfg.Connectors(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("contact: open the mailbox: %w", err)
	}
	mb, ok := conn.(mailbox.Mailbox)
	if !ok {
		return nil, fmt.Errorf("contact: connection %s (%s) is not a mailbox", c.ID, c.System)
	}
	return mb, nil
}

// IsMailbox reports whether system is one of the mailbox systems.
func (s *Service) IsMailbox(system string) bool { return slices.Contains(s.cfg.MailboxSystems, system) }
