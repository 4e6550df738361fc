package carddav_test

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
	"github.com/crmsync/crmsync/internal/testenv"
)

// request sends one request as the user ann, the way another CardDAV
// client would, and answers the status and body.
func request(t testing.TB, method, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.SetBasicAuth("ann", "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func putCard(t testing.TB, url, card string) {
	t.Helper()
	status, body := request(t, http.MethodPut, url, strings.ReplaceAll(card, "\n", "\r\n"), map[string]string{"Content-Type": "text/vcard; charset=utf-8"})
	if status/100 != 2 {
		t.Fatalf("PUT %s: %d %s", url, status, body)
	}
}

func getCard(t testing.TB, url string) string {
	t.Helper()
	status, body := request(t, http.MethodGet, url, "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", url, status)
	}
	return body
}

func changes(t *testing.T, c *carddav.Connector, cur string) (map[string]connector.Record, string) {
	t.Helper()
	page, err := c.Changes(t.Context(), mailbox.Object, cur)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]connector.Record{}
	for _, r := range page.Records {
		out[r.ID] = r
	}
	return out, page.Cursor
}

// A card another client made: four e-mail addresses (the second
// preferred), a photo and a private X- property, a fax beside the work
// number, two addresses.
const annsCard = `BEGIN:VCARD
VERSION:3.0
UID:other-1
N:Lovelace;Ada;King;Lady;
FN:Ada Lovelace
ORG:Analytical Engines;Research;Difference
TITLE:Countess
EMAIL;TYPE=INTERNET:ada@home.example
EMAIL;TYPE=INTERNET,pref:ada@work.example
EMAIL:third@example.com
EMAIL:fourth@example.com
TEL;TYPE=WORK,FAX:+44 1 999
TEL;TYPE=WORK,VOICE:+44 1 234
TEL;TYPE=CELL:+44 7 777
TEL;TYPE=HOME:+44 1 555
ADR;TYPE=HOME:;;1 Home Rd;Homeville;;H1;UK
ADR;TYPE=WORK:PO 7;Floor 2;12 St James's Sq;London;Greater London;SW1Y 4JH;United Kingdom
CATEGORIES:Friends,Base Lead
NOTE:Met at the Royal Society\, 1833.\nLikes poetry\; and numbers.
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHR8eHR
 oaHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/
X-FOO;X-BAR=baz:keep me\, as I am
REV:20260301T101500Z
END:VCARD
`

// SPEC C1, C6: the connector against a real CardDAV server (Radicale):
// another client's card reads in the mailbox vocabulary; creates are
// idempotent by key; updates change only the mapped properties (a PHOTO,
// an X- property, a fourth e-mail stay); an edit made meanwhile fails the
// update for now, not as invalid; deletes are listed.
func TestCardDAVAgainstRadicale(t *testing.T) {
	base := testenv.Radicale(t)
	book := testenv.MakeCollection(t, base, "ann", "contacts", "addressbook")
	ctx := t.Context()
	clock := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	c, err := carddav.New(carddav.Config{URL: book, Username: "ann", Password: "x", Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	putCard(t, book+"ada.vcf", annsCard)
	recs, cur := changes(t, c, "")
	ada, ok := recs["/ann/contacts/ada.vcf"]
	if len(recs) != 1 || !ok {
		t.Fatalf("the first listing: %v", recs)
	}
	want := map[string]string{
		mailbox.GivenName: "Ada", mailbox.Surname: "Lovelace", mailbox.MiddleName: "King", mailbox.DisplayName: "Ada Lovelace",
		mailbox.CompanyName: "Analytical Engines", mailbox.Department: "Research", mailbox.JobTitle: "Countess",
		mailbox.Email: "ada@work.example", mailbox.Email2: "ada@home.example", mailbox.Email3: "third@example.com",
		mailbox.BusinessPhone: "+44 1 234", mailbox.MobilePhone: "+44 7 777", mailbox.HomePhone: "+44 1 555",
		mailbox.Street: "12 St James's Sq", mailbox.City: "London", mailbox.State: "Greater London",
		mailbox.PostalCode: "SW1Y 4JH", mailbox.Country: "United Kingdom", mailbox.Categories: "Base Lead;Friends",
		mailbox.Notes: "Met at the Royal Society, 1833.\nLikes poetry; and numbers.", mailbox.FolderID: "/ann/contacts/",
	}
	for k, v := range want {
		if ada.Fields[k] != v {
			t.Errorf("%s = %q, want %q", k, ada.Fields[k], v)
		}
	}
	if ada.Key != "other-1" || ada.Modified.Format("2006-01-02T15:04:05Z") != "2026-03-01T10:15:00Z" {
		t.Errorf("key %q modified %v, want the UID and the REV", ada.Key, ada.Modified)
	}

	// Creates, and a retry of one: one card.
	create := connector.Write{Op: connector.OpCreate, Key: "crm/003 1", Fields: connector.Fields{
		mailbox.GivenName: "Grace", mailbox.Surname: "Hopper", mailbox.Email: "grace@navy.example",
		mailbox.CompanyName: "US Navy", mailbox.MobilePhone: "+1 555 0100", mailbox.City: "Arlington",
		mailbox.Categories: "Base Lead;Base Person", mailbox.Notes: "Line one\nline two, with a comma; and a semicolon \\ backslash"}}
	res, err := c.Write(ctx, mailbox.Object, []connector.Write{create})
	if err != nil || res[0].Err != nil {
		t.Fatalf("create: %v %+v", err, res)
	}
	again, _ := c.Write(ctx, mailbox.Object, []connector.Write{create})
	if again[0].Err != nil || again[0].ID != res[0].ID {
		t.Fatalf("a retried create = %+v, want the first card %s", again[0], res[0].ID)
	}
	recs, cur = changes(t, c, cur)
	grace, ok := recs[res[0].ID]
	if len(recs) != 1 || !ok {
		t.Fatalf("after a create and its retry the increment is %v, want the one card %s", recs, res[0].ID)
	}
	for k, v := range create.Fields {
		if grace.Fields[k] != v {
			t.Errorf("created %s = %q, want %q", k, grace.Fields[k], v)
		}
	}
	if !grace.Modified.Equal(clock) || !res[0].Modified.Equal(clock) {
		t.Errorf("created card modified %v, result %v, want REV stamped at the write, %v", grace.Modified, res[0].Modified, clock)
	}
	if grace.Fields[mailbox.DisplayName] != "Grace Hopper" || grace.Key != "crm/003 1" {
		t.Errorf("created card: display name %q (want one made of the name, FN is required), key %q", grace.Fields[mailbox.DisplayName], grace.Key)
	}
	if full, _ := changes(t, c, ""); len(full) != 2 {
		t.Errorf("a full listing holds %d cards, want 2", len(full))
	}

	// An update of the other client's card keeps what is not mapped.
	upd := connector.Fields{mailbox.JobTitle: "Mathematician", mailbox.Email2: "ada@new.example", mailbox.City: "Marylebone", mailbox.Categories: "Friends"}
	if res, _ := c.Write(ctx, mailbox.Object, []connector.Write{{Op: connector.OpUpdate, ID: ada.ID, Fields: upd}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	raw := getCard(t, base+"ann/contacts/ada.vcf")
	unfolded := strings.ReplaceAll(raw, "\r\n ", "")
	for _, keep := range []string{"X-FOO;X-BAR=baz:keep me\\, as I am", "EMAIL:fourth@example.com", "ada@work.example", "TEL;TYPE=WORK,FAX:+44 1 999",
		"/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHR8eHRoaHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/",
		"PO 7;Floor 2;12 St James's Sq;Marylebone", "1 Home Rd;Homeville", "TITLE:Mathematician", "ada@new.example", "UID:other-1", "N:Lovelace;Ada;King;Lady"} {
		if !strings.Contains(unfolded, keep) {
			t.Errorf("after the update the card lacks %q:\n%s", keep, raw)
		}
	}
	if strings.Contains(raw, "ada@home.example") || strings.Contains(raw, "Base Lead") {
		t.Errorf("the update left a replaced value:\n%s", raw)
	}
	recs, cur = changes(t, c, cur)
	if r := recs[ada.ID]; len(recs) != 1 || r.Fields[mailbox.JobTitle] != "Mathematician" || r.Fields[mailbox.Email2] != "ada@new.example" ||
		r.Fields[mailbox.Email] != "ada@work.example" || r.Fields[mailbox.Email3] != "third@example.com" || r.Fields[mailbox.Categories] != "Friends" {
		t.Errorf("the increment after the update: %v", recs)
	}

	// Deletes, twice.
	for range 2 {
		if res, _ := c.Write(ctx, mailbox.Object, []connector.Write{{Op: connector.OpDelete, ID: grace.ID}}); res[0].Err != nil {
			t.Fatalf("delete: %v", res[0].Err)
		}
	}
	recs, cur = changes(t, c, cur)
	if r := recs[grace.ID]; len(recs) != 1 || !r.Deleted {
		t.Errorf("the increment after the delete: %v", recs)
	}
	if recs, _ = changes(t, c, cur); len(recs) != 0 {
		t.Errorf("an unchanged listing: %v", recs)
	}
	if res, _ := c.Write(ctx, mailbox.Object, []connector.Write{{Op: connector.OpUpdate, ID: grace.ID, Fields: upd}}); !errors.Is(res[0].Err, connector.ErrNotFound) {
		t.Errorf("an update of a deleted card: %v, want ErrNotFound", res[0].Err)
	}
	// Nothing outside the user's address books is written, and a value
	// that is no string is refused as invalid, naming the field.
	bad := []connector.Write{
		{Op: connector.OpDelete, ID: "/ann/"},
		{Op: connector.OpDelete, ID: "/bob/contacts/x.vcf"},
		{Op: connector.OpUpdate, ID: "/ann/contacts/"},
		{Op: connector.OpCreate, Key: "k-bad", Fields: connector.Fields{mailbox.JobTitle: 3.0}},
	}
	res, err = c.Write(ctx, mailbox.Object, bad)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if !errors.Is(r.Err, connector.ErrInvalid) {
			t.Errorf("write %+v: %v, want ErrInvalid", bad[i], r.Err)
		}
	}
	var fe *connector.FieldError
	if !errors.As(res[3].Err, &fe) || fe.Field != mailbox.JobTitle {
		t.Errorf("a number as the job title: %v, want a FieldError naming it", res[3].Err)
	}
}

// editBeforePut is a transport that, before the connector's first
// conditional PUT, edits the card on the server as another client would:
// a real edit between the connector's read and its write.
type editBeforePut struct {
	t    *testing.T
	url  string
	done atomic.Bool
}

func (e *editBeforePut) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && r.Header.Get("If-Match") != "" && !e.done.Swap(true) {
		putCard(e.t, e.url, strings.Replace(annsCard, "TITLE:Countess", "TITLE:Edited elsewhere", 1))
	}
	return http.DefaultTransport.RoundTrip(r)
}

// SPEC C10: an update never overwrites an edit made on the server since
// the connector read the card: it fails for now (retryable, not
// ErrInvalid), the edit stays, and a second attempt succeeds.
func TestCardDAVUpdateConflict(t *testing.T) {
	base := testenv.Radicale(t)
	book := testenv.MakeCollection(t, base, "ann", "contacts", "addressbook")
	putCard(t, book+"ada.vcf", annsCard)
	tr := &editBeforePut{t: t, url: book + "ada.vcf"}
	c, err := carddav.New(carddav.Config{URL: book, Username: "ann", Password: "x", HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	w := connector.Write{Op: connector.OpUpdate, ID: "/ann/contacts/ada.vcf", Fields: connector.Fields{mailbox.Notes: "ours"}}
	res, err := c.Write(t.Context(), mailbox.Object, []connector.Write{w})
	if err != nil {
		t.Fatal(err)
	}
	var re *connector.RetryError
	if res[0].Err == nil || errors.Is(res[0].Err, connector.ErrInvalid) || !errors.As(res[0].Err, &re) {
		t.Fatalf("an update racing another client's edit: %v, want a RetryError, not ErrInvalid", res[0].Err)
	}
	if raw := getCard(t, book+"ada.vcf"); !strings.Contains(raw, "Edited elsewhere") || strings.Contains(raw, "ours") {
		t.Fatalf("the other client's edit was overwritten:\n%s", raw)
	}
	if res, _ = c.Write(t.Context(), mailbox.Object, []connector.Write{w}); res[0].Err != nil {
		t.Fatalf("the second attempt: %v", res[0].Err)
	}
	if raw := getCard(t, book+"ada.vcf"); !strings.Contains(raw, "Edited elsewhere") || !strings.Contains(raw, "NOTE:ours") {
		t.Fatalf("the second attempt lost a value:\n%s", raw)
	}
}

// pathLog records the paths a client asks for.
type pathLog struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathLog) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	p.paths = append(p.paths, r.URL.Path)
	p.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// SPEC C1: from the server's root URL the connector finds the user's
// address books (and not their calendars) through the well-known URL,
// the principal and its address book home; a user without one gets a
// clear error naming the URL and the user.
func TestCardDAVDiscoveryFromServerRoot(t *testing.T) {
	base := testenv.Radicale(t)
	testenv.MakeCollection(t, base, "ann", "contacts", "addressbook")
	testenv.MakeCollection(t, base, "ann", "work", "addressbook")
	testenv.MakeCollection(t, base, "ann", "calendar", "calendar")
	request(t, "PROPPATCH", base+"ann/work/", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Work people</D:displayname></D:prop></D:set></D:propertyupdate>`,
		map[string]string{"Content-Type": "application/xml"})
	tests := []struct {
		name, url string
	}{
		{"server root", base},
		{"server without the slash", strings.TrimSuffix(base, "/")},
		{"principal", base + "ann/"},
		{"address book", base + "ann/work/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := &pathLog{}
			books, err := carddav.Discover(t.Context(), carddav.Config{URL: tt.url, Username: "ann", Password: "x", HTTPClient: &http.Client{Transport: seen}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]carddav.AddressBook{}
			for _, b := range books {
				got[b.Path] = b
			}
			if len(books) != 2 || got["/ann/contacts/"].Kind != mailbox.Private || got["/ann/work/"].Name != "Work people" || !got["/ann/work/"].Sync {
				t.Fatalf("discovered %+v, want the two private address books", books)
			}
			if wk := slices.Contains(seen.paths, "/.well-known/carddav"); wk != strings.HasPrefix(tt.name, "server") {
				t.Errorf("asked the well-known URL: %v (%v)", wk, seen.paths)
			}
			if got["/ann/work/"].Configured != strings.HasSuffix(tt.url, "/work/") {
				t.Errorf("configured: %+v", got["/ann/work/"])
			}
		})
	}
	c, _ := carddav.New(carddav.Config{URL: base, Username: "ann", Password: "x"})
	folders, err := c.Folders(t.Context())
	if err != nil || len(folders) != 2 {
		t.Fatalf("folders: %v %+v", err, folders)
	}
	_, err = carddav.Discover(t.Context(), carddav.Config{URL: base, Username: "bob", Password: "x"})
	if err == nil || !strings.Contains(err.Error(), "no address book found at "+base+` for user "bob"`) {
		t.Fatalf("discovery for a user without address books: %v", err)
	}
	t.Log(err)
}

// SPEC C2–C4, C11: the categories are the values the cards carry; one
// created is offered before any card carries it (and creating it again in
// another case finds it); a rename rewrites every card carrying it and
// keeps the cards' other properties.
func TestCardDAVCategories(t *testing.T) {
	base := testenv.Radicale(t)
	book := testenv.MakeCollection(t, base, "ann", "contacts", "addressbook")
	ctx := t.Context()
	c, err := carddav.New(carddav.Config{URL: book, Username: "ann", Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if cats, err := c.Categories(ctx); err != nil || len(cats) != 0 {
		t.Fatalf("an empty address book's categories: %v %v", cats, err)
	}
	putCard(t, book+"ada.vcf", annsCard)
	putCard(t, book+"bob.vcf", "BEGIN:VCARD\nVERSION:4.0\nUID:bob\nFN:Bob\nCATEGORIES:Base Lead\nX-KEEP:1\nEND:VCARD\n")
	putCard(t, book+"cy.vcf", "BEGIN:VCARD\nVERSION:3.0\nUID:cy\nN:;Cy;;;\nFN:Cy\nCATEGORIES:Golf\nEND:VCARD\n")
	names := func() string {
		t.Helper()
		cats, err := c.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range cats {
			if k.ID != k.Name {
				t.Errorf("category %+v: the ID is the name", k)
			}
			out = append(out, k.Name)
		}
		return strings.Join(out, "|")
	}
	if got := names(); got != "Base Lead|Friends|Golf" {
		t.Fatalf("categories = %s", got)
	}
	made, err := c.CreateCategory(ctx, "Base Person", "preset0")
	if err != nil || made.Name != "Base Person" {
		t.Fatalf("create: %+v %v", made, err)
	}
	if again, err := c.CreateCategory(ctx, "base lead", ""); err != nil || again.Name != "Base Lead" {
		t.Fatalf("creating an existing category in another case: %+v %v", again, err)
	}
	if got := names(); got != "Base Lead|Base Person|Friends|Golf" {
		t.Fatalf("categories after a create = %s", got)
	}
	if err := c.RenameCategory(ctx, "Base Lead", "Base Current Prospect"); err != nil {
		t.Fatal(err)
	}
	if got := names(); got != "Base Current Prospect|Base Person|Friends|Golf" {
		t.Fatalf("categories after a rename = %s", got)
	}
	bob := getCard(t, book+"bob.vcf")
	if !strings.Contains(bob, "CATEGORIES:Base Current Prospect") || !strings.Contains(bob, "X-KEEP:1") || !strings.Contains(bob, "VERSION:4.0") {
		t.Errorf("the renamed card:\n%s", bob)
	}
	if cy := getCard(t, book+"cy.vcf"); !strings.Contains(cy, "CATEGORIES:Golf") {
		t.Errorf("a card without the category changed:\n%s", cy)
	}
	recs, _ := changes(t, c, "")
	if got := recs["/ann/contacts/ada.vcf"].Fields[mailbox.Categories]; got != "Base Current Prospect;Friends" {
		t.Errorf("the renamed category on a listed card: %q", got)
	}
	if err := c.RenameCategory(ctx, "Golf", "a;b"); err == nil {
		t.Error("a name with the separator was taken")
	}
}

// A cursor whose sync token the server no longer knows answers
// ErrCursorExpired, for the engine to reconcile with a full listing.
func TestCardDAVExpiredSyncToken(t *testing.T) {
	base := testenv.Radicale(t)
	book := testenv.MakeCollection(t, base, "ann", "contacts", "addressbook")
	c, _ := carddav.New(carddav.Config{URL: book, Username: "ann", Password: "x"})
	_, err := c.Changes(t.Context(), mailbox.Object, `{"books":{"/ann/contacts/":{"token":"http://radicale.org/ns/sync/0000"}}}`)
	if !errors.Is(err, connector.ErrCursorExpired) {
		t.Fatalf("an unknown sync token: %v, want ErrCursorExpired", err)
	}
}
