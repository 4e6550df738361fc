package zoom

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ErrReconnect means the token endpoint refused the app's credentials: the
// app was deactivated, its secret regenerated or the account id is wrong,
// and a person must fix the connection.
var ErrReconnect = errors.New("zoom: reconnect needed")

// tokenCache holds the access token in use, fetched through the
// account_credentials grant.
type tokenCache struct {
	cc  clientcredentials.Config
	now func() time.Time

	mu     sync.Mutex
	token  string
	expiry time.Time
	// fetches counts the tokens fetched, for tests and metrics.
	fetches int
}

// refreshBefore is how long before its expiry a token is replaced.
const refreshBefore = time.Minute

func newTokenCache(cfg Config) *tokenCache {
	q := url.Values{"grant_type": {"account_credentials"}, "account_id": {cfg.AccountID}}
	return &tokenCache{now: cfg.Now, cc: clientcredentials.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		// Zoom documents the grant's parameters in the query; they go in
		// the form body too, which the oauth2 package always sends.
		TokenURL:       cfg.TokenURL + "?" + q.Encode(),
		EndpointParams: q,
		AuthStyle:      oauth2.AuthStyleInHeader,
	}}
}

// get returns a valid token, fetching one when there is none, it is about
// to expire, or it is the stale one a caller saw refused.
func (c *tokenCache) get(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.token != stale && c.now().Before(c.expiry.Add(-refreshBefore)) {
		return c.token, nil
	}
	tok, err := c.cc.Token(ctx)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.Response.StatusCode == 400 || re.Response.StatusCode == 401) {
			// ErrorCode names why, never the secret.
			return "", fmt.Errorf("zoom: token: %d %s: %w", re.Response.StatusCode, re.ErrorCode, ErrReconnect)
		}
		return "", fmt.Errorf("zoom: token: %w", err)
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
	c.token, c.expiry = tok.AccessToken, c.now().Add(ttl)
	c.fetches++
	return c.token, nil
}

// Tokens returns how many access tokens the connector has fetched.
func (c *Client) Tokens() int {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	return c.tokens.fetches
}
