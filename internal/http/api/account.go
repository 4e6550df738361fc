package api

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func (a *API) me(w http.ResponseWriter, r *http.Request, c *caller) error {
	writeJSON(w, http.StatusOK, Me{User: userOf(c.user), Org: orgOf(c.org)})
	return nil
}

func (a *API) listConnections(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	var conns []store.Connection
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		if conns, err = tx.ListConnections(r.Context(), c.org.ID); err != nil {
			return fmt.Errorf("api: list connections: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A member sees the org's connections and their own, never another
	// user's personal ones.
	visible := conns[:0:0]
	for _, x := range conns {
		if x.UserID == "" || x.UserID == c.user.ID || c.isAdmin() {
			visible = append(visible, x)
		}
	}
	writeJSON(w, http.StatusOK, listOf(mapSlice(truncate(visible, limit), connectionOf)))
	return nil
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	var users []store.User
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		if users, err = tx.ListUsers(r.Context(), c.org.ID); err != nil {
			return fmt.Errorf("api: list users: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(mapSlice(truncate(users, limit), userOf)))
	return nil
}

// createUser adds a user to the caller's org and issues their first token.
func (a *API) createUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req CreateUserRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	u, err := NewUser(c.org.ID, req.Email, req.Name, store.Role(cmp.Or(req.Role, string(store.RoleMember))), req.TimeZone)
	if err != nil {
		return errBadRequest("%v", err)
	}
	u.Created = a.now()
	var token string
	err = a.store.InTx(r.Context(), func(tx store.Tx) error {
		if err := tx.CreateUser(r.Context(), &u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errConflict("a user with this email already exists")
			}
			return fmt.Errorf("api: create user: %w", err)
		}
		var err error
		if token, err = IssueToken(r.Context(), tx, u, "created by "+c.user.Email); err != nil {
			return err
		}
		return a.audit(r.Context(), tx, c, "user.create", u.ID, map[string]string{"email": u.Email, "role": string(u.Role)})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, CreatedUser{User: userOf(u), Token: token})
	return nil
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	var entries []store.Audit
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		if entries, err = tx.ListAudit(r.Context(), c.org.ID, limit); err != nil {
			return fmt.Errorf("api: list audit: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(mapSlice(entries, auditOf)))
	return nil
}

// NewUser checks a new user's fields and returns the user to create: the
// email trimmed and lower-cased, the role admin or member, the time zone
// empty or a known IANA name. The CLI uses it too, so both paths accept the
// same users.
func NewUser(orgID, email, name string, role store.Role, tz string) (store.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n<>") {
		return store.User{}, fmt.Errorf("email: %q is not an address", email)
	}
	if role != store.RoleAdmin && role != store.RoleMember {
		return store.User{}, fmt.Errorf("role: %q; want %s or %s", role, store.RoleAdmin, store.RoleMember)
	}
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			return store.User{}, fmt.Errorf("time zone: %q is not an IANA zone name", tz)
		}
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = email[:strings.IndexByte(email, '@')]
	}
	return store.User{OrgID: orgID, Email: email, Name: name, Role: role, TimeZone: tz}, nil
}

func truncate[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
