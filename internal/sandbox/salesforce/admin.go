package salesforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// This file is the sandbox's own admin surface under /__sandbox/, and the
// same operations as Go methods. Nothing here exists in Salesforce, and no
// call here counts against the API allowance. It lets a test or a person
// play the org's users: edit records as if in the Salesforce UI, seed and
// reset the org, add custom fields, flip fault switches, spend the API
// allowance and move the clock.
//
//	GET    /__sandbox/                       org info: URLs, credentials, users, usage, counts
//	POST   /__sandbox/reset                  back to the configured org (data, tokens, jobs)
//	POST   /__sandbox/seed                   generate records: SeedConfig as JSON
//	GET    /__sandbox/faults                 the fault switches
//	POST   /__sandbox/faults                 merge switches; {"expire_tokens":true}, {"revoke_tokens":true}
//	DELETE /__sandbox/faults                 clear every switch
//	GET    /__sandbox/fields?object=X        custom fields of X
//	POST   /__sandbox/fields                 add a custom field: {"object":"Contact", "name":"Ext__c", "type":"string", ...}
//	POST   /__sandbox/records/{object}       create a record as a user
//	GET    /__sandbox/records/{object}/{id}  read a record, deleted or not
//	PATCH  /__sandbox/records/{object}/{id}  update a record as a user
//	DELETE /__sandbox/records/{object}/{id}  delete a record as a user
//	POST   /__sandbox/usage                  {"used": N}: set the API calls spent today
//	GET    /__sandbox/clock                  the sandbox's time
//	POST   /__sandbox/clock                  {"advance": "25h"} moves it forward; {"reset": true} back
//
// Record writes act as the user named by the X-Sandbox-User header or the
// "as" query parameter (a username or a user id), else as the first
// configured user. They may also set CreatedDate, LastModifiedDate,
// SystemModstamp, CreatedById and LastModifiedById, to backdate history.

type adminError struct {
	Error string `json:"error"`
}

func writeAdminError(w http.ResponseWriter, r *http.Request, status int, err error) {
	writeJSON(w, r, status, adminError{Error: err.Error()})
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	segs := pathSegments(strings.TrimPrefix(r.URL.EscapedPath(), "/__sandbox"))
	route := ""
	if len(segs) > 0 {
		route = segs[0]
	}
	method := r.Method
	switch {
	case route == "" || route == "info":
		writeJSON(w, r, 200, s.info(r))
	case route == "reset" && method == http.MethodPost:
		if err := s.Reset(); err != nil {
			writeAdminError(w, r, 500, err)
			return
		}
		writeJSON(w, r, 200, s.info(r))
	case route == "seed" && method == http.MethodPost:
		var cfg SeedConfig
		if err := json.NewDecoder(r.Body).Decode(&cfg); err != nil {
			writeAdminError(w, r, 400, fmt.Errorf("seed: %w", err))
			return
		}
		res, err := s.Seed(cfg)
		if err != nil {
			writeAdminError(w, r, 400, err)
			return
		}
		writeJSON(w, r, 200, res)
	case route == "faults":
		s.adminFaults(w, r)
	case route == "fields":
		s.adminFields(w, r)
	case route == "records" && len(segs) >= 2 && len(segs) <= 3:
		s.adminRecords(w, r, segs[1:])
	case route == "usage" && method == http.MethodPost:
		var body struct {
			Used int `json:"used"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeAdminError(w, r, 400, fmt.Errorf("usage: %w", err))
			return
		}
		s.SetAPIUsage(body.Used)
		used, limit := s.APIUsage()
		writeJSON(w, r, 200, map[string]int{"used": used, "max": limit})
	case route == "clock":
		if method == http.MethodPost {
			var body struct {
				Advance string `json:"advance"`
				Reset   bool   `json:"reset"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				writeAdminError(w, r, 400, fmt.Errorf("clock: %w", err))
				return
			}
			if body.Reset {
				s.mu.Lock()
				s.offset = 0
				s.mu.Unlock()
			}
			if body.Advance != "" {
				d, err := time.ParseDuration(body.Advance)
				if err != nil || d < 0 {
					writeAdminError(w, r, 400, fmt.Errorf("clock: advance %q is not a positive duration", body.Advance))
					return
				}
				s.Advance(d)
			}
		}
		writeJSON(w, r, 200, map[string]string{"now": s.now().Format(time.RFC3339)})
	default:
		writeAdminError(w, r, 404, fmt.Errorf("no admin resource %s %s", method, r.URL.Path))
	}
}

// info describes the org for the admin surface and the CLI.
func (s *Server) info(r *http.Request) map[string]any {
	base := s.baseURL(r)
	type user struct {
		Username      string `json:"username"`
		Password      string `json:"password"`
		SecurityToken string `json:"security_token"`
		UserID        string `json:"user_id"`
	}
	var users []user
	for _, u := range s.cfg.Users {
		id, _ := s.activeUserID(u.Username)
		users = append(users, user{u.Username, u.Password, u.SecurityToken, id})
	}
	used, limit := s.APIUsage()
	return map[string]any{
		"login_url": base, "instance_url": base, "token_url": base + "/services/oauth2/token",
		"rest_url": base + "/services/data/v" + s.cfg.APIVersion, "api_version": s.cfg.APIVersion,
		"client_id": s.cfg.ClientID, "client_secret": s.cfg.ClientSecret, "org_id": s.cfg.OrgID,
		"users": users, "api_usage": map[string]int{"used": used, "max": limit}, "counts": s.Counts(),
		"faults": s.Faults(), "now": s.now().Format(time.RFC3339),
	}
}

func (s *Server) adminFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		_ = s.SetFaults(Faults{})
	case http.MethodPost, http.MethodPatch, http.MethodPut:
		var wire faultsWire
		if err := json.NewDecoder(r.Body).Decode(&wire); err != nil {
			writeAdminError(w, r, 400, fmt.Errorf("faults: %w", err))
			return
		}
		s.mu.Lock()
		f := s.faults
		_, err := f.apply(wire)
		if err == nil {
			s.faults = f
		}
		s.mu.Unlock()
		if err != nil {
			writeAdminError(w, r, 400, fmt.Errorf("faults: %w", err))
			return
		}
		if wire.ExpireTokens {
			s.ExpireTokens()
		}
		if wire.RevokeTokens {
			s.RevokeTokens()
		}
	default:
		writeAdminError(w, r, 405, fmt.Errorf("faults: method %s", r.Method))
		return
	}
	writeJSON(w, r, 200, s.Faults())
}

func (s *Server) adminFields(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		object := r.URL.Query().Get("object")
		st := s.store()
		st.mu.RLock()
		t, ok := st.table(object)
		var out []Field
		if ok {
			for _, f := range t.obj.fields {
				if f.custom() {
					out = append(out, *f)
				}
			}
		}
		st.mu.RUnlock()
		if !ok {
			writeAdminError(w, r, 404, fmt.Errorf("fields: no object %q", object))
			return
		}
		writeJSON(w, r, 200, out)
	case http.MethodPost:
		var body struct {
			Object string `json:"object"`
			Field
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeAdminError(w, r, 400, fmt.Errorf("fields: %w", err))
			return
		}
		f, err := s.AddField(body.Object, body.Field)
		if err != nil {
			writeAdminError(w, r, 400, err)
			return
		}
		writeJSON(w, r, 201, f)
	default:
		writeAdminError(w, r, 405, fmt.Errorf("fields: method %s", r.Method))
	}
}

// actingUser resolves X-Sandbox-User / ?as= to a user id.
func (s *Server) actingUser(r *http.Request) (string, error) {
	who := r.Header.Get("X-Sandbox-User")
	if who == "" {
		who = r.URL.Query().Get("as")
	}
	return s.userID(who)
}

// userID resolves a username or user id; empty means the first configured
// user.
func (s *Server) userID(who string) (string, error) {
	st := s.store()
	st.mu.RLock()
	defer st.mu.RUnlock()
	if who == "" {
		id, ok := s.defaultUserID(st)
		if !ok {
			return "", errors.New("the default user is missing")
		}
		return id, nil
	}
	t, _ := st.table(objUser)
	if id, ok := normalizeID(who); ok {
		if _, ok := t.get(id); ok {
			return id, nil
		}
	}
	if ids := t.lookup(t.obj.pos("Username"), who); len(ids) == 1 {
		return ids[0], nil
	}
	return "", fmt.Errorf("no user %q", who)
}

func (s *Server) adminRecords(w http.ResponseWriter, r *http.Request, segs []string) {
	as, err := s.actingUser(r)
	if err != nil {
		writeAdminError(w, r, 400, err)
		return
	}
	object := segs[0]
	var body map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if aerr := readJSON(r, &body); aerr != nil {
			writeErrors(w, r, aerr)
			return
		}
	}
	switch {
	case len(segs) == 1 && r.Method == http.MethodPost:
		id, err := s.write(object, "", as, body, "create")
		if err != nil {
			s.writeAdminWriteError(w, r, err)
			return
		}
		writeJSON(w, r, 201, saveResult{ID: &id, Success: true, Errors: []collectionError{}})
	case len(segs) == 2 && r.Method == http.MethodGet:
		rec, err := s.Get(object, segs[1])
		if err != nil {
			s.writeAdminWriteError(w, r, err)
			return
		}
		writeJSON(w, r, 200, rec)
	case len(segs) == 2 && r.Method == http.MethodPatch:
		if _, err := s.write(object, segs[1], as, body, "update"); err != nil {
			s.writeAdminWriteError(w, r, err)
			return
		}
		rec, _ := s.Get(object, segs[1])
		writeJSON(w, r, 200, rec)
	case len(segs) == 2 && r.Method == http.MethodDelete:
		if _, err := s.write(object, segs[1], as, nil, "delete"); err != nil {
			s.writeAdminWriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeAdminError(w, r, 405, fmt.Errorf("records: method %s", r.Method))
	}
}

func (s *Server) writeAdminWriteError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeErrors(w, r, ae)
		return
	}
	writeAdminError(w, r, 400, err)
}

// write creates, updates or deletes a record outside the API, as a user.
func (s *Server) write(object, id, as string, body map[string]any, op string) (string, error) {
	st := s.store()
	wr := writer{user: as, now: s.now(), admin: true}
	st.mu.Lock()
	defer st.mu.Unlock()
	t, ok := st.table(object)
	if !ok {
		return "", fmt.Errorf("salesforce sandbox: %s %s: %w", op, object, errNotFound())
	}
	if op != "create" {
		n, ok := normalizeID(id)
		if !ok || idPrefix(n) != t.obj.Prefix {
			return "", fmt.Errorf("salesforce sandbox: %s %s %s: %w", op, object, id, errNotFound())
		}
		id = n
	}
	if op == "delete" {
		if err := st.remove(t, id, wr, nil); err != nil {
			return "", fmt.Errorf("salesforce sandbox: delete %s %s: %w", object, id, err)
		}
		return id, nil
	}
	in, aerr := resolve(t.obj, body)
	if aerr != nil {
		return "", fmt.Errorf("salesforce sandbox: %s %s: %w", op, object, aerr)
	}
	if op == "create" {
		r, aerr := st.insert(t, in, wr, nil)
		if aerr != nil {
			return "", fmt.Errorf("salesforce sandbox: create %s: %w", object, aerr)
		}
		return r.id, nil
	}
	in.id = ""
	if _, aerr := st.update(t, id, in, wr, nil); aerr != nil {
		return "", fmt.Errorf("salesforce sandbox: update %s %s: %w", object, id, aerr)
	}
	return id, nil
}

// Go API for tests and tools running the sandbox in-process.

// Reset returns the org to its configured state: configured users, custom
// fields and seed data; every token, cursor, job and later change is gone.
// Fault switches and the clock are kept.
func (s *Server) Reset() error { return s.reset() }

// Seed generates records as SeedConfig says and reports how many of each
// object it made.
func (s *Server) Seed(cfg SeedConfig) (SeedResult, error) {
	res, err := s.generate(cfg)
	if err != nil {
		return res, fmt.Errorf("salesforce sandbox: seed: %w", err)
	}
	return res, nil
}

// AddField adds a custom field to an object; records read it as null.
func (s *Server) AddField(object string, f Field) (Field, error) {
	st := s.store()
	st.mu.Lock()
	defer st.mu.Unlock()
	nf, err := st.addField(object, f)
	if err != nil {
		return Field{}, fmt.Errorf("salesforce sandbox: add field: %w", err)
	}
	return *nf, nil
}

// Create makes a record as the user as (a username or id; empty: the first
// configured user), as if they used Salesforce's UI. Values are JSON-like:
// strings, float64, bool, time.Time or nil.
func (s *Server) Create(object, as string, fields map[string]any) (string, error) {
	uid, err := s.userID(as)
	if err != nil {
		return "", fmt.Errorf("salesforce sandbox: create %s: %w", object, err)
	}
	return s.write(object, "", uid, fields, "create")
}

// Update changes a record as a user.
func (s *Server) Update(object, id, as string, fields map[string]any) error {
	uid, err := s.userID(as)
	if err != nil {
		return fmt.Errorf("salesforce sandbox: update %s: %w", object, err)
	}
	_, err = s.write(object, id, uid, fields, "update")
	return err
}

// Delete moves a record to the recycle bin as a user.
func (s *Server) Delete(object, id, as string) error {
	uid, err := s.userID(as)
	if err != nil {
		return fmt.Errorf("salesforce sandbox: delete %s: %w", object, err)
	}
	_, err = s.write(object, id, uid, nil, "delete")
	return err
}

// Get returns a record's fields by name, deleted records included:
// strings, float64, bool, time.Time (datetimes), "YYYY-MM-DD" strings
// (dates) or nil.
func (s *Server) Get(object, id string) (map[string]any, error) {
	st := s.store()
	st.mu.RLock()
	defer st.mu.RUnlock()
	t, ok := st.table(object)
	n, okID := normalizeID(id)
	if !ok || !okID {
		return nil, fmt.Errorf("salesforce sandbox: get %s %s: %w", object, id, errNotFound())
	}
	r, ok := t.get(n)
	if !ok {
		return nil, fmt.Errorf("salesforce sandbox: get %s %s: %w", object, id, errNotFound())
	}
	out := make(map[string]any, len(t.obj.fields))
	for i, f := range t.obj.fields {
		out[f.Name] = r.get(i)
	}
	return out, nil
}

// Counts reports how many live (not deleted) records each object holds.
func (s *Server) Counts() map[string]int {
	st := s.store()
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := map[string]int{}
	for _, o := range st.objects {
		t, _ := st.table(o.Name)
		n := 0
		for _, r := range t.rows {
			if !r.deleted {
				n++
			}
		}
		out[o.Name] = n
	}
	return out
}

// Objects lists the org's object names, in describeGlobal order.
func (s *Server) Objects() []string {
	st := s.store()
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []string
	for _, o := range st.objects {
		out = append(out, o.Name)
	}
	return slices.Clip(out)
}

// Advance moves the sandbox's clock forward by d, on top of Config.Clock.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// Now is the sandbox's time: Config.Clock plus any Advance.
func (s *Server) Now() time.Time { return s.now() }
