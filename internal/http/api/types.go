package api

import (
	"encoding/json"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// The wire types: what the API sends, in snake_case, with zero times
// omitted. They are described in openapi.json under the same names.

// Org is an org as the API shows it.
type Org struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	TimeZone string    `json:"time_zone"`
	Created  time.Time `json:"created,omitzero"`
}

// User is a user as the API shows it.
type User struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Role        string    `json:"role"`
	TimeZone    string    `json:"time_zone,omitempty"`
	CRMUserID   string    `json:"crm_user_id,omitempty"`
	SyncEnabled bool      `json:"sync_enabled"`
	Disabled    bool      `json:"disabled"`
	Created     time.Time `json:"created,omitzero"`
}

// Me answers GET /api/v1/me.
type Me struct {
	User User `json:"user"`
	Org  Org  `json:"org"`
}

// Connection is a connection without its credentials.
type Connection struct {
	ID      string          `json:"id"`
	System  string          `json:"system"`
	UserID  string          `json:"user_id,omitempty"` // a personal connection's user
	Name    string          `json:"name"`
	Status  string          `json:"status"`
	Error   string          `json:"error,omitempty"`
	Config  json.RawMessage `json:"config,omitempty"`
	Created time.Time       `json:"created,omitzero"`
	Updated time.Time       `json:"updated,omitzero"`
}

// Schedule says when a stream runs.
type Schedule struct {
	Kind    string `json:"kind"`
	Minutes int    `json:"minutes,omitempty"`
	At      string `json:"at,omitempty"`
}

// Stream is a stream with its state (SPEC X1: last run, next run, counts
// and errors).
type Stream struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	UserID    string    `json:"user_id,omitempty"`
	ConnA     string    `json:"conn_a"`
	ObjectA   string    `json:"object_a"`
	ConnB     string    `json:"conn_b"`
	ObjectB   string    `json:"object_b"`
	Enabled   bool      `json:"enabled"`
	EnabledAt time.Time `json:"enabled_at,omitzero"`
	Schedule  Schedule  `json:"schedule"`
	LastRun   time.Time `json:"last_run,omitzero"`
	NextRun   time.Time `json:"next_run,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// Pending is how many changed records await a merge.
	Pending int64 `json:"pending"`
	// Links is how many record pairs the stream keeps in sync.
	Links int64 `json:"links"`
	// LatestRun is the most recent run, absent before the first.
	LatestRun *Run      `json:"latest_run,omitempty"`
	Created   time.Time `json:"created,omitzero"`
}

// RunCounts are what a run did.
type RunCounts struct {
	Pulled      int64 `json:"pulled"`
	Created     int64 `json:"created"`
	Updated     int64 `json:"updated"`
	Deleted     int64 `json:"deleted"`
	Conflicts   int64 `json:"conflicts"`
	Quarantined int64 `json:"quarantined"`
	Skipped     int64 `json:"skipped"`
}

// Run is one execution of a stream with its progress.
type Run struct {
	ID       string    `json:"id"`
	StreamID string    `json:"stream_id"`
	Trigger  string    `json:"trigger"`
	Status   string    `json:"status"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Done and Total are the progress; Total is 0 while unknown.
	Done   int64     `json:"done"`
	Total  int64     `json:"total"`
	Counts RunCounts `json:"counts"`
	Error  string    `json:"error,omitempty"`
}

// Conflict is a field changed on both sides and how it was settled; both
// values are kept.
type Conflict struct {
	ID       string          `json:"id"`
	StreamID string          `json:"stream_id"`
	AID      string          `json:"a_id"`
	BID      string          `json:"b_id"`
	Field    string          `json:"field"`
	AValue   json.RawMessage `json:"a_value"`
	BValue   json.RawMessage `json:"b_value"`
	Winner   string          `json:"winner"`
	Reason   string          `json:"reason"`
	Created  time.Time       `json:"created,omitzero"`
}

// Quarantine is a record set aside for review (SPEC X3).
type Quarantine struct {
	ID       string          `json:"id"`
	StreamID string          `json:"stream_id"`
	Side     string          `json:"side"`
	RecordID string          `json:"record_id"`
	Field    string          `json:"field,omitempty"`
	Error    string          `json:"error"`
	Payload  json.RawMessage `json:"payload,omitempty"`
	Status   string          `json:"status"`
	Created  time.Time       `json:"created,omitzero"`
	Updated  time.Time       `json:"updated,omitzero"`
}

// Audit is one administrative action (SPEC A7).
type Audit struct {
	ID      string          `json:"id"`
	ActorID string          `json:"actor_id"`
	Action  string          `json:"action"`
	Target  string          `json:"target"`
	Detail  json.RawMessage `json:"detail,omitempty"`
	Created time.Time       `json:"created,omitzero"`
}

// SyncAccepted answers POST /api/v1/streams/{id}/sync.
type SyncAccepted struct {
	// ID is the queued job or run.
	ID       string `json:"id"`
	StreamID string `json:"stream_id"`
}

// CreateUserRequest is the body of POST /api/v1/users.
type CreateUserRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role,omitempty"` // "member" (default) or "admin"
	TimeZone string `json:"time_zone,omitempty"`
}

// CreatedUser answers POST /api/v1/users: the user and their first API
// token, shown this once.
type CreatedUser struct {
	User  User   `json:"user"`
	Token string `json:"token"`
}

// Task is one of the caller's reminder tasks.
type Task struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`   // "Open" or "Complete"
	Priority string `json:"priority"` // "Normal" or "High"
	// Due is the due date, "YYYY-MM-DD"; absent for none.
	Due         string    `json:"due,omitempty"`
	Details     string    `json:"details,omitempty"`
	RelatedType string    `json:"related_type,omitempty"`
	RelatedID   string    `json:"related_id,omitempty"`
	Created     time.Time `json:"created,omitzero"`
	Modified    time.Time `json:"modified,omitzero"`
}

// CreateTaskRequest is the body of POST /api/v1/tasks. Status defaults to
// Open, priority to Normal.
type CreateTaskRequest struct {
	Name        string `json:"name"`
	Status      string `json:"status,omitempty"`
	Priority    string `json:"priority,omitempty"`
	Due         string `json:"due,omitempty"`
	Details     string `json:"details,omitempty"`
	RelatedType string `json:"related_type,omitempty"`
	RelatedID   string `json:"related_id,omitempty"`
}

// UpdateTaskRequest is the body of PATCH /api/v1/tasks/{id}: the fields
// present are set, the others kept; "" clears an optional field.
type UpdateTaskRequest struct {
	Name        *string `json:"name,omitempty"`
	Status      *string `json:"status,omitempty"`
	Priority    *string `json:"priority,omitempty"`
	Due         *string `json:"due,omitempty"`
	Details     *string `json:"details,omitempty"`
	RelatedType *string `json:"related_type,omitempty"`
	RelatedID   *string `json:"related_id,omitempty"`
}

// CommandCenter answers GET /api/v1/tasks/today: the tasks due today and
// tomorrow in the caller's time zone (SPEC T4).
type CommandCenter struct {
	// TimeZone is the zone the days are counted in: the user's, else the
	// org's.
	TimeZone string `json:"time_zone"`
	Today    string `json:"today"`
	Tomorrow string `json:"tomorrow"`
	Items    []Task `json:"items"`
}

func taskOf(h store.HubTask) Task {
	return Task{
		ID: h.ID, Name: h.Name, Status: h.Status, Priority: h.Priority, Due: h.Due, Details: h.Details,
		RelatedType: h.RelatedType, RelatedID: h.RelatedID, Created: h.Created, Modified: h.Modified,
	}
}

func orgOf(o store.Org) Org {
	return Org{ID: o.ID, Name: o.Name, TimeZone: o.TimeZone, Created: o.Created}
}

func userOf(u store.User) User {
	return User{
		ID: u.ID, OrgID: u.OrgID, Email: u.Email, Name: u.Name, Role: string(u.Role),
		TimeZone: u.TimeZone, CRMUserID: u.CRMUserID, SyncEnabled: u.SyncEnabled,
		Disabled: u.Disabled, Created: u.Created,
	}
}

func connectionOf(c store.Connection) Connection {
	return Connection{
		ID: c.ID, System: c.System, UserID: c.UserID, Name: c.Name, Status: c.Status, Error: c.Error,
		Config: rawOrNil(c.Config), Created: c.Created, Updated: c.Updated,
	}
}

func streamOf(s store.Stream) Stream {
	return Stream{
		ID: s.ID, Name: s.Name, Kind: s.Kind, UserID: s.UserID,
		ConnA: s.ConnA, ObjectA: s.ObjectA, ConnB: s.ConnB, ObjectB: s.ObjectB,
		Enabled: s.Enabled, EnabledAt: s.EnabledAt,
		Schedule: Schedule{Kind: string(s.Schedule.Kind), Minutes: s.Schedule.Minutes, At: s.Schedule.At},
		LastRun:  s.LastRun, NextRun: s.NextRun, LastError: s.LastError, Created: s.Created,
	}
}

func runOf(r store.Run) Run {
	c := r.Counts
	return Run{
		ID: r.ID, StreamID: r.StreamID, Trigger: r.Trigger, Status: r.Status,
		Started: r.Started, Finished: r.Finished, Done: r.Done, Total: r.Total,
		Counts: RunCounts{
			Pulled: c.Pulled, Created: c.Created, Updated: c.Updated, Deleted: c.Deleted,
			Conflicts: c.Conflicts, Quarantined: c.Quarantined, Skipped: c.Skipped,
		},
		Error: r.Error,
	}
}

func conflictOf(c store.Conflict) Conflict {
	return Conflict{
		ID: c.ID, StreamID: c.StreamID, AID: c.AID, BID: c.BID, Field: c.Field,
		AValue: rawOrNull(c.AValue), BValue: rawOrNull(c.BValue),
		Winner: string(c.Winner), Reason: c.Reason, Created: c.Created,
	}
}

func quarantineOf(q store.Quarantine) Quarantine {
	return Quarantine{
		ID: q.ID, StreamID: q.StreamID, Side: string(q.Side), RecordID: q.RecordID,
		Field: q.Field, Error: q.Error, Payload: rawOrNil(q.Payload), Status: q.Status,
		Created: q.Created, Updated: q.Updated,
	}
}

func auditOf(a store.Audit) Audit {
	return Audit{
		ID: a.ID, ActorID: a.ActorID, Action: a.Action, Target: a.Target,
		Detail: rawOrNil(a.Detail), Created: a.Created,
	}
}

// rawOrNil drops empty or invalid JSON, which would break the response.
func rawOrNil(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || !json.Valid(m) {
		return nil
	}
	return m
}

// rawOrNull is rawOrNil for required fields: absent becomes null.
func rawOrNull(m json.RawMessage) json.RawMessage {
	if m = rawOrNil(m); m == nil {
		return json.RawMessage("null")
	}
	return m
}

func mapSlice[S, T any](in []S, f func(S) T) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
