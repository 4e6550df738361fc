package contact

import (
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
)

// The stream kinds of mailbox contact sync.
const (
	Kind     = "contacts"
	LeadKind = "contact-leads"
)

// The fields contact sync adds to the CRM's Contact and Lead.
const (
	// FieldCategory is the fixed category the hub derives for a Contact or
	// Lead as it is listed (CategoryOf, LeadCategoryOf; see Categorizing):
	// a contact the hub creates in a mailbox is filed under it. The CRM
	// does not store it.
	FieldCategory = syncer.HubFieldPrefix + "category"
	// FieldReplaced keeps every value a merge replaced, one line each:
	// "field: value (replaced TIME, from side a|b)" — side a is the CRM,
	// b the mailbox (C10).
	FieldReplaced = "crmsync_ReplacedValues__c"
)

// SettingOwner is the stream setting holding the user's CRM user id: the
// owner of the contacts their mailbox brings into the CRM, so that those
// stay theirs to see (C8).
const SettingOwner = "owner_id"

// SettingImport is the stream setting holding the mailbox categories whose
// contacts are imported into the CRM (C2), a list of names.
const SettingImport = "import_categories"

// The fixed categories (C3). Their names never change (C4).
const (
	CategoryPerson          = "Base Person"
	CategoryCompany         = "Base Company"
	CategoryCurrentProspect = "Base Current Prospect"
	CategoryLostProspect    = "Base Lost Prospect"
	CategoryCurrentCustomer = "Base Current Customer"
	CategoryPastCustomer    = "Base Past Customer"
	CategoryLead            = "Base Lead"
)

// Fixed lists the fixed categories in the order the hub creates them.
var Fixed = []string{CategoryPerson, CategoryCompany, CategoryCurrentProspect, CategoryLostProspect,
	CategoryCurrentCustomer, CategoryPastCustomer, CategoryLead}

// IsFixed reports whether name is one of the fixed categories.
func IsFixed(name string) bool {
	return slices.ContainsFunc(Fixed, func(f string) bool { return strings.EqualFold(f, name) })
}

// person are the fields Contacts and Leads share with a mailbox contact.
func person() []syncer.Field {
	return []syncer.Field{
		{Name: "first_name", A: "FirstName", B: mailbox.GivenName, MaxLenA: 40},
		{Name: "last_name", A: "LastName", B: mailbox.Surname, MaxLenA: 80},
		{Name: "email", A: "Email", B: mailbox.Email, MaxLenA: 80},
		{Name: "title", A: "Title", B: mailbox.JobTitle, MaxLenA: 128},
		{Name: "phone", A: "Phone", B: mailbox.BusinessPhone, MaxLenA: 40},
		{Name: "mobile", A: "MobilePhone", B: mailbox.MobilePhone, MaxLenA: 40},
		{Name: "notes", A: "Description", B: mailbox.Notes, MaxLenA: 32000},
		{Name: "category", A: FieldCategory, B: mailbox.Categories, Dir: syncer.AToB, CreateOnly: true},
	}
}

// address maps a CRM address (prefix "Mailing" on Contact, "" on Lead) to
// a mailbox contact's business address.
func address(prefix string) []syncer.Field {
	return []syncer.Field{
		{Name: "street", A: prefix + "Street", B: mailbox.Street, MaxLenA: 255},
		{Name: "city", A: prefix + "City", B: mailbox.City, MaxLenA: 40},
		{Name: "state", A: prefix + "State", B: mailbox.State, MaxLenA: 80},
		{Name: "postal_code", A: prefix + "PostalCode", B: mailbox.PostalCode, MaxLenA: 20},
		{Name: "country", A: prefix + "Country", B: mailbox.Country, MaxLenA: 80},
	}
}

// matchA and matchB are the matching rules of each side (C10): email,
// then first + last name.
var (
	matchA = syncer.SideRules{Email: "Email", FirstName: "FirstName", LastName: "LastName"}
	matchB = syncer.SideRules{Email: mailbox.Email, FirstName: mailbox.GivenName, LastName: mailbox.Surname}
)

// never is C7: a delete on either side is not synced.
var never = syncer.DeletePolicy{Mode: syncer.DeleteNever}

// Definition is the Contact stream: side A the CRM's Contacts (scoped to
// those the user may see), side B the user's mailbox.
func Definition() *syncer.Definition {
	a, b := matchA, matchB
	a.Create, a.Delete, a.Defaults = syncer.CreateAll, never, map[string]string{"OwnerId": SettingOwner}
	b.Create, b.Delete, b.Scope = syncer.CreateAll, never, imported
	fields := append(person(), syncer.Field{Name: "department", A: "Department", B: mailbox.Department, MaxLenA: 80})
	return &syncer.Definition{
		Name:     Kind,
		Fields:   append(fields, address("Mailing")...),
		A:        a,
		B:        b,
		Conflict: syncer.NewestWins,
		Loser:    &syncer.LoserField{Side: store.SideA, Field: FieldReplaced, MaxLen: 32000},
	}
}

// LeadDefinition is the Lead stream: side A the CRM's Leads the user may
// see, side B the mailbox contacts filed under Base Lead.
func LeadDefinition() *syncer.Definition {
	a, b := matchA, matchB
	a.Create, a.Delete = syncer.CreateAll, never
	b.Create, b.Delete, b.Scope = syncer.CreateNever, never, leads
	fields := append(person(), syncer.Field{Name: "company", A: "Company", B: mailbox.CompanyName, MaxLenA: 255})
	return &syncer.Definition{
		Name:     LeadKind,
		Fields:   append(fields, address("")...),
		A:        a,
		B:        b,
		Conflict: syncer.NewestWins,
		Loser:    &syncer.LoserField{Side: store.SideA, Field: FieldReplaced, MaxLen: 32000},
	}
}

// Definitions are the stream kinds of contact sync.
func Definitions() []*syncer.Definition { return []*syncer.Definition{Definition(), LeadDefinition()} }

// imported is the Contact stream's mailbox scope (C2): a contact filed
// under a picked category, and not under Base Lead (the Lead stream's).
func imported(settings map[string]any, f connector.Fields) bool {
	cats := categoriesOf(f)
	if slices.ContainsFunc(cats, func(c string) bool { return strings.EqualFold(c, CategoryLead) }) {
		return false
	}
	picked, _ := settings[SettingImport].([]any)
	for _, p := range picked {
		name, _ := p.(string)
		if slices.ContainsFunc(cats, func(c string) bool { return strings.EqualFold(c, name) }) {
			return true
		}
	}
	return false
}

// leads is the Lead stream's mailbox scope: contacts filed under Base Lead.
func leads(_ map[string]any, f connector.Fields) bool {
	return slices.ContainsFunc(categoriesOf(f), func(c string) bool { return strings.EqualFold(c, CategoryLead) })
}

func categoriesOf(f connector.Fields) []string {
	s, _ := f[mailbox.Categories].(string)
	return mailbox.SplitCategories(s)
}
