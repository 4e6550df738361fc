package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"

	"github.com/crmsync/crmsync/internal/config"
)

// Config is the SMTP relay the hub sends through.
type Config struct {
	Host string // required
	Port int    // default 587 (submission with STARTTLS)
	// Username and Password for AUTH PLAIN; no AUTH when Username is empty.
	Username string
	Password config.Secret
	// From is the envelope and header sender, e.g. "CRM <crm@example.com>".
	From string
	// Timeout bounds one delivery, dial to QUIT. Default 30s.
	Timeout time.Duration
	// TLS overrides the TLS settings (tests pass their own roots); the
	// server name defaults to Host.
	TLS *tls.Config
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("mail: SMTP host is not set"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("mail: SMTP port %d is out of range", c.Port))
	}
	if c.From == "" {
		errs = append(errs, errors.New("mail: SMTP from address is not set"))
	}
	if c.Username != "" && c.Password == "" {
		errs = append(errs, fmt.Errorf("mail: SMTP user %s has no password", c.Username))
	}
	return errors.Join(errs...)
}

// Sender sends a composed message to its recipients.
type Sender interface {
	Send(ctx context.Context, from string, to []string, data []byte) error
}

// PermanentError is an SMTP 5xx answer: retrying will not help.
type PermanentError struct {
	Code int
	Msg  string
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("mail: permanent SMTP failure %d %s", e.Code, e.Msg)
}

// SMTP sends over one connection per message: STARTTLS is required (a
// server without it is refused, so the password never crosses in clear),
// then AUTH PLAIN when a username is set.
type SMTP struct{ cfg Config }

var _ Sender = (*SMTP)(nil)

// NewSMTP validates cfg and answers a Sender.
func NewSMTP(cfg Config) (*SMTP, error) {
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &SMTP{cfg: cfg}, nil
}

// Send implements Sender. A 5xx answer is a *PermanentError; anything
// else (4xx, timeouts, refused connections) is temporary.
func (s *SMTP) Send(ctx context.Context, from string, to []string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("mail: dial %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return classify("greeting", err)
	}
	defer c.Close()
	if err := c.Hello("crmsync"); err != nil {
		return classify("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return &PermanentError{Code: 0, Msg: "server " + addr + " does not offer STARTTLS; refusing to send in clear"}
	}
	tc := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	if s.cfg.TLS != nil {
		tc = s.cfg.TLS.Clone()
		if tc.ServerName == "" {
			tc.ServerName = s.cfg.Host
		}
	}
	if err := c.StartTLS(tc); err != nil {
		return classify("STARTTLS", err)
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password.Reveal(), s.cfg.Host)); err != nil {
			return classify("AUTH", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return classify("MAIL FROM", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return classify("RCPT TO "+r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return classify("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classify("end of DATA", err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return &PermanentError{Code: te.Code, Msg: step + ": " + te.Msg}
	}
	return fmt.Errorf("mail: %s: %w", step, err)
}

// ConfigFrom answers the SMTP Config of the hub's settings (see
// config.Config.Mail).
func ConfigFrom(s config.SMTP) Config {
	return Config{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, From: s.From}
}
