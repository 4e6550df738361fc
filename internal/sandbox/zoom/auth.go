package zoom

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// tokenAnswer is the token endpoint's answer to the account_credentials
// grant.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	APIURL      string `json:"api_url"`
}

// oauthError is the token endpoint's error answer, as Zoom words it.
type oauthError struct {
	Reason string `json:"reason"`
	Error  string `json:"error"`
}

// scopes are the admin scopes the sandbox grants every token.
const scopes = "meeting:read:admin meeting:write:admin user:read:admin report:read:admin recording:read:admin"

// serveToken answers POST /oauth/token for the account_credentials grant.
// grant_type and account_id come in the query, as Zoom documents, or in a
// form body; the client authenticates with HTTP Basic.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, 405, oauthError{Reason: "Method Not Allowed", Error: "invalid_request"})
		return
	}
	if err := r.ParseForm(); err != nil { // merges the query and a form body
		writeJSON(w, 400, oauthError{Reason: "Invalid request", Error: "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		writeJSON(w, 401, oauthError{Reason: "Invalid client_id or client_secret", Error: "invalid_client"})
		return
	}
	switch gt := r.Form.Get("grant_type"); gt {
	case "account_credentials":
	case "":
		writeJSON(w, 400, oauthError{Reason: "Missing grant type", Error: "invalid_request"})
		return
	default:
		writeJSON(w, 400, oauthError{Reason: "Unsupported grant type", Error: "unsupported_grant_type"})
		return
	}
	if r.Form.Get("account_id") != s.cfg.AccountID {
		writeJSON(w, 400, oauthError{Reason: "Invalid account_id", Error: "invalid_request"})
		return
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := "sbx." + base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = s.nowLocked().Add(s.cfg.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, 200, tokenAnswer{AccessToken: tok, TokenType: "bearer", ExpiresIn: int64(s.cfg.TokenTTL / time.Second),
		Scope: scopes, APIURL: baseURL(r)})
}

// authenticate checks the bearer token of an API call.
func (s *Server) authenticate(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	if !ok || tok == "" {
		return &apiError{status: 401, code: 124, message: "Invalid access token."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, known := s.tokens[tok]
	switch {
	case !known:
		return &apiError{status: 401, code: 124, message: "Invalid access token."}
	case !s.nowLocked().Before(exp):
		return &apiError{status: 401, code: 124, message: "Access token is expired."}
	}
	return nil
}

// ExpireTokens makes every access token issued so far expired, as if its
// hour had passed.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	for t := range s.tokens {
		s.tokens[t] = now
	}
}
