package carddav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/connector/dav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// AddressBook is an address book collection the user can see.
type AddressBook struct {
	// URL is the collection's URL, with its trailing slash.
	URL string
	// Path is its path on the server: the contacts' FolderID.
	Path string
	// Name is its DAV:displayname, else the last segment of its path.
	Name string
	// Kind is Private for the address books in the user's own
	// addressbook-home-set, Shared for any other (another principal's).
	Kind mailbox.FolderKind
	// Configured is true for the address book Config.URL names.
	Configured bool
	// Sync is true when the collection has a DAV:sync-token, i.e. the
	// server answers sync-collection reports on it (RFC 6578 4).
	Sync bool
}

const propfindBook = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:resourcetype/><D:displayname/><D:sync-token/><D:current-user-principal/><C:addressbook-home-set/></D:prop>
</D:propfind>`

// Discover finds the user's address books from cfg.URL (SPEC C1): the
// URL itself when it is an address book; else the server's
// /.well-known/carddav (RFC 6764 6), the URL and the server root, asked
// for DAV:current-user-principal (RFC 5397), whose
// CARDDAV:addressbook-home-set (RFC 6352 7.1.1) holds the user's own
// address books. Those are Private; the configured address book, when
// outside that home, and each of cfg.SharedURLs are Shared. It fails, with
// the reason, when it finds none.
func Discover(ctx context.Context, cfg Config) ([]AddressBook, error) {
	if err := checkURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("carddav: discover: %w", err)
	}
	base, _ := url.Parse(cfg.URL)
	d := &discovery{cfg: cfg}
	books, err := d.run(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("carddav: no address book found at %s for user %q: %w", cfg.URL, cfg.Username, err)
	}
	return books, nil
}

type discovery struct {
	cfg     Config
	clients map[string]*dav.Client
}

// propfind asks u for the properties of propfindBook.
func (d *discovery) propfind(ctx context.Context, u *url.URL, depth string) (int, http.Header, dav.MultiStatus, error) {
	key := u.Scheme + "://" + u.Host
	dc := d.clients[key]
	if dc == nil {
		var err error
		if dc, err = client(d.cfg, key+"/", false); err != nil {
			return 0, nil, dav.MultiStatus{}, err
		}
		if d.clients == nil {
			d.clients = map[string]*dav.Client{}
		}
		d.clients[key] = dc
	}
	status, hdr, raw, err := dc.Do(ctx, "PROPFIND", u.Path, []byte(propfindBook), xmlHeaders(depth))
	if err != nil || status != http.StatusMultiStatus {
		return status, hdr, dav.MultiStatus{}, err
	}
	ms, err := dav.ParseMultiStatus(raw)
	if err != nil {
		return status, hdr, ms, fmt.Errorf("PROPFIND %s: %w", u.Path, err)
	}
	return status, hdr, ms, nil
}

// self is the response about the requested resource itself.
func self(ms dav.MultiStatus, p string) (dav.Response, bool) {
	for _, r := range ms.Responses {
		if path.Clean(r.Href) == path.Clean(p) {
			return r, true
		}
	}
	if len(ms.Responses) == 1 {
		return ms.Responses[0], true
	}
	return dav.Response{}, false
}

func isBook(r dav.Response) bool { return slices.Contains(r.ResourceTypes, "addressbook") }

func ref(base *url.URL, href string) *url.URL {
	u, err := base.Parse(href)
	if err != nil {
		return base
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u
}

func book(u *url.URL, r dav.Response, kind mailbox.FolderKind) AddressBook {
	name := r.Props["displayname"]
	if name == "" {
		name = path.Base(u.Path)
	}
	return AddressBook{URL: u.String(), Path: u.Path, Name: name, Kind: kind, Sync: r.Props["sync-token"] != ""}
}

func (d *discovery) run(ctx context.Context, base *url.URL) ([]AddressBook, error) {
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	var configured *AddressBook
	var principal, home string
	var why []string
	// A server's root is never an address book: RFC 6764 6 starts there
	// with the well-known URL.
	status, ms, err := http.StatusMultiStatus, dav.MultiStatus{}, error(nil)
	if base.Path != "/" {
		status, _, ms, err = d.propfind(ctx, base, "0")
	}
	switch {
	case err != nil:
		if _, ok := statusIs(err); !ok {
			return nil, err // no answer, or a refused login
		}
		why = append(why, err.Error())
	case status != http.StatusMultiStatus:
		why = append(why, fmt.Sprintf("PROPFIND %s answered %d", base.Path, status))
	default:
		if r, ok := self(ms, base.Path); ok {
			if isBook(r) {
				b := book(base, r, mailbox.Private)
				b.Configured = true
				configured = &b
			}
			principal, home = r.Props["current-user-principal"], r.Props["addressbook-home-set"]
		}
	}
	// The principal: from the URL, else the well-known URL, else the root.
	for _, p := range []string{"/.well-known/carddav", "/"} {
		if principal != "" || home != "" {
			break
		}
		u := &url.URL{Scheme: base.Scheme, Host: base.Host, Path: p}
		for hop := 0; hop < 5; hop++ {
			status, hdr, ms, err := d.propfind(ctx, u, "0")
			if err != nil {
				if _, ok := statusIs(err); !ok {
					return nil, err
				}
				why = append(why, err.Error())
				break
			}
			if status >= 300 && status < 400 && hdr.Get("Location") != "" {
				u = ref(u, hdr.Get("Location"))
				continue
			}
			if status != http.StatusMultiStatus {
				why = append(why, fmt.Sprintf("PROPFIND %s answered %d", u.Path, status))
				break
			}
			if r, ok := self(ms, u.Path); ok {
				principal, home = r.Props["current-user-principal"], r.Props["addressbook-home-set"]
			}
			base = u
			break
		}
	}
	if home == "" && principal != "" {
		pu := ref(base, principal)
		status, _, ms, err := d.propfind(ctx, pu, "0")
		switch {
		case err != nil:
			if _, ok := statusIs(err); !ok {
				return nil, err
			}
			why = append(why, err.Error())
		case status != http.StatusMultiStatus:
			why = append(why, fmt.Sprintf("the principal %s answered %d", pu.Path, status))
		default:
			if r, ok := self(ms, pu.Path); ok {
				home = r.Props["addressbook-home-set"]
			}
			base = pu
		}
	}
	var books []AddressBook
	var homeURL *url.URL
	if home != "" {
		homeURL = ref(base, home)
		status, _, ms, err := d.propfind(ctx, homeURL, "1")
		switch {
		case err != nil:
			if _, ok := statusIs(err); !ok {
				return nil, err
			}
			why = append(why, err.Error())
		case status != http.StatusMultiStatus:
			why = append(why, fmt.Sprintf("the address book home %s answered %d", homeURL.Path, status))
		default:
			for _, r := range ms.Responses {
				if isBook(r) {
					books = append(books, book(ref(homeURL, r.Href), r, mailbox.Private))
				}
			}
			if len(books) == 0 {
				why = append(why, fmt.Sprintf("the address book home %s holds no address book", homeURL.Path))
			}
		}
	} else if principal == "" {
		why = append(why, "the server names no current-user-principal")
	} else {
		why = append(why, fmt.Sprintf("the principal %s has no addressbook-home-set", principal))
	}
	if configured != nil {
		i := slices.IndexFunc(books, func(b AddressBook) bool { return b.Path == configured.Path })
		switch {
		case i >= 0:
			books[i].Configured = true
		default:
			if homeURL != nil && !within(configured.Path, homeURL.Path) {
				configured.Kind = mailbox.Shared
			}
			books = append([]AddressBook{*configured}, books...)
		}
	}
	for _, s := range d.cfg.SharedURLs {
		u, _ := url.Parse(s)
		u = ref(u, u.Path)
		if slices.ContainsFunc(books, func(b AddressBook) bool { return b.Path == u.Path }) {
			continue
		}
		status, _, ms, err := d.propfind(ctx, u, "0")
		if err != nil || status != http.StatusMultiStatus {
			return nil, fmt.Errorf("shared address book %s: %d %v", s, status, err)
		}
		r, ok := self(ms, u.Path)
		if !ok || !isBook(r) {
			return nil, fmt.Errorf("shared address book %s is not an address book", s)
		}
		kind := mailbox.Shared
		if homeURL != nil && within(u.Path, homeURL.Path) {
			kind = mailbox.Private
		}
		books = append(books, book(u, r, kind))
	}
	if len(books) == 0 {
		return nil, errors.New(strings.Join(why, "; "))
	}
	return books, nil
}
