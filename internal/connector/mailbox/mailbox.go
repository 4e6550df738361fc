// Package mailbox is the vocabulary shared by the connectors to users'
// address books — Microsoft Graph (Exchange / Office 365) and CardDAV — and
// by the contacts domain that syncs them with the CRM (SPEC C1–C11).
//
// A mailbox connector is a connector.Connector whose one object, Object,
// holds the contacts of the folders it was configured with, each a record
// whose fields are named by the constants below whatever the wire format
// (Graph JSON or vCard). Every value is a string; an absent or empty field
// is "". Categories is a multi-value field written as its values sorted and
// joined by ";" (as Salesforce writes a multi-select picklist), so that the
// engine compares and merges it as one value.
//
// Beyond records, a mailbox offers its folders (only private ones sync,
// SPEC C5) and its categories (SPEC C2–C4, C11) through Mailbox.
package mailbox

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/connector"
)

// Object is the name of a mailbox's contacts in connector calls.
const Object = "contact"

// The fields of a mailbox contact. FolderID is read-only: the id of the
// folder (Graph contactFolder, CardDAV address book path) the contact is in;
// a create goes to the connector's default folder.
const (
	GivenName     = "givenName"
	MiddleName    = "middleName"
	Surname       = "surname"
	DisplayName   = "displayName"
	CompanyName   = "companyName"
	JobTitle      = "jobTitle"
	Department    = "department"
	Email         = "email"  // the first e-mail address
	Email2        = "email2" // the second
	Email3        = "email3" // the third
	BusinessPhone = "businessPhone"
	MobilePhone   = "mobilePhone"
	HomePhone     = "homePhone"
	Street        = "businessStreet"
	City          = "businessCity"
	State         = "businessState"
	PostalCode    = "businessPostalCode"
	Country       = "businessCountryOrRegion"
	Categories    = "categories"
	Notes         = "personalNotes"
	FolderID      = "folderId"
)

// FolderKind says whose a folder is. Only Private folders sync (SPEC C5).
type FolderKind string

const (
	// Private is a folder of the user's own mailbox or address book.
	Private FolderKind = "private"
	// Shared is another user's folder the user was given access to.
	Shared FolderKind = "shared"
	// Global is an organisation-wide list (a GAL, a public folder).
	Global FolderKind = "global"
)

// Folder is a contact folder or address book.
type Folder struct {
	ID   string
	Name string
	Kind FolderKind
}

// Category is one of the mailbox's categories. Where the protocol has no
// list of categories of its own (CardDAV), the categories are the values
// the contacts carry and ID is the name.
type Category struct {
	ID    string
	Name  string
	Color string // a provider's preset name ("preset0" …) or ""
}

// ErrNoCategories is wrapped by Categories' callers' errors to tell a
// user that the mailbox offers no category to pick (SPEC C11).
var ErrNoCategories = errors.New("mailbox: the mailbox has no categories to offer")

// Mailbox is a connector to one user's address book.
type Mailbox interface {
	connector.Connector
	// Folders lists every folder the user can see, of every kind.
	Folders(ctx context.Context) ([]Folder, error)
	// Categories lists the mailbox's categories.
	Categories(ctx context.Context) ([]Category, error)
	// CreateCategory adds a category and returns it; creating one that
	// exists (same name, case-insensitive) returns the existing one.
	CreateCategory(ctx context.Context, name, color string) (Category, error)
	// RenameCategory gives the category id the name name.
	RenameCategory(ctx context.Context, id, name string) error
}

// JoinCategories writes a set of categories as the one value of the
// Categories field: trimmed, without empties or duplicates, sorted.
func JoinCategories(cats []string) string {
	out := make([]string, 0, len(cats))
	for _, c := range cats {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ";")
}

// SplitCategories reads the Categories field back into its values.
func SplitCategories(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for c := range strings.SplitSeq(v, ";") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
