package gotomeeting

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	gtmsandbox "github.com/crmsync/crmsync/internal/sandbox/gotomeeting"
	"github.com/crmsync/crmsync/internal/store"
)

// sharedClock is one stubbed time for the sandbox and the connector.
type sharedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sharedClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *sharedClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func streamRig(t *testing.T) (*rig, *Client, *sharedClock) {
	clk := &sharedClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	g := newRig(t, gtmsandbox.Config{Clock: clk.now, AccessTokenTTL: 1000 * time.Hour}, nil)
	cfg := g.cfg
	cfg.Now = clk.now
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g, c, clk
}

// The engine writes meetings with GoTo's own field names; a retried create
// with the same key answers the first meeting; a delete of a gone meeting
// counts as done.
func TestStreamWrite(t *testing.T) {
	t.Parallel()
	g, c, clk := streamRig(t)
	ctx := t.Context()
	start := clk.now().Add(2 * time.Hour)
	fields := connector.Fields{"subject": "Kick-off", "starttime": start.Format(time.RFC3339),
		"endtime": start.Add(time.Hour).Format(time.RFC3339), "passwordrequired": false}
	res, err := c.Write(ctx, ObjectMeeting, []connector.Write{
		{Op: connector.OpCreate, Key: "evt-1", Fields: fields},
		{Op: connector.OpCreate, Key: "evt-1", Fields: fields},
		{Op: connector.OpCreate, Fields: connector.Fields{"subject": 3}},
		{Op: connector.OpCreate, Fields: connector.Fields{"colour": "red"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err != nil || res[0].ID == "" || res[1].ID != res[0].ID {
		t.Errorf("creates: %+v", res[:2])
	}
	if g.sb.MeetingCount() != 1 {
		t.Errorf("%d meetings, want 1", g.sb.MeetingCount())
	}
	var fe *connector.FieldError
	if !errors.As(res[2].Err, &fe) || fe.Field != "subject" || !errors.As(res[3].Err, &fe) || fe.Field != "colour" || !errors.Is(res[3].Err, connector.ErrInvalid) {
		t.Errorf("bad fields: %v, %v", res[2].Err, res[3].Err)
	}

	id := res[0].ID
	res, err = c.Write(ctx, ObjectMeeting, []connector.Write{
		{Op: connector.OpUpdate, ID: id, Fields: connector.Fields{"subject": "Kick-off (v2)"}},
		{Op: connector.OpUpdate, ID: "abc", Fields: connector.Fields{"subject": "x"}},
		{Op: connector.OpUpdate, ID: "123456789", Fields: connector.Fields{"subject": "x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	info, err := c.Meeting(ctx, n)
	if res[0].Err != nil || err != nil || info.Subject != "Kick-off (v2)" || !info.Start.Equal(start) || info.Duration != time.Hour {
		t.Errorf("update: %v; %+v, %v", res[0].Err, info, err)
	}
	if !errors.Is(res[1].Err, connector.ErrInvalid) || !errors.Is(res[2].Err, connector.ErrNotFound) {
		t.Errorf("bad updates: %v, %v", res[1].Err, res[2].Err)
	}

	res, err = c.Write(ctx, ObjectMeeting, []connector.Write{{Op: connector.OpDelete, ID: id}, {Op: connector.OpDelete, ID: id}})
	if err != nil || res[0].Err != nil || res[1].Err != nil || g.sb.MeetingCount() != 0 {
		t.Errorf("deletes: %+v, %v", res, err)
	}
	if _, err := c.Write(ctx, "Webinar", nil); err == nil {
		t.Error("Webinar written")
	}
}

// SPEC M8: HistoricalMeeting lists ended sessions since the cursor; a
// session that ran across a listing shows in the next one.
func TestStreamChanges(t *testing.T) {
	t.Parallel()
	g, c, clk := streamRig(t)
	ctx := t.Context()
	start := clk.now().Add(time.Hour)
	cr, err := c.Create(ctx, Meeting{Subject: "Weekly", Start: start, End: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Changes(ctx, ObjectHistorical, "")
	if err != nil || len(page.Records) != 0 || page.More || page.Cursor == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	se, err := g.sb.Hold(cr.ID, gtmsandbox.HoldRequest{Attendees: []gtmsandbox.Attendee{{Name: "A"}, {Name: "B"}}})
	if err != nil {
		t.Fatal(err)
	}
	clk.add(90 * time.Minute) // the session is running
	page, err = c.Changes(ctx, ObjectHistorical, page.Cursor)
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("while running: %+v, %v", page, err)
	}
	clk.add(time.Hour)
	page, err = c.Changes(ctx, ObjectHistorical, page.Cursor)
	if err != nil || len(page.Records) != 1 {
		t.Fatalf("after it ended: %+v, %v", page, err)
	}
	r := page.Records[0]
	if r.ID != strconv.FormatInt(se.SessionID, 10) || r.Fields["meetingId"] != strconv.FormatInt(cr.ID, 10) ||
		r.Fields["numAttendees"] != 2.0 || r.Fields["duration"] != 60.0 || !r.Modified.Equal(start.Add(time.Hour)) {
		t.Errorf("record %+v", r)
	}
	var cur historyCursor
	if err := json.Unmarshal([]byte(page.Cursor), &cur); err != nil || !cur.Since.Equal(clk.now()) {
		t.Errorf("cursor %s", page.Cursor)
	}
	if _, err := c.Changes(ctx, ObjectHistorical, "{"); err == nil {
		t.Error("malformed cursor accepted")
	}
	if _, err := c.Changes(ctx, ObjectMeeting, ""); err == nil {
		t.Error("Meeting listed")
	}
}

func TestFactory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		config      string
		credentials string
		ok          bool
	}{
		{"complete", `{"api_url":"https://api.getgo.com/G2M/rest"}`, `{"client_id":"a","client_secret":"b","refresh_token":"r"}`, true},
		{"defaults", ``, `{"client_id":"a","client_secret":"b","refresh_token":"r"}`, true},
		{"no refresh token", `{}`, `{"client_id":"a","client_secret":"b"}`, false},
		{"bad credentials", `{}`, `{"client_id":"a","client_secret":"s3cret`, false},
		{"bad config", `[`, `{"client_id":"a","client_secret":"b","refresh_token":"r"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := Factory(t.Context(), store.Connection{ID: "c1", System: SystemName,
				Config: json.RawMessage(tc.config), Credentials: []byte(tc.credentials)})
			if (err == nil) != tc.ok {
				t.Fatalf("Factory() = %v", err)
			}
			if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), `"r"`)) {
				t.Errorf("error shows a secret: %v", err)
			}
			if err == nil && conn.Capabilities().Webhooks {
				t.Error("GoTo has no webhooks")
			}
		})
	}
}
