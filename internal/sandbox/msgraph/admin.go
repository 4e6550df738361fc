package msgraph

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// This file is the sandbox's own admin surface under /__sandbox/ and the
// same operations as Go methods. Nothing here exists in Graph: it plays
// the users in Outlook and the tenant's operator.
//
//	GET    /__sandbox/                              tenant info: URLs, credentials, users, folders
//	POST   /__sandbox/reset                         back to the seeded tenant
//	POST   /__sandbox/seed                          SeedConfig as JSON: reseed
//	GET    /__sandbox/faults                        the fault switches
//	POST   /__sandbox/faults                        merge switches; {"expire_tokens":true}, {"expire_delta_tokens":true}
//	DELETE /__sandbox/faults                        clear every switch
//	POST   /__sandbox/delta/expire                  forget every delta token (the next use answers 410)
//	GET    /__sandbox/grants                        the shared folders
//	POST   /__sandbox/grants                        {"owner","folderId","grantee"}: owner shares a folder
//	POST   /__sandbox/users/{user}/token            a delegated token pair for user (as a sign-in would)
//	POST   /__sandbox/users/{user}/categories/{id}/rename   {"displayName"}: the user renames it in Outlook
//	POST   /__sandbox/users/{user}/contacts/{id}/corrupt    {"raw": {...}}: the contact reads as this JSON

// UserInfo describes one mailbox for the admin surface and the CLI.
type UserInfo struct {
	ID                string          `json:"id"`
	UserPrincipalName string          `json:"userPrincipalName"`
	DisplayName       string          `json:"displayName"`
	DefaultFolderID   string          `json:"defaultFolderId"`
	Folders           []ContactFolder `json:"folders"`
	Contacts          int             `json:"contacts"`
	Categories        int             `json:"categories"`
}

// Users describes every mailbox, in seed order.
func (s *Server) Users() []UserInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]UserInfo, 0, len(s.st.users))
	for _, u := range s.st.users {
		ui := UserInfo{ID: u.ID, UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName,
			DefaultFolderID: u.defaultID, Categories: len(u.categories), Folders: []ContactFolder{}}
		for _, f := range u.folders {
			ui.Folders = append(ui.Folders, *f)
		}
		for _, c := range u.contacts {
			if !c.deleted {
				ui.Contacts++
			}
		}
		out = append(out, ui)
	}
	return out
}

// Grant shares owner's folder (folderID; "" for the default Contacts
// folder) with grantee, read-only, as a user does in Outlook. Users are
// named by id or userPrincipalName.
func (s *Server) Grant(owner, folderID, grantee string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, g := s.st.user(owner), s.st.user(grantee)
	if o == nil || g == nil {
		return fmt.Errorf("msgraph sandbox: grant: no user %q or %q", owner, grantee)
	}
	if folderID == "" {
		folderID = o.defaultID
	}
	if _, ok := o.folder(folderID); !ok {
		return fmt.Errorf("msgraph sandbox: grant: user %s has no folder %q", owner, folderID)
	}
	s.st.grants[grant{Owner: o.ID, Folder: folderID, Grantee: g.ID}] = true
	return nil
}

// GrantInfo is one shared folder.
type GrantInfo struct {
	Owner    string `json:"owner"`
	FolderID string `json:"folderId"`
	Grantee  string `json:"grantee"`
}

// Grants lists the shared folders.
func (s *Server) Grants() []GrantInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []GrantInfo{}
	for g := range s.st.grants {
		out = append(out, GrantInfo{Owner: g.Owner, FolderID: g.Folder, Grantee: g.Grantee})
	}
	return out
}

// RenameCategory renames user's category id as the user does in
// Outlook: the category keeps its id and color, and the contacts that
// carry the old name carry the new one (a change delta reports). Graph's
// API cannot do this; only a person can.
func (s *Server) RenameCategory(user, id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(user)
	if u == nil {
		return fmt.Errorf("msgraph sandbox: rename category: no user %q", user)
	}
	cat, _ := u.category(id)
	if cat == nil {
		return fmt.Errorf("msgraph sandbox: rename category: user %s has no category %q", user, id)
	}
	if name = strings.TrimSpace(name); name == "" {
		return errors.New("msgraph sandbox: rename category: the new name is empty")
	}
	if other := u.categoryNamed(name); other != nil && other != cat {
		return fmt.Errorf("msgraph sandbox: rename category: %q exists", name)
	}
	old := cat.DisplayName
	cat.DisplayName = name
	now := s.nowLocked()
	for _, c := range u.contacts {
		if c.deleted {
			continue
		}
		hit := false
		for i, v := range c.Categories {
			if strings.EqualFold(v, old) {
				c.Categories[i], hit = name, true
			}
		}
		if hit {
			s.st.touch(c, now)
		}
	}
	return nil
}

// Corrupt makes user's contact id read as raw (its id is kept), so that a
// client meets a contact it cannot decode; the next write replaces it.
func (s *Server) Corrupt(user, id string, raw json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(user)
	if u == nil {
		return fmt.Errorf("msgraph sandbox: corrupt: no user %q", user)
	}
	c, ok := u.contacts[id]
	if !ok || c.deleted {
		return fmt.Errorf("msgraph sandbox: corrupt: user %s has no contact %q", user, id)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return errors.New("msgraph sandbox: corrupt: raw must be a JSON object")
	}
	obj["id"], _ = json.Marshal(c.ID)
	c.raw, _ = json.Marshal(obj)
	s.st.touch(c, s.nowLocked())
	return nil
}

// DelegatedToken signs user in: an access token for /me and a refresh
// token, as the token endpoint answers the authorization_code grant.
func (s *Server) DelegatedToken(user string) (access, refresh string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(user)
	if u == nil {
		return "", "", fmt.Errorf("msgraph sandbox: no user %q", user)
	}
	a := s.issueLocked(u.ID)
	return a.AccessToken, a.RefreshToken, nil
}

// Requests is how many API calls were answered (faults aside).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	p := strings.Trim(strings.TrimPrefix(r.URL.Path, "/__sandbox"), "/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	fail := func(status int, err error) { writeJSON(w, status, map[string]string{"error": err.Error()}) }
	segs := strings.Split(p, "/")
	switch {
	case p == "" && r.Method == http.MethodGet:
		base := baseURL(r)
		writeJSON(w, 200, map[string]any{
			"api_base_url": base + "/v1.0", "token_url": base + "/" + s.cfg.TenantID + "/oauth2/v2.0/token",
			"tenant_id": s.cfg.TenantID, "client_id": s.cfg.ClientID, "client_secret": s.cfg.ClientSecret,
			"users": s.Users(), "grants": s.Grants()})
	case p == "reset" && r.Method == http.MethodPost:
		s.Reset()
		writeJSON(w, 200, map[string]bool{"reset": true})
	case p == "seed" && r.Method == http.MethodPost:
		var c SeedConfig
		if err := json.Unmarshal(body, &c); err != nil {
			fail(400, err)
			return
		}
		if err := s.Seed(c); err != nil {
			fail(400, err)
			return
		}
		writeJSON(w, 200, s.Users())
	case p == "faults":
		switch r.Method {
		case http.MethodGet:
		case http.MethodDelete:
			_ = s.SetFaults(Faults{})
		case http.MethodPost:
			var fw faultsWire
			if err := json.Unmarshal(body, &fw); err != nil {
				fail(400, err)
				return
			}
			s.mu.Lock()
			err := s.faults.Apply(fw.Wire)
			s.mu.Unlock()
			if err != nil {
				fail(400, err)
				return
			}
			if fw.ExpireTokens {
				s.ExpireTokens()
			}
			if fw.ExpireDeltaTokens {
				s.ExpireDeltaTokens()
			}
		default:
			fail(405, errors.New("GET, POST or DELETE"))
			return
		}
		writeJSON(w, 200, s.Faults())
	case p == "delta/expire" && r.Method == http.MethodPost:
		s.ExpireDeltaTokens()
		writeJSON(w, 200, map[string]bool{"expired": true})
	case p == "grants" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.Grants())
	case p == "grants" && r.Method == http.MethodPost:
		var g GrantInfo
		if err := json.Unmarshal(body, &g); err != nil {
			fail(400, err)
			return
		}
		if err := s.Grant(g.Owner, g.FolderID, g.Grantee); err != nil {
			fail(400, err)
			return
		}
		writeJSON(w, 200, s.Grants())
	case len(segs) == 3 && segs[0] == "users" && segs[2] == "token" && r.Method == http.MethodPost:
		a, rt, err := s.DelegatedToken(segs[1])
		if err != nil {
			fail(404, err)
			return
		}
		writeJSON(w, 200, map[string]string{"access_token": a, "refresh_token": rt})
	case len(segs) == 5 && segs[0] == "users" && segs[2] == "categories" && segs[4] == "rename" && r.Method == http.MethodPost:
		var in struct {
			DisplayName string `json:"displayName"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			fail(400, err)
			return
		}
		if err := s.RenameCategory(segs[1], segs[3], in.DisplayName); err != nil {
			fail(400, err)
			return
		}
		writeJSON(w, 200, map[string]bool{"renamed": true})
	case len(segs) == 5 && segs[0] == "users" && segs[2] == "contacts" && segs[4] == "corrupt" && r.Method == http.MethodPost:
		var in struct {
			Raw json.RawMessage `json:"raw"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			fail(400, err)
			return
		}
		if err := s.Corrupt(segs[1], segs[3], in.Raw); err != nil {
			fail(400, err)
			return
		}
		writeJSON(w, 200, map[string]bool{"corrupted": true})
	default:
		fail(404, fmt.Errorf("no admin route %s /__sandbox/%s", r.Method, p))
	}
}
