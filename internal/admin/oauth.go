package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// OAuthFlow is a CRM's OAuth 2.0 web-server flow (authorization code with
// PKCE): the way an admin connects the org from the hub without handing
// over a password (SPEC A4).
type OAuthFlow interface {
	// AuthURL is where the admin's browser goes to approve the hub.
	AuthURL(state, verifier string) string
	// Exchange trades the code the CRM sent back for a refresh token and
	// the URL the org's API lives at ("" when the CRM gives none).
	Exchange(ctx context.Context, code, verifier string) (refreshToken, instanceURL string, err error)
}

// OAuthFlowFunc makes the flow for a connected app.
type OAuthFlowFunc func(baseURL, clientID, clientSecret, redirectURL string) (OAuthFlow, error)

// OAuthStart is what an admin gives to connect through the browser.
type OAuthStart struct {
	BaseURL      string `json:"base_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RedirectURL  string `json:"redirect_url"`
	Erase        bool   `json:"erase"`
}

// pendingOAuth is a started authorization, kept in the CRM connection's
// credentials (sealed at rest) until the callback; only the state's hash
// is kept.
type pendingOAuth struct {
	StateHash    string    `json:"state_hash"`
	Verifier     string    `json:"verifier"`
	BaseURL      string    `json:"base_url"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
	RedirectURL  string    `json:"redirect_url"`
	Erase        bool      `json:"erase"`
	ActorID      string    `json:"actor_id"`
	Expires      time.Time `json:"expires"`
}

// oauthTTL is how long an admin has to approve in the browser.
const oauthTTL = 10 * time.Minute

const pendingKey = "oauth_pending"

// ErrOAuth: the browser came back with an error, an unknown or expired
// state, or a code the CRM refused.
var ErrOAuth = errors.New("admin: the CRM authorization did not complete")

// StartOAuth begins the web-server flow and returns the URL to send the
// admin's browser to. A connection the org already has keeps working
// until the callback replaces its credentials.
func (s *Service) StartOAuth(ctx context.Context, a Actor, req OAuthStart) (string, error) {
	if s.oauth == nil {
		return "", fmt.Errorf("%w: this hub has no OAuth web flow for the CRM", ErrInvalid)
	}
	flow, err := s.oauth(req.BaseURL, req.ClientID, req.ClientSecret, req.RedirectURL)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	state := a.OrgID + "." + randomString(32)
	verifier := randomString(32) // 43 characters, as RFC 7636 asks at least
	p := pendingOAuth{StateHash: hash(state), Verifier: verifier, BaseURL: req.BaseURL, ClientID: req.ClientID,
		ClientSecret: req.ClientSecret, RedirectURL: req.RedirectURL, Erase: req.Erase, ActorID: a.UserID,
		Expires: s.now().Add(oauthTTL).UTC()}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		conn, found, err := connectionTx(ctx, tx, a.OrgID, s.system)
		if err != nil {
			return err
		}
		creds := map[string]any{}
		if found && len(conn.Credentials) > 0 {
			if err := json.Unmarshal(conn.Credentials, &creds); err != nil {
				return fmt.Errorf("connection %s: credentials are not valid JSON", conn.ID)
			}
		}
		creds[pendingKey] = p
		if conn.Credentials, err = json.Marshal(creds); err != nil {
			return err
		}
		if !found {
			conn = store.Connection{OrgID: a.OrgID, System: s.system, Name: "CRM", Status: store.ConnDisconnected,
				Config: mustJSON(map[string]string{"base_url": req.BaseURL}), Credentials: conn.Credentials}
			if err := tx.CreateConnection(ctx, &conn); err != nil {
				return err
			}
		} else {
			conn.Updated = time.Time{}
			if err := tx.UpdateConnection(ctx, conn); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a, "crm.oauth.start", conn.ID, map[string]any{"base_url": req.BaseURL})
	})
	if err != nil {
		return "", fmt.Errorf("admin: start authorization: %w", err)
	}
	return flow.AuthURL(state, verifier), nil
}

// FinishOAuth completes the flow at the callback: it checks the state
// against the pending authorization (once: a replay finds none), trades
// the code for a refresh token and connects the org with it, as Connect
// does. oauthErr is the error the CRM sent back instead of a code.
func (s *Service) FinishOAuth(ctx context.Context, state, code, oauthErr string) (Status, error) {
	orgID, _, ok := strings.Cut(state, ".")
	if !ok || orgID == "" {
		return Status{}, fmt.Errorf("%w: unknown state", ErrOAuth)
	}
	var p pendingOAuth
	var conn store.Connection
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		c, found, err := connectionTx(ctx, tx, orgID, s.system)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: unknown state", ErrOAuth)
		}
		creds := map[string]json.RawMessage{}
		if err := json.Unmarshal(c.Credentials, &creds); err != nil || creds[pendingKey] == nil {
			return fmt.Errorf("%w: no authorization is pending (started twice, or already used?)", ErrOAuth)
		}
		if err := json.Unmarshal(creds[pendingKey], &p); err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(hash(state)), []byte(p.StateHash)) != 1 {
			return fmt.Errorf("%w: the state does not match the pending authorization", ErrOAuth)
		}
		// The pending authorization is spent whatever happens next.
		delete(creds, pendingKey)
		if c.Credentials, err = json.Marshal(creds); err != nil {
			return err
		}
		c.Updated = time.Time{}
		conn = c
		return tx.UpdateConnection(ctx, c)
	})
	if err != nil {
		return Status{}, err
	}
	switch {
	case oauthErr != "":
		return Status{}, fmt.Errorf("%w: the CRM answered %s", ErrOAuth, oauthErr)
	case s.now().After(p.Expires):
		return Status{}, fmt.Errorf("%w: the authorization expired; start again", ErrOAuth)
	case code == "":
		return Status{}, fmt.Errorf("%w: the callback carried no code", ErrOAuth)
	}
	flow, err := s.oauth(p.BaseURL, p.ClientID, p.ClientSecret, p.RedirectURL)
	if err != nil {
		return Status{}, fmt.Errorf("%w: %v", ErrOAuth, err)
	}
	refresh, instance, err := flow.Exchange(ctx, code, p.Verifier)
	if err != nil {
		return Status{}, fmt.Errorf("%w: %v", ErrOAuth, err)
	}
	cfg := map[string]any{}
	if len(conn.Config) > 0 {
		_ = json.Unmarshal(conn.Config, &cfg)
	}
	cfg["base_url"] = p.BaseURL
	if instance != "" {
		cfg["base_url"] = instance
	}
	creds := mustJSON(map[string]string{"client_id": p.ClientID, "client_secret": p.ClientSecret, "refresh_token": refresh})
	return s.Connect(ctx, Actor{OrgID: orgID, UserID: p.ActorID}, ConnectRequest{Config: mustJSON(cfg), Credentials: creds, Erase: p.Erase})
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
