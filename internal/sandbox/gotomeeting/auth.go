package gotomeeting

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is GoTo's OAuth 2.0 authentication service as the sandbox
// plays it: /oauth/authorize (approved at once) and /oauth/token with the
// authorization_code and refresh_token grants, and the bearer check of the
// API.

// accessToken is an issued access token.
type accessToken struct {
	organizer int64
	client    string
	refresh   string
	expires   time.Time
}

// refreshGrant is a refresh token: valid until revoked.
type refreshGrant struct {
	organizer int64
	client    string
	revoked   bool
}

// authCode is an authorization code: single use, short-lived.
type authCode struct {
	organizer   int64
	client      string
	redirectURI string
	expires     time.Time
	used        bool
}

// authState is every token the account has issued.
type authState struct {
	access  map[string]*accessToken
	refresh map[string]*refreshGrant
	codes   map[string]*authCode
}

func newAuthState() authState {
	return authState{access: map[string]*accessToken{}, refresh: map[string]*refreshGrant{}, codes: map[string]*authCode{}}
}

// oauthError is the token endpoint's error body (RFC 6749 section 5.2).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// tokenResponse is the token endpoint's answer, with the organizer fields
// GoTo adds.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	Principal    string `json:"principal"`
	OrganizerKey string `json:"organizer_key"`
	AccountKey   string `json:"account_key"`
	AccountType  string `json:"account_type"`
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	Email        string `json:"email"`
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// serveAuthorize approves the authorization request at once, for the
// organizer named by login_hint (an email address) or the first one, and
// redirects to redirect_uri with the code and state.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.cfg.ClientID {
		http.Error(w, "invalid_client: unknown client_id", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" {
		http.Error(w, "unsupported_response_type: response_type must be code", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" && len(s.cfg.RedirectURIs) > 0 {
		redirect = s.cfg.RedirectURIs[0]
	}
	u, err := url.Parse(redirect)
	if redirect == "" || err != nil || !u.IsAbs() || (len(s.cfg.RedirectURIs) > 0 && !slices.Contains(s.cfg.RedirectURIs, redirect)) {
		http.Error(w, "invalid_request: redirect_uri is missing or not registered for the client", http.StatusBadRequest)
		return
	}
	org := s.cfg.Organizers[0]
	if hint := q.Get("login_hint"); hint != "" {
		o, ok := s.organizerByEmail(hint)
		if !ok {
			http.Error(w, "access_denied: no such organizer", http.StatusBadRequest)
			return
		}
		org = o
	}
	code := s.IssueCode(org.Email, q.Get("redirect_uri"))
	v := u.Query()
	v.Set("code", code)
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// IssueCode issues an authorization code for the organizer with email, as
// if they had signed in and allowed access; redirectURI is the one the
// token request must repeat (empty when the authorize request had none).
// It panics for an unknown organizer: a test's mistake.
func (s *Server) IssueCode(email, redirectURI string) string {
	org, ok := s.organizerByEmail(email)
	if !ok {
		panic("gotomeeting sandbox: IssueCode: no organizer " + email)
	}
	code := randomToken(24)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth.codes[code] = &authCode{organizer: org.Key, client: s.cfg.ClientID, redirectURI: redirectURI,
		expires: s.nowLocked().Add(s.cfg.CodeTTL)}
	return code
}

// clientCredentials reads the client id and secret from HTTP Basic, as GoTo
// documents, or from the form.
func clientCredentials(r *http.Request) (id, secret string) {
	if id, secret, ok := r.BasicAuth(); ok {
		uid, err1 := url.QueryUnescape(id)
		usec, err2 := url.QueryUnescape(secret)
		if err1 == nil && err2 == nil {
			return uid, usec
		}
		return id, secret
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

// serveToken is POST /oauth/token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if !s.latency(r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "the body is not a form"})
		return
	}
	id, secret := clientCredentials(r)
	if id != s.cfg.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_client", "client not found or bad credentials"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	var org int64
	var refresh string
	newRefresh := false
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		c := s.auth.codes[r.PostForm.Get("code")]
		if c == nil || c.used || now.After(c.expires) || c.client != id {
			if c != nil {
				c.used = true
			}
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "authorization code is invalid, expired or already used"})
			return
		}
		c.used = true
		if c.redirectURI != "" && r.PostForm.Get("redirect_uri") != c.redirectURI {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "redirect_uri does not match the authorization request"})
			return
		}
		org, refresh, newRefresh = c.organizer, randomToken(48), true
		s.auth.refresh[refresh] = &refreshGrant{organizer: org, client: id}
	case "refresh_token":
		refresh = r.PostForm.Get("refresh_token")
		g := s.auth.refresh[refresh]
		if g == nil || g.revoked || g.client != id {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "refresh token is invalid or revoked"})
			return
		}
		org = g.organizer
		// Using a refresh token invalidates the access tokens it gave.
		for tok, a := range s.auth.access {
			if a.refresh == refresh {
				delete(s.auth.access, tok)
			}
		}
	case "":
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "grant_type is required"})
		return
	default:
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "grant type not supported"})
		return
	}
	o, _ := s.organizer(org)
	tok := randomToken(48)
	s.auth.access[tok] = &accessToken{organizer: org, client: id, refresh: refresh, expires: now.Add(s.cfg.AccessTokenTTL)}
	resp := tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(s.cfg.AccessTokenTTL / time.Second),
		Scope: "collab:", Principal: o.Email, OrganizerKey: strconv.FormatInt(o.Key, 10),
		AccountKey: strconv.FormatInt(s.cfg.AccountKey, 10), AccountType: "corporate",
		FirstName: o.FirstName, LastName: o.LastName, Email: o.Email}
	if newRefresh {
		resp.RefreshToken = refresh
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// authenticate reads the bearer token of an API request: its organizer and
// OAuth client, or false when it is missing, unknown, expired or revoked.
func (s *Server) authenticate(r *http.Request) (Organizer, string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		// GoTo's older clients send "OAuth oauth_token=...".
		tok, ok = strings.CutPrefix(h, "OAuth oauth_token=")
	}
	if !ok || tok == "" {
		return Organizer{}, "", false
	}
	s.mu.Lock()
	a := s.auth.access[strings.TrimSpace(tok)]
	valid := a != nil && s.nowLocked().Before(a.expires)
	if valid && a.refresh != "" {
		if g := s.auth.refresh[a.refresh]; g == nil || g.revoked {
			valid = false
		}
	}
	s.mu.Unlock()
	if !valid {
		return Organizer{}, "", false
	}
	o, ok := s.organizer(a.organizer)
	return o, a.client, ok
}

// ExpireTokens makes every access token issued so far expired; refresh
// tokens still work.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.nowLocked().Add(-time.Second)
	for _, a := range s.auth.access {
		a.expires = past
	}
}

// RevokeTokens revokes every grant: access and refresh tokens stop working
// and the organizer must sign in again.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.auth.refresh {
		g.revoked = true
	}
	clear(s.auth.access)
}
