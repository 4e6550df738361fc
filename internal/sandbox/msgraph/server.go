package msgraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config sets up a sandbox tenant. The zero value is a working tenant;
// every field states its default.
type Config struct {
	// TenantID is the directory (tenant) id the token endpoint is
	// reached under, /{TenantID}/oauth2/v2.0/token: DefaultTenantID by
	// default. The tenant's Domain and "common" and "organizations" are
	// accepted there too.
	TenantID string
	// Domain names the users: DefaultDomain by default.
	Domain string
	// ClientID and ClientSecret are the app registration's credentials:
	// DefaultClientID and DefaultClientSecret by default.
	ClientID     string
	ClientSecret string
	// TokenTTL is how long an access token lives: 3599 s by default.
	TokenTTL time.Duration
	// PageSize is the page size of a listing that asks for none ($top, or
	// Prefer: odata.maxpagesize for delta): 10 by default, as in Graph;
	// at most 1000 either way.
	PageSize int
	// Seed is the data the tenant starts with (and gets again on reset).
	Seed SeedConfig
	// Faults are the fault switches in effect at start: none by default.
	Faults Faults
	// Clock tells the time: time.Now by default.
	Clock func() time.Time
	// Logger receives one debug line per request: discarded by default.
	Logger *slog.Logger
}

// Default tenant and app credentials: the sandbox's own throwaway values.
const (
	DefaultTenantID     = "5b0c1e2a-0000-4000-8000-5a4db0c5e000"
	DefaultDomain       = "crmsync.sandbox"
	DefaultClientID     = "0d5e7a3c-sbx0-4c1e-9a6f-crmsync00001"
	DefaultClientSecret = "sbx~graph-client-secret"
)

func (c Config) withDefaults() Config {
	if c.TenantID == "" {
		c.TenantID = DefaultTenantID
	}
	if c.Domain == "" {
		c.Domain = DefaultDomain
	}
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.ClientSecret == "" {
		c.ClientSecret = DefaultClientSecret
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 3599 * time.Second
	}
	if c.PageSize == 0 {
		c.PageSize = 10
	}
	c.Seed = c.Seed.withDefaults()
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every setting out of range, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.TokenTTL < 0 {
		errs = append(errs, errors.New("msgraph sandbox: TokenTTL must not be negative"))
	}
	if c.PageSize < 1 || c.PageSize > 1000 {
		errs = append(errs, fmt.Errorf("msgraph sandbox: PageSize %d out of range 1..1000", c.PageSize))
	}
	if strings.ContainsAny(c.TenantID, "/?# ") || strings.ContainsAny(c.Domain, "/?#@ ") {
		errs = append(errs, errors.New("msgraph sandbox: TenantID and Domain must be single path segments"))
	}
	if err := c.Seed.validate(); err != nil {
		errs = append(errs, fmt.Errorf("msgraph sandbox: seed: %w", err))
	}
	if err := c.Faults.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("msgraph sandbox: faults: %w", err))
	}
	return errors.Join(errs...)
}

// Server is a Graph tenant in memory: the token endpoint, the v1.0 API
// and the /__sandbox/ admin surface. It is an http.Handler.
type Server struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex // guards everything below
	seedCfg  SeedConfig
	st       *store
	tokens   map[string]token  // access token → whose, until when
	refresh  map[string]string // refresh token → user id
	codes    map[string]string // authorization code → user id
	faults   Faults
	rng      *rand.Rand
	requests int
}

// New builds a sandbox tenant from cfg. It panics when cfg.Validate
// reports an error; call Validate first for settings from outside.
func New(cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("msgraph sandbox: invalid config: %v", err))
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, faults: cfg.Faults, seedCfg: cfg.Seed}
	s.resetLocked()
	return s
}

// Config returns the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Reset builds the tenant again from its seed; tokens are dropped.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

// Seed replaces the tenant with one seeded from c.
func (s *Server) Seed(c SeedConfig) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("msgraph sandbox: seed: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seedCfg = c.withDefaults()
	s.resetLocked()
	return nil
}

func (s *Server) resetLocked() {
	s.rng = rand.New(rand.NewPCG(s.seedCfg.Seed, s.seedCfg.Seed^0x5bd1e995))
	s.st = newStore()
	s.tokens = map[string]token{}
	s.refresh = map[string]string{}
	s.codes = map[string]string{}
	s.st.seed(s.seedCfg, s.cfg.Domain, s.nowLocked())
}

func (s *Server) nowLocked() time.Time { return s.cfg.Clock().UTC().Truncate(time.Second) }

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	defer func() {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "msgraph sandbox: request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("took", time.Since(start)))
	}()
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/oauth2/v2.0/token"):
		if !s.latency(r) {
			return
		}
		s.serveToken(rec, r, strings.Trim(strings.TrimSuffix(p, "/oauth2/v2.0/token"), "/"))
	case strings.HasPrefix(p, "/v1.0/"):
		s.serveAPI(rec, r, strings.TrimPrefix(p, "/v1.0/"))
	case p == "/__sandbox" || strings.HasPrefix(p, "/__sandbox/"):
		s.serveAdmin(rec, r)
	default:
		writeError(rec, notFound("Resource not found for the segment '"+strings.Trim(p, "/")+"'."))
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// apiError is an error answer in Graph's shape.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{status: 400, code: code, message: fmt.Sprintf(format, args...)}
}

func notFound(msg string) *apiError {
	return &apiError{status: 404, code: "ErrorItemNotFound", message: msg}
}

func itemNotFound() *apiError {
	return notFound("The specified object was not found in the store.")
}

var errAccessDenied = &apiError{status: 403, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again."}

func writeError(w http.ResponseWriter, e *apiError) {
	now := time.Now().UTC().Format("2006-01-02T15:04:05")
	writeJSON(w, e.status, graphError{Error: graphErrorBody{Code: e.code, Message: e.message,
		InnerError: innerError{Date: now, RequestID: "00000000-0000-4000-8000-sandbox00000"}}})
}

// writeJSON encodes v as the answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // links keep their & as Graph writes them
	var b []byte
	if err := enc.Encode(v); err != nil {
		b, status = []byte(`{"error":{"code":"InternalServerError","message":"encoding the answer failed"}}`), 500
	} else {
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// baseURL is the sandbox's own URL as the client reaches it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
