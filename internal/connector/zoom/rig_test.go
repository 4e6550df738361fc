package zoom

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	zoomsandbox "github.com/crmsync/crmsync/internal/sandbox/zoom"
)

// clock is a stubbable clock shared by the sandbox and the client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rig is a sandbox account over a loopback listener and a client of it.
type rig struct {
	sb     *zoomsandbox.Server
	srv    *httptest.Server
	client *Client
	clock  *clock
	// waits are the backoff waits the client asked for, in order.
	mu    sync.Mutex
	waits []time.Duration
}

func newRig(t *testing.T, cfg zoomsandbox.Config) *rig {
	t.Helper()
	r := &rig{clock: &clock{t: time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)}}
	cfg.Clock = r.clock.Now
	r.sb = zoomsandbox.New(cfg)
	r.srv = httptest.NewServer(r.sb)
	t.Cleanup(r.srv.Close)
	r.client = r.newClient(t, nil)
	return r
}

// newClient makes a client of the rig's sandbox; tweak may change its
// Config.
func (r *rig) newClient(t *testing.T, tweak func(*Config)) *Client {
	t.Helper()
	sc := r.sb.Config()
	cfg := Config{BaseURL: r.srv.URL + "/v2", TokenURL: r.srv.URL + "/oauth/token",
		AccountID: sc.AccountID, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret,
		Now: r.clock.Now, HTTPClient: r.srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.waits = append(r.waits, d)
			return nil
		}}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *rig) Waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waits...)
}
