package syncer

import (
	"errors"
	"fmt"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// Direction says which way a field flows.
type Direction int

// The directions of a field mapping.
const (
	Both Direction = iota
	AToB
	BToA
)

func (d Direction) allows(from store.Side) bool {
	switch d {
	case AToB:
		return from == store.SideA
	case BToA:
		return from == store.SideB
	}
	return true
}

// Type is the kind of value a field holds; values are checked and
// normalised to it before they are compared or written.
type Type int

// The field types.
const (
	String   Type = iota // string; "" is the same as no value
	Number               // float64
	Bool                 // bool
	Date                 // "2006-01-02"
	DateTime             // RFC 3339, normalised to UTC
)

func (t Type) String() string {
	return [...]string{"string", "number", "bool", "date", "datetime"}[t]
}

// ValuePair maps one value on side A to one on side B.
type ValuePair struct {
	A, B any
}

// Field maps one field of side A to one of side B.
type Field struct {
	// Name identifies the mapping in bases and conflict records; it must not
	// change once a stream has synced.
	Name string
	// A and B are the systems' field names.
	A, B string
	// Dir is the direction the field flows (default Both).
	Dir Direction
	// Type is the field's value type (default String).
	Type Type
	// MaxLenA and MaxLenB bound string values written to that side (0: no
	// limit); a longer value quarantines the record.
	MaxLenA, MaxLenB int
	// Values maps values between the sides. When set, a value absent from
	// the map is not synced: it is never written and never overwritten.
	Values []ValuePair
	// Strict makes a value absent from Values an error that quarantines the
	// record, instead of a value that is not synced.
	Strict bool
	// Condition names a boolean stream setting; the field syncs only while
	// it is true. Empty: always.
	Condition string
	// Seed lets a one-way field fill a record created from the other side:
	// an imported record gets the value once, later edits there never flow.
	// The seed ignores Condition, which gates the field's own direction.
	Seed bool
	// CreateOnly fills a record created on the other side (in the
	// direction Dir allows) and is never merged afterwards: later values on
	// either side stay where they are (a category the hub files a new
	// mailbox contact under, which the user may then change).
	CreateOnly bool
}

// CreatePolicy says which unlinked records of a side are created on the
// other side.
type CreatePolicy int

// The create policies (first-sync policies).
const (
	// CreateAll creates every unlinked record (import).
	CreateAll CreatePolicy = iota
	// CreateAfterEnable creates only records created after the stream was
	// enabled: records that existed before are never pushed.
	CreateAfterEnable
	// CreateNever links by matching only.
	CreateNever
)

// DeleteMode says what a delete on one side does to the other.
type DeleteMode int

// The delete modes.
const (
	// DeletePropagate deletes the linked record on the other side.
	DeletePropagate DeleteMode = iota
	// DeleteNever keeps the other side's record and stops syncing the pair.
	DeleteNever
	// DeleteWithin propagates deletes made at most Days days ago; older
	// ones, or ones of unknown age, are handled as DeleteNever.
	DeleteWithin
)

// DeletePolicy is the delete rule for changes coming from one side.
type DeletePolicy struct {
	Mode DeleteMode
	Days int
}

// ConflictMode settles a field changed on both sides.
type ConflictMode int

// The conflict modes.
const (
	// NewestWins keeps the value of the record modified last; ties go to A.
	NewestWins ConflictMode = iota
	// AWins always keeps side A's value.
	AWins
	// BWins always keeps side B's value.
	BWins
)

// LoserField names a free-text field where replaced values are kept.
type LoserField struct {
	Side  store.Side
	Field string
	// MaxLen bounds the field's text (default 4000); the oldest lines go.
	MaxLen int
}

// SideRules are the per-side rules of a Definition.
type SideRules struct {
	// Create says which unlinked records of this side reach the other.
	Create CreatePolicy
	// Delete says what a delete on this side does to the other.
	Delete DeletePolicy
	// InitialLookback, when set, limits the first pull of this side to
	// records modified within it before the stream was enabled; older
	// records are mirrored for matching but not synced.
	InitialLookback time.Duration
	// Email, FirstName and LastName name this side's fields used to match
	// unlinked records; empty names switch that rule off.
	Email, FirstName, LastName string
	// ExternalID names this side's field that holds the other side's id of
	// the same record (a CRM custom field with the mailbox id, say): the
	// first matching rule, before email and name.
	ExternalID string
	// Scope, when set, says which of this side's records the stream takes
	// up: an unlinked record for which it answers false is neither matched
	// nor created on the other side (a mailbox contact outside the
	// categories a user picked, say); once linked, a record syncs whatever
	// it answers. It is given the stream's settings and the record's
	// fields, and must depend on nothing else.
	Scope func(settings map[string]any, f connector.Fields) bool
	// Defaults fill fields of records the stream creates on this side,
	// from the stream's settings: this side's field name → the name of a
	// string setting (the CRM owner of a contact imported from a user's
	// mailbox, say). An empty or missing setting fills nothing.
	Defaults map[string]string
}

// HubFieldPrefix starts the name of a field no system stores: a domain
// computes it into records as they are listed (a contact's category,
// derived from the CRM). Such a field may only flow away from its side,
// and checks of a system's fields pass it by.
const HubFieldPrefix = "hub:"

// Definition declares how one kind of stream syncs.
type Definition struct {
	// Name is the stream kind (store.Stream.Kind).
	Name string
	// Fields are the mapped fields.
	Fields []Field
	// A and B are the per-side rules.
	A, B SideRules
	// Conflict settles fields changed on both sides.
	Conflict ConflictMode
	// Loser, when set, keeps each replaced value in a text field as well as
	// in a conflict record.
	Loser *LoserField
}

func (d *Definition) side(s store.Side) *SideRules {
	if s == store.SideA {
		return &d.A
	}
	return &d.B
}

// Validate checks a definition once, before use.
func (d *Definition) Validate() error {
	if d.Name == "" {
		return errors.New("syncer: definition has no name")
	}
	if len(d.Fields) == 0 {
		return fmt.Errorf("syncer: definition %s: no fields", d.Name)
	}
	names := map[string]bool{}
	for _, f := range d.Fields {
		if f.Name == "" || f.A == "" || f.B == "" {
			return fmt.Errorf("syncer: definition %s: a field needs Name, A and B", d.Name)
		}
		if names[f.Name] {
			return fmt.Errorf("syncer: definition %s: field %s mapped twice", d.Name, f.Name)
		}
		names[f.Name] = true
		if f.Type < String || f.Type > DateTime {
			return fmt.Errorf("syncer: definition %s: field %s: unknown type", d.Name, f.Name)
		}
		for _, p := range f.Values {
			if _, err := normalize(f.Type, p.A); err != nil {
				return fmt.Errorf("syncer: definition %s: field %s: value map: %w", d.Name, f.Name, err)
			}
			if _, err := normalize(f.Type, p.B); err != nil {
				return fmt.Errorf("syncer: definition %s: field %s: value map: %w", d.Name, f.Name, err)
			}
		}
	}
	for _, s := range []*SideRules{&d.A, &d.B} {
		if s.Delete.Mode == DeleteWithin && s.Delete.Days <= 0 {
			return fmt.Errorf("syncer: definition %s: delete within N days needs Days > 0", d.Name)
		}
	}
	if d.Loser != nil && (d.Loser.Field == "" || (d.Loser.Side != store.SideA && d.Loser.Side != store.SideB)) {
		return fmt.Errorf("syncer: definition %s: loser field needs a side and a field", d.Name)
	}
	return nil
}
