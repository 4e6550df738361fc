package msgraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// serveAPI answers a v1.0 call; rest is the path after /v1.0/.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, rest string) {
	if !s.latency(r) {
		return
	}
	tok, aerr := s.authenticate(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if s.injectFault(w) {
		return
	}
	var body []byte
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 4<<20)); err != nil {
			writeError(w, badRequest("BadRequest", "The request body could not be read."))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	c := &call{s: s, w: w, r: r, tok: tok, body: body}
	if err := c.route(strings.Split(strings.Trim(rest, "/"), "/")); err != nil {
		writeError(w, err)
	}
}

// call is one API request being answered, under the Server's lock.
type call struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	tok   token
	body  []byte
	owner *user
}

func (c *call) route(segs []string) *apiError {
	switch {
	case len(segs) == 1 && segs[0] == "users":
		return c.listUsers()
	case segs[0] == "me":
		if c.tok.user == "" {
			return badRequest("BadRequest", "/me request is only valid with delegated authentication flow.")
		}
		c.owner = c.s.st.user(c.tok.user)
		return c.mailbox(segs[1:])
	case segs[0] == "users" && len(segs) >= 2:
		if c.owner = c.s.st.user(segs[1]); c.owner == nil {
			return &apiError{status: 404, code: "ErrorInvalidUser", message: fmt.Sprintf("The requested user '%s' is invalid.", segs[1])}
		}
		return c.mailbox(segs[2:])
	}
	return badRequest("BadRequest", "Resource not found for the segment '%s'.", segs[0])
}

// allow checks that the token may reach the owner's folder (folder ""
// means the mailbox as a whole). A shared folder is readable only.
func (c *call) allow(folder string, write bool) *apiError {
	if c.tok.user == "" || c.tok.user == c.owner.ID {
		return nil
	}
	if folder != "" && !write && c.s.st.grants[grant{Owner: c.owner.ID, Folder: folder, Grantee: c.tok.user}] {
		return nil
	}
	return errAccessDenied
}

func isDelta(seg string) bool {
	return seg == "delta" || seg == "delta()" || seg == "microsoft.graph.delta" || seg == "microsoft.graph.delta()"
}

func (c *call) mailbox(segs []string) *apiError {
	m := c.r.Method
	u := c.owner
	n := len(segs)
	switch {
	case n == 0 && m == http.MethodGet:
		return c.ok(u.User)
	case n >= 1 && segs[0] == "contacts":
		return c.contacts(u.defaultID, segs[1:])
	case n >= 1 && segs[0] == "contactFolders":
		if n == 1 {
			switch m {
			case http.MethodGet:
				if err := c.allow("", false); err != nil {
					return err
				}
				return c.listFolders(u.defaultID)
			case http.MethodPost:
				return c.createFolder(u.defaultID)
			}
			return methodNotAllowed()
		}
		f, ok := u.folder(segs[1])
		if !ok {
			return itemNotFound()
		}
		switch {
		case n == 2 && m == http.MethodGet:
			if err := c.allow(f.ID, false); err != nil {
				return err
			}
			return c.ok(f)
		case n == 3 && segs[2] == "childFolders":
			if m == http.MethodPost {
				return c.createFolder(f.ID)
			}
			if err := c.allow(f.ID, false); err != nil {
				return err
			}
			return c.listFolders(f.ID)
		case n >= 3 && segs[2] == "contacts":
			return c.contacts(f.ID, segs[3:])
		}
	case n >= 2 && segs[0] == "outlook" && segs[1] == "masterCategories":
		if err := c.allow("", m != http.MethodGet); err != nil {
			return err
		}
		return c.categories(segs[2:])
	}
	return badRequest("BadRequest", "Resource not found for the segment '%s'.", strings.Join(segs, "/"))
}

func methodNotAllowed() *apiError {
	return &apiError{status: 405, code: "ErrorInvalidRequest", message: "The OData request is not supported."}
}

func (c *call) ok(v any) *apiError {
	writeJSON(c.w, 200, v)
	return nil
}

// listUsers answers GET /users: the directory, the tenant's GAL.
func (c *call) listUsers() *apiError {
	if c.r.Method != http.MethodGet {
		return methodNotAllowed()
	}
	items := make([]any, len(c.s.st.users))
	for i, u := range c.s.st.users {
		items[i] = u.User
	}
	return c.page(items)
}

// page writes one page of items, $top and $skip taken from the query,
// with an @odata.nextLink while more follow.
func (c *call) page(items []any) *apiError {
	q := c.r.URL.Query()
	top, skip := c.s.cfg.PageSize, 0
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("BadRequest", "Invalid value '%s' for $top query option.", v)
		}
		top = min(n, 1000)
	}
	if v := q.Get("$skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return badRequest("BadRequest", "Invalid value '%s' for $skip query option.", v)
		}
		skip = n
	}
	out := map[string]any{}
	end := min(skip+top, len(items))
	if skip >= len(items) {
		out["value"] = []any{}
	} else {
		out["value"] = items[skip:end]
	}
	if end < len(items) {
		q.Set("$skip", strconv.Itoa(end))
		q.Set("$top", strconv.Itoa(top))
		out["@odata.nextLink"] = baseURL(c.r) + c.r.URL.Path + "?" + q.Encode()
	}
	return c.ok(out)
}

func (c *call) listFolders(parent string) *apiError {
	fs := c.owner.childFolders(parent)
	items := make([]any, len(fs))
	for i, f := range fs {
		items[i] = f
	}
	return c.page(items)
}

func (c *call) createFolder(parent string) *apiError {
	if err := c.allow("", true); err != nil {
		return err
	}
	var in struct {
		DisplayName string `json:"displayName"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil || strings.TrimSpace(in.DisplayName) == "" {
		return badRequest("ErrorInvalidArgument", "The property 'displayName' is required.")
	}
	for _, f := range c.owner.childFolders(parent) {
		if strings.EqualFold(f.DisplayName, in.DisplayName) {
			return &apiError{status: 409, code: "ErrorFolderExists", message: "A folder with the specified name already exists."}
		}
	}
	f := c.s.st.addFolder(c.owner, parent, in.DisplayName)
	writeJSON(c.w, 201, f)
	return nil
}

// contacts answers the contacts of one folder: the collection, its
// delta and single contacts.
func (c *call) contacts(folder string, segs []string) *apiError {
	m := c.r.Method
	switch {
	case len(segs) == 0 && m == http.MethodGet:
		if err := c.allow(folder, false); err != nil {
			return err
		}
		return c.listContacts(folder)
	case len(segs) == 0 && m == http.MethodPost:
		if err := c.allow(folder, true); err != nil {
			return err
		}
		return c.createContact(folder)
	case len(segs) == 1 && isDelta(segs[0]) && m == http.MethodGet:
		if err := c.allow(folder, false); err != nil {
			return err
		}
		return c.delta(folder)
	case len(segs) == 1:
		ct, ok := c.owner.contacts[segs[0]]
		if !ok || ct.deleted {
			return itemNotFound()
		}
		if err := c.allow(ct.ParentFolderID, m != http.MethodGet); err != nil {
			return err
		}
		switch m {
		case http.MethodGet:
			return c.ok(c.emit(ct))
		case http.MethodPatch:
			return c.updateContact(ct)
		case http.MethodDelete:
			c.s.st.deleteContact(ct, c.s.nowLocked())
			c.w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return methodNotAllowed()
	}
	return badRequest("BadRequest", "Resource not found for the segment '%s'.", strings.Join(segs, "/"))
}

var (
	extFilter = regexp.MustCompile(`(?i)^\s*singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*(\w+)/id\s+eq\s+'((?:[^']|'')*)'\s+and\s+(\w+)/value\s+eq\s+'((?:[^']|'')*)'\s*\)\s*$`)
	catFilter = regexp.MustCompile(`(?i)^\s*categories/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*\)\s*$`)
	expandExt = regexp.MustCompile(`(?i)^\s*singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*id\s+eq\s+'((?:[^']|'')*)'\s*\))?\s*$`)
)

func unquote(s string) string { return strings.ReplaceAll(s, "''", "'") }

// filter reads $filter: the two forms a contact sync uses, matching an
// extended property's value and carrying a category.
func (c *call) filter() (func(*contact) bool, *apiError) {
	f := c.r.URL.Query().Get("$filter")
	if f == "" {
		return func(*contact) bool { return true }, nil
	}
	if m := extFilter.FindStringSubmatch(f); m != nil && strings.EqualFold(m[1], m[2]) && strings.EqualFold(m[1], m[4]) {
		id, val := unquote(m[3]), unquote(m[5])
		return func(ct *contact) bool {
			for _, p := range ct.SingleValueExtendedProperties {
				if strings.EqualFold(p.ID, id) && p.Value == val {
					return true
				}
			}
			return false
		}, nil
	}
	if m := catFilter.FindStringSubmatch(f); m != nil && strings.EqualFold(m[1], m[2]) {
		name := unquote(m[3])
		return func(ct *contact) bool {
			for _, cat := range ct.Categories {
				if strings.EqualFold(cat, name) {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, badRequest("ErrorInvalidUrlQueryFilter", "The sandbox does not support the filter clause '%s'.", f)
}

// expand reads $expand: the extended properties, all or one by id.
func (c *call) expand() (bool, string, *apiError) {
	e := c.r.URL.Query().Get("$expand")
	if e == "" {
		return false, "", nil
	}
	m := expandExt.FindStringSubmatch(e)
	if m == nil {
		return false, "", badRequest("BadRequest", "Parsing OData Select and Expand failed: could not find a property named '%s'.", e)
	}
	return true, unquote(m[1]), nil
}

func (c *call) listContacts(folder string) *apiError {
	keep, err := c.filter()
	if err != nil {
		return err
	}
	var items []any
	for _, ct := range c.owner.live(folder) {
		if keep(ct) {
			items = append(items, c.emit(ct))
		}
	}
	return c.page(items)
}

// contactOut is a contact as the API writes it.
type contactOut struct {
	ETag string `json:"@odata.etag"`
	Contact
}

// emit is ct as the API writes it: the raw override an admin fault set,
// or the contact with its extended properties when $expand asks.
func (c *call) emit(ct *contact) any {
	if ct.raw != nil {
		return ct.raw
	}
	out := contactOut{ETag: `W/"` + ct.ChangeKey + `"`, Contact: ct.Contact}
	out.SingleValueExtendedProperties = nil
	if ok, id, _ := c.expand(); ok {
		out.SingleValueExtendedProperties = []ExtendedProperty{}
		for _, p := range ct.SingleValueExtendedProperties {
			if id == "" || strings.EqualFold(p.ID, id) {
				out.SingleValueExtendedProperties = append(out.SingleValueExtendedProperties, p)
			}
		}
	}
	return out
}

// contactProps maps each writable contact property's JSON name to its
// field, for PATCH.
var contactProps = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[Contact]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = i
	}
	return m
}()

// readOnly are the properties Graph computes; a body setting them is
// ignored for them.
var readOnly = map[string]bool{"id": true, "createdDateTime": true, "lastModifiedDateTime": true, "changeKey": true, "parentFolderId": true}

// limited are the properties whose length the sandbox checks, standing
// in for Exchange's own validation of a contact.
var limited = []string{"givenName", "middleName", "surname", "displayName", "companyName", "jobTitle", "department"}

const maxNameLength = 256

// readContact decodes a POST or PATCH body: the contact and the names of
// the properties it sets.
func (c *call) readContact() (Contact, map[string]json.RawMessage, *apiError) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &keys); err != nil || keys == nil {
		return Contact{}, nil, badRequest("BadRequest", "Empty Payload. JSON content expected.")
	}
	for k := range keys {
		if _, ok := contactProps[k]; !ok && !strings.HasPrefix(k, "@odata.") {
			return Contact{}, nil, badRequest("RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.contact'. Make sure to only use property names that are defined by the type or mark the type as open type.", k)
		}
	}
	var ct Contact
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(&ct); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			name, _, _ := strings.Cut(te.Field, ".")
			return Contact{}, nil, badRequest("RequestBodyRead", "Cannot convert the value of the property '%s' to the type it has on 'microsoft.graph.contact'.", name)
		}
		var pe *json.SyntaxError
		if errors.As(err, &pe) {
			return Contact{}, nil, badRequest("RequestBodyRead", "Invalid JSON. A token was not recognized in the JSON content.")
		}
		return Contact{}, nil, badRequest("RequestBodyRead", "The request body could not be read: %v", err)
	}
	for _, name := range limited {
		if _, set := keys[name]; !set {
			continue
		}
		v := reflect.ValueOf(ct).Field(contactProps[name])
		if !v.IsNil() && len([]rune(v.Elem().String())) > maxNameLength {
			return Contact{}, nil, badRequest("ErrorInvalidProperty", "The property '%s' is longer than %d characters.", name, maxNameLength)
		}
	}
	return ct, keys, nil
}

func (c *call) createContact(folder string) *apiError {
	ct, _, err := c.readContact()
	if err != nil {
		return err
	}
	ct.ParentFolderID = folder
	nc := c.s.st.addContact(c.owner, ct, c.s.nowLocked())
	writeJSON(c.w, 201, c.emit(nc))
	return nil
}

func (c *call) updateContact(ct *contact) *apiError {
	p, keys, err := c.readContact()
	if err != nil {
		return err
	}
	dst, src := reflect.ValueOf(&ct.Contact).Elem(), reflect.ValueOf(p)
	for k := range keys {
		if i, ok := contactProps[k]; ok && !readOnly[k] {
			dst.Field(i).Set(src.Field(i))
		}
	}
	ct.raw = nil
	normalize(&ct.Contact)
	c.s.st.touch(ct, c.s.nowLocked())
	return c.ok(c.emit(ct))
}

// delta answers a delta query on folder: a first round lists every
// contact, later rounds (from a deltaLink) what changed since, deleted
// contacts as @removed rows.
func (c *call) delta(folder string) *apiError {
	st := c.s.st
	q := c.r.URL.Query()
	var ds deltaState
	switch tk := q.Get("$deltatoken") + q.Get("$skiptoken"); {
	case tk != "":
		var ok bool
		if ds, ok = st.deltas[tk]; !ok || ds.user != c.owner.ID || ds.folder != folder {
			return &apiError{status: 410, code: "SyncStateNotFound", message: "The sync state generation is not found. The delta token is expired and data must be synchronized again."}
		}
	default:
		ds = deltaState{user: c.owner.ID, folder: folder, initial: true, pageSize: c.s.cfg.PageSize}
		if n, ok := maxPageSize(c.r.Header.Get("Prefer")); ok {
			ds.pageSize = n
			c.w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(n))
		}
	}
	changed := c.owner.changed(folder, ds.pos, ds.initial)
	rows := make([]any, 0, min(len(changed), ds.pageSize))
	for _, ct := range changed[:min(len(changed), ds.pageSize)] {
		if ct.deleted {
			rows = append(rows, removed{ID: ct.ID, Removed: removedReason{Reason: "deleted"}})
		} else {
			rows = append(rows, c.emit(ct))
		}
	}
	out := map[string]any{"value": rows}
	link := baseURL(c.r) + c.r.URL.Path + "?"
	tk := st.id("DT")
	if len(changed) > ds.pageSize {
		ds.pos = changed[ds.pageSize-1].seq
		st.deltas[tk] = ds
		out["@odata.nextLink"] = link + url.Values{"$skiptoken": {tk}}.Encode()
	} else {
		st.deltas[tk] = deltaState{user: ds.user, folder: folder, from: st.seq, pos: st.seq, pageSize: ds.pageSize}
		out["@odata.deltaLink"] = link + url.Values{"$deltatoken": {tk}}.Encode()
	}
	return c.ok(out)
}

// maxPageSize reads odata.maxpagesize from a Prefer header.
func maxPageSize(prefer string) (int, bool) {
	for p := range strings.SplitSeq(prefer, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(p), "odata.maxpagesize="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return min(n, 1000), true
			}
		}
	}
	return 0, false
}

// categories answers outlook/masterCategories.
func (c *call) categories(segs []string) *apiError {
	u := c.owner
	m := c.r.Method
	if len(segs) == 0 {
		switch m {
		case http.MethodGet:
			out := make([]any, len(u.categories))
			for i, cat := range u.categories {
				out[i] = cat
			}
			return c.ok(map[string]any{"value": out})
		case http.MethodPost:
			var in Category
			if err := json.Unmarshal(c.body, &in); err != nil {
				return badRequest("RequestBodyRead", "Invalid JSON in the request body.")
			}
			if strings.TrimSpace(in.DisplayName) == "" {
				return badRequest("ErrorInvalidArgument", "The property 'displayName' is required.")
			}
			if in.Color == "" {
				in.Color = "none"
			}
			if !validColor(in.Color) {
				return badRequest("RequestBodyRead", "Requested value '%s' was not found in the property 'color'.", in.Color)
			}
			if u.categoryNamed(in.DisplayName) != nil {
				return &apiError{status: 409, code: "ErrorAlreadyExists", message: "An object with this name already exists."}
			}
			cat := &Category{ID: c.s.st.guid(), DisplayName: in.DisplayName, Color: in.Color}
			u.categories = append(u.categories, cat)
			writeJSON(c.w, 201, cat)
			return nil
		}
		return methodNotAllowed()
	}
	cat, i := u.category(segs[0])
	if cat == nil || len(segs) > 1 {
		return itemNotFound()
	}
	switch m {
	case http.MethodGet:
		return c.ok(cat)
	case http.MethodDelete:
		u.categories = append(u.categories[:i], u.categories[i+1:]...)
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPatch:
		var in map[string]json.RawMessage
		if err := json.Unmarshal(c.body, &in); err != nil {
			return badRequest("RequestBodyRead", "Invalid JSON in the request body.")
		}
		for k, v := range in {
			switch k {
			case "color":
				var col string
				if json.Unmarshal(v, &col) != nil || !validColor(col) {
					return badRequest("RequestBodyRead", "Requested value was not found in the property 'color'.")
				}
				cat.Color = col
			case "displayName":
				// Graph: the displayName can't be modified once the
				// category exists.
				var name string
				if json.Unmarshal(v, &name) == nil && name == cat.DisplayName {
					continue
				}
				return badRequest("ErrorInvalidRequest", "The property 'displayName' of a category can't be modified.")
			default:
				return badRequest("RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.outlookCategory'.", k)
			}
		}
		return c.ok(cat)
	}
	return methodNotAllowed()
}
