package msgraph

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// token is an issued access token: whose it is ("" for an application
// token, which reaches every mailbox) and until when.
type token struct {
	user   string
	expiry time.Time
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// oauthError is the identity platform's error answer.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
}

func writeOAuthError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	writeJSON(w, status, oauthError{Error: code, ErrorDescription: fmt.Sprintf("AADSTS%d: %s", aadsts, desc), ErrorCodes: []int{aadsts}})
}

// serveToken answers POST /{tenant}/oauth2/v2.0/token for the
// client_credentials, authorization_code and refresh_token grants. The
// client authenticates with client_id and client_secret in the form body
// or with HTTP Basic.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, 405, "invalid_request", 900561, "The endpoint only accepts POST requests.")
		return
	}
	if !strings.EqualFold(tenant, s.cfg.TenantID) && !strings.EqualFold(tenant, s.cfg.Domain) && tenant != "common" && tenant != "organizations" {
		writeOAuthError(w, 400, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, 400, "invalid_request", 900144, "The request body must contain a form.")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) != 1 {
		writeOAuthError(w, 400, "unauthorized_client", 700016, "Application with identifier was not found in the directory.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		writeOAuthError(w, 401, "invalid_client", 7000215, "Invalid client secret provided.")
		return
	}
	var userID string
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
		if sc := r.PostForm.Get("scope"); !strings.HasSuffix(sc, "/.default") {
			writeOAuthError(w, 400, "invalid_scope", 1002012, "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
			return
		}
	case "authorization_code", "refresh_token":
		s.mu.Lock()
		var ok bool
		if gt == "authorization_code" {
			userID, ok = s.codes[r.PostForm.Get("code")]
			delete(s.codes, r.PostForm.Get("code"))
		} else {
			userID, ok = s.refresh[r.PostForm.Get("refresh_token")]
		}
		s.mu.Unlock()
		if !ok {
			writeOAuthError(w, 400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity.")
			return
		}
	case "":
		writeOAuthError(w, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	default:
		writeOAuthError(w, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'.")
		return
	}
	s.mu.Lock()
	a := s.issueLocked(userID)
	s.mu.Unlock()
	writeJSON(w, 200, a)
}

// issueLocked makes an access token for userID ("" for the application),
// with a refresh token for a user.
func (s *Server) issueLocked(userID string) tokenAnswer {
	a := tokenAnswer{TokenType: "Bearer", ExpiresIn: int64(s.cfg.TokenTTL / time.Second), AccessToken: "sbx." + randomToken()}
	a.ExtExpiresIn = a.ExpiresIn
	s.tokens[a.AccessToken] = token{user: userID, expiry: s.nowLocked().Add(s.cfg.TokenTTL)}
	if userID == "" {
		a.Scope = "https://graph.microsoft.com/.default"
		return a
	}
	a.Scope = "Contacts.ReadWrite MailboxSettings.ReadWrite User.ReadBasic.All offline_access"
	a.RefreshToken = "sbxr." + randomToken()
	s.refresh[a.RefreshToken] = userID
	return a
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authenticate checks an API call's bearer token and says whose it is.
func (s *Server) authenticate(r *http.Request) (token, *apiError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	if !ok || tok == "" {
		return token{}, &apiError{status: 401, code: "InvalidAuthenticationToken", message: "Access token is empty."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, known := s.tokens[tok]
	switch {
	case !known:
		return token{}, &apiError{status: 401, code: "InvalidAuthenticationToken", message: "IDX14100: JWT is not well formed."}
	case !s.nowLocked().Before(t.expiry):
		return token{}, &apiError{status: 401, code: "InvalidAuthenticationToken", message: "Lifetime validation failed, the token is expired."}
	}
	return t, nil
}

// ExpireTokens makes every access token issued so far expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	for k, t := range s.tokens {
		t.expiry = now
		s.tokens[k] = t
	}
}

// AuthorizationCode makes a one-time code for user (id or
// userPrincipalName), as the authorize endpoint would after the user
// signed in and consented; the token endpoint exchanges it.
func (s *Server) AuthorizationCode(user string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(user)
	if u == nil {
		return "", fmt.Errorf("msgraph sandbox: no user %q", user)
	}
	code := "sbxc." + randomToken()
	s.codes[code] = u.ID
	return code, nil
}

// RefreshToken makes a refresh token for user, as a finished sign-in
// would, for a client of the delegated flow.
func (s *Server) RefreshToken(user string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(user)
	if u == nil {
		return "", fmt.Errorf("msgraph sandbox: no user %q", user)
	}
	rt := "sbxr." + randomToken()
	s.refresh[rt] = u.ID
	return rt, nil
}
