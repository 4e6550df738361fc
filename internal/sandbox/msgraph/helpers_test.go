package msgraph

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// rig is a sandbox over real HTTP with an application token.
type rig struct {
	t    *testing.T
	s    *Server
	srv  *httptest.Server
	tok  string
	base string
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	s := New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	r := &rig{t: t, s: s, srv: srv, base: srv.URL + "/v1.0"}
	r.tok = r.appToken()
	return r
}

func (r *rig) appToken() string {
	r.t.Helper()
	cfg := r.s.Config()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret},
		"scope": {"https://graph.microsoft.com/.default"}}
	resp, err := http.PostForm(r.srv.URL+"/"+cfg.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var a tokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 || a.AccessToken == "" {
		r.t.Fatalf("token: %d %v %+v", resp.StatusCode, err, a)
	}
	return a.AccessToken
}

// do calls the API with token tok (the app's when empty) and decodes the
// answer into out when given.
func (r *rig) do(tok, method, path string, body any, out any, hdr ...string) (int, string) {
	r.t.Helper()
	if tok == "" {
		tok = r.tok
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = r.base + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, string(b)
}

// page is a collection answer.
type page struct {
	Value     []json.RawMessage `json:"value"`
	NextLink  string            `json:"@odata.nextLink"`
	DeltaLink string            `json:"@odata.deltaLink"`
}
