package salesforce_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/testenv"
)

// postmanDir finds shared/apis/salesforce-postman in the first ancestor of
// the working directory that holds it.
func postmanDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "shared", "apis", "salesforce-postman")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if filepath.Dir(dir) == dir {
			testenv.RequirePeer(t, "shared/apis/salesforce-postman", "not found above "+wd+": the request check needs Salesforce's Postman collection")
		}
	}
}

// tokenRecorder keeps every token request's form and headers, over the
// real transport.
type tokenRecorder struct {
	mu   sync.Mutex
	reqs []recordedRequest
}

type recordedRequest struct {
	method, path string
	header       http.Header
	form         url.Values
}

func (r *tokenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/services/oauth2/token") && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		r.mu.Lock()
		r.reqs = append(r.reqs, recordedRequest{req.Method, req.URL.Path, req.Header.Clone(), form})
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *tokenRecorder) all() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedRequest(nil), r.reqs...)
}

// jwtOrg starts a sandbox whose connected app holds pub.
func jwtOrg(t *testing.T, pub *rsa.PublicKey) *httptest.Server {
	t.Helper()
	sb := sandbox.New(sandbox.Config{JWTPublicKey: pub, Clock: func() time.Time { return start }})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return srv
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestJWTBearerFlow: issue 3, OAuth for server-to-server. The connector
// signs an RS256 assertion (iss the consumer key, sub the username, aud
// the login URL, exp at most three minutes ahead), sends it as Salesforce's
// own Postman request does, and the sandbox, which verifies the signature
// with the connected app's key, answers a session; an expired session is
// renewed with a new assertion, and a key the app does not hold needs a
// person to reconnect.
func TestJWTBearerFlow(t *testing.T) {
	t.Parallel()
	key := rsaKey(t)
	srv := jwtOrg(t, &key.PublicKey)
	rec := &tokenRecorder{}
	conn, err := salesforce.New(salesforce.Config{BaseURL: srv.URL, ClientID: sandbox.DefaultClientID,
		Username: sandbox.DefaultUsername, PrivateKey: key, Now: func() time.Time { return start },
		HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Changes(t.Context(), "Task", ""); err != nil {
		t.Fatalf("with the JWT bearer flow: %v", err)
	}
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	got := reqs[0]

	// The request as Salesforce's Postman collection writes it.
	raw, err := os.ReadFile(filepath.Join(postmanDir(t), "auth_jwt_bearer_token_flow.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pm struct {
		Method   string `json:"method"`
		URL      string `json:"url"`
		DataMode string `json:"dataMode"`
		Data     []struct {
			Key, Value string
		} `json:"data"`
		HeaderData []struct {
			Key, Value string
		} `json:"headerData"`
	}
	if err := json.Unmarshal(raw, &pm); err != nil {
		t.Fatal(err)
	}
	if got.method != pm.Method {
		t.Errorf("method %s, the collection's %s", got.method, pm.Method)
	}
	if want := strings.TrimPrefix(pm.URL, "{{url}}{{site}}"); got.path != want {
		t.Errorf("path %s, the collection's %s", got.path, want)
	}
	for _, h := range pm.HeaderData {
		if v := got.header.Get(h.Key); v != h.Value {
			t.Errorf("header %s = %q, the collection's %q", h.Key, v, h.Value)
		}
	}
	if pm.DataMode != "urlencoded" {
		t.Fatalf("the collection's body is %s", pm.DataMode)
	}
	keys := map[string]bool{}
	for _, d := range pm.Data {
		keys[d.Key] = true
		if got.form.Get(d.Key) == "" {
			t.Errorf("form lacks %s", d.Key)
		} else if d.Value != "" && got.form.Get(d.Key) != d.Value {
			t.Errorf("form %s = %q, the collection's %q", d.Key, got.form.Get(d.Key), d.Value)
		}
	}
	for k := range got.form {
		if !keys[k] {
			t.Errorf("form field %s is not in the collection's request", k)
		}
	}

	// The assertion itself.
	parts := strings.Split(got.form.Get("assertion"), ".")
	if len(parts) != 3 {
		t.Fatalf("assertion has %d parts", len(parts))
	}
	var header struct{ Alg string }
	var claims struct {
		Iss, Sub, Aud string
		Exp           int64
	}
	for i, v := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, v) != nil {
			t.Fatalf("assertion part %d: %q", i, b)
		}
	}
	if header.Alg != "RS256" || claims.Iss != sandbox.DefaultClientID || claims.Sub != sandbox.DefaultUsername || claims.Aud != srv.URL {
		t.Errorf("assertion header %+v, claims %+v", header, claims)
	}
	if ahead := time.Unix(claims.Exp, 0).Sub(start); ahead <= 0 || ahead > 3*time.Minute {
		t.Errorf("exp is %v ahead, want at most 3 min", ahead)
	}

	// A later session is a new assertion.
	renewed, err := salesforce.New(salesforce.Config{BaseURL: srv.URL, ClientID: sandbox.DefaultClientID,
		Username: sandbox.DefaultUsername, PrivateKey: key, Now: func() time.Time { return start.Add(time.Minute) },
		HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := renewed.Changes(t.Context(), "Task", ""); err != nil {
		t.Fatal(err)
	}
	if reqs := rec.all(); len(reqs) != 2 || reqs[1].form.Get("assertion") == got.form.Get("assertion") {
		t.Errorf("a second login sent %d requests, a new assertion: %v", len(reqs), len(reqs) == 2)
	}

	// A key the connected app does not hold.
	other, err := salesforce.New(salesforce.Config{BaseURL: srv.URL, ClientID: sandbox.DefaultClientID,
		Username: sandbox.DefaultUsername, PrivateKey: rsaKey(t), Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Changes(t.Context(), "Task", ""); !errors.Is(err, salesforce.ErrReconnect) {
		t.Errorf("with another key: %v, want ErrReconnect", err)
	}
}

// TestJWTBearerFromCredentials: a connection's credentials carry the key as
// PEM (PKCS #1 or #8), and Factory logs in with it; a key that cannot
// serve is a clear error that never quotes it.
func TestJWTBearerFromCredentials(t *testing.T) {
	t.Parallel()
	key := rsaKey(t)
	srv := jwtOrg(t, &key.PublicKey)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	for _, tc := range []struct {
		name, pem, wantErr string
	}{
		{"PKCS #1", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), ""},
		{"PKCS #8", pemOf("PRIVATE KEY", pkcs8), ""},
		{"an EC key", pemOf("PRIVATE KEY", ecDER), "not an RSA key"},
		{"no PEM", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "not PEM"},
		{"a certificate", pemOf("CERTIFICATE", []byte{1, 2, 3}), "no private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creds, _ := json.Marshal(salesforce.ConnectionCredentials{ClientID: sandbox.DefaultClientID,
				Username: sandbox.DefaultUsername, PrivateKey: tc.pem})
			c, err := salesforce.Factory(t.Context(), store.Connection{ID: "c1",
				Config: json.RawMessage(`{"base_url":"` + srv.URL + `"}`), Credentials: creds})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Factory: %v, want an error saying %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), strings.TrimSpace(tc.pem)[10:30]) {
					t.Errorf("the error quotes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Changes(t.Context(), "Task", ""); err != nil {
				t.Fatalf("changes: %v", err)
			}
		})
	}
}
