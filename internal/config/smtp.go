package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The SMTP settings' variables (also settings file keys). None has a flag:
// the password must not appear in a process listing, and the rest sit
// with it.
const (
	envSMTPHost     = "CRMSYNC_SMTP_HOST"
	envSMTPPort     = "CRMSYNC_SMTP_PORT"
	envSMTPUsername = "CRMSYNC_SMTP_USERNAME"
	envSMTPPassword = "CRMSYNC_SMTP_PASSWORD"
	envSMTPFrom     = "CRMSYNC_SMTP_FROM"
)

// SMTP is the mail relay. Every field is empty by default: the hub then
// sends no email and says so when asked to (see Config.Mail).
type SMTP struct {
	// Host of the relay. Env CRMSYNC_SMTP_HOST.
	Host string
	// Port, default 587 (submission; STARTTLS is always required).
	// Env CRMSYNC_SMTP_PORT.
	Port int
	// Username for AUTH PLAIN; none when empty. Env CRMSYNC_SMTP_USERNAME.
	Username string
	// Password for AUTH PLAIN. Env CRMSYNC_SMTP_PASSWORD (or the settings
	// file) only; never printed.
	Password Secret
	// From is the sender, e.g. "CRM <crm@example.com>". Env
	// CRMSYNC_SMTP_FROM.
	From string
}

func init() {
	settings = append(settings,
		setting{env: envSMTPHost, usage: "SMTP relay host for invitation emails",
			set: func(c *Config, v string) error { c.SMTP.Host = v; return nil },
			get: func(c Config) string { return c.SMTP.Host }},
		setting{env: envSMTPPort, usage: "SMTP relay port (default 587, STARTTLS)",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a whole number", v)
				}
				c.SMTP.Port = n
				return nil
			},
			get: func(c Config) string { return strconv.Itoa(c.SMTP.Port) }},
		setting{env: envSMTPUsername, usage: "SMTP AUTH PLAIN user",
			set: func(c *Config, v string) error { c.SMTP.Username = v; return nil },
			get: func(c Config) string { return c.SMTP.Username }},
		setting{env: envSMTPPassword, usage: "SMTP AUTH PLAIN password",
			set: func(c *Config, v string) error { c.SMTP.Password = Secret(v); return nil },
			get: func(c Config) string { return c.SMTP.Password.String() }},
		setting{env: envSMTPFrom, usage: "sender of invitation emails",
			set: func(c *Config, v string) error { c.SMTP.From = v; return nil },
			get: func(c Config) string { return c.SMTP.From }},
	)
}

// ErrNoSMTP is answered by Mail when no relay is configured.
var ErrNoSMTP = errors.New("config: no SMTP relay configured; set " + envSMTPHost + " and " + envSMTPFrom)

// Mail answers the SMTP settings, checked, each problem naming the
// setting as the user gave it; ErrNoSMTP when no host is set.
func (c Config) Mail() (SMTP, error) {
	s := c.SMTP
	if s.Host == "" {
		return SMTP{}, ErrNoSMTP
	}
	if s.Port == 0 {
		s.Port = 587
	}
	var errs []error
	if s.Port < 1 || s.Port > 65535 {
		errs = append(errs, fmt.Errorf("%s: %d is out of range 1-65535", c.name(envSMTPPort), s.Port))
	}
	if s.From == "" {
		errs = append(errs, fmt.Errorf("%s: not set; it is the sender of invitation emails", c.name(envSMTPFrom)))
	}
	if s.Username != "" && s.Password == "" {
		errs = append(errs, fmt.Errorf("%s: not set for user %s", c.name(envSMTPPassword), s.Username))
	}
	return s, errors.Join(errs...)
}
