package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/http/api"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
)

// SPEC A7 and A2–A6 through the JSON API: only admins may administer CRM
// sync (members get 403 on every route), a member reads their own saved
// lists, and every action is in the audit log.
func TestA7AdministrationOverHTTP(t *testing.T) {
	r := newRig(t)
	a, err := api.New(api.Config{Store: r.s, Admin: r.svc})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	var adminTok, samTok string
	err = r.s.InTx(t.Context(), func(tx store.Tx) (err error) {
		if adminTok, err = api.IssueToken(t.Context(), tx, r.admin, "test"); err != nil {
			return err
		}
		samTok, err = api.IssueToken(t.Context(), tx, r.sam, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, tok string, body any) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var compact bytes.Buffer
		if json.Compact(&compact, b) == nil {
			b = compact.Bytes()
		}
		return res.StatusCode, string(b)
	}

	routes := []struct{ method, path string }{
		{"GET", "/api/v1/crm"}, {"POST", "/api/v1/crm/connect"}, {"POST", "/api/v1/crm/disconnect"},
		{"POST", "/api/v1/crm/erase"}, {"POST", "/api/v1/crm/validate"}, {"GET", "/api/v1/crm/users"},
		{"POST", "/api/v1/crm/users/sync"}, {"PUT", "/api/v1/users/" + r.sam.ID + "/seat"},
		{"DELETE", "/api/v1/users/" + r.sam.ID + "/seat"}, {"PUT", "/api/v1/users/" + r.sam.ID + "/crm-sync"},
	}
	for _, rt := range routes {
		if code, body := do(rt.method, rt.path, samTok, map[string]any{}); code != http.StatusForbidden {
			t.Errorf("member %s %s = %d %s, want 403", rt.method, rt.path, code, body)
		}
	}
	if code, _ := do("GET", "/api/v1/crm/users", adminTok, nil); code != http.StatusConflict {
		t.Errorf("CRM users before connecting = %d, want 409", code)
	}

	creds := map[string]string{"client_id": sandbox.DefaultClientID, "client_secret": sandbox.DefaultClientSecret,
		"username": sandbox.DefaultUsername, "password": sandbox.DefaultPassword}
	code, body := do("POST", "/api/v1/crm/connect", adminTok, map[string]any{"config": map[string]string{"base_url": r.url}, "credentials": creds})
	if code != http.StatusOK || !strings.Contains(body, `"connected":true`) {
		t.Fatalf("connect = %d %s", code, body)
	}
	if strings.Contains(body, sandbox.DefaultClientSecret) || strings.Contains(body, sandbox.DefaultPassword) {
		t.Error("the connect answer echoes a secret")
	}
	code, body = do("GET", "/api/v1/crm/users", adminTok, nil)
	if code != http.StatusOK || !strings.Contains(body, samCRM) {
		t.Fatalf("CRM users = %d %s", code, body)
	}
	if code, body := do("PUT", "/api/v1/users/"+r.sam.ID+"/seat", adminTok, map[string]string{}); code != http.StatusUnprocessableEntity {
		t.Errorf("seat without crm_user = %d %s", code, body)
	}
	code, body = do("PUT", "/api/v1/users/"+r.sam.ID+"/seat", adminTok, map[string]string{"crm_user": samCRM})
	if code != http.StatusOK || !strings.Contains(body, `"sync_enabled":true`) {
		t.Fatalf("grant seat = %d %s", code, body)
	}
	if code, body := do("GET", "/api/v1/saved", samTok, nil); code != http.StatusOK || !strings.Contains(body, `"leads":[]`) {
		t.Errorf("Sam's saved lists = %d %s", code, body)
	}
	if code, _ := do("GET", "/api/v1/saved?user="+r.admin.ID, samTok, nil); code != http.StatusForbidden {
		t.Errorf("a member reading another user's saved lists = %d, want 403", code)
	}
	code, body = do("PUT", "/api/v1/users/"+r.sam.ID+"/crm-sync", adminTok, map[string]bool{"enabled": false})
	if code != http.StatusOK || !strings.Contains(body, `"sync_enabled":false`) {
		t.Errorf("disable = %d %s", code, body)
	}
	if code, body := do("POST", "/api/v1/crm/validate", adminTok, nil); code != http.StatusOK || !strings.Contains(body, `"valid":true`) {
		t.Errorf("validate = %d %s", code, body)
	}
	if code, body := do("POST", "/api/v1/crm/disconnect", adminTok, map[string]bool{"erase": true}); code != http.StatusOK || !strings.Contains(body, `"status":"disconnected"`) {
		t.Errorf("disconnect = %d %s", code, body)
	}
	code, body = do("GET", "/api/v1/audit", adminTok, nil)
	for _, action := range []string{"crm.connect", "crm.seat.grant", "crm.user.disable", "crm.disconnect"} {
		if code != http.StatusOK || !strings.Contains(body, `"`+action+`"`) {
			t.Errorf("audit lacks %s: %d %s", action, code, body)
		}
	}
}
