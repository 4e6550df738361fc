package gotomeeting

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Answers as GoTo (and the sandbox) send them, and near misses.
var answerSeeds = []string{
	`[{"joinURL":"https://global.gotomeeting.com/join/281612036","meetingid":281612036,"maxParticipants":250,"uniqueMeetingId":281612036,"conferenceCallInfo":"United States: +1 (571) 317-3112\nAccess Code: 281-612-036"}]`,
	`[{"createTime":"","passwordRequired":false,"status":"INACTIVE","subject":"Renewal &lt;Acme&gt;","endTime":"2026-03-02T10:00:00Z","conferenceCallInfo":"VoIP","startTime":"2026-03-02T09:00:00Z","duration":60,"maxParticipants":250,"meetingId":281612036,"meetingKey":281612036,"meetingType":"scheduled","uniqueMeetingId":281612036}]`,
	`[{"accountKey":"5999982253621659654","conferenceCallInfo":"VoIP","duration":"60","email":"o@example.com","endTime":"2026-03-02T10:00:00.000+0000","firstName":"O","lastName":"P","locale":"en_US","meetingId":"281612036","meetingType":"scheduled","numAttendees":"3","organizerKey":"8439885694023999999","sessionId":"12580114266","startTime":"2026-03-02T09:00:00.+0000","subject":"x"}]`,
	`[{"attendeeEmail":"ann@example.com","attendeeName":"Ann Lee","conferenceCallInfo":"VoIP","duration":60,"email":"o@example.com","endTime":"2026-03-02T10:00:00Z","firstName":"O","groupName":"NA","joinTime":"2026-03-02T09:00:00Z","lastName":"P","leaveTime":"2026-03-02T09:50:00Z","meetingId":281612036,"meetingInstanceKey":12580114266,"meetingType":"scheduled","name":"Ann Lee","numAttendees":3,"organizerkey":8439885694023999999,"startTime":"2026-03-02T09:00:00Z","subject":"x"}]`,
	`[{"meetingInstanceKey":"1","joinTime":"","leaveTime":null,"numAttendees":"", "meetingId":1e3}]`,
	`{"hostURL":"https://global.gotomeeting.com/start/281612036?authToken=x"}`,
	`{"int_err_code":"InvalidToken","msg":"Invalid token passed"}`,
	`{"message":"Too Many Requests"}`,
	`[]`, `[{}]`, `null`, `[null]`, `{"meetingid":"abc"}`, `[{"meetingid":1.5}]`, `[{"startTime":"tomorrow"}]`,
}

// FuzzDecodeAnswers feeds GoTo's answers to the wire structs, the error
// reader and the session grouping. None may panic, and what decodes keeps
// its invariants.
func FuzzDecodeAnswers(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var created []meetingCreated
		_ = json.Unmarshal(b, &created)
		var byID []meetingByID
		_ = json.Unmarshal(b, &byID)
		var hist []historicalMeeting
		if json.Unmarshal(b, &hist) == nil {
			for _, h := range hist {
				if st := time.Time(h.StartTime); !st.IsZero() && st.Location() != time.UTC {
					t.Errorf("start %v is not in UTC", st)
				}
			}
		}
		var up []upcomingMeeting
		_ = json.Unmarshal(b, &up)
		var su startURL
		_ = json.Unmarshal(b, &su)
		if e := decodeError(400, b); e.Code == "" || e.Error() == "" || len(e.Message) > 500 {
			t.Errorf("error answer read as %+v", e)
		}
		var rows []attendeeByMeeting
		if json.Unmarshal(b, &rows) == nil {
			sessions, err := groupSessions(7, rows)
			if len(rows) == 0 {
				if !errors.Is(err, ErrNoSession) {
					t.Errorf("no rows: %v", err)
				}
				return
			}
			n := 0
			for _, s := range sessions {
				n += len(s.Attendees)
			}
			if err != nil || n != len(rows) {
				t.Errorf("%d rows grouped into %d attendees, %v", len(rows), n, err)
			}
		}
	})
}

// FuzzParseTime: GoTo's times parse to UTC and survive a round trip
// through the request format, to the second.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-03-02T09:00:00Z", "2026-03-02T09:00:00.000+0000", "2026-03-02T09:00:00.+0000",
		"2026-03-02T09:00:00-0500", "2026-03-02T09:00:00", "2026-03-02T09:00:00.123456789+01:00", "", " ", "24:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTime(s)
		if err != nil || tm.IsZero() {
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("%q parsed to %v, not UTC", s, tm)
		}
		if tm.Year() < 0 || tm.Year() > 9999 {
			return
		}
		back, err := parseTime(formatTime(tm))
		if err != nil || !back.Equal(tm.Truncate(time.Second)) {
			t.Errorf("%q: %v formats as %q, which reads back as %v, %v", s, tm, formatTime(tm), back, err)
		}
	})
}

// FuzzFlexInt: an integer sent as a number or as a string reads the same.
func FuzzFlexInt(f *testing.F) {
	for _, s := range []string{"0", "281612036", "-1", "9223372036854775807", "1e3", "", "abc", "1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		quoted, _ := json.Marshal(s)
		var fromString flexInt
		errS := fromString.UnmarshalJSON(quoted)
		want, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err == nil {
			if errS != nil || int64(fromString) != want {
				t.Errorf("%q as a string: %d, %v; want %d", s, fromString, errS, want)
			}
			var fromNumber flexInt
			if err := fromNumber.UnmarshalJSON([]byte(strconv.FormatInt(want, 10))); err != nil || int64(fromNumber) != want {
				t.Errorf("%d as a number: %d, %v", want, fromNumber, err)
			}
		}
	})
}

// FuzzClientAnswers: whatever a server answers, the client's calls return
// an answer or an error, never a panic, and a malformed answer is an error.
func FuzzClientAnswers(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add(200, []byte(s))
	}
	f.Add(201, []byte(answerSeeds[0]))
	f.Add(404, []byte(`{"int_err_code":"NotFound","msg":"Meeting not found"}`))
	f.Add(204, []byte(nil))
	var mu sync.Mutex
	var status int
	var body []byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st, b := status, body
		mu.Unlock()
		w.WriteHeader(st)
		_, _ = w.Write(b)
	}))
	defer ts.Close()
	c, err := New(Config{APIURL: ts.URL, AuthURL: ts.URL, ClientID: "id", ClientSecret: "secret", MaxRetries: 1,
		Token: &oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(1000 * time.Hour)},
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, st int, b []byte) {
		if st < 200 || st > 599 || st == 401 || st == 403 || (st >= 300 && st < 400) {
			return
		}
		mu.Lock()
		status, body = st, b
		mu.Unlock()
		ctx := t.Context()
		now := time.Now()
		_, _ = c.Create(ctx, Meeting{Subject: "x", Start: now, End: now.Add(time.Hour)})
		_, _ = c.Meeting(ctx, 1)
		_, _ = c.StartURL(ctx, 1)
		_, _ = c.HistoricalMeetings(ctx, now.Add(-time.Hour), now)
		_, _ = c.UpcomingMeetings(ctx)
		_, _ = c.Attendees(ctx, 1)
		if _, err := c.Sessions(ctx, 1); err != nil && !strings.HasPrefix(err.Error(), "gotomeeting: ") {
			t.Errorf("unwrapped error %v", err)
		}
		_ = c.Update(ctx, 1, Meeting{Subject: "x", Start: now, End: now.Add(time.Hour)})
		_ = c.Delete(ctx, 1)
	})
}
