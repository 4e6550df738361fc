package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrReconnect means the org no longer accepts the connection's grant (the
// refresh token was revoked or the password changed): a person must connect
// again.
var ErrReconnect = errors.New("salesforce: reconnect needed")

// session is the access token in use and the instance it is valid for.
type session struct {
	token       string
	instanceURL string
}

// login gets a new access token: with the refresh token when there is one
// (the web-server flow's result), else with the password grant.
func (c *Connector) login(ctx context.Context) (session, error) {
	form := url.Values{"client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	if c.cfg.RefreshToken != "" {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", c.cfg.RefreshToken)
	} else {
		form.Set("grant_type", "password")
		form.Set("username", c.cfg.Username)
		form.Set("password", c.cfg.Password)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return session{}, fmt.Errorf("salesforce: token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return session{}, fmt.Errorf("salesforce: token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return session{}, fmt.Errorf("salesforce: token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var oe oauthError
		_ = json.Unmarshal(body, &oe)
		if oe.Error == "invalid_grant" {
			// The description never holds the secret, only why it failed.
			return session{}, fmt.Errorf("salesforce: token: %s: %w", oe.Description, ErrReconnect)
		}
		return session{}, fmt.Errorf("salesforce: token: status %d %s", resp.StatusCode, oe.Error)
	}
	var tok tokenResponse
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return session{}, fmt.Errorf("salesforce: token: malformed answer")
	}
	if tok.RefreshToken != "" && c.cfg.RefreshToken != "" {
		// A rotated refresh token replaces the old one for this process.
		c.cfg.RefreshToken = tok.RefreshToken
	}
	s := session{token: tok.AccessToken, instanceURL: strings.TrimRight(tok.InstanceURL, "/")}
	if s.instanceURL == "" {
		s.instanceURL = c.cfg.BaseURL
	}
	return s, nil
}

// session returns the current session, logging in when there is none.
// stale is the token a caller saw refused: a new one is fetched only if no
// other caller has replaced it meanwhile.
func (c *Connector) session(ctx context.Context, stale string) (session, error) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.sess.token != "" && c.sess.token != stale {
		return c.sess, nil
	}
	s, err := c.login(ctx)
	if err != nil {
		return session{}, err
	}
	c.sess = s
	return s, nil
}
