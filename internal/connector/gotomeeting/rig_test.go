package gotomeeting

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	gtmsandbox "github.com/crmsync/crmsync/internal/sandbox/gotomeeting"
)

// rig is a connector connected to a sandbox account over loopback.
type rig struct {
	t      *testing.T
	sb     *gtmsandbox.Server
	ts     *httptest.Server
	client *Client
	cfg    Config
	sleeps *sleepLog
}

// sleepLog records the waits the connector asked for instead of waiting.
type sleepLog struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleepLog) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newRig starts a sandbox with sbc (rate limit off unless set), wraps its
// handler with wrap when not nil, and connects a client through the
// authorization-code flow.
func newRig(t *testing.T, sbc gtmsandbox.Config, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	if sbc.RateLimit == 0 {
		sbc.RateLimit = -1
	}
	sb := gtmsandbox.New(sbc)
	var h http.Handler = sb
	if wrap != nil {
		h = wrap(sb)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	sl := &sleepLog{}
	cfg := Config{APIURL: ts.URL + gtmsandbox.BasePath, AuthURL: ts.URL, ClientID: sb.Config().ClientID,
		ClientSecret: sb.Config().ClientSecret, RedirectURL: "https://hub.example/oauth/goto", HTTPClient: ts.Client(),
		Sleep: sl.sleep}
	code := sb.IssueCode(sb.Config().Organizers[0].Email, cfg.RedirectURL)
	tok, err := cfg.Exchange(t.Context(), code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	cfg.Token = tok
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, sb: sb, ts: ts, client: c, cfg: cfg, sleeps: sl}
}
