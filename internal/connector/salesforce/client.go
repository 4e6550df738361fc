package salesforce

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/backoff"
	"github.com/crmsync/crmsync/internal/store"
)

// SystemName is the system of Salesforce connections in the registry.
const SystemName = "salesforce"

// Config configures a Connector. Every field states its default.
type Config struct {
	// BaseURL is the login URL (https://login.salesforce.com, a My Domain
	// URL or a sandbox's). Required. The token answer's instance_url is
	// used for the API.
	BaseURL string
	// ClientID and ClientSecret are the connected app's consumer key and
	// secret. Required.
	ClientID, ClientSecret string
	// Username and Password (with the security token appended when the
	// org asks for one) log in with the password grant: for tests and the
	// sandbox. Used only when RefreshToken is empty.
	Username, Password string
	// RefreshToken is the result of the web-server flow.
	RefreshToken string
	// PrivateKey signs the JWT bearer flow's assertion (iss ClientID, sub
	// Username), for server-to-server connections: the connected app holds
	// its certificate. Used when RefreshToken is empty; ClientSecret and
	// Password are then not needed.
	PrivateKey *rsa.PrivateKey
	// JWTAudience is the assertion's aud: BaseURL by default, or
	// https://login.salesforce.com (https://test.salesforce.com for a
	// sandbox org) when BaseURL is a My Domain URL.
	JWTAudience string
	// OnRefreshToken receives the new refresh token when the org rotates
	// it (refresh token rotation), so that a restart uses it; an error
	// fails the login. Nil keeps it in this process only.
	OnRefreshToken func(ctx context.Context, refreshToken string) error
	// Logger receives requests (debug), retries, backoffs, budget stops
	// and token events, never a token or a secret: discarded by default.
	Logger *slog.Logger
	// BulkThreshold is the record count above which a first (full)
	// listing runs as a Bulk API 2.0 query job: 10,000 by default;
	// negative never uses Bulk.
	BulkThreshold int
	// BulkPageSize is the most rows one Bulk results page asks for
	// (maxRecords): 10,000 by default.
	BulkPageSize int
	// APIVersion is the REST API version: "v62.0" by default.
	APIVersion string
	// HTTPClient sends the requests: a client with a 60 s timeout by
	// default.
	HTTPClient *http.Client
	// Now tells the time (cursor ages, getDeleted windows, the daily
	// budget): time.Now by default.
	Now func() time.Time
	// Sleep waits between retries: a timer honouring ctx by default.
	Sleep func(ctx context.Context, d time.Duration) error
	// PageSize is the query batch size asked with Sforce-Query-Options
	// (200..2000): 2000 by default.
	PageSize int
	// MaxRetries is how many times a refused call (429, 503,
	// REQUEST_LIMIT_EXCEEDED) is retried: 5 by default.
	MaxRetries int
	// ExternalIDField holds our idempotency key on every synced object:
	// "crmsync_Key__c" by default. It must be an External ID field.
	ExternalIDField string
	// Fields lists the fields Changes selects, by object. An object not
	// listed gets every field its describe reports, except compound
	// address and location fields.
	Fields map[string][]string
	// Budget is the most API calls this connection makes in 24 hours:
	// half the org's DailyApiRequests.Max (read from /limits) by default.
	Budget int
}

// Defaults of Config.
const (
	DefaultAPIVersion      = "v62.0"
	DefaultPageSize        = 2000
	DefaultMaxRetries      = 5
	DefaultExternalIDField = "crmsync_Key__c"
	DefaultBulkThreshold   = 10000
	DefaultBulkPageSize    = 10000
	// batchSize is the most records one sObject Collections call takes.
	batchSize = 200
)

// Connector is a Salesforce org as a connector.Connector, over the REST API.
type Connector struct {
	cfg Config
	log *slog.Logger

	authMu sync.Mutex
	sess   session

	mu       sync.Mutex // guards the fields below
	fields   map[string][]string
	colTypes map[string]map[string]string // describe's field types, by object
	calls    int                          // API calls since budgetAt
	budgetAt time.Time                    // start of the budget's day
	budget   int
	usage    [2]int // last Sforce-Limit-Info api-usage: used, max
	wait     *backoff.Policy
}

var _ connector.Connector = (*Connector)(nil)

// New checks cfg and returns a connector; it makes no call yet.
func New(cfg Config) (*Connector, error) {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	var missing []string
	if cfg.BaseURL == "" {
		missing = append(missing, "BaseURL")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "ClientID")
	}
	if cfg.RefreshToken == "" && (cfg.Username == "" || (cfg.Password == "" && cfg.PrivateKey == nil)) {
		missing = append(missing, "RefreshToken, or Username and PrivateKey or Password")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("salesforce: new: Config needs %s", strings.Join(missing, ", "))
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if !strings.HasPrefix(cfg.APIVersion, "v") {
		cfg.APIVersion = "v" + cfg.APIVersion
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = backoff.Sleep
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	cfg.PageSize = min(max(cfg.PageSize, 200), 2000)
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.ExternalIDField == "" {
		cfg.ExternalIDField = DefaultExternalIDField
	}
	if cfg.BulkThreshold == 0 {
		cfg.BulkThreshold = DefaultBulkThreshold
	}
	if cfg.BulkPageSize <= 0 {
		cfg.BulkPageSize = DefaultBulkPageSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Connector{cfg: cfg, log: cfg.Logger, fields: map[string][]string{}, budget: cfg.Budget,
		wait: backoff.New(cfg.Now)}, nil
}

// Usage returns the org's API usage as the last answer's Sforce-Limit-Info
// reported it.
func (c *Connector) Usage() (used, limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage[0], c.usage[1]
}

// Calls returns the API calls this connector made in the budget's day.
func (c *Connector) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// spend counts one call against the budget, or refuses it.
func (c *Connector) spend() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.budgetAt.IsZero() || now.Sub(c.budgetAt) >= 24*time.Hour {
		c.budgetAt, c.calls = now, 0
	}
	if c.budget > 0 && c.calls >= c.budget {
		return &connector.RetryError{After: c.budgetAt.Add(24 * time.Hour).Sub(now), Err: fmt.Errorf("budget of %d calls a day spent: %w", c.budget, connector.ErrRateLimited)}
	}
	c.calls++
	return nil
}

// ensureBudget reads the org's allowance from /limits the first time.
func (c *Connector) ensureBudget(ctx context.Context) error {
	c.mu.Lock()
	known := c.budget > 0
	c.mu.Unlock()
	if known {
		return nil
	}
	var l limitsResponse
	if err := c.call(ctx, http.MethodGet, "/limits", nil, &l); err != nil {
		return fmt.Errorf("limits: %w", err)
	}
	c.mu.Lock()
	if c.budget <= 0 {
		c.budget = max(l.DailyAPIRequests.Max/2, 1)
	}
	budget := c.budget
	c.mu.Unlock()
	c.log.LogAttrs(ctx, slog.LevelInfo, "salesforce: daily budget", slog.Int("budget", budget),
		slog.Int("org_max", l.DailyAPIRequests.Max), slog.Int("org_remaining", l.DailyAPIRequests.Remaining))
	return nil
}

// do sends an API call with the budget checked first. path is relative to
// /services/data/{version}, or absolute (a nextRecordsUrl).
func (c *Connector) do(ctx context.Context, method, path string, body, out any) error {
	if err := c.ensureBudget(ctx); err != nil {
		return err
	}
	return c.call(ctx, method, path, body, out)
}

// call sends one API call: it refreshes the session once on 401, retries
// refused calls with backoff, and decodes a 2xx answer into out.
func (c *Connector) call(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	refreshed := false
	for attempt := 0; ; attempt++ {
		sess, err := c.session(ctx, "")
		if err != nil {
			return err
		}
		if err := c.spend(); err != nil {
			c.log.LogAttrs(ctx, slog.LevelWarn, "salesforce: budget spent, call not made", slog.String("method", method),
				slog.String("path", logPath(path)), slog.Int("budget", c.budgetNow()), slog.String("error", err.Error()))
			return err
		}
		began := time.Now()
		status, hdr, raw, err := c.send(ctx, sess, method, path, payload, out)
		if err != nil {
			c.log.LogAttrs(ctx, slog.LevelWarn, "salesforce: request failed", slog.String("method", method),
				slog.String("path", logPath(path)), slog.String("error", err.Error()))
			return err
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "salesforce: request", slog.String("method", method),
			slog.String("path", logPath(path)), slog.Int("status", status), slog.Int("bytes", len(raw)),
			slog.Duration("duration", time.Since(began)))
		if status >= 200 && status < 300 {
			if ra, ok := out.(*rawAnswer); ok {
				ra.header, ra.body = hdr, raw
				return nil
			}
			if out == nil || status == http.StatusNoContent || len(raw) == 0 {
				return nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("decode answer: %w", err)
			}
			return nil
		}
		apiErr := decodeError(status, raw)
		if status == http.StatusUnauthorized && !refreshed {
			refreshed = true
			c.log.LogAttrs(ctx, slog.LevelInfo, "salesforce: session expired, logging in again", slog.String("error_code", apiErr.Code()))
			if _, err := c.session(ctx, sess.token); err != nil {
				return err
			}
			attempt--
			continue
		}
		if !retryable(status, apiErr) {
			return apiErr
		}
		wait := c.wait.Wait(attempt, hdr.Get("Retry-After"))
		if attempt >= c.cfg.MaxRetries {
			c.log.LogAttrs(ctx, slog.LevelWarn, "salesforce: retries exhausted", slog.String("method", method),
				slog.String("path", logPath(path)), slog.Int("status", status), slog.String("error_code", apiErr.Code()),
				slog.Int("attempts", attempt+1), slog.Duration("retry_after", wait))
			return &connector.RetryError{After: wait, Err: fmt.Errorf("%w: %w", connector.ErrRateLimited, apiErr)}
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "salesforce: refused, backing off", slog.String("method", method),
			slog.String("path", logPath(path)), slog.Int("status", status), slog.String("error_code", apiErr.Code()),
			slog.Int("attempt", attempt+1), slog.Duration("wait", wait), slog.String("retry_after", hdr.Get("Retry-After")))
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// logPath is a call's path without its query string (a SOQL query can be
// long; no path holds a secret).
func logPath(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

// budgetNow returns the budget in force.
func (c *Connector) budgetNow() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.budget
}

// rawAnswer, as call's out, takes a 2xx answer as it came (a Bulk CSV
// page) instead of decoding JSON.
type rawAnswer struct {
	header http.Header
	body   []byte
}

// send makes one HTTP round trip; out says what the caller will read.
func (c *Connector) send(ctx context.Context, sess session, method, path string, payload []byte, out any) (int, http.Header, []byte, error) {
	u := path
	if !strings.HasPrefix(path, "/services/") {
		u = "/services/data/" + c.cfg.APIVersion + path
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, sess.instanceURL+u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+sess.token)
	if _, ok := out.(*rawAnswer); ok {
		req.Header.Set("Accept", "text/csv")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("Sforce-Query-Options", "batchSize="+strconv.Itoa(c.cfg.PageSize))
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	c.readLimitInfo(resp.Header.Get("Sforce-Limit-Info"))
	return resp.StatusCode, resp.Header, raw, nil
}

// readLimitInfo keeps Sforce-Limit-Info: api-usage=N/M.
func (c *Connector) readLimitInfo(h string) {
	for part := range strings.SplitSeq(h, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "api-usage=")
		if !ok {
			continue
		}
		n, m, ok := strings.Cut(v, "/")
		used, err1 := strconv.Atoi(n)
		limit, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil {
			return
		}
		c.mu.Lock()
		c.usage = [2]int{used, limit}
		c.mu.Unlock()
	}
}

// decodeError reads a REST error answer.
func decodeError(status int, raw []byte) *APIError {
	var errs []APIError
	if json.Unmarshal(raw, &errs) == nil && len(errs) > 0 {
		e := errs[0]
		e.Status = status
		return &e
	}
	return &APIError{Status: status, ErrorCode: http.StatusText(status)}
}

func retryable(status int, e *APIError) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || e.Code() == "REQUEST_LIMIT_EXCEEDED"
}

// ConnectionConfig is the Config JSON of a Salesforce connection: its
// non-secret settings.
type ConnectionConfig struct {
	BaseURL         string              `json:"base_url"`
	APIVersion      string              `json:"api_version,omitempty"`
	PageSize        int                 `json:"page_size,omitempty"`
	MaxRetries      int                 `json:"max_retries,omitempty"`
	ExternalIDField string              `json:"external_id_field,omitempty"`
	Fields          map[string][]string `json:"fields,omitempty"`
	Budget          int                 `json:"budget,omitempty"`
	JWTAudience     string              `json:"jwt_audience,omitempty"`
	BulkThreshold   int                 `json:"bulk_threshold,omitempty"`
	BulkPageSize    int                 `json:"bulk_page_size,omitempty"`
}

// ConnectionCredentials is the Credentials JSON of a Salesforce
// connection: its secrets.
type ConnectionCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Username     string `json:"username,omitempty"`
	Password     string `json:"password,omitempty"`
	// PrivateKey is the PEM RSA key of the JWT bearer flow.
	PrivateKey string `json:"private_key,omitempty"`
}

// Factory builds the connector of a store.Connection: settings from its
// Config JSON, secrets from its Credentials JSON. A rotated refresh token
// lives in the process only; StoreFactory writes it back.
func Factory(_ context.Context, c store.Connection) (connector.Connector, error) {
	cfg, err := connectionConfig(c)
	if err != nil {
		return nil, err
	}
	conn, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("salesforce: connection %s: %w", c.ID, err)
	}
	return conn, nil
}

// connectionConfig reads a connection's Config and Credentials JSON.
func connectionConfig(c store.Connection) (Config, error) {
	var cc ConnectionConfig
	if len(c.Config) > 0 {
		if err := json.Unmarshal(c.Config, &cc); err != nil {
			return Config{}, fmt.Errorf("salesforce: connection %s: config: %w", c.ID, err)
		}
	}
	var cr ConnectionCredentials
	if len(c.Credentials) > 0 {
		if err := json.Unmarshal(c.Credentials, &cr); err != nil {
			// The JSON error could quote the secret: leave it out.
			return Config{}, fmt.Errorf("salesforce: connection %s: credentials are not valid JSON", c.ID)
		}
	}
	cfg := Config{BaseURL: cc.BaseURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret,
		Username: cr.Username, Password: cr.Password, RefreshToken: cr.RefreshToken,
		APIVersion: cc.APIVersion, PageSize: cc.PageSize, MaxRetries: cc.MaxRetries,
		ExternalIDField: cc.ExternalIDField, Fields: cc.Fields, Budget: cc.Budget,
		JWTAudience: cc.JWTAudience, BulkThreshold: cc.BulkThreshold, BulkPageSize: cc.BulkPageSize}
	if cr.PrivateKey != "" {
		k, err := ParsePrivateKey(cr.PrivateKey)
		if err != nil {
			return Config{}, fmt.Errorf("salesforce: connection %s: credentials: %w", c.ID, err)
		}
		cfg.PrivateKey = k
	}
	return cfg, nil
}

// isCode reports whether err is an APIError with one of codes.
func isCode(err error, codes ...string) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	for _, code := range codes {
		if e.Code() == code {
			return true
		}
	}
	return false
}
