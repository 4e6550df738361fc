package zoom

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
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/backoff"
)

// Config configures a Client. Every field states its default.
type Config struct {
	// BaseURL is the API's base: "https://api.zoom.us/v2" by default.
	BaseURL string
	// TokenURL is the OAuth token endpoint: "https://zoom.us/oauth/token"
	// by default.
	TokenURL string
	// AccountID, ClientID and ClientSecret are the Server-to-Server OAuth
	// app's credentials. Required.
	AccountID, ClientID, ClientSecret string
	// HTTPClient sends the requests: a client with a 30 s timeout by
	// default.
	HTTPClient *http.Client
	// Now tells the time (token expiry): time.Now by default.
	Now func() time.Time
	// Sleep waits between retries: a timer honouring ctx by default.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetries is how many times a refused call is retried: 5 by default.
	MaxRetries int
	// MaxWait is the longest Retry-After waited in-process; a longer one
	// (a spent daily limit) answers *connector.RetryError at once: 1 min by
	// default.
	MaxWait time.Duration
	// PageSize is the page size of listings, at most 300: 300 by default.
	PageSize int
	// Logger receives a debug line per call and a warning per retry:
	// discarded by default.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultBaseURL    = "https://api.zoom.us/v2"
	DefaultTokenURL   = "https://zoom.us/oauth/token"
	DefaultMaxRetries = 5
	DefaultPageSize   = 300
)

// Client is a Zoom account over the API v2. It is safe for concurrent use.
type Client struct {
	cfg    Config
	tokens *tokenCache

	mu     sync.Mutex
	wait   *backoff.Policy
	calls  int
	limits RateLimit
}

// RateLimit is what the last answer's X-RateLimit-* headers said.
type RateLimit struct {
	Category  string
	Limit     int
	Remaining int
}

// New checks cfg and returns a client; it makes no call yet.
func New(cfg Config) (*Client, error) {
	var missing []string
	for name, v := range map[string]string{"AccountID": cfg.AccountID, "ClientID": cfg.ClientID, "ClientSecret": cfg.ClientSecret} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("zoom: new: Config needs %s", strings.Join(missing, ", "))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = backoff.Sleep
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = time.Minute
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 300 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, tokens: newTokenCache(cfg), wait: backoff.New(cfg.Now)}, nil
}

// Calls returns how many API calls the client has sent (retries count).
func (c *Client) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// RateLimit returns what the last answer said of the rate limit.
func (c *Client) RateLimit() RateLimit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limits
}

// User reads a user by id, email or "me".
func (c *Client) User(ctx context.Context, userID string) (User, error) {
	var u User
	if err := c.call(ctx, http.MethodGet, "/users/"+url.PathEscape(userID), nil, nil, &u); err != nil {
		return User{}, fmt.Errorf("zoom: user %s: %w", userID, err)
	}
	return u, nil
}

// CreateMeeting schedules a meeting for a user (an id, an email or "me").
func (c *Client) CreateMeeting(ctx context.Context, userID string, m MeetingRequest) (Meeting, error) {
	var out Meeting
	if err := c.call(ctx, http.MethodPost, "/users/"+url.PathEscape(userID)+"/meetings", nil, m.body(), &out); err != nil {
		return Meeting{}, fmt.Errorf("zoom: create meeting: %w", err)
	}
	return out, nil
}

// Meeting reads a meeting.
func (c *Client) Meeting(ctx context.Context, id MeetingID) (Meeting, error) {
	var out Meeting
	if err := c.call(ctx, http.MethodGet, "/meetings/"+id.String(), nil, nil, &out); err != nil {
		return Meeting{}, fmt.Errorf("zoom: meeting %s: %w", id, err)
	}
	return out, nil
}

// UpdateMeeting changes the fields u sets.
func (c *Client) UpdateMeeting(ctx context.Context, id MeetingID, u MeetingUpdate) error {
	if err := c.call(ctx, http.MethodPatch, "/meetings/"+id.String(), nil, u.body(), nil); err != nil {
		return fmt.Errorf("zoom: update meeting %s: %w", id, err)
	}
	return nil
}

// DeleteMeeting deletes a meeting; one already gone answers an error that
// matches connector.ErrNotFound.
func (c *Client) DeleteMeeting(ctx context.Context, id MeetingID) error {
	if err := c.call(ctx, http.MethodDelete, "/meetings/"+id.String(), nil, nil, nil); err != nil {
		return fmt.Errorf("zoom: delete meeting %s: %w", id, err)
	}
	return nil
}

// Meetings lists a user's meetings of a type ("scheduled", "live",
// "upcoming"; empty is scheduled), every page.
func (c *Client) Meetings(ctx context.Context, userID, typ string) ([]Meeting, error) {
	q := url.Values{}
	if typ != "" {
		q.Set("type", typ)
	}
	var out []Meeting
	err := c.pages(ctx, "/users/"+url.PathEscape(userID)+"/meetings", q, func(raw []byte) (page, error) {
		var l meetingList
		err := json.Unmarshal(raw, &l)
		out = append(out, l.Meetings...)
		return l.page, err
	})
	if err != nil {
		return nil, fmt.Errorf("zoom: meetings of %s: %w", userID, err)
	}
	return out, nil
}

// ErrNoSession means the meeting has no ended session to report: it was
// never started, or has not ended yet (SPEC M8's "No session exists").
var ErrNoSession = errors.New("zoom: no session exists")

// noSession marks a past-meeting 404 as ErrNoSession too.
func noSession(err error) error {
	if errors.Is(err, connector.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNoSession, err)
	}
	return err
}

// PastMeeting reads an ended session: ref is a meeting id (its latest
// session) or a session UUID.
func (c *Client) PastMeeting(ctx context.Context, ref string) (PastMeeting, error) {
	var out PastMeeting
	if err := c.call(ctx, http.MethodGet, "/past_meetings/"+pathRef(ref), nil, nil, &out); err != nil {
		return PastMeeting{}, fmt.Errorf("zoom: past meeting %s: %w", ref, noSession(err))
	}
	return out, nil
}

// Instances lists the ended sessions of a meeting.
func (c *Client) Instances(ctx context.Context, id MeetingID) ([]Instance, error) {
	var out instanceList
	if err := c.call(ctx, http.MethodGet, "/past_meetings/"+id.String()+"/instances", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("zoom: instances of %s: %w", id, err)
	}
	return out.Meetings, nil
}

// Participants lists the participants of an ended session, every page.
func (c *Client) Participants(ctx context.Context, ref string) ([]Participant, error) {
	var out []Participant
	err := c.pages(ctx, "/past_meetings/"+pathRef(ref)+"/participants", url.Values{}, func(raw []byte) (page, error) {
		var l participantList
		err := json.Unmarshal(raw, &l)
		out = append(out, l.Participants...)
		return l.page, err
	})
	if err != nil {
		return nil, fmt.Errorf("zoom: participants of %s: %w", ref, noSession(err))
	}
	return out, nil
}

// ReportParticipants lists a session's attendances with join and leave
// times, every page.
func (c *Client) ReportParticipants(ctx context.Context, ref string) ([]ReportParticipant, error) {
	var out []ReportParticipant
	err := c.pages(ctx, "/report/meetings/"+pathRef(ref)+"/participants", url.Values{}, func(raw []byte) (page, error) {
		var l reportParticipantList
		err := json.Unmarshal(raw, &l)
		out = append(out, l.Participants...)
		return l.page, err
	})
	if err != nil {
		return nil, fmt.Errorf("zoom: report participants of %s: %w", ref, noSession(err))
	}
	return out, nil
}

// ReportMeetings lists the sessions a user hosted that ended between the
// dates from and to (inclusive, at most a month apart), every page.
func (c *Client) ReportMeetings(ctx context.Context, userID string, from, to time.Time) ([]PastMeeting, error) {
	q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
	var out []PastMeeting
	err := c.pages(ctx, "/report/users/"+url.PathEscape(userID)+"/meetings", q, func(raw []byte) (page, error) {
		var l reportMeetingList
		err := json.Unmarshal(raw, &l)
		out = append(out, l.Meetings...)
		return l.page, err
	})
	if err != nil {
		return nil, fmt.Errorf("zoom: report meetings of %s: %w", userID, err)
	}
	return out, nil
}

// Recording reads the cloud recording of a session (a UUID) or of a
// meeting's latest recorded session (an id).
func (c *Client) Recording(ctx context.Context, ref string) (Recording, error) {
	var out Recording
	if err := c.call(ctx, http.MethodGet, "/meetings/"+pathRef(ref)+"/recordings", nil, nil, &out); err != nil {
		return Recording{}, fmt.Errorf("zoom: recording of %s: %w", ref, err)
	}
	return out, nil
}

// Recordings lists a user's cloud recordings of sessions between the dates
// from and to, every page.
func (c *Client) Recordings(ctx context.Context, userID string, from, to time.Time) ([]Recording, error) {
	q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
	var out []Recording
	err := c.pages(ctx, "/users/"+url.PathEscape(userID)+"/recordings", q, func(raw []byte) (page, error) {
		var l recordingList
		err := json.Unmarshal(raw, &l)
		out = append(out, l.Meetings...)
		return l.page, err
	})
	if err != nil {
		return nil, fmt.Errorf("zoom: recordings of %s: %w", userID, err)
	}
	return out, nil
}

// pathRef puts a meeting id or UUID in a path segment: a UUID that starts
// with "/" or holds "//" is encoded twice, as Zoom requires.
func pathRef(ref string) string {
	e := url.PathEscape(ref)
	if strings.HasPrefix(ref, "/") || strings.Contains(ref, "//") {
		e = url.PathEscape(e)
	}
	return e
}

// pages follows next_page_token until the last page, handing each answer
// to decode.
func (c *Client) pages(ctx context.Context, path string, q url.Values, decode func([]byte) (page, error)) error {
	q.Set("page_size", strconv.Itoa(c.cfg.PageSize))
	seen := map[string]bool{}
	for {
		var raw json.RawMessage
		if err := c.call(ctx, http.MethodGet, path, q, nil, &raw); err != nil {
			return err
		}
		p, err := decode(raw)
		if err != nil {
			return fmt.Errorf("decode page: %w", err)
		}
		if p.NextPageToken == "" {
			return nil
		}
		if seen[p.NextPageToken] {
			return fmt.Errorf("paging: next_page_token repeats")
		}
		seen[p.NextPageToken] = true
		q.Set("next_page_token", p.NextPageToken)
	}
}

// call sends one API call: it fetches a new token once on 401, retries a
// refused call with backoff, and decodes a 2xx answer into out.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	u := c.cfg.BaseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	tctx := context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
	stale := ""
	renewed := false
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.get(tctx, stale)
		if err != nil {
			return err
		}
		status, hdr, raw, err := c.send(ctx, method, u, tok, payload)
		if err != nil {
			return err
		}
		if status >= 200 && status < 300 {
			if out == nil || status == http.StatusNoContent || len(raw) == 0 {
				return nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("decode answer: %w", err)
			}
			return nil
		}
		apiErr := decodeError(status, raw)
		if status == http.StatusUnauthorized && !renewed {
			renewed, stale = true, tok
			attempt--
			continue
		}
		idempotent := method != http.MethodPost
		if status != http.StatusTooManyRequests && (!idempotent || status < 500) {
			return apiErr
		}
		wait := c.wait.Wait(attempt, hdr.Get("Retry-After"))
		if attempt >= c.cfg.MaxRetries || wait > c.cfg.MaxWait {
			if status == http.StatusTooManyRequests {
				return &connector.RetryError{After: wait, Err: apiErr}
			}
			return &connector.RetryError{After: wait, Err: fmt.Errorf("%w: %w", connector.ErrRateLimited, apiErr)}
		}
		c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "zoom: call refused, retrying",
			slog.String("method", method), slog.String("path", path), slog.Int("status", status), slog.Duration("wait", wait))
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// send makes one HTTP round trip.
func (c *Client) send(ctx context.Context, method, u, token string, payload []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
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
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	if cat := resp.Header.Get("X-RateLimit-Category"); cat != "" {
		l, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Limit"))
		r, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining"))
		c.mu.Lock()
		c.limits = RateLimit{Category: cat, Limit: l, Remaining: r}
		c.mu.Unlock()
	}
	c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "zoom: call", slog.String("method", method),
		slog.String("path", req.URL.Path), slog.Int("status", resp.StatusCode))
	return resp.StatusCode, resp.Header, raw, nil
}

// decodeError reads an error answer.
func decodeError(status int, raw []byte) *APIError {
	e := &APIError{}
	if json.Unmarshal(raw, e) != nil || (e.Code == 0 && e.Message == "") {
		e = &APIError{Code: status, Message: http.StatusText(status)}
	}
	e.Status = status
	return e
}
