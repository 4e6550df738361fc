package gotomeeting

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	gtmsandbox "github.com/crmsync/crmsync/internal/sandbox/gotomeeting"
)

// SPEC M1, M2, M3, M7, M8, M9: the connector schedules, moves, starts and
// deletes a meeting at the sandbox over loopback, and brings back the
// history of a session held with three attendees; a meeting never started
// answers ErrNoSession.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	g := newRig(t, gtmsandbox.Config{}, nil)
	ctx := t.Context()
	c := g.client
	start := g.sb.Now().Add(time.Hour)

	created, err := c.Create(ctx, Meeting{Subject: "Renewal <Acme>", Start: start, End: start.Add(45 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID <= 0 || !strings.Contains(created.JoinURL, "/join/") || !strings.Contains(created.ConferenceCallInfo, "Access Code") {
		t.Fatalf("created: %+v", created)
	}
	info, err := c.Meeting(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Subject != "Renewal <Acme>" || !info.Start.Equal(start.Truncate(time.Second)) || info.Duration != 45*time.Minute || info.Type != Scheduled || info.Active {
		t.Errorf("read back: %+v", info)
	}

	// SPEC M3: update moves the meeting and renames it.
	start = start.Add(30 * time.Minute)
	if err := c.Update(ctx, created.ID, Meeting{Subject: "Renewal, moved", Start: start, End: start.Add(time.Hour), PasswordRequired: true}); err != nil {
		t.Fatal(err)
	}
	info, err = c.Meeting(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Subject != "Renewal, moved" || !info.Start.Equal(start.Truncate(time.Second)) || info.Duration != time.Hour || !info.PasswordRequired {
		t.Errorf("after update: %+v", info)
	}

	// SPEC M2: the host's start URL.
	host, err := c.StartURL(ctx, created.ID)
	if err != nil || !strings.HasPrefix(host, g.ts.URL+"/start/") {
		t.Errorf("start URL %q, %v", host, err)
	}

	// SPEC M8: a meeting never started has no session.
	never, err := c.Create(ctx, Meeting{Subject: "Never held", Start: start, End: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sessions(ctx, never.ID); !errors.Is(err, ErrNoSession) || !strings.Contains(err.Error(), "No session exists") {
		t.Errorf("never started: %v", err)
	}

	s0 := start.Truncate(time.Second)
	attendees := []gtmsandbox.Attendee{
		{Name: "Sam Seller", Email: "sam@demo-co.example", JoinTime: s0, LeaveTime: s0.Add(time.Hour)},
		{Name: "Ann Lee", Email: "ann.lee@acme.example", JoinTime: s0.Add(2 * time.Minute), LeaveTime: s0.Add(50 * time.Minute)},
		{Name: "Bo Diaz", JoinTime: s0.Add(10 * time.Minute), LeaveTime: s0.Add(20 * time.Minute)},
	}
	held, err := g.sb.Hold(created.ID, gtmsandbox.HoldRequest{Attendees: attendees})
	if err != nil {
		t.Fatal(err)
	}
	// The session is over two hours later; the access token has expired on
	// the sandbox's clock meanwhile, and the connector renews it.
	g.sb.Advance(3 * time.Hour)

	day := s0.Truncate(24 * time.Hour)
	hist, err := c.HistoricalMeetings(ctx, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("history: %+v", hist)
	}
	h := hist[0]
	if h.MeetingID != created.ID || h.NumAttendees != 3 || h.Duration != time.Hour || !h.Start.Equal(s0) ||
		h.Subject != "Renewal, moved" || h.OrganizerEmail != gtmsandbox.DefaultEmail || h.SessionID == "" {
		t.Errorf("history row: %+v", h)
	}
	if hist, err := c.HistoricalMeetings(ctx, day.Add(-48*time.Hour), day.Add(-24*time.Hour)); err != nil || len(hist) != 0 {
		t.Errorf("history of another day: %+v, %v", hist, err)
	}

	att, err := c.Attendees(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(att) != 3 {
		t.Fatalf("attendees: %+v", att)
	}
	for i, a := range att {
		w := attendees[i]
		if a.Name != w.Name || a.Email != w.Email || !a.JoinTime.Equal(w.JoinTime) || !a.LeaveTime.Equal(w.LeaveTime) || a.SessionKey != held.SessionID {
			t.Errorf("attendee %d: %+v, want %+v", i, a, w)
		}
	}
	sessions, err := c.Sessions(ctx, created.ID)
	if err != nil || len(sessions) != 1 || len(sessions[0].Attendees) != 3 || !sessions[0].End.Equal(s0.Add(time.Hour)) {
		t.Errorf("sessions: %+v, %v", sessions, err)
	}

	// SPEC M7: delete; the meeting is gone, its history stays.
	if err := c.Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Meeting(ctx, created.ID); !errors.Is(err, connector.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := c.Delete(ctx, created.ID); !errors.Is(err, connector.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if att, err := c.Attendees(ctx, created.ID); err != nil || len(att) != 3 {
		t.Errorf("history after delete: %d, %v", len(att), err)
	}
}
