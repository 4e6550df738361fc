package carddav

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/dav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// Write implements connector.Connector, one request or two per record:
// a create is a PUT of KEY.vcf with If-None-Match: * in the default
// address book; an update reads the stored card, changes only the mapped
// properties and puts it back with If-Match; a delete is a DELETE.
func (c *Connector) Write(ctx context.Context, object string, ws []connector.Write) ([]connector.Result, error) {
	if object != mailbox.Object {
		return nil, fmt.Errorf("carddav: write: no object %q (only %q)", object, mailbox.Object)
	}
	out := make([]connector.Result, len(ws))
	for i, w := range ws {
		now := c.cfg.Now().UTC().Truncate(time.Second)
		id, err := c.write(ctx, w, now)
		out[i] = connector.Result{ID: id, Err: err}
		if err == nil && w.Op != connector.OpDelete {
			out[i].Modified = now
		}
	}
	return out, nil
}

func (c *Connector) write(ctx context.Context, w connector.Write, now time.Time) (string, error) {
	if w.Op == connector.OpUpdate || w.Op == connector.OpDelete {
		// Never touch a resource outside the address books that sync.
		books, _, err := c.private(ctx)
		if err != nil {
			return w.ID, err
		}
		if !slices.ContainsFunc(books, func(b AddressBook) bool { return within(w.ID, b.Path) && w.ID != b.Path }) {
			return w.ID, fmt.Errorf("carddav: %s %s: %w: not a card of the user's own address books", w.Op, w.ID, connector.ErrInvalid)
		}
	}
	switch w.Op {
	case connector.OpCreate:
		return c.create(ctx, w, now)
	case connector.OpUpdate:
		return w.ID, c.update(ctx, w.ID, now, func(cd *card) error { return cd.apply(w.Fields, now) })
	case connector.OpDelete:
		_, dc, err := c.resolve(ctx)
		if err != nil {
			return w.ID, err
		}
		// A 404 is a delete already done.
		_, _, _, err = dc.Do(ctx, http.MethodDelete, w.ID, nil, nil)
		return w.ID, err
	}
	return w.ID, fmt.Errorf("carddav: unknown write %v", w.Op)
}

func (c *Connector) create(ctx context.Context, w connector.Write, now time.Time) (string, error) {
	b, dc, err := c.defaultBook(ctx)
	if err != nil {
		return "", err
	}
	key := w.Key
	if key == "" {
		key = randomUID()
	}
	cd := newCard(key)
	if err := cd.apply(w.Fields, now); err != nil {
		return "", err
	}
	href := b.Path + safeName(key) + ".vcf"
	// A 412 is the card made by an earlier attempt of this create.
	_, _, _, err = dc.Do(ctx, http.MethodPut, href, cd.encode(), map[string]string{
		"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"})
	if err != nil {
		// A card with this UID under another name: the one created
		// before (RFC 6352 6.3.2.1 names it).
		if se, ok := statusIs(err, http.StatusConflict, http.StatusForbidden); ok && strings.Contains(se.Body, "no-uid-conflict") {
			if h := conflictHref(se.Body); h != "" {
				return h, nil
			}
		}
		return "", writeErr(err)
	}
	return href, nil
}

// update reads the card at href, lets change edit it and puts it back
// if it is unchanged on the server meanwhile.
func (c *Connector) update(ctx context.Context, href string, now time.Time, change func(*card) error) error {
	_, dc, err := c.resolve(ctx)
	if err != nil {
		return err
	}
	status, hdr, raw, err := dc.Do(ctx, http.MethodGet, href, nil, nil)
	if err != nil {
		return err
	}
	if status == http.StatusNotFound {
		return fmt.Errorf("carddav: update %s: %w", href, connector.ErrNotFound)
	}
	cd, err := parseCard(raw)
	if err != nil {
		return fmt.Errorf("carddav: update %s: %w: %w: %v", href, connector.ErrInvalid, errUnreadable, err)
	}
	if err := change(cd); err != nil {
		return err
	}
	return c.put(ctx, dc, href, cd, hdr.Get("ETag"))
}

// put stores cd at href if its ETag is still etag.
func (c *Connector) put(ctx context.Context, dc *dav.Client, href string, cd *card, etag string) error {
	h := map[string]string{"Content-Type": "text/vcard; charset=utf-8"}
	if etag != "" {
		h["If-Match"] = etag
	}
	status, _, _, err := dc.Do(ctx, http.MethodPut, href, cd.encode(), h)
	if err != nil {
		return writeErr(err)
	}
	switch status {
	case http.StatusPreconditionFailed:
		// Edited on the server since it was read: for now; the next run
		// lists the edit and merges it.
		return &connector.RetryError{After: time.Second, Err: fmt.Errorf("carddav: %s changed on the server meanwhile", href)}
	case http.StatusNotFound:
		return fmt.Errorf("carddav: update %s: %w", href, connector.ErrNotFound)
	}
	return nil
}

// writeErr says which refusals are about the card: retrying the same
// values cannot succeed.
func writeErr(err error) error {
	se, ok := statusIs(err, http.StatusBadRequest, http.StatusForbidden, http.StatusConflict,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
	if !ok {
		return err
	}
	if se.Code == http.StatusForbidden && !strings.Contains(se.Body, "valid-address-data") &&
		!strings.Contains(se.Body, "supported-address-data") && !strings.Contains(se.Body, "max-resource-size") {
		return err // a right refused
	}
	return fmt.Errorf("%w: %w", connector.ErrInvalid, err)
}

// conflictHref is the href an RFC 6352 no-uid-conflict error names.
func conflictHref(body string) string {
	var e struct {
		Href string `xml:"no-uid-conflict>href"`
	}
	if xml.Unmarshal([]byte(body), &e) != nil {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(e.Href))
	if err != nil {
		return ""
	}
	return u.Path
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
	return rand.Text() + "@crmsync"
}
