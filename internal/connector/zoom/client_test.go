package zoom

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	zoomsandbox "github.com/crmsync/crmsync/internal/sandbox/zoom"
)

// SPEC M1, M11, M13: a meeting is created with the customer's time zone,
// join before host and the PMI, read back, updated and deleted.
func TestMeetingCRUD(t *testing.T) {
	r := newRig(t, zoomsandbox.Config{})
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 3, 30, 9, 30, 0, 0, paris) // the day after the switch to CEST
	m, err := r.client.CreateMeeting(ctx, "me", MeetingRequest{Topic: "Quarterly review", Start: start, Duration: 45 * time.Minute,
		TimeZone: "Europe/Paris", Agenda: "Numbers", JoinBeforeHost: true, UsePMI: true})
	if err != nil {
		t.Fatal(err)
	}
	me, err := r.client.User(ctx, "me")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == 0 || m.UUID == "" || !m.StartTime.Equal(start) || m.Timezone != "Europe/Paris" || m.Duration != 45 ||
		!m.Settings.JoinBeforeHost || !m.Settings.UsePMI || m.PMI != me.PMI || m.JoinURL == "" || m.StartURL == "" {
		t.Fatalf("created %+v (user %+v)", m, me)
	}
	later := start.Add(time.Hour)
	topic := "Quarterly review (moved)"
	off := false
	if err := r.client.UpdateMeeting(ctx, m.ID, MeetingUpdate{Topic: &topic, Start: &later, UsePMI: &off}); err != nil {
		t.Fatal(err)
	}
	got, err := r.client.Meeting(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Topic != topic || !got.StartTime.Equal(later) || got.Settings.UsePMI || !got.Settings.JoinBeforeHost || got.PMI != 0 {
		t.Errorf("after update %+v", got)
	}
	list, err := r.client.Meetings(ctx, "me", "scheduled")
	if err != nil || len(list) != 1 || list[0].ID != m.ID {
		t.Errorf("list: %v %+v", err, list)
	}
	if err := r.client.DeleteMeeting(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	_, err = r.client.Meeting(ctx, m.ID)
	var ae *APIError
	if !errors.Is(err, connector.ErrNotFound) || !errors.As(err, &ae) || ae.Code != 3001 {
		t.Errorf("deleted meeting: %v", err)
	}
	_, err = r.client.CreateMeeting(ctx, "me", MeetingRequest{Topic: strings.Repeat("x", 201)})
	if !errors.Is(err, connector.ErrInvalid) {
		t.Errorf("a 201-character topic: %v", err)
	}
}

func TestListingPages(t *testing.T) {
	r := newRig(t, zoomsandbox.Config{})
	c := r.newClient(t, func(c *Config) { c.PageSize = 2 })
	ctx := context.Background()
	for i := range 5 {
		if _, err := c.CreateMeeting(ctx, "me", MeetingRequest{Topic: "m" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	before := c.Calls()
	list, err := c.Meetings(ctx, "me", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 5 || c.Calls()-before != 3 {
		t.Errorf("%d meetings in %d calls, want 5 in 3", len(list), c.Calls()-before)
	}
}

// SPEC X2: a token that expires is fetched again, and a rate limit or an
// outage is waited out as Retry-After says.
func TestTokensAndBackoff(t *testing.T) {
	r := newRig(t, zoomsandbox.Config{TokenTTL: 10 * time.Minute})
	ctx := context.Background()
	if _, err := r.client.User(ctx, "me"); err != nil {
		t.Fatal(err)
	}
	t.Run("cached", func(t *testing.T) {
		if _, err := r.client.User(ctx, "me"); err != nil || r.client.Tokens() != 1 {
			t.Errorf("second call: %v, %d tokens", err, r.client.Tokens())
		}
	})
	t.Run("expiry on the clock", func(t *testing.T) {
		r.clock.Add(9*time.Minute + 30*time.Second) // within a minute of the expiry
		if _, err := r.client.User(ctx, "me"); err != nil || r.client.Tokens() != 2 {
			t.Errorf("near expiry: %v, %d tokens", err, r.client.Tokens())
		}
	})
	t.Run("expired early: 401 code 124", func(t *testing.T) {
		r.sb.ExpireTokens()
		if _, err := r.client.User(ctx, "me"); err != nil || r.client.Tokens() != 3 {
			t.Errorf("after a 401: %v, %d tokens", err, r.client.Tokens())
		}
	})
	t.Run("429 honours Retry-After", func(t *testing.T) {
		_ = r.sb.SetFaults(zoomsandbox.Faults{RateLimits: 2, RetryAfter: 7 * time.Second})
		n := len(r.Waits())
		if _, err := r.client.User(ctx, "me"); err != nil {
			t.Fatal(err)
		}
		w := r.Waits()[n:]
		if len(w) != 2 || w[0] != 7*time.Second || w[1] != 7*time.Second {
			t.Errorf("waits %v", w)
		}
		if rl := r.client.RateLimit(); rl.Category != "Light" || rl.Limit == 0 {
			t.Errorf("rate limit %+v", rl)
		}
	})
	t.Run("retries spent", func(t *testing.T) {
		_ = r.sb.SetFaults(zoomsandbox.Faults{RateLimits: 100, RetryAfter: 2 * time.Second})
		defer r.sb.SetFaults(zoomsandbox.Faults{})
		_, err := r.client.User(ctx, "me")
		var re *connector.RetryError
		if !errors.As(err, &re) || re.After != 2*time.Second || !errors.Is(err, connector.ErrRateLimited) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("503 retried on reads, not on creates", func(t *testing.T) {
		_ = r.sb.SetFaults(zoomsandbox.Faults{Errors: 1})
		if _, err := r.client.User(ctx, "me"); err != nil {
			t.Errorf("read after one 503: %v", err)
		}
		_ = r.sb.SetFaults(zoomsandbox.Faults{Errors: 1})
		_, err := r.client.CreateMeeting(ctx, "me", MeetingRequest{Topic: "x"})
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 503 {
			t.Errorf("create after a 503: %v", err)
		}
		if list, _ := r.client.Meetings(ctx, "me", ""); len(list) != 0 {
			t.Errorf("the refused create made %d meetings", len(list))
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		c := r.newClient(t, func(c *Config) { c.ClientSecret = "wrong" })
		if _, err := c.User(ctx, "me"); !errors.Is(err, ErrReconnect) || strings.Contains(err.Error(), "wrong") {
			t.Errorf("got %v", err)
		}
	})
}

// SPEC M8: a meeting never held has no session.
func TestNoSession(t *testing.T) {
	r := newRig(t, zoomsandbox.Config{})
	ctx := context.Background()
	m, err := r.client.CreateMeeting(ctx, "me", MeetingRequest{Topic: "Never held"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.client.PastMeeting(ctx, m.ID.String())
	if !errors.Is(err, ErrNoSession) || !errors.Is(err, connector.ErrNotFound) {
		t.Errorf("past meeting: %v", err)
	}
	if in, err := r.client.Instances(ctx, m.ID); err != nil || len(in) != 0 {
		t.Errorf("instances: %v %v", in, err)
	}
}

func TestPathRef(t *testing.T) {
	cases := []struct{ in, want string }{
		{"85746065432", "85746065432"},
		{"abc+de==", "abc+de=="},
		{"ab/cd==", "ab%2Fcd=="},
		{"/abcd==", "%252Fabcd=="},
		{"ab//cd==", "ab%252F%252Fcd=="},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := pathRef(c.in); got != c.want {
				t.Errorf("pathRef(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
