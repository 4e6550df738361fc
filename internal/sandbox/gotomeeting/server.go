package gotomeeting

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// BasePath is where GoTo serves the GoTo Meeting REST API.
const BasePath = "/G2M/rest"

// Default OAuth client and organizer.
const (
	DefaultClientID     = "sandbox-goto-client-id"
	DefaultClientSecret = "sandbox-goto-client-secret"
	DefaultOrganizerKey = 8439885694023999999
	DefaultAccountKey   = 5999982253621659654
	DefaultEmail        = "organizer@goto.sandbox"
)

// Config sets up a sandbox account. The zero value is a working account with
// one organizer; every field states its default.
type Config struct {
	// ClientID and ClientSecret are the OAuth client's credentials:
	// DefaultClientID and DefaultClientSecret by default.
	ClientID, ClientSecret string
	// RedirectURIs are the callback URLs the OAuth client allows; empty
	// allows any.
	RedirectURIs []string
	// Organizers may sign in and own meetings: by default one, organizer
	// DefaultOrganizerKey, DefaultEmail, "Sandbox Organizer".
	Organizers []Organizer
	// AccountKey is the company account's key: DefaultAccountKey by default.
	AccountKey int64
	// AccessTokenTTL is how long an access token lives: 60 minutes by
	// default, as GoTo documents.
	AccessTokenTTL time.Duration
	// CodeTTL is how long an authorization code may wait to be exchanged:
	// 10 minutes by default.
	CodeTTL time.Duration
	// RateLimit is how many API requests a second one OAuth client may
	// make: 10 by default, GoTo's default limit; negative turns it off.
	RateLimit int
	// MaxParticipants is the maxParticipants of every meeting: 250 by
	// default.
	MaxParticipants int
	// Faults are the fault switches in effect at start: none by default.
	Faults Faults
	// FaultSeed seeds the random draws of the fault switches and ids: 1 by
	// default.
	FaultSeed uint64
	// BaseURL is the base URL join and host URLs are built on. Empty, the
	// default, uses the scheme and Host of each request.
	BaseURL string
	// Clock tells the time: time.Now by default. Every timestamp the sandbox
	// writes and every expiry it checks reads it.
	Clock func() time.Time
	// Logger receives one debug line per request: discarded by default.
	Logger *slog.Logger
}

// Organizer is a GoTo Meeting user who may sign in and host meetings.
type Organizer struct {
	// Key is the organizerKey, a positive integer of up to 19 digits.
	Key int64 `json:"organizerKey"`
	// Email is unique in the account.
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	// Admin may read every organizer's data (the admin role).
	Admin bool `json:"admin,omitempty"`
	// GroupName is the organizer's group: "Default" by default.
	GroupName string `json:"groupName,omitempty"`
	// Locale is the organizer's portal language: "en_US" by default.
	Locale string `json:"locale,omitempty"`
}

func (c Config) withDefaults() Config {
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.ClientSecret == "" {
		c.ClientSecret = DefaultClientSecret
	}
	if len(c.Organizers) == 0 {
		c.Organizers = []Organizer{{Key: DefaultOrganizerKey, Email: DefaultEmail, FirstName: "Sandbox", LastName: "Organizer"}}
	}
	orgs := make([]Organizer, len(c.Organizers))
	copy(orgs, c.Organizers)
	for i := range orgs {
		if orgs[i].GroupName == "" {
			orgs[i].GroupName = "Default"
		}
		if orgs[i].Locale == "" {
			orgs[i].Locale = "en_US"
		}
	}
	c.Organizers = orgs
	if c.AccountKey == 0 {
		c.AccountKey = DefaultAccountKey
	}
	if c.AccessTokenTTL == 0 {
		c.AccessTokenTTL = time.Hour
	}
	if c.CodeTTL == 0 {
		c.CodeTTL = 10 * time.Minute
	}
	if c.RateLimit == 0 {
		c.RateLimit = 10
	}
	if c.MaxParticipants == 0 {
		c.MaxParticipants = 250
	}
	if c.FaultSeed == 0 {
		c.FaultSeed = 1
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

// Validate reports every setting that is out of range, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	keys, emails := map[int64]bool{}, map[string]bool{}
	for _, o := range c.Organizers {
		if o.Key <= 0 {
			bad("gotomeeting sandbox: organizer %q: key %d must be positive", o.Email, o.Key)
		}
		if !strings.Contains(o.Email, "@") {
			bad("gotomeeting sandbox: organizer email %q must look like an email address", o.Email)
		}
		if keys[o.Key] || emails[strings.ToLower(o.Email)] {
			bad("gotomeeting sandbox: organizer %q (%d) appears twice", o.Email, o.Key)
		}
		keys[o.Key], emails[strings.ToLower(o.Email)] = true, true
	}
	if c.AccessTokenTTL < 0 || c.CodeTTL < 0 {
		bad("gotomeeting sandbox: token lifetimes must not be negative")
	}
	if c.MaxParticipants < 1 {
		bad("gotomeeting sandbox: MaxParticipants %d must be positive", c.MaxParticipants)
	}
	if err := c.Faults.validate(); err != nil {
		bad("gotomeeting sandbox: faults: %w", err)
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		bad("gotomeeting sandbox: BaseURL %q must start with http:// or https://", c.BaseURL)
	}
	return errors.Join(errs...)
}

// Server is a GoTo Meeting account in memory, answering GoTo's REST and
// OAuth wire formats, plus the /__sandbox/ admin surface. It is an
// http.Handler: serve it with httptest.NewServer or http.Server.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux

	mu     sync.Mutex // guards everything below
	offset time.Duration
	st     *store
	auth   authState
	faults Faults
	rng    *rand.Rand
	bucket map[string]*bucket
	calls  int
}

// New builds a sandbox account from cfg. It panics when cfg.Validate reports
// an error; call Validate first for settings from outside the program.
func New(cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("gotomeeting sandbox: invalid config: %v", err))
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, faults: cfg.Faults}
	s.resetLocked()
	s.routes()
	return s
}

// Config returns the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Calls returns how many API requests (not OAuth, not admin) reached the
// sandbox, refused or not.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Reset empties the account: meetings, sessions, tokens, faults back to
// the configured ones, clock back to Config.Clock.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.offset = 0
	s.st = newStore()
	s.auth = newAuthState()
	s.faults = s.cfg.Faults
	s.rng = rand.New(rand.NewPCG(s.cfg.FaultSeed, s.cfg.FaultSeed^0x9e3779b97f4a7c15))
	s.bucket = map[string]*bucket{}
	s.calls = 0
}

// now is the sandbox's clock: Config.Clock plus any admin advance.
func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time {
	return s.cfg.Clock().Add(s.offset).UTC().Truncate(time.Second)
}

// Advance moves the sandbox's clock forward by d (backward when negative).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// Now returns the sandbox's time.
func (s *Server) Now() time.Time { return s.now() }

func (s *Server) organizer(key int64) (Organizer, bool) {
	for _, o := range s.cfg.Organizers {
		if o.Key == key {
			return o, true
		}
	}
	return Organizer{}, false
}

func (s *Server) organizerByEmail(email string) (Organizer, bool) {
	for _, o := range s.cfg.Organizers {
		if strings.EqualFold(o.Email, email) {
			return o, true
		}
	}
	return Organizer{}, false
}

// routes registers every path; API paths go through s.api, which
// authenticates and applies faults and the rate limit.
func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /oauth/authorize", s.serveAuthorize)
	m.HandleFunc("POST /oauth/token", s.serveToken)

	m.HandleFunc("POST "+BasePath+"/meetings", s.api(s.createMeeting))
	m.HandleFunc("GET "+BasePath+"/meetings/{meetingId}", s.api(s.getMeeting))
	m.HandleFunc("PUT "+BasePath+"/meetings/{meetingId}", s.api(s.updateMeeting))
	m.HandleFunc("DELETE "+BasePath+"/meetings/{meetingId}", s.api(s.deleteMeeting))
	m.HandleFunc("GET "+BasePath+"/meetings/{meetingId}/start", s.api(s.startMeeting))
	m.HandleFunc("GET "+BasePath+"/meetings/{meetingId}/attendees", s.api(s.meetingAttendees))
	m.HandleFunc("GET "+BasePath+"/historicalMeetings", s.api(s.historicalMeetings))
	m.HandleFunc("GET "+BasePath+"/upcomingMeetings", s.api(s.upcomingMeetings))
	m.HandleFunc("GET "+BasePath+"/organizers/{organizerKey}/historicalMeetings", s.api(s.historicalMeetings))
	m.HandleFunc("GET "+BasePath+"/organizers/{organizerKey}/upcomingMeetings", s.api(s.upcomingMeetings))
	m.HandleFunc("GET "+BasePath+"/organizers/{organizerKey}/attendees", s.api(s.organizerAttendees))
	m.HandleFunc(BasePath+"/", s.api(func(w http.ResponseWriter, r *http.Request, _ Organizer) {
		writeError(w, http.StatusNotFound, "NotFound", "The requested resource was not found")
	}))

	m.HandleFunc("GET /join/{meetingId}", s.serveJoinPage)
	m.HandleFunc("GET /start/{meetingId}", s.serveJoinPage)
	m.HandleFunc("/__sandbox/", s.serveAdmin)
	m.HandleFunc("/__sandbox", s.serveAdmin)
	s.mux = m
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "gotomeeting sandbox: request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path))
	s.mux.ServeHTTP(w, r)
}

// api wraps an API handler: latency, the rate limit, injected faults and
// the bearer token, in the order GoTo's gateway applies them.
func (s *Server) api(h func(http.ResponseWriter, *http.Request, Organizer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls++
		s.mu.Unlock()
		if !s.latency(r) {
			return
		}
		if s.injectFault(w) {
			return
		}
		org, client, ok := s.authenticate(r)
		if !ok {
			writeError(w, http.StatusForbidden, "InvalidToken", "Invalid token passed")
			return
		}
		if !s.allow(client) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("x-amzn-ErrorType", "TooManyRequestsException")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Requests"})
			return
		}
		h(w, r, org)
	}
}

// baseURL is where clients reach the sandbox.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// apiError is GoTo's error body.
type apiError struct {
	Code    string `json:"int_err_code"`
	Message string `json:"msg"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"int_err_code":"InternalServerError","msg":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// serveJoinPage stands in for the page a join or host URL opens.
func (s *Server) serveJoinPage(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(r.PathValue("meetingId"))
	s.mu.Lock()
	m := s.st.meetings[id]
	s.mu.Unlock()
	if !ok || m == nil {
		http.Error(w, "This meeting does not exist.", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "GoTo Meeting sandbox: meeting %s %q. Hold a session with POST /__sandbox/meetings/%d/sessions.\n",
		formatMeetingID(id), m.Subject, id)
}
