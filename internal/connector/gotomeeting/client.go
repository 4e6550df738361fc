package gotomeeting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/backoff"
)

// SystemName is the system of GoTo Meeting connections in the registry.
const SystemName = "gotomeeting"

// Config configures a Client. Every field states its default.
type Config struct {
	// APIURL is the GoTo Meeting REST API's base, base path included:
	// DefaultAPIURL by default.
	APIURL string
	// AuthURL is GoTo's authentication service; /oauth/authorize and
	// /oauth/token hang off it: DefaultAuthURL by default.
	AuthURL string
	// ClientID and ClientSecret are the OAuth client's. Required.
	ClientID, ClientSecret string
	// RedirectURL is the callback registered with the OAuth client, for
	// AuthCodeURL and Exchange.
	RedirectURL string
	// Token is the connection's grant: its RefreshToken is required by New,
	// its AccessToken and Expiry are used while valid.
	Token *oauth2.Token
	// OnToken is called with every new token a refresh brings, for the hub
	// to keep a rotated refresh token. Nil by default.
	OnToken func(*oauth2.Token)
	// HTTPClient sends the requests, OAuth's included: a client with a 60 s
	// timeout by default.
	HTTPClient *http.Client
	// Now tells the time (token expiry): time.Now by default.
	Now func() time.Time
	// Sleep waits between retries: a timer honouring ctx by default.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetries is how many times a refused call (429, 5xx) is retried:
	// 5 by default.
	MaxRetries int
	// Logger receives debug lines, never a token: discarded by default.
	Logger *slog.Logger
}

// DefaultMaxRetries is Config.MaxRetries's default.
const DefaultMaxRetries = 5

func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.AuthURL == "" {
		c.AuthURL = DefaultAuthURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	c.AuthURL = strings.TrimRight(c.AuthURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = backoff.Sleep
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Client is one GoTo Meeting organizer's connection.
type Client struct {
	cfg    Config
	tokens *tokens

	mu    sync.Mutex
	wait  *backoff.Policy
	calls int
}

var _ connector.Connector = (*Client)(nil)

// New checks cfg and returns a client; it makes no call yet.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	var missing []string
	if cfg.ClientID == "" {
		missing = append(missing, "ClientID")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "ClientSecret")
	}
	if cfg.Token == nil || cfg.Token.RefreshToken == "" {
		missing = append(missing, "Token with a RefreshToken")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("gotomeeting: new: Config needs %s", strings.Join(missing, ", "))
	}
	for name, u := range map[string]string{"APIURL": cfg.APIURL, "AuthURL": cfg.AuthURL} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("gotomeeting: new: %s %q is not an http(s) URL", name, u)
		}
	}
	return &Client{cfg: cfg, tokens: newTokens(cfg), wait: backoff.New(cfg.Now)}, nil
}

// Calls reports how many API requests the client has sent, retries
// included.
func (c *Client) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// APIError is an answer GoTo refused, with its status and error code.
type APIError struct {
	// Status is the HTTP status.
	Status int
	// Code is int_err_code (InvalidRequest, NotFound, InvalidToken, ...),
	// or the HTTP status text when the body had none.
	Code string
	// Message is GoTo's msg.
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("status %d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("status %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap maps the status to internal/connector's sentinels.
func (e *APIError) Unwrap() error {
	switch e.Status {
	case http.StatusNotFound:
		return connector.ErrNotFound
	case http.StatusBadRequest, http.StatusConflict:
		return connector.ErrInvalid
	case http.StatusTooManyRequests:
		return connector.ErrRateLimited
	}
	return nil
}

// decodeError reads an error answer of any of GoTo's shapes.
func decodeError(status int, raw []byte) *APIError {
	e := &APIError{Status: status}
	var b errorBody
	if json.Unmarshal(raw, &b) == nil {
		e.Code = firstNonEmpty(b.IntErrCode, b.ErrorCode)
		e.Message = firstNonEmpty(b.Msg, b.Message, b.Description)
	}
	if e.Code == "" {
		e.Code = strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	if len(e.Message) > 500 {
		e.Message = e.Message[:500]
	}
	return e
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// tokenRefused reports whether an answer refuses the access token.
func tokenRefused(e *APIError) bool {
	return e.Status == http.StatusUnauthorized || (e.Status == http.StatusForbidden && strings.EqualFold(e.Code, "InvalidToken"))
}

// retryable reports whether a refused call may be sent again: 429 always,
// server errors for idempotent methods, and 503 (not carried out) for all.
func retryable(method string, status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return method != http.MethodPost
	}
	return false
}

// call sends one API call: path is relative to the API's base, query may
// be nil, body is JSON-encoded when not nil, and a 2xx answer with a body
// is decoded into out. It renews a refused token once and retries refused
// calls with backoff.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	u := c.cfg.APIURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	stale := ""
	renewed := false
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.get(ctx, stale)
		if err != nil {
			return err
		}
		status, hdr, raw, err := c.send(ctx, method, u, tok, payload)
		if err != nil {
			return err
		}
		if status >= 200 && status < 300 {
			if out == nil || status == http.StatusNoContent || len(bytes.TrimSpace(raw)) == 0 {
				return nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("malformed answer: %w", err)
			}
			return nil
		}
		apiErr := decodeError(status, raw)
		if tokenRefused(apiErr) && !renewed {
			renewed, stale = true, tok
			attempt--
			continue
		}
		if !retryable(method, status) {
			return apiErr
		}
		wait := c.wait.Wait(attempt, hdr.Get("Retry-After"))
		if attempt >= c.cfg.MaxRetries {
			if status == http.StatusTooManyRequests {
				return &connector.RetryError{After: wait, Err: apiErr}
			}
			return apiErr
		}
		c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "gotomeeting: retrying", slog.String("method", method),
			slog.String("path", path), slog.Int("status", status), slog.Duration("wait", wait))
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// send makes one HTTP round trip.
func (c *Client) send(ctx context.Context, method, u, tok string, payload []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, raw, nil
}
