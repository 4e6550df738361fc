package zoom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// account is a sandbox under test over real HTTP, with a token.
type account struct {
	t     *testing.T
	s     *Server
	srv   *httptest.Server
	clock *fakeClock
	token string
}

func newAccount(t *testing.T, cfg Config) *account {
	t.Helper()
	a := &account{t: t, clock: &fakeClock{t: time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)}}
	cfg.Clock = a.clock.Now
	a.s = New(cfg)
	a.srv = httptest.NewServer(a.s)
	t.Cleanup(a.srv.Close)
	a.token = a.login(DefaultClientID, DefaultClientSecret, DefaultAccountID)
	return a
}

func (a *account) tokenRequest(id, secret, accountID string) *http.Response {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/oauth/token?grant_type=account_credentials&account_id="+url.QueryEscape(accountID), nil)
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp
}

func (a *account) login(id, secret, accountID string) string {
	a.t.Helper()
	resp := a.tokenRequest(id, secret, accountID)
	defer resp.Body.Close()
	var tok tokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		a.t.Fatalf("token: status %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// do sends an API call and decodes a JSON answer into out (if not nil).
func (a *account) do(method, path string, body any, out any) (int, http.Header) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header
}

func TestTokenEndpoint(t *testing.T) {
	a := newAccount(t, Config{})
	cases := []struct {
		name, id, secret, account string
		status                    int
		errCode                   string
	}{
		{"good", DefaultClientID, DefaultClientSecret, DefaultAccountID, 200, ""},
		{"wrong secret", DefaultClientID, "nope", DefaultAccountID, 401, "invalid_client"},
		{"wrong account", DefaultClientID, DefaultClientSecret, "other", 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := a.tokenRequest(c.id, c.secret, c.account)
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, c.status, body)
			}
			if c.errCode != "" && body["error"] != c.errCode {
				t.Errorf("error %v, want %s", body["error"], c.errCode)
			}
			if c.status == 200 && (body["token_type"] != "bearer" || body["expires_in"] != float64(3599)) {
				t.Errorf("answer %v", body)
			}
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	a := newAccount(t, Config{})
	var u userWire
	if st, _ := a.do("GET", "/v2/users/me", nil, &u); st != 200 || u.Email != DefaultUserEmail || u.PMI == "" {
		t.Fatalf("users/me: %d %+v", st, u)
	}
	a.clock.Add(time.Hour)
	var e errorBody
	if st, _ := a.do("GET", "/v2/users/me", nil, &e); st != 401 || e.Code != 124 || !strings.Contains(e.Message, "expired") {
		t.Fatalf("after an hour: %d %+v", st, e)
	}
	a.token = "forged"
	if st, _ := a.do("GET", "/v2/users/me", nil, &e); st != 401 || e.Code != 124 {
		t.Fatalf("forged token: %d %+v", st, e)
	}
}

func TestMeetingLifecycle(t *testing.T) {
	a := newAccount(t, Config{})
	var m meetingWire
	st, _ := a.do("POST", "/v2/users/me/meetings", map[string]any{"topic": "Demo", "type": 2,
		"start_time": "2026-03-10T09:30:00", "timezone": "Europe/Paris", "duration": 45,
		"settings": map[string]any{"join_before_host": true, "use_pmi": true}}, &m)
	if st != 201 {
		t.Fatalf("create: %d", st)
	}
	// 09:30 in Paris on 10 March is 08:30 UTC (CET).
	if m.StartTime != "2026-03-10T08:30:00Z" || m.Timezone != "Europe/Paris" || m.Duration != 45 || !m.Settings.JoinBeforeHost || !m.Settings.UsePMI {
		t.Errorf("created %+v", m)
	}
	var u userWire
	a.do("GET", "/v2/users/me", nil, &u)
	if m.PMI != u.PMI || !strings.Contains(m.JoinURL, "/j/"+u.PMI) {
		t.Errorf("a PMI meeting is joined at the PMI %s: join_url %s, pmi %q", u.PMI, m.JoinURL, m.PMI)
	}
	if st, _ := a.do("PATCH", "/v2/meetings/"+m.ID, map[string]any{"topic": "Demo 2", "settings": map[string]any{"use_pmi": false}}, nil); st != 204 {
		t.Fatalf("patch: %d", st)
	}
	var got meetingWire
	a.do("GET", "/v2/meetings/"+m.ID, nil, &got)
	if got.Topic != "Demo 2" || got.Settings.UsePMI || !got.Settings.JoinBeforeHost || got.PMI != "" || !strings.Contains(got.JoinURL, "/j/"+m.ID) {
		t.Errorf("after patch %+v", got)
	}
	var e errorBody
	if st, _ := a.do("PATCH", "/v2/meetings/"+m.ID, map[string]any{"type": 7}, &e); st != 400 || e.Code != 300 {
		t.Errorf("bad type: %d %+v", st, e)
	}
	if st, _ := a.do("DELETE", "/v2/meetings/"+m.ID, nil, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := a.do("GET", "/v2/meetings/"+m.ID, nil, &e); st != 404 || e.Code != 3001 {
		t.Errorf("deleted meeting: %d %+v", st, e)
	}
	if st, _ := a.do("GET", "/v2/users/nobody@example.com", nil, &e); st != 404 || e.Code != 1001 {
		t.Errorf("unknown user: %d %+v", st, e)
	}
}

func TestMeetingListPaging(t *testing.T) {
	a := newAccount(t, Config{})
	for i := range 7 {
		a.do("POST", "/v2/users/me/meetings", map[string]any{"topic": fmt.Sprintf("M%d", i), "type": 2}, nil)
	}
	var topics []string
	token := ""
	for pages := 0; ; pages++ {
		var l meetingListWire
		a.do("GET", "/v2/users/me/meetings?type=scheduled&page_size=3&next_page_token="+url.QueryEscape(token), nil, &l)
		if l.TotalRecords != 7 || l.PageCount != 3 {
			t.Fatalf("page %+v", l)
		}
		for _, m := range l.Meetings {
			topics = append(topics, m.Topic)
		}
		if token = l.NextPageToken; token == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(topics, ",") != "M0,M1,M2,M3,M4,M5,M6" {
		t.Errorf("listed %v", topics)
	}
}

// hub is an httptest webhook endpoint that checks signatures and answers
// the validation challenge.
type hub struct {
	mu     sync.Mutex
	secret string
	events []map[string]any
	bad    int
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(h.secret))
	fmt.Fprintf(mac, "v0:%s:%s", r.Header.Get("x-zm-request-timestamp"), body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Header.Get("x-zm-signature") != "v0="+hex.EncodeToString(mac.Sum(nil)) {
		h.bad++
		w.WriteHeader(401)
		return
	}
	var ev map[string]any
	_ = json.Unmarshal(body, &ev)
	if ev["event"] == "endpoint.url_validation" {
		plain := ev["payload"].(map[string]any)["plainToken"].(string)
		m := hmac.New(sha256.New, []byte(h.secret))
		m.Write([]byte(plain))
		writeJSON(w, 200, map[string]string{"plainToken": plain, "encryptedToken": hex.EncodeToString(m.Sum(nil))})
		return
	}
	h.events = append(h.events, ev)
	w.WriteHeader(200)
}

// SPEC M8, M9: holding a meeting produces its history (instances,
// participants, report rows, recording) and the signed webhooks.
func TestHoldMeeting(t *testing.T) {
	a := newAccount(t, Config{})
	h := &hub{secret: DefaultWebhookSecret}
	hs := httptest.NewServer(h)
	defer hs.Close()
	if st, err := a.s.SetWebhook(context.Background(), hs.URL, ""); err != nil || !st.Validated {
		t.Fatalf("validation: %+v %v", st, err)
	}
	var m meetingWire
	a.do("POST", "/v2/users/me/meetings", map[string]any{"topic": "Review", "type": 2, "start_time": "2026-03-09T10:00:00Z", "duration": 30}, &m)
	var id int64
	fmt.Sscan(m.ID, &id)
	var e errorBody
	if st, _ := a.do("GET", "/v2/past_meetings/"+m.ID, nil, &e); st != 404 || e.Code != 3001 {
		t.Errorf("never held: %d %+v", st, e)
	}
	t0 := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	uuid := "/ab//cd+ef=="
	held, err := a.s.Hold(context.Background(), id, Hold{Start: t0, UUID: uuid, Recording: true, Participants: []Attendee{
		{Name: "Sandbox Host", Email: DefaultUserEmail, Join: t0, Leave: t0.Add(30 * time.Minute)},
		{Name: "Ana Ruiz", Email: "ana@customer.example", Join: t0.Add(2 * time.Minute), Leave: t0.Add(25 * time.Minute)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range held.Webhooks {
		names = append(names, d.Event)
		if d.Status != 200 {
			t.Errorf("%s delivered with %d", d.Event, d.Status)
		}
	}
	want := "meeting.started,meeting.participant_joined,meeting.participant_joined,meeting.participant_left,meeting.participant_left,meeting.ended,recording.completed"
	if strings.Join(names, ",") != want {
		t.Errorf("events %v", names)
	}
	if len(h.events) != 7 || h.bad != 0 {
		t.Errorf("hub got %d events, %d badly signed", len(h.events), h.bad)
	}
	// The UUID starts with "/" and holds "//": encoded once it is not found,
	// encoded twice it is.
	once := url.PathEscape(uuid)
	if st, _ := a.do("GET", "/v2/past_meetings/"+once, nil, &e); st != 404 {
		t.Errorf("single-encoded uuid: %d", st)
	}
	twice := url.PathEscape(once)
	var p pastMeetingWire
	if st, _ := a.do("GET", "/v2/past_meetings/"+twice, nil, &p); st != 200 || p.UUID != uuid || p.ParticipantsCount != 2 || p.Duration != 30 || p.TotalMinutes != 53 {
		t.Errorf("past meeting: %d %+v", st, p)
	}
	var inst instancesWire
	a.do("GET", "/v2/past_meetings/"+m.ID+"/instances", nil, &inst)
	if len(inst.Meetings) != 1 || inst.Meetings[0].UUID != uuid {
		t.Errorf("instances %+v", inst)
	}
	var rp reportParticipantsWire
	a.do("GET", "/v2/report/meetings/"+twice+"/participants?page_size=1", nil, &rp)
	if rp.TotalRecords != 2 || len(rp.Participants) != 1 || rp.NextPageToken == "" || rp.Participants[0].Duration != 1800 {
		t.Errorf("report participants %+v", rp)
	}
	var rec recordingWire
	if st, _ := a.do("GET", "/v2/meetings/"+m.ID+"/recordings", nil, &rec); st != 200 || rec.RecordingCount != "2" || rec.UUID != uuid {
		t.Errorf("recording: %d %+v", st, rec)
	}
	var rm reportMeetingsWire
	a.do("GET", "/v2/report/users/me/meetings?from=2026-03-01&to=2026-03-09", nil, &rm)
	if rm.TotalRecords != 1 || rm.Meetings[0].UUID != uuid {
		t.Errorf("report meetings %+v", rm)
	}
	if st, _ := a.do("GET", "/v2/report/users/me/meetings?from=2026-01-01&to=2026-03-09", nil, &e); st != 400 || e.Code != 300 {
		t.Errorf("a range over a month: %d %+v", st, e)
	}
}

func TestFaults(t *testing.T) {
	a := newAccount(t, Config{})
	cases := []struct {
		name   string
		faults string
		status int
	}{
		{"rate limit", `{"rate_limits":1,"retry_after":"3s"}`, 429},
		{"server error", `{"errors":1}`, 503},
		{"expired tokens", `{"expire_tokens":true}`, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.Post(a.srv.URL+"/__sandbox/faults", "application/json", strings.NewReader(c.faults))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("faults: %v %v", resp, err)
			}
			resp.Body.Close()
			var e errorBody
			st, h := a.do("GET", "/v2/users/me", nil, &e)
			if st != c.status {
				t.Fatalf("status %d, want %d", st, c.status)
			}
			if st == 429 && (h.Get("Retry-After") != "3" || h.Get("X-RateLimit-Type") != "QPS" || e.Code != 429) {
				t.Errorf("429 headers %v body %+v", h, e)
			}
			if h.Get("X-RateLimit-Category") == "" {
				t.Errorf("no X-RateLimit-Category")
			}
			if st, _ := a.do("GET", "/v2/users/me", nil, nil); st != 200 && c.status != 401 {
				t.Errorf("the fault did not stop: %d", st)
			}
			a.token = a.login(DefaultClientID, DefaultClientSecret, DefaultAccountID)
		})
	}
}
