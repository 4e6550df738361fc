package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/config"
)

// ParseDSN reads outside input: it must not panic, must classify what it
// accepts, and must never echo a password in an error.
func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"sqlite:crmsync.db", "sqlite:///var/lib/hub.db", "sqlite::memory:",
		"postgres://crm:pw@db:5432/crm?sslmode=disable", "postgresql://db/crm?password=pw",
		"mysql://root@db", "crmsync.db", "", "postgres://crm:pw@db:port/x", "postgres://%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := config.ParseDSN(s)
		if err != nil {
			if strings.Contains(s, ":hunter2@") && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes the password: %v", err)
			}
			return
		}
		switch d.Kind {
		case config.KindSQLite:
			if d.Path == "" {
				t.Errorf("sqlite DSN %q without a path", s)
			}
		case config.KindPostgres:
			if d.URL != s {
				t.Errorf("postgres URL %q, want %q", d.URL, s)
			}
		default:
			t.Errorf("kind %q", d.Kind)
		}
		_ = d.Redacted()
	})
}

// The settings file is outside input too.
func FuzzSettingsFile(f *testing.F) {
	f.Add("CRMSYNC_DB=sqlite:x.db\n# c\n\nCRMSYNC_WORKERS='3'\n")
	f.Add("export CRMSYNC_ADDR=\":80\"\nCRMSYNC_NOPE=1")
	f.Add("=\n==\nCRMSYNC_WORKERS=x")
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(t.TempDir(), "f.conf")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(config.Sources{Flags: map[string]string{"config": p}})
		if err == nil {
			_ = c.Validate()
		}
	})
}
