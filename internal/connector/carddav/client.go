package carddav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/dav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// SystemName is the store's system name of a CardDAV address book
// connection.
const SystemName = "carddav"

// Config configures a Connector.
type Config struct {
	// URL is an address book collection
	// (https://dav.example.com/ann/contacts/), or the server, a principal
	// or an address book home, from which the user's address books are
	// discovered (RFC 6764, RFC 6352 7). Required.
	URL      string
	Username string
	Password string
	// SharedURLs are address books of other principals the user was given
	// access to, listed by Folders as shared (and never synced, SPEC C5).
	// None by default.
	SharedURLs []string
	// HTTPClient defaults to one with a 60 s timeout.
	HTTPClient *http.Client
	// MaxRetries of a call refused for now (429, 503): 4 by default.
	MaxRetries int
	// Sleep waits between retries (backoff.Sleep by default).
	Sleep func(context.Context, time.Duration) error
	// Now is the clock (time.Now by default): a card without REV is
	// listed as modified now, and a write stamps REV with it.
	Now func() time.Time
}

// Connector is one user's CardDAV address books as a mailbox.
type Connector struct {
	cfg Config

	mu    sync.Mutex
	books []AddressBook // discovered at the first call that needs them
	dav   *dav.Client   // the server the books are on
	cats  []string      // categories created here and not yet on a card
}

var _ mailbox.Mailbox = (*Connector)(nil)

// New checks cfg; it makes no call yet.
func New(cfg Config) (*Connector, error) {
	if err := checkURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("carddav: new: %w", err)
	}
	for _, s := range cfg.SharedURLs {
		if err := checkURL(s); err != nil {
			return nil, fmt.Errorf("carddav: new: shared address book: %w", err)
		}
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("carddav: new: MaxRetries %d is negative", cfg.MaxRetries)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Connector{cfg: cfg}, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("URL %q is not an http(s) URL", s)
	}
	return nil
}

// Capabilities implements connector.Connector.
func (c *Connector) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: 50}
}

// client is a WebDAV client for the server of u.
func client(cfg Config, u string, follow bool) (*dav.Client, error) {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	if !follow {
		// Go turns a redirected PROPFIND into a GET: discovery follows
		// redirects itself.
		cp := *hc
		cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		hc = &cp
	}
	return dav.New(dav.Config{Name: "carddav", URL: u, Username: cfg.Username, Password: cfg.Password,
		HTTPClient: hc, MaxRetries: cfg.MaxRetries, Sleep: cfg.Sleep})
}

// resolve discovers the address books once.
func (c *Connector) resolve(ctx context.Context) ([]AddressBook, *dav.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.books != nil {
		return c.books, c.dav, nil
	}
	books, err := Discover(ctx, c.cfg)
	if err != nil {
		return nil, nil, err
	}
	dc, err := client(c.cfg, books[0].URL, true)
	if err != nil {
		return nil, nil, err
	}
	c.books, c.dav = books, dc
	return books, dc, nil
}

// private are the address books that sync (SPEC C5).
func (c *Connector) private(ctx context.Context) ([]AddressBook, *dav.Client, error) {
	books, dc, err := c.resolve(ctx)
	if err != nil {
		return nil, nil, err
	}
	var out []AddressBook
	for _, b := range books {
		if b.Kind == mailbox.Private {
			out = append(out, b)
		}
	}
	return out, dc, nil
}

// defaultBook is where creates go: the configured address book when it
// is a private one, else the first private address book.
func (c *Connector) defaultBook(ctx context.Context) (AddressBook, *dav.Client, error) {
	books, dc, err := c.private(ctx)
	if err != nil {
		return AddressBook{}, nil, err
	}
	if len(books) == 0 {
		return AddressBook{}, nil, fmt.Errorf("carddav: %s: the user %q has no address book of their own to write to", c.cfg.URL, c.cfg.Username)
	}
	for _, b := range books {
		if b.Configured {
			return b, dc, nil
		}
	}
	return books[0], dc, nil
}

// statusIs reports a dav.StatusError with one of codes.
func statusIs(err error, codes ...int) (*dav.StatusError, bool) {
	var se *dav.StatusError
	if !errors.As(err, &se) {
		return nil, false
	}
	for _, code := range codes {
		if se.Code == code {
			return se, true
		}
	}
	return se, len(codes) == 0
}

func xmlHeaders(depth string) map[string]string {
	h := map[string]string{"Content-Type": "application/xml; charset=utf-8"}
	if depth != "" {
		h["Depth"] = depth
	}
	return h
}

// within reports whether p is the collection dir or inside it.
func within(p, dir string) bool {
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	return strings.HasPrefix(p, dir) || p+"/" == dir
}

// Check discovers the address books and makes sure the user has one of
// their own to sync: the clear error a user saving the connection needs
// (SPEC C1), instead of a failing first run.
func (c *Connector) Check(ctx context.Context) error {
	_, _, err := c.defaultBook(ctx)
	return err
}
