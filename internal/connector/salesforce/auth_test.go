package salesforce_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
)

// refreshToken runs the web-server flow against the sandbox, which
// approves at once, and returns the refresh token.
func refreshToken(t *testing.T, base string) string {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	const cb = "http://localhost/callback"
	resp, err := noFollow.Get(base + "/services/oauth2/authorize?" + url.Values{"client_id": {sandbox.DefaultClientID},
		"redirect_uri": {cb}, "response_type": {"code"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = http.PostForm(base+"/services/oauth2/token", url.Values{"grant_type": {"authorization_code"},
		"code": {loc.Query().Get("code")}, "client_id": {sandbox.DefaultClientID}, "client_secret": {sandbox.DefaultClientSecret},
		"redirect_uri": {cb}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.RefreshToken == "" {
		t.Fatalf("code exchange: status %d, %v", resp.StatusCode, err)
	}
	return tok.RefreshToken
}

func TestRefreshTokenGrant(t *testing.T) {
	t.Parallel()
	o := newOrg(t, nil, nil)
	rt := refreshToken(t, o.srv.URL)
	conn, err := salesforce.New(salesforce.Config{BaseURL: o.srv.URL, ClientID: sandbox.DefaultClientID,
		ClientSecret: sandbox.DefaultClientSecret, RefreshToken: rt, Now: o.sb.Now, HTTPClient: &http.Client{Transport: o.calls}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Changes(t.Context(), "Task", ""); err != nil {
		t.Fatalf("with a refresh token: %v", err)
	}
	o.sb.ExpireTokens()
	if _, err := conn.Changes(t.Context(), "Task", ""); err != nil {
		t.Fatalf("after the session expired: %v", err)
	}
	// The admin revokes the app: the next call needs a person to reconnect.
	o.sb.RevokeTokens()
	_, err = conn.Changes(t.Context(), "Task", "")
	if !errors.Is(err, salesforce.ErrReconnect) {
		t.Fatalf("after revoking: %v, want ErrReconnect", err)
	}
}
