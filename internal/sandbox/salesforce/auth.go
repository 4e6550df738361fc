package salesforce

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the OAuth 2.0 side of the org, as Salesforce answers it at
// /services/oauth2/: the token endpoint (authorization_code, refresh_token,
// password, client_credentials and JWT bearer grants), authorize (the
// web-server flow, approved at once for the login_hint user or the first
// user), revoke, userinfo and the identity URL /id/{org}/{user}.

// session is an access token.
type session struct {
	userID  string
	refresh string // the refresh token it came from, if any
	issued  time.Time
	expires time.Time
}

// refreshGrant is a refresh token.
type refreshGrant struct {
	userID  string
	scope   string
	expires time.Time // zero: until revoked
}

// authCode is an authorization code of the web-server flow.
type authCode struct {
	userID        string
	redirectURI   string
	scope         string
	challenge     string
	method        string
	expires       time.Time
	usedOrRevoked bool
}

// authState is every token the org has issued.
type authState struct {
	sessions map[string]*session
	refresh  map[string]*refreshGrant
	codes    map[string]*authCode
}

func newAuthState() authState {
	return authState{sessions: map[string]*session{}, refresh: map[string]*refreshGrant{}, codes: map[string]*authCode{}}
}

// oauthError is the token endpoint's error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeOAuthError(w http.ResponseWriter, r *http.Request, status int, code, desc string) {
	writeJSON(w, r, status, oauthError{Error: code, Description: desc})
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

func randomToken(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/services/oauth2/"), "/") {
	case "token":
		if r.Method != http.MethodPost {
			writeOAuthError(w, r, 400, "invalid_request", "must use HTTP POST")
			return
		}
		s.serveToken(w, r)
	case "authorize":
		s.serveAuthorize(w, r)
	case "revoke":
		s.serveRevoke(w, r)
	case "userinfo":
		s.serveUserInfo(w, r)
	default:
		writeErrors(w, r, errNotFound())
	}
}

// clientCredentials reads client_id and client_secret from the form or
// from HTTP Basic authentication.
func clientCredentials(r *http.Request) (id, secret string) {
	if u, p, ok := r.BasicAuth(); ok {
		return u, p
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// serveToken answers POST /services/oauth2/token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		writeOAuthError(w, r, 400, "invalid_request", "could not parse the form body")
		return
	}
	f := r.PostForm
	if len(f) == 0 {
		f = r.Form
		r.PostForm = r.Form
	}
	grant := f.Get("grant_type")
	checkClient := func() bool {
		id, secret := clientCredentials(r)
		if id != s.cfg.ClientID {
			writeOAuthError(w, r, 400, "invalid_client_id", "client identifier invalid")
			return false
		}
		if !equal(secret, s.cfg.ClientSecret) {
			writeOAuthError(w, r, 400, "invalid_client", "invalid client credentials")
			return false
		}
		return true
	}
	now := s.now()
	switch grant {
	case "password":
		if !checkClient() {
			return
		}
		u, ok := s.userByName(f.Get("username"))
		pw := f.Get("password")
		if !ok || !(equal(pw, u.Password) || equal(pw, u.Password+u.SecurityToken)) {
			writeOAuthError(w, r, 400, "invalid_grant", "authentication failure")
			return
		}
		s.issue(w, r, u.Username, "", "api", now)
	case "client_credentials":
		if !checkClient() {
			return
		}
		s.issue(w, r, s.cfg.IntegrationUser, "", "api", now)
	case "authorization_code":
		if !checkClient() {
			return
		}
		s.exchangeCode(w, r, f, now)
	case "refresh_token":
		id, secret := clientCredentials(r)
		if id != s.cfg.ClientID {
			writeOAuthError(w, r, 400, "invalid_client_id", "client identifier invalid")
			return
		}
		if secret != "" && !equal(secret, s.cfg.ClientSecret) {
			writeOAuthError(w, r, 400, "invalid_client", "invalid client credentials")
			return
		}
		s.mu.Lock()
		g, ok := s.auth.refresh[f.Get("refresh_token")]
		s.mu.Unlock()
		if !ok || (!g.expires.IsZero() && now.After(g.expires)) {
			writeOAuthError(w, r, 400, "invalid_grant", "expired access/refresh token")
			return
		}
		name, ok := s.usernameOf(g.userID)
		if !ok {
			writeOAuthError(w, r, 400, "invalid_grant", "inactive user")
			return
		}
		if s.cfg.RotateRefreshTokens {
			// The used token is spent; a new one with the same grant
			// replaces it.
			rt := "5Aep861" + randomToken(80)
			s.mu.Lock()
			if s.auth.refresh[f.Get("refresh_token")] != g {
				s.mu.Unlock() // spent by a concurrent request meanwhile
				writeOAuthError(w, r, 400, "invalid_grant", "expired access/refresh token")
				return
			}
			delete(s.auth.refresh, f.Get("refresh_token"))
			s.auth.refresh[rt] = g
			s.mu.Unlock()
			s.issueWith(w, r, name, rt, g.scope, now, true)
			return
		}
		s.issue(w, r, name, f.Get("refresh_token"), g.scope, now)
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		name, desc := s.verifyJWT(r, f.Get("assertion"), now)
		if desc != "" {
			code := "invalid_grant"
			if desc == "client identifier invalid" {
				code = "invalid_client_id"
			}
			writeOAuthError(w, r, 400, code, desc)
			return
		}
		s.issue(w, r, name, "", "api", now)
	case "":
		writeOAuthError(w, r, 400, "invalid_request", "grant type not specified")
	default:
		writeOAuthError(w, r, 400, "unsupported_grant_type", "grant type not supported")
	}
}

// exchangeCode redeems an authorization code for an access and a refresh
// token.
func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request, f url.Values, now time.Time) {
	s.mu.Lock()
	c, ok := s.auth.codes[f.Get("code")]
	if ok {
		delete(s.auth.codes, f.Get("code"))
	}
	s.mu.Unlock()
	switch {
	case !ok || c.usedOrRevoked || now.After(c.expires):
		writeOAuthError(w, r, 400, "invalid_grant", "invalid authorization code")
		return
	case f.Get("redirect_uri") != c.redirectURI:
		writeOAuthError(w, r, 400, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	case c.challenge != "":
		v := f.Get("code_verifier")
		sum := sha256.Sum256([]byte(v))
		got := v
		if c.method != "plain" {
			got = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if v == "" || !equal(got, c.challenge) {
			writeOAuthError(w, r, 400, "invalid_grant", "invalid code verifier")
			return
		}
	}
	name, ok := s.usernameOf(c.userID)
	if !ok {
		writeOAuthError(w, r, 400, "invalid_grant", "inactive user")
		return
	}
	rt := "5Aep861" + randomToken(80)
	s.mu.Lock()
	g := &refreshGrant{userID: c.userID, scope: c.scope}
	if s.cfg.RefreshTokenTTL > 0 {
		g.expires = now.Add(s.cfg.RefreshTokenTTL)
	}
	s.auth.refresh[rt] = g
	s.mu.Unlock()
	s.issueWith(w, r, name, rt, c.scope, now, true)
}

// issue creates an access token for the user and answers the token
// endpoint's JSON.
func (s *Server) issue(w http.ResponseWriter, r *http.Request, username, refresh, scope string, now time.Time) {
	s.issueWith(w, r, username, refresh, scope, now, false)
}

func (s *Server) issueWith(w http.ResponseWriter, r *http.Request, username, refresh, scope string, now time.Time, newRefresh bool) {
	resp, ok := s.newSession(r, username, refresh, scope, now)
	if !ok {
		writeOAuthError(w, r, 400, "invalid_grant", "inactive user")
		return
	}
	if newRefresh {
		resp.RefreshToken = refresh
	}
	w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	writeJSON(w, r, 200, resp)
}

// newSession stores an access token for an active user.
func (s *Server) newSession(r *http.Request, username, refresh, scope string, now time.Time) (tokenResponse, bool) {
	userID, ok := s.activeUserID(username)
	if !ok {
		return tokenResponse{}, false
	}
	token := s.cfg.OrgID[:15] + "!" + randomToken(96)
	s.mu.Lock()
	s.auth.sessions[token] = &session{userID: userID, refresh: refresh, issued: now, expires: now.Add(s.cfg.AccessTokenTTL)}
	s.mu.Unlock()
	base := s.baseURL(r)
	id := base + "/id/" + s.cfg.OrgID + "/" + userID
	issued := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(s.cfg.ClientSecret))
	mac.Write([]byte(id + issued))
	return tokenResponse{AccessToken: token, Signature: base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		Scope: scope, InstanceURL: base, ID: id, TokenType: "Bearer", IssuedAt: issued}, true
}

// verifyJWT checks a JWT bearer assertion and returns the username it
// names, or a description of what is wrong with it.
func (s *Server) verifyJWT(r *http.Request, assertion string, now time.Time) (string, string) {
	if s.cfg.JWTPublicKey == nil {
		return "", "invalid assertion: no certificate is configured for the connected app"
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "", "invalid assertion"
	}
	var header struct {
		Alg string `json:"alg"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || header.Alg != "RS256" {
		return "", "invalid assertion"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(s.cfg.JWTPublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "", "invalid assertion"
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp json.RawMessage `json:"exp"`
	}
	if json.Unmarshal(pb, &claims) != nil {
		return "", "invalid assertion"
	}
	if claims.Iss != s.cfg.ClientID {
		return "", "client identifier invalid"
	}
	var auds []string
	var one string
	if json.Unmarshal(claims.Aud, &one) == nil {
		auds = []string{one}
	} else if json.Unmarshal(claims.Aud, &auds) != nil {
		return "", "audience is invalid"
	}
	okAud := false
	for _, a := range auds {
		a = strings.TrimRight(a, "/")
		if a == "https://login.salesforce.com" || a == "https://test.salesforce.com" || a == s.baseURL(r) {
			okAud = true
		}
	}
	if !okAud {
		return "", "audience is invalid"
	}
	// exp is a number of seconds; some clients send it as a string.
	expText := strings.Trim(string(claims.Exp), `"`)
	exp, err := strconv.ParseFloat(expText, 64)
	if err != nil {
		return "", "expiration time is invalid"
	}
	if now.After(time.Unix(int64(exp), 0).Add(3 * time.Minute)) {
		return "", "expired authorization code"
	}
	u, ok := s.userByName(claims.Sub)
	if !ok {
		return "", "user hasn't approved this consumer"
	}
	return u.Username, ""
}

// serveAuthorize answers the web-server flow's first step. Salesforce shows
// a login and consent page; the sandbox approves at once, for the user
// named by login_hint or else the first configured user, and redirects
// with the code (response_type=code) or the token (response_type=token).
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		q = r.Form
	}
	if q.Get("client_id") != s.cfg.ClientID {
		writeOAuthError(w, r, 400, "invalid_client_id", "client identifier invalid")
		return
	}
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if redirect == "" || err != nil || !ru.IsAbs() || (len(s.cfg.RedirectURIs) > 0 && !slices.Contains(s.cfg.RedirectURIs, redirect)) {
		writeOAuthError(w, r, 400, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	}
	u := s.cfg.Users[0]
	if hint := q.Get("login_hint"); hint != "" {
		if hu, ok := s.userByName(hint); ok {
			u = hu
		}
	}
	userID, ok := s.activeUserID(u.Username)
	back := ru.Query()
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	if !ok {
		back.Set("error", "access_denied")
		back.Set("error_description", "user is inactive")
		ru.RawQuery = back.Encode()
		http.Redirect(w, r, ru.String(), http.StatusFound)
		return
	}
	scope := q.Get("scope")
	if scope == "" {
		scope = "api refresh_token"
	}
	switch q.Get("response_type") {
	case "code":
		code := "aPrx" + randomToken(60) + "=="
		expires := s.now().Add(15 * time.Minute)
		s.mu.Lock()
		s.auth.codes[code] = &authCode{userID: userID, redirectURI: redirect, scope: scope,
			challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), expires: expires}
		s.mu.Unlock()
		back.Set("code", code)
		ru.RawQuery = back.Encode()
		http.Redirect(w, r, ru.String(), http.StatusFound)
	case "token":
		resp, _ := s.newSession(r, u.Username, "", scope, s.now())
		frag := url.Values{"access_token": {resp.AccessToken}, "instance_url": {resp.InstanceURL}, "id": {resp.ID},
			"issued_at": {resp.IssuedAt}, "signature": {resp.Signature}, "token_type": {"Bearer"}, "scope": {scope}}
		if st := q.Get("state"); st != "" {
			frag.Set("state", st)
		}
		ru.Fragment = ""
		http.Redirect(w, r, ru.String()+"#"+frag.Encode(), http.StatusFound)
	default:
		writeOAuthError(w, r, 400, "unsupported_response_type", "response type not supported")
	}
}

// serveRevoke answers POST (or GET) /services/oauth2/revoke: an access
// token ends its session; a refresh token ends itself and every session
// issued from it.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	token := r.Form.Get("token")
	s.mu.Lock()
	found := false
	if _, ok := s.auth.sessions[token]; ok {
		delete(s.auth.sessions, token)
		found = true
	}
	if _, ok := s.auth.refresh[token]; ok {
		delete(s.auth.refresh, token)
		for k, sess := range s.auth.sessions {
			if sess.refresh == token {
				delete(s.auth.sessions, k)
			}
		}
		found = true
	}
	s.mu.Unlock()
	if !found {
		writeOAuthError(w, r, 400, "unsupported_token_type", "this token type is not supported")
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// bearer extracts the token of an Authorization: Bearer (or OAuth) header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "OAuth "} {
		if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
			return strings.TrimSpace(h[len(p):])
		}
	}
	return ""
}

// authenticate finds the live session of a request.
func (s *Server) authenticate(r *http.Request) (*session, *apiError) {
	token := bearer(r)
	now := s.now()
	s.mu.Lock()
	sess, ok := s.auth.sessions[token]
	s.mu.Unlock()
	if token == "" || !ok || now.After(sess.expires) {
		return nil, errorf(401, "INVALID_SESSION_ID", "Session expired or invalid")
	}
	if _, ok := s.usernameOf(sess.userID); !ok {
		return nil, errorf(401, "INVALID_SESSION_ID", "Session expired or invalid")
	}
	return sess, nil
}

// ExpireTokens ends every access token now, as if their sessions timed
// out; refresh tokens stay valid.
func (s *Server) ExpireTokens() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.auth.sessions {
		sess.expires = now.Add(-time.Second)
	}
}

// RevokeTokens revokes every access and refresh token, as an admin
// revoking the connected app's access does.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = newAuthState()
}

// userByName finds a configured user by username, ignoring case.
func (s *Server) userByName(name string) (UserConfig, bool) {
	for _, u := range s.cfg.Users {
		if strings.EqualFold(u.Username, name) {
			return u, true
		}
	}
	return UserConfig{}, false
}

// activeUserID returns the id of the active User record with the username.
func (s *Server) activeUserID(username string) (string, bool) {
	st := s.store()
	st.mu.RLock()
	defer st.mu.RUnlock()
	t, _ := st.table(objUser)
	for _, id := range t.lookup(t.obj.pos("Username"), username) {
		r, _ := t.get(id)
		if active, _ := r.get(t.obj.pos("IsActive")).(bool); active {
			return id, true
		}
	}
	return "", false
}

// usernameOf returns the username of an active user.
func (s *Server) usernameOf(userID string) (string, bool) {
	st := s.store()
	st.mu.RLock()
	defer st.mu.RUnlock()
	t, _ := st.table(objUser)
	r, ok := t.get(userID)
	if !ok {
		return "", false
	}
	if active, _ := r.get(t.obj.pos("IsActive")).(bool); !active {
		return "", false
	}
	name, _ := r.get(t.obj.pos("Username")).(string)
	return name, true
}

// identity builds the userinfo / identity answer for a user.
func (s *Server) identity(r *http.Request, userID string, openID bool) (map[string]any, bool) {
	st := s.store()
	st.mu.RLock()
	t, _ := st.table(objUser)
	rec, ok := t.get(userID)
	st.mu.RUnlock()
	if !ok {
		return nil, false
	}
	o := t.obj
	str := func(name string) string { v, _ := rec.get(o.pos(name)).(string); return v }
	active, _ := rec.get(o.pos("IsActive")).(bool)
	base := s.baseURL(r)
	offset := 0
	if loc, err := time.LoadLocation(str("TimeZoneSidKey")); err == nil {
		_, off := s.now().In(loc).Zone()
		offset = off * 1000
	}
	modified, _ := rec.get(o.pModified).(time.Time)
	urls := map[string]string{
		"enterprise":    base + "/services/Soap/c/{version}/" + s.cfg.OrgID[:15],
		"metadata":      base + "/services/Soap/m/{version}/" + s.cfg.OrgID[:15],
		"partner":       base + "/services/Soap/u/{version}/" + s.cfg.OrgID[:15],
		"rest":          base + "/services/data/v{version}/",
		"sobjects":      base + "/services/data/v{version}/sobjects/",
		"search":        base + "/services/data/v{version}/search/",
		"query":         base + "/services/data/v{version}/query/",
		"recent":        base + "/services/data/v{version}/recent/",
		"profile":       base + "/" + userID,
		"users":         base + "/services/data/v{version}/chatter/users",
		"custom_domain": base,
	}
	photo := base + "/profilephoto/005/F"
	out := map[string]any{
		"user_id": userID, "organization_id": s.cfg.OrgID, "email": str("Email"), "email_verified": true,
		"active": active, "user_type": "STANDARD", "language": str("LanguageLocaleKey"), "locale": str("LocaleSidKey"),
		"utcOffset": offset, "urls": urls, "is_app_installed": true, "photos": map[string]string{"picture": photo, "thumbnail": photo + "/T"},
	}
	if openID {
		out["sub"] = base + "/id/" + s.cfg.OrgID + "/" + userID
		out["preferred_username"] = str("Username")
		out["nickname"] = str("CommunityNickname")
		out["name"] = str("Name")
		out["given_name"] = str("FirstName")
		out["family_name"] = str("LastName")
		out["zoneinfo"] = str("TimeZoneSidKey")
		out["profile"] = base + "/" + userID
		out["picture"] = photo
		out["address"] = map[string]any{}
		out["is_salesforce_integration_user"] = false
		out["updated_at"] = modified.UTC().Format("2006-01-02T15:04:05Z")
	} else {
		out["id"] = base + "/id/" + s.cfg.OrgID + "/" + userID
		out["asserted_user"] = true
		out["username"] = str("Username")
		out["nick_name"] = str("CommunityNickname")
		out["display_name"] = str("Name")
		out["first_name"] = str("FirstName")
		out["last_name"] = str("LastName")
		out["timezone"] = str("TimeZoneSidKey")
		out["status"] = map[string]any{"created_date": nil, "body": nil}
		out["last_modified_date"] = modified.UTC().Format(jsonDateTime)
	}
	return out, true
}

// serveUserInfo answers /services/oauth2/userinfo (OpenID Connect).
func (s *Server) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r)
	if err != nil {
		writeBody(w, r, 403, "text/plain;charset=UTF-8", []byte("Bad_OAuth_Token"))
		return
	}
	out, ok := s.identity(r, sess.userID, true)
	if !ok {
		writeBody(w, r, 403, "text/plain;charset=UTF-8", []byte("Bad_OAuth_Token"))
		return
	}
	writeJSON(w, r, 200, out)
}

// serveIdentity answers the identity URL /id/{orgId}/{userId}, for the
// token's own user only.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/id/"), "/"), "/")
	if r.Header.Get("Authorization") == "" && r.URL.Query().Get("oauth_token") != "" {
		r.Header.Set("Authorization", "Bearer "+r.URL.Query().Get("oauth_token"))
	}
	sess, err := s.authenticate(r)
	if err != nil {
		writeBody(w, r, 403, "text/plain;charset=UTF-8", []byte("Bad_OAuth_Token"))
		return
	}
	if len(parts) != 2 {
		writeErrors(w, r, errNotFound())
		return
	}
	org, _ := normalizeID(parts[0])
	user, _ := normalizeID(parts[1])
	if org != s.cfg.OrgID || user != sess.userID {
		writeBody(w, r, 403, "text/plain;charset=UTF-8", []byte("Bad_Id"))
		return
	}
	out, ok := s.identity(r, user, false)
	if !ok {
		writeErrors(w, r, errNotFound())
		return
	}
	writeJSON(w, r, 200, out)
}
