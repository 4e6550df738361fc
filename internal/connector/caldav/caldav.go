// Package caldav is a CalDAV task list (RFC 4791 VTODO) as a connector: a
// user's reminder tasks on any CalDAV server (Radicale, Nextcloud, iCloud,
// Fastmail...), spoken in the hub's task vocabulary so that the reminder-
// task stream (internal/task) pairs it with the CRM's Tasks unchanged
// (SPEC T1–T8 "CalDAV task lists").
//
// Fields: name ↔ SUMMARY, status Open ↔ NEEDS-ACTION and Complete ↔
// COMPLETED (IN-PROCESS and CANCELLED come through as they are, values the
// stream's map does not sync), priority High ↔ 1 and Normal ↔ 5 (other
// PRIORITY values come through as their number, not synced), due ↔ DUE
// (a date), details ↔ DESCRIPTION. An update changes only those
// properties of the stored VTODO and keeps every other one (alarms,
// categories, a client's X- properties); it is sent with If-Match, so an
// edit made on the server since the listing is never overwritten (the
// write fails for now and the next run merges it). A create goes to
// KEY.ics with If-None-Match: *, so a retried create finds its object
// instead of making a second one.
//
// Changes lists the collection with one calendar-query REPORT (calendar
// data and ETags); the cursor keeps each object's ETag, so a run reports
// what was added, changed or removed since the last one.
package caldav

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	goical "github.com/emersion/go-ical"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/dav"
)

// Object is the connector's one object, the hub task vocabulary's.
const Object = "task"

// SystemName is the store's system name of a CalDAV task list connection.
const SystemName = "caldav-tasks"

// Config configures a Connector.
type Config struct {
	// URL is the task list collection, e.g.
	// https://dav.example.com/ann/tasks/ (a trailing slash is added).
	URL      string
	Username string
	Password string
	// HTTPClient defaults to one with a 60 s timeout.
	HTTPClient *http.Client
	// MaxRetries of a call refused for now (429, 503): 4 by default.
	MaxRetries int
	// Sleep waits between retries (backoff.Sleep by default).
	Sleep func(context.Context, time.Duration) error
}

// Connector is a CalDAV task list.
type Connector struct {
	cfg  Config
	base *url.URL
	dav  *dav.Client

	mu  sync.Mutex
	bad map[string]string // href → why it could not be read
}

func (c *Connector) unreadable(href string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bad == nil {
		c.bad = map[string]string{}
	}
	c.bad[href] = err.Error()
}

// Unreadable lists the objects the last listings left out because their
// iCalendar could not be read, with the reason, by href.
func (c *Connector) Unreadable() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.bad))
	for k, v := range c.bad {
		out[k] = v
	}
	return out
}

var _ connector.Connector = (*Connector)(nil)

// New checks cfg; it makes no call yet.
func New(cfg Config) (*Connector, error) {
	if !strings.HasSuffix(cfg.URL, "/") {
		cfg.URL += "/"
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("caldav: new: URL %q is not an http(s) collection URL", cfg.URL)
	}
	dc, err := dav.New(dav.Config{Name: "caldav", URL: cfg.URL, Username: cfg.Username, Password: cfg.Password,
		HTTPClient: cfg.HTTPClient, MaxRetries: cfg.MaxRetries, Sleep: cfg.Sleep})
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, base: u, dav: dc}, nil
}

// Capabilities implements connector.Connector.
func (c *Connector) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: 50}
}

// cursor is the ETag of every object at the last listing, by href.
type cursor struct {
	ETags map[string]string `json:"etags"`
}

// Changes implements connector.Connector: every object added or changed
// since cur, and a deleted record for each one gone.
func (c *Connector) Changes(ctx context.Context, object, cur string) (connector.Page, error) {
	if object != Object {
		return connector.Page{}, fmt.Errorf("caldav: changes: no object %q (only %q)", object, Object)
	}
	var prev cursor
	if cur != "" {
		if err := json.Unmarshal([]byte(cur), &prev); err != nil {
			return connector.Page{}, fmt.Errorf("caldav: changes: malformed cursor: %w", err)
		}
	}
	c.mu.Lock()
	c.bad = nil // this listing says what is unreadable now
	c.mu.Unlock()
	objs, err := c.list(ctx)
	if err != nil {
		return connector.Page{}, err
	}
	next := cursor{ETags: make(map[string]string, len(objs))}
	var page connector.Page
	for _, o := range objs {
		next.ETags[o.href] = o.etag
		if prev.ETags[o.href] == o.etag && o.etag != "" {
			continue
		}
		rec, err := o.record()
		if err != nil {
			// An object we cannot read is reported once per version of
			// it, for the engine to set aside for review; its ETag stays
			// in the cursor, so an edit that repairs it reads it anew.
			c.unreadable(o.href, err)
			rec = connector.Record{ID: o.href, Invalid: err.Error(), Modified: time.Now().UTC()}
		}
		page.Records = append(page.Records, rec)
	}
	for href := range prev.ETags {
		if _, ok := next.ETags[href]; !ok {
			page.Records = append(page.Records, connector.Record{ID: href, Deleted: true, Modified: time.Now().UTC()})
		}
	}
	slices.SortFunc(page.Records, func(a, b connector.Record) int { return strings.Compare(a.ID, b.ID) })
	b, _ := json.Marshal(next)
	page.Cursor, page.Total = string(b), int64(len(objs))
	return page, nil
}

// object is one calendar object of the collection.
type object struct {
	href, etag string
	cal        *goical.Calendar
	raw        []byte
	err        error // why cal could not be decoded
}

// record maps a calendar object's VTODO to the task vocabulary.
func (o object) record() (connector.Record, error) {
	if o.err != nil {
		return connector.Record{}, o.err
	}
	todo := vtodo(o.cal)
	if todo == nil {
		return connector.Record{}, errors.New("no VTODO in the calendar object")
	}
	uid := propText(todo, goical.PropUID)
	f := connector.Fields{
		"name":    propText(todo, goical.PropSummary),
		"details": propText(todo, goical.PropDescription),
		"due":     "",
	}
	switch st := strings.ToUpper(propText(todo, goical.PropStatus)); st {
	case "", "NEEDS-ACTION":
		f["status"] = "Open"
	case "COMPLETED":
		f["status"] = "Complete"
	default:
		f["status"] = st // IN-PROCESS, CANCELLED: no hub counterpart
	}
	switch p := propText(todo, goical.PropPriority); p {
	case "1":
		f["priority"] = "High"
	case "5", "", "0":
		f["priority"] = "Normal"
	default:
		f["priority"] = p
	}
	if due := todo.Props.Get(goical.PropDue); due != nil {
		v := due.Value
		if len(v) >= 8 {
			f["due"] = v[0:4] + "-" + v[4:6] + "-" + v[6:8]
		}
	}
	modified := time.Now().UTC()
	if t, err := todo.Props.DateTime(goical.PropLastModified, time.UTC); err == nil && !t.IsZero() {
		modified = t
	}
	created := modified
	if t, err := todo.Props.DateTime(goical.PropCreated, time.UTC); err == nil && !t.IsZero() {
		created = t
	}
	return connector.Record{ID: o.href, Key: uid, Fields: f, Created: created, Modified: modified}, nil
}

func vtodo(cal *goical.Calendar) *goical.Component {
	if cal == nil {
		return nil
	}
	for _, ch := range cal.Children {
		if ch.Name == goical.CompToDo {
			return ch
		}
	}
	return nil
}

func propText(comp *goical.Component, name string) string {
	s, err := comp.Props.Text(name)
	if err != nil {
		if p := comp.Props.Get(name); p != nil {
			return p.Value
		}
	}
	return s
}

// Write implements connector.Connector.
func (c *Connector) Write(ctx context.Context, object string, ws []connector.Write) ([]connector.Result, error) {
	if object != Object {
		return nil, fmt.Errorf("caldav: write: no object %q (only %q)", object, Object)
	}
	out := make([]connector.Result, len(ws))
	for i, w := range ws {
		id, err := c.write(ctx, w)
		out[i] = connector.Result{ID: id, Modified: time.Now().UTC(), Err: err}
	}
	return out, nil
}

func (c *Connector) write(ctx context.Context, w connector.Write) (string, error) {
	switch w.Op {
	case connector.OpDelete:
		status, _, _, err := c.do(ctx, http.MethodDelete, w.ID, nil, nil)
		if err == nil && status == http.StatusNotFound {
			return w.ID, nil // already gone
		}
		return w.ID, err
	case connector.OpCreate:
		key := w.Key
		if key == "" {
			key = randomUID()
		}
		href := c.base.Path + safeName(key) + ".ics"
		cal := newTodo(key)
		if err := apply(vtodo(cal), w.Fields); err != nil {
			return "", &connector.FieldError{Field: err.field, Err: fmt.Errorf("%w: %v", connector.ErrInvalid, err.err)}
		}
		status, _, _, err := c.put(ctx, href, cal, map[string]string{"If-None-Match": "*"})
		if err != nil {
			return "", err
		}
		if status == http.StatusPreconditionFailed {
			return href, nil // a retry: the first attempt made it
		}
		return href, nil
	case connector.OpUpdate:
		status, hdr, raw, err := c.do(ctx, http.MethodGet, w.ID, nil, nil)
		if err != nil {
			return w.ID, err
		}
		if status == http.StatusNotFound {
			return w.ID, fmt.Errorf("caldav: %s: %w", w.ID, connector.ErrNotFound)
		}
		cal, err := goical.NewDecoder(bytes.NewReader(raw)).Decode()
		if err != nil || vtodo(cal) == nil {
			return w.ID, fmt.Errorf("caldav: %s: %w: not a VTODO: %v", w.ID, connector.ErrInvalid, err)
		}
		todo := vtodo(cal)
		if ferr := apply(todo, w.Fields); ferr != nil {
			return w.ID, &connector.FieldError{Field: ferr.field, Err: fmt.Errorf("%w: %v", connector.ErrInvalid, ferr.err)}
		}
		seq, _ := strconv.Atoi(propText(todo, goical.PropSequence))
		todo.Props.SetText(goical.PropSequence, strconv.Itoa(seq+1))
		status, _, _, err = c.put(ctx, w.ID, cal, map[string]string{"If-Match": hdr.Get("ETag")})
		if err != nil {
			return w.ID, err
		}
		if status == http.StatusPreconditionFailed {
			// Edited on the server since we read it: for now; the next
			// run lists the edit and merges it.
			return w.ID, &connector.RetryError{After: time.Second, Err: fmt.Errorf("caldav: %s changed on the server meanwhile", w.ID)}
		}
		return w.ID, nil
	}
	return w.ID, fmt.Errorf("caldav: unknown write %v", w.Op)
}

type fieldErr struct {
	field string
	err   error
}

// apply sets the mapped properties of todo from fields and leaves the
// others alone.
func apply(todo *goical.Component, fields connector.Fields) *fieldErr {
	now := time.Now().UTC()
	for name, v := range fields {
		s, _ := v.(string)
		switch name {
		case "name":
			setOrDel(todo, goical.PropSummary, s)
		case "details":
			setOrDel(todo, goical.PropDescription, s)
		case "status":
			switch s {
			case "Open":
				todo.Props.SetText(goical.PropStatus, "NEEDS-ACTION")
				todo.Props.Del(goical.PropCompleted)
			case "Complete":
				todo.Props.SetText(goical.PropStatus, "COMPLETED")
				if todo.Props.Get(goical.PropCompleted) == nil {
					todo.Props.SetDateTime(goical.PropCompleted, now)
				}
			default:
				return &fieldErr{"status", fmt.Errorf("%q is neither Open nor Complete", s)}
			}
		case "priority":
			switch s {
			case "High":
				todo.Props.SetText(goical.PropPriority, "1")
			case "Normal":
				todo.Props.SetText(goical.PropPriority, "5")
			default:
				return &fieldErr{"priority", fmt.Errorf("%q is neither Normal nor High", s)}
			}
		case "due":
			if s == "" {
				todo.Props.Del(goical.PropDue)
				continue
			}
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return &fieldErr{"due", fmt.Errorf("%q is not a date YYYY-MM-DD", s)}
			}
			todo.Props.SetDate(goical.PropDue, d)
		}
	}
	todo.Props.SetDateTime(goical.PropLastModified, now)
	todo.Props.SetDateTime(goical.PropDateTimeStamp, now)
	return nil
}

func setOrDel(todo *goical.Component, name, v string) {
	if v == "" {
		todo.Props.Del(name)
		return
	}
	todo.Props.SetText(name, v)
}

func newTodo(uid string) *goical.Calendar {
	cal := goical.NewCalendar()
	cal.Props.SetText(goical.PropVersion, "2.0")
	cal.Props.SetText(goical.PropProductID, "-//crmsync//reminder tasks//EN")
	todo := goical.NewComponent(goical.CompToDo)
	todo.Props.SetText(goical.PropUID, uid)
	todo.Props.SetDateTime(goical.PropCreated, time.Now().UTC())
	cal.Children = append(cal.Children, todo)
	return cal
}

// safeName keeps a key usable as a path segment.
func safeName(key string) string {
	var b strings.Builder
	for _, r := range key {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "_%x", r)
		}
	}
	return b.String()
}

func randomUID() string {
	return strconv.FormatInt(time.Now().UnixNano(), 36) + "@crmsync"
}

func (c *Connector) put(ctx context.Context, href string, cal *goical.Calendar, hdr map[string]string) (int, http.Header, []byte, error) {
	var buf bytes.Buffer
	if err := goical.NewEncoder(&buf).Encode(cal); err != nil {
		return 0, nil, nil, fmt.Errorf("caldav: encode %s: %w", href, err)
	}
	h := map[string]string{"Content-Type": "text/calendar; charset=utf-8"}
	for k, v := range hdr {
		if v != "" {
			h[k] = v
		}
	}
	return c.do(ctx, http.MethodPut, href, buf.Bytes(), h)
}

// list runs a calendar-query REPORT for every VTODO with its data and ETag.
func (c *Connector) list(ctx context.Context) ([]object, error) {
	body := []byte(`<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter></C:filter>
</C:calendar-query>`)
	status, _, raw, err := c.do(ctx, "REPORT", c.base.Path, body, map[string]string{"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
	if err != nil {
		return nil, err
	}
	if status != http.StatusMultiStatus {
		return nil, fmt.Errorf("caldav: list %s: %d, want 207 Multi-Status", c.cfg.URL, status)
	}
	ms, err := dav.ParseMultiStatus(raw)
	if err != nil {
		return nil, fmt.Errorf("caldav: list %s: %w", c.cfg.URL, err)
	}
	var out []object
	for _, r := range ms.Responses {
		if c.dav.IsCollection(r.Href) {
			continue
		}
		o := object{href: r.Href, etag: r.ETag, raw: r.Data}
		if len(o.raw) == 0 {
			continue
		}
		if o.cal, err = goical.NewDecoder(bytes.NewReader(o.raw)).Decode(); err != nil {
			o.err = fmt.Errorf("malformed iCalendar: %w", err)
		}
		out = append(out, o)
	}
	return out, nil
}

// do sends one request to href (a path on the server) through the shared
// WebDAV client, which retries what the server refuses for now.
func (c *Connector) do(ctx context.Context, method, href string, body []byte, hdr map[string]string) (int, http.Header, []byte, error) {
	return c.dav.Do(ctx, method, href, body, hdr)
}

// Check makes sure the URL is a calendar collection this user may read
// and that it holds tasks (VTODO): the clear error a user saving the
// connection needs, instead of a failing first run.
func (c *Connector) Check(ctx context.Context) error {
	body := []byte(`<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:resourcetype/><C:supported-calendar-component-set/></D:prop>
</D:propfind>`)
	status, _, raw, err := c.do(ctx, "PROPFIND", c.base.Path, body, map[string]string{"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
	if err != nil {
		return err
	}
	if status == http.StatusNotFound {
		return fmt.Errorf("caldav: %s: no such collection on the server", c.cfg.URL)
	}
	if status != http.StatusMultiStatus {
		return fmt.Errorf("caldav: %s: PROPFIND answered %d, want 207 Multi-Status: is this a CalDAV server?", c.cfg.URL, status)
	}
	var ms struct {
		Responses []struct {
			Propstat []struct {
				Prop struct {
					Type struct {
						Calendar *struct{} `xml:"urn:ietf:params:xml:ns:caldav calendar"`
					} `xml:"resourcetype"`
					Comps struct {
						Comp []struct {
							Name string `xml:"name,attr"`
						} `xml:"comp"`
					} `xml:"supported-calendar-component-set"`
				} `xml:"prop"`
				Status string `xml:"status"`
			} `xml:"propstat"`
		} `xml:"response"`
	}
	if err := xml.Unmarshal(raw, &ms); err != nil {
		return fmt.Errorf("caldav: %s: malformed multistatus: %w", c.cfg.URL, err)
	}
	calendar, comps := false, []string(nil)
	for _, r := range ms.Responses {
		for _, ps := range r.Propstat {
			if !strings.Contains(ps.Status, " 200") {
				continue
			}
			calendar = calendar || ps.Prop.Type.Calendar != nil
			for _, cp := range ps.Prop.Comps.Comp {
				comps = append(comps, strings.ToUpper(cp.Name))
			}
		}
	}
	if !calendar {
		return fmt.Errorf("caldav: %s is not a calendar collection", c.cfg.URL)
	}
	// No component set means every component is allowed (RFC 4791 5.2.3).
	if len(comps) > 0 && !slices.Contains(comps, "VTODO") {
		return fmt.Errorf("caldav: %s holds %s, not tasks (VTODO): pick a task list", c.cfg.URL, strings.Join(comps, ", "))
	}
	return nil
}
