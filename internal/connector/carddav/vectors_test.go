package carddav_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
	"github.com/crmsync/crmsync/internal/testenv"
)

// vectorDir holds the real-world vCards of shared/vectors, beside the
// repository.
const vectorDir = "../../../../shared/vectors/vcard"

func vectors(t testing.TB) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*.vcf"))
	if len(files) == 0 {
		t.Skipf("no vCard vectors in %s", vectorDir)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// SPEC C6 "nothing lost": every real-world vCard Radicale stores is
// listed, as a contact with its fields or as an Invalid record saying
// why, never a crash and never dropped: listed + invalid == stored. Cards
// that share a UID go to address books of their own, since a server keeps
// one card per UID in an address book.
func TestCardDAVVectorsThroughRadicale(t *testing.T) {
	base := testenv.Radicale(t)
	vs := vectors(t)
	var books []string
	stored := map[string]string{} // href → file
	refused := 0
	place := func(name string, data []byte) bool {
		for i := range 12 {
			if i == len(books) {
				books = append(books, testenv.MakeCollection(t, base, "ann", fmt.Sprintf("v%d", i), "addressbook"))
			}
			status, body := request(t, http.MethodPut, books[i]+name, string(data), map[string]string{"Content-Type": "text/vcard; charset=utf-8"})
			switch {
			case status/100 == 2:
				stored[fmt.Sprintf("/ann/v%d/%s", i, name)] = name
				return true
			case status == http.StatusConflict && strings.Contains(body, "no-uid-conflict"):
				continue // try another address book
			}
			t.Logf("Radicale refuses %s: %d %s", name, status, strings.TrimSpace(body[:min(len(body), 120)]))
			return false
		}
		t.Logf("%s: a UID in every address book", name)
		return false
	}
	for name, data := range vs {
		if !place(name, data) {
			refused++
		}
	}
	t.Logf("%d vectors: %d stored in %d address books, %d refused", len(vs), len(stored), len(books), refused)
	if len(stored) < len(vs)/2 {
		t.Fatalf("only %d of %d vectors stored", len(stored), len(vs))
	}
	c, err := carddav.New(carddav.Config{URL: base, Username: "ann", Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Changes(t.Context(), mailbox.Object, "")
	if err != nil {
		t.Fatal(err)
	}
	contacts, invalid := 0, 0
	for _, r := range page.Records {
		name, ok := stored[r.ID]
		if !ok {
			t.Errorf("listed %s, which was not stored", r.ID)
			continue
		}
		delete(stored, r.ID)
		switch {
		case r.Invalid != "":
			invalid++
			if r.Fields != nil || !strings.HasPrefix(r.Invalid, "vCard "+r.ID+": ") {
				t.Errorf("%s: invalid %q with fields %v", name, r.Invalid, r.Fields)
			}
			t.Logf("%s: %s", name, r.Invalid)
		case r.Fields == nil || r.Fields[mailbox.FolderID] != r.ID[:strings.LastIndex(r.ID, "/")+1]:
			t.Errorf("%s: a contact without its fields: %+v", name, r)
		default:
			contacts++
		}
	}
	for href, name := range stored {
		t.Errorf("%s (%s) was stored but not listed", href, name)
	}
	t.Logf("listed %d contacts and %d invalid cards", contacts, invalid)
	if page.Total != int64(contacts+invalid) {
		t.Errorf("total %d, want %d", page.Total, contacts+invalid)
	}
}
