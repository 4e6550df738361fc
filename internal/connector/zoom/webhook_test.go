package zoom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

const testSecret = "hub-secret-token"

// receiver is a WebhookHandler on a loopback server, recording the events
// its callback gets.
type receiver struct {
	srv   *httptest.Server
	clock *clock
	mu    sync.Mutex
	got   []Event
	fail  bool
}

func newReceiver(t *testing.T, secret string, c *clock) *receiver {
	t.Helper()
	rc := &receiver{clock: c}
	h, err := NewWebhookHandler(WebhookConfig{SecretToken: secret, Now: c.Now}, func(_ context.Context, ev Event) error {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.fail {
			return errors.New("store down")
		}
		rc.got = append(rc.got, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rc.srv = httptest.NewServer(h)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) events() []Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Event(nil), rc.got...)
}

// post sends body with the given timestamp and signature headers ("" leaves
// a header out).
func (rc *receiver) post(t *testing.T, body []byte, ts, sig string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, rc.srv.URL, bytes.NewReader(body))
	if ts != "" {
		req.Header.Set("x-zm-request-timestamp", ts)
	}
	if sig != "" {
		req.Header.Set("x-zm-signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

const startedBody = `{"event":"meeting.started","event_ts":1773050400000,"payload":{"account_id":"acc","object":{"id":"85746065432","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"h1","topic":"Review","type":2,"start_time":"2026-03-09T10:00:00Z","timezone":"Europe/Paris","duration":30}}}`

// SPEC X3, X4: only a signed, fresh, well-formed webhook is passed on;
// anything else gets a clear 4xx.
func TestWebhookVerification(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 9, 10, 0, 30, 0, time.UTC)}
	rc := newReceiver(t, testSecret, c)
	now := c.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	body := []byte(startedBody)
	cases := []struct {
		name   string
		body   []byte
		ts     string
		sig    string
		status int
		passed bool
	}{
		{"signed", body, ts, Sign(testSecret, now, body), 200, true},
		{"unsigned", body, "", "", 401, false},
		{"no signature", body, ts, "", 401, false},
		{"wrong secret", body, ts, Sign("other", now, body), 401, false},
		{"body altered", append([]byte(startedBody[:len(startedBody)-2]), []byte(`,"x":1}}`)...), ts, Sign(testSecret, now, body), 401, false},
		{"replayed 6 minutes later", body, strconv.FormatInt(now-360, 10), Sign(testSecret, now-360, body), 401, false},
		{"from 6 minutes ahead", body, strconv.FormatInt(now+360, 10), Sign(testSecret, now+360, body), 401, false},
		{"4 minutes old", body, strconv.FormatInt(now-240, 10), Sign(testSecret, now-240, body), 200, true},
		{"timestamp not a number", body, "soon", "v0=00", 401, false},
		{"signed but malformed", []byte(`{"event":"meeting.started"`), ts, Sign(testSecret, now, []byte(`{"event":"meeting.started"`)), 400, false},
		{"signed but no object", []byte(`{"event":"meeting.ended","event_ts":1,"payload":{"account_id":"a"}}`), ts,
			Sign(testSecret, now, []byte(`{"event":"meeting.ended","event_ts":1,"payload":{"account_id":"a"}}`)), 400, false},
		{"signed, another event", []byte(`{"event":"user.created","event_ts":1,"payload":{}}`), ts,
			Sign(testSecret, now, []byte(`{"event":"user.created","event_ts":1,"payload":{}}`)), 204, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rc.events())
			status, answer := rc.post(t, tc.body, tc.ts, tc.sig)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, answer)
			}
			if status >= 400 && !bytes.Contains(answer, []byte(`"error"`)) {
				t.Errorf("a refusal says why: %s", answer)
			}
			if passed := len(rc.events()) > before; passed != tc.passed {
				t.Errorf("passed on: %v, want %v", passed, tc.passed)
			}
		})
	}
	rc.mu.Lock()
	rc.fail = true
	rc.mu.Unlock()
	if status, _ := rc.post(t, body, ts, Sign(testSecret, now, body)); status != 500 {
		t.Errorf("a failing callback answers %d, want 500 so that Zoom sends again", status)
	}
}

func TestURLValidation(t *testing.T) {
	c := &clock{t: time.Unix(1773050400, 0)}
	rc := newReceiver(t, testSecret, c)
	body := []byte(`{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`)
	status, answer := rc.post(t, body, "1773050400", Sign(testSecret, 1773050400, body))
	var got struct{ PlainToken, EncryptedToken string }
	if status != 200 || json.Unmarshal(answer, &got) != nil {
		t.Fatalf("status %d: %s", status, answer)
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte("qgg8vlvZRS6UYooatFL8Aw"))
	if got.PlainToken != "qgg8vlvZRS6UYooatFL8Aw" || got.EncryptedToken != hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("answer %+v", got)
	}
	if len(rc.events()) != 0 {
		t.Errorf("the challenge was passed on")
	}
}

func TestParseEvents(t *testing.T) {
	cases := []struct {
		name, body string
		check      func(t *testing.T, ev Event)
	}{
		{"started, id as a string", startedBody, func(t *testing.T, ev Event) {
			if ev.Meeting.ID != 85746065432 || ev.Meeting.Timezone != "Europe/Paris" || ev.AccountID != "acc" ||
				!ev.Time.Equal(time.UnixMilli(1773050400000)) || !ev.Meeting.StartTime.Equal(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)) {
				t.Errorf("%+v %+v", ev, ev.Meeting)
			}
		}},
		{"joined, id as a number", `{"event":"meeting.participant_joined","event_ts":1773050500000,"payload":{"account_id":"acc","object":{"id":85746065432,"uuid":"u==","host_id":"h","type":2,"participant":{"user_id":"16778240","user_name":"Ana Ruiz","id":"","email":"ana@customer.example","join_time":"2026-03-09T10:02:00Z"}}}}`,
			func(t *testing.T, ev Event) {
				if ev.Meeting.ID != 85746065432 || ev.Participant.Email != "ana@customer.example" || ev.Participant.JoinTime.IsZero() {
					t.Errorf("%+v %+v", ev.Meeting, ev.Participant)
				}
			}},
		{"recording", `{"event":"recording.completed","event_ts":1773052000000,"download_token":"dl","payload":{"account_id":"acc","object":{"id":85746065432,"uuid":"u==","host_id":"h","host_email":"h@x","topic":"Review","duration":30,"total_size":1200,"recording_count":2,"recording_files":[{"id":"f1","meeting_id":"u==","file_type":"MP4","file_size":1000,"recording_type":"shared_screen_with_speaker_view","status":"completed","recording_start":"2026-03-09T10:00:00Z","recording_end":"2026-03-09T10:30:00Z"}]}}}`,
			func(t *testing.T, ev Event) {
				r := ev.Recording
				if r.ID != 85746065432 || r.RecordingCount != 2 || r.TotalSize != 1200 || len(r.RecordingFiles) != 1 || r.DownloadToken != "dl" || r.HostEmail != "h@x" {
					t.Errorf("%+v", r)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := ParseEvent([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, ev)
		})
	}
	for _, bad := range []string{
		``, `[]`, `{"event":""}`, `{"event":"meeting.started","payload":{}}`,
		`{"event":"meeting.participant_left","event_ts":5,"payload":{"account_id":"a","object":{"id":"1","uuid":"u"}}}`,
		`{"event":"meeting.participant_left","event_ts":5,"payload":{"account_id":"a","object":{"id":"1","uuid":"u","participant":{"user_name":"x","join_time":"2026-03-09T10:02:00Z"}}}}`,
		`{"event":"meeting.started","event_ts":5,"payload":{"account_id":"a","object":{"id":"x1","uuid":"u"}}}`,
	} {
		if _, err := ParseEvent([]byte(bad)); err == nil || errors.Is(err, ErrUnknownEvent) {
			t.Errorf("ParseEvent(%s) = %v, want a malformed-event error", bad, err)
		}
	}
}
