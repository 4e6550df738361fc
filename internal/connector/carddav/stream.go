package carddav

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/dav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// cursor is where each private address book's listing stands, by path.
type cursor struct {
	Books map[string]bookCursor `json:"books"`
}

// bookCursor is a sync-collection token (RFC 6578) where the server has
// them, else the ETag of every card at the last listing, by href.
type bookCursor struct {
	Token string            `json:"token,omitempty"`
	ETags map[string]string `json:"etags,omitempty"`
	// More is set when the server truncated the report (RFC 6578 3.6:
	// a 507 for the collection): the next call with Token goes on.
	More bool `json:"-"`
}

// Changes implements connector.Connector: the cards of the private
// address books added or changed since cur, and a deleted record for each
// one gone. Each card is read on its own: one that cannot be read is an
// Invalid record naming it, once per version, and the rest goes on.
func (c *Connector) Changes(ctx context.Context, object, cur string) (connector.Page, error) {
	if object != mailbox.Object {
		return connector.Page{}, fmt.Errorf("carddav: changes: no object %q (only %q)", object, mailbox.Object)
	}
	prev := cursor{}
	if cur != "" {
		if err := json.Unmarshal([]byte(cur), &prev); err != nil {
			return connector.Page{}, fmt.Errorf("carddav: changes: malformed cursor: %w", err)
		}
	}
	books, dc, err := c.private(ctx)
	if err != nil {
		return connector.Page{}, err
	}
	now := c.cfg.Now().UTC()
	next := cursor{Books: map[string]bookCursor{}}
	var page connector.Page
	for _, b := range books {
		bc, recs, total, err := c.changes(ctx, dc, b, prev.Books[b.Path], now)
		if err != nil {
			return connector.Page{}, err
		}
		next.Books[b.Path] = bc
		page.Records = append(page.Records, recs...)
		page.Total += total
		page.More = page.More || bc.More
	}
	// An address book gone from the home: the cards it held are gone.
	for p, bc := range prev.Books {
		if _, ok := next.Books[p]; ok {
			continue
		}
		for href := range bc.ETags {
			page.Records = append(page.Records, connector.Record{ID: href, Deleted: true, Modified: now})
		}
	}
	slices.SortStableFunc(page.Records, func(a, b connector.Record) int {
		if n := a.Modified.Compare(b.Modified); n != 0 {
			return n
		}
		return strings.Compare(a.ID, b.ID)
	})
	raw, _ := json.Marshal(next)
	page.Cursor = string(raw)
	return page, nil
}

// changes lists one address book since prev.
func (c *Connector) changes(ctx context.Context, dc *dav.Client, b AddressBook, prev bookCursor, now time.Time) (bookCursor, []connector.Record, int64, error) {
	if b.Sync && prev.ETags == nil {
		bc, recs, total, err := c.syncChanges(ctx, dc, b, prev.Token, now)
		if err == nil || prev.Token != "" || !unsupported(err) {
			return bc, recs, total, err
		}
		// The server refused the report: list with ETags instead.
	}
	objs, err := c.query(ctx, dc, b)
	if err != nil {
		return bookCursor{}, nil, 0, err
	}
	next := bookCursor{ETags: make(map[string]string, len(objs))}
	var recs []connector.Record
	for _, o := range objs {
		next.ETags[o.href] = o.etag
		if o.etag != "" && prev.ETags[o.href] == o.etag {
			continue
		}
		recs = append(recs, o.record(b, now))
	}
	for href := range prev.ETags {
		if _, ok := next.ETags[href]; !ok {
			recs = append(recs, connector.Record{ID: href, Deleted: true, Modified: now})
		}
	}
	return next, recs, int64(len(objs)), nil
}

// unsupported reports a refusal that means the server does not do
// sync-collection here.
func unsupported(err error) bool {
	se, ok := statusIs(err, http.StatusBadRequest, http.StatusForbidden, http.StatusMethodNotAllowed,
		http.StatusNotImplemented, http.StatusUnsupportedMediaType, http.StatusConflict)
	return ok && !strings.Contains(se.Body, "valid-sync-token")
}

// syncChanges runs a sync-collection REPORT from token with the cards'
// data; members answered without it are fetched by a multiget.
func (c *Connector) syncChanges(ctx context.Context, dc *dav.Client, b AddressBook, token string, now time.Time) (bookCursor, []connector.Record, int64, error) {
	var tok strings.Builder
	_ = xml.EscapeText(&tok, []byte(token))
	body := []byte(`<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:sync-token>` + tok.String() + `</D:sync-token><D:sync-level>1</D:sync-level>
  <D:prop><D:getetag/><C:address-data/></D:prop>
</D:sync-collection>`)
	status, _, raw, err := dc.Do(ctx, "REPORT", b.Path, body, xmlHeaders("0"))
	if err != nil {
		if se, ok := statusIs(err, http.StatusForbidden, http.StatusConflict); ok && strings.Contains(se.Body, "valid-sync-token") {
			return bookCursor{}, nil, 0, fmt.Errorf("carddav: changes %s: %w: the server no longer knows the sync token", b.Path, connector.ErrCursorExpired)
		}
		return bookCursor{}, nil, 0, err
	}
	if status != http.StatusMultiStatus {
		return bookCursor{}, nil, 0, &dav.StatusError{Op: "carddav: sync-collection " + b.Path, Code: status, Status: http.StatusText(status)}
	}
	ms, dirty, err := parseMultiStatus(raw)
	if err != nil {
		return bookCursor{}, nil, 0, fmt.Errorf("carddav: changes %s: %w", b.Path, err)
	}
	if ms.SyncToken == "" {
		return bookCursor{}, nil, 0, &dav.StatusError{Op: "carddav: sync-collection " + b.Path, Code: http.StatusNotImplemented, Status: "no sync-token in the answer"}
	}
	var recs []connector.Record
	var objs []object
	var missing []string
	more := false
	for _, r := range ms.Responses {
		switch {
		case path.Clean(r.Href) == path.Clean(b.Path):
			more = more || strings.Contains(r.Status, " 507")
		case r.Removed():
			recs = append(recs, connector.Record{ID: r.Href, Deleted: true, Modified: now})
		case len(r.Data) == 0:
			missing = append(missing, r.Href)
		default:
			objs = append(objs, object{href: r.Href, etag: r.ETag, data: r.Data, dirty: dirty})
		}
	}
	if len(missing) > 0 {
		got, err := c.multiget(ctx, dc, b, missing)
		if err != nil {
			return bookCursor{}, nil, 0, err
		}
		objs = append(objs, got...)
	}
	for _, o := range objs {
		recs = append(recs, o.record(b, now))
	}
	return bookCursor{Token: ms.SyncToken, More: more}, recs, int64(len(objs)), nil
}

// object is one address object resource.
type object struct {
	href, etag string
	data       []byte
	dirty      bool // its answer had characters XML cannot carry
}

// record reads the object's vCard on its own.
func (o object) record(b AddressBook, now time.Time) connector.Record {
	cd, err := parseCard(o.data)
	if err == nil && o.dirty && bytes.ContainsRune(o.data, utf8.RuneError) {
		err = errors.New("the card holds a character XML cannot carry (a control character?), which the listing replaced")
	}
	if err != nil {
		return connector.Record{ID: o.href, Modified: now, Invalid: fmt.Sprintf("vCard %s: %v", o.href, err)}
	}
	f := cd.fields()
	f[mailbox.FolderID] = b.Path
	mod, ok := cd.revision()
	if !ok {
		mod = now
	}
	return connector.Record{ID: o.href, Key: text(cd.value("UID")), Fields: f, Modified: mod}
}

// query lists every card of the address book with its data and ETag
// (addressbook-query, RFC 6352 8.6).
func (c *Connector) query(ctx context.Context, dc *dav.Client, b AddressBook) ([]object, error) {
	body := []byte(`<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
</C:addressbook-query>`)
	return c.report(ctx, dc, b, body, "1")
}

// multiget fetches the cards hrefs (addressbook-multiget, RFC 6352 8.7).
func (c *Connector) multiget(ctx context.Context, dc *dav.Client, b AddressBook, hrefs []string) ([]object, error) {
	var out []object
	for batch := range slices.Chunk(hrefs, 500) {
		var sb strings.Builder
		sb.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>`)
		for _, h := range batch {
			sb.WriteString("<D:href>")
			_ = xml.EscapeText(&sb, []byte(h))
			sb.WriteString("</D:href>")
		}
		sb.WriteString(`</C:addressbook-multiget>`)
		got, err := c.report(ctx, dc, b, []byte(sb.String()), "")
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func (c *Connector) report(ctx context.Context, dc *dav.Client, b AddressBook, body []byte, depth string) ([]object, error) {
	status, _, raw, err := dc.Do(ctx, "REPORT", b.Path, body, xmlHeaders(depth))
	if err != nil {
		return nil, err
	}
	if status != http.StatusMultiStatus {
		return nil, fmt.Errorf("carddav: list %s: %d, want 207 Multi-Status", b.Path, status)
	}
	ms, dirty, err := parseMultiStatus(raw)
	if err != nil {
		return nil, fmt.Errorf("carddav: list %s: %w", b.Path, err)
	}
	var out []object
	for _, r := range ms.Responses {
		if path.Clean(r.Href) == path.Clean(b.Path) || r.Removed() {
			continue
		}
		if len(r.Data) == 0 && r.ETag == "" {
			continue // not a card (a multiget's 404)
		}
		out = append(out, object{href: r.Href, etag: r.ETag, data: r.Data, dirty: dirty})
	}
	return out, nil
}

// parseMultiStatus reads a 207 body whose cards may hold characters XML
// cannot carry (a control character some server stored as it came): such
// a character, raw or as a reference, is replaced by U+FFFD so that the
// rest of the answer reads, and dirty says so.
func parseMultiStatus(raw []byte) (dav.MultiStatus, bool, error) {
	clean, dirty := cleanXML(raw)
	ms, err := dav.ParseMultiStatus(clean)
	return ms, dirty, err
}

var charRef = regexp.MustCompile(`&#(x[0-9a-fA-F]+|[0-9]+);`)

func cleanXML(raw []byte) ([]byte, bool) {
	dirty := false
	var b bytes.Buffer
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRune(raw[i:])
		if (r == utf8.RuneError && n == 1) || !xmlChar(r) {
			b.WriteRune(utf8.RuneError)
			dirty = true
		} else {
			b.Write(raw[i : i+n])
		}
		i += n
	}
	out := charRef.ReplaceAllFunc(b.Bytes(), func(ref []byte) []byte {
		s := string(ref[2 : len(ref)-1])
		base := 10
		if s[0] == 'x' {
			s, base = s[1:], 16
		}
		if n, err := strconv.ParseInt(s, base, 32); err == nil && xmlChar(rune(n)) {
			return ref
		}
		dirty = true
		return []byte(string(utf8.RuneError))
	})
	return out, dirty
}

// xmlChar is XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// errUnreadable marks a stored card that cannot be read for a write.
var errUnreadable = errors.New("the stored vCard cannot be read")
