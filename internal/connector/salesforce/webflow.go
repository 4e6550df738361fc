package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// WebFlow is Salesforce's OAuth 2.0 web-server flow (authorization code
// with PKCE), by which an admin connects the org from the hub: the hub
// sends the admin's browser to AuthURL, Salesforce sends it back to the
// redirect URI with a code, and Exchange turns the code into the refresh
// token the connection keeps (sealed at rest).
type WebFlow struct {
	cfg        oauth2.Config
	httpClient *http.Client
}

// NewWebFlow returns the flow against the org (or login host) at baseURL,
// for the connected app clientID/clientSecret, coming back to redirectURL.
func NewWebFlow(baseURL, clientID, clientSecret, redirectURL string, hc *http.Client) (*WebFlow, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	var missing []string
	for name, v := range map[string]string{"base URL": baseURL, "client id": clientID, "client secret": clientSecret, "redirect URL": redirectURL} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("salesforce: web flow needs the %s", strings.Join(missing, ", "))
	}
	return &WebFlow{httpClient: hc, cfg: oauth2.Config{
		ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirectURL,
		Scopes: []string{"api", "refresh_token"},
		Endpoint: oauth2.Endpoint{AuthURL: baseURL + "/services/oauth2/authorize", TokenURL: baseURL + "/services/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams},
	}}, nil
}

// AuthURL is where to send the admin's browser: state comes back with the
// code; verifier (oauth2.GenerateVerifier) proves the exchange is ours.
func (f *WebFlow) AuthURL(state, verifier string) string {
	return f.cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login consent"))
}

// ErrNoRefreshToken means the connected app did not grant a refresh token
// (its OAuth scopes lack refresh_token / offline_access).
var ErrNoRefreshToken = errors.New("salesforce: the authorization gave no refresh token; add the refresh_token scope to the connected app")

// Exchange trades the code for tokens and returns the refresh token and
// the instance URL the org's API lives at.
func (f *WebFlow) Exchange(ctx context.Context, code, verifier string) (refreshToken, instanceURL string, err error) {
	if f.httpClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, f.httpClient)
	}
	tok, err := f.cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", "", fmt.Errorf("salesforce: authorization code refused: %s %s", re.ErrorCode, re.ErrorDescription)
		}
		return "", "", fmt.Errorf("salesforce: authorization code exchange: %w", err)
	}
	if tok.RefreshToken == "" {
		return "", "", ErrNoRefreshToken
	}
	instance, _ := tok.Extra("instance_url").(string)
	return tok.RefreshToken, instance, nil
}
