package salesforce

import (
	"bytes"
	"compress/gzip"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config sets up a sandbox org. The zero value is a working org with one
// user; every field states its default.
type Config struct {
	// APIVersion is the newest API version served, without the "v":
	// "66.0" (Spring '26) by default. /services/data lists, and paths
	// accept, every version from OldestAPIVersion up to it; others answer
	// 404 NOT_FOUND as in Salesforce.
	APIVersion string
	// OldestAPIVersion is the oldest version served: "50.0" by default.
	OldestAPIVersion string
	// PageSize is the most records one query page holds: 2000 by default,
	// as in Salesforce, and at most 2000. A client may ask for smaller
	// pages (200 or more) with the Sforce-Query-Options: batchSize=N header.
	PageSize int
	// BulkPageSize is the most rows one Bulk API 2.0 results request
	// answers when the client sets no maxRecords: 50,000 by default.
	BulkPageSize int
	// BulkPolls is how many job-status requests a Bulk API 2.0 job answers
	// InProgress before JobComplete: 1 by default; negative completes jobs
	// at once.
	BulkPolls int
	// DailyAPIRequests is the org's rolling 24-hour API allowance
	// (DailyApiRequests.Max in /limits, the M in Sforce-Limit-Info:
	// api-usage=N/M): 100,000 by default. A call beyond it answers 403
	// REQUEST_LIMIT_EXCEEDED.
	DailyAPIRequests int
	// ClientID and ClientSecret are the connected app's consumer key and
	// secret: "3MVG9sandbox.crmsync.consumer.key" and "sandbox-consumer-secret"
	// by default.
	ClientID     string
	ClientSecret string
	// RedirectURIs are the callback URLs the connected app allows in the
	// web-server flow; empty allows any.
	RedirectURIs []string
	// JWTPublicKey verifies JWT bearer assertions (the key of the
	// certificate uploaded to the connected app). Nil refuses the flow.
	JWTPublicKey *rsa.PublicKey
	// Users are the org's users who may log in; each becomes a User record.
	// Default: one System Administrator, admin@crmsync.sandbox with
	// password "sandbox-password" and security token "SANDBOXTOKEN".
	Users []UserConfig
	// IntegrationUser is the username the client-credentials flow runs as:
	// the first of Users by default.
	IntegrationUser string
	// AccessTokenTTL is how long an access token lives: 2 hours by default,
	// Salesforce's default session timeout.
	AccessTokenTTL time.Duration
	// RotateRefreshTokens turns on refresh token rotation, as a connected
	// app may: each refresh_token grant answers a new refresh token and
	// invalidates the one it used. Off by default.
	RotateRefreshTokens bool
	// RefreshTokenTTL is how long a refresh token lives: zero, the default,
	// keeps it until revoked.
	RefreshTokenTTL time.Duration
	// OrgID is the org's 18-character id (00D...): a fixed id by default.
	OrgID string
	// InstanceURL is the base URL reported as instance_url and in identity
	// URLs. Empty, the default, uses the scheme and Host of each request.
	InstanceURL string
	// CustomFields adds custom fields (name ending in __c) to objects at
	// start, keyed by object name.
	CustomFields map[string][]Field
	// Seed generates records at start and after each reset; the zero value
	// generates none.
	Seed SeedConfig
	// Faults are the fault switches in effect at start: none by default.
	Faults Faults
	// FaultSeed seeds the random draws of the fault switches: 1 by default.
	FaultSeed uint64
	// QueryCursorTTL is how long an unused query cursor (nextRecordsUrl)
	// lives: 15 minutes by default, as in Salesforce.
	QueryCursorTTL time.Duration
	// DeletedRetention is how long deleted records stay in the recycle bin,
	// visible to queryAll and getDeleted: 15 days by default.
	DeletedRetention time.Duration
	// UpdatedRetention is how far back getUpdated reaches: 30 days by
	// default.
	UpdatedRetention time.Duration
	// MaxReplicationIDs caps the ids getUpdated and getDeleted return before
	// answering EXCEEDED_ID_LIMIT: 600,000 by default.
	MaxReplicationIDs int
	// Clock tells the time: time.Now by default. Every timestamp the
	// sandbox writes and every expiry it checks reads it.
	Clock func() time.Time
	// Logger receives one debug line per request: discarded by default.
	Logger *slog.Logger
}

// UserConfig is a user who may log in through OAuth.
type UserConfig struct {
	// Username looks like an email address and is unique in the org.
	Username string
	// Password logs in alone or followed by SecurityToken, as Salesforce
	// accepts from trusted and untrusted networks.
	Password      string
	SecurityToken string
	// FirstName and LastName name the User record; LastName defaults to
	// the username's local part.
	FirstName string
	LastName  string
	// Email defaults to the username.
	Email string
	// Profile names the user's profile: "System Administrator" by default.
	Profile string
	// TimeZone is a TimeZoneSidKey: "America/Los_Angeles" by default.
	TimeZone string
}

// Default connected-app credentials and user.
const (
	DefaultClientID      = "3MVG9sandbox.crmsync.consumer.key"
	DefaultClientSecret  = "sandbox-consumer-secret"
	DefaultUsername      = "admin@crmsync.sandbox"
	DefaultPassword      = "sandbox-password"
	DefaultSecurityToken = "SANDBOXTOKEN"
)

var versionPattern = regexp.MustCompile(`^[1-9][0-9]\.0$`)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.APIVersion == "" {
		c.APIVersion = "66.0"
	}
	if c.OldestAPIVersion == "" {
		c.OldestAPIVersion = "50.0"
	}
	if c.PageSize == 0 {
		c.PageSize = 2000
	}
	if c.BulkPageSize == 0 {
		c.BulkPageSize = 50000
	}
	if c.BulkPolls == 0 {
		c.BulkPolls = 1
	}
	if c.DailyAPIRequests == 0 {
		c.DailyAPIRequests = 100000
	}
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.ClientSecret == "" {
		c.ClientSecret = DefaultClientSecret
	}
	if len(c.Users) == 0 {
		c.Users = []UserConfig{{Username: DefaultUsername, Password: DefaultPassword, SecurityToken: DefaultSecurityToken,
			FirstName: "Sandbox", LastName: "Admin"}}
	}
	c.Users = slices.Clone(c.Users)
	for i := range c.Users {
		u := &c.Users[i]
		if u.Email == "" {
			u.Email = u.Username
		}
		if u.Profile == "" {
			u.Profile = "System Administrator"
		}
		if u.TimeZone == "" {
			u.TimeZone = "America/Los_Angeles"
		}
		if u.LastName == "" {
			u.LastName = strings.Split(u.Username, "@")[0]
		}
	}
	if c.IntegrationUser == "" {
		c.IntegrationUser = c.Users[0].Username
	}
	if c.AccessTokenTTL == 0 {
		c.AccessTokenTTL = 2 * time.Hour
	}
	if c.OrgID == "" {
		c.OrgID = makeID("00D", 1)
	}
	if c.FaultSeed == 0 {
		c.FaultSeed = 1
	}
	if c.QueryCursorTTL == 0 {
		c.QueryCursorTTL = 15 * time.Minute
	}
	if c.DeletedRetention == 0 {
		c.DeletedRetention = 15 * 24 * time.Hour
	}
	if c.UpdatedRetention == 0 {
		c.UpdatedRetention = 30 * 24 * time.Hour
	}
	if c.MaxReplicationIDs == 0 {
		c.MaxReplicationIDs = 600000
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.InstanceURL = strings.TrimRight(c.InstanceURL, "/")
	return c
}

// Validate reports every setting that is out of range, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !versionPattern.MatchString(c.APIVersion) || !versionPattern.MatchString(c.OldestAPIVersion) {
		bad("salesforce sandbox: API versions look like 62.0: got %q and %q", c.OldestAPIVersion, c.APIVersion)
	} else if versionNumber(c.OldestAPIVersion) > versionNumber(c.APIVersion) {
		bad("salesforce sandbox: OldestAPIVersion %s is newer than APIVersion %s", c.OldestAPIVersion, c.APIVersion)
	}
	if c.PageSize < 1 || c.PageSize > 2000 {
		bad("salesforce sandbox: PageSize %d out of range 1..2000", c.PageSize)
	}
	if c.BulkPageSize < 1 {
		bad("salesforce sandbox: BulkPageSize %d must be positive", c.BulkPageSize)
	}
	if c.DailyAPIRequests < 1 {
		bad("salesforce sandbox: DailyAPIRequests %d must be positive", c.DailyAPIRequests)
	}
	if id, ok := normalizeID(c.OrgID); !ok || idPrefix(id) != "00D" {
		bad("salesforce sandbox: OrgID %q is not an org id (00D...)", c.OrgID)
	}
	seen := map[string]bool{}
	for _, u := range c.Users {
		if u.Username == "" || !strings.Contains(u.Username, "@") {
			bad("salesforce sandbox: username %q must look like an email address", u.Username)
		}
		if seen[strings.ToLower(u.Username)] {
			bad("salesforce sandbox: username %q appears twice", u.Username)
		}
		seen[strings.ToLower(u.Username)] = true
		if u.Password == "" {
			bad("salesforce sandbox: user %s has no password", u.Username)
		}
		if !slices.Contains(timeZoneValues, u.TimeZone) {
			bad("salesforce sandbox: user %s: time zone %q is not one of %s", u.Username, u.TimeZone, strings.Join(timeZoneValues, ", "))
		}
		if !slices.Contains(profileNames, u.Profile) {
			bad("salesforce sandbox: user %s: profile %q is not one of %s", u.Username, u.Profile, strings.Join(profileNames, ", "))
		}
	}
	if !seen[strings.ToLower(c.IntegrationUser)] {
		bad("salesforce sandbox: IntegrationUser %q is not one of Users", c.IntegrationUser)
	}
	if c.AccessTokenTTL < 0 || c.RefreshTokenTTL < 0 {
		bad("salesforce sandbox: token lifetimes must not be negative")
	}
	if err := c.Seed.validate(); err != nil {
		bad("salesforce sandbox: seed: %w", err)
	}
	if err := c.Faults.validate(); err != nil {
		bad("salesforce sandbox: faults: %w", err)
	}
	if c.InstanceURL != "" && !strings.HasPrefix(c.InstanceURL, "http://") && !strings.HasPrefix(c.InstanceURL, "https://") {
		bad("salesforce sandbox: InstanceURL %q must start with http:// or https://", c.InstanceURL)
	}
	return errors.Join(errs...)
}

func versionNumber(v string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(v, ".0"))
	return n
}

// Server is a Salesforce org in memory, answering Salesforce's REST, OAuth
// and Bulk API 2.0 wire formats, plus the /__sandbox/ admin surface. It is
// an http.Handler: serve it with httptest.NewServer or http.Server.
type Server struct {
	cfg Config
	log *slog.Logger

	st *store

	mu       sync.Mutex // guards everything below
	offset   time.Duration
	auth     authState
	cursors  map[string]*cursor
	cursorN  uint64
	jobs     map[string]*bulkJob
	jobOrder []string
	jobN     uint64
	usage    apiUsage
	faults   Faults
	rng      *rand.Rand
}

// New builds a sandbox org from cfg. It panics when cfg.Validate reports an
// error; call Validate first for settings from outside the program.
func New(cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("salesforce sandbox: invalid config: %v", err))
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, faults: cfg.Faults,
		rng: rand.New(rand.NewPCG(cfg.FaultSeed, cfg.FaultSeed^0x9e3779b97f4a7c15))}
	if err := s.reset(); err != nil {
		panic(fmt.Sprintf("salesforce sandbox: %v", err))
	}
	return s
}

// Config returns the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// now is the sandbox's clock: Config.Clock plus any admin advance.
func (s *Server) now() time.Time {
	s.mu.Lock()
	off := s.offset
	s.mu.Unlock()
	return s.cfg.Clock().Add(off).UTC()
}

// reset empties the org and builds it again from the configuration:
// profiles, users, custom fields and seed data. Tokens, cursors and jobs
// are dropped.
func (s *Server) reset() error {
	st := newStore()
	st.mu.Lock()
	err := seedOrg(st, s.cfg, writer{now: s.now(), admin: true})
	st.mu.Unlock()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.st = st
	s.auth = newAuthState()
	s.cursors = map[string]*cursor{}
	s.jobs = map[string]*bulkJob{}
	s.jobOrder = nil
	s.usage = apiUsage{}
	s.mu.Unlock()
	if s.cfg.Seed.total() > 0 {
		if _, err := s.generate(s.cfg.Seed); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}

// store returns the current store (reset swaps it).
func (s *Server) store() *store {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	defer func() {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "salesforce sandbox: request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("took", time.Since(start)))
	}()
	if r.Header.Get("Content-Encoding") == "gzip" && r.Body != nil {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			writeErrors(rec, r, &apiError{status: 400, code: "JSON_PARSER_ERROR", message: "request body is not valid gzip"})
			return
		}
		r.Body = zr
	}
	path := r.URL.Path
	switch {
	case path == "/services/data" || path == "/services/data/":
		if !s.latency(r) {
			return
		}
		s.serveVersions(rec, r)
	case strings.HasPrefix(path, "/services/data/"):
		s.serveAPI(rec, r)
	case strings.HasPrefix(path, "/services/oauth2/"):
		if !s.latency(r) {
			return
		}
		s.serveOAuth(rec, r)
	case strings.HasPrefix(path, "/id/"):
		s.serveIdentity(rec, r)
	case path == "/__sandbox" || strings.HasPrefix(path, "/__sandbox/"):
		s.serveAdmin(rec, r)
	default:
		writeErrors(rec, r, errNotFound())
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

func errNotFound() *apiError {
	return errorf(404, "NOT_FOUND", "The requested resource does not exist")
}

// call is one authenticated REST request.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	version string   // "62.0"
	segs    []string // path segments after /services/data/vXX.X/
	user    string   // the session's user id
	st      *store
}

// base is the versioned path prefix, /services/data/vXX.X.
func (c *call) base() string { return "/services/data/v" + c.version }

// serveAPI authenticates, applies faults and the API allowance, and
// dispatches a /services/data/vXX.X/ request.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/services/data/")
	vseg, rest, _ := strings.Cut(rest, "/")
	version := strings.TrimPrefix(vseg, "v")
	if !strings.HasPrefix(vseg, "v") || !versionPattern.MatchString(version) ||
		versionNumber(version) < versionNumber(s.cfg.OldestAPIVersion) || versionNumber(version) > versionNumber(s.cfg.APIVersion) {
		writeErrors(w, r, errNotFound())
		return
	}
	if !s.latency(r) {
		return
	}
	used, limit := s.APIUsage()
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", used, limit))
	sess, aerr := s.authenticate(r)
	if aerr != nil {
		w.Header().Set("WWW-Authenticate", "Token")
		writeErrors(w, r, aerr)
		return
	}
	if s.injectFault(w, r) {
		return
	}
	used, limit, ok := s.countCall()
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", used, limit))
	if !ok {
		writeErrors(w, r, errorf(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
		return
	}
	segs := pathSegments(rest)
	if r.Method == http.MethodPost && strings.EqualFold(r.URL.Query().Get("_HttpMethod"), "PATCH") {
		r.Method = http.MethodPatch // the override for clients that cannot send PATCH
	}
	c := &call{w: w, r: r, version: version, segs: segs, user: sess.userID, st: s.store()}
	if s.loseResponse() {
		// The work happens; the answer is lost on the way back.
		s.dispatch(&call{w: discardWriter{h: http.Header{}}, r: r, version: version, segs: segs, user: sess.userID, st: c.st})
		writeErrors(w, r, errorf(503, "SERVER_UNAVAILABLE", "Service temporarily unavailable; the request may or may not have been processed"))
		return
	}
	s.dispatch(c)
}

// discardWriter swallows a response whose delivery a fault cancels.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// dispatch routes a REST call by its path segments.
func (s *Server) dispatch(c *call) {
	if len(c.segs) == 0 {
		s.serveResources(c)
		return
	}
	switch c.segs[0] {
	case "sobjects":
		s.serveSObjects(c)
	case "query", "queryAll":
		s.serveQuery(c)
	case "limits":
		if !allow(c, http.MethodGet) {
			return
		}
		s.serveLimits(c)
	case "composite":
		s.serveComposite(c)
	case "jobs":
		s.serveJobs(c)
	default:
		writeErrors(c.w, c.r, errNotFound())
	}
}

// allow answers 405 unless the request uses one of methods (HEAD counts as
// GET).
func allow(c *call, methods ...string) bool {
	m := c.r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	if slices.Contains(methods, m) {
		return true
	}
	writeErrors(c.w, c.r, errorf(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not allowed. Allowed are %s", c.r.Method, strings.Join(methods, ",")))
	return false
}

// releaseName names the release an API version shipped in: 50.0 is
// Winter '21, then Spring, Summer and Winter again, three a year.
func releaseName(v int) string {
	seasons := []string{"Winter", "Spring", "Summer"}
	i := v - 50
	year := 21 + (i+3)/3 - 1
	if i < 0 {
		year = 21 + (i-2)/3
	}
	return fmt.Sprintf("%s '%02d", seasons[((i%3)+3)%3], year)
}

// serveVersions lists the API versions: GET /services/data, no auth.
func (s *Server) serveVersions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeErrors(w, r, errorf(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not allowed. Allowed are GET", r.Method))
		return
	}
	type version struct {
		Label   string `json:"label"`
		URL     string `json:"url"`
		Version string `json:"version"`
	}
	var out []version
	for v := versionNumber(s.cfg.OldestAPIVersion); v <= versionNumber(s.cfg.APIVersion); v++ {
		out = append(out, version{Label: releaseName(v), URL: fmt.Sprintf("/services/data/v%d.0", v), Version: fmt.Sprintf("%d.0", v)})
	}
	writeJSON(w, r, 200, out)
}

// serveResources lists the resources of one version: GET /services/data/vXX.X/.
func (s *Server) serveResources(c *call) {
	if !allow(c, http.MethodGet) {
		return
	}
	out := map[string]string{}
	for _, name := range []string{"sobjects", "query", "queryAll", "limits", "composite", "jobs", "search", "recent", "tooling", "connect", "analytics", "process", "chatter", "actions", "tabs", "theme", "appMenu", "quickActions", "licensing", "parameterizedSearch", "consent"} {
		out[name] = c.base() + "/" + name
	}
	writeJSON(c.w, c.r, 200, out)
}

// apiUsage counts API calls in a rolling 24-hour window.
type apiUsage struct {
	used        int
	windowStart time.Time
}

// countCall counts one API call; ok is false when the allowance is spent.
func (s *Server) countCall() (used, limit int, ok bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usage.windowStart.IsZero() || now.Sub(s.usage.windowStart) >= 24*time.Hour {
		s.usage = apiUsage{windowStart: now}
	}
	limit = s.cfg.DailyAPIRequests
	if s.usage.used >= limit {
		return s.usage.used, limit, false
	}
	s.usage.used++
	return s.usage.used, limit, true
}

// APIUsage reports the API calls counted in the current 24-hour window and
// the allowance, as Sforce-Limit-Info does.
func (s *Server) APIUsage() (used, limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage.used, s.cfg.DailyAPIRequests
}

// SetAPIUsage sets the calls counted in the current window, to test a
// nearly spent or spent allowance.
func (s *Server) SetAPIUsage(used int) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usage.windowStart.IsZero() {
		s.usage.windowStart = now
	}
	s.usage.used = max(0, used)
}

// serveLimits answers GET /limits.
func (s *Server) serveLimits(c *call) {
	used, limit := s.APIUsage()
	s.mu.Lock()
	jobs := len(s.jobs)
	s.mu.Unlock()
	type lim struct {
		Max       int `json:"Max"`
		Remaining int `json:"Remaining"`
	}
	writeJSON(c.w, c.r, 200, map[string]lim{
		"DailyApiRequests":              {limit, max(0, limit-used)},
		"DailyAsyncApexExecutions":      {250000, 250000},
		"DailyBulkApiBatches":           {15000, 15000},
		"DailyBulkV2QueryFileStorageMB": {976562, 976562},
		"DailyBulkV2QueryJobs":          {10000, max(0, 10000-jobs)},
		"DailyStreamingApiEvents":       {1000000, 1000000},
		"DataStorageMB":                 {1024, 1000},
		"FileStorageMB":                 {20480, 20480},
		"HourlyODataCallout":            {10000, 10000},
		"SingleEmail":                   {5000, 5000},
		"MassEmail":                     {5000, 5000},
		"PermissionSets":                {1500, 1500},
	})
}

// Writing answers.

// writeJSON encodes v as the answer, pretty-printed when the client sends
// X-PrettyPrint: 1.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`[{"message":"internal error encoding the answer","errorCode":"UNKNOWN_EXCEPTION"}]`)
		status = 500
	}
	writeRawJSON(w, r, status, b)
}

func writeRawJSON(w http.ResponseWriter, r *http.Request, status int, b []byte) {
	if r.Header.Get("X-PrettyPrint") == "1" {
		var buf bytes.Buffer
		if json.Indent(&buf, b, "", "  ") == nil {
			b = buf.Bytes()
		}
	}
	writeBody(w, r, status, "application/json;charset=UTF-8", b)
}

// writeBody sends a body, gzip-compressed when the client accepts it.
func writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, b []byte) {
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if len(b) > 0 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// wireError is one element of Salesforce's error array.
type wireError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// writeErrors answers [{"message","errorCode","fields"}] with e's status.
func writeErrors(w http.ResponseWriter, r *http.Request, e *apiError) {
	fields := e.fields
	if fields == nil {
		fields = []string{}
	}
	writeJSON(w, r, e.status, []wireError{{Message: e.message, ErrorCode: e.code, Fields: fields}})
}

// readJSON decodes a JSON body into v, numbers kept exact.
func readJSON(r *http.Request, v any) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return errorf(400, "JSON_PARSER_ERROR", "could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(400, "JSON_PARSER_ERROR", "The request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return errorf(400, "JSON_PARSER_ERROR", "%s", jsonErrorMessage(err))
	}
	return nil
}

func jsonErrorMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("Unexpected character at [line:1, column:%d]: %v", se.Offset, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Cannot deserialize instance of %s from %s value", te.Type, te.Value)
	}
	return err.Error()
}

// baseURL is the sandbox's own URL as the client reaches it.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.InstanceURL != "" {
		return s.cfg.InstanceURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}
