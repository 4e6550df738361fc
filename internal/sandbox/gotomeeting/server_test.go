package gotomeeting

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a stubbable time for the sandbox.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// rig is a sandbox on a loopback port with a stubbed clock.
type rig struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
	clk *clock
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	clk := &clock{t: t0}
	cfg.Clock = clk.Now
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	srv := New(cfg)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &rig{t: t, srv: srv, ts: ts, clk: clk}
}

// token runs the authorization-code grant for email and returns the answer.
func (g *rig) token(email string) tokenResponse {
	g.t.Helper()
	code := g.srv.IssueCode(email, "")
	status, body := g.form(url.Values{"grant_type": {"authorization_code"}, "code": {code}}, true)
	if status != 200 {
		g.t.Fatalf("token: status %d %s", status, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		g.t.Fatal(err)
	}
	return tr
}

func (g *rig) form(v url.Values, basic bool) (int, []byte) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.ts.URL+"/oauth/token", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(DefaultClientID, DefaultClientSecret)
	}
	return g.do(req)
}

func (g *rig) do(req *http.Request) (int, []byte) {
	g.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (g *rig) call(tok, method, path string, body any) (int, http.Header, []byte) {
	g.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, g.ts.URL+path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func meetingBody(subject string, start time.Time) map[string]any {
	return map[string]any{"subject": subject, "starttime": start.Format(time.RFC3339),
		"endtime": start.Add(time.Hour).Format(time.RFC3339), "passwordrequired": false,
		"conferencecallinfo": "Hybrid", "timezonekey": "", "meetingtype": "scheduled"}
}

func (g *rig) create(tok, subject string, start time.Time) int64 {
	g.t.Helper()
	st, _, b := g.call(tok, http.MethodPost, BasePath+"/meetings", meetingBody(subject, start))
	if st != http.StatusCreated {
		g.t.Fatalf("create: %d %s", st, b)
	}
	var out []meetingCreated
	if err := json.Unmarshal(b, &out); err != nil || len(out) != 1 {
		g.t.Fatalf("create answer %s: %v", b, err)
	}
	return out[0].MeetingID
}

func errCode(t *testing.T, b []byte) string {
	t.Helper()
	var e apiError
	_ = json.Unmarshal(b, &e)
	return e.Code
}

// SPEC M1: the sandbox creates, reads, updates and deletes meetings as GoTo
// answers them: 201 with an array, an array for a get, 204 for put and
// delete.
func TestMeetingLifecycle(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{})
	tok := g.token(DefaultEmail).AccessToken
	start := t0.Add(24 * time.Hour)

	st, _, b := g.call(tok, http.MethodPost, BasePath+"/meetings", meetingBody("Quarterly review", start))
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, b)
	}
	var created []map[string]any
	if err := json.Unmarshal(b, &created); err != nil || len(created) != 1 {
		t.Fatalf("create answer is not an array of one: %s", b)
	}
	id := int64(created[0]["meetingid"].(float64))
	if !strings.HasSuffix(created[0]["joinURL"].(string), "/join/"+strconv.FormatInt(id, 10)) {
		t.Errorf("joinURL %v", created[0]["joinURL"])
	}
	path := BasePath + "/meetings/" + strconv.FormatInt(id, 10)

	st, _, b = g.call(tok, http.MethodGet, path, nil)
	var got []meetingByID
	if st != 200 || json.Unmarshal(b, &got) != nil || len(got) != 1 {
		t.Fatalf("get: %d %s", st, b)
	}
	if got[0].Subject != "Quarterly review" || got[0].StartTime != start.Format(time.RFC3339) || got[0].Duration != 60 || got[0].Status != "INACTIVE" {
		t.Errorf("get: %+v", got[0])
	}

	upd := meetingBody("Quarterly review (moved)", start.Add(time.Hour))
	if st, _, b = g.call(tok, http.MethodPut, path, upd); st != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("update: %d %s", st, b)
	}
	_, _, b = g.call(tok, http.MethodGet, path, nil)
	_ = json.Unmarshal(b, &got)
	if got[0].Subject != "Quarterly review (moved)" || got[0].StartTime != start.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("after update: %+v", got[0])
	}

	st, _, b = g.call(tok, http.MethodGet, path+"/start", nil)
	var su startURL
	if st != 200 || json.Unmarshal(b, &su) != nil || !strings.HasPrefix(su.HostURL, g.ts.URL+"/start/") {
		t.Errorf("start: %d %s", st, b)
	}

	if st, _, b = g.call(tok, http.MethodDelete, path, nil); st != http.StatusNoContent {
		t.Fatalf("delete: %d %s", st, b)
	}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		st, _, b = g.call(tok, m, path, upd)
		if st != http.StatusNotFound || errCode(t, b) != "NotFound" {
			t.Errorf("%s after delete: %d %s", m, st, b)
		}
	}
}

// Requests that GoTo refuses are refused with its status and error code.
func TestRequestErrors(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{})
	tok := g.token(DefaultEmail).AccessToken
	start := t0.Add(time.Hour)
	without := func(k string) map[string]any { b := meetingBody("x", start); delete(b, k); return b }
	with := func(k string, v any) map[string]any { b := meetingBody("x", start); b[k] = v; return b }
	tests := []struct {
		name, method, path string
		body               any
		tok                string
		status             int
		code               string
	}{
		{"no token", "GET", BasePath + "/upcomingMeetings", nil, "-", 403, "InvalidToken"},
		{"bad token", "GET", BasePath + "/upcomingMeetings", nil, "nope", 403, "InvalidToken"},
		{"missing starttime", "POST", BasePath + "/meetings", without("starttime"), "", 400, "InvalidRequest"},
		{"missing timezonekey", "POST", BasePath + "/meetings", without("timezonekey"), "", 400, "InvalidRequest"},
		{"camel-case keys are not GoTo's", "POST", BasePath + "/meetings", map[string]any{"subject": "x", "startTime": "2026-03-02T10:00:00Z"}, "", 400, "InvalidRequest"},
		{"bad meetingtype", "POST", BasePath + "/meetings", with("meetingtype", "weekly"), "", 400, "InvalidRequest"},
		{"subject too long", "POST", BasePath + "/meetings", with("subject", strings.Repeat("a", 101)), "", 400, "InvalidRequest"},
		{"raw angle bracket", "POST", BasePath + "/meetings", with("subject", "a <b>"), "", 400, "InvalidRequest"},
		{"password not boolean", "POST", BasePath + "/meetings", with("passwordrequired", "no"), "", 400, "InvalidRequest"},
		{"end before start", "POST", BasePath + "/meetings", with("endtime", start.Add(-time.Hour).Format(time.RFC3339)), "", 400, "InvalidRequest"},
		{"not JSON", "POST", BasePath + "/meetings", "just text", "", 400, "InvalidRequest"},
		{"unknown meeting", "GET", BasePath + "/meetings/123456789", nil, "", 404, "NotFound"},
		{"meeting id not a number", "GET", BasePath + "/meetings/abc", nil, "", 400, "InvalidParameter"},
		{"history without dates", "GET", BasePath + "/historicalMeetings", nil, "", 400, "InvalidRequest"},
		{"history with a bad date", "GET", BasePath + "/historicalMeetings?startDate=yesterday&endDate=2026-03-02T00:00:00Z", nil, "", 400, "InvalidRequest"},
		{"another organizer", "GET", BasePath + "/organizers/42/historicalMeetings?startDate=2026-03-01T00:00:00Z&endDate=2026-03-02T00:00:00Z", nil, "", 403, "Forbidden"},
		{"unknown path", "GET", BasePath + "/webinars", nil, "", 404, "NotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bearer := tok
			switch tc.tok {
			case "-":
				bearer = ""
			case "":
			default:
				bearer = tc.tok
			}
			st, _, b := g.call(bearer, tc.method, tc.path, tc.body)
			if st != tc.status || errCode(t, b) != tc.code {
				t.Errorf("got %d %s, want %d %s", st, b, tc.status, tc.code)
			}
		})
	}
}

// The token endpoint: single-use codes, refresh without rotation, expiry
// and revocation, RFC 6749 errors.
func TestOAuth(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{AccessTokenTTL: 10 * time.Minute})
	code := g.srv.IssueCode(DefaultEmail, "https://hub.example/cb")
	st, b := g.form(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://hub.example/cb"}}, true)
	if st != 200 {
		t.Fatalf("exchange: %d %s", st, b)
	}
	var tr tokenResponse
	_ = json.Unmarshal(b, &tr)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 600 || tr.RefreshToken == "" || tr.OrganizerKey != strconv.FormatInt(DefaultOrganizerKey, 10) || tr.Principal != DefaultEmail {
		t.Errorf("token answer %s", b)
	}
	if st, b = g.form(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://hub.example/cb"}}, true); st != 400 || !strings.Contains(string(b), "invalid_grant") {
		t.Errorf("second use of a code: %d %s", st, b)
	}
	if st, b = g.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, false); st != 401 || !strings.Contains(string(b), "invalid_client") {
		t.Errorf("no client credentials: %d %s", st, b)
	}

	if st, _, _ := g.call(tr.AccessToken, "GET", BasePath+"/upcomingMeetings", nil); st != 200 {
		t.Fatalf("fresh token: %d", st)
	}
	g.clk.Add(11 * time.Minute)
	if st, _, b := g.call(tr.AccessToken, "GET", BasePath+"/upcomingMeetings", nil); st != 403 || errCode(t, b) != "InvalidToken" {
		t.Errorf("expired token: %d %s", st, b)
	}
	st, b = g.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, true)
	var tr2 tokenResponse
	_ = json.Unmarshal(b, &tr2)
	if st != 200 || tr2.AccessToken == "" || tr2.RefreshToken != "" {
		t.Fatalf("refresh: %d %s", st, b)
	}
	if st, _, _ := g.call(tr2.AccessToken, "GET", BasePath+"/upcomingMeetings", nil); st != 200 {
		t.Errorf("refreshed token: %d", st)
	}
	g.srv.RevokeTokens()
	if st, _, _ := g.call(tr2.AccessToken, "GET", BasePath+"/upcomingMeetings", nil); st != 403 {
		t.Errorf("revoked access token: %d", st)
	}
	if st, b = g.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, true); st != 400 || !strings.Contains(string(b), "invalid_grant") {
		t.Errorf("revoked refresh token: %d %s", st, b)
	}
}

// The authorize endpoint approves at once and redirects with code and state.
func TestAuthorizeRedirects(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{RedirectURIs: []string{"https://hub.example/cb"}})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(g.ts.URL + "/oauth/authorize?client_id=" + DefaultClientID + "&response_type=code&redirect_uri=" +
		url.QueryEscape("https://hub.example/cb") + "&state=xyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Host != "hub.example" || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = c.Get(g.ts.URL + "/oauth/authorize?client_id=" + DefaultClientID + "&response_type=code&redirect_uri=https://evil.example/")
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unregistered redirect: %d", resp.StatusCode)
	}
}

// SPEC M8: a held session shows in historicalMeetings and attendees once it
// ended, with GoTo's JSON types; a meeting never held has no attendees.
func TestHoldAndHistory(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{})
	tok := g.token(DefaultEmail).AccessToken
	start := t0.Add(2 * time.Hour)
	id := g.create(tok, "Demo", start)
	never := g.create(tok, "Never held", start)

	atts := []Attendee{{Name: "Ann Lee", Email: "ann@example.com", JoinTime: start, LeaveTime: start.Add(50 * time.Minute)},
		{Name: "Bob Roy", Email: "bob@example.com", JoinTime: start.Add(5 * time.Minute), LeaveTime: start.Add(time.Hour)},
		{Name: "Cy", JoinTime: start.Add(10 * time.Minute), LeaveTime: start.Add(20 * time.Minute)}}
	b, _ := json.Marshal(HoldRequest{Attendees: atts})
	req, _ := http.NewRequest(http.MethodPost, g.ts.URL+"/__sandbox/meetings/"+strconv.FormatInt(id, 10)+"/sessions", bytes.NewReader(b))
	st, body := g.do(req)
	if st != http.StatusCreated {
		t.Fatalf("hold: %d %s", st, body)
	}
	var se Session
	_ = json.Unmarshal(body, &se)

	hist := BasePath + "/historicalMeetings?startDate=" + t0.Format(time.RFC3339) + "&endDate=" + t0.Add(24*time.Hour).Format(time.RFC3339)
	_, _, b = g.call(tok, "GET", hist, nil)
	if string(b) != "[]" {
		t.Errorf("a session not yet over is listed: %s", b)
	}
	g.clk.Add(4 * time.Hour)
	tok = g.token(DefaultEmail).AccessToken // the first one expired meanwhile
	_, _, b = g.call(tok, "GET", hist, nil)
	var hm []map[string]any
	if err := json.Unmarshal(b, &hm); err != nil || len(hm) != 1 {
		t.Fatalf("history: %s", b)
	}
	want := map[string]any{"meetingId": strconv.FormatInt(id, 10), "numAttendees": "3", "duration": "60",
		"sessionId": strconv.FormatInt(se.SessionID, 10), "subject": "Demo", "startTime": start.Format(time.RFC3339)}
	for k, v := range want {
		if hm[0][k] != v {
			t.Errorf("history %s = %#v, want %#v", k, hm[0][k], v)
		}
	}
	out := BasePath + "/historicalMeetings?startDate=" + t0.Add(3*time.Hour).Format(time.RFC3339) + "&endDate=" + t0.Add(24*time.Hour).Format(time.RFC3339)
	if _, _, b = g.call(tok, "GET", out, nil); string(b) != "[]" {
		t.Errorf("a session started before the range is listed: %s", b)
	}

	_, _, b = g.call(tok, "GET", BasePath+"/meetings/"+strconv.FormatInt(id, 10)+"/attendees", nil)
	var ab []attendeeByMeeting
	if err := json.Unmarshal(b, &ab); err != nil || len(ab) != 3 {
		t.Fatalf("attendees: %s", b)
	}
	if ab[0].AttendeeEmail != "ann@example.com" || ab[0].LeaveTime != start.Add(50*time.Minute).Format(time.RFC3339) ||
		ab[0].MeetingInstanceKey != se.SessionID || ab[0].NumAttendees != 3 || ab[2].AttendeeEmail != "" {
		t.Errorf("attendees: %+v", ab)
	}
	_, _, b = g.call(tok, "GET", BasePath+"/meetings/"+strconv.FormatInt(never, 10)+"/attendees", nil)
	if string(b) != "[]" {
		t.Errorf("never held: %s", b)
	}
	byOrg := BasePath + "/organizers/" + strconv.FormatInt(DefaultOrganizerKey, 10) + "/attendees?startDate=" + t0.Format(time.RFC3339) + "&endDate=" + t0.Add(24*time.Hour).Format(time.RFC3339)
	_, _, b = g.call(tok, "GET", byOrg, nil)
	var ao []attendeeByOrganizer
	if err := json.Unmarshal(b, &ao); err != nil || len(ao) != 3 || ao[1].Duration != 55 || ao[1].NewMeetingID != formatMeetingID(id) {
		t.Errorf("attendees by organizer: %s", b)
	}
}

// Hold refuses sessions that cannot have happened.
func TestHoldValidation(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{})
	tok := g.token(DefaultEmail).AccessToken
	id := g.create(tok, "x", t0)
	tests := []struct {
		name string
		id   int64
		h    HoldRequest
	}{
		{"unknown meeting", 1, HoldRequest{Attendees: []Attendee{{Name: "A"}}}},
		{"nobody", id, HoldRequest{}},
		{"no name", id, HoldRequest{Attendees: []Attendee{{Email: "a@example.com"}}}},
		{"leaves before joining", id, HoldRequest{Attendees: []Attendee{{Name: "A", JoinTime: t0.Add(30 * time.Minute), LeaveTime: t0.Add(10 * time.Minute)}}}},
		{"joins before the session", id, HoldRequest{Attendees: []Attendee{{Name: "A", JoinTime: t0.Add(-time.Minute)}}}},
		{"ends before it starts", id, HoldRequest{Start: t0, End: t0.Add(-time.Hour), Attendees: []Attendee{{Name: "A"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := g.srv.Hold(tc.id, tc.h); err == nil {
				t.Error("held")
			}
		})
	}
}

// The rate limit answers 429 past Config.RateLimit calls a second, on the
// sandbox's clock, and recovers as time passes.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{RateLimit: 3})
	tok := g.token(DefaultEmail).AccessToken
	for i := range 3 {
		if st, _, b := g.call(tok, "GET", BasePath+"/upcomingMeetings", nil); st != 200 {
			t.Fatalf("call %d: %d %s", i, st, b)
		}
	}
	st, h, b := g.call(tok, "GET", BasePath+"/upcomingMeetings", nil)
	if st != http.StatusTooManyRequests || h.Get("Retry-After") != "1" || !strings.Contains(string(b), "Too Many Requests") {
		t.Errorf("4th call: %d %v %s", st, h, b)
	}
	g.clk.Add(time.Second)
	if st, _, _ := g.call(tok, "GET", BasePath+"/upcomingMeetings", nil); st != 200 {
		t.Errorf("after a second: %d", st)
	}
}

// Fault switches set over the admin surface answer 5xx and 429, and expire
// tokens.
func TestFaults(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{})
	tok := g.token(DefaultEmail).AccessToken
	post := func(body string) {
		req, _ := http.NewRequest(http.MethodPost, g.ts.URL+"/__sandbox/faults", strings.NewReader(body))
		if st, b := g.do(req); st != 200 {
			t.Fatalf("faults %s: %d %s", body, st, b)
		}
	}
	post(`{"errors":1,"error_status":503,"rate_limits":1,"retry_after":"7s"}`)
	st, h, _ := g.call(tok, "GET", BasePath+"/upcomingMeetings", nil)
	if st != 429 || h.Get("Retry-After") != "7" {
		t.Errorf("first: %d %v", st, h)
	}
	if st, _, b := g.call(tok, "GET", BasePath+"/upcomingMeetings", nil); st != 503 || errCode(t, b) != "InternalServerError" {
		t.Errorf("second: %d %s", st, b)
	}
	if st, _, _ := g.call(tok, "GET", BasePath+"/upcomingMeetings", nil); st != 200 {
		t.Errorf("third: %d", st)
	}
	post(`{"expire_tokens":true}`)
	if st, _, _ := g.call(tok, "GET", BasePath+"/upcomingMeetings", nil); st != 403 {
		t.Errorf("after expire_tokens: %d", st)
	}
	req, _ := http.NewRequest(http.MethodPost, g.ts.URL+"/__sandbox/faults", strings.NewReader(`{"error_rate":2}`))
	if st, _ := g.do(req); st != 400 {
		t.Errorf("bad probability accepted: %d", st)
	}
}

// An organizer sees only their own meetings; an admin sees everyone's.
func TestOrganizerIsolation(t *testing.T) {
	t.Parallel()
	g := newRig(t, Config{Organizers: []Organizer{
		{Key: 111, Email: "a@goto.sandbox", FirstName: "A", LastName: "One"},
		{Key: 222, Email: "b@goto.sandbox", FirstName: "B", LastName: "Two"},
		{Key: 333, Email: "admin@goto.sandbox", FirstName: "C", LastName: "Admin", Admin: true}}})
	a, b, adm := g.token("a@goto.sandbox").AccessToken, g.token("b@goto.sandbox").AccessToken, g.token("admin@goto.sandbox").AccessToken
	id := g.create(a, "A's meeting", t0.Add(time.Hour))
	path := BasePath + "/meetings/" + strconv.FormatInt(id, 10)
	if st, _, _ := g.call(b, "GET", path, nil); st != 404 {
		t.Errorf("other organizer reads: %d", st)
	}
	if st, _, _ := g.call(b, "DELETE", path, nil); st != 404 {
		t.Errorf("other organizer deletes: %d", st)
	}
	if st, _, _ := g.call(adm, "GET", path, nil); st != 200 {
		t.Errorf("admin reads: %d", st)
	}
	_, _, body := g.call(adm, "GET", BasePath+"/organizers/111/upcomingMeetings", nil)
	if !strings.Contains(string(body), "A's meeting") {
		t.Errorf("admin lists A's upcoming: %s", body)
	}
	_, _, body = g.call(b, "GET", BasePath+"/upcomingMeetings", nil)
	if string(body) != "[]" {
		t.Errorf("B's upcoming: %s", body)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"duplicate organizer", Config{Organizers: []Organizer{{Key: 1, Email: "a@x"}, {Key: 1, Email: "b@x"}}}, false},
		{"bad email", Config{Organizers: []Organizer{{Key: 1, Email: "a"}}}, false},
		{"bad fault", Config{Faults: Faults{ErrorStatus: 418}}, false},
		{"bad base URL", Config{BaseURL: "ftp://x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}
