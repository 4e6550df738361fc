package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/config"
)

// SPEC M12: the SMTP relay is configured from the environment, the
// password is kept as a secret that never prints, and bad settings are
// named.
func TestSMTPSettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"CRMSYNC_SMTP_HOST": "smtp.example.com", "CRMSYNC_SMTP_PORT": "2525",
		"CRMSYNC_SMTP_USERNAME": "hub", "CRMSYNC_SMTP_PASSWORD": "pa55-w0rd", "CRMSYNC_SMTP_FROM": "CRM <crm@example.com>",
	}
	lookup := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := config.Load(config.Sources{LookupEnv: lookup(env)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Mail()
	if err != nil {
		t.Fatal(err)
	}
	if s.Host != "smtp.example.com" || s.Port != 2525 || s.Username != "hub" || s.Password.Reveal() != "pa55-w0rd" || s.From != "CRM <crm@example.com>" {
		t.Errorf("SMTP = %+v", s)
	}
	if out := fmt.Sprintf("%v %+v %#v", c, s, s); strings.Contains(out, "pa55-w0rd") {
		t.Errorf("password printed: %s", out)
	}

	none, _ := config.Load(config.Sources{})
	if _, err := none.Mail(); !errors.Is(err, config.ErrNoSMTP) {
		t.Errorf("no host: %v", err)
	}
	delete(env, "CRMSYNC_SMTP_PASSWORD")
	delete(env, "CRMSYNC_SMTP_FROM")
	env["CRMSYNC_SMTP_PORT"] = "70000"
	bad, _ := config.Load(config.Sources{LookupEnv: lookup(env)})
	_, err = bad.Mail()
	for _, want := range []string{"CRMSYNC_SMTP_PORT", "CRMSYNC_SMTP_FROM", "CRMSYNC_SMTP_PASSWORD"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	if _, err := config.Load(config.Sources{LookupEnv: lookup(map[string]string{"CRMSYNC_SMTP_PORT": "x"})}); err == nil {
		t.Error("a non-numeric port loaded")
	}
}
