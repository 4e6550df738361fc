package carddav_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// syncFake is a CardDAV server whose sync-collection answers hold at most
// two members (a truncated answer ends with a 507 for the collection, RFC
// 6578 3.6) and leave out the address data of odd.vcf, which a client
// must fetch with an addressbook-multiget.
type syncFake struct {
	multigets int
}

func (f *syncFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var b strings.Builder
	member := func(href, data string) {
		if data == "" {
			fmt.Fprintf(&b, `<D:response><D:href>%s</D:href><D:propstat><D:prop><D:getetag>"e"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`, href)
			return
		}
		fmt.Fprintf(&b, `<D:response><D:href>%s</D:href><D:propstat><D:prop><D:getetag>"e"</D:getetag><C:address-data>%s</C:address-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`, href, data)
	}
	card := func(uid string) string { return strings.ReplaceAll(goodCard, "good-1", uid) }
	switch {
	case r.Method == "PROPFIND":
		b.WriteString(`<D:response><D:href>/ann/contacts/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype><D:sync-token>t0</D:sync-token></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`)
	case strings.Contains(string(body), "addressbook-multiget"):
		f.multigets++
		member("/ann/contacts/odd.vcf", card("odd"))
	case strings.Contains(string(body), "<D:sync-token></D:sync-token>"):
		member("/ann/contacts/a.vcf", card("a"))
		member("/ann/contacts/odd.vcf", "")
		b.WriteString(`<D:response><D:href>/ann/contacts/</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status></D:response><D:sync-token>t1</D:sync-token>`)
	case strings.Contains(string(body), "<D:sync-token>t1</D:sync-token>"):
		member("/ann/contacts/c.vcf", card("c"))
		b.WriteString(`<D:response><D:href>/ann/contacts/gone.vcf</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response><D:sync-token>t2</D:sync-token>`)
	default:
		http.Error(w, `<D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>`, http.StatusForbidden)
		return
	}
	w.WriteHeader(http.StatusMultiStatus)
	fmt.Fprintf(w, `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">%s</D:multistatus>`, b.String())
}

// A truncated sync-collection answer is a page with More set, whose
// cursor goes on where it stopped; a member answered without its data is
// fetched by a multiget; a removed member is a deleted record.
func TestCardDAVSyncCollectionPages(t *testing.T) {
	f := &syncFake{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := carddav.New(carddav.Config{URL: srv.URL + "/ann/contacts/"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		more bool
		want string
	}{
		{true, "a a.vcf|odd odd.vcf"},
		{false, "c c.vcf|deleted gone.vcf"},
	}
	cur := ""
	for i, tt := range tests {
		page, err := c.Changes(t.Context(), mailbox.Object, cur)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		var got []string
		for _, r := range page.Records {
			name := strings.TrimPrefix(r.ID, "/ann/contacts/")
			switch {
			case r.Deleted:
				got = append(got, "deleted "+name)
			case r.Invalid != "":
				got = append(got, "invalid "+r.Invalid)
			default:
				got = append(got, r.Key+" "+name)
			}
		}
		if page.More != tt.more || strings.Join(got, "|") != tt.want {
			t.Errorf("page %d: more %v, records %s; want more %v, %s", i, page.More, strings.Join(got, "|"), tt.more, tt.want)
		}
		cur = page.Cursor
	}
	if f.multigets != 1 {
		t.Errorf("%d multigets, want 1 for the member without data", f.multigets)
	}
}
