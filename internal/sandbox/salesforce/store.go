package salesforce

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The store holds the org's records in memory. A record is immutable once
// stored: a write replaces it with a new one, so a query cursor or a bulk
// job keeps a consistent snapshot by holding the pointers it matched.

// record is one sObject row. vals is indexed by field position; a field
// added after the record was stored reads as null.
type record struct {
	id        string
	vals      []any
	deleted   bool
	deletedAt time.Time
}

// get returns the value at field position i, or nil.
func (r *record) get(i int) any {
	if i >= 0 && i < len(r.vals) {
		return r.vals[i]
	}
	return nil
}

// clone copies r with room for n fields.
func (r *record) clone(n int) *record {
	c := *r
	c.vals = make([]any, n)
	copy(c.vals, r.vals)
	return &c
}

// table is one object's records in creation order.
type table struct {
	// name and prefix never change, so they may be read without the lock;
	// obj is replaced when a field is added.
	name   string
	prefix string
	obj    *objectDef
	rows   []*record
	pos    map[string]int
	// idx maps an indexed field's position to its live records by value.
	idx  map[int]map[string][]string
	next uint64
}

func newTable(o *objectDef) *table {
	t := &table{name: o.Name, prefix: o.Prefix, obj: o, pos: map[string]int{}, idx: map[int]map[string][]string{}}
	for i, f := range o.fields {
		if f.indexed() {
			t.idx[i] = map[string][]string{}
		}
	}
	return t
}

// indexKey normalizes a value for an index lookup.
func indexKey(f *Field, v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		if f.CaseSensitive {
			return v, true
		}
		return strings.ToLower(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return fmt.Sprint(v), true
}

func (t *table) index(r *record) {
	if r.deleted {
		return
	}
	for i, m := range t.idx {
		if k, ok := indexKey(t.obj.fields[i], r.get(i)); ok {
			m[k] = append(m[k], r.id)
		}
	}
}

func (t *table) unindex(r *record) {
	if r.deleted {
		return
	}
	for i, m := range t.idx {
		if k, ok := indexKey(t.obj.fields[i], r.get(i)); ok {
			ids := slices.DeleteFunc(m[k], func(id string) bool { return id == r.id })
			if len(ids) == 0 {
				delete(m, k)
			} else {
				m[k] = ids
			}
		}
	}
}

// lookup returns the live records whose indexed field i equals v.
func (t *table) lookup(i int, v any) []string {
	m, ok := t.idx[i]
	if !ok {
		return nil
	}
	k, ok := indexKey(t.obj.fields[i], v)
	if !ok {
		return nil
	}
	return m[k]
}

func (t *table) get(id string) (*record, bool) {
	p, ok := t.pos[id]
	if !ok {
		return nil, false
	}
	return t.rows[p], true
}

func (t *table) append(r *record) {
	t.pos[r.id] = len(t.rows)
	t.rows = append(t.rows, r)
	t.index(r)
}

func (t *table) replace(p int, r *record) {
	t.unindex(t.rows[p])
	t.rows[p] = r
	t.index(r)
}

// truncate removes the last row (the undo of append).
func (t *table) truncate() {
	last := t.rows[len(t.rows)-1]
	t.unindex(last)
	delete(t.pos, last.id)
	t.rows = t.rows[:len(t.rows)-1]
}

func (t *table) newID() string {
	t.next++
	return makeID(t.obj.Prefix, t.next)
}

// txn is an undo log: a write that must be all or nothing records each step
// and rolls them back in reverse on failure.
type txn struct{ steps []undoStep }

type undoStep struct {
	t   *table
	pos int
	old *record // nil: the step appended a row
}

func (tx *txn) rollback() {
	for i := len(tx.steps) - 1; i >= 0; i-- {
		s := tx.steps[i]
		if s.old == nil {
			s.t.truncate()
		} else {
			s.t.replace(s.pos, s.old)
		}
	}
	tx.steps = nil
}

// store is the org's data: the objects' metadata and their tables.
type store struct {
	mu      sync.RWMutex
	objects []*objectDef // describeGlobal order
	tables  map[string]*table
	prefix  map[string]*table
}

func newStore() *store {
	st := &store{tables: map[string]*table{}, prefix: map[string]*table{}}
	for _, o := range standardObjects() {
		st.objects = append(st.objects, o)
		t := newTable(o)
		st.tables[strings.ToLower(o.Name)] = t
		st.prefix[o.Prefix] = t
	}
	return st
}

// table finds an object's table by name, ignoring case.
func (st *store) table(name string) (*table, bool) {
	t, ok := st.tables[strings.ToLower(name)]
	return t, ok
}

// objectName returns the canonical name of an object, for schema checks.
func (st *store) objectName(name string) (string, bool) {
	t, ok := st.table(name)
	if !ok {
		return "", false
	}
	return t.obj.Name, true
}

// addField adds a custom field to an object. Existing records read it as
// null. The caller holds the write lock.
func (st *store) addField(object string, f Field) (*Field, error) {
	t, ok := st.table(object)
	if !ok {
		return nil, fmt.Errorf("no object %q", object)
	}
	nf, err := normalizeCustomField(f, st.objectName)
	if err != nil {
		return nil, err
	}
	if _, _, exists := t.obj.field(nf.Name); exists {
		return nil, fmt.Errorf("%s already has a field %s", t.obj.Name, nf.Name)
	}
	// Copy the metadata so that describe answers already built keep theirs.
	o := *t.obj
	o.fields = slices.Clone(o.fields)
	o.index = make(map[string]int, len(t.obj.index)+1)
	for k, v := range t.obj.index {
		o.index[k] = v
	}
	o.addField(nf)
	for i, old := range st.objects {
		if old == t.obj {
			st.objects[i] = &o
		}
	}
	t.obj = &o
	if nf.indexed() {
		t.idx[len(o.fields)-1] = map[string][]string{}
	}
	return nf, nil
}

// find returns a record by id from whichever table its prefix names.
func (st *store) find(id string) (*table, *record, bool) {
	t, ok := st.prefix[idPrefix(id)]
	if !ok {
		return nil, nil, false
	}
	r, ok := t.get(id)
	return t, r, ok
}

// apiError is an error as Salesforce reports it: an HTTP status, an error
// code, a message and the fields concerned.
type apiError struct {
	status  int
	code    string
	message string
	fields  []string
	// request marks an error that fails a whole collection request rather
	// than one of its records (a malformed body, an unknown field).
	request bool
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func fieldError(code string, f *Field, format string, args ...any) *apiError {
	return &apiError{status: 400, code: code, message: fmt.Sprintf(format, args...), fields: []string{f.Name}}
}

// writer says who writes and when.
type writer struct {
	user string
	now  time.Time
	// admin is the act-as-user surface: it may also set the audit fields
	// (CreatedDate, LastModifiedDate, SystemModstamp, CreatedById,
	// LastModifiedById), to backdate records.
	admin bool
}

// auditFields may be set by the admin surface only.
var auditFields = map[string]bool{"CreatedDate": true, "LastModifiedDate": true, "SystemModstamp": true,
	"CreatedById": true, "LastModifiedById": true}

// input is one record's fields as a client sent them, resolved against the
// object's metadata.
type input struct {
	pos  []int
	vals []any
	id   string // the Id the body carried, if any
}

// resolve maps a request body's keys to fields, ignoring "attributes", and
// coerces the values. Unknown fields and values of the wrong type fail the
// whole request, as Salesforce's JSON parser does.
func resolve(o *objectDef, body map[string]any) (input, *apiError) {
	var in input
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "attributes" {
			continue
		}
		f, p, ok := o.field(k)
		if !ok {
			return in, &apiError{status: 400, code: "INVALID_FIELD", request: true,
				message: fmt.Sprintf("No such column '%s' on sobject of type %s", k, o.Name)}
		}
		if f.Type == TypeID {
			s, _ := body[k].(string)
			in.id = s
			continue
		}
		v, err := coerce(f, body[k])
		if err != nil {
			return in, err
		}
		in.pos = append(in.pos, p)
		in.vals = append(in.vals, v)
	}
	return in, nil
}

// Datetime formats accepted on input, most specific first.
var datetimeLayouts = []string{
	"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano,
	"2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00",
}

func parseDateTime(s string) (time.Time, bool) {
	for _, l := range datetimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Truncate(time.Second), true
		}
	}
	return time.Time{}, false
}

// coerce converts a JSON (or CSV) value to the field's stored form:
// string, float64, bool, time.Time (datetime) or a "YYYY-MM-DD" string
// (date). An empty string is null, as in Salesforce.
func coerce(f *Field, raw any) (any, *apiError) {
	bad := func() *apiError {
		return &apiError{status: 400, code: "JSON_PARSER_ERROR", request: true, fields: []string{f.Name},
			message: fmt.Sprintf("Cannot deserialize instance of %s from VALUE_STRING value %v or request may be missing a required field", f.Type, raw)}
	}
	if raw == nil {
		return nil, nil
	}
	if s, ok := raw.(string); ok && s == "" {
		return nil, nil
	}
	switch f.Type {
	case TypeBoolean:
		switch v := raw.(type) {
		case bool:
			return v, nil
		case string:
			if b, err := strconv.ParseBool(strings.ToLower(v)); err == nil {
				return b, nil
			}
		}
		return nil, bad()
	case TypeInt, TypeDouble, TypeCurrency, TypePercent:
		var x float64
		switch v := raw.(type) {
		case json.Number:
			n, err := v.Float64()
			if err != nil {
				return nil, bad()
			}
			x = n
		case float64:
			x = v
		case int:
			x = float64(v)
		case int64:
			x = float64(v)
		case string:
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return nil, bad()
			}
			x = n
		default:
			return nil, bad()
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, bad()
		}
		if f.Type == TypeInt && x != math.Trunc(x) {
			return nil, bad()
		}
		return x, nil
	case TypeDate:
		switch v := raw.(type) {
		case time.Time:
			return v.UTC().Format(time.DateOnly), nil
		case string:
			if d, err := time.Parse(time.DateOnly, v); err == nil {
				return d.Format(time.DateOnly), nil
			}
			if t, ok := parseDateTime(v); ok {
				return t.Format(time.DateOnly), nil
			}
		}
		return nil, bad()
	case TypeDateTime:
		switch v := raw.(type) {
		case time.Time:
			return v.UTC().Truncate(time.Second), nil
		case string:
			if t, ok := parseDateTime(v); ok {
				return t, nil
			}
		}
		return nil, bad()
	default:
		switch v := raw.(type) {
		case string:
			return v, nil
		case json.Number:
			return v.String(), nil
		case bool:
			return strconv.FormatBool(v), nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		case int:
			return strconv.Itoa(v), nil
		}
		return nil, bad()
	}
}

// checkValue validates one coerced value against the field's constraints.
func (st *store) checkValue(f *Field, v any) *apiError {
	if v == nil {
		return nil
	}
	switch f.Type {
	case TypeString, TypeTextArea, TypeCombobox, TypePhone, TypeURL, TypeEmail, TypePicklist:
		s := v.(string)
		if n := utf8.RuneCountInString(s); f.Length > 0 && n > f.Length {
			return fieldError("STRING_TOO_LONG", f, "%s: data value too large: %s (max length=%d)", f.Label, truncate(s, 40), f.Length)
		}
		if f.Type == TypeEmail {
			if a, err := mail.ParseAddress(s); err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
				return fieldError("INVALID_EMAIL_ADDRESS", f, "%s: invalid email address: %s", f.Label, s)
			}
		}
		if f.Type == TypePicklist && f.Restricted && !slices.Contains(f.Values, s) {
			return fieldError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f, "%s: bad value for restricted picklist field: %s", f.Label, s)
		}
	case TypeInt, TypeDouble, TypeCurrency, TypePercent:
		x := v.(float64)
		if limit := math.Pow10(f.Precision - f.Scale); f.Precision > 0 && math.Abs(x) >= limit {
			return fieldError("NUMBER_OUTSIDE_VALID_RANGE", f, "%s: value outside of valid range on numeric field: %v", f.Label, x)
		}
	case TypeReference:
		s := v.(string)
		id, ok := normalizeID(s)
		if !ok {
			return fieldError("MALFORMED_ID", f, "%s: id value of incorrect type: %s", f.Label, s)
		}
		t, r, ok := st.find(id)
		if t == nil || !slices.Contains(f.ReferenceTo, t.obj.Name) {
			return fieldError("FIELD_INTEGRITY_EXCEPTION", f, "%s: id value of incorrect type: %s", f.Label, s)
		}
		if !ok || r.deleted {
			return fieldError("INVALID_CROSS_REFERENCE_KEY", f, "invalid cross reference id")
		}
		if t.obj.Name == objUser && f.Name == "OwnerId" {
			if active, _ := r.get(t.obj.pos("IsActive")).(bool); !active {
				return fieldError("INACTIVE_OWNER_OR_USER", f, "owner or user is inactive.")
			}
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}

// insert creates a record. The caller holds the write lock.
func (st *store) insert(t *table, in input, w writer, tx *txn) (*record, *apiError) {
	o := t.obj
	if !o.createable && !w.admin {
		return nil, errorf(400, "INVALID_TYPE_FOR_OPERATION", "entity type %s does not support create", o.Name)
	}
	if in.id != "" {
		return nil, &apiError{status: 400, code: "INVALID_FIELD_FOR_INSERT_UPDATE", message: "cannot specify Id in an insert call", fields: []string{"Id"}}
	}
	r := &record{id: t.newID(), vals: make([]any, len(o.fields))}
	if err := st.assign(o, r, in, w, true); err != nil {
		return nil, err
	}
	now := w.now.UTC().Truncate(time.Second)
	setDefault := func(p int, v any) {
		if p >= 0 && r.vals[p] == nil {
			r.vals[p] = v
		}
	}
	r.vals[o.pID] = r.id
	by := w.user
	if by == "" {
		by = r.id // the org's first user creates itself
	}
	// Boxed once, shared by the fields that hold the same value.
	var nowV, byV any = now, by
	setDefault(o.pCreated, nowV)
	setDefault(o.pModified, nowV)
	setDefault(o.pModstamp, nowV)
	setDefault(o.pCreatedBy, byV)
	setDefault(o.pModifiedBy, byV)
	setDefault(o.pOwner, byV)
	if o.pIsDeleted >= 0 {
		r.vals[o.pIsDeleted] = false
	}
	for i, f := range o.fields {
		if r.vals[i] != nil {
			continue
		}
		switch {
		case f.Type == TypeBoolean:
			r.vals[i] = f.Default == "true"
		case f.Type == TypePicklist && f.Default != "":
			r.vals[i] = f.Default
		}
	}
	if err := st.finish(t, r, nil, in, w); err != nil {
		return nil, err
	}
	if tx != nil {
		tx.steps = append(tx.steps, undoStep{t: t, pos: len(t.rows)})
	}
	t.append(r)
	return r, nil
}

// update changes a record. The caller holds the write lock.
func (st *store) update(t *table, id string, in input, w writer, tx *txn) (*record, *apiError) {
	o := t.obj
	if !o.updateable && !w.admin {
		return nil, errorf(400, "INVALID_TYPE_FOR_OPERATION", "entity type %s does not support update", o.Name)
	}
	p, ok := t.pos[id]
	if !ok {
		return nil, errorf(404, "NOT_FOUND", "The requested resource does not exist")
	}
	old := t.rows[p]
	if old.deleted {
		return nil, errorf(404, "ENTITY_IS_DELETED", "entity is deleted")
	}
	if in.id != "" {
		if n, ok := normalizeID(in.id); !ok || n != id {
			return nil, &apiError{status: 400, code: "INVALID_FIELD", message: "Id in the body does not match the record being updated", fields: []string{"Id"}}
		}
	}
	r := old.clone(len(o.fields))
	if err := st.assign(o, r, in, w, false); err != nil {
		return nil, err
	}
	now := w.now.UTC().Truncate(time.Second)
	set := func(p int, v any) {
		if p >= 0 && !in.has(p) {
			r.vals[p] = v
		}
	}
	var nowV any = now
	set(o.pModified, nowV)
	set(o.pModstamp, nowV)
	set(o.pModifiedBy, w.user)
	if err := st.finish(t, r, old, in, w); err != nil {
		return nil, err
	}
	if tx != nil {
		tx.steps = append(tx.steps, undoStep{t: t, pos: p, old: old})
	}
	t.replace(p, r)
	return r, nil
}

// remove moves a record to the recycle bin. The caller holds the write
// lock.
func (st *store) remove(t *table, id string, w writer, tx *txn) *apiError {
	o := t.obj
	if !o.deletable {
		return errorf(400, "INVALID_TYPE_FOR_OPERATION", "entity type %s cannot be deleted", o.Name)
	}
	p, ok := t.pos[id]
	if !ok {
		return errorf(404, "NOT_FOUND", "The requested resource does not exist")
	}
	old := t.rows[p]
	if old.deleted {
		return errorf(404, "ENTITY_IS_DELETED", "entity is deleted")
	}
	r := old.clone(len(o.fields))
	now := w.now.UTC().Truncate(time.Second)
	r.deleted, r.deletedAt = true, now
	r.vals[o.pIsDeleted] = true
	r.vals[o.pModstamp] = now
	if tx != nil {
		tx.steps = append(tx.steps, undoStep{t: t, pos: p, old: old})
	}
	t.replace(p, r)
	return nil
}

func (in input) has(p int) bool { return slices.Contains(in.pos, p) }

// value returns the value the input sets at position p, if it sets one.
func (in input) value(p int) (any, bool) {
	for i, q := range in.pos {
		if q == p {
			return in.vals[i], true
		}
	}
	return nil, false
}

// assign checks write access and constraints and copies the input's values
// into r.
func (st *store) assign(o *objectDef, r *record, in input, w writer, create bool) *apiError {
	var denied []string
	for i, p := range in.pos {
		f := o.fields[p]
		writable := f.access == readWrite || (create && f.access == createOnly) || (w.admin && auditFields[f.Name])
		if !writable {
			denied = append(denied, f.Name)
			continue
		}
		v := in.vals[i]
		if f.Type == TypeReference && v != nil {
			if id, ok := normalizeID(v.(string)); ok {
				v = id
			}
		}
		if err := st.checkValue(f, v); err != nil {
			return err
		}
		r.vals[p] = v
	}
	if len(denied) > 0 {
		return &apiError{status: 400, code: "INVALID_FIELD_FOR_INSERT_UPDATE", fields: denied,
			message: fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", strings.Join(denied, ", "))}
	}
	return nil
}

// finish computes the derived fields and checks required and unique ones.
func (st *store) finish(t *table, r, old *record, in input, w writer) *apiError {
	o := t.obj
	if err := st.derive(o, r, old, in, w); err != nil {
		return err
	}
	var missing []string
	for i, f := range o.fields {
		if f.Required && r.vals[i] == nil {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return &apiError{status: 400, code: "REQUIRED_FIELD_MISSING", fields: missing,
			message: fmt.Sprintf("Required fields are missing: [%s]", strings.Join(missing, ", "))}
	}
	for i := range t.idx {
		f := o.fields[i]
		if !f.Unique {
			continue
		}
		for _, other := range t.lookup(i, r.vals[i]) {
			if other != r.id {
				return fieldError("DUPLICATE_VALUE", f, "duplicate value found: %s duplicates value on record with id: %s", f.Name, other)
			}
		}
	}
	return nil
}

// derive keeps the calculated and dependent standard fields consistent, as
// Salesforce's own logic does.
func (st *store) derive(o *objectDef, r, old *record, in input, w writer) *apiError {
	str := func(name string) string { s, _ := r.get(o.pos(name)).(string); return s }
	set := func(name string, v any) {
		if p := o.pos(name); p >= 0 {
			r.vals[p] = v
		}
	}
	changed := func(name string) bool { return in.has(o.pos(name)) }
	switch o.Name {
	case objUser, objContact, objLead:
		set("Name", strings.TrimSpace(str("FirstName")+" "+str("LastName")))
	}
	switch o.Name {
	case objOpportunity:
		for _, s := range opportunityStages {
			if s.Name != str("StageName") {
				continue
			}
			set("IsClosed", s.Closed)
			set("IsWon", s.Won)
			if old == nil || changed("StageName") {
				if !changed("Probability") {
					set("Probability", s.Probability)
				}
				if !changed("ForecastCategoryName") {
					set("ForecastCategoryName", s.Forecast)
				}
			}
		}
	case objTask:
		closed := str("Status") == "Completed"
		wasClosed := old != nil && old.get(o.pos("IsClosed")) == true
		set("IsClosed", closed)
		set("IsHighPriority", str("Priority") == "High")
		switch {
		case closed && !wasClosed:
			set("CompletedDateTime", w.now.UTC().Truncate(time.Second))
		case !closed:
			set("CompletedDateTime", nil)
		}
		set("AccountId", st.accountOf(r, o))
	case objEvent:
		if err := st.deriveEvent(o, r, in); err != nil {
			return err
		}
		set("AccountId", st.accountOf(r, o))
	}
	return nil
}

// deriveEvent keeps an Event's start, end, duration and date fields in
// step: the fields the input set win over the ones derived from them.
func (st *store) deriveEvent(o *objectDef, r *record, in input) *apiError {
	p := o.pos
	tm := func(name string) (time.Time, bool) { t, ok := r.get(p(name)).(time.Time); return t, ok }
	if in.has(p("ActivityDateTime")) && !in.has(p("StartDateTime")) {
		r.vals[p("StartDateTime")] = r.vals[p("ActivityDateTime")]
	}
	start, ok := tm("StartDateTime")
	allDay, _ := r.get(p("IsAllDayEvent")).(bool)
	if !ok && allDay {
		if d, ok := r.get(p("ActivityDate")).(string); ok {
			start, _ = time.Parse(time.DateOnly, d)
			r.vals[p("StartDateTime")] = start
		}
	}
	if start.IsZero() {
		return &apiError{status: 400, code: "REQUIRED_FIELD_MISSING", fields: []string{"StartDateTime"},
			message: "Required fields are missing: [StartDateTime]"}
	}
	r.vals[p("ActivityDateTime")] = start
	r.vals[p("ActivityDate")] = start.Format(time.DateOnly)
	end, hasEnd := tm("EndDateTime")
	dur, hasDur := r.get(p("DurationInMinutes")).(float64)
	switch {
	case in.has(p("StartDateTime")) && !in.has(p("EndDateTime")) && !in.has(p("DurationInMinutes")) && hasDur:
		// Moving the start keeps the duration, as in Salesforce.
		end, hasEnd = start.Add(time.Duration(dur)*time.Minute), true
	case in.has(p("DurationInMinutes")) && !in.has(p("EndDateTime")) && hasDur:
		end, hasEnd = start.Add(time.Duration(dur)*time.Minute), true
	case hasEnd:
	case hasDur:
		end, hasEnd = start.Add(time.Duration(dur)*time.Minute), true
	case allDay:
		end, hasEnd = start.Add(24*time.Hour), true
	}
	if !hasEnd {
		return &apiError{status: 400, code: "REQUIRED_FIELD_MISSING", fields: []string{"DurationInMinutes"},
			message: "Required fields are missing: [DurationInMinutes]"}
	}
	if end.Before(start) {
		return &apiError{status: 400, code: "FIELD_INTEGRITY_EXCEPTION", fields: []string{"EndDateTime"},
			message: "End Date Time: End time can't be before start time"}
	}
	if end.Sub(start) > 14*24*time.Hour {
		return &apiError{status: 400, code: "FIELD_INTEGRITY_EXCEPTION", fields: []string{"DurationInMinutes"},
			message: "Event duration cannot exceed 14 days"}
	}
	r.vals[p("EndDateTime")] = end
	r.vals[p("EndDate")] = end.Format(time.DateOnly)
	r.vals[p("DurationInMinutes")] = math.Round(end.Sub(start).Minutes())
	return nil
}

// accountOf derives an activity's AccountId from WhatId, else from the
// WhoId contact's account.
func (st *store) accountOf(r *record, o *objectDef) any {
	for _, name := range []string{"WhatId", "WhoId"} {
		id, _ := r.get(o.pos(name)).(string)
		if id == "" {
			continue
		}
		t, rec, ok := st.find(id)
		if !ok {
			continue
		}
		switch t.obj.Name {
		case objAccount:
			return rec.id
		case objOpportunity, objContact:
			if a, ok := rec.get(t.obj.pos("AccountId")).(string); ok {
				return a
			}
		}
	}
	return nil
}

// Formatting of stored values on the wire.

const (
	// jsonDateTime is how Salesforce writes datetimes in JSON.
	jsonDateTime = "2006-01-02T15:04:05.000-0700"
	// csvDateTime is how Bulk API 2.0 writes them in CSV.
	csvDateTime = "2006-01-02T15:04:05.000Z"
)

// appendJSONValue writes v, stored in field f, as JSON.
func appendJSONValue(b []byte, f *Field, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case float64:
		if f.Type == TypeInt {
			return strconv.AppendInt(b, int64(v), 10)
		}
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return append(strconv.AppendInt(b, int64(v), 10), ".0"...)
		}
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	case time.Time:
		return append(append(append(b, '"'), v.UTC().Format(jsonDateTime)...), '"')
	}
	return appendJSONString(b, fmt.Sprint(v))
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// csvValue renders a stored value for a Bulk API CSV cell.
func csvValue(f *Field, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if f.Type == TypeInt {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		return v.UTC().Format(csvDateTime)
	}
	return fmt.Sprint(v)
}
