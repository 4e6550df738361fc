package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	crmadmin "github.com/crmsync/crmsync/internal/admin"
	"github.com/crmsync/crmsync/internal/store"
)

// CRM sync administration (SPEC A2–A7): admins only, except a user's own
// saved lists. Every action is audited by the admin service.
func (a *API) crmRoutes() {
	a.handle("GET /api/v1/crm", admin, a.crmStatus)
	a.handle("POST /api/v1/crm/connect", admin, a.crmConnect)
	a.handle("POST /api/v1/crm/oauth/start", admin, a.crmOAuthStart)
	a.handle("GET /api/v1/crm/oauth/callback", public, a.crmOAuthCallback)
	a.handle("POST /api/v1/crm/disconnect", admin, a.crmDisconnect)
	a.handle("POST /api/v1/crm/erase", admin, a.crmErase)
	a.handle("POST /api/v1/crm/validate", admin, a.crmValidate)
	a.handle("GET /api/v1/crm/users", admin, a.crmUsers)
	a.handle("POST /api/v1/crm/users/sync", admin, a.crmUsersSync)
	a.handle("PUT /api/v1/users/{id}/seat", admin, a.grantSeat)
	a.handle("DELETE /api/v1/users/{id}/seat", admin, a.revokeSeat)
	a.handle("PUT /api/v1/users/{id}/crm-sync", admin, a.setUserSync)
	a.handle("GET /api/v1/saved", member, a.savedLists)
}

// crmService is the admin service, or a 503 when the hub runs without one.
func (a *API) crmService() (*crmadmin.Service, error) {
	if a.admin == nil {
		return nil, errUnavailable("CRM administration is not configured on this hub")
	}
	return a.admin, nil
}

// crmError maps the admin service's errors to answers.
func crmError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "admin: ")
	switch {
	case errors.Is(err, crmadmin.ErrInvalid):
		return errBadRequest("%s", strings.TrimPrefix(msg, "invalid request: "))
	case errors.Is(err, crmadmin.ErrMapping):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_mapping", Message: msg}
	case errors.Is(err, crmadmin.ErrOAuth):
		return errBadRequest("%s", msg)
	case errors.Is(err, crmadmin.ErrNotConnected):
		return errConflict("the org is not connected to the CRM: connect it first")
	}
	return err
}

func actorOf(c *caller) crmadmin.Actor { return crmadmin.Actor{OrgID: c.org.ID, UserID: c.user.ID} }

func (a *API) crmStatus(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	st, err := svc.Status(r.Context(), c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// CRMConnectRequest is POST /api/v1/crm/connect's body.
type CRMConnectRequest struct {
	Config      json.RawMessage `json:"config"`
	Credentials json.RawMessage `json:"credentials"`
	Erase       bool            `json:"erase"`
}

func (a *API) crmConnect(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	var req CRMConnectRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	st, err := svc.Connect(r.Context(), actorOf(c), crmadmin.ConnectRequest{Config: req.Config, Credentials: req.Credentials, Erase: req.Erase})
	if err != nil {
		// A mapping problem leaves the org connected, with the problems
		// on the connection: a 422 says what to fix.
		return crmError(err)
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// CRMEraseRequest is POST /api/v1/crm/disconnect's body.
type CRMEraseRequest struct {
	Erase bool `json:"erase"`
}

func (a *API) crmDisconnect(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	var req CRMEraseRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	if err := svc.Disconnect(r.Context(), actorOf(c), req.Erase); err != nil {
		return crmError(err)
	}
	return a.crmStatus(w, r, c)
}

func (a *API) crmErase(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	if err := svc.Erase(r.Context(), actorOf(c)); err != nil {
		return crmError(err)
	}
	return a.crmStatus(w, r, c)
}

func (a *API) crmValidate(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	problems, err := svc.Validate(r.Context(), c.org.ID)
	if err != nil && !errors.Is(err, crmadmin.ErrMapping) {
		return crmError(err)
	}
	if problems == nil {
		problems = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"valid": len(problems) == 0, "problems": problems})
	return nil
}

func (a *API) crmUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	users, err := svc.CRMUsers(r.Context(), c.org.ID)
	if err != nil {
		return crmError(err)
	}
	writeJSON(w, http.StatusOK, listOf(users))
	return nil
}

func (a *API) crmUsersSync(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	res, err := svc.SyncUsers(r.Context(), c.org.ID)
	if err != nil {
		return crmError(err)
	}
	if res.Revoked == nil {
		res.Revoked = []string{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// SeatRequest is PUT /api/v1/users/{id}/seat's body: the CRM user's id or
// username.
type SeatRequest struct {
	CRMUser string `json:"crm_user"`
}

func (a *API) grantSeat(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	var req SeatRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.CRMUser) == "" {
		return errInvalid("crm_user", "required: the CRM user's id or username")
	}
	u, err := svc.GrantSeat(r.Context(), actorOf(c), r.PathValue("id"), strings.TrimSpace(req.CRMUser))
	if err != nil {
		return crmError(err)
	}
	writeJSON(w, http.StatusOK, userOf(u))
	return nil
}

func (a *API) revokeSeat(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	u, err := svc.RevokeSeat(r.Context(), actorOf(c), r.PathValue("id"))
	if err != nil {
		return crmError(err)
	}
	writeJSON(w, http.StatusOK, userOf(u))
	return nil
}

// UserSyncRequest is PUT /api/v1/users/{id}/crm-sync's body.
type UserSyncRequest struct {
	Enabled *bool `json:"enabled"`
}

func (a *API) setUserSync(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	var req UserSyncRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Enabled == nil {
		return errInvalid("enabled", "required: true or false")
	}
	u, err := svc.SetUserSync(r.Context(), actorOf(c), r.PathValue("id"), *req.Enabled)
	if err != nil {
		return crmError(err)
	}
	writeJSON(w, http.StatusOK, userOf(u))
	return nil
}

// savedLists answers the caller's saved leads and accounts; an admin may
// ask for another user's with ?user=ID.
func (a *API) savedLists(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	userID := c.user.ID
	if u := r.URL.Query().Get("user"); u != "" && u != c.user.ID {
		if !c.isAdmin() {
			return errForbidden("only admins may read another user's saved lists")
		}
		if err := a.store.Read(r.Context(), func(tx store.Tx) error { _, err := tx.GetUser(r.Context(), c.org.ID, u); return err }); err != nil {
			return err
		}
		userID = u
	}
	lists, err := svc.Saved(r.Context(), c.org.ID, userID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lists)
	return nil
}

// crmOAuthStart begins the CRM's web-server flow: the answer's auth_url is
// where the admin's browser goes; the CRM sends it back to the callback.
// redirect_url defaults to this hub's callback as the request reached it.
func (a *API) crmOAuthStart(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	var req crmadmin.OAuthStart
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.RedirectURL == "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		req.RedirectURL = scheme + "://" + r.Host + "/api/v1/crm/oauth/callback"
	}
	u, err := svc.StartOAuth(r.Context(), actorOf(c), req)
	if err != nil {
		return crmError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"auth_url": u, "redirect_url": req.RedirectURL})
	return nil
}

// crmOAuthCallback is where the CRM sends the admin's browser back. It
// carries no token: the one-time state proves which authorization it ends.
func (a *API) crmOAuthCallback(w http.ResponseWriter, r *http.Request, _ *caller) error {
	svc, err := a.crmService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	oauthErr := q.Get("error")
	if d := q.Get("error_description"); d != "" {
		oauthErr += ": " + d
	}
	st, err := svc.FinishOAuth(r.Context(), q.Get("state"), q.Get("code"), oauthErr)
	if err != nil {
		return crmError(err)
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
