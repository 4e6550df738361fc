package carddav_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// fakeServer is a small CardDAV server without sync-collection: ann's
// principal and home /ann/ with the address book /ann/contacts/, and
// bob's address book /bob/shared/ that ann may read. It answers
// addressbook-query REPORTs with the cards it holds.
type fakeServer struct {
	mu      sync.Mutex
	cards   map[string][2]string // href → etag, address data
	reports []string             // the paths REPORTed on
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	resp := func(href, props string) {
		fmt.Fprintf(&b, `<D:response><D:href>%s</D:href><D:propstat><D:prop>%s</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`, href, props)
	}
	const book = `<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>`
	switch {
	case r.Method == "PROPFIND" && r.URL.Path == "/ann/":
		resp("/ann/", `<D:resourcetype><D:collection/><D:principal/></D:resourcetype><C:addressbook-home-set><D:href>/ann/</D:href></C:addressbook-home-set><D:current-user-principal><D:href>/ann/</D:href></D:current-user-principal>`)
		if r.Header.Get("Depth") == "1" {
			resp("/ann/contacts/", book+`<D:displayname>Ann's contacts</D:displayname>`)
		}
	case r.Method == "PROPFIND" && r.URL.Path == "/ann/contacts/":
		resp("/ann/contacts/", book+`<D:displayname>Ann's contacts</D:displayname><D:current-user-principal><D:href>/ann/</D:href></D:current-user-principal>`)
	case r.Method == "PROPFIND" && r.URL.Path == "/bob/shared/":
		resp("http://"+r.Host+"/bob/shared/", book+`<D:displayname>Bob's clients</D:displayname><D:current-user-principal><D:href>/ann/</D:href></D:current-user-principal>`)
	case r.Method == "REPORT" && strings.HasSuffix(r.URL.Path, "/"):
		f.reports = append(f.reports, r.URL.Path)
		for href, c := range f.cards {
			if strings.HasPrefix(href, r.URL.Path) {
				resp(href, fmt.Sprintf(`<D:getetag>%s</D:getetag><C:address-data><![CDATA[%s]]></C:address-data>`, c[0], c[1]))
			}
		}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">%s</D:multistatus>`, b.String())
}

const goodCard = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:good-1\r\nN:Doe;Jane;;;\r\nFN:Jane Doe\r\nEMAIL:jane@example.com\r\nEND:VCARD\r\n"

// SPEC C6 "nothing lost": a card that cannot be read comes back as an
// Invalid record naming it and why, once per version of it, beside the
// readable ones, on a server listed by addressbook-query with ETags; once
// repaired it reads as a contact.
func TestCardDAVBrokenCardIsInvalidOnce(t *testing.T) {
	f := &fakeServer{cards: map[string][2]string{
		"/ann/contacts/good.vcf":    {`"1"`, goodCard},
		"/ann/contacts/noend.vcf":   {`"2"`, "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nFN:No end\r\n"},
		"/ann/contacts/other.vcf":   {`"3"`, strings.ReplaceAll(strings.ReplaceAll(goodCard, "good-1", "good-2"), "Jane", "John")},
		"/bob/shared/clients.vcf":   {`"4"`, goodCard},
		"/ann/contacts/garbage.vcf": {`"5"`, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nthis line has no colon\r\nEND:VCARD\r\n"},
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := carddav.New(carddav.Config{URL: srv.URL + "/ann/contacts/", SharedURLs: []string{srv.URL + "/bob/shared/"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Changes(t.Context(), mailbox.Object, "")
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]connector.Record{}
	for _, r := range page.Records {
		recs[r.ID] = r
	}
	if len(recs) != 4 {
		t.Fatalf("listing %v, want the four cards of ann's address book", recs)
	}
	tests := []struct{ href, invalid, name string }{
		{"/ann/contacts/good.vcf", "", "Jane"},
		{"/ann/contacts/other.vcf", "", "John"},
		{"/ann/contacts/noend.vcf", "vCard /ann/contacts/noend.vcf: vcard: no END field found", ""},
		{"/ann/contacts/garbage.vcf", `vCard /ann/contacts/garbage.vcf: line 4 is not a property: "this line has no colon"`, ""},
	}
	for _, tt := range tests {
		r := recs[tt.href]
		if r.Invalid != tt.invalid || (tt.invalid != "") != (r.Fields == nil) || (tt.name != "" && r.Fields[mailbox.GivenName] != tt.name) {
			t.Errorf("%s: %+v, want invalid %q, given name %q", tt.href, r, tt.invalid, tt.name)
		}
	}
	again, err := c.Changes(t.Context(), mailbox.Object, page.Cursor)
	if err != nil || len(again.Records) != 0 {
		t.Fatalf("an unchanged listing: %v %+v, want nothing (an unreadable card is reported once)", err, again.Records)
	}
	f.mu.Lock()
	f.cards["/ann/contacts/noend.vcf"] = [2]string{`"6"`, "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nFN:Now ended\r\nEND:VCARD\r\n"}
	delete(f.cards, "/ann/contacts/other.vcf")
	f.mu.Unlock()
	fixed, err := c.Changes(t.Context(), mailbox.Object, again.Cursor)
	if err != nil || len(fixed.Records) != 2 {
		t.Fatalf("after a repair and a delete: %v %+v", err, fixed.Records)
	}
	for _, r := range fixed.Records {
		switch r.ID {
		case "/ann/contacts/noend.vcf":
			if r.Invalid != "" || r.Fields[mailbox.DisplayName] != "Now ended" {
				t.Errorf("the repaired card: %+v", r)
			}
		case "/ann/contacts/other.vcf":
			if !r.Deleted {
				t.Errorf("the deleted card: %+v", r)
			}
		default:
			t.Errorf("unexpected %+v", r)
		}
	}
	// SPEC C5: the shared address book is offered as a folder, never listed.
	for _, p := range f.reports {
		if strings.HasPrefix(p, "/bob/") {
			t.Errorf("the shared address book %s was listed", p)
		}
	}
}

// SPEC C5: the address books of the user's home are private; one outside
// it, whether configured as the URL or as a shared URL, is shared; writes
// go to a private one.
func TestCardDAVFolderKinds(t *testing.T) {
	f := &fakeServer{cards: map[string][2]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	tests := []struct {
		name   string
		cfg    carddav.Config
		kinds  map[string]mailbox.FolderKind
		config string
	}{
		{"own book with a shared one", carddav.Config{URL: srv.URL + "/ann/contacts/", SharedURLs: []string{srv.URL + "/bob/shared/"}},
			map[string]mailbox.FolderKind{"/ann/contacts/": mailbox.Private, "/bob/shared/": mailbox.Shared}, "/ann/contacts/"},
		{"another principal's book as the URL", carddav.Config{URL: srv.URL + "/bob/shared"},
			map[string]mailbox.FolderKind{"/ann/contacts/": mailbox.Private, "/bob/shared/": mailbox.Shared}, "/bob/shared/"},
		{"the principal", carddav.Config{URL: srv.URL + "/ann/"},
			map[string]mailbox.FolderKind{"/ann/contacts/": mailbox.Private}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := carddav.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			folders, err := c.Folders(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]mailbox.FolderKind{}
			for _, fo := range folders {
				got[fo.ID] = fo.Kind
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.kinds) {
				t.Errorf("folders %+v, want %v", folders, tt.kinds)
			}
			books, err := carddav.Discover(t.Context(), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range books {
				if b.Configured != (b.Path == tt.config) {
					t.Errorf("%+v: configured should be %v", b, !b.Configured)
				}
			}
		})
	}
}

// New refuses what cannot work, before any call.
func TestCardDAVNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  carddav.Config
	}{
		{"no URL", carddav.Config{}},
		{"not http", carddav.Config{URL: "ftp://dav.example.com/"}},
		{"no host", carddav.Config{URL: "https:///ann/"}},
		{"a bad shared URL", carddav.Config{URL: "https://dav.example.com/", SharedURLs: []string{"dav.example.com/bob/"}}},
		{"negative retries", carddav.Config{URL: "https://dav.example.com/", MaxRetries: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := carddav.New(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), "carddav: new:") {
				t.Errorf("New(%+v) = %v, want a carddav: new: error", tt.cfg, err)
			}
		})
	}
}
