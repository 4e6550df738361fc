package config_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/secret"
)

const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "crmsync.conf")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "sqlite:crmsync.db" || c.Addr != "127.0.0.1:8080" || c.LogLevel != "info" ||
		c.LogFormat != "text" || c.Workers != 4 || c.SecretKey != "" || c.File != "" {
		t.Errorf("defaults = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	if _, err := c.Key(); err == nil || !strings.Contains(err.Error(), "CRMSYNC_SECRET_KEY: not set") {
		t.Errorf("Key() without a key = %v, want an error naming CRMSYNC_SECRET_KEY", err)
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, `
# comment
CRMSYNC_DB=sqlite:file.db
CRMSYNC_ADDR=":7000"
CRMSYNC_LOG_LEVEL='debug'
export CRMSYNC_WORKERS=2
CRMSYNC_SECRET_KEY=`+hexKey+`
`)
	tests := []struct {
		name  string
		env   map[string]string
		flags map[string]string
		want  func(config.Config) string // empty when right
	}{
		{
			name:  "file over default",
			flags: map[string]string{"config": file},
			want: func(c config.Config) string {
				if c.DB != "sqlite:file.db" || c.Addr != ":7000" || c.LogLevel != "debug" || c.Workers != 2 || c.SecretKey.Reveal() != hexKey {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{
			name: "file named by env",
			env:  map[string]string{"CRMSYNC_CONFIG": file},
			want: func(c config.Config) string {
				if c.DB != "sqlite:file.db" || c.File != file {
					return c.DB
				}
				return ""
			},
		},
		{
			name:  "env over file",
			env:   map[string]string{"CRMSYNC_DB": "sqlite:env.db", "CRMSYNC_WORKERS": "3"},
			flags: map[string]string{"config": file},
			want: func(c config.Config) string {
				if c.DB != "sqlite:env.db" || c.Workers != 3 || c.Addr != ":7000" {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{
			name:  "flag over env",
			env:   map[string]string{"CRMSYNC_DB": "sqlite:env.db", "CRMSYNC_LOG_FORMAT": "json"},
			flags: map[string]string{"config": file, "db": "postgres://u@h/d", "workers": "9"},
			want: func(c config.Config) string {
				if c.DB != "postgres://u@h/d" || c.Workers != 9 || c.LogFormat != "json" {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{
			name: "empty env is unset",
			env:  map[string]string{"CRMSYNC_ADDR": ""},
			want: func(c config.Config) string {
				if c.Addr != "127.0.0.1:8080" {
					return c.Addr
				}
				return ""
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(config.Sources{LookupEnv: envOf(tt.env), Flags: tt.flags})
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.want(c); got != "" {
				t.Errorf("got %s", got)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidateNamesTheSetting(t *testing.T) {
	t.Parallel()
	badFile := writeFile(t, "CRMSYNC_LOG_FORMAT=xml\n")
	tests := []struct {
		name  string
		env   map[string]string
		flags map[string]string
		want  []string
	}{
		{
			name: "unsupported scheme from env",
			env:  map[string]string{"CRMSYNC_DB": "mysql://root@localhost/db"},
			want: []string{`CRMSYNC_DB: unsupported scheme "mysql"; use sqlite:PATH or postgres://`},
		},
		{
			name:  "unsupported scheme from flag",
			flags: map[string]string{"db": "mysql://root@localhost/db"},
			want:  []string{`--db: unsupported scheme "mysql"`},
		},
		{
			name:  "no scheme",
			flags: map[string]string{"db": "crmsync.db"},
			want:  []string{`--db: no scheme; use sqlite:PATH`},
		},
		{
			name: "postgres without host",
			env:  map[string]string{"CRMSYNC_DB": "postgres:///db"},
			want: []string{"CRMSYNC_DB: postgres URL has no host"},
		},
		{
			name: "bad addr",
			env:  map[string]string{"CRMSYNC_ADDR": "8080"},
			want: []string{`CRMSYNC_ADDR: "8080" is not host:port`},
		},
		{
			name: "bad key",
			env:  map[string]string{"CRMSYNC_SECRET_KEY": "c2hvcnQ="},
			want: []string{"CRMSYNC_SECRET_KEY: secret: parse key: base64 decodes to 5 bytes, want 32"},
		},
		{
			name:  "several at once, from a file",
			env:   map[string]string{"CRMSYNC_LOG_LEVEL": "loud"},
			flags: map[string]string{"config": badFile, "workers": "0"},
			want: []string{
				`CRMSYNC_LOG_LEVEL: "loud" is not a level`,
				badFile + `:1: CRMSYNC_LOG_FORMAT: "xml" is not a format`,
				"--workers: 0 is out of range",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(config.Sources{LookupEnv: envOf(tt.env), Flags: tt.flags})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if err == nil {
				t.Fatal("Validate passed")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		flags map[string]string
		want  string
	}{
		{name: "unknown key", file: "CRMSYNC_DB=sqlite:x\nCRMSYNC_NOPE=1\n", want: `:2: unknown setting "CRMSYNC_NOPE"`},
		{name: "no equals", file: "CRMSYNC_DB\n", want: ":1: want KEY=VALUE"},
		{name: "bad number in env", env: map[string]string{"CRMSYNC_WORKERS": "many"}, want: `CRMSYNC_WORKERS: "many" is not a whole number`},
		{name: "bad number in flag", flags: map[string]string{"workers": "x"}, want: `--workers: "x" is not a whole number`},
		{name: "missing file", flags: map[string]string{"config": "/nonexistent/crmsync.conf"}, want: "no such file"},
		{name: "unknown flag", flags: map[string]string{"nope": "1"}, want: "unknown flag --nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			flags := tt.flags
			if tt.file != "" {
				flags = map[string]string{"config": writeFile(t, tt.file)}
			}
			_, err := config.Load(config.Sources{LookupEnv: envOf(tt.env), Flags: flags})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		kind, path string
		redacted   string
	}{
		{in: "sqlite:crmsync.db", kind: "sqlite", path: "crmsync.db", redacted: "sqlite:crmsync.db"},
		{in: "sqlite:///var/lib/crmsync/hub.db", kind: "sqlite", path: "/var/lib/crmsync/hub.db", redacted: "sqlite:/var/lib/crmsync/hub.db"},
		{in: "postgres://crm:s3cret@db:5432/crm?sslmode=disable", kind: "postgres", redacted: "postgres://crm:xxxxx@db:5432/crm?sslmode=disable"},
		{in: "postgresql://db/crm?password=s3cret", kind: "postgres", redacted: "postgresql://db/crm?password=xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, err := config.ParseDSN(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Kind != tt.kind || d.Path != tt.path {
				t.Errorf("ParseDSN = %+v", d)
			}
			if got := d.Redacted(); got != tt.redacted {
				t.Errorf("Redacted = %q, want %q", got, tt.redacted)
			}
		})
	}
	// A malformed URL's error must not echo the password.
	_, err := config.ParseDSN("postgres://crm:s3cret@db:port/crm")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("ParseDSN(bad port) = %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	c, err := config.Load(config.Sources{LookupEnv: envOf(map[string]string{
		"CRMSYNC_SECRET_KEY": hexKey,
		"CRMSYNC_DB":         "postgres://crm:s3cret@db/crm",
	})})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	log := slog.New(slog.NewJSONHandler(&b, nil))
	log.Info("start", slog.Any("config", c), slog.Any("key", c.SecretKey))
	fmt.Fprintf(&b, "%v %+v %s %#v", c.SecretKey, c.SecretKey, c.SecretKey, c.SecretKey)
	out := b.String()
	for _, leak := range []string{hexKey, "s3cret"} {
		if strings.Contains(out, leak) {
			t.Errorf("output leaks %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, "[redacted]") {
		t.Errorf("output shows no redaction: %s", out)
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "secret.key")

	// Several processes starting at once agree on one key.
	var wg sync.WaitGroup
	keys := make([]config.Secret, 8)
	errs := make([]error, 8)
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = config.LoadOrCreateKeyFile(path) })
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if keys[i] != keys[0] {
			t.Fatalf("key %d differs", i)
		}
	}
	if _, err := secret.ParseKey(keys[0].Reveal()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	again, err := config.LoadOrCreateKeyFile(path)
	if err != nil || again != keys[0] {
		t.Errorf("second load = %v, %v; want the same key", again, err)
	}

	bad := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(bad, []byte("nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadOrCreateKeyFile(bad); err == nil {
		t.Error("a corrupt key file was accepted")
	}
}

func TestDir(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.DB = "sqlite:/var/lib/crmsync/hub.db"
	if got := c.KeyFile(); got != "/var/lib/crmsync/secret.key" {
		t.Errorf("KeyFile = %q", got)
	}
	c.DataDir = "/srv/crm"
	if got := c.Dir(); got != "/srv/crm" {
		t.Errorf("Dir = %q", got)
	}
	c.DataDir = ""
	c.DB = "postgres://db/crm"
	if got := c.Dir(); got != "." {
		t.Errorf("Dir = %q", got)
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	names := map[string]config.Flag{}
	for _, f := range config.Flags() {
		names[f.Name] = f
	}
	for _, n := range []string{"config", "db", "addr", "data-dir", "log-level", "log-format", "workers"} {
		if _, ok := names[n]; !ok {
			t.Errorf("no flag --%s", n)
		}
	}
	if names["db"].Default != "sqlite:crmsync.db" || names["db"].Env != "CRMSYNC_DB" {
		t.Errorf("--db = %+v", names["db"])
	}
	for n := range names {
		if strings.Contains(n, "secret") {
			t.Errorf("flag --%s: the secret key must not be a flag", n)
		}
	}
}
