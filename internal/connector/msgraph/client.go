package msgraph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/backoff"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// DefaultBaseURL is Graph's v1.0 endpoint.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Config sets up a connector to one user's contacts. Every field states
// its default.
type Config struct {
	// BaseURL is Graph's API root, version included: DefaultBaseURL by
	// default.
	BaseURL string
	// TokenURL is the identity platform's token endpoint: by default
	// https://login.microsoftonline.com/{TenantID}/oauth2/v2.0/token.
	TokenURL string
	// TenantID names the directory; required unless TokenURL is set.
	TenantID string
	// ClientID and ClientSecret are the app registration's. Required.
	ClientID     string
	ClientSecret string
	// RefreshToken, when set, selects the delegated flow: the connector
	// acts as the user who signed in. Without it, the client credentials
	// flow acts with the app's application permissions.
	RefreshToken string
	// OnRefreshToken is called with each new refresh token the endpoint
	// rotates in, so that the caller can store it; nil ignores them.
	OnRefreshToken func(refreshToken string)
	// Scopes are asked for: https://graph.microsoft.com/.default by
	// default for client credentials; offline_access Contacts.ReadWrite
	// MailboxSettings.ReadWrite User.ReadBasic.All for the delegated flow.
	Scopes []string
	// User is the mailbox: "me" (the default with a refresh token) or a
	// user id or userPrincipalName (required with client credentials,
	// which Graph does not let use /me).
	User string
	// FolderID limits the sync to one contact folder, where creates go
	// too; by default every private contact folder syncs (the default
	// Contacts folder and its child folders) and creates go to Contacts.
	FolderID string
	// SharedFolders are other users' folders shared with this user, which
	// Graph cannot list; Folders reports them as mailbox.Shared.
	SharedFolders []SharedFolder
	// PageSize is the page size a delta query asks for (Prefer:
	// odata.maxpagesize): 100 by default, at most 1000.
	PageSize int
	// HTTPClient sends the requests: a client with a 60 s timeout by
	// default.
	HTTPClient *http.Client
	// MaxRetries is how many times a throttled (429) or unavailable (503,
	// 504) call is retried: 5 by default; -1 for none.
	MaxRetries int
	// Sleep waits between retries: backoff.Sleep by default. Tests stub it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now tells the time: time.Now by default.
	Now func() time.Time
	// Logger receives retries and skipped folders: discarded by default.
	Logger *slog.Logger
}

// SharedFolder is a folder of another user's mailbox: User is an id or
// userPrincipalName, FolderID the folder ("" for their Contacts folder).
type SharedFolder struct {
	User     string `json:"user"`
	FolderID string `json:"folderId,omitempty"`
}

func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.TokenURL == "" && c.TenantID != "" {
		c.TokenURL = "https://login.microsoftonline.com/" + url.PathEscape(c.TenantID) + "/oauth2/v2.0/token"
	}
	if len(c.Scopes) == 0 {
		if c.RefreshToken != "" {
			c.Scopes = []string{"offline_access", "Contacts.ReadWrite", "MailboxSettings.ReadWrite", "User.ReadBasic.All"}
		} else {
			c.Scopes = []string{"https://graph.microsoft.com/.default"}
		}
	}
	if c.User == "" && c.RefreshToken != "" {
		c.User = "me"
	}
	if c.PageSize == 0 {
		c.PageSize = 100
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 5
	}
	if c.Sleep == nil {
		c.Sleep = backoff.Sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every missing or malformed setting, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("msgraph: "+format, args...)) }
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("BaseURL %q is not an http(s) URL", c.BaseURL)
	}
	if c.TokenURL == "" {
		bad("TenantID or TokenURL is required")
	} else if u, err := url.Parse(c.TokenURL); err != nil || u.Host == "" {
		bad("TokenURL %q is not a URL", c.TokenURL)
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		bad("ClientID and ClientSecret are required")
	}
	switch {
	case c.User == "":
		bad("User is required with client credentials (an id or userPrincipalName; Graph refuses /me to an app)")
	case c.User == "me" && c.RefreshToken == "":
		bad(`User "me" needs a RefreshToken: Graph refuses /me to an app`)
	}
	if c.PageSize < 1 || c.PageSize > 1000 {
		bad("PageSize %d out of range 1..1000", c.PageSize)
	}
	if c.MaxRetries < -1 {
		bad("MaxRetries %d is below -1", c.MaxRetries)
	}
	for _, f := range c.SharedFolders {
		if f.User == "" {
			bad("a shared folder needs its owner's User")
		}
	}
	return errors.Join(errs...)
}

// Connector is one user's Graph contacts as a mailbox.Mailbox.
type Connector struct {
	cfg    Config
	hc     *http.Client
	tokens *tokenCache
	policy *backoff.Policy
	log    *slog.Logger
	// user is the mailbox's path: "me" or "users/{id}".
	user string
}

var _ mailbox.Mailbox = (*Connector)(nil)

// New builds a connector; it reports the settings Validate finds wrong.
func New(cfg Config) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Connector{cfg: cfg, hc: cfg.HTTPClient, tokens: newTokenCache(cfg), policy: backoff.New(cfg.Now), log: cfg.Logger}
	c.user = userPath(cfg.User)
	return c, nil
}

func userPath(u string) string {
	if u == "me" {
		return "me"
	}
	return "users/" + url.PathEscape(u)
}

// Capabilities: Graph writes one contact per call; no webhooks here.
func (c *Connector) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: 50}
}

// APIError is an error answer from Graph.
type APIError struct {
	Status  int
	Code    string // Graph's error code, e.g. "ErrorItemNotFound"
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("msgraph: %d %s: %s", e.Status, e.Code, e.Message)
}

// Is maps Graph's answers onto the connector's sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case connector.ErrNotFound:
		return e.Status == http.StatusNotFound
	case connector.ErrInvalid:
		return e.Status == http.StatusBadRequest
	case connector.ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case connector.ErrCursorExpired:
		return e.Status == http.StatusGone || strings.EqualFold(e.Code, "SyncStateNotFound") ||
			strings.EqualFold(e.Code, "ResyncRequired") || strings.EqualFold(e.Code, "SyncStateInvalid")
	}
	return false
}

// request is one call to make.
type request struct {
	method string
	// target is a path under BaseURL or an absolute link Graph gave.
	target string
	body   any
	header http.Header
	// once makes no retry: a create retries itself around its lookup.
	once bool
}

// retryable reports whether status is worth another try.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// do makes the call, retrying throttled and unavailable answers, and
// decodes a 2xx answer into out when out is not nil.
func (c *Connector) do(ctx context.Context, rq request, out any) error {
	u := rq.target
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		u = c.cfg.BaseURL + "/" + strings.TrimLeft(u, "/")
	}
	var body []byte
	if rq.body != nil {
		var err error
		if body, err = json.Marshal(rq.body); err != nil {
			return fmt.Errorf("msgraph: %s: encode: %w", rq.method, err)
		}
	}
	stale := ""
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.get(ctx, stale)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, rq.method, u, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("msgraph: %s: %w", rq.method, err)
		}
		for k, vs := range rq.header {
			req.Header[k] = vs
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() == nil && !rq.once && rq.method != http.MethodPost && attempt < c.cfg.MaxRetries {
				if err := c.wait(ctx, attempt, "", rq, 0); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("msgraph: %s %s: %w", rq.method, redact(u), err)
		}
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		if rerr != nil {
			return fmt.Errorf("msgraph: %s %s: read: %w", rq.method, redact(u), rerr)
		}
		switch st := resp.StatusCode; {
		case st >= 200 && st < 300:
			if out != nil && len(b) > 0 {
				if err := json.Unmarshal(b, out); err != nil {
					return fmt.Errorf("msgraph: %s %s: decode: %w", rq.method, redact(u), err)
				}
			}
			return nil
		case st == http.StatusUnauthorized && stale == "":
			stale = tok // fetch a new token once
			continue
		case retryable(st) && !rq.once && attempt < c.cfg.MaxRetries:
			if err := c.wait(ctx, attempt, resp.Header.Get("Retry-After"), rq, st); err != nil {
				return err
			}
			continue
		default:
			return c.apiError(resp, b)
		}
	}
}

// wait sleeps before retry number attempt.
func (c *Connector) wait(ctx context.Context, attempt int, retryAfter string, rq request, status int) error {
	d := c.policy.Wait(attempt, retryAfter)
	c.log.LogAttrs(ctx, slog.LevelDebug, "msgraph: retrying", slog.String("method", rq.method),
		slog.Int("status", status), slog.Int("attempt", attempt+1), slog.Duration("wait", d))
	return c.cfg.Sleep(ctx, d)
}

// apiError turns an error answer into an error the engine can sort.
func (c *Connector) apiError(resp *http.Response, b []byte) error {
	var eb errorBody
	_ = json.Unmarshal(b, &eb)
	e := &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	if e.Code == "" {
		e.Message = strings.TrimSpace(string(b[:min(len(b), 200)]))
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		d, _ := backoff.RetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())
		return &connector.RetryError{After: d, Err: e}
	case e.Status == http.StatusBadRequest:
		if m := propertyInMessage.FindStringSubmatch(e.Message); m != nil {
			return &connector.FieldError{Field: fieldOfProperty(m[1]), Err: e}
		}
	}
	return e
}

// propertyInMessage finds the property a Graph 400 names.
var propertyInMessage = regexp.MustCompile(`property '([^']+)'`)

// redact drops a link's query: delta and skip tokens are credentials of
// a kind and make noise in logs.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// get reads every page of a collection at target into items.
func (c *Connector) collect(ctx context.Context, target string, each func(json.RawMessage) error) error {
	for target != "" {
		var page collection
		if err := c.do(ctx, request{method: http.MethodGet, target: target}, &page); err != nil {
			return err
		}
		for _, v := range page.Value {
			if err := each(v); err != nil {
				return err
			}
		}
		target = page.NextLink
	}
	return nil
}

// odataString quotes s as an OData string literal.
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
