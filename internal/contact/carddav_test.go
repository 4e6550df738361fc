package contact_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/contact"
	graphsb "github.com/crmsync/crmsync/internal/sandbox/msgraph"
	"github.com/crmsync/crmsync/internal/testenv"
)

// davPut stores a vCard in a Radicale address book as another client would.
func davPut(t *testing.T, url, user, card string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(card))
	req.Header.Set("Content-Type", "text/vcard; charset=utf-8")
	req.SetBasicAuth(user, "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("PUT %s: %s", url, res.Status)
	}
}

// davBook reads every card of an address book (Radicale answers a GET of
// the collection with all of them).
func davBook(t *testing.T, url, user string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth(user, "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return strings.ReplaceAll(string(b), "\r\n ", "")
}

// cardOf is the one vCard of book holding needle.
func cardOf(book, needle string) string {
	for _, c := range strings.Split(book, "END:VCARD") {
		if strings.Contains(c, needle) {
			return c
		}
	}
	return ""
}

func TestContactsSyncWithACardDAVAddressBook(t *testing.T) {
	// SPEC C1–C3, C6, C7 with a CardDAV mailbox: a real Radicale, its
	// categories the vCards' CATEGORIES.
	t.Parallel()
	base := testenv.Radicale(t)
	r := newRig(t, graphsb.SeedConfig{})
	book := testenv.MakeCollection(t, base, "ann", "contacts", "addressbook")
	davPut(t, book+"kim.vcf", "ann", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:kim\r\nN:Client;Kim;;;\r\nFN:Kim Client\r\n"+
		"EMAIL:kim@client.test\r\nCATEGORIES:Clients\r\nX-PHONETIC:kept\r\nEND:VCARD\r\n")
	davPut(t, book+"mum.vcf", "ann", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:mum\r\nN:Family;Mum;;;\r\nFN:Mum Family\r\n"+
		"EMAIL:mum@home.test\r\nCATEGORIES:Family\r\nEND:VCARD\r\n")
	r.crm("Contact", "ann", map[string]any{"FirstName": "Solo", "LastName": "Person", "Email": "solo@example.test", "Title": "Owner"})

	// C1: the server's root is enough; the address book is discovered.
	cfg, _ := json.Marshal(carddav.ConnectionConfig{URL: base, Username: "ann"})
	creds, _ := json.Marshal(carddav.ConnectionCredentials{Password: "x"})
	_, rep, err := r.svc.Connect(t.Context(), r.users["ann"], carddav.SystemName, cfg, creds)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Folders) != 1 || strings.Join(rep.Categories, ",") != "Clients,Family" {
		t.Fatalf("report = %+v", rep)
	}
	if _, err := r.svc.Save(t.Context(), r.users["ann"], contact.Settings{Enabled: true, Import: []string{"Clients"}}); err != nil {
		t.Fatal(err)
	}
	r.sync("ann")
	cards := davBook(t, book, "ann")
	solo := cardOf(cards, "solo@example.test")
	if solo == "" || !strings.Contains(solo, "CATEGORIES:"+contact.CategoryPerson) || !strings.Contains(solo, "TITLE:Owner") {
		t.Fatalf("the CRM contact did not reach the address book filed under %s:\n%s", contact.CategoryPerson, cards)
	}
	kim := r.crmContactByEmail("kim@client.test")
	if kim == "" || r.crmContactByEmail("mum@home.test") != "" {
		t.Fatalf("imports: Kim %q (want one), Mum %q (want none)", kim, r.crmContactByEmail("mum@home.test"))
	}
	// C6: a CRM edit reaches the card and keeps what the hub does not map.
	r.later()
	if err := r.sf.Update("Contact", kim, "ann@acme.test", map[string]any{"Title": "Buyer"}); err != nil {
		t.Fatal(err)
	}
	r.later()
	r.sync("ann")
	card := cardOf(davBook(t, book, "ann"), "kim@client.test")
	if !strings.Contains(card, "TITLE:Buyer") || !strings.Contains(card, "X-PHONETIC:kept") {
		t.Fatalf("after a CRM edit the card is:\n%s", card)
	}
	// C7: the card deleted in the address book stays in the CRM.
	req, _ := http.NewRequest(http.MethodDelete, book+"kim.vcf", nil)
	req.SetBasicAuth("ann", "x")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode/100 != 2 {
		t.Fatalf("delete the card: %v", err)
	}
	r.later()
	r.sync("ann")
	if r.crmContactByEmail("kim@client.test") != kim {
		t.Fatal("an address book delete reached the CRM")
	}
}
