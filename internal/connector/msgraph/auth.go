package msgraph

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ErrReconnect means the token endpoint refused the app's credentials or
// the user's refresh token: the secret expired, consent was revoked or
// the tenant is wrong, and a person must fix the connection.
var ErrReconnect = errors.New("msgraph: reconnect needed")

// tokenCache holds the access token in use and gets a new one before it
// expires, or when the API refused it.
type tokenCache struct {
	cfg Config

	mu      sync.Mutex
	token   string
	expiry  time.Time
	refresh string // the delegated flow's refresh token, rotated as the endpoint answers
	fetches int
}

// refreshBefore is how long before its expiry a token is replaced.
const refreshBefore = time.Minute

func newTokenCache(cfg Config) *tokenCache {
	return &tokenCache{cfg: cfg, refresh: cfg.RefreshToken}
}

// get returns a valid access token; stale is one the API just refused.
func (c *tokenCache) get(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.token != stale && c.cfg.Now().Before(c.expiry.Add(-refreshBefore)) {
		return c.token, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
	endpoint := oauth2.Endpoint{TokenURL: c.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	var (
		tok *oauth2.Token
		err error
	)
	if c.refresh != "" {
		oc := oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: endpoint, Scopes: c.cfg.Scopes}
		tok, err = oc.TokenSource(ctx, &oauth2.Token{RefreshToken: c.refresh}).Token()
	} else {
		cc := clientcredentials.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, TokenURL: c.cfg.TokenURL,
			Scopes: c.cfg.Scopes, AuthStyle: oauth2.AuthStyleInParams}
		tok, err = cc.Token(ctx)
	}
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == 400 || re.Response.StatusCode == 401) {
			// ErrorCode says why; the secret is never in the message.
			return "", fmt.Errorf("msgraph: token: %d %s: %w", re.Response.StatusCode, re.ErrorCode, ErrReconnect)
		}
		return "", fmt.Errorf("msgraph: token: %w", err)
	}
	ttl := time.Hour
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		ttl = time.Duration(v) * time.Second
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			ttl = time.Duration(n) * time.Second
		}
	}
	if tok.RefreshToken != "" && c.refresh != "" && tok.RefreshToken != c.refresh {
		c.refresh = tok.RefreshToken
		if c.cfg.OnRefreshToken != nil {
			c.cfg.OnRefreshToken(tok.RefreshToken)
		}
	}
	c.token, c.expiry = tok.AccessToken, c.cfg.Now().Add(ttl)
	c.fetches++
	return c.token, nil
}

// Tokens returns how many access tokens the connector has fetched.
func (c *Connector) Tokens() int {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	return c.tokens.fetches
}
