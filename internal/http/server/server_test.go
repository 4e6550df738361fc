package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/http/server"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/testenv"
)

var quiet = slog.New(slog.DiscardHandler)

// seedAdmin creates an org with an admin and returns the admin's token.
func seedAdmin(t *testing.T, s store.Store) string {
	t.Helper()
	var token string
	err := s.InTx(t.Context(), func(tx store.Tx) error {
		o := store.Org{Name: "Acme"}
		if err := tx.CreateOrg(t.Context(), &o); err != nil {
			return err
		}
		u := store.User{OrgID: o.ID, Email: "admin@acme.test", Role: store.RoleAdmin}
		if err := tx.CreateUser(t.Context(), &u); err != nil {
			return err
		}
		var err error
		token, err = api.IssueToken(t.Context(), tx, u, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func newServer(t *testing.T, s store.Store) (*server.Server, string) {
	t.Helper()
	srv, err := server.New(server.Config{Store: s, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := testenv.SQLite(t)
	_, url := newServer(t, s)
	if code, body := get(t, url+"/healthz", ""); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("healthy: %d %s", code, body)
	}
	s.Close()
	if code, body := get(t, url+"/healthz", ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "unavailable") {
		t.Errorf("store closed: %d %s", code, body)
	}
}

// The metrics count requests by route pattern and status, never by raw
// path, so that clients cannot mint label values.
func TestMetrics(t *testing.T) {
	t.Parallel()
	s := testenv.SQLite(t)
	token := seedAdmin(t, s)
	_, url := newServer(t, s)

	get(t, url+"/api/v1/me", token)
	get(t, url+"/api/v1/me", token)
	get(t, url+"/api/v1/me", "")
	get(t, url+"/api/v1/streams/abc123", token)
	get(t, url+"/no/such/page", "")
	code, body := get(t, url+"/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		`crmsync_http_requests_total{code="200",route="GET /api/v1/me"} 2`,
		`crmsync_http_requests_total{code="401",route="GET /api/v1/me"} 1`,
		`crmsync_http_requests_total{code="404",route="GET /api/v1/streams/{id}"} 1`,
		`crmsync_http_requests_total{code="404",route="unmatched"} 1`,
		`crmsync_http_request_duration_seconds_count{code="200",route="GET /api/v1/me"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "abc123") || strings.Contains(body, "/no/such/page") {
		t.Error("a raw path became a label value")
	}
}

// Every route the server answers is in the OpenAPI document, and every
// operation the document describes is a route.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, testenv.SQLite(t))

	code, body := get(t, url+"/api/v1/openapi.json", "")
	if code != http.StatusOK {
		t.Fatalf("openapi.json: %d", code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	registered := srv.Patterns()
	slices.Sort(documented)
	slices.Sort(registered)
	if diff := cmp.Diff(registered, documented); diff != "" {
		t.Errorf("routes (-registered +documented):\n%s", diff)
	}
}

// The document's references all resolve and each path parameter is
// declared, so that generators and viewers accept it.
func TestOpenAPIIsConsistent(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := resolve(doc, ref); err != "" {
					t.Errorf("$ref %s: %s", ref, err)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)

	param := regexp.MustCompile(`\{(\w+)\}`)
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			declared := map[string]bool{}
			params, _ := op.(map[string]any)["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if ref, ok := pm["$ref"].(string); ok {
					r, _ := resolve(doc, ref)
					pm = r.(map[string]any)
				}
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter %s not declared", method, path, m[1])
				}
			}
			if _, ok := op.(map[string]any)["responses"]; !ok {
				t.Errorf("%s %s: no responses", method, path)
			}
		}
	}
}

// resolve follows a local JSON pointer "#/a/b".
func resolve(doc map[string]any, ref string) (any, string) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, "not a local reference"
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, "not an object at " + part
		}
		if cur, ok = m[part]; !ok {
			return nil, "no " + part
		}
	}
	return cur, ""
}

// Serve answers until its context ends, then shuts down cleanly.
func TestServeShutsDownGracefully(t *testing.T) {
	t.Parallel()
	srv, err := server.New(server.Config{Store: testenv.SQLite(t), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, srv, quiet) }()

	url := "http://" + ln.Addr().String()
	if code, _ := get(t, url+"/healthz", ""); code != http.StatusOK {
		t.Fatalf("healthz: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil after shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still answering after shutdown")
	}
}

func TestNewNeedsStore(t *testing.T) {
	t.Parallel()
	if _, err := server.New(server.Config{}); err == nil {
		t.Error("New without a store passed")
	}
}
