package salesforce

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// FieldType is a field's data type, named as describe reports it.
type FieldType string

// The field types the sandbox models.
const (
	TypeID        FieldType = "id"
	TypeString    FieldType = "string"
	TypeTextArea  FieldType = "textarea"
	TypePicklist  FieldType = "picklist"
	TypeCombobox  FieldType = "combobox"
	TypeEmail     FieldType = "email"
	TypePhone     FieldType = "phone"
	TypeURL       FieldType = "url"
	TypeBoolean   FieldType = "boolean"
	TypeInt       FieldType = "int"
	TypeDouble    FieldType = "double"
	TypeCurrency  FieldType = "currency"
	TypePercent   FieldType = "percent"
	TypeDate      FieldType = "date"
	TypeDateTime  FieldType = "datetime"
	TypeReference FieldType = "reference"
)

// access says whether the API may write a field.
type access int

const (
	readWrite  access = iota // createable and updateable
	createOnly               // createable, not updateable
	readOnly                 // system managed or calculated
)

// Field describes one field of an sObject. Config.CustomFields and
// POST /__sandbox/fields take custom fields in this shape; describe reports
// every field with these properties and the rest Salesforce derives from
// them.
type Field struct {
	// Name is the API name; a custom field's ends in "__c".
	Name string `json:"name"`
	// Label is the display label; default: the name without "__c", with
	// underscores as spaces.
	Label string `json:"label,omitempty"`
	// Type is the data type.
	Type FieldType `json:"type"`
	// Length is the maximum length of a string-like value; default 255 for
	// string, url and picklist, 32768 for textarea, 40 for phone, 80 for
	// email.
	Length int `json:"length,omitempty"`
	// Precision and Scale bound a number: default 18 and 0 (2 for currency).
	Precision int `json:"precision,omitempty"`
	Scale     int `json:"scale,omitempty"`
	// Values are a picklist's or combobox's values, in order.
	Values []string `json:"values,omitempty"`
	// Default is the value a record gets on create when it sets none (a
	// picklist value, or "true" for a boolean).
	Default string `json:"default,omitempty"`
	// Restricted rejects picklist values outside Values with
	// INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST.
	Restricted bool `json:"restricted,omitempty"`
	// ReferenceTo names the objects a reference field may point to.
	ReferenceTo []string `json:"reference_to,omitempty"`
	// Required makes the field mandatory on create (REQUIRED_FIELD_MISSING).
	Required bool `json:"required,omitempty"`
	// ExternalID makes the field usable for upsert and rows by external id.
	ExternalID bool `json:"external_id,omitempty"`
	// Unique rejects a second record with the same value (DUPLICATE_VALUE).
	Unique bool `json:"unique,omitempty"`
	// CaseSensitive makes uniqueness and external-id matching case
	// sensitive; by default they ignore case, as Salesforce does.
	CaseSensitive bool `json:"case_sensitive,omitempty"`

	access           access
	calculated       bool
	nameField        bool
	relationshipName string
}

// custom reports whether the field is a custom field.
func (f *Field) custom() bool { return strings.HasSuffix(f.Name, "__c") }

// stringLike reports whether the field holds text.
func (f *Field) stringLike() bool {
	switch f.Type {
	case TypeID, TypeString, TypeTextArea, TypePicklist, TypeCombobox, TypeEmail, TypePhone, TypeURL, TypeReference:
		return true
	}
	return false
}

// numeric reports whether the field holds a number.
func (f *Field) numeric() bool {
	switch f.Type {
	case TypeInt, TypeDouble, TypeCurrency, TypePercent:
		return true
	}
	return false
}

// filterable reports whether SOQL may filter on the field: long text areas
// may not be.
func (f *Field) filterable() bool { return !(f.Type == TypeTextArea && f.Length > 255) }

// nillable reports whether the field may be null.
func (f *Field) nillable() bool {
	if f.Type == TypeBoolean || f.Type == TypeID {
		return false
	}
	if f.access == readOnly {
		return f.Name != "CreatedDate" && f.Name != "LastModifiedDate" && f.Name != "SystemModstamp" &&
			f.Name != "CreatedById" && f.Name != "LastModifiedById"
	}
	return !f.Required
}

// indexed reports whether the store keeps a value index for the field.
func (f *Field) indexed() bool { return f.ExternalID || f.Unique }

// objectDef is an sObject's metadata: its fields and what the API may do.
type objectDef struct {
	Name   string
	Label  string
	Plural string
	Prefix string
	fields []*Field
	index  map[string]int // lower-case name → position in fields

	createable, updateable, deletable bool
	// owned objects have OwnerId; deletable ones have IsDeleted.
	owned bool

	// positions of the system fields, -1 when absent
	pID, pIsDeleted, pCreated, pCreatedBy, pModified, pModifiedBy, pModstamp, pOwner int
}

// field finds a field by name, ignoring case.
func (o *objectDef) field(name string) (*Field, int, bool) {
	i, ok := o.index[strings.ToLower(name)]
	if !ok {
		return nil, -1, false
	}
	return o.fields[i], i, true
}

// addField appends a field and indexes it.
func (o *objectDef) addField(f *Field) {
	o.index[strings.ToLower(f.Name)] = len(o.fields)
	o.fields = append(o.fields, f)
}

// pos returns a field's position, or -1.
func (o *objectDef) pos(name string) int {
	if i, ok := o.index[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// Field constructors for the standard objects.

func text(name, label string, n int) *Field {
	return &Field{Name: name, Label: label, Type: TypeString, Length: n}
}

func area(name, label string, n int) *Field {
	return &Field{Name: name, Label: label, Type: TypeTextArea, Length: n}
}

func typed(name, label string, t FieldType) *Field {
	f := &Field{Name: name, Label: label, Type: t}
	switch t {
	case TypeEmail:
		f.Length = 80
	case TypePhone:
		f.Length = 40
	case TypeURL:
		f.Length = 255
	case TypeCurrency:
		f.Precision, f.Scale = 18, 2
	case TypeDouble:
		f.Precision, f.Scale = 18, 0
	case TypePercent:
		f.Precision, f.Scale = 3, 0
	case TypeInt:
		f.Precision = 8
	}
	return f
}

func pick(name, label, def string, restricted bool, values ...string) *Field {
	return &Field{Name: name, Label: label, Type: TypePicklist, Length: 255, Values: values, Default: def, Restricted: restricted}
}

func ref(name, label, rel string, to ...string) *Field {
	return &Field{Name: name, Label: label, Type: TypeReference, Length: 18, ReferenceTo: to, relationshipName: rel}
}

func req(f *Field) *Field { f.Required = true; return f }

func uniq(f *Field) *Field { f.Unique = true; return f }

func ro(f *Field) *Field { f.access = readOnly; return f }

func calc(f *Field) *Field { f.access = readOnly; f.calculated = true; return f }

func nameOf(f *Field) *Field { f.nameField = true; return f }

// Picklist values shared by several objects.
var (
	sourceValues     = []string{"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}
	salutationValues = []string{"Mr.", "Ms.", "Mrs.", "Dr.", "Prof."}
	ratingValues     = []string{"Hot", "Warm", "Cold"}
	industryValues   = []string{"Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
		"Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment",
		"Environmental", "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance",
		"Machinery", "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping",
		"Technology", "Telecommunications", "Transportation", "Utilities", "Other"}
	activityTypeValues = []string{"Call", "Email", "Meeting", "Other"}
	leadStatusValues   = []string{"Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"}
	taskStatusValues   = []string{"Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"}
	taskPriorityValues = []string{"High", "Normal", "Low"}
	timeZoneValues     = []string{"America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
		"America/Sao_Paulo", "America/Mexico_City", "Europe/London", "Europe/Paris", "Europe/Madrid",
		"Europe/Stockholm", "Europe/Berlin", "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney", "GMT"}
	localeValues   = []string{"en_US", "en_GB", "fr_FR", "es_ES", "es_MX", "sv_SE", "de_DE", "ja_JP"}
	languageValues = []string{"en_US", "fr", "es", "sv", "de", "ja"}
)

// opportunityStages are the standard stages with their default
// probability, closed and won flags.
var opportunityStages = []struct {
	Name        string
	Probability float64
	Closed, Won bool
	Forecast    string
}{
	{"Prospecting", 10, false, false, "Pipeline"},
	{"Qualification", 10, false, false, "Pipeline"},
	{"Needs Analysis", 20, false, false, "Pipeline"},
	{"Value Proposition", 50, false, false, "Pipeline"},
	{"Id. Decision Makers", 60, false, false, "Pipeline"},
	{"Perception Analysis", 70, false, false, "Pipeline"},
	{"Proposal/Price Quote", 75, false, false, "Pipeline"},
	{"Negotiation/Review", 90, false, false, "Pipeline"},
	{"Closed Won", 100, true, true, "Closed"},
	{"Closed Lost", 0, true, false, "Omitted"},
}

func stageNames() []string {
	out := make([]string, len(opportunityStages))
	for i, s := range opportunityStages {
		out[i] = s.Name
	}
	return out
}

// The standard objects' names.
const (
	objUser        = "User"
	objProfile     = "Profile"
	objAccount     = "Account"
	objContact     = "Contact"
	objLead        = "Lead"
	objOpportunity = "Opportunity"
	objEvent       = "Event"
	objTask        = "Task"
	objAsset       = "Asset"
)

// standardObjects builds a fresh copy of the standard objects' metadata.
func standardObjects() []*objectDef {
	addr := func(prefix, label string) []*Field {
		return []*Field{
			area(prefix+"Street", label+" Street", 255), text(prefix+"City", label+" City", 40),
			text(prefix+"State", label+" State/Province", 80), text(prefix+"PostalCode", label+" Zip/Postal Code", 20),
			text(prefix+"Country", label+" Country", 80),
		}
	}
	leadAddr := []*Field{area("Street", "Street", 255), text("City", "City", 40), text("State", "State/Province", 80),
		text("PostalCode", "Zip/Postal Code", 20), text("Country", "Country", 80)}

	defs := []struct {
		name, label, plural, prefix string
		owned, deletable, writable  bool
		fields                      []*Field
	}{
		{objProfile, "Profile", "Profile", "00e", false, false, false, []*Field{
			nameOf(req(text("Name", "Name", 255))), pick("UserType", "User Type", "Standard", true, "Standard", "PowerPartner", "CsnOnly"),
			area("Description", "Description", 255),
		}},
		{objUser, "User", "Users", "005", false, false, true, []*Field{
			uniq(req(text("Username", "Username", 80))), req(text("LastName", "Last Name", 80)), text("FirstName", "First Name", 40),
			nameOf(calc(text("Name", "Full Name", 121))), req(text("Alias", "Alias", 8)),
			text("CommunityNickname", "Nickname", 40), req(typed("Email", "Email", TypeEmail)),
			typed("IsActive", "Active", TypeBoolean), text("Title", "Title", 80), text("Department", "Department", 80),
			text("CompanyName", "Company Name", 80), typed("Phone", "Phone", TypePhone), typed("MobilePhone", "Mobile", TypePhone),
			req(pick("TimeZoneSidKey", "Time Zone", "America/Los_Angeles", true, timeZoneValues...)),
			req(pick("LocaleSidKey", "Locale", "en_US", true, localeValues...)),
			req(pick("LanguageLocaleKey", "Language", "en_US", true, languageValues...)),
			req(pick("EmailEncodingKey", "Email Encoding", "UTF-8", true, "UTF-8", "ISO-8859-1")),
			req(ref("ProfileId", "Profile ID", "Profile", objProfile)), ref("ManagerId", "Manager ID", "Manager", objUser),
			ro(pick("UserType", "User Type", "Standard", true, "Standard", "PowerPartner", "CsnOnly")),
			ro(typed("LastLoginDate", "Last Login", TypeDateTime)),
			text("City", "City", 40), text("State", "State/Province", 80), text("Country", "Country", 80),
		}},
		{objAccount, "Account", "Accounts", "001", true, true, true, slices.Concat([]*Field{
			nameOf(req(text("Name", "Account Name", 255))), text("AccountNumber", "Account Number", 40),
			pick("Type", "Account Type", "", false, "Prospect", "Customer - Direct", "Customer - Channel",
				"Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"),
			pick("Industry", "Industry", "", false, industryValues...), pick("Rating", "Account Rating", "", false, ratingValues...),
			pick("AccountSource", "Account Source", "", false, sourceValues...),
			ref("ParentId", "Parent Account ID", "Parent", objAccount), typed("Phone", "Account Phone", TypePhone),
			typed("Fax", "Account Fax", TypePhone), typed("Website", "Website", TypeURL),
			typed("AnnualRevenue", "Annual Revenue", TypeCurrency), typed("NumberOfEmployees", "Employees", TypeInt),
			area("Description", "Account Description", 32000),
		}, addr("Billing", "Billing"), addr("Shipping", "Shipping"))},
		{objContact, "Contact", "Contacts", "003", true, true, true, slices.Concat([]*Field{
			ref("AccountId", "Account ID", "Account", objAccount),
			pick("Salutation", "Salutation", "", false, salutationValues...), text("FirstName", "First Name", 40),
			req(text("LastName", "Last Name", 80)), nameOf(calc(text("Name", "Full Name", 121))),
			text("Title", "Title", 128), text("Department", "Department", 80), typed("Email", "Email", TypeEmail),
			typed("Phone", "Business Phone", TypePhone), typed("MobilePhone", "Mobile Phone", TypePhone),
			typed("HomePhone", "Home Phone", TypePhone), typed("Fax", "Business Fax", TypePhone),
			typed("Birthdate", "Birthdate", TypeDate), pick("LeadSource", "Lead Source", "", false, sourceValues...),
			ref("ReportsToId", "Reports To ID", "ReportsTo", objContact), text("AssistantName", "Assistant's Name", 40),
			typed("HasOptedOutOfEmail", "Email Opt Out", TypeBoolean), area("Description", "Contact Description", 32000),
		}, addr("Mailing", "Mailing"))},
		{objLead, "Lead", "Leads", "00Q", true, true, true, slices.Concat([]*Field{
			pick("Salutation", "Salutation", "", false, salutationValues...), text("FirstName", "First Name", 40),
			req(text("LastName", "Last Name", 80)), nameOf(calc(text("Name", "Full Name", 121))),
			req(text("Company", "Company", 255)), text("Title", "Title", 128), typed("Email", "Email", TypeEmail),
			typed("Phone", "Phone", TypePhone), typed("MobilePhone", "Mobile Phone", TypePhone),
			typed("Website", "Website", TypeURL),
			req(pick("Status", "Status", "Open - Not Contacted", true, leadStatusValues...)),
			pick("LeadSource", "Lead Source", "", false, sourceValues...), pick("Industry", "Industry", "", false, industryValues...),
			pick("Rating", "Rating", "", false, ratingValues...), typed("AnnualRevenue", "Annual Revenue", TypeCurrency),
			typed("NumberOfEmployees", "Employees", TypeInt), typed("HasOptedOutOfEmail", "Email Opt Out", TypeBoolean),
			ro(typed("IsConverted", "Converted", TypeBoolean)), ro(typed("ConvertedDate", "Converted Date", TypeDate)),
			ro(ref("ConvertedAccountId", "Converted Account ID", "ConvertedAccount", objAccount)),
			ro(ref("ConvertedContactId", "Converted Contact ID", "ConvertedContact", objContact)),
			ro(ref("ConvertedOpportunityId", "Converted Opportunity ID", "ConvertedOpportunity", objOpportunity)),
			typed("IsUnreadByOwner", "Unread By Owner", TypeBoolean), area("Description", "Description", 32000),
		}, leadAddr)},
		{objOpportunity, "Opportunity", "Opportunities", "006", true, true, true, []*Field{
			ref("AccountId", "Account ID", "Account", objAccount), nameOf(req(text("Name", "Name", 120))),
			req(pick("StageName", "Stage", "", true, stageNames()...)), typed("Amount", "Amount", TypeCurrency),
			typed("Probability", "Probability (%)", TypePercent), req(typed("CloseDate", "Close Date", TypeDate)),
			pick("Type", "Opportunity Type", "", false, "Existing Customer - Upgrade", "Existing Customer - Replacement",
				"Existing Customer - Downgrade", "New Customer"),
			text("NextStep", "Next Step", 255), pick("LeadSource", "Lead Source", "", false, sourceValues...),
			calc(typed("IsClosed", "Closed", TypeBoolean)), calc(typed("IsWon", "Won", TypeBoolean)),
			pick("ForecastCategoryName", "Forecast Category", "", true, "Omitted", "Pipeline", "Best Case", "Commit", "Closed"),
			ref("ContactId", "Contact ID", "Contact", objContact), area("Description", "Description", 32000),
		}},
		{objEvent, "Event", "Events", "00U", true, true, true, []*Field{
			ref("WhoId", "Name ID", "Who", objContact, objLead), ref("WhatId", "Related To ID", "What", objAccount, objOpportunity),
			nameOf(&Field{Name: "Subject", Label: "Subject", Type: TypeCombobox, Length: 255, Values: []string{"Call", "Email", "Meeting", "Send Letter/Quote", "Other"}}),
			text("Location", "Location", 255), typed("IsAllDayEvent", "All-Day Event", TypeBoolean),
			typed("ActivityDateTime", "Due Date Time", TypeDateTime), typed("ActivityDate", "Due Date Only", TypeDate),
			typed("DurationInMinutes", "Duration", TypeInt), typed("StartDateTime", "Start Date Time", TypeDateTime),
			typed("EndDateTime", "End Date Time", TypeDateTime), typed("EndDate", "End Date Only", TypeDate),
			area("Description", "Description", 32000), calc(ref("AccountId", "Account ID", "Account", objAccount)),
			typed("IsPrivate", "Private", TypeBoolean),
			pick("ShowAs", "Show Time As", "Busy", true, "Busy", "OutOfOffice", "Free", "WorkingElsewhere"),
			pick("Type", "Type", "", false, activityTypeValues...),
			&Field{Name: "EventSubtype", Label: "Event Subtype", Type: TypePicklist, Length: 40, Values: []string{"Event"}, Default: "Event", Restricted: true, access: createOnly},
		}},
		{objTask, "Task", "Tasks", "00T", true, true, true, []*Field{
			ref("WhoId", "Name ID", "Who", objContact, objLead), ref("WhatId", "Related To ID", "What", objAccount, objOpportunity),
			nameOf(&Field{Name: "Subject", Label: "Subject", Type: TypeCombobox, Length: 255, Values: []string{"Call", "Send Letter", "Send Quote", "Other"}}),
			typed("ActivityDate", "Due Date Only", TypeDate),
			req(pick("Status", "Status", "Not Started", true, taskStatusValues...)),
			req(pick("Priority", "Priority", "Normal", true, taskPriorityValues...)),
			calc(typed("IsHighPriority", "High Priority", TypeBoolean)), calc(typed("IsClosed", "Closed", TypeBoolean)),
			area("Description", "Description", 32000), calc(ref("AccountId", "Account ID", "Account", objAccount)),
			pick("Type", "Type", "", false, activityTypeValues...),
			&Field{Name: "TaskSubtype", Label: "Task Subtype", Type: TypePicklist, Length: 40, Values: []string{"Task", "Email", "ListEmail", "Cadence", "Call"}, Default: "Task", Restricted: true, access: createOnly},
			ro(typed("CompletedDateTime", "Completed Date/Time", TypeDateTime)),
			typed("IsReminderSet", "Reminder Set", TypeBoolean), typed("ReminderDateTime", "Reminder Date/Time", TypeDateTime),
		}},
		{objAsset, "Asset", "Assets", "02i", true, true, true, []*Field{
			ref("AccountId", "Account ID", "Account", objAccount), ref("ContactId", "Contact ID", "Contact", objContact),
			nameOf(req(text("Name", "Asset Name", 255))), text("SerialNumber", "Serial Number", 80),
			pick("Status", "Status", "", false, "Purchased", "Shipped", "Installed", "Registered", "Obsolete"),
			typed("Price", "Price", TypeCurrency), typed("Quantity", "Quantity", TypeDouble),
			typed("PurchaseDate", "Purchase Date", TypeDate), typed("InstallDate", "Install Date", TypeDate),
			area("Description", "Description", 32000),
		}},
	}

	out := make([]*objectDef, 0, len(defs))
	for _, d := range defs {
		o := &objectDef{Name: d.name, Label: d.label, Plural: d.plural, Prefix: d.prefix, index: map[string]int{},
			createable: d.writable, updateable: d.writable, deletable: d.deletable, owned: d.owned}
		o.addField(&Field{Name: "Id", Label: d.label + " ID", Type: TypeID, Length: 18, access: readOnly})
		if d.owned {
			o.addField(req(ref("OwnerId", "Owner ID", "Owner", objUser)))
		}
		if d.deletable {
			o.addField(ro(typed("IsDeleted", "Deleted", TypeBoolean)))
		}
		for _, f := range d.fields {
			o.addField(f)
		}
		o.addField(ro(typed("CreatedDate", "Created Date", TypeDateTime)))
		o.addField(ro(ref("CreatedById", "Created By ID", "CreatedBy", objUser)))
		o.addField(ro(typed("LastModifiedDate", "Last Modified Date", TypeDateTime)))
		o.addField(ro(ref("LastModifiedById", "Last Modified By ID", "LastModifiedBy", objUser)))
		o.addField(ro(typed("SystemModstamp", "System Modstamp", TypeDateTime)))
		o.pID, o.pIsDeleted, o.pOwner = o.pos("Id"), o.pos("IsDeleted"), o.pos("OwnerId")
		o.pCreated, o.pCreatedBy = o.pos("CreatedDate"), o.pos("CreatedById")
		o.pModified, o.pModifiedBy, o.pModstamp = o.pos("LastModifiedDate"), o.pos("LastModifiedById"), o.pos("SystemModstamp")
		out = append(out, o)
	}
	return out
}

var customName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*__c$`)

// normalizeCustomField checks a custom field definition against the
// objects it may reference and fills in its defaults.
func normalizeCustomField(f Field, objectExists func(string) (string, bool)) (*Field, error) {
	if !customName.MatchString(f.Name) {
		return nil, fmt.Errorf("field name %q: a custom field's name is letters, digits and single underscores, ending in __c", f.Name)
	}
	if len(f.Name) > 43 {
		return nil, fmt.Errorf("field name %q: longer than 40 characters before __c", f.Name)
	}
	if f.Label == "" {
		f.Label = strings.ReplaceAll(strings.TrimSuffix(f.Name, "__c"), "_", " ")
	}
	switch f.Type {
	case TypeString, TypeURL, TypeCombobox:
		if f.Length == 0 {
			f.Length = 255
		}
		if f.Length < 1 || f.Length > 255 {
			return nil, fmt.Errorf("field %s: length %d out of range 1..255", f.Name, f.Length)
		}
	case TypePicklist:
		if len(f.Values) == 0 {
			return nil, fmt.Errorf("field %s: a picklist needs values", f.Name)
		}
		if f.Length == 0 {
			f.Length = 255
		}
		if f.Default != "" && !slices.Contains(f.Values, f.Default) {
			return nil, fmt.Errorf("field %s: default %q is not one of its values", f.Name, f.Default)
		}
	case TypeTextArea:
		if f.Length == 0 {
			f.Length = 32768
		}
		if f.Length < 1 || f.Length > 131072 {
			return nil, fmt.Errorf("field %s: length %d out of range 1..131072", f.Name, f.Length)
		}
	case TypeEmail:
		f.Length = 80
	case TypePhone:
		f.Length = 40
	case TypeBoolean:
		if f.Default != "" && f.Default != "true" && f.Default != "false" {
			return nil, fmt.Errorf("field %s: a boolean's default is true or false", f.Name)
		}
		f.Required = false
	case TypeDouble, TypeCurrency, TypePercent, TypeInt:
		if f.Precision == 0 {
			f.Precision = 18
		}
		if f.Scale == 0 && f.Type == TypeCurrency {
			f.Scale = 2
		}
		if f.Precision < 1 || f.Precision > 18 || f.Scale < 0 || f.Scale > f.Precision {
			return nil, fmt.Errorf("field %s: precision %d and scale %d out of range", f.Name, f.Precision, f.Scale)
		}
	case TypeDate, TypeDateTime:
	case TypeReference:
		if len(f.ReferenceTo) == 0 {
			return nil, fmt.Errorf("field %s: a reference needs reference_to", f.Name)
		}
		for i, o := range f.ReferenceTo {
			name, ok := objectExists(o)
			if !ok {
				return nil, fmt.Errorf("field %s: no object %q to reference", f.Name, o)
			}
			f.ReferenceTo[i] = name
		}
		f.Length = 18
		f.relationshipName = strings.TrimSuffix(f.Name, "__c") + "__r"
	default:
		return nil, fmt.Errorf("field %s: unknown type %q", f.Name, f.Type)
	}
	if (f.ExternalID || f.Unique) && !slices.Contains([]FieldType{TypeString, TypeEmail, TypeInt, TypeDouble}, f.Type) {
		return nil, fmt.Errorf("field %s: only string, email and number fields may be external ids or unique", f.Name)
	}
	if f.Type != TypeBoolean && f.Type != TypePicklist && f.Default != "" {
		return nil, fmt.Errorf("field %s: only picklists and booleans take a default here", f.Name)
	}
	f.access = readWrite
	f.calculated = false
	f.nameField = false
	return &f, nil
}
