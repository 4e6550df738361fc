package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
// (the web-server flow's result), else with a signed JWT when there is a
// private key (the JWT bearer flow), else with the password grant. A
// rotated refresh token in the answer replaces the old one and goes to
// Config.OnRefreshToken before the session is used.
func (c *Connector) login(ctx context.Context) (session, error) {
	form := url.Values{"client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	grant := "password"
	switch {
	case c.cfg.RefreshToken != "":
		grant = "refresh_token"
		form.Set("grant_type", grant)
		form.Set("refresh_token", c.cfg.RefreshToken)
	case c.cfg.PrivateKey != nil:
		// The JWT bearer flow sends the assertion alone: the signature
		// proves the client, no secret is needed.
		grant = "jwt_bearer"
		a, err := c.assertion()
		if err != nil {
			return session{}, err
		}
		form = url.Values{"grant_type": {jwtGrantType}, "assertion": {a}}
	default:
		form.Set("grant_type", grant)
		form.Set("username", c.cfg.Username)
		form.Set("password", c.cfg.Password)
	}
	log := c.log.With(slog.String("grant", grant))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return session{}, fmt.Errorf("salesforce: token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "salesforce: token request failed", slog.String("error", err.Error()))
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
		// The answer's error and description never hold the secret, only
		// why it failed.
		log.LogAttrs(ctx, slog.LevelWarn, "salesforce: token refused", slog.Int("status", resp.StatusCode),
			slog.String("error", oe.Error), slog.String("description", oe.Description))
		if oe.Error == "invalid_grant" {
			return session{}, fmt.Errorf("salesforce: token: %s: %w", oe.Description, ErrReconnect)
		}
		return session{}, fmt.Errorf("salesforce: token: status %d %s", resp.StatusCode, oe.Error)
	}
	var tok tokenResponse
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return session{}, fmt.Errorf("salesforce: token: malformed answer")
	}
	if tok.RefreshToken != "" && c.cfg.RefreshToken != "" && tok.RefreshToken != c.cfg.RefreshToken {
		// Refresh token rotation: the old token is spent. Keep the new one
		// for this process, and hand it on so that a restart uses it; the
		// org has already rotated it, so a cancelled ctx must not stop that.
		c.cfg.RefreshToken = tok.RefreshToken
		log.LogAttrs(ctx, slog.LevelInfo, "salesforce: refresh token rotated")
		if c.cfg.OnRefreshToken != nil {
			if err := c.cfg.OnRefreshToken(context.WithoutCancel(ctx), tok.RefreshToken); err != nil {
				log.LogAttrs(ctx, slog.LevelError, "salesforce: rotated refresh token not saved", slog.String("error", err.Error()))
				return session{}, fmt.Errorf("salesforce: token: save the rotated refresh token: %w", err)
			}
		}
	}
	s := session{token: tok.AccessToken, instanceURL: strings.TrimRight(tok.InstanceURL, "/")}
	if s.instanceURL == "" {
		s.instanceURL = c.cfg.BaseURL
	}
	log.LogAttrs(ctx, slog.LevelDebug, "salesforce: logged in", slog.String("instance_url", s.instanceURL))
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
