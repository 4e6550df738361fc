package msgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// keyProperty is the single-value extended property that holds a
// contact's idempotency key: a string property named in the connector's
// own property set (a GUID of its own, as Graph asks of custom names).
const keyProperty = "String {6d4b8f0e-3c2a-4e71-9b5d-c7a1f0e2d934} Name crmsyncKey"

// simple maps the mailbox's single-valued string fields to Graph's
// contact properties.
var simple = map[string]string{
	mailbox.GivenName:   "givenName",
	mailbox.MiddleName:  "middleName",
	mailbox.Surname:     "surname",
	mailbox.DisplayName: "displayName",
	mailbox.CompanyName: "companyName",
	mailbox.JobTitle:    "jobTitle",
	mailbox.Department:  "department",
	mailbox.MobilePhone: "mobilePhone",
	mailbox.Notes:       "personalNotes",
}

// fieldOfProperty names a Graph property in the mailbox's vocabulary,
// where one field stands for it; else it is Graph's name.
func fieldOfProperty(p string) string {
	for f, gp := range simple {
		if gp == p {
			return f
		}
	}
	switch p {
	case "emailAddresses":
		return mailbox.Email
	case "businessPhones":
		return mailbox.BusinessPhone
	case "homePhones":
		return mailbox.HomePhone
	case "categories":
		return mailbox.Categories
	}
	return p
}

// cursor is where a listing stands: per synced folder ("" for the
// default Contacts folder) the delta link of its last round, or the next
// link of the round in progress; Round holds the folders the current
// round has yet to finish, the first one being read.
type cursor struct {
	V     int               `json:"v"`
	Links map[string]string `json:"links"`
	Round []string          `json:"round,omitempty"`
}

// Changes lists the contacts changed since cursor with Graph's delta
// query, one page of one folder per call; an empty cursor lists every
// contact. A delta token Graph no longer holds answers
// connector.ErrCursorExpired.
func (c *Connector) Changes(ctx context.Context, object, cur string) (connector.Page, error) {
	if object != mailbox.Object {
		return connector.Page{}, fmt.Errorf("msgraph: changes: no object %q (only %q)", object, mailbox.Object)
	}
	st := cursor{V: 1, Links: map[string]string{}}
	if cur != "" {
		if err := json.Unmarshal([]byte(cur), &st); err != nil || st.V != 1 || st.Links == nil {
			return connector.Page{}, fmt.Errorf("msgraph: changes: unreadable cursor: %w", connector.ErrCursorExpired)
		}
	}
	if len(st.Round) == 0 {
		keys, err := c.syncFolders(ctx)
		if err != nil {
			return connector.Page{}, fmt.Errorf("msgraph: changes: folders: %w", err)
		}
		st.Round = keys
		for k := range st.Links {
			if !slices.Contains(keys, k) {
				delete(st.Links, k) // the folder is gone
			}
		}
	}
	key := st.Round[0]
	link := st.Links[key]
	if link == "" {
		link = c.folderPath(key) + "/delta"
	}
	var page collection
	hdr := http.Header{"Prefer": {fmt.Sprintf("odata.maxpagesize=%d", c.cfg.PageSize)}}
	if err := c.do(ctx, request{method: http.MethodGet, target: link, header: hdr}, &page); err != nil {
		if errors.Is(err, connector.ErrCursorExpired) {
			return connector.Page{}, fmt.Errorf("msgraph: changes: folder %q: %w: %w", key, connector.ErrCursorExpired, err)
		}
		return connector.Page{}, fmt.Errorf("msgraph: changes: folder %q: %w", key, err)
	}
	out := connector.Page{Records: make([]connector.Record, 0, len(page.Value))}
	for _, raw := range page.Value {
		out.Records = append(out.Records, c.decodeRow(raw))
	}
	switch {
	case page.NextLink != "":
		st.Links[key] = page.NextLink
	case page.DeltaLink != "":
		st.Links[key] = page.DeltaLink
		st.Round = st.Round[1:]
	default:
		return connector.Page{}, fmt.Errorf("msgraph: changes: folder %q: a delta page with neither a next nor a delta link", key)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return connector.Page{}, fmt.Errorf("msgraph: changes: cursor: %w", err)
	}
	out.Cursor, out.More = string(b), len(st.Round) > 0
	return out, nil
}

// folderPath is the contacts collection of a synced folder.
func (c *Connector) folderPath(key string) string {
	if key == "" {
		return c.user + "/contacts"
	}
	return c.user + "/contactFolders/" + url.PathEscape(key) + "/contacts"
}

// syncFolders lists the folders that sync: the configured one, or the
// default Contacts folder ("") and every private folder under it.
func (c *Connector) syncFolders(ctx context.Context) ([]string, error) {
	if c.cfg.FolderID != "" {
		return []string{c.cfg.FolderID}, nil
	}
	fs, err := c.privateFolders(ctx)
	if err != nil {
		return nil, err
	}
	keys := []string{""}
	for _, f := range fs {
		keys = append(keys, f.ID)
	}
	return keys, nil
}

// decodeRow reads one delta row: a tombstone, a contact, or a contact it
// cannot read, reported Invalid so that the rest of the page syncs.
func (c *Connector) decodeRow(raw json.RawMessage) connector.Record {
	rec, err := decodeContact(raw)
	if err != nil {
		return connector.Record{ID: rec.ID, Invalid: err.Error()}
	}
	if rec.Deleted {
		rec.Modified = c.cfg.Now().UTC() // Graph does not say when
	}
	return rec
}

// decodeContact reads a contact or an @removed row. On an error the
// record holds what id could be read.
func decodeContact(raw []byte) (connector.Record, error) {
	var row deltaRow
	if err := json.Unmarshal(raw, &row); err != nil {
		return connector.Record{}, fmt.Errorf("msgraph: contact is not a JSON object with an id: %w", err)
	}
	if row.ID == "" {
		return connector.Record{}, errors.New("msgraph: contact has no id")
	}
	if row.Removed != nil {
		return connector.Record{ID: row.ID, Deleted: true}, nil
	}
	var ct contact
	if err := json.Unmarshal(raw, &ct); err != nil {
		return connector.Record{ID: row.ID}, fmt.Errorf("msgraph: contact %s: %w", row.ID, err)
	}
	rec := connector.Record{ID: ct.ID, Fields: fieldsOf(&ct)}
	if ct.CreatedDateTime != nil {
		rec.Created = ct.CreatedDateTime.UTC()
	}
	if ct.LastModifiedDateTime != nil {
		rec.Modified = ct.LastModifiedDateTime.UTC()
	}
	for _, p := range ct.Extended {
		if strings.EqualFold(p.ID, keyProperty) {
			rec.Key = p.Value
		}
	}
	return rec, nil
}

// fieldsOf is a contact in the mailbox's vocabulary: every field, "" when
// Graph has none.
func fieldsOf(ct *contact) connector.Fields {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	nth := func(vs []string, i int) string {
		if i < len(vs) {
			return vs[i]
		}
		return ""
	}
	emails := make([]string, 3)
	for i := range min(len(ct.EmailAddresses), 3) {
		emails[i] = ct.EmailAddresses[i].Address
	}
	addr := ct.BusinessAddress
	if addr == nil {
		addr = &physicalAddress{}
	}
	return connector.Fields{
		mailbox.GivenName: s(ct.GivenName), mailbox.MiddleName: s(ct.MiddleName), mailbox.Surname: s(ct.Surname),
		mailbox.DisplayName: s(ct.DisplayName), mailbox.CompanyName: s(ct.CompanyName), mailbox.JobTitle: s(ct.JobTitle),
		mailbox.Department: s(ct.Department),
		mailbox.Email:      emails[0], mailbox.Email2: emails[1], mailbox.Email3: emails[2],
		mailbox.BusinessPhone: nth(ct.BusinessPhones, 0), mailbox.MobilePhone: s(ct.MobilePhone), mailbox.HomePhone: nth(ct.HomePhones, 0),
		mailbox.Street: addr.Street, mailbox.City: addr.City, mailbox.State: addr.State, mailbox.PostalCode: addr.PostalCode,
		mailbox.Country: addr.CountryOrRegion, mailbox.Categories: joinCategories(ct.Categories),
		mailbox.Notes: s(ct.PersonalNotes), mailbox.FolderID: ct.ParentFolderID,
	}
}

// joinCategories is a contact's categories as the one Categories value.
// A name holding ";" cannot be told from two names in that value, so it
// reads as the names it splits into (Outlook's own lists use ";" as a
// separator too).
func joinCategories(cats []string) string {
	return mailbox.JoinCategories(mailbox.SplitCategories(mailbox.JoinCategories(cats)))
}

// Write applies a batch, one Graph call (or two) per record, and reports
// each record's result; a failed record does not stop the others.
func (c *Connector) Write(ctx context.Context, object string, writes []connector.Write) ([]connector.Result, error) {
	if object != mailbox.Object {
		return nil, fmt.Errorf("msgraph: write: no object %q (only %q)", object, mailbox.Object)
	}
	out := make([]connector.Result, len(writes))
	for i, w := range writes {
		if err := ctx.Err(); err != nil {
			if i == 0 {
				return nil, err
			}
			out[i] = connector.Result{ID: w.ID, Err: err}
			continue
		}
		switch w.Op {
		case connector.OpCreate:
			out[i] = c.create(ctx, w)
		case connector.OpUpdate:
			out[i] = c.update(ctx, w)
		case connector.OpDelete:
			out[i] = c.delete(ctx, w)
		default:
			out[i] = connector.Result{ID: w.ID, Err: fmt.Errorf("msgraph: write: op %v: %w", w.Op, connector.ErrInvalid)}
		}
	}
	return out, nil
}

// createPath is where creates go: the configured folder or Contacts.
func (c *Connector) createPath() string {
	if c.cfg.FolderID != "" {
		return c.folderPath(c.cfg.FolderID)
	}
	return c.folderPath("")
}

// create looks the key up first so that a retried create answers the
// contact the first one made, then posts the contact with its key. A
// throttled or failed post is retried from the lookup: the post may have
// gone through.
func (c *Connector) create(ctx context.Context, w connector.Write) connector.Result {
	body, err := contactBody(w.Fields, nil, true)
	if err != nil {
		return connector.Result{Err: fmt.Errorf("msgraph: create: %w", err)}
	}
	if w.Key != "" {
		body["singleValueExtendedProperties"] = []extendedProperty{{ID: keyProperty, Value: w.Key}}
	}
	for attempt := 0; ; attempt++ {
		if w.Key != "" {
			found, err := c.byKey(ctx, w.Key)
			if err != nil {
				return connector.Result{Err: fmt.Errorf("msgraph: create: look up key: %w", err)}
			}
			if found != nil {
				return connector.Result{ID: found.ID, Modified: modified(found)}
			}
		}
		var ct contact
		err := c.do(ctx, request{method: http.MethodPost, target: c.createPath(), body: body, once: true}, &ct)
		if err == nil {
			return connector.Result{ID: ct.ID, Modified: modified(&ct)}
		}
		var ae *APIError
		if errors.As(err, &ae) && retryable(ae.Status) && attempt < c.cfg.MaxRetries {
			after := ""
			var re *connector.RetryError
			if errors.As(err, &re) && re.After > 0 {
				after = fmt.Sprint(int(re.After.Seconds()))
			}
			if err := c.wait(ctx, attempt, after, request{method: http.MethodPost}, ae.Status); err != nil {
				return connector.Result{Err: err}
			}
			continue
		}
		return connector.Result{Err: fmt.Errorf("msgraph: create: %w", err)}
	}
}

// byKey finds the contact created with key in the create folder, or nil.
func (c *Connector) byKey(ctx context.Context, key string) (*contact, error) {
	q := url.Values{
		"$filter": {fmt.Sprintf("singleValueExtendedProperties/any(ep: ep/id eq %s and ep/value eq %s)", odataString(keyProperty), odataString(key))},
		"$select": {"id,lastModifiedDateTime"},
		"$top":    {"1"},
	}
	var page struct {
		Value []contact `json:"value"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, target: c.createPath() + "?" + q.Encode()}, &page); err != nil {
		return nil, err
	}
	if len(page.Value) == 0 {
		return nil, nil
	}
	return &page.Value[0], nil
}

func modified(ct *contact) time.Time {
	if ct.LastModifiedDateTime == nil {
		return time.Time{}
	}
	return ct.LastModifiedDateTime.UTC()
}

// multi are the fields stored in a multi-valued or complex Graph
// property: an update of one of them needs the contact's current value.
var multi = []string{mailbox.Email, mailbox.Email2, mailbox.Email3, mailbox.BusinessPhone, mailbox.HomePhone,
	mailbox.Street, mailbox.City, mailbox.State, mailbox.PostalCode, mailbox.Country}

// update patches only the fields given. Graph replaces a collection or a
// complex property whole, so setting email2 reads the contact first and
// writes its addresses back with the second one changed.
func (c *Connector) update(ctx context.Context, w connector.Write) connector.Result {
	if w.ID == "" {
		return connector.Result{Err: fmt.Errorf("msgraph: update: no id: %w", connector.ErrInvalid)}
	}
	target := c.user + "/contacts/" + url.PathEscape(w.ID)
	var cur *contact
	if slices.ContainsFunc(multi, func(f string) bool { _, ok := w.Fields[f]; return ok }) {
		cur = &contact{}
		q := "?$select=emailAddresses,businessPhones,homePhones,businessAddress"
		if err := c.do(ctx, request{method: http.MethodGet, target: target + q}, cur); err != nil {
			return connector.Result{ID: w.ID, Err: fmt.Errorf("msgraph: update %s: read: %w", w.ID, err)}
		}
	}
	body, err := contactBody(w.Fields, cur, false)
	if err != nil {
		return connector.Result{ID: w.ID, Err: fmt.Errorf("msgraph: update %s: %w", w.ID, err)}
	}
	if len(body) == 0 {
		return connector.Result{ID: w.ID}
	}
	var ct contact
	if err := c.do(ctx, request{method: http.MethodPatch, target: target, body: body}, &ct); err != nil {
		return connector.Result{ID: w.ID, Err: fmt.Errorf("msgraph: update %s: %w", w.ID, err)}
	}
	return connector.Result{ID: w.ID, Modified: modified(&ct)}
}

// delete removes a contact; one already gone counts as done.
func (c *Connector) delete(ctx context.Context, w connector.Write) connector.Result {
	err := c.do(ctx, request{method: http.MethodDelete, target: c.user + "/contacts/" + url.PathEscape(w.ID)}, nil)
	if err != nil && !errors.Is(err, connector.ErrNotFound) {
		return connector.Result{ID: w.ID, Err: fmt.Errorf("msgraph: delete %s: %w", w.ID, err)}
	}
	return connector.Result{ID: w.ID}
}

// contactBody is the JSON body that sets fields, merged into cur's
// multi-valued properties (nil for a create). An empty value clears the
// property, except on a create, which leaves it out. FolderID is
// read-only and ignored.
func contactBody(fields connector.Fields, cur *contact, create bool) (map[string]any, error) {
	body := map[string]any{}
	str := func(f string) (string, error) {
		switch v := fields[f].(type) {
		case string:
			return v, nil
		case nil:
			return "", nil
		default:
			return "", &connector.FieldError{Field: f, Err: fmt.Errorf("%T is not a string: %w", v, connector.ErrInvalid)}
		}
	}
	if cur == nil {
		cur = &contact{}
	}
	var emailsSet, addrSet bool
	emails := make([]emailAddress, 3)
	for i := range min(len(cur.EmailAddresses), 3) {
		emails[i] = cur.EmailAddresses[i]
	}
	addr := physicalAddress{}
	if cur.BusinessAddress != nil {
		addr = *cur.BusinessAddress
	}
	for f := range fields {
		v, err := str(f)
		if err != nil {
			return nil, err
		}
		if p, ok := simple[f]; ok {
			switch {
			case v != "":
				body[p] = v
			case !create:
				body[p] = nil
			}
			continue
		}
		switch f {
		case mailbox.Email, mailbox.Email2, mailbox.Email3:
			i := map[string]int{mailbox.Email: 0, mailbox.Email2: 1, mailbox.Email3: 2}[f]
			if emails[i].Address != v {
				emails[i] = emailAddress{Name: v, Address: v}
			}
			emailsSet = true
		case mailbox.BusinessPhone:
			body["businessPhones"] = setFirst(cur.BusinessPhones, v)
		case mailbox.HomePhone:
			body["homePhones"] = setFirst(cur.HomePhones, v)
		case mailbox.Street:
			addr.Street, addrSet = v, true
		case mailbox.City:
			addr.City, addrSet = v, true
		case mailbox.State:
			addr.State, addrSet = v, true
		case mailbox.PostalCode:
			addr.PostalCode, addrSet = v, true
		case mailbox.Country:
			addr.CountryOrRegion, addrSet = v, true
		case mailbox.Categories:
			cats := mailbox.SplitCategories(v)
			if cats == nil {
				cats = []string{}
			}
			body["categories"] = cats
		case mailbox.FolderID:
			// read-only: a contact stays in its folder
		default:
			return nil, &connector.FieldError{Field: f, Err: fmt.Errorf("no such mailbox field: %w", connector.ErrInvalid)}
		}
	}
	if emailsSet {
		// Graph keeps no empty slots: the addresses close up.
		list := []emailAddress{}
		for _, e := range emails {
			if e.Address != "" {
				list = append(list, e)
			}
		}
		body["emailAddresses"] = list
	}
	if addrSet {
		body["businessAddress"] = addr
	}
	if create {
		for k, v := range body {
			if l, ok := v.([]string); ok && len(l) == 0 {
				delete(body, k)
			}
		}
	}
	return body, nil
}

// setFirst is vs with its first value v ("" removes it), the others kept.
func setFirst(vs []string, v string) []string {
	out := slices.Clone(vs)
	switch {
	case len(out) == 0 && v != "":
		out = []string{v}
	case len(out) > 0 && v != "":
		out[0] = v
	case len(out) > 0:
		out = out[1:]
	}
	if out == nil {
		out = []string{}
	}
	return out
}
