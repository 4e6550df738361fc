package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/http/api"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
)

// SPEC A4 through the browser: an admin connects the org with the CRM's
// OAuth web-server flow (authorization code with PKCE). The hub keeps the
// refresh token sealed, the state works once, and members cannot start it.
func TestA4ConnectThroughOAuthWebFlow(t *testing.T) {
	r := newRig(t)
	a, err := api.New(api.Config{Store: r.s, Admin: r.svc})
	if err != nil {
		t.Fatal(err)
	}
	hub := httptest.NewServer(a)
	t.Cleanup(hub.Close)
	var adminTok, samTok string
	_ = r.s.InTx(t.Context(), func(tx store.Tx) (err error) {
		if adminTok, err = api.IssueToken(t.Context(), tx, r.admin, "t"); err != nil {
			return err
		}
		samTok, err = api.IssueToken(t.Context(), tx, r.sam, "t")
		return err
	})
	post := func(tok string, body any) (int, map[string]string) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", hub.URL+"/api/v1/crm/oauth/start", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out := map[string]string{}
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	start := map[string]any{"base_url": r.url, "client_id": sandbox.DefaultClientID, "client_secret": sandbox.DefaultClientSecret}
	if code, _ := post(samTok, start); code != http.StatusForbidden {
		t.Errorf("a member starting the flow = %d, want 403 (SPEC A7)", code)
	}
	code, out := post(adminTok, start)
	if code != http.StatusOK || !strings.HasPrefix(out["auth_url"], r.url+"/services/oauth2/authorize?") ||
		!strings.Contains(out["auth_url"], "code_challenge_method=S256") || out["redirect_url"] != hub.URL+"/api/v1/crm/oauth/callback" {
		t.Fatalf("start = %d %v", code, out)
	}

	// The browser: to the CRM, which approves and sends it back with a
	// code to the hub's callback.
	var callback string
	browser := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), hub.URL) {
			callback = req.URL.String()
		}
		return nil
	}}
	res, err := browser.Get(out["auth_url"])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"connected": true`) {
		t.Fatalf("callback = %d %s", res.StatusCode, body)
	}
	st, _ := r.svc.Status(t.Context(), r.org.ID)
	var conn store.Connection
	_ = r.s.Read(t.Context(), func(tx store.Tx) (err error) {
		conn, err = tx.GetConnection(t.Context(), r.org.ID, st.ConnectionID)
		return err
	})
	var creds map[string]any
	if err := json.Unmarshal(conn.Credentials, &creds); err != nil {
		t.Fatal(err)
	}
	if creds["refresh_token"] == "" || creds["refresh_token"] == nil || creds["oauth_pending"] != nil || creds["password"] != nil {
		t.Errorf("credentials after the flow = keys %v, want client and refresh token only", keys(creds))
	}
	if _, err := r.svc.CRMUsers(t.Context(), r.org.ID); err != nil {
		t.Errorf("the refresh token does not sign in: %v", err)
	}

	// The same callback again: the state was spent.
	res, err = http.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "no authorization is pending") {
		t.Errorf("a replayed callback = %d %s", res.StatusCode, body)
	}
	// A forged state, and a denial by the CRM.
	post(adminTok, start)
	res, _ = http.Get(hub.URL + "/api/v1/crm/oauth/callback?code=x&state=" + r.org.ID + ".forged")
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "does not match") {
		t.Errorf("a forged state = %d %s", res.StatusCode, body)
	}
	if got := r.auditActions(); !slices.Contains(got, "crm.oauth.start "+r.admin.ID) || !slices.Contains(got, "crm.connect "+r.admin.ID) {
		t.Errorf("audit = %q", got)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
