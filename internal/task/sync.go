package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/store"
)

// The settings of one user's reminder-task sync (SPEC T1, T6, T7), as a
// user saves them.
type SyncSettings struct {
	// Enabled syncs the user's hub tasks with their CRM Tasks (T1).
	Enabled bool `json:"enabled"`
	// SubjectTemplate is true while the user's activity template uses
	// {{activity_subject}}: only then do names go hub → CRM (T7).
	SubjectTemplate bool `json:"subject_template"`
	// PollMinutes is how often the CRM is polled for changes while enabled;
	// hub-side edits start a run at once (T6). 2 by default, at most 60.
	PollMinutes int `json:"poll_minutes"`
}

// DefaultPollMinutes is T6's "at most 2 minutes".
const DefaultPollMinutes = 2

// ErrNoCRM means the org has no CRM connection to sync tasks with.
var ErrNoCRM = errors.New("task: the org is not connected to the CRM; an admin connects it first")

// CRMSystem is the system name of the CRM connection tasks sync with.
const CRMSystem = "salesforce"

// StreamName is the name of a user's task stream.
func StreamName(u store.User) string { return u.Email + " reminder tasks" }

// UserStream finds the user's task stream with their hub task list; found
// is false when the user never enabled task sync.
func UserStream(ctx context.Context, tx store.Tx, orgID, userID string) (store.Stream, bool, error) {
	return userStream(ctx, tx, orgID, userID, hubtask.SystemName)
}

// userStream finds the user's task stream whose side B is a connection
// of system.
func userStream(ctx context.Context, tx store.Tx, orgID, userID, system string) (store.Stream, bool, error) {
	streams, err := tx.ListStreams(ctx, orgID)
	if err != nil {
		return store.Stream{}, false, err
	}
	conns, err := tx.ListConnections(ctx, orgID)
	if err != nil {
		return store.Stream{}, false, err
	}
	systems := make(map[string]string, len(conns))
	for _, c := range conns {
		systems[c.ID] = c.System
	}
	for _, s := range streams {
		if s.Kind == Kind && s.UserID == userID && systems[s.ConnB] == system {
			return s, true, nil
		}
	}
	return store.Stream{}, false, nil
}

// SettingsOf reads the settings a stream holds.
func SettingsOf(s store.Stream) SyncSettings {
	set := SyncSettings{Enabled: s.Enabled, PollMinutes: s.Schedule.Minutes}
	var m map[string]any
	if len(s.Settings) > 0 && json.Unmarshal(s.Settings, &m) == nil {
		set.SubjectTemplate, _ = m[SettingSubjectTemplate].(bool)
	}
	if set.PollMinutes == 0 {
		set.PollMinutes = DefaultPollMinutes
	}
	return set
}

// SaveSettings applies a user's task-sync settings inside tx: the first
// enable creates the user's hub list connection and their stream between
// the org's CRM and that list, stamped enabled now (so hub tasks that
// existed before are never pushed, T3); later saves change the stream.
// The stream runs continuously: the CRM polled every PollMinutes, a hub
// write starting a run at once (T6). The caller starts the re-sync that
// saving asks for (T8) once tx commits.
func SaveSettings(ctx context.Context, tx store.Tx, u store.User, set SyncSettings, now time.Time) (store.Stream, error) {
	settings, sched, err := streamSettings(set.SubjectTemplate, set.PollMinutes)
	if err != nil {
		return store.Stream{}, err
	}
	s, found, err := UserStream(ctx, tx, u.OrgID, u.ID)
	if err != nil {
		return store.Stream{}, err
	}
	if found {
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
		return store.Stream{}, nil // nothing to disable
	}
	conns, err := tx.ListConnections(ctx, u.OrgID)
	if err != nil {
		return store.Stream{}, err
	}
	crm, hub := connected(conns, u, hubtask.SystemName)
	if crm == nil {
		return store.Stream{}, ErrNoCRM
	}
	if hub == nil {
		cfg, _ := json.Marshal(map[string]string{"user_id": u.ID})
		c := store.Connection{OrgID: u.OrgID, UserID: u.ID, System: hubtask.SystemName, Name: u.Email + " task list", Config: cfg}
		if err := tx.CreateConnection(ctx, &c); err != nil {
			return store.Stream{}, fmt.Errorf("task: create the hub task list connection: %w", err)
		}
		hub = &c
	}
	s = store.Stream{OrgID: u.OrgID, UserID: u.ID, Name: StreamName(u), Kind: Kind,
		ConnA: crm.ID, ObjectA: "Task", ConnB: hub.ID, ObjectB: hubtask.Object,
		Enabled: true, EnabledAt: now, Settings: settings, Schedule: sched, NextRun: now}
	if err := tx.CreateStream(ctx, &s); err != nil {
		return store.Stream{}, fmt.Errorf("task: create the task stream: %w", err)
	}
	return s, nil
}

// connected finds the org's CRM connection and the user's connection of
// system among conns; either is nil when missing.
func connected(conns []store.Connection, u store.User, system string) (crm, own *store.Connection) {
	for i, c := range conns {
		switch {
		case c.System == CRMSystem && c.UserID == "" && c.Status != store.ConnDisconnected:
			crm = &conns[i]
		case c.System == system && c.UserID == u.ID:
			own = &conns[i]
		}
	}
	return crm, own
}

// schedule and settings are what a task stream stores of the settings.
func streamSettings(subjectTemplate bool, pollMinutes int) (json.RawMessage, store.Schedule, error) {
	if pollMinutes == 0 {
		pollMinutes = DefaultPollMinutes
	}
	if pollMinutes < 1 || pollMinutes > 60 {
		return nil, store.Schedule{}, &store.InvalidError{Field: "poll_minutes", Reason: "between 1 and 60"}
	}
	settings, _ := json.Marshal(map[string]any{SettingSubjectTemplate: subjectTemplate})
	return settings, store.Schedule{Kind: store.ScheduleContinuous, Minutes: pollMinutes}, nil
}
