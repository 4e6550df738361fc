package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/crmsync/crmsync/internal/contact"
	"github.com/crmsync/crmsync/internal/store"
)

// ContactMailboxRequest is PUT /api/v1/contacts/mailbox's body: the
// mailbox connection's system, settings and secrets, as its connector
// reads them (docs/contacts.md lists them per system).
type ContactMailboxRequest struct {
	System      string          `json:"system"`
	Config      json.RawMessage `json:"config"`
	Credentials json.RawMessage `json:"credentials,omitempty"`
}

// ContactMailbox answers the mailbox routes: the connection and what the
// mailbox offers (folders that sync and the ones skipped, categories).
type ContactMailbox struct {
	ConnectionID string `json:"connection_id"`
	System       string `json:"system"`
	contact.Report
}

// ContactSync is GET and PUT /api/v1/contacts/sync's answer.
type ContactSync struct {
	contact.Settings
	Streams []ContactStream `json:"streams"`
	Jobs    []string        `json:"jobs,omitempty"` // the runs a save queued
}

// ContactStream is one of the user's contact streams and its latest run.
type ContactStream struct {
	ID      string       `json:"id"`
	Kind    string       `json:"kind"`
	Enabled bool         `json:"enabled"`
	LastRun *TaskSyncRun `json:"last_run,omitempty"`
}

// ContactMergeRequest names the CRM contact to keep and its duplicates.
type ContactMergeRequest struct {
	Keep       string   `json:"keep"`
	Duplicates []string `json:"duplicates"`
}

func (a *API) contactRoutes() {
	a.handle("GET /api/v1/contacts/mailbox", member, a.getContactMailbox)
	a.handle("PUT /api/v1/contacts/mailbox", member, a.putContactMailbox)
	a.handle("GET /api/v1/contacts/sync", member, a.getContactSync)
	a.handle("PUT /api/v1/contacts/sync", member, a.putContactSync)
	a.handle("POST /api/v1/contacts/merge", member, a.mergeContacts)
}

// contactErr maps the contact domain's errors to answers.
func contactErr(err error) error {
	switch {
	case errors.Is(err, contact.ErrNoCRM), errors.Is(err, contact.ErrNoMailbox), errors.Is(err, contact.ErrNoSeat):
		return errConflict(err.Error())
	}
	return err
}

func (a *API) contacts() (*contact.Service, error) {
	if a.contact == nil {
		return nil, errUnavailable("contact sync is not configured on this hub")
	}
	return a.contact, nil
}

// getContactMailbox reads the caller's mailbox: the private folders that
// sync, the shared and global ones skipped (SPEC C5), and the categories
// to pick from, or why there are none (C11).
func (a *API) getContactMailbox(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.contacts()
	if err != nil {
		return err
	}
	rep, err := svc.Inspect(r.Context(), c.user)
	if err != nil {
		return contactErr(err)
	}
	conn, err := svc.Mailbox(r.Context(), c.user)
	if err != nil {
		return contactErr(err)
	}
	writeJSON(w, http.StatusOK, ContactMailbox{ConnectionID: conn.ID, System: conn.System, Report: rep})
	return nil
}

// putContactMailbox connects the caller's mailbox, checking it answers
// first (SPEC C1).
func (a *API) putContactMailbox(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.contacts()
	if err != nil {
		return err
	}
	var req ContactMailboxRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Config) == 0 {
		return errInvalid("config", "the mailbox's settings are required")
	}
	conn, rep, err := svc.Connect(r.Context(), c.user, req.System, req.Config, req.Credentials)
	if err != nil {
		var ie *store.InvalidError
		if errors.As(err, &ie) {
			return err
		}
		// The mailbox did not answer: say why, it is the user's to fix.
		return &Error{Status: http.StatusBadGateway, Code: "mailbox_unreachable", Message: err.Error()}
	}
	writeJSON(w, http.StatusOK, ContactMailbox{ConnectionID: conn.ID, System: conn.System, Report: rep})
	return nil
}

func (a *API) getContactSync(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.contacts()
	if err != nil {
		return err
	}
	out, err := a.contactSync(r, c, svc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// putContactSync saves the caller's contact sync settings (SPEC C2, C6)
// and starts a run of each stream.
func (a *API) putContactSync(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.contacts()
	if err != nil {
		return err
	}
	var req contact.Settings
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	streams, err := svc.Save(r.Context(), c.user, req)
	if err != nil {
		return contactErr(err)
	}
	var jobs []string
	for _, st := range streams {
		if st.Enabled && a.trigger != nil {
			job, err := a.trigger.SyncNow(r.Context(), c.org.ID, st.ID)
			if err != nil {
				return err
			}
			jobs = append(jobs, job)
		}
	}
	out, err := a.contactSync(r, c, svc)
	if err != nil {
		return err
	}
	out.Jobs = jobs
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) contactSync(r *http.Request, c *caller, svc *contact.Service) (ContactSync, error) {
	streams, err := svc.Streams(r.Context(), c.user)
	if err != nil {
		return ContactSync{}, err
	}
	out := ContactSync{Settings: contact.Settings{Minutes: contact.DefaultMinutes, Import: []string{}}, Streams: []ContactStream{}}
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		for _, st := range streams {
			if st.Kind == contact.Kind {
				out.Settings = contact.SettingsOf(st)
			}
			run, err := lastRun(r.Context(), tx, st.ID)
			if err != nil {
				return err
			}
			out.Streams = append(out.Streams, ContactStream{ID: st.ID, Kind: st.Kind, Enabled: st.Enabled, LastRun: run})
		}
		return nil
	})
	return out, err
}

// mergeContacts merges duplicate CRM contacts (SPEC C9).
func (a *API) mergeContacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	svc, err := a.contacts()
	if err != nil {
		return err
	}
	var req ContactMergeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	res, err := svc.Merge(r.Context(), c.user, req.Keep, req.Duplicates, a.now())
	if err != nil {
		return contactErr(err)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
