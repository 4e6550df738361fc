package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file serves the sObject resources: describeGlobal, describe, basic
// information, rows (create, get, update, delete), rows by external id
// (upsert), getUpdated and getDeleted, sObject Collections, and the
// Composite resource.

// serveSObjects routes sobjects/...
func (s *Server) serveSObjects(c *call) {
	segs := c.segs
	if len(segs) == 1 {
		if allow(c, http.MethodGet) {
			s.serveDescribeGlobal(c)
		}
		return
	}
	st := c.st
	st.mu.RLock()
	t, ok := st.table(segs[1])
	st.mu.RUnlock()
	if !ok {
		writeErrors(c.w, c.r, errorf(404, "NOT_FOUND", "The requested resource does not exist"))
		return
	}
	switch len(segs) {
	case 2:
		if !allow(c, http.MethodGet, http.MethodPost) {
			return
		}
		if c.r.Method == http.MethodPost {
			s.createRecord(c, t)
			return
		}
		s.serveBasicInfo(c, t)
	case 3:
		switch segs[2] {
		case "describe":
			if allow(c, http.MethodGet) {
				s.serveDescribe(c, t)
			}
		case "updated":
			if allow(c, http.MethodGet) {
				s.serveUpdated(c, t)
			}
		case "deleted":
			if allow(c, http.MethodGet) {
				s.serveDeleted(c, t)
			}
		default:
			if strings.EqualFold(segs[2], "Id") && c.r.Method == http.MethodPost {
				s.createRecord(c, t)
				return
			}
			s.serveRow(c, t, segs[2])
		}
	case 4:
		if segs[2] == "describe" {
			writeErrors(c.w, c.r, errNotFound())
			return
		}
		s.serveRowByExternalID(c, t, segs[2], segs[3])
	default:
		writeErrors(c.w, c.r, errNotFound())
	}
}

// objectSummary is an object's entry in describeGlobal and the head of its
// describe.
type objectSummary struct {
	Activateable        bool              `json:"activateable"`
	Createable          bool              `json:"createable"`
	Custom              bool              `json:"custom"`
	CustomSetting       bool              `json:"customSetting"`
	DeepCloneable       bool              `json:"deepCloneable"`
	Deletable           bool              `json:"deletable"`
	DeprecatedAndHidden bool              `json:"deprecatedAndHidden"`
	FeedEnabled         bool              `json:"feedEnabled"`
	HasSubtypes         bool              `json:"hasSubtypes"`
	IsInterface         bool              `json:"isInterface"`
	IsSubtype           bool              `json:"isSubtype"`
	KeyPrefix           string            `json:"keyPrefix"`
	Label               string            `json:"label"`
	LabelPlural         string            `json:"labelPlural"`
	Layoutable          bool              `json:"layoutable"`
	Mergeable           bool              `json:"mergeable"`
	MruEnabled          bool              `json:"mruEnabled"`
	Name                string            `json:"name"`
	Queryable           bool              `json:"queryable"`
	Replicateable       bool              `json:"replicateable"`
	Retrieveable        bool              `json:"retrieveable"`
	Searchable          bool              `json:"searchable"`
	Triggerable         bool              `json:"triggerable"`
	Undeletable         bool              `json:"undeletable"`
	Updateable          bool              `json:"updateable"`
	URLs                map[string]string `json:"urls"`
}

func summarize(o *objectDef, base string) objectSummary {
	sob := base + "/sobjects/" + o.Name
	return objectSummary{
		Createable: o.createable, Deletable: o.deletable, FeedEnabled: o.owned, KeyPrefix: o.Prefix, Label: o.Label,
		LabelPlural: o.Plural, Layoutable: true, Mergeable: o.Name == objAccount || o.Name == objContact || o.Name == objLead,
		MruEnabled: true, Name: o.Name, Queryable: true, Replicateable: true, Retrieveable: true, Searchable: o.Name != objProfile,
		Triggerable: o.createable, Undeletable: o.deletable, Updateable: o.updateable,
		URLs: map[string]string{"sobject": sob, "describe": sob + "/describe", "rowTemplate": sob + "/{ID}"},
	}
}

// serveDescribeGlobal answers GET sobjects.
func (s *Server) serveDescribeGlobal(c *call) {
	c.st.mu.RLock()
	objs := slices.Clone(c.st.objects)
	c.st.mu.RUnlock()
	list := make([]objectSummary, 0, len(objs))
	for _, o := range objs {
		list = append(list, summarize(o, c.base()))
	}
	writeJSON(c.w, c.r, 200, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list})
}

// serveBasicInfo answers GET sobjects/{object}: the summary and the most
// recently changed records.
func (s *Server) serveBasicInfo(c *call, t *table) {
	c.st.mu.RLock()
	o := t.obj
	var recent []*record
	for i := len(t.rows) - 1; i >= 0 && len(recent) < 5; i-- {
		if !t.rows[i].deleted {
			recent = append(recent, t.rows[i])
		}
	}
	var b []byte
	b = append(b, `{"objectDescribe":`...)
	sum, _ := json.Marshal(summarize(o, c.base()))
	b = append(b, sum...)
	b = append(b, `,"recentItems":[`...)
	name := o.pos("Name")
	if name < 0 {
		name = o.pos("Subject")
	}
	for i, r := range recent {
		if i > 0 {
			b = append(b, ',')
		}
		fields := []int{o.pID}
		if name >= 0 {
			fields = append(fields, name)
		}
		b = appendRecordJSON(b, o, r, fields, c.base())
	}
	c.st.mu.RUnlock()
	b = append(b, "]}"...)
	writeRawJSON(c.w, c.r, 200, b)
}

// describeField is one field in a describe answer, keys in Salesforce's
// (alphabetical) order.
type describeField struct {
	Aggregatable                 bool            `json:"aggregatable"`
	AIPredictionField            bool            `json:"aiPredictionField"`
	AutoNumber                   bool            `json:"autoNumber"`
	ByteLength                   int             `json:"byteLength"`
	Calculated                   bool            `json:"calculated"`
	CalculatedFormula            *string         `json:"calculatedFormula"`
	CascadeDelete                bool            `json:"cascadeDelete"`
	CaseSensitive                bool            `json:"caseSensitive"`
	CompoundFieldName            *string         `json:"compoundFieldName"`
	ControllerName               *string         `json:"controllerName"`
	Createable                   bool            `json:"createable"`
	Custom                       bool            `json:"custom"`
	DefaultValue                 any             `json:"defaultValue"`
	DefaultValueFormula          *string         `json:"defaultValueFormula"`
	DefaultedOnCreate            bool            `json:"defaultedOnCreate"`
	DependentPicklist            bool            `json:"dependentPicklist"`
	DeprecatedAndHidden          bool            `json:"deprecatedAndHidden"`
	Digits                       int             `json:"digits"`
	DisplayLocationInDecimal     bool            `json:"displayLocationInDecimal"`
	Encrypted                    bool            `json:"encrypted"`
	ExternalID                   bool            `json:"externalId"`
	ExtraTypeInfo                *string         `json:"extraTypeInfo"`
	Filterable                   bool            `json:"filterable"`
	FilteredLookupInfo           any             `json:"filteredLookupInfo"`
	FormulaTreatNullNumberAsZero bool            `json:"formulaTreatNullNumberAsZero"`
	Groupable                    bool            `json:"groupable"`
	HighScaleNumber              bool            `json:"highScaleNumber"`
	HTMLFormatted                bool            `json:"htmlFormatted"`
	IDLookup                     bool            `json:"idLookup"`
	InlineHelpText               *string         `json:"inlineHelpText"`
	Label                        string          `json:"label"`
	Length                       int             `json:"length"`
	Mask                         *string         `json:"mask"`
	MaskType                     *string         `json:"maskType"`
	Name                         string          `json:"name"`
	NameField                    bool            `json:"nameField"`
	NamePointing                 bool            `json:"namePointing"`
	Nillable                     bool            `json:"nillable"`
	Permissionable               bool            `json:"permissionable"`
	PicklistValues               []picklistValue `json:"picklistValues"`
	PolymorphicForeignKey        bool            `json:"polymorphicForeignKey"`
	Precision                    int             `json:"precision"`
	QueryByDistance              bool            `json:"queryByDistance"`
	ReferenceTargetField         *string         `json:"referenceTargetField"`
	ReferenceTo                  []string        `json:"referenceTo"`
	RelationshipName             *string         `json:"relationshipName"`
	RelationshipOrder            *int            `json:"relationshipOrder"`
	RestrictedDelete             bool            `json:"restrictedDelete"`
	RestrictedPicklist           bool            `json:"restrictedPicklist"`
	Scale                        int             `json:"scale"`
	SearchPrefilterable          bool            `json:"searchPrefilterable"`
	SoapType                     string          `json:"soapType"`
	Sortable                     bool            `json:"sortable"`
	Type                         FieldType       `json:"type"`
	Unique                       bool            `json:"unique"`
	Updateable                   bool            `json:"updateable"`
	WriteRequiresMasterRead      bool            `json:"writeRequiresMasterRead"`
}

type picklistValue struct {
	Active       bool    `json:"active"`
	DefaultValue bool    `json:"defaultValue"`
	Label        string  `json:"label"`
	ValidFor     *string `json:"validFor"`
	Value        string  `json:"value"`
}

func soapType(t FieldType) string {
	switch t {
	case TypeID, TypeReference:
		return "tns:ID"
	case TypeBoolean:
		return "xsd:boolean"
	case TypeInt:
		return "xsd:int"
	case TypeDouble, TypeCurrency, TypePercent:
		return "xsd:double"
	case TypeDate:
		return "xsd:date"
	case TypeDateTime:
		return "xsd:dateTime"
	}
	return "xsd:string"
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// describeOf renders one field's metadata.
func describeOf(o *objectDef, f *Field) describeField {
	system := f.Type == TypeID || auditFields[f.Name] || f.Name == "OwnerId" || f.Name == "IsDeleted"
	d := describeField{
		Aggregatable: f.filterable(), ByteLength: 0, Calculated: f.calculated, CaseSensitive: f.CaseSensitive,
		Createable: f.access != readOnly, Custom: f.custom(), DefaultedOnCreate: system || f.Type == TypeBoolean || (f.Type == TypePicklist && f.Default != ""),
		ExternalID: f.ExternalID, Filterable: f.filterable(), Groupable: f.filterable() && f.Type != TypeDouble && f.Type != TypeCurrency && f.Type != TypePercent && f.Type != TypeDateTime,
		IDLookup: f.Type == TypeID || f.ExternalID || f.Name == "Username" || (f.Name == "Email" && o.Name != objAccount),
		Label:    f.Label, Name: f.Name, NameField: f.nameField, Nillable: f.nillable(), Permissionable: f.custom() && f.nillable(),
		PicklistValues: []picklistValue{}, PolymorphicForeignKey: len(f.ReferenceTo) > 1, ReferenceTo: []string{},
		RelationshipName: strPtr(f.relationshipName), RestrictedPicklist: f.Restricted, SoapType: soapType(f.Type),
		Sortable: f.filterable(), Type: f.Type, Unique: f.Unique, Updateable: f.access == readWrite,
	}
	d.NamePointing = d.PolymorphicForeignKey
	if f.Type == TypeBoolean {
		d.DefaultValue = f.Default == "true"
	}
	if f.stringLike() {
		d.Length = f.Length
		d.ByteLength = f.Length * 3
	}
	switch f.Type {
	case TypeInt:
		d.Digits = 9
	case TypeDouble, TypeCurrency, TypePercent:
		d.Precision, d.Scale = f.Precision, f.Scale
	case TypeTextArea:
		d.ExtraTypeInfo = strPtr("plaintextarea")
	case TypeReference:
		d.ReferenceTo = slices.Clone(f.ReferenceTo)
	}
	if f.nameField && (o.Name == objContact || o.Name == objLead || o.Name == objUser) {
		d.ExtraTypeInfo = strPtr("personname")
	}
	for _, v := range f.Values {
		d.PicklistValues = append(d.PicklistValues, picklistValue{Active: true, DefaultValue: v == f.Default, Label: v, Value: v})
	}
	return d
}

// serveDescribe answers GET sobjects/{object}/describe.
func (s *Server) serveDescribe(c *call, t *table) {
	c.st.mu.RLock()
	o := t.obj
	objs := slices.Clone(c.st.objects)
	c.st.mu.RUnlock()
	fields := make([]describeField, 0, len(o.fields))
	for _, f := range o.fields {
		fields = append(fields, describeOf(o, f))
	}
	type childRel struct {
		CascadeDelete       bool     `json:"cascadeDelete"`
		ChildSObject        string   `json:"childSObject"`
		DeprecatedAndHidden bool     `json:"deprecatedAndHidden"`
		Field               string   `json:"field"`
		JunctionIDListNames []string `json:"junctionIdListNames"`
		JunctionReferenceTo []string `json:"junctionReferenceTo"`
		RelationshipName    *string  `json:"relationshipName"`
		RestrictedDelete    bool     `json:"restrictedDelete"`
	}
	children := []childRel{}
	for _, child := range objs {
		named := false
		for _, f := range child.fields {
			if f.Type != TypeReference || !slices.Contains(f.ReferenceTo, o.Name) || auditFields[f.Name] {
				continue
			}
			var rel *string
			if !named && f.access != readOnly && child.Name != o.Name {
				rel, named = strPtr(child.Plural), true
			}
			children = append(children, childRel{ChildSObject: child.Name, Field: f.Name, JunctionIDListNames: []string{},
				JunctionReferenceTo: []string{}, RelationshipName: rel, CascadeDelete: o.Name == objAccount && f.Name == "AccountId"})
		}
	}
	sum := summarize(o, c.base())
	sob := c.base() + "/sobjects/" + o.Name
	sum.URLs["layouts"] = sob + "/describe/layouts"
	sum.URLs["compactLayouts"] = sob + "/describe/compactLayouts"
	sum.URLs["listviews"] = sob + "/listviews"
	sum.URLs["quickActions"] = sob + "/quickActions"
	sum.URLs["defaultValues"] = sob + "/defaultValues?recordTypeId&fields"
	out := struct {
		ActionOverrides []any `json:"actionOverrides"`
		objectSummary
		ChildRelationships  []childRel        `json:"childRelationships"`
		CompactLayoutable   bool              `json:"compactLayoutable"`
		Fields              []describeField   `json:"fields"`
		ListViewable        any               `json:"listviewable"`
		LookupLayoutable    any               `json:"lookupLayoutable"`
		NamedLayoutInfos    []any             `json:"namedLayoutInfos"`
		NetworkScopeField   any               `json:"networkScopeFieldName"`
		RecordTypeInfos     []map[string]any  `json:"recordTypeInfos"`
		SearchLayoutable    bool              `json:"searchLayoutable"`
		SupportedScopes     []map[string]any  `json:"supportedScopes"`
		SObjectDescribeOpts string            `json:"sobjectDescribeOption"`
		Extra               map[string]string `json:"-"`
	}{
		ActionOverrides: []any{}, objectSummary: sum, ChildRelationships: children, CompactLayoutable: true, Fields: fields,
		NamedLayoutInfos: []any{}, SearchLayoutable: true, SObjectDescribeOpts: "FULL",
		RecordTypeInfos: []map[string]any{{"active": true, "available": true, "defaultRecordTypeMapping": true,
			"developerName": "Master", "master": true, "name": "Master", "recordTypeId": "012000000000000AAA",
			"urls": map[string]string{"layout": sob + "/describe/layouts/012000000000000AAA"}}},
		SupportedScopes: []map[string]any{{"label": "All " + strings.ToLower(o.Plural), "name": "everything"},
			{"label": "My " + strings.ToLower(o.Plural), "name": "mine"}},
	}
	writeJSON(c.w, c.r, 200, out)
}

// recordID checks a path id against the object: its 18-character form, or
// a NOT_FOUND error.
func recordID(t *table, raw string) (string, *apiError) {
	id, ok := normalizeID(raw)
	if !ok || idPrefix(id) != t.prefix {
		return "", errorf(404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: %s", raw)
	}
	return id, nil
}

// selectFields resolves a ?fields=a,b list, or every field when empty.
func selectFields(o *objectDef, list string) ([]int, *apiError) {
	if strings.TrimSpace(list) == "" {
		all := make([]int, len(o.fields))
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	var out []int
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		_, p, ok := o.field(name)
		if !ok {
			return nil, errorf(400, "INVALID_FIELD", "No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, o.Name)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// serveRow answers GET, PATCH and DELETE sobjects/{object}/{id}.
func (s *Server) serveRow(c *call, t *table, raw string) {
	if !allow(c, http.MethodGet, http.MethodPatch, http.MethodDelete) {
		return
	}
	id, err := recordID(t, raw)
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	switch c.r.Method {
	case http.MethodGet, http.MethodHead:
		s.getRecord(c, t, id)
	case http.MethodPatch:
		var body map[string]any
		if err := readJSON(c.r, &body); err != nil {
			writeErrors(c.w, c.r, err)
			return
		}
		st := c.st
		st.mu.Lock()
		in, err := resolve(t.obj, body)
		if err == nil {
			_, err = st.update(t, id, in, writer{user: c.user, now: s.now()}, nil)
		}
		st.mu.Unlock()
		if err != nil {
			writeErrors(c.w, c.r, err)
			return
		}
		c.w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		st := c.st
		st.mu.Lock()
		err := st.remove(t, id, writer{user: c.user, now: s.now()}, nil)
		st.mu.Unlock()
		if err != nil {
			writeErrors(c.w, c.r, err)
			return
		}
		c.w.WriteHeader(http.StatusNoContent)
	}
}

// getRecord answers one record, all fields or ?fields=.
func (s *Server) getRecord(c *call, t *table, id string) {
	st := c.st
	st.mu.RLock()
	r, ok := t.get(id)
	o := t.obj
	st.mu.RUnlock()
	if !ok || r.deleted {
		writeErrors(c.w, c.r, errNotFound())
		return
	}
	fields, err := selectFields(o, c.r.URL.Query().Get("fields"))
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	if m, ok := r.get(o.pModstamp).(time.Time); ok {
		c.w.Header().Set("Last-Modified", m.UTC().Format(http.TimeFormat))
	}
	writeRawJSON(c.w, c.r, 200, appendRecordJSON(nil, o, r, fields, c.base()))
}

// saveResult is the answer to a create or upsert, and one element of a
// Collections answer.
type saveResult struct {
	ID      *string           `json:"id,omitempty"`
	Success bool              `json:"success"`
	Errors  []collectionError `json:"errors"`
	Created *bool             `json:"created,omitempty"`
}

// collectionError is a record-level error in a Collections answer.
type collectionError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

func toCollectionError(e *apiError) collectionError {
	f := e.fields
	if f == nil {
		f = []string{}
	}
	return collectionError{StatusCode: e.code, Message: e.message, Fields: f}
}

// createRecord answers POST sobjects/{object}: 201 {"id","success","errors"}.
func (s *Server) createRecord(c *call, t *table) {
	var body map[string]any
	if err := readJSON(c.r, &body); err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	st := c.st
	st.mu.Lock()
	in, err := resolve(t.obj, body)
	var r *record
	if err == nil {
		r, err = st.insert(t, in, writer{user: c.user, now: s.now()}, nil)
	}
	st.mu.Unlock()
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	writeJSON(c.w, c.r, 201, saveResult{ID: &r.id, Success: true, Errors: []collectionError{}})
}

// externalMatches finds the live records whose external-id field equals
// the value in the path.
func externalMatches(t *table, f *Field, pos int, raw string) ([]string, any, *apiError) {
	if f.Type == TypeID {
		id, ok := normalizeID(raw)
		if !ok {
			return nil, nil, errorf(404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: %s", raw)
		}
		if r, ok := t.get(id); ok && !r.deleted {
			return []string{id}, id, nil
		}
		return nil, id, nil
	}
	v, err := coerce(f, raw)
	if err != nil {
		return nil, nil, err
	}
	return slices.Clone(t.lookup(pos, v)), v, nil
}

// serveRowByExternalID answers sobjects/{object}/{field}/{value}: GET,
// PATCH (upsert), POST (create) and DELETE.
func (s *Server) serveRowByExternalID(c *call, t *table, fieldName, raw string) {
	if !allow(c, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodDelete) {
		return
	}
	st := c.st
	st.mu.RLock()
	f, pos, ok := t.obj.field(fieldName)
	st.mu.RUnlock()
	if !ok || !(f.ExternalID || f.Type == TypeID) {
		writeErrors(c.w, c.r, errorf(404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: %s", fieldName))
		return
	}
	var body map[string]any
	if c.r.Method == http.MethodPatch || c.r.Method == http.MethodPost {
		if err := readJSON(c.r, &body); err != nil {
			writeErrors(c.w, c.r, err)
			return
		}
	}
	w := writer{user: c.user, now: s.now()}
	if c.r.Method == http.MethodGet || c.r.Method == http.MethodHead || c.r.Method == http.MethodDelete {
		st.mu.Lock()
		ids, _, err := externalMatches(t, f, pos, raw)
		switch {
		case err != nil:
		case len(ids) == 0:
			err = errNotFound()
		case len(ids) > 1:
			st.mu.Unlock()
			s.writeMultipleChoices(c, t, ids)
			return
		case c.r.Method == http.MethodDelete:
			err = st.remove(t, ids[0], w, nil)
		}
		st.mu.Unlock()
		if err != nil {
			writeErrors(c.w, c.r, err)
			return
		}
		if c.r.Method == http.MethodDelete {
			c.w.WriteHeader(http.StatusNoContent)
			return
		}
		s.getRecord(c, t, ids[0])
		return
	}
	res, status, ids, err := s.upsertOne(st, t, f, pos, raw, body, w, c.r.URL.Query().Get("updateOnly") == "true", c.r.Method == http.MethodPost)
	if len(ids) > 1 {
		s.writeMultipleChoices(c, t, ids)
		return
	}
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	if status == 200 && versionNumber(c.version) < 46 {
		c.w.WriteHeader(http.StatusNoContent)
		return
	}
	if versionNumber(c.version) < 46 {
		res.Created = nil
	}
	writeJSON(c.w, c.r, status, res)
}

// upsertOne creates or updates the record an external id names. It takes
// the store's write lock.
func (s *Server) upsertOne(st *store, t *table, f *Field, pos int, raw string, body map[string]any, w writer, updateOnly, createOnly bool) (saveResult, int, []string, *apiError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ids, v, err := externalMatches(t, f, pos, raw)
	if err != nil {
		return saveResult{}, 0, nil, err
	}
	if len(ids) > 1 {
		return saveResult{}, 300, ids, nil
	}
	in, err := resolve(t.obj, body)
	if err != nil {
		return saveResult{}, 0, nil, err
	}
	if old, ok := in.value(pos); ok {
		if k1, _ := indexKey(f, old); k1 != func() string { k, _ := indexKey(f, v); return k }() {
			return saveResult{}, 0, nil, fieldError("INVALID_FIELD", f, "The external id field %s in the body does not match the value in the URL", f.Name)
		}
	}
	if len(ids) == 1 && !createOnly {
		r, err := st.update(t, ids[0], in, w, nil)
		if err != nil {
			return saveResult{}, 0, nil, err
		}
		created := false
		return saveResult{ID: &r.id, Success: true, Errors: []collectionError{}, Created: &created}, 200, nil, nil
	}
	if updateOnly {
		return saveResult{}, 0, nil, errNotFound()
	}
	if f.Type != TypeID && !in.has(pos) {
		in.pos = append(in.pos, pos)
		in.vals = append(in.vals, v)
	}
	r, err := st.insert(t, in, w, nil)
	if err != nil {
		return saveResult{}, 0, nil, err
	}
	created := true
	return saveResult{ID: &r.id, Success: true, Errors: []collectionError{}, Created: &created}, 201, nil, nil
}

// writeMultipleChoices answers 300 with the URLs of the matching records.
func (s *Server) writeMultipleChoices(c *call, t *table, ids []string) {
	urls := make([]string, len(ids))
	for i, id := range ids {
		urls[i] = c.base() + "/sobjects/" + t.name + "/" + id
	}
	writeJSON(c.w, c.r, http.StatusMultipleChoices, urls)
}

// replicationWindow reads ?start=&end= for getUpdated and getDeleted. The
// seconds are ignored, as Salesforce does.
func (s *Server) replicationWindow(c *call, retention time.Duration) (start, end, now time.Time, err *apiError) {
	q := c.r.URL.Query()
	now = s.now()
	parse := func(name string) (time.Time, *apiError) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, errorf(400, "MISSING_ARGUMENT", "%s was not specified", name)
		}
		t, ok := parseDateTime(strings.ReplaceAll(v, " ", "+"))
		if !ok {
			return time.Time{}, errorf(400, "INVALID_QUERY_PARAMETER_VALUE", "Unable to parse %s: %s", name, v)
		}
		return t.Truncate(time.Minute), nil
	}
	if start, err = parse("start"); err != nil {
		return
	}
	if end, err = parse("end"); err != nil {
		return
	}
	if !start.Before(end) {
		err = errorf(400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate")
		return
	}
	if start.Before(now.Add(-retention).Truncate(time.Minute)) {
		err = errorf(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than %d days ago", int(retention.Hours()/24))
		return
	}
	return
}

// serveUpdated answers GET sobjects/{object}/updated/?start=&end=: the ids
// whose SystemModstamp falls in [start, end).
func (s *Server) serveUpdated(c *call, t *table) {
	start, end, now, err := s.replicationWindow(c, s.cfg.UpdatedRetention)
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	covered := minTime(end, now.Truncate(time.Minute))
	ids := []string{}
	st := c.st
	st.mu.RLock()
	for _, r := range t.rows {
		if r.deleted {
			continue
		}
		if m, ok := r.get(t.obj.pModstamp).(time.Time); ok && !m.Before(start) && m.Before(covered) {
			ids = append(ids, r.id)
		}
	}
	st.mu.RUnlock()
	if len(ids) > s.cfg.MaxReplicationIDs {
		writeErrors(c.w, c.r, errorf(400, "EXCEEDED_ID_LIMIT", "too many ids: choose start and end dates that are closer together"))
		return
	}
	writeJSON(c.w, c.r, 200, map[string]any{"ids": ids, "latestDateCovered": covered.Format(jsonDateTime)})
}

// serveDeleted answers GET sobjects/{object}/deleted/?start=&end=.
func (s *Server) serveDeleted(c *call, t *table) {
	start, end, now, err := s.replicationWindow(c, s.cfg.DeletedRetention)
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	covered := minTime(end, now.Truncate(time.Minute))
	type deleted struct {
		ID          string `json:"id"`
		DeletedDate string `json:"deletedDate"`
	}
	out := []deleted{}
	st := c.st
	st.mu.RLock()
	for _, r := range t.rows {
		if r.deleted && !r.deletedAt.Before(start) && r.deletedAt.Before(covered) {
			out = append(out, deleted{ID: r.id, DeletedDate: r.deletedAt.Format(jsonDateTime)})
		}
	}
	st.mu.RUnlock()
	if len(out) > s.cfg.MaxReplicationIDs {
		writeErrors(c.w, c.r, errorf(400, "EXCEEDED_ID_LIMIT", "too many ids: choose start and end dates that are closer together"))
		return
	}
	earliest := now.Add(-s.cfg.DeletedRetention).Truncate(time.Minute)
	writeJSON(c.w, c.r, 200, map[string]any{"deletedRecords": out, "earliestDateAvailable": earliest.Format(jsonDateTime),
		"latestDateCovered": covered.Format(jsonDateTime)})
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// sObject Collections.

// maxCollection is how many records one Collections call takes.
const maxCollection = 200

func errTooMany() *apiError {
	return errorf(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call")
}

// serveComposite routes composite and composite/sobjects/...
func (s *Server) serveComposite(c *call) {
	segs := c.segs
	if len(segs) == 1 {
		if allow(c, http.MethodPost) {
			s.serveCompositeRequest(c)
		}
		return
	}
	if segs[1] != "sobjects" {
		writeErrors(c.w, c.r, errNotFound())
		return
	}
	var object, extField string
	if len(segs) > 2 {
		object = segs[2]
	}
	if len(segs) > 3 {
		extField = segs[3]
	}
	if len(segs) > 4 {
		writeErrors(c.w, c.r, errNotFound())
		return
	}
	switch c.r.Method {
	case http.MethodGet:
		if object == "" {
			writeErrors(c.w, c.r, errorf(405, "METHOD_NOT_ALLOWED", "HTTP Method 'GET' not allowed. Allowed are POST,PATCH,DELETE"))
			return
		}
		q := c.r.URL.Query()
		s.retrieveCollection(c, object, splitList(q.Get("ids")), splitList(q.Get("fields")))
	case http.MethodPost:
		if object != "" {
			var body struct {
				IDs    []string `json:"ids"`
				Fields []string `json:"fields"`
			}
			if err := readJSON(c.r, &body); err != nil {
				writeErrors(c.w, c.r, err)
				return
			}
			s.retrieveCollection(c, object, body.IDs, body.Fields)
			return
		}
		s.writeCollection(c, "create", "", "")
	case http.MethodPatch:
		if extField != "" {
			s.writeCollection(c, "upsert", object, extField)
			return
		}
		s.writeCollection(c, "update", object, "")
	case http.MethodDelete:
		s.deleteCollection(c)
	default:
		writeErrors(c.w, c.r, errorf(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not allowed. Allowed are GET,POST,PATCH,DELETE", c.r.Method))
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// retrieveCollection answers GET composite/sobjects/{object}?ids=&fields=:
// the records in the order asked, null for ids not found.
func (s *Server) retrieveCollection(c *call, object string, ids, fieldNames []string) {
	st := c.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	t, ok := st.table(object)
	if !ok {
		writeErrors(c.w, c.r, errNotFound())
		return
	}
	if len(ids) == 0 {
		writeErrors(c.w, c.r, errorf(400, "MISSING_ARGUMENT", "ids was not specified"))
		return
	}
	if len(fieldNames) == 0 {
		writeErrors(c.w, c.r, errorf(400, "MISSING_ARGUMENT", "fields was not specified"))
		return
	}
	if len(ids) > 2000 {
		writeErrors(c.w, c.r, errorf(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot retrieve more than 2000 records into this call"))
		return
	}
	fields, err := selectFields(t.obj, strings.Join(fieldNames, ","))
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	b := []byte{'['}
	for i, raw := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		id, ok := normalizeID(raw)
		r, found := t.get(id)
		if !ok || !found || r.deleted {
			b = append(b, "null"...)
			continue
		}
		b = appendRecordJSON(b, t.obj, r, fields, c.base())
	}
	b = append(b, ']')
	writeRawJSON(c.w, c.r, 200, b)
}

// collectionBody is a Collections write request.
type collectionBody struct {
	AllOrNone any              `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

// collectionItem is one record of a Collections write, resolved.
type collectionItem struct {
	t  *table
	in input
}

// writeCollection answers POST (create), PATCH (update) and
// PATCH .../{object}/{externalIdField} (upsert) on composite/sobjects.
func (s *Server) writeCollection(c *call, op, object, extField string) {
	var body collectionBody
	if err := readJSON(c.r, &body); err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	if len(body.Records) > maxCollection {
		writeErrors(c.w, c.r, errTooMany())
		return
	}
	allOrNone := truthy(body.AllOrNone)
	st := c.st
	w := writer{user: c.user, now: s.now()}
	st.mu.Lock()
	defer st.mu.Unlock()

	var ext *Field
	extPos := -1
	if op == "upsert" {
		t, ok := st.table(object)
		if !ok {
			writeErrors(c.w, c.r, errNotFound())
			return
		}
		f, p, ok := t.obj.field(extField)
		if !ok || !(f.ExternalID || f.Type == TypeID) {
			writeErrors(c.w, c.r, errorf(400, "INVALID_FIELD", "Field name provided, %s is not an External ID or indexed field for %s", extField, t.obj.Name))
			return
		}
		ext, extPos = f, p
	}
	// Resolve every record first: a malformed one fails the whole request.
	items := make([]collectionItem, len(body.Records))
	for i, rec := range body.Records {
		typ := object
		if a, ok := rec["attributes"].(map[string]any); ok {
			if s, ok := a["type"].(string); ok && s != "" {
				typ = s
			}
		}
		if typ == "" {
			writeErrors(c.w, c.r, errorf(400, "JSON_PARSER_ERROR", "Missing the type attribute for the sObject at index %d", i))
			return
		}
		t, ok := st.table(typ)
		if !ok {
			writeErrors(c.w, c.r, errorf(400, "INVALID_TYPE", "sObject type '%s' is not supported.", typ))
			return
		}
		if op == "upsert" && !strings.EqualFold(t.obj.Name, object) {
			writeErrors(c.w, c.r, errorf(400, "INVALID_TYPE", "The sObject type %s of record %d does not match %s in the URL", t.obj.Name, i, object))
			return
		}
		in, err := resolve(t.obj, rec)
		if err != nil {
			writeErrors(c.w, c.r, err)
			return
		}
		items[i] = collectionItem{t: t, in: in}
	}
	tx := &txn{}
	results := make([]saveResult, len(items))
	failed := false
	for i := range items {
		it := &items[i]
		res, err := s.collectionWrite(st, op, it, ext, extPos, w, tx)
		if err != nil {
			failed = true
			ce := toCollectionError(err)
			results[i] = saveResult{ID: res.ID, Success: false, Errors: []collectionError{ce}}
			continue
		}
		results[i] = res
	}
	if allOrNone && failed {
		tx.rollback()
		for i := range results {
			if results[i].Success {
				var id *string
				if op != "create" {
					id = results[i].ID
				}
				results[i] = saveResult{ID: id, Success: false, Errors: []collectionError{{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
					Message: "Record rolled back because not all records were valid and the request was using AllOrNone header", Fields: []string{}}}}
			}
			results[i].Created = nil
		}
	}
	writeJSON(c.w, c.r, 200, results)
}

// collectionWrite carries out one record of a Collections write. The
// caller holds the store's write lock.
func (s *Server) collectionWrite(st *store, op string, it *collectionItem, ext *Field, extPos int, w writer, tx *txn) (saveResult, *apiError) {
	t, in := it.t, it.in
	switch op {
	case "create":
		if s.partialFailure() {
			return saveResult{}, lockRowError(t.obj.Prefix + "000000000000")
		}
		r, err := st.insert(t, in, w, tx)
		if err != nil {
			return saveResult{}, err
		}
		return saveResult{ID: &r.id, Success: true, Errors: []collectionError{}}, nil
	case "update":
		raw := in.id
		if raw == "" {
			return saveResult{}, &apiError{status: 400, code: "MISSING_ARGUMENT", message: "Id not specified in an update call", fields: []string{"Id"}}
		}
		id, ok := normalizeID(raw)
		if !ok || idPrefix(id) != t.obj.Prefix {
			return saveResult{ID: &raw}, &apiError{status: 400, code: "MALFORMED_ID", message: fmt.Sprintf("%s ID: id value of incorrect type: %s", t.obj.Label, raw), fields: []string{"Id"}}
		}
		in.id = ""
		if s.partialFailure() {
			return saveResult{ID: &id}, lockRowError(id)
		}
		r, err := st.update(t, id, in, w, tx)
		if err != nil {
			if err.code == "NOT_FOUND" {
				err = errorf(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			}
			return saveResult{ID: &id}, err
		}
		return saveResult{ID: &r.id, Success: true, Errors: []collectionError{}}, nil
	case "upsert":
		var raw any
		if ext.Type == TypeID {
			raw = in.id
			in.id = ""
		} else {
			raw, _ = in.value(extPos)
		}
		if raw == nil || raw == "" {
			return saveResult{}, &apiError{status: 400, code: "MISSING_ARGUMENT", message: fmt.Sprintf("%s not specified", ext.Name), fields: []string{ext.Name}}
		}
		var ids []string
		if ext.Type == TypeID {
			id, ok := normalizeID(raw.(string))
			if !ok {
				return saveResult{}, &apiError{status: 400, code: "MALFORMED_ID", message: fmt.Sprintf("id value of incorrect type: %v", raw), fields: []string{"Id"}}
			}
			if r, ok := t.get(id); ok && !r.deleted {
				ids = []string{id}
			}
		} else {
			ids = slices.Clone(t.lookup(extPos, raw))
		}
		if len(ids) > 1 {
			return saveResult{}, &apiError{status: 300, code: "DUPLICATE_EXTERNAL_ID", fields: []string{ext.Name},
				message: fmt.Sprintf("%s: more than one record found for external id field: %v", ext.Name, ids)}
		}
		if s.partialFailure() {
			return saveResult{}, lockRowError(strings.Join(ids, ","))
		}
		if len(ids) == 1 {
			r, err := st.update(t, ids[0], in, w, tx)
			if err != nil {
				return saveResult{ID: &ids[0]}, err
			}
			created := false
			return saveResult{ID: &r.id, Success: true, Errors: []collectionError{}, Created: &created}, nil
		}
		if ext.Type == TypeID {
			return saveResult{}, errorf(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
		}
		r, err := st.insert(t, in, w, tx)
		if err != nil {
			return saveResult{}, err
		}
		created := true
		return saveResult{ID: &r.id, Success: true, Errors: []collectionError{}, Created: &created}, nil
	}
	return saveResult{}, errNotFound()
}

// deleteCollection answers DELETE composite/sobjects?ids=&allOrNone=.
func (s *Server) deleteCollection(c *call) {
	q := c.r.URL.Query()
	ids := splitList(q.Get("ids"))
	if len(ids) == 0 {
		writeErrors(c.w, c.r, errorf(400, "MISSING_ARGUMENT", "ids was not specified"))
		return
	}
	if len(ids) > maxCollection {
		writeErrors(c.w, c.r, errTooMany())
		return
	}
	allOrNone := truthy(q.Get("allOrNone"))
	st := c.st
	w := writer{user: c.user, now: s.now()}
	st.mu.Lock()
	defer st.mu.Unlock()
	tx := &txn{}
	results := make([]saveResult, len(ids))
	failed := false
	for i, raw := range ids {
		raw := raw
		id, ok := normalizeID(raw)
		var err *apiError
		var t *table
		switch {
		case !ok:
			err = errorf(400, "MALFORMED_ID", "malformed id %s", raw)
		default:
			t, _, ok = st.find(id)
			if !ok {
				err = errorf(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			} else if s.partialFailure() {
				err = lockRowError(id)
			} else {
				err = st.remove(t, id, w, tx)
			}
		}
		if err != nil {
			failed = true
			if err.code == "NOT_FOUND" {
				err = errorf(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			}
			idv := raw
			if ok {
				idv = id
			}
			results[i] = saveResult{ID: &idv, Success: false, Errors: []collectionError{toCollectionError(err)}}
			continue
		}
		results[i] = saveResult{ID: &id, Success: true, Errors: []collectionError{}}
	}
	if allOrNone && failed {
		tx.rollback()
		for i := range results {
			if results[i].Success {
				results[i] = saveResult{ID: results[i].ID, Success: false, Errors: []collectionError{{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
					Message: "Record rolled back because not all records were valid and the request was using AllOrNone header", Fields: []string{}}}}
			}
		}
	}
	writeJSON(c.w, c.r, 200, results)
}

// The Composite resource: up to 25 subrequests run in order, each answered
// in compositeResponse. References to earlier answers (@{ref.field} or
// @{ref.records[0].Id}) are substituted in later URLs and bodies.
// allOrNone=true is refused: the sandbox does not roll back subrequests.

type compositeSub struct {
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	ReferenceID string            `json:"referenceId"`
	Body        json.RawMessage   `json:"body,omitempty"`
	HTTPHeaders map[string]string `json:"httpHeaders,omitempty"`
}

var compositeRef = regexp.MustCompile(`@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])+)\}`)

// bufferWriter collects a subrequest's answer.
type bufferWriter struct {
	h      http.Header
	status int
	body   []byte
}

func (b *bufferWriter) Header() http.Header { return b.h }
func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = 200
	}
	b.body = append(b.body, p...)
	return len(p), nil
}
func (b *bufferWriter) WriteHeader(code int) { b.status = code }

func (s *Server) serveCompositeRequest(c *call) {
	var body struct {
		AllOrNone        any            `json:"allOrNone"`
		CompositeRequest []compositeSub `json:"compositeRequest"`
	}
	if err := readJSON(c.r, &body); err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	if truthy(body.AllOrNone) {
		writeErrors(c.w, c.r, errorf(400, "INVALID_API_INPUT", "the sandbox does not support allOrNone=true on the Composite resource"))
		return
	}
	if len(body.CompositeRequest) == 0 || len(body.CompositeRequest) > 25 {
		writeErrors(c.w, c.r, errorf(400, "INVALID_API_INPUT", "a composite request holds 1 to 25 subrequests"))
		return
	}
	answers := map[string]any{}
	type subAnswer struct {
		Body           json.RawMessage   `json:"body"`
		HTTPHeaders    map[string]string `json:"httpHeaders"`
		HTTPStatusCode int               `json:"httpStatusCode"`
		ReferenceID    string            `json:"referenceId"`
	}
	out := make([]subAnswer, 0, len(body.CompositeRequest))
	for _, sub := range body.CompositeRequest {
		subst := func(s string) string {
			return compositeRef.ReplaceAllStringFunc(s, func(m string) string {
				g := compositeRef.FindStringSubmatch(m)
				v, ok := lookupPath(answers[g[1]], g[2])
				if !ok {
					return m
				}
				return fmt.Sprint(v)
			})
		}
		u, err := url.Parse(subst(sub.URL))
		if err != nil || !strings.HasPrefix(u.Path, "/services/data/v") {
			out = append(out, subAnswer{Body: json.RawMessage(`[{"message":"invalid subrequest url","errorCode":"INVALID_API_INPUT"}]`),
				HTTPHeaders: map[string]string{}, HTTPStatusCode: 400, ReferenceID: sub.ReferenceID})
			continue
		}
		req, _ := http.NewRequestWithContext(c.r.Context(), strings.ToUpper(sub.Method), u.String(), strings.NewReader(subst(string(sub.Body))))
		req.Header.Set("Authorization", c.r.Header.Get("Authorization"))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range sub.HTTPHeaders {
			req.Header.Set(k, v)
		}
		rest := strings.TrimPrefix(u.EscapedPath(), "/services/data/")
		vseg, rest, _ := strings.Cut(rest, "/")
		bw := &bufferWriter{h: http.Header{}}
		version := strings.TrimPrefix(vseg, "v")
		if !versionPattern.MatchString(version) {
			writeErrors(bw, req, errNotFound())
		} else {
			s.dispatch(&call{w: bw, r: req, version: version, segs: pathSegments(rest), user: c.user, st: c.st})
		}
		if bw.status == 0 {
			bw.status = 200
		}
		headers := map[string]string{}
		if loc := bw.h.Get("Location"); loc != "" {
			headers["Location"] = loc
		}
		raw := json.RawMessage(bw.body)
		if len(bw.body) == 0 {
			raw = json.RawMessage("null")
		}
		var decoded any
		if json.Unmarshal(bw.body, &decoded) == nil {
			answers[sub.ReferenceID] = decoded
		}
		out = append(out, subAnswer{Body: raw, HTTPHeaders: headers, HTTPStatusCode: bw.status, ReferenceID: sub.ReferenceID})
	}
	writeJSON(c.w, c.r, 200, map[string]any{"compositeResponse": out})
}

// lookupPath follows .field and [n] steps into a decoded JSON value.
func lookupPath(v any, path string) (any, bool) {
	for path != "" {
		switch path[0] {
		case '.':
			end := strings.IndexAny(path[1:], ".[")
			if end < 0 {
				end = len(path) - 1
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[path[1:end+1]]; !ok {
				return nil, false
			}
			path = path[end+1:]
		case '[':
			end := strings.IndexByte(path, ']')
			n, err := strconv.Atoi(path[1:end])
			a, ok := v.([]any)
			if err != nil || !ok || n >= len(a) {
				return nil, false
			}
			v = a[n]
			path = path[end+1:]
		default:
			return nil, false
		}
	}
	return v, true
}

// pathSegments splits an escaped path into unescaped, non-empty segments.
func pathSegments(escaped string) []string {
	var segs []string
	for _, p := range strings.Split(escaped, "/") {
		if p == "" {
			continue
		}
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		segs = append(segs, p)
	}
	return segs
}
