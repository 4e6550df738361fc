package salesforce_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secretTap collects every secret that crosses the token endpoint: what
// the connector sends (password, refresh token, assertion) and what the
// org answers (access and refresh tokens).
type secretTap struct {
	mu      sync.Mutex
	secrets []string
}

func (s *secretTap) add(vs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vs {
		if v != "" {
			s.secrets = append(s.secrets, v)
		}
	}
}

func (s *secretTap) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/services/oauth2/token") {
		return http.DefaultTransport.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	s.add(form.Get("password"), form.Get("refresh_token"), form.Get("assertion"), form.Get("client_secret"))
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Signature    string `json:"signature"`
	}
	_ = json.Unmarshal(answer, &tok)
	s.add(tok.AccessToken, tok.RefreshToken, tok.Signature)
	return resp, nil
}

// TestLogsHoldNoSecret: STYLE and SPEC X4. A connector's log at debug
// level, through every OAuth flow (password, refresh token with rotation,
// JWT bearer), expired sessions, refused calls and a spent budget, names
// requests, retries, backoffs and the budget stop with typed attributes,
// and holds no secret: no password, security token, client secret,
// access or refresh token, assertion or private key.
func TestLogsHoldNoSecret(t *testing.T) {
	t.Parallel()
	key := rsaKey(t)
	sb := sandbox.New(sandbox.Config{JWTPublicKey: &key.PublicKey, RotateRefreshTokens: true,
		CustomFields: map[string][]sandbox.Field{"Task": {keyField}}})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	if _, err := sb.Create("Task", "", map[string]any{"Subject": "One"}); err != nil {
		t.Fatal(err)
	}
	var sink syncBuffer
	log := slog.New(slog.NewJSONHandler(&sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tap := &secretTap{}
	first := refreshToken(t, srv.URL)
	tap.add(first)
	noSleep := func(context.Context, time.Duration) error { return nil }
	var rotated []string
	flows := []struct {
		name string
		cfg  salesforce.Config
	}{
		{"password", salesforce.Config{ClientSecret: sandbox.DefaultClientSecret, Username: sandbox.DefaultUsername,
			Password: sandbox.DefaultPassword + sandbox.DefaultSecurityToken}},
		{"refresh token", salesforce.Config{ClientSecret: sandbox.DefaultClientSecret, RefreshToken: first,
			OnRefreshToken: func(_ context.Context, rt string) error { rotated = append(rotated, rt); return nil }}},
		{"jwt bearer", salesforce.Config{Username: sandbox.DefaultUsername, PrivateKey: key}},
		{"refused password", salesforce.Config{ClientSecret: sandbox.DefaultClientSecret, Username: sandbox.DefaultUsername,
			Password: "a-wrong-password-1234"}},
	}
	for i, f := range flows {
		cfg := f.cfg
		cfg.BaseURL, cfg.ClientID, cfg.Logger, cfg.Sleep = srv.URL, sandbox.DefaultClientID, log.With(slog.String("flow", f.name)), noSleep
		cfg.HTTPClient = &http.Client{Transport: tap}
		if i == 0 {
			cfg.Budget = 9
		}
		conn, err := salesforce.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Changes(t.Context(), "Task", ""); err != nil {
			if f.name == "refused password" {
				continue
			}
			t.Fatalf("%s: %v", f.name, err)
		}
		sb.ExpireTokens()
		if err := sb.SetFaults(sandbox.Faults{RateLimits: 2, RetryAfter: 3 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Changes(t.Context(), "Task", ""); err != nil {
			t.Fatalf("%s, after the session expired and two 429s: %v", f.name, err)
		}
		if i == 0 {
			for range 3 { // the budget of 9 runs out
				_, _ = conn.Changes(t.Context(), "Task", "")
			}
		}
	}
	if len(rotated) == 0 {
		t.Fatal("no refresh token was rotated")
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	tap.add(sandbox.DefaultClientSecret, sandbox.DefaultPassword, sandbox.DefaultSecurityToken, "a-wrong-password-1234",
		base64.StdEncoding.EncodeToString(pkcs8)[40:80], key.D.String()[:24])
	tap.add(rotated...)

	out := sink.String()
	for i, s := range tap.secrets {
		probe := s
		if len(probe) > 24 {
			probe = probe[len(probe)/2-12 : len(probe)/2+12] // a slice of it is as bad as all of it
		}
		if strings.Contains(out, probe) {
			t.Errorf("the log holds secret %d of %d (%d characters)", i+1, len(tap.secrets), len(s))
		}
	}

	// What the log must say, with typed attributes.
	want := map[string]func(map[string]any) bool{
		"salesforce: request": func(m map[string]any) bool {
			_, ok := m["status"].(float64)
			return ok && m["method"] != nil && m["path"] != nil
		},
		"salesforce: refused, backing off":              func(m map[string]any) bool { return m["status"] == 429.0 && m["wait"] != nil },
		"salesforce: budget spent, call not made":       func(m map[string]any) bool { return m["budget"] == 9.0 },
		"salesforce: session expired, logging in again": func(m map[string]any) bool { return m["error_code"] == "INVALID_SESSION_ID" },
		"salesforce: refresh token rotated":             func(m map[string]any) bool { return m["grant"] == "refresh_token" },
		"salesforce: token refused":                     func(m map[string]any) bool { return m["error"] == "invalid_grant" },
		"salesforce: logged in":                         func(m map[string]any) bool { return m["grant"] == "jwt_bearer" },
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		msg, _ := m["msg"].(string)
		if ok := want[msg]; ok != nil && ok(m) {
			seen[msg] = true
		}
	}
	for msg := range want {
		if !seen[msg] {
			t.Errorf("no log line %q with its attributes", msg)
		}
	}
}
