package gotomeeting

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/crmsync/crmsync/internal/connector"
	gtmsandbox "github.com/crmsync/crmsync/internal/sandbox/gotomeeting"
)

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	tok := &oauth2.Token{RefreshToken: "r"}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"empty", Config{}, "ClientID, ClientSecret, Token with a RefreshToken"},
		{"no refresh token", Config{ClientID: "a", ClientSecret: "b", Token: &oauth2.Token{AccessToken: "x"}}, "Token with a RefreshToken"},
		{"bad API URL", Config{ClientID: "a", ClientSecret: "b", Token: tok, APIURL: "api.getgo.com"}, "APIURL"},
		{"ok", Config{ClientID: "a", ClientSecret: "b", Token: tok}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("New() = %v, want %q", err, tc.want)
			}
		})
	}
}

// A meeting GoTo would refuse is refused before any call, with the field.
func TestMeetingChecked(t *testing.T) {
	t.Parallel()
	g := newRig(t, gtmsandbox.Config{}, nil)
	now := time.Now()
	tests := []struct {
		name  string
		m     Meeting
		field string
	}{
		{"no subject", Meeting{Start: now, End: now.Add(time.Hour)}, "subject"},
		{"long subject", Meeting{Subject: strings.Repeat("x", 101), Start: now, End: now.Add(time.Hour)}, "subject"},
		{"encoding makes it long", Meeting{Subject: strings.Repeat("<", 30), Start: now, End: now.Add(time.Hour)}, "subject"},
		{"ends before it starts", Meeting{Subject: "x", Start: now, End: now.Add(-time.Hour)}, "endtime"},
		{"no start", Meeting{Subject: "x", End: now}, "endtime"},
	}
	calls := g.client.Calls()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := g.client.Create(t.Context(), tc.m)
			var fe *connector.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, connector.ErrInvalid) {
				t.Errorf("Create() = %v, want a field error on %s", err, tc.field)
			}
		})
	}
	if g.client.Calls() != calls {
		t.Errorf("refused meetings made %d calls", g.client.Calls()-calls)
	}
}

// GoTo's refusals map to internal/connector's sentinels.
func TestErrorsMapToSentinels(t *testing.T) {
	t.Parallel()
	g := newRig(t, gtmsandbox.Config{}, nil)
	ctx := t.Context()
	_, err := g.client.Meeting(ctx, 999999999)
	var ae *APIError
	if !errors.Is(err, connector.ErrNotFound) || !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "NotFound" {
		t.Errorf("unknown meeting: %v", err)
	}
	_, err = g.client.HistoricalMeetings(ctx, time.Now(), time.Now().Add(-time.Hour))
	if !errors.Is(err, connector.ErrInvalid) || !errors.As(err, &ae) || ae.Code != "InvalidRequest" {
		t.Errorf("reversed range: %v", err)
	}
	_, err = g.client.OrganizerHistoricalMeetings(ctx, "42", time.Now().Add(-time.Hour), time.Now())
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != "Forbidden" {
		t.Errorf("another organizer: %v", err)
	}
}

// 429 and 5xx are retried after the wait Retry-After asks; a 429 that
// outlasts the retries answers RetryError over ErrRateLimited.
func TestRetries(t *testing.T) {
	t.Parallel()
	t.Run("Retry-After honoured", func(t *testing.T) {
		t.Parallel()
		g := newRig(t, gtmsandbox.Config{}, nil)
		if err := g.sb.SetFaults(gtmsandbox.Faults{RateLimits: 2, RetryAfter: 7 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if _, err := g.client.UpcomingMeetings(t.Context()); err != nil {
			t.Fatal(err)
		}
		if w := g.sleeps.waits(); len(w) != 2 || w[0] != 7*time.Second || w[1] != 7*time.Second {
			t.Errorf("waits %v, want 7s twice", w)
		}
	})
	t.Run("rate limited for good", func(t *testing.T) {
		t.Parallel()
		g := newRig(t, gtmsandbox.Config{}, nil)
		_ = g.sb.SetFaults(gtmsandbox.Faults{RateLimitRate: 1, RetryAfter: 3 * time.Second})
		_, err := g.client.UpcomingMeetings(t.Context())
		var re *connector.RetryError
		if !errors.As(err, &re) || re.After != 3*time.Second || !errors.Is(err, connector.ErrRateLimited) {
			t.Errorf("got %v", err)
		}
		if n := len(g.sleeps.waits()); n != DefaultMaxRetries {
			t.Errorf("%d waits, want %d", n, DefaultMaxRetries)
		}
	})
	t.Run("server errors, backoff without Retry-After", func(t *testing.T) {
		t.Parallel()
		g := newRig(t, gtmsandbox.Config{}, nil)
		_ = g.sb.SetFaults(gtmsandbox.Faults{Errors: 2, ErrorStatus: 502})
		if _, err := g.client.UpcomingMeetings(t.Context()); err != nil {
			t.Fatal(err)
		}
		w := g.sleeps.waits()
		if len(w) != 2 || w[0] < time.Second || w[0] > 1500*time.Millisecond || w[1] < 2*time.Second || w[1] > 3*time.Second {
			t.Errorf("waits %v, want ~1s then ~2s", w)
		}
	})
	t.Run("a create is not retried after a 500", func(t *testing.T) {
		t.Parallel()
		g := newRig(t, gtmsandbox.Config{}, nil)
		_ = g.sb.SetFaults(gtmsandbox.Faults{Errors: 1})
		now := g.sb.Now()
		_, err := g.client.Create(t.Context(), Meeting{Subject: "x", Start: now, End: now.Add(time.Hour)})
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 500 || len(g.sleeps.waits()) != 0 {
			t.Errorf("got %v after %d waits", err, len(g.sleeps.waits()))
		}
	})
	t.Run("the sandbox's own rate limit", func(t *testing.T) {
		t.Parallel()
		// The sandbox's clock moves only when the connector waits: one call
		// a second passes, the next is refused until the wait is over.
		var mu sync.Mutex
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		g := newRig(t, gtmsandbox.Config{RateLimit: 1, Clock: clock}, nil)
		var waits []time.Duration
		cfg := g.cfg
		cfg.Sleep = func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			now = now.Add(d)
			return nil
		}
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := c.UpcomingMeetings(t.Context()); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		// The first call passes; the second and third each wait a second.
		if len(waits) != 2 || waits[0] != time.Second || waits[1] != time.Second {
			t.Errorf("waits %v, want two of 1s", waits)
		}
	})
}

// SPEC X2: an access token GoTo refuses is renewed once with the refresh
// token and the call goes on; a revoked grant answers ErrReconnect.
func TestTokenRenewal(t *testing.T) {
	t.Parallel()
	g := newRig(t, gtmsandbox.Config{}, nil)
	var saved atomic.Int32
	g.cfg.OnToken = func(tok *oauth2.Token) {
		if tok.AccessToken != "" && tok.RefreshToken != "" {
			saved.Add(1)
		}
	}
	c, err := New(g.cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := c.Token().AccessToken
	g.sb.ExpireTokens()
	if _, err := c.UpcomingMeetings(t.Context()); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if c.Token().AccessToken == first || saved.Load() != 1 || c.Token().RefreshToken != g.cfg.Token.RefreshToken {
		t.Errorf("token not renewed: saved %d", saved.Load())
	}
	if OrganizerKey(g.cfg.Token) != "8439885694023999999" {
		t.Errorf("organizer key %q", OrganizerKey(g.cfg.Token))
	}

	g.sb.RevokeTokens()
	_, err = c.UpcomingMeetings(t.Context())
	if !errors.Is(err, ErrReconnect) {
		t.Errorf("revoked: %v", err)
	}
	if strings.Contains(err.Error(), g.cfg.Token.RefreshToken) {
		t.Error("the error shows the refresh token")
	}
}

// An expired token is renewed before the call, on the connector's clock.
func TestTokenRenewedBeforeExpiry(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	g := newRig(t, gtmsandbox.Config{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/oauth/token" {
				calls.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	cfg := g.cfg
	cfg.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	if _, err := c.UpcomingMeetings(t.Context()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != before+1 {
		t.Errorf("token requests %d, want one refresh", calls.Load()-before)
	}
}

func TestExchangeRefusedCode(t *testing.T) {
	t.Parallel()
	g := newRig(t, gtmsandbox.Config{}, nil)
	if _, err := g.cfg.Exchange(t.Context(), "not-a-code"); !errors.Is(err, ErrReconnect) {
		t.Errorf("bad code: %v", err)
	}
	bad := g.cfg
	bad.ClientSecret = "wrong"
	code := g.sb.IssueCode(gtmsandbox.DefaultEmail, "")
	if _, err := bad.Exchange(t.Context(), code); err == nil || errors.Is(err, ErrReconnect) || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("bad secret: %v", err)
	}
	u := g.cfg.AuthCodeURL("st8")
	if !strings.HasPrefix(u, g.ts.URL+"/oauth/authorize?") || !strings.Contains(u, "state=st8") || !strings.Contains(u, "client_id="+gtmsandbox.DefaultClientID) {
		t.Errorf("auth code URL %s", u)
	}
}
