package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/crmsync/crmsync/internal/store"
)

// TokenPrefix starts every API token, so that secret scanners and people
// can tell one apart from other strings.
const TokenPrefix = "crmsync_"

// tokenBytes is the token's random length.
const tokenBytes = 32

// NewToken returns a fresh random token and its hash, the only form stored.
func NewToken() (plain, hash string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("api: new token: %w", err)
	}
	plain = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain), nil
}

// HashToken returns the stored form of a token: its SHA-256, hex-encoded.
func HashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// IssueToken creates an API token for u inside tx and returns it in the
// clear; it is shown once and cannot be recovered afterwards.
func IssueToken(ctx context.Context, tx store.Tx, u store.User, name string) (string, error) {
	plain, hash, err := NewToken()
	if err != nil {
		return "", err
	}
	t := &store.Token{UserID: u.ID, OrgID: u.OrgID, Hash: hash, Name: name}
	if err := tx.CreateToken(ctx, t); err != nil {
		return "", fmt.Errorf("api: issue token for user %s: %w", u.ID, err)
	}
	return plain, nil
}

// caller is the authenticated user of a request.
type caller struct {
	user  store.User
	org   store.Org
	token store.Token
}

func (c *caller) isAdmin() bool { return c.user.Role == store.RoleAdmin }

// canSee reports whether the caller may see a stream of their org: admins
// see all, members see org-wide streams and their own.
func (c *caller) canSee(s store.Stream) bool {
	return s.OrgID == c.org.ID && (c.isAdmin() || s.UserID == "" || s.UserID == c.user.ID)
}

// canRun reports whether the caller may start a stream: admins any stream
// of their org, members only their own.
func (c *caller) canRun(s store.Stream) bool {
	return s.OrgID == c.org.ID && (c.isAdmin() || s.UserID == c.user.ID)
}

// authenticate resolves the request's bearer token to its user and org.
func (a *API) authenticate(r *http.Request) (*caller, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errUnauthorized("missing bearer token")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, errUnauthorized("want Authorization: Bearer <token>")
	}
	var c caller
	err := a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		if c.token, err = tx.GetTokenByHash(r.Context(), HashToken(tok)); err != nil {
			return err
		}
		if c.user, err = tx.GetUser(r.Context(), c.token.OrgID, c.token.UserID); err != nil {
			return err
		}
		c.org, err = tx.GetOrg(r.Context(), c.token.OrgID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthorized("invalid token")
	}
	if err != nil {
		return nil, fmt.Errorf("api: authenticate: %w", err)
	}
	if c.user.Disabled {
		return nil, errUnauthorized("user is disabled")
	}
	return &c, nil
}
