package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/hubdb"
	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
)

const testKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// syncBuffer is a bytes.Buffer safe to read while serve writes logs to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hub is one test's install: its own SQLite file and environment.
type hub struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newHub(t *testing.T) *hub {
	dir := t.TempDir()
	return &hub{t: t, dir: dir, env: map[string]string{
		"CRMSYNC_DB":         "sqlite:" + filepath.Join(dir, "hub.db"),
		"CRMSYNC_SECRET_KEY": testKey,
	}}
}

func (h *hub) lookupEnv(k string) (string, bool) {
	v, ok := h.env[k]
	return v, ok
}

func (h *hub) app() (*app, *syncBuffer, *syncBuffer) {
	var stdout, stderr syncBuffer
	return newApp(h.lookupEnv, &stdout, &stderr), &stdout, &stderr
}

// run runs the command line and returns its exit code, stdout and stderr.
func (h *hub) run(args ...string) (int, string, string) {
	h.t.Helper()
	a, stdout, stderr := h.app()
	code := a.run(h.t.Context(), args)
	return code, stdout.String(), stderr.String()
}

// must runs the command line and fails the test unless it succeeds.
func (h *hub) must(args ...string) string {
	h.t.Helper()
	code, stdout, stderr := h.run(args...)
	if code != 0 {
		h.t.Fatalf("crmsync %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return strings.TrimSpace(stdout)
}

// store opens the hub's database directly.
func (h *hub) store() store.Store {
	h.t.Helper()
	key, err := secret.ParseKey(testKey)
	if err != nil {
		h.t.Fatal(err)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		h.t.Fatal(err)
	}
	db, err := hubdb.Open(h.t.Context(), h.env["CRMSYNC_DB"], box)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db.Store
}

// Not parallel: it sets the link-time Version variable.
func TestVersion(t *testing.T) {
	h := newHub(t)
	h.env["CRMSYNC_DB"] = "mysql://broken" // version prints regardless
	out := h.must("version")
	if !strings.HasPrefix(out, "crmsync ") || !strings.Contains(out, "go1.") {
		t.Errorf("version = %q", out)
	}
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v1.2.3"
	if out := h.must("version"); !strings.HasPrefix(out, "crmsync v1.2.3 (") {
		t.Errorf("version with -X = %q", out)
	}
}

func TestInvalidConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{
			name: "bad scheme",
			env:  map[string]string{"CRMSYNC_DB": "mysql://root@db/crm"},
			args: []string{"migrate"},
			want: []string{`CRMSYNC_DB: unsupported scheme "mysql"; use sqlite:PATH or postgres://`},
		},
		{
			name: "flags named as flags",
			args: []string{"--log-format", "xml", "--workers", "0", "migrate"},
			want: []string{`--log-format: "xml" is not a format`, "--workers: 0 is out of range"},
		},
		{
			name: "no secret key",
			env:  map[string]string{"CRMSYNC_SECRET_KEY": ""},
			args: []string{"serve"},
			want: []string{"CRMSYNC_SECRET_KEY: not set", "openssl rand -hex 32"},
		},
		{
			name: "short secret key",
			env:  map[string]string{"CRMSYNC_SECRET_KEY": "abcd"},
			args: []string{"migrate"},
			want: []string{"CRMSYNC_SECRET_KEY: secret: parse key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHub(t)
			for k, v := range tt.env {
				h.env[k] = v
			}
			code, _, stderr := h.run(tt.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q\nlacks %q", stderr, w)
				}
			}
			if strings.Contains(stderr, testKey) {
				t.Error("stderr shows the secret key")
			}
		})
	}
}

func TestSettingsFile(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	file := filepath.Join(h.dir, "crmsync.conf")
	db := filepath.Join(h.dir, "from-file.db")
	if err := os.WriteFile(file, []byte("CRMSYNC_DB=sqlite:"+db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(h.env, "CRMSYNC_DB")
	h.must("--config", file, "migrate")
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the file's database was not created: %v", err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.must("migrate")
	h.must("migrate")
}

func TestUserCreateOnFreshInstall(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	token := h.must("user", "create", "--email", "Ann@Example.com", "--name", "Ann", "--admin", "--tz", "Europe/Paris")
	if !strings.HasPrefix(token, api.TokenPrefix) || strings.Contains(token, "\n") {
		t.Fatalf("stdout = %q, want the token alone", token)
	}

	s := h.store()
	err := s.Read(t.Context(), func(tx store.Tx) error {
		tok, err := tx.GetTokenByHash(t.Context(), api.HashToken(token))
		if err != nil {
			return err
		}
		u, err := tx.GetUser(t.Context(), tok.OrgID, tok.UserID)
		if err != nil {
			return err
		}
		if u.Email != "ann@example.com" || u.Role != store.RoleAdmin || u.TimeZone != "Europe/Paris" {
			t.Errorf("user = %+v", u)
		}
		o, err := tx.GetOrg(t.Context(), u.OrgID)
		if err != nil {
			return err
		}
		if o.Name != defaultOrgName {
			t.Errorf("org = %+v, want the default org", o)
		}
		audit, err := tx.ListAudit(t.Context(), o.ID, 0)
		if err != nil {
			return err
		}
		var actions []string
		for _, a := range audit {
			actions = append(actions, a.Action)
			if strings.Contains(string(a.Detail), token) {
				t.Error("the token reached the audit log")
			}
		}
		if strings.Join(actions, ",") != "user.create,org.create" {
			t.Errorf("audit = %v", actions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The same email again is refused with a pointer to token create.
	code, _, stderr := h.run("user", "create", "--email", "ann@example.com")
	if code != 1 || !strings.Contains(stderr, "already exists") || !strings.Contains(stderr, "token create") {
		t.Errorf("duplicate: exit %d, %s", code, stderr)
	}
	// A second user lands in the only org.
	h.must("user", "create", "--email", "bob@example.com")
	list := h.must("user", "list")
	if !strings.Contains(list, "ann@example.com") || !strings.Contains(list, "bob@example.com") {
		t.Errorf("user list = %s", list)
	}
}

func TestOrgsAndTokens(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	acme := h.must("org", "create", "--name", "Acme", "--tz", "America/New_York")
	globex := h.must("org", "create", "--name", "Globex")
	if acme == "" || acme == globex {
		t.Fatalf("org ids %q %q", acme, globex)
	}
	if code, _, stderr := h.run("org", "create", "--name", "Bad", "--tz", "Mars/Base"); code != 1 || !strings.Contains(stderr, "--tz") {
		t.Errorf("bad zone: exit %d %s", code, stderr)
	}

	// With several orgs, --org is required; it takes a name or an id.
	code, _, stderr := h.run("user", "create", "--email", "ann@acme.test")
	if code != 1 || !strings.Contains(stderr, "pass --org") {
		t.Errorf("no --org: exit %d %s", code, stderr)
	}
	h.must("user", "create", "--org", "Acme", "--email", "ann@acme.test")
	h.must("user", "create", "--org", globex, "--email", "ann@acme.test")
	if code, _, stderr := h.run("user", "create", "--org", "Initech", "--email", "x@y.z"); code != 1 || !strings.Contains(stderr, `no org "Initech"`) {
		t.Errorf("unknown org: exit %d %s", code, stderr)
	}

	// The email exists in both orgs: token create needs --org.
	if code, _, stderr := h.run("token", "create", "--user", "ann@acme.test"); code != 1 || !strings.Contains(stderr, "pass --org") {
		t.Errorf("ambiguous user: exit %d %s", code, stderr)
	}
	tok := h.must("token", "create", "--user", "ANN@acme.test", "--org", "Acme", "--name", "laptop")
	err := h.store().Read(t.Context(), func(tx store.Tx) error {
		got, err := tx.GetTokenByHash(t.Context(), api.HashToken(tok))
		if err != nil {
			return err
		}
		if got.OrgID != acme || got.Name != "laptop" {
			t.Errorf("token = %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if list := h.must("org", "list"); !strings.Contains(list, "Acme") || !strings.Contains(list, "America/New_York") {
		t.Errorf("org list = %s", list)
	}
}

// stubBackend stands in for the job queue.
type stubBackend struct {
	mu      sync.Mutex
	synced  []string
	stopped bool
}

func (b *stubBackend) SyncNow(_ context.Context, orgID, streamID string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.synced = append(b.synced, streamID)
	return "job-1", nil
}

func TestServe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		backend  bool
		wantSync int
	}{
		{name: "without queue", wantSync: http.StatusServiceUnavailable},
		{name: "with queue", backend: true, wantSync: http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHub(t)
			h.env["CRMSYNC_ADDR"] = "127.0.0.1:0"
			token := h.must("user", "create", "--email", "ann@example.com", "--admin")
			streamID := seedStream(t, h.store())

			a, _, stderr := h.app()
			addr := make(chan string, 1)
			a.onListen = func(s string) { addr <- s }
			backend := &stubBackend{}
			a.startBackend = nil // serve without a queue, unless stubbed below
			if tt.backend {
				a.startBackend = func(ctx context.Context, env BackendEnv) (Backend, error) {
					if env.DB == nil || env.DB.Kind != hubdb.KindSQLite || env.DB.SQL == nil || env.Registry == nil || env.Config.Workers != 4 {
						t.Errorf("backend env = %+v", env)
					}
					return Backend{Trigger: backend, Stop: func(context.Context) error {
						backend.mu.Lock()
						defer backend.mu.Unlock()
						backend.stopped = true
						return nil
					}}, nil
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan int, 1)
			go func() { done <- a.run(ctx, []string{"serve"}) }()

			var base string
			select {
			case s := <-addr:
				base = "http://" + s
			case code := <-done:
				t.Fatalf("serve exited %d: %s", code, stderr)
			}
			if code, body := request(t, "GET", base+"/healthz", ""); code != http.StatusOK {
				t.Errorf("healthz: %d %s", code, body)
			}
			if code, body := request(t, "GET", base+"/api/v1/me", token); code != http.StatusOK || !strings.Contains(body, "ann@example.com") {
				t.Errorf("me: %d %s", code, body)
			}
			if code, body := request(t, "POST", base+"/api/v1/streams/"+streamID+"/sync", token); code != tt.wantSync {
				t.Errorf("sync now: %d %s, want %d", code, body, tt.wantSync)
			}

			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("serve exited %d after shutdown: %s", code, stderr)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop")
			}
			backend.mu.Lock()
			defer backend.mu.Unlock()
			if tt.backend && (!backend.stopped || len(backend.synced) != 1) {
				t.Errorf("backend: stopped %v, synced %v", backend.stopped, backend.synced)
			}
			if strings.Contains(stderr.String(), testKey) || strings.Contains(stderr.String(), token) {
				t.Error("logs show a secret")
			}
		})
	}
}

// seedStream adds an enabled org-wide stream to the only org.
func seedStream(t *testing.T, s store.Store) string {
	t.Helper()
	var id string
	err := s.InTx(t.Context(), func(tx store.Tx) error {
		orgs, err := tx.ListOrgs(t.Context())
		if err != nil {
			return err
		}
		st := store.Stream{OrgID: orgs[0].ID, Name: "tasks", Kind: "tasks", Enabled: true, Schedule: store.Schedule{Kind: store.ScheduleManual}}
		if err := tx.CreateStream(t.Context(), &st); err != nil {
			return err
		}
		id = st.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func request(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}
