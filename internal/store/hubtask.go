package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Hub task status values (SPEC T2: Open ↔ Not Started, Complete ↔
// Completed).
const (
	HubTaskOpen     = "Open"
	HubTaskComplete = "Complete"
)

// Hub task priority values (SPEC T2: Normal ↔ Normal, High ↔ High).
const (
	HubTaskNormal = "Normal"
	HubTaskHigh   = "High"
)

// Limits of hub task text, those of the CRM fields they sync with
// (Task.Subject and Task.Description), so that a task the hub accepts is
// one the CRM accepts too.
const (
	MaxHubTaskName    = 255
	MaxHubTaskDetails = 32000
	// MaxHubTaskRef bounds RelatedType and RelatedID.
	MaxHubTaskRef = 255
)

// HubTask is one reminder task of a user's own task list in the hub.
type HubTask struct {
	ID     string
	OrgID  string
	UserID string
	Name   string
	Status string // HubTaskOpen or HubTaskComplete
	// Priority is HubTaskNormal or HubTaskHigh.
	Priority string
	// Due is the due date, "YYYY-MM-DD", or empty for none. A date, not an
	// instant: it is due that day wherever the user is.
	Due     string
	Details string
	// RelatedType and RelatedID name the CRM record the task is about
	// (e.g. "Contact", "003..."), both optional.
	RelatedType string
	RelatedID   string
	// Key is the idempotency key of a create made through the connector:
	// a second create with it finds this task. Unique per user among live
	// tasks; empty for tasks made by people.
	Key      string
	Created  time.Time
	Modified time.Time
	// Deleted marks a tombstone, kept so the change feed reports the
	// delete.
	Deleted bool
	// Seq is the task's place in the store's change feed: every write
	// gives it the next number.
	Seq int64
}

// HubTaskFilter selects hub tasks; zero fields match everything.
type HubTaskFilter struct {
	OrgID  string
	UserID string
	// DueFrom and DueTo bound the due date, both inclusive ("YYYY-MM-DD").
	// Either one set leaves out tasks without a due date.
	DueFrom string
	DueTo   string
	Status  string
	// IncludeDeleted lists tombstones too.
	IncludeDeleted bool
	Limit          int
}

// ValidateHubTask checks a task's values against the rules every store
// enforces and answers an *InvalidError naming the first bad field.
func ValidateHubTask(t HubTask) error {
	bad := func(field, format string, args ...any) error {
		return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case strings.TrimSpace(t.Name) == "":
		return bad("name", "a task needs a name")
	case utf8.RuneCountInString(t.Name) > MaxHubTaskName:
		return bad("name", "%d characters, the limit is %d", utf8.RuneCountInString(t.Name), MaxHubTaskName)
	case t.Status != HubTaskOpen && t.Status != HubTaskComplete:
		return bad("status", "%q; want %s or %s", t.Status, HubTaskOpen, HubTaskComplete)
	case t.Priority != HubTaskNormal && t.Priority != HubTaskHigh:
		return bad("priority", "%q; want %s or %s", t.Priority, HubTaskNormal, HubTaskHigh)
	case !validDate(t.Due):
		return bad("due", "%q is not a date YYYY-MM-DD", t.Due)
	case utf8.RuneCountInString(t.Details) > MaxHubTaskDetails:
		return bad("details", "%d characters, the limit is %d", utf8.RuneCountInString(t.Details), MaxHubTaskDetails)
	case len(t.RelatedType) > MaxHubTaskRef:
		return bad("related_type", "longer than %d bytes", MaxHubTaskRef)
	case len(t.RelatedID) > MaxHubTaskRef:
		return bad("related_id", "longer than %d bytes", MaxHubTaskRef)
	}
	return nil
}

// validDate reports whether s is empty or a real calendar date written
// YYYY-MM-DD (so that dates compare as text).
func validDate(s string) bool {
	if s == "" {
		return true
	}
	d, err := time.Parse(time.DateOnly, s)
	return err == nil && d.Format(time.DateOnly) == s
}

// PrepareHubTask fills what a new task leaves empty (status Open, priority
// Normal), clears Deleted and validates the result: the rule every store
// applies to a create.
func PrepareHubTask(h *HubTask) error {
	if h.Status == "" {
		h.Status = HubTaskOpen
	}
	if h.Priority == "" {
		h.Priority = HubTaskNormal
	}
	h.Deleted = false
	return ValidateHubTask(*h)
}
