package salesforce

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a stubbable clock for Config.Clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// org is a sandbox under test, served over real HTTP, with a logged-in
// session.
type org struct {
	t     testing.TB
	s     *Server
	srv   *httptest.Server
	clock *fakeClock
	token string
}

// newOrg starts a sandbox with cfg (a fake clock unless cfg sets one) and
// logs in with the password flow.
func newOrg(t testing.TB, cfg Config) *org {
	t.Helper()
	o := &org{t: t}
	if cfg.Clock == nil {
		o.clock = newClock()
		cfg.Clock = o.clock.Now
	}
	o.s = New(cfg)
	o.srv = httptest.NewServer(o.s)
	t.Cleanup(o.srv.Close)
	o.token = o.login()
	return o
}

// login runs the password flow for the first configured user.
func (o *org) login() string {
	o.t.Helper()
	u := o.s.Config().Users[0]
	resp, err := http.PostForm(o.srv.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"password"}, "client_id": {o.s.Config().ClientID}, "client_secret": {o.s.Config().ClientSecret},
		"username": {u.Username}, "password": {u.Password + u.SecurityToken}})
	if err != nil {
		o.t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	var tok tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		o.t.Fatalf("login: status %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) String() string { return string(r.body) }

// do sends a request to path (absolute on the server) with the session's
// token. body is JSON-encoded unless it is a string or nil.
func (o *org) do(method, path string, body any, headers ...string) reply {
	o.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			o.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, o.srv.URL+path, rd)
	if err != nil {
		o.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+o.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		o.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// api calls a REST resource under /services/data/v62.0.
func (o *org) api(method, path string, body any, headers ...string) reply {
	o.t.Helper()
	return o.do(method, "/services/data/v62.0"+path, body, headers...)
}

// query runs SOQL and returns the first page.
func (o *org) query(q string) reply {
	o.t.Helper()
	return o.api("GET", "/query?q="+url.QueryEscape(q), nil)
}

// decode unmarshals a JSON body or fails the test.
func decode[T any](t testing.TB, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %T from %d %s: %v", v, r.status, r.body, err)
	}
	return v
}

// queryResult is a query or queryAll page.
type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// sfErrors is Salesforce's error array.
type sfErrors []struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// wantError checks a reply is one Salesforce error with this status and
// code.
func wantError(t *testing.T, r reply, status int, code string) sfErrors {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	errs := decode[sfErrors](t, r)
	if len(errs) != 1 || errs[0].ErrorCode != code {
		t.Fatalf("errors %s, want one %s", r.body, code)
	}
	return errs
}

// create makes a record through the admin surface's Go API.
func (o *org) create(object string, fields map[string]any) string {
	o.t.Helper()
	id, err := o.s.Create(object, "", fields)
	if err != nil {
		o.t.Fatalf("create %s: %v", object, err)
	}
	return id
}
