package hubtask

import (
	"fmt"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// The fields of a task, as the engine's stream definitions name them.
const (
	FieldName     = "name"
	FieldStatus   = "status"
	FieldPriority = "priority"
	FieldDue      = "due"
	FieldDetails  = "details"
)

// recordOf is a task as the engine sees it. Empty optional values are
// nil; a deleted task has no fields.
func recordOf(h store.HubTask) connector.Record {
	r := connector.Record{ID: h.ID, Key: h.Key, Created: h.Created, Modified: h.Modified, Deleted: h.Deleted}
	if h.Deleted {
		return r
	}
	r.Fields = connector.Fields{
		FieldName:     h.Name,
		FieldStatus:   h.Status,
		FieldPriority: h.Priority,
		FieldDue:      orNil(h.Due),
		FieldDetails:  orNil(h.Details),
	}
	return r
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// setFields copies written fields onto h. Each value must be text (or nil,
// which clears it); unknown fields are refused. The values themselves are
// checked by the store when the task is written.
func setFields(h *store.HubTask, f connector.Fields) error {
	for name, v := range f {
		var dst *string
		switch name {
		case FieldName:
			dst = &h.Name
		case FieldStatus:
			dst = &h.Status
		case FieldPriority:
			dst = &h.Priority
		case FieldDue:
			dst = &h.Due
		case FieldDetails:
			dst = &h.Details
		default:
			return &connector.FieldError{Field: name, Err: fmt.Errorf("%w: the hub task has no such field", connector.ErrInvalid)}
		}
		switch v := v.(type) {
		case nil:
			*dst = ""
		case string:
			*dst = v
		default:
			return &connector.FieldError{Field: name, Err: fmt.Errorf("%w: want text, got %T", connector.ErrInvalid, v)}
		}
	}
	return nil
}
