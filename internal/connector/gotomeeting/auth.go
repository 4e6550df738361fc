package gotomeeting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// ErrReconnect means GoTo no longer accepts the connection's grant (the
// refresh token was revoked or has lapsed): the organizer must connect
// again.
var ErrReconnect = errors.New("gotomeeting: reconnect needed")

// Default endpoints of GoTo's services.
const (
	DefaultAPIURL  = "https://api.getgo.com/G2M/rest"
	DefaultAuthURL = "https://authentication.logmeininc.com"
)

// oauthConfig is the OAuth client of cfg at GoTo's authentication service.
func oauthConfig(cfg Config) *oauth2.Config {
	return &oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
		Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL + "/oauth/authorize", TokenURL: cfg.AuthURL + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader},
	}
}

// AuthCodeURL is where the organizer is sent to allow access; GoTo
// redirects back to Config.RedirectURL with the code and state.
func (c Config) AuthCodeURL(state string) string {
	return oauthConfig(c.withDefaults()).AuthCodeURL(state)
}

// Exchange trades the authorization code of the redirect for the
// connection's first token, whose RefreshToken the hub keeps (encrypted).
func (c Config) Exchange(ctx context.Context, code string) (*oauth2.Token, error) {
	c = c.withDefaults()
	tok, err := oauthConfig(c).Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.HTTPClient), code)
	if err != nil {
		return nil, fmt.Errorf("gotomeeting: exchange code: %w", tokenError(err))
	}
	return tok, nil
}

// OrganizerKey reads the organizer_key GoTo adds to its token answers.
func OrganizerKey(tok *oauth2.Token) string {
	if tok == nil {
		return ""
	}
	switch v := tok.Extra("organizer_key").(type) {
	case string:
		return v
	case float64:
		return fmt.Sprintf("%.0f", v)
	}
	return ""
}

// tokenError turns a refused grant into ErrReconnect; the error text keeps
// the service's code and description, never a token.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode == "invalid_grant" {
			return fmt.Errorf("%s: %w", re.ErrorDescription, ErrReconnect)
		}
		code := re.ErrorCode
		if code == "" && re.Response != nil {
			code = re.Response.Status
		}
		return fmt.Errorf("token endpoint refused: %s %s", code, re.ErrorDescription)
	}
	return err
}

// tokens keeps the access token in use and renews it with the refresh
// token when it expires or GoTo refuses it.
type tokens struct {
	cfg Config
	oc  *oauth2.Config

	mu  sync.Mutex
	tok *oauth2.Token
}

func newTokens(cfg Config) *tokens {
	t := &tokens{cfg: cfg, oc: oauthConfig(cfg)}
	if cfg.Token != nil {
		tok := *cfg.Token
		t.tok = &tok
	}
	return t
}

// valid says whether tok may still be sent: a minute of margin before its
// expiry, on the connector's clock.
func (t *tokens) valid(tok *oauth2.Token) bool {
	return tok != nil && tok.AccessToken != "" && (tok.Expiry.IsZero() || t.cfg.Now().Add(time.Minute).Before(tok.Expiry))
}

// get returns an access token to send. stale is one GoTo just refused: a
// new one is fetched unless another call has replaced it meanwhile.
func (t *tokens) get(ctx context.Context, stale string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.valid(t.tok) && t.tok.AccessToken != stale {
		return t.tok.AccessToken, nil
	}
	if t.tok == nil || t.tok.RefreshToken == "" {
		return "", fmt.Errorf("gotomeeting: token: no refresh token: %w", ErrReconnect)
	}
	refresh := t.tok.RefreshToken
	ctx = context.WithValue(ctx, oauth2.HTTPClient, t.cfg.HTTPClient)
	// A token source over a token without an access token always refreshes.
	nt, err := t.oc.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()
	if err != nil {
		return "", fmt.Errorf("gotomeeting: refresh token: %w", tokenError(err))
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = refresh
	}
	t.tok = nt
	if t.cfg.OnToken != nil {
		cp := *nt
		t.cfg.OnToken(&cp)
	}
	t.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "gotomeeting: access token renewed",
		slog.Bool("refresh_token_rotated", nt.RefreshToken != refresh))
	return nt.AccessToken, nil
}

// Token returns a copy of the token in use (for the hub to keep).
func (c *Client) Token() *oauth2.Token {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	if c.tokens.tok == nil {
		return nil
	}
	cp := *c.tokens.tok
	return &cp
}
