package salesforce

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// This file is the OAuth 2.0 JWT bearer flow (RFC 7523) as Salesforce runs
// it for server-to-server integrations: the hub signs a short-lived
// assertion with the private key whose certificate the connected app
// holds, and trades it at /services/oauth2/token for an access token, with
// no refresh token and no person involved.

// jwtGrantType is the grant_type of the JWT bearer flow.
const jwtGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// jwtLifetime is how long an assertion is valid: Salesforce refuses an exp
// more than three minutes ahead.
const jwtLifetime = 3 * time.Minute

// ParsePrivateKey reads an RSA private key in PEM, PKCS #1 ("RSA PRIVATE
// KEY", as openssl genrsa writes) or PKCS #8 ("PRIVATE KEY"). Its errors
// never quote the key.
func ParsePrivateKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("salesforce: private key: not PEM")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("salesforce: private key: malformed PKCS #1 key")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("salesforce: private key: malformed PKCS #8 key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("salesforce: private key: not an RSA key (the JWT bearer flow signs with RS256)")
		}
		return rk, nil
	}
	return nil, fmt.Errorf("salesforce: private key: PEM block %q is no private key", block.Type)
}

// jwtAudience is the aud claim: Config.JWTAudience, else the login URL.
// A My Domain login URL is not an audience Salesforce accepts: its orgs
// take https://login.salesforce.com, and sandbox orgs
// (*.sandbox.my.salesforce.com) https://test.salesforce.com.
func (c *Connector) jwtAudience() string {
	if c.cfg.JWTAudience != "" {
		return c.cfg.JWTAudience
	}
	u, err := url.Parse(c.cfg.BaseURL)
	if err == nil {
		switch h := strings.ToLower(u.Hostname()); {
		case strings.HasSuffix(h, ".sandbox.my.salesforce.com"):
			return "https://test.salesforce.com"
		case strings.HasSuffix(h, ".my.salesforce.com"):
			return "https://login.salesforce.com"
		}
	}
	return c.cfg.BaseURL
}

// assertion signs the JWT bearer assertion: header {"alg":"RS256"}, claims
// iss (the consumer key), sub (the username), aud and exp.
func (c *Connector) assertion() (string, error) {
	header, _ := json.Marshal(map[string]string{"alg": "RS256"})
	claims, _ := json.Marshal(struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
	}{c.cfg.ClientID, c.cfg.Username, c.jwtAudience(), c.cfg.Now().Add(jwtLifetime).Unix()})
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, c.cfg.PrivateKey, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("salesforce: sign assertion: %w", err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
