package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Errors returned by every implementation; test with errors.Is.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a unique constraint refused the write. The
	// transaction stays usable: the refused write left nothing behind.
	ErrConflict = errors.New("store: already exists")
	// ErrReadOnly answers a write attempted through a Tx given by Read.
	ErrReadOnly = errors.New("store: read-only transaction")
	// ErrInvalid means a value breaks the entity's rules; nothing was
	// written. The error is an *InvalidError naming the field.
	ErrInvalid = errors.New("store: invalid value")
)

// InvalidError names the field whose value a write refused. It wraps
// ErrInvalid.
type InvalidError struct {
	// Field is the field's name as the API and connectors spell it, e.g.
	// "due".
	Field string
	// Reason says what is wrong, for people.
	Reason string
}

func (e *InvalidError) Error() string {
	return "store: invalid " + e.Field + ": " + e.Reason
}

// Unwrap returns ErrInvalid.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Store is the hub's state. Every read and write goes through a transaction.
//
// Conventions shared by every implementation (storetest checks them):
//   - Times are kept at microsecond precision and returned in UTC; the zero
//     time round-trips as the zero time.
//   - Create and Add methods fill an empty ID with NewID, a zero Created (and
//     Updated) with the current time, and write both back to their argument.
//     Other timestamps are stored as given; Update methods fill only a zero
//     Updated.
//   - Create defaults: Org.TimeZone "UTC", User.Role member, Connection.Status
//     active, Run.Status queued, Quarantine.Status open, Outbox.Status pending.
//   - A limit of zero or less means no limit.
//   - An empty json.RawMessage is returned as nil.
//   - Get and Update methods answer ErrNotFound (wrapped) for a missing row,
//     and for a row of another org where the method takes or carries an org.
type Store interface {
	// InTx runs fn in one read-write transaction: everything fn writes is
	// committed together, or nothing is when fn or the commit fails.
	// Transactions are serializable. fn may run more than once when the
	// database asks for a retry (a serialization failure on PostgreSQL,
	// a busy SQLite), so it must have no effect outside tx. Do not call
	// InTx or Read from inside fn.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Read runs fn in a read-only transaction on a consistent snapshot;
	// writes through it fail with ErrReadOnly.
	Read(ctx context.Context, fn func(Tx) error) error
	// Close releases the store's resources.
	Close() error
}

// Tx is the set of operations available inside a transaction.
type Tx interface {
	// Orgs and users.
	CreateOrg(ctx context.Context, o *Org) error
	GetOrg(ctx context.Context, id string) (Org, error)
	// ListOrgs lists orgs by creation time, then id.
	ListOrgs(ctx context.Context) ([]Org, error)
	UpdateOrg(ctx context.Context, o Org) error

	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, orgID, id string) (User, error)
	GetUserByEmail(ctx context.Context, orgID, email string) (User, error)
	// ListUsers lists an org's users by email.
	ListUsers(ctx context.Context, orgID string) ([]User, error)
	UpdateUser(ctx context.Context, u User) error

	// API tokens are stored as a hash; the plain token is never kept.
	CreateToken(ctx context.Context, t *Token) error
	GetTokenByHash(ctx context.Context, hash string) (Token, error)
	DeleteToken(ctx context.Context, userID, id string) error

	// Connections: one per org, system and user (none for org-wide). Credentials are encrypted at
	// rest by the store and returned in the clear.
	CreateConnection(ctx context.Context, c *Connection) error
	GetConnection(ctx context.Context, orgID, id string) (Connection, error)
	// ListConnections lists an org's connections by creation time, then id.
	ListConnections(ctx context.Context, orgID string) ([]Connection, error)
	// UpdateConnection changes everything but the org, system and Created.
	UpdateConnection(ctx context.Context, c Connection) error
	// DeleteConnection removes the connection and its mirror records.
	DeleteConnection(ctx context.Context, orgID, id string) error

	// Streams and their runs.
	CreateStream(ctx context.Context, s *Stream) error
	GetStream(ctx context.Context, orgID, id string) (Stream, error)
	// ListStreams lists an org's streams by creation time, then id.
	ListStreams(ctx context.Context, orgID string) ([]Stream, error)
	// ListAllStreams lists every org's streams, for the scheduler.
	ListAllStreams(ctx context.Context) ([]Stream, error)
	UpdateStream(ctx context.Context, s Stream) error
	// DeleteStream removes the stream, its runs and what DeleteStreamState
	// drops; its conflicts and quarantine are kept for review.
	DeleteStream(ctx context.Context, orgID, id string) error

	CreateRun(ctx context.Context, r *Run) error
	UpdateRun(ctx context.Context, r Run) error
	GetRun(ctx context.Context, orgID, id string) (Run, error)
	// ListRuns lists a stream's runs, newest (last created) first.
	ListRuns(ctx context.Context, streamID string, limit int) ([]Run, error)

	// The mirror of external records, keyed by connection, object and id.
	// PutRecords inserts or replaces whole records; the batch is atomic.
	PutRecords(ctx context.Context, recs []Record) error
	GetRecords(ctx context.Context, connID, object string, ids []string) (map[string]Record, error)
	// FindRecords returns the live records of connID/object whose match key
	// of the given kind equals key, by id (deleted ones too for
	// MatchExternalAny); an empty key matches nothing.
	FindRecords(ctx context.Context, connID, object string, kind MatchKind, key string) ([]Record, error)
	// ListRecords pages through connID/object by id (byte order), after the
	// given id, deleted records included.
	ListRecords(ctx context.Context, connID, object, after string, limit int) ([]Record, error)
	// ListStaleRecords lists live records whose Gen is below gen, for the
	// sweep after a full reconciliation, by id.
	ListStaleRecords(ctx context.Context, connID, object string, gen int64, limit int) ([]Record, error)
	// DeleteRecords removes records from the mirror of connID (all objects
	// when object is empty). Used when an org erases imported data.
	DeleteRecords(ctx context.Context, connID, object string) (int64, error)

	// Pending work: records that changed and await a merge. AddPending
	// ignores entries already pending, which keep their place.
	AddPending(ctx context.Context, ps []Pending) error
	// ListPending lists a stream's pending work in the order it was added.
	ListPending(ctx context.Context, streamID string, limit int) ([]Pending, error)
	DeletePending(ctx context.Context, ps []Pending) error
	CountPending(ctx context.Context, streamID string) (int64, error)

	// Links pair a record on side A with one on side B, with the base: the
	// last value of each field both sides agreed on. PutLinks inserts or
	// replaces links by A id (keeping Created); a B id already linked to
	// another A id answers ErrConflict and leaves the whole batch unwritten.
	PutLinks(ctx context.Context, ls []Link) error
	// GetLinks returns the links of the given ids on one side, keyed by that
	// side's id.
	GetLinks(ctx context.Context, streamID string, side Side, ids []string) (map[string]Link, error)
	DeleteLinks(ctx context.Context, streamID string, aIDs []string) error
	CountLinks(ctx context.Context, streamID string) (int64, error)
	// DeleteStreamState drops a stream's links, pending work, cursors and
	// tombstones (conflicts and quarantine are kept for review).
	DeleteStreamState(ctx context.Context, streamID string) error

	// Cursors: one per stream and side; GetCursor answers ErrNotFound
	// before the first PutCursor.
	GetCursor(ctx context.Context, streamID string, side Side) (Cursor, error)
	PutCursor(ctx context.Context, c Cursor) error

	// Tombstones remember deleted records so that nothing resurrects them.
	PutTombstones(ctx context.Context, ts []Tombstone) error
	GetTombstones(ctx context.Context, streamID string, side Side, ids []string) (map[string]Tombstone, error)

	// Conflicts keep both values and who won. ListConflicts answers newest
	// first.
	AddConflict(ctx context.Context, c *Conflict) error
	ListConflicts(ctx context.Context, f ConflictFilter) ([]Conflict, error)

	// Quarantine sets bad records aside for review. ListQuarantine answers
	// newest first.
	AddQuarantine(ctx context.Context, q *Quarantine) error
	GetQuarantine(ctx context.Context, orgID, id string) (Quarantine, error)
	ListQuarantine(ctx context.Context, f QuarantineFilter) ([]Quarantine, error)
	UpdateQuarantine(ctx context.Context, q Quarantine) error

	// The audit log is append-only. ListAudit answers newest first.
	AddAudit(ctx context.Context, a *Audit) error
	ListAudit(ctx context.Context, orgID string, limit int) ([]Audit, error)

	// The outbox holds effects that must happen exactly once; AddOutbox with
	// a Key already present answers ErrConflict. ListOutboxDue lists pending
	// messages whose NextTry is not after now, by NextTry then creation.
	// GetOutbox and UpdateOutbox are not scoped to an org: the delivery
	// worker serves all of them.
	AddOutbox(ctx context.Context, m *OutboxMessage) error
	ListOutboxDue(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error)
	GetOutbox(ctx context.Context, id string) (OutboxMessage, error)
	UpdateOutbox(ctx context.Context, m OutboxMessage) error

	// Settings are small JSON documents per org (and optionally per user),
	// keyed by name; userID "" names the org's own setting. GetSetting
	// answers ErrNotFound for a setting never put; PutSetting of an empty
	// value deletes the setting.
	GetSetting(ctx context.Context, orgID, userID, name string) (json.RawMessage, error)
	PutSetting(ctx context.Context, orgID, userID, name string, value json.RawMessage) error

	// Hub tasks are each user's own reminder tasks. Every method takes or
	// carries the org and the user: another user's task answers
	// ErrNotFound, as does a deleted one (but for ListHubTasks with
	// IncludeDeleted and HubTaskChanges). Create and Update check the
	// values with ValidateHubTask and answer its ErrInvalid error, writing
	// nothing. Every create, update and delete stamps the task with the
	// next Seq of the store, in commit order, so that HubTaskChanges is a
	// change feed that never skips a change.
	//
	// CreateHubTask fills, besides ID and Created (and Modified), an empty
	// Status with HubTaskOpen and an empty Priority with HubTaskNormal, and
	// writes them and Seq back. A Key already held by a live task of the
	// same user answers ErrConflict.
	CreateHubTask(ctx context.Context, t *HubTask) error
	GetHubTask(ctx context.Context, orgID, userID, id string) (HubTask, error)
	// GetHubTaskByKey finds the live task created with the idempotency key.
	GetHubTaskByKey(ctx context.Context, orgID, userID, key string) (HubTask, error)
	// UpdateHubTask changes the name, status, priority, due date, details
	// and related record; a zero Modified is filled with the current time.
	UpdateHubTask(ctx context.Context, t HubTask) error
	// DeleteHubTask marks the task deleted and keeps it as a tombstone for
	// the change feed; its key is free again.
	DeleteHubTask(ctx context.Context, orgID, userID, id string) error
	// ListHubTasks lists tasks by due date (undated last), then creation
	// time, then id.
	ListHubTasks(ctx context.Context, f HubTaskFilter) ([]HubTask, error)
	// HubTaskChanges lists the user's tasks, deleted ones included, whose
	// Seq is above afterSeq, by Seq.
	HubTaskChanges(ctx context.Context, orgID, userID string, afterSeq int64, limit int) ([]HubTask, error)
}

// Role is a user's role in their org.
type Role string

// The roles.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Org is one company using the hub.
type Org struct {
	ID       string
	Name     string
	TimeZone string // IANA name, default "UTC"
	Created  time.Time
}

// User belongs to one org.
type User struct {
	ID       string
	OrgID    string
	Email    string // unique within the org, stored lower-case
	Name     string
	Role     Role
	TimeZone string // IANA name; empty means the org's
	// CRMUserID links the user to a CRM user record (seats, A2).
	CRMUserID string
	// SyncEnabled is the per-user CRM sync switch (A6).
	SyncEnabled bool
	Disabled    bool
	Created     time.Time
}

// Token is an API token; only its SHA-256 hash is stored.
type Token struct {
	ID       string
	UserID   string
	OrgID    string
	Hash     string // hex SHA-256 of the token
	Name     string
	Created  time.Time
	LastUsed time.Time
}

// Connection status values.
const (
	ConnActive       = "active"
	ConnReconnect    = "reconnect_needed"
	ConnDisconnected = "disconnected"
)

// Connection is an org's link to one external system: org-wide (the CRM)
// or one user's own (a mailbox, a task list, a calendar).
type Connection struct {
	ID    string
	OrgID string
	// UserID names the user of a personal connection; empty for the org's.
	// An org has one connection per system and user.
	UserID string
	System string // "salesforce", "zoom", "msgraph", "memory", ...
	Name   string
	Status string
	// Config holds non-secret settings (base URL, options) as JSON.
	Config json.RawMessage
	// Credentials hold secrets; encrypted at rest with AES-GCM.
	Credentials []byte
	Error       string
	Created     time.Time
	Updated     time.Time
}

// Side names one end of a stream.
type Side string

// The two sides.
const (
	SideA Side = "a"
	SideB Side = "b"
)

// Other returns the opposite side.
func (s Side) Other() Side {
	if s == SideA {
		return SideB
	}
	return SideA
}

// ScheduleKind says when a stream runs by itself.
type ScheduleKind string

// The schedule kinds (SPEC X1).
const (
	ScheduleManual     ScheduleKind = "manual"
	ScheduleInterval   ScheduleKind = "interval" // every Schedule.Minutes
	ScheduleHourly     ScheduleKind = "hourly"
	ScheduleDaily      ScheduleKind = "daily"      // at Schedule.At in the org's zone
	ScheduleContinuous ScheduleKind = "continuous" // webhooks plus a short poll
)

// Schedule says when a stream runs.
type Schedule struct {
	Kind    ScheduleKind `json:"kind"`
	Minutes int          `json:"minutes,omitempty"`
	At      string       `json:"at,omitempty"` // "HH:MM", local to the org
}

// Stream is one configured pairing of an object on side A with one on side
// B; its behaviour is defined by the syncer definition named in Kind.
type Stream struct {
	ID      string
	OrgID   string
	UserID  string // empty for org-wide streams
	Name    string
	Kind    string // the syncer definition, e.g. "tasks"
	ConnA   string
	ObjectA string
	ConnB   string
	ObjectB string
	Enabled bool
	// EnabledAt is when sync was (last) switched on: first-sync policies
	// compare record creation times against it.
	EnabledAt time.Time
	// Settings are the stream's switches for conditional fields, as JSON.
	Settings  json.RawMessage
	Schedule  Schedule
	LastRun   time.Time
	NextRun   time.Time
	LastError string
	Created   time.Time
}

// Run status values.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunPaused    = "paused" // stopped cleanly (e.g. API budget spent)
)

// Run is one execution of a stream, with its progress and counts.
type Run struct {
	ID       string
	OrgID    string
	StreamID string
	Trigger  string // "schedule", "manual", "webhook", "settings"
	Status   string
	Started  time.Time
	Finished time.Time
	// Done and Total report progress in steps: a record pulled is a step,
	// a pending record merged another. Total grows as it becomes known (a
	// listing's size, then the pending count) and is 0 while unknown.
	Done   int64
	Total  int64
	Counts RunCounts
	Error  string
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

// MatchKind names a matching key of an unlinked record.
type MatchKind string

// The match keys.
const (
	MatchExternal MatchKind = "external" // Record.Key
	// MatchExternalAny finds by Record.Key among deleted records too.
	MatchExternalAny MatchKind = "external_any"
	MatchEmail       MatchKind = "email"
	MatchName        MatchKind = "name" // folded first + last name
)

// Record is the mirror of one external record.
type Record struct {
	ConnID string
	Object string
	ID     string
	Key    string // idempotency key / external id; also MatchExternal
	// Fields as JSON object text, in the system's own field names.
	Fields   json.RawMessage
	Created  time.Time
	Modified time.Time
	Deleted  bool
	// EmailKey and NameKey are folded match keys, empty when absent.
	EmailKey string
	NameKey  string
	// Gen is the reconciliation generation that last saw the record.
	Gen int64
}

// Pending marks a record that changed and awaits a merge.
type Pending struct {
	StreamID string
	Side     Side
	RecordID string
}

// Link state values.
const (
	LinkActive = "active"
)

// Link pairs a record on side A with one on side B.
type Link struct {
	StreamID string
	AID      string
	BID      string
	// Base holds the last agreed values, as a JSON object of mapping name
	// to {"a": value, "b": value}.
	Base    json.RawMessage
	Created time.Time
	Updated time.Time
}

// Cursor is a stream side's position in its system's change listing.
type Cursor struct {
	StreamID string
	Side     Side
	Value    string
	// Gen is the reconciliation generation in progress or done.
	Gen     int64
	Updated time.Time
}

// Tombstone remembers that a record was deleted or set aside on purpose.
type Tombstone struct {
	StreamID string
	Side     Side
	RecordID string
	Deleted  time.Time
	Reason   string
}

// Conflict records a field changed on both sides and how it was settled.
type Conflict struct {
	ID       string
	OrgID    string
	StreamID string
	AID      string
	BID      string
	Field    string // the mapping's name
	AValue   json.RawMessage
	BValue   json.RawMessage
	Winner   Side
	Reason   string // e.g. "newest wins: a modified later"
	Created  time.Time
}

// ConflictFilter selects conflicts; zero fields match everything.
type ConflictFilter struct {
	OrgID    string
	StreamID string
	AID      string
	Limit    int
}

// Quarantine status values.
const (
	QuarantineOpen      = "open"
	QuarantineRetried   = "retried"
	QuarantineDiscarded = "discarded"
)

// Quarantine is a record set aside for review with the error that stopped it.
type Quarantine struct {
	ID       string
	OrgID    string
	StreamID string
	Side     Side
	RecordID string
	Field    string
	Error    string
	Payload  json.RawMessage
	Status   string
	Created  time.Time
	Updated  time.Time
}

// QuarantineFilter selects quarantine entries; zero fields match everything.
type QuarantineFilter struct {
	OrgID    string
	StreamID string
	Status   string
	Limit    int
}

// Audit is one administrative action (SPEC A7).
type Audit struct {
	ID      string
	OrgID   string
	ActorID string
	Action  string
	Target  string
	Detail  json.RawMessage
	Created time.Time
}

// Outbox status values.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed" // gave up after retries; kept for review
)

// OutboxMessage is an effect (an email, an external write) recorded in the
// same transaction as the change that causes it, then delivered once.
type OutboxMessage struct {
	ID        string
	OrgID     string
	Kind      string
	Key       string // unique: the same effect is never recorded twice
	Payload   json.RawMessage
	Status    string
	Attempts  int
	NextTry   time.Time
	LastError string
	Created   time.Time
	Sent      time.Time
}
