package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
)

// changeWindow is how far back getDeleted reaches: an older cursor has
// expired.
const changeWindow = 15 * 24 * time.Hour

// overlap is re-read on every incremental listing: SystemModstamp is
// stamped when a transaction commits, so a record may appear a little
// behind a later one.
const overlap = time.Minute

// cursor is the Changes cursor, as JSON.
type cursor struct {
	// Since is the highest SystemModstamp (or deletedDate) listed so far,
	// RFC 3339; empty before the first full listing has produced one.
	Since string `json:"since"`
	// Next is the nextRecordsUrl of the page that follows; empty at the
	// start of a listing.
	Next string `json:"next"`
	// Full is true during the first (full) listing.
	Full bool `json:"full,omitempty"`
	// Job is the Bulk API 2.0 query job of a first listing that runs as
	// one, and Locator its next results page (Sforce-Locator).
	Job     string `json:"job,omitempty"`
	Locator string `json:"locator,omitempty"`
}

// Capabilities implements connector.Connector.
func (c *Connector) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: batchSize}
}

// Fields returns the fields Changes selects for object: Config.Fields when
// it lists the object, else every field describe reports except compound
// (address, location) ones. Describe is called once per object.
func (c *Connector) Fields(ctx context.Context, object string) ([]string, error) {
	if fs, ok := c.cfg.Fields[object]; ok {
		return withAudit(fs, c.cfg.ExternalIDField), nil
	}
	c.mu.Lock()
	fs, ok := c.fields[object]
	c.mu.Unlock()
	if ok {
		return fs, nil
	}
	var d describeResponse
	if err := c.do(ctx, http.MethodGet, "/sobjects/"+url.PathEscape(object)+"/describe", nil, &d); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	types := make(map[string]string, len(d.Fields))
	for _, f := range d.Fields {
		types[f.Name] = f.Type
		if f.Type == "address" || f.Type == "location" {
			continue
		}
		fs = append(fs, f.Name)
	}
	c.mu.Lock()
	c.fields[object] = fs
	c.mu.Unlock()
	c.keepColumnTypes(object, types)
	return fs, nil
}

// withAudit adds the fields a Record is built from to a configured list.
func withAudit(fs []string, ext string) []string {
	out := slices.Clone(fs)
	for _, f := range []string{"Id", "CreatedDate", "SystemModstamp", ext} {
		if !slices.ContainsFunc(out, func(s string) bool { return strings.EqualFold(s, f) }) {
			out = append(out, f)
		}
	}
	return out
}

// Changes implements connector.Connector. The cursor is
// {"since": RFC 3339 SystemModstamp, "next": nextRecordsUrl}. An empty
// cursor lists every record ordered by SystemModstamp, Id; later listings
// ask for SystemModstamp >= since minus a minute and, on their first page,
// getDeleted's tombstones. A since older than 15 days answers
// connector.ErrCursorExpired.
func (c *Connector) Changes(ctx context.Context, object, cur string) (connector.Page, error) {
	sel, err := parseObject(object)
	if err != nil {
		return connector.Page{}, err
	}
	var cu cursor
	if cur != "" {
		if err := json.Unmarshal([]byte(cur), &cu); err != nil {
			return connector.Page{}, fmt.Errorf("salesforce: changes %s: malformed cursor: %w", object, err)
		}
	} else {
		cu.Full = true
	}
	var since time.Time
	if cu.Since != "" {
		t, err := time.Parse(time.RFC3339, cu.Since)
		if err != nil {
			return connector.Page{}, fmt.Errorf("salesforce: changes %s: malformed cursor time: %w", object, err)
		}
		since = t
	}
	now := c.cfg.Now().UTC()
	if !cu.Full && since.IsZero() {
		cu.Full = true
	}
	if !cu.Full && cu.Next == "" && now.Sub(since) > changeWindow-overlap {
		return connector.Page{}, fmt.Errorf("salesforce: changes %s: since %s: %w", object, cu.Since, connector.ErrCursorExpired)
	}
	if cu.Full && cu.Next == "" {
		if cu.Job != "" {
			return c.bulkPage(ctx, sel.name, cu)
		}
		if big, total, err := c.bulkWorthy(ctx, sel); err != nil {
			return connector.Page{}, err
		} else if big {
			return c.bulkStart(ctx, sel, total)
		}
	}
	var page connector.Page
	high := since
	if !cu.Full && cu.Next == "" {
		dels, err := c.deleted(ctx, sel.name, since.Add(-overlap), now)
		if err != nil {
			return connector.Page{}, err
		}
		for _, d := range dels {
			if d.Modified.After(high) {
				high = d.Modified
			}
		}
		page.Records = append(page.Records, dels...)
	}
	var q queryResponse
	if cu.Next != "" {
		if err := c.do(ctx, http.MethodGet, cu.Next, nil, &q); err != nil {
			if !isCode(err, "INVALID_QUERY_LOCATOR") {
				return connector.Page{}, fmt.Errorf("salesforce: changes %s: %w", object, err)
			}
			// The server forgot the query: resume from the highest stamp
			// listed, which the order makes a safe restart point.
			cu.Next = ""
			if cu.Full && since.IsZero() {
				return c.Changes(ctx, object, "")
			}
			cu.Full = false
			b, _ := json.Marshal(cu)
			return c.Changes(ctx, object, string(b))
		}
	} else {
		fields, err := c.Fields(ctx, sel.name)
		if err != nil {
			return connector.Page{}, err
		}
		var where []string
		if sel.where != "" {
			where = append(where, "("+sel.where+")")
		}
		if !cu.Full {
			where = append(where, "SystemModstamp >= "+since.Add(-overlap).UTC().Format("2006-01-02T15:04:05Z"))
		}
		soql := "SELECT " + strings.Join(fields, ", ") + " FROM " + sel.name
		if len(where) > 0 {
			soql += " WHERE " + strings.Join(where, " AND ")
		}
		soql += " ORDER BY SystemModstamp, Id"
		if err := c.do(ctx, http.MethodGet, "/query?q="+url.QueryEscape(soql), nil, &q); err != nil {
			if isCode(err, "INVALID_REPLICATION_DATE") {
				return connector.Page{}, fmt.Errorf("salesforce: changes %s: %w", object, connector.ErrCursorExpired)
			}
			return connector.Page{}, fmt.Errorf("salesforce: changes %s: %w", object, err)
		}
	}
	for _, raw := range q.Records {
		r := c.record(raw)
		if r.Modified.After(high) {
			high = r.Modified
		}
		page.Records = append(page.Records, r)
	}
	page.Total = q.TotalSize
	page.More = !q.Done && q.NextRecordsURL != ""
	next := cursor{Full: cu.Full && page.More}
	if page.More {
		next.Next = q.NextRecordsURL
	}
	if high.IsZero() && !page.More {
		high = now // an empty org: later listings start from now
	}
	if !high.IsZero() {
		next.Since = high.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(next)
	page.Cursor = string(b)
	return page, nil
}

// deleted lists the tombstones of [start, end) with getDeleted.
func (c *Connector) deleted(ctx context.Context, object string, start, end time.Time) ([]connector.Record, error) {
	if !end.After(start.Add(time.Minute)) {
		end = start.Add(2 * time.Minute) // the API wants whole minutes between them
	}
	path := "/sobjects/" + url.PathEscape(object) + "/deleted/?start=" + url.QueryEscape(start.UTC().Format(time.RFC3339)) +
		"&end=" + url.QueryEscape(end.UTC().Format(time.RFC3339))
	var d deletedResponse
	if err := c.do(ctx, http.MethodGet, path, nil, &d); err != nil {
		if isCode(err, "INVALID_REPLICATION_DATE") {
			return nil, fmt.Errorf("salesforce: changes %s: %w: %w", object, connector.ErrCursorExpired, err)
		}
		return nil, fmt.Errorf("salesforce: changes %s: deleted: %w", object, err)
	}
	out := make([]connector.Record, 0, len(d.DeletedRecords))
	for _, r := range d.DeletedRecords {
		out = append(out, connector.Record{ID: r.ID, Deleted: true, Modified: parseTime(r.DeletedDate)})
	}
	return out, nil
}

// record maps a query row to a connector.Record.
func (c *Connector) record(raw map[string]any) connector.Record {
	delete(raw, "attributes")
	id, _ := raw["Id"].(string)
	key, _ := raw[c.cfg.ExternalIDField].(string)
	return connector.Record{ID: id, Key: key, Fields: connector.Fields(raw),
		Created: parseTime(raw["CreatedDate"]), Modified: parseTime(raw["SystemModstamp"])}
}

// dataErrors are the codes of a record Salesforce will refuse again.
var dataErrors = map[string]bool{
	"STRING_TOO_LONG": true, "REQUIRED_FIELD_MISSING": true, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": true,
	"INVALID_EMAIL_ADDRESS": true, "FIELD_INTEGRITY_EXCEPTION": true, "INVALID_FIELD": true,
	"INVALID_TYPE_ON_FIELD_IN_RECORD": true, "MALFORMED_ID": true, "NUMBER_OUTSIDE_VALID_RANGE": true,
	"DUPLICATE_VALUE": true, "FIELD_CUSTOM_VALIDATION_EXCEPTION": true, "INVALID_FIELD_FOR_INSERT_UPDATE": true,
	"INVALID_CROSS_REFERENCE_KEY": true, "JSON_PARSER_ERROR": true, "INVALID_ID_FIELD": true,
	"CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY": true, "INVALID_TYPE": true, "DUPLICATES_DETECTED": true,
}

// notFound are the codes of a record that is gone.
var notFound = map[string]bool{"ENTITY_IS_DELETED": true, "NOT_FOUND": true}

// Write implements connector.Connector with sObject Collections, 200
// records a call, allOrNone=false: creates with a Key are upserts on
// Config.ExternalIDField, so a retried create finds its first record;
// updates are PATCH, deletes DELETE. Each result is in the batch's order.
func (c *Connector) Write(ctx context.Context, object string, writes []connector.Write) ([]connector.Result, error) {
	sel, err := parseObject(object)
	if err != nil {
		return nil, err
	}
	object = sel.name
	results := make([]connector.Result, len(writes))
	var upserts, creates, updates, deletes []int
	for i, w := range writes {
		switch {
		case w.Op == connector.OpCreate && w.Key != "":
			upserts = append(upserts, i)
		case w.Op == connector.OpCreate:
			creates = append(creates, i)
		case w.Op == connector.OpUpdate:
			updates = append(updates, i)
		case w.Op == connector.OpDelete:
			deletes = append(deletes, i)
		default:
			results[i].Err = fmt.Errorf("salesforce: write %s: unknown op %v: %w", object, w.Op, connector.ErrInvalid)
		}
	}
	base := "/composite/sobjects"
	groups := []struct {
		idx    []int
		method string
		path   string
		op     string
	}{
		{upserts, http.MethodPatch, base + "/" + url.PathEscape(object) + "/" + url.PathEscape(c.cfg.ExternalIDField), "upsert"},
		{creates, http.MethodPost, base, "create"},
		{updates, http.MethodPatch, base, "update"},
		{deletes, http.MethodDelete, base, "delete"},
	}
	for _, g := range groups {
		for chunk := range slices.Chunk(g.idx, batchSize) {
			var saved []saveResult
			var err error
			if g.op == "delete" {
				ids := make([]string, len(chunk))
				for j, i := range chunk {
					ids[j] = writes[i].ID
				}
				err = c.do(ctx, g.method, base+"?allOrNone=false&ids="+url.QueryEscape(strings.Join(ids, ",")), nil, &saved)
			} else {
				req := collectionRequest{Records: make([]map[string]any, len(chunk))}
				for j, i := range chunk {
					w := writes[i]
					rec := map[string]any{"attributes": map[string]any{"type": object}}
					for k, v := range w.Fields {
						rec[k] = v
					}
					switch g.op {
					case "upsert":
						rec[c.cfg.ExternalIDField] = w.Key
					case "update":
						rec["Id"] = w.ID
					}
					req.Records[j] = rec
				}
				err = c.do(ctx, g.method, g.path, req, &saved)
			}
			if err != nil {
				return nil, fmt.Errorf("salesforce: %s %s: %w", g.op, object, err)
			}
			if len(saved) != len(chunk) {
				return nil, fmt.Errorf("salesforce: %s %s: %d results for %d records", g.op, object, len(saved), len(chunk))
			}
			for j, i := range chunk {
				results[i] = c.result(object, g.op, writes[i], saved[j])
			}
		}
	}
	return results, nil
}

// result maps one Collections save result.
func (c *Connector) result(object, op string, w connector.Write, s saveResult) connector.Result {
	id := s.ID
	if id == "" {
		id = w.ID
	}
	if s.Success {
		return connector.Result{ID: id}
	}
	if len(s.Errors) == 0 {
		return connector.Result{ID: w.ID, Err: fmt.Errorf("salesforce: %s %s: failed without an error", op, object)}
	}
	e := s.Errors[0]
	var err error
	switch code := e.Code(); {
	case dataErrors[code]:
		field := ""
		if len(e.Fields) > 0 {
			field = e.Fields[0]
		}
		err = &connector.FieldError{Field: field, Err: fmt.Errorf("%w: %w", connector.ErrInvalid, &e)}
	case notFound[code]:
		err = fmt.Errorf("%w: %w", connector.ErrNotFound, &e)
	default: // UNABLE_TO_LOCK_ROW and the like: worth another try
		err = &e
	}
	return connector.Result{ID: w.ID, Err: fmt.Errorf("salesforce: %s %s: %w", op, object, err)}
}
