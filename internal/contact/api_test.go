package contact_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/msgraph"
	"github.com/crmsync/crmsync/internal/http/api"
	graphsb "github.com/crmsync/crmsync/internal/sandbox/msgraph"
	"github.com/crmsync/crmsync/internal/store"
)

func TestContactRoutesOverHTTP(t *testing.T) {
	// SPEC C1, C2, C5, C11 through /api/v1/contacts: each user sees and
	// changes only their own mailbox.
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{Categories: []string{"Clients"}})
	a, err := api.New(api.Config{Store: r.store, Contacts: r.svc, Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	tokens := map[string]string{}
	err = r.store.InTx(t.Context(), func(tx store.Tx) error {
		for _, name := range []string{"ann", "bo"} {
			tok, err := api.IssueToken(t.Context(), tx, r.users[name], "test")
			if err != nil {
				return err
			}
			tokens[name] = tok
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(who, method, path string, body any) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+tokens[who])
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := call("ann", "GET", "/api/v1/contacts/mailbox", nil); code != http.StatusConflict || !strings.Contains(body, "connect one first") {
		t.Fatalf("mailbox before connecting: %d %s", code, body)
	}
	cfg, creds := r.mailboxConfig("ann")
	bad, _ := json.Marshal(msgraph.ConnectionCredentials{ClientSecret: "nope"})
	if code, body := call("ann", "PUT", "/api/v1/contacts/mailbox", api.ContactMailboxRequest{System: msgraph.SystemName, Config: cfg, Credentials: bad}); code != http.StatusBadGateway {
		t.Fatalf("a refused mailbox: %d %s", code, body)
	}
	code, body := call("ann", "PUT", "/api/v1/contacts/mailbox", api.ContactMailboxRequest{System: msgraph.SystemName, Config: cfg, Credentials: creds})
	var mb api.ContactMailbox
	if err := json.Unmarshal([]byte(body), &mb); code != http.StatusOK || err != nil || mb.System != msgraph.SystemName {
		t.Fatalf("connect: %d %s", code, body)
	}
	if strings.Contains(body, graphsb.DefaultClientSecret) {
		t.Fatal("the answer holds the client secret")
	}
	if strings.Join(mb.Categories, ",") != "Clients" || len(mb.Skipped) == 0 {
		t.Fatalf("mailbox = %+v: want Clients to pick and the directory skipped", mb)
	}
	// Bo has no mailbox: Ann's is not his.
	if code, _ := call("bo", "GET", "/api/v1/contacts/mailbox", nil); code != http.StatusConflict {
		t.Fatalf("Bo reads a mailbox: %d", code)
	}
	if code, body := call("ann", "PUT", "/api/v1/contacts/sync", map[string]any{"enabled": true, "import_categories": []string{"Friends"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Friends") {
		t.Fatalf("picking a missing category: %d %s", code, body)
	}
	code, body = call("ann", "PUT", "/api/v1/contacts/sync", map[string]any{"enabled": true, "import_categories": []string{"Clients"}})
	var sync api.ContactSync
	if err := json.Unmarshal([]byte(body), &sync); code != http.StatusOK || err != nil || len(sync.Streams) != 2 || !sync.Enabled {
		t.Fatalf("enable: %d %s", code, body)
	}
	if code, body := call("bo", "GET", "/api/v1/contacts/sync", nil); code != http.StatusOK || strings.Contains(body, sync.Streams[0].ID) {
		t.Fatalf("Bo sees Ann's streams: %d %s", code, body)
	}
	// A merge of contacts Bo may not see is refused as not found.
	id := r.crm("Contact", "ann", map[string]any{"LastName": "A", "Email": "a@x.test"})
	id2 := r.crm("Contact", "ann", map[string]any{"LastName": "A", "Email": "a@x.test"})
	if code, _ := call("bo", "POST", "/api/v1/contacts/merge", api.ContactMergeRequest{Keep: id, Duplicates: []string{id2}}); code != http.StatusNotFound {
		t.Fatalf("Bo merges Ann's contacts: %d", code)
	}
	if code, body := call("ann", "POST", "/api/v1/contacts/merge", api.ContactMergeRequest{Keep: id, Duplicates: []string{id2}}); code != http.StatusOK || !strings.Contains(body, `"deleted": 1`) {
		t.Fatalf("merge: %d %s", code, body)
	}
}
