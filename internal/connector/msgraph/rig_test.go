package msgraph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
	graphsandbox "github.com/crmsync/crmsync/internal/sandbox/msgraph"
)

// rig is a sandbox tenant over real HTTP and connectors to it.
type rig struct {
	t    *testing.T
	sb   *graphsandbox.Server
	srv  *httptest.Server
	user graphsandbox.UserInfo // the first mailbox

	mu     sync.Mutex
	sleeps []time.Duration
}

func newRig(t *testing.T, seed graphsandbox.SeedConfig) *rig {
	t.Helper()
	sb := graphsandbox.New(graphsandbox.Config{Seed: seed})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return &rig{t: t, sb: sb, srv: srv, user: sb.Users()[0]}
}

// config is a client-credentials connector's settings for the first
// mailbox, its sleeps recorded instead of slept.
func (r *rig) config() Config {
	sc := r.sb.Config()
	return Config{
		BaseURL: r.srv.URL + "/v1.0", TokenURL: r.srv.URL + "/" + sc.TenantID + "/oauth2/v2.0/token",
		ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, User: r.user.UserPrincipalName,
		HTTPClient: r.srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.sleeps = append(r.sleeps, d)
			return ctx.Err()
		},
	}
}

func (r *rig) conn(cfg Config) *Connector {
	r.t.Helper()
	c, err := New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *rig) slept() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

// drain reads a whole listing from cursor: every record and the final
// cursor, failing on more than maxPages pages.
func drain(t *testing.T, c *Connector, cur string, maxPages int) ([]connector.Record, string, int) {
	t.Helper()
	var recs []connector.Record
	for pages := 1; ; pages++ {
		p, err := c.Changes(t.Context(), mailbox.Object, cur)
		if err != nil {
			t.Fatalf("changes (page %d): %v", pages, err)
		}
		recs = append(recs, p.Records...)
		cur = p.Cursor
		if !p.More {
			return recs, cur, pages
		}
		if pages >= maxPages {
			t.Fatalf("listing did not end within %d pages", maxPages)
		}
	}
}

// api calls the sandbox as another client would (an app token), to play
// changes made in Outlook.
func (r *rig) api(method, path string, body any, out any) int {
	r.t.Helper()
	sc := r.sb.Config()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sc.ClientID}, "client_secret": {sc.ClientSecret},
		"scope": {"https://graph.microsoft.com/.default"}}
	resp, err := http.PostForm(r.srv.URL+"/"+sc.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		r.t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.srv.URL+"/v1.0"+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func byID(recs []connector.Record) map[string]connector.Record {
	m := map[string]connector.Record{}
	for _, r := range recs {
		m[r.ID] = r
	}
	return m
}

func newBenchServer(b *testing.B, sb *graphsandbox.Server) *httptest.Server {
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	return srv
}
