package connector

import (
	"context"
	"errors"
	"time"
)

// Fields holds a record's values by field name, in the system's own naming.
// Values are JSON-compatible: string, float64, bool or nil.
type Fields map[string]any

// Record is one object as a system reports it.
type Record struct {
	// ID is the system's own id for the record.
	ID string
	// Key is the idempotency key the record was created with, if the system
	// stores one (an external-id field, a UID). Empty for records created by
	// users.
	Key string
	// Fields are the record's current values. Nil for a deleted record.
	Fields Fields
	// Created and Modified are the system's timestamps.
	Created  time.Time
	Modified time.Time
	// Deleted reports a tombstone: the record was deleted at Modified.
	Deleted bool
	// Invalid, when set, says why the system's record could not be read
	// (a malformed vCard or iCalendar object, say); Fields is nil. The
	// engine sets it aside for review in the quarantine, naming the
	// record, and syncs the rest of the page. A connector reports such a
	// record once per version of it, as it reports a change.
	Invalid string
}

// Page is one slice of a change listing.
type Page struct {
	Records []Record
	// Cursor resumes the listing after this page. It is committed with the
	// state the page produced, never before.
	Cursor string
	// More is true while further pages follow.
	More bool
	// Total is how many records the whole listing holds, when the system
	// says so (Salesforce's totalSize); 0 when unknown. It feeds progress.
	Total int64
}

// Op says what a Write does to one record.
type Op int

// The write operations.
const (
	OpCreate Op = iota + 1
	OpUpdate
	OpDelete
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	}
	return "unknown"
}

// Write is one record's change in a batch.
type Write struct {
	Op Op
	// ID names the record for updates and deletes.
	ID string
	// Key is the idempotency key of a create: a second create with the same
	// key must answer the first record's id instead of making another.
	Key string
	// Fields are the values to set; an update touches only these.
	Fields Fields
}

// Result is the outcome of one Write, in the order of the batch.
type Result struct {
	// ID is the record's id (for a create, the new or the existing one).
	ID string
	// Modified is the record's modification time after the write, when known.
	Modified time.Time
	// Err is set when this record failed; the rest of the batch may still
	// have succeeded.
	Err error
}

// Capabilities says what a connector can do.
type Capabilities struct {
	// BatchSize is the largest batch Write accepts (default 200).
	BatchSize int
	// Webhooks is true when the system can push change notifications.
	Webhooks bool
}

// Connector is one external system as the engine sees it.
type Connector interface {
	// Capabilities says what the system can do.
	Capabilities() Capabilities
	// Changes lists the records of object changed since cursor, oldest
	// first, one page at a time. An empty cursor lists every record. A cursor
	// the system can no longer serve answers ErrCursorExpired.
	Changes(ctx context.Context, object, cursor string) (Page, error)
	// Write applies a batch and reports each record's result. An error return
	// means the whole call failed and nothing is known to have been written.
	Write(ctx context.Context, object string, writes []Write) ([]Result, error)
}

// Errors a connector returns; callers test with errors.Is.
var (
	// ErrCursorExpired means the cursor is older than the system's change
	// window: the caller must reconcile with a full listing.
	ErrCursorExpired = errors.New("connector: cursor expired")
	// ErrNotFound means the record does not exist (a delete of a missing
	// record counts as done).
	ErrNotFound = errors.New("connector: record not found")
	// ErrRateLimited means the system refused for now; RetryError may say
	// when to come back.
	ErrRateLimited = errors.New("connector: rate limited")
	// ErrInvalid means the system rejected the record's values; retrying the
	// same values cannot succeed.
	ErrInvalid = errors.New("connector: invalid record")
)

// RetryError carries the wait a system asked for (Retry-After).
type RetryError struct {
	After time.Duration
	Err   error
}

func (e *RetryError) Error() string { return e.Err.Error() + " (retry after " + e.After.String() + ")" }

// Unwrap returns the underlying error.
func (e *RetryError) Unwrap() error { return e.Err }

// FieldError names the field a system rejected.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return "field " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }
