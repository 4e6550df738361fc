package task

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector/caldav"
	"github.com/crmsync/crmsync/internal/store"
)

// CalDAVSettings are a user's sync of their CRM Tasks with a task list on
// a CalDAV server (Radicale, Nextcloud, iCloud, Fastmail, …): the same
// stream, map and rules as the hub's own list (SPEC T1–T8), with the
// list's address and login.
type CalDAVSettings struct {
	Enabled bool `json:"enabled"`
	// URL is the task list collection, e.g.
	// https://dav.example.com/ann/tasks/.
	URL      string `json:"url"`
	Username string `json:"username"`
	// Password is written, never read back: a save without one keeps the
	// stored password. Sealed at rest with the connection's credentials.
	Password        string `json:"password,omitempty"`
	SubjectTemplate bool   `json:"subject_template"`
	PollMinutes     int    `json:"poll_minutes"`
}

// CalDAVStream finds the user's CalDAV task stream and its list's
// connection; found is false when there is none.
func CalDAVStream(ctx context.Context, tx store.Tx, orgID, userID string) (store.Stream, store.Connection, bool, error) {
	s, found, err := userStream(ctx, tx, orgID, userID, caldav.SystemName)
	if err != nil || !found {
		return store.Stream{}, store.Connection{}, false, err
	}
	c, err := tx.GetConnection(ctx, orgID, s.ConnB)
	return s, c, err == nil, err
}

// CalDAVSettingsOf reads back what a stream and its connection hold; the
// password is left out.
func CalDAVSettingsOf(s store.Stream, c store.Connection) CalDAVSettings {
	base := SettingsOf(s)
	var cfg caldav.ConnectionConfig
	_ = json.Unmarshal(c.Config, &cfg)
	return CalDAVSettings{Enabled: base.Enabled, URL: cfg.URL, Username: cfg.Username,
		SubjectTemplate: base.SubjectTemplate, PollMinutes: base.PollMinutes}
}

// CheckCalDAV connects to the list as set says and makes sure it is a
// task list the user may read: call it before SaveCalDAV, outside any
// store transaction. client may be nil.
func CheckCalDAV(ctx context.Context, set CalDAVSettings, client *http.Client) error {
	c, err := caldav.New(caldav.Config{URL: set.URL, Username: set.Username, Password: set.Password, HTTPClient: client})
	if err != nil {
		return &store.InvalidError{Field: "url", Reason: err.Error()}
	}
	if err := c.Check(ctx); err != nil {
		return fmt.Errorf("task: the CalDAV task list: %w", err)
	}
	return nil
}

// SaveCalDAV applies a user's CalDAV task-list settings inside tx: the
// first enable stores the list's connection (the password sealed) and a
// task stream between the org's CRM and the list, stamped enabled now;
// later saves change the stream's settings and the login. A stream's list
// never changes under it (its links name that list's tasks): to move to
// another list, DeleteCalDAV first. The caller checks the list with
// CheckCalDAV beforehand and starts the re-sync (T8) once tx commits.
func SaveCalDAV(ctx context.Context, tx store.Tx, u store.User, set CalDAVSettings, now time.Time) (store.Stream, error) {
	settings, sched, err := streamSettings(set.SubjectTemplate, set.PollMinutes)
	if err != nil {
		return store.Stream{}, err
	}
	set.URL = strings.TrimSpace(set.URL)
	if set.URL != "" && !strings.HasSuffix(set.URL, "/") {
		set.URL += "/"
	}
	s, conn, found, err := CalDAVStream(ctx, tx, u.OrgID, u.ID)
	if err != nil {
		return store.Stream{}, err
	}
	if found {
		cfg := CalDAVSettingsOf(s, conn)
		if set.URL != "" && set.URL != cfg.URL {
			return store.Stream{}, &store.InvalidError{Field: "url",
				Reason: fmt.Sprintf("this sync is with %s; delete it first to sync another list", cfg.URL)}
		}
		if (set.Username != "" && set.Username != cfg.Username) || set.Password != "" {
			if set.Username == "" {
				set.Username = cfg.Username
			}
			conn.Config, _ = json.Marshal(caldav.ConnectionConfig{URL: cfg.URL, Username: set.Username})
			if set.Password != "" {
				conn.Credentials, _ = json.Marshal(caldav.ConnectionCredentials{Password: set.Password})
			}
			conn.Status, conn.Error = store.ConnActive, ""
			if err := tx.UpdateConnection(ctx, conn); err != nil {
				return store.Stream{}, err
			}
		}
		if set.Enabled && !s.Enabled && s.EnabledAt.IsZero() {
			s.EnabledAt = now
		}
		s.Enabled, s.Settings, s.Schedule = set.Enabled, settings, sched
		if set.Enabled {
			s.NextRun = now
		}
		return s, tx.UpdateStream(ctx, s)
	}
	if !set.Enabled {
		return store.Stream{}, nil
	}
	if set.URL == "" {
		return store.Stream{}, &store.InvalidError{Field: "url", Reason: "the task list's address is required"}
	}
	conns, err := tx.ListConnections(ctx, u.OrgID)
	if err != nil {
		return store.Stream{}, err
	}
	crm, _ := connected(conns, u, caldav.SystemName)
	if crm == nil {
		return store.Stream{}, ErrNoCRM
	}
	cfg, _ := json.Marshal(caldav.ConnectionConfig{URL: set.URL, Username: set.Username})
	creds, _ := json.Marshal(caldav.ConnectionCredentials{Password: set.Password})
	c := store.Connection{OrgID: u.OrgID, UserID: u.ID, System: caldav.SystemName, Name: u.Email + " CalDAV task list",
		Config: cfg, Credentials: creds}
	if err := tx.CreateConnection(ctx, &c); err != nil {
		return store.Stream{}, fmt.Errorf("task: store the CalDAV task list connection: %w", err)
	}
	s = store.Stream{OrgID: u.OrgID, UserID: u.ID, Name: u.Email + " CalDAV reminder tasks", Kind: Kind,
		ConnA: crm.ID, ObjectA: "Task", ConnB: c.ID, ObjectB: caldav.Object,
		Enabled: true, EnabledAt: now, Settings: settings, Schedule: sched, NextRun: now}
	if err := tx.CreateStream(ctx, &s); err != nil {
		return store.Stream{}, fmt.Errorf("task: create the CalDAV task stream: %w", err)
	}
	return s, nil
}

// DeleteCalDAV ends the user's CalDAV task sync: the stream and the
// list's connection go (with the password); the tasks stay where they
// are on both sides. found is false when there was none.
func DeleteCalDAV(ctx context.Context, tx store.Tx, u store.User) (bool, error) {
	s, c, found, err := CalDAVStream(ctx, tx, u.OrgID, u.ID)
	if err != nil || !found {
		return false, err
	}
	if err := tx.DeleteStream(ctx, u.OrgID, s.ID); err != nil {
		return false, err
	}
	return true, tx.DeleteConnection(ctx, u.OrgID, c.ID)
}

// CalDAVPassword is the password a CalDAV task list connection holds.
func CalDAVPassword(c store.Connection) string {
	var cr caldav.ConnectionCredentials
	_ = json.Unmarshal(c.Credentials, &cr)
	return cr.Password
}
