package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
)

// The caller's own reminder tasks (SPEC T1, T6) and the command center
// (SPEC T4). A user sees only their own list: every lookup carries the
// caller's org and user, so another user's task answers 404 like one that
// does not exist. Values are checked by the store; a refused one is a 422
// naming the field.

// errTaskNotFound answers for a task that does not exist, was deleted, or
// is another user's.
var errTaskNotFound = errNotFound("task not found")

// taskErr maps a store error of a task lookup for the client; nil stays
// nil.
func taskErr(op, id string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return errTaskNotFound
	}
	return fmt.Errorf("api: %s task %s: %w", op, id, err)
}

func (a *API) listTasks(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.HubTaskFilter{OrgID: c.org.ID, UserID: c.user.ID, Status: q.Get("status"),
		DueFrom: q.Get("due_from"), DueTo: q.Get("due_to"), Limit: limit}
	if f.Status != "" && f.Status != store.HubTaskOpen && f.Status != store.HubTaskComplete {
		return errBadRequest("status: want %s or %s", store.HubTaskOpen, store.HubTaskComplete)
	}
	for name, v := range map[string]string{"due_from": f.DueFrom, "due_to": f.DueTo} {
		if _, err := time.Parse(time.DateOnly, v); v != "" && err != nil {
			return errBadRequest("%s: want a date YYYY-MM-DD", name)
		}
	}
	var hs []store.HubTask
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		if hs, err = tx.ListHubTasks(r.Context(), f); err != nil {
			return fmt.Errorf("api: list tasks: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(mapSlice(hs, taskOf)))
	return nil
}

func (a *API) createTask(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req CreateTaskRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	now := a.now()
	h := store.HubTask{
		OrgID: c.org.ID, UserID: c.user.ID, Name: strings.TrimSpace(req.Name), Status: req.Status,
		Priority: req.Priority, Due: strings.TrimSpace(req.Due), Details: req.Details,
		RelatedType: req.RelatedType, RelatedID: req.RelatedID, Created: now, Modified: now,
	}
	err := a.store.InTx(r.Context(), func(tx store.Tx) error {
		if err := tx.CreateHubTask(r.Context(), &h); err != nil {
			return fmt.Errorf("api: create task: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.taskWritten(r.Context(), c)
	w.Header().Set("Location", "/api/v1/tasks/"+h.ID)
	writeJSON(w, http.StatusCreated, taskOf(h))
	return nil
}

func (a *API) getTask(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	var h store.HubTask
	err := a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		h, err = tx.GetHubTask(r.Context(), c.org.ID, c.user.ID, id)
		return taskErr("get", id, err)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, taskOf(h))
	return nil
}

// editTask reads the caller's task, lets edit change it and writes it back
// in one transaction, stamped with the API's clock; an edit that changes
// nothing writes nothing, so no sync run sees a change.
func (a *API) editTask(w http.ResponseWriter, r *http.Request, c *caller, edit func(h *store.HubTask)) error {
	id := r.PathValue("id")
	var h store.HubTask
	changed := false
	err := a.store.InTx(r.Context(), func(tx store.Tx) error {
		var err error
		if h, err = tx.GetHubTask(r.Context(), c.org.ID, c.user.ID, id); err != nil {
			return taskErr("edit", id, err)
		}
		old := h
		edit(&h)
		if h == old {
			return nil
		}
		h.Modified = a.now()
		if err := tx.UpdateHubTask(r.Context(), h); err != nil {
			return taskErr("update", id, err)
		}
		changed = true
		return nil
	})
	if err != nil {
		return err
	}
	if changed {
		a.taskWritten(r.Context(), c)
	}
	writeJSON(w, http.StatusOK, taskOf(h))
	return nil
}

func (a *API) updateTask(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req UpdateTaskRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	return a.editTask(w, r, c, func(h *store.HubTask) {
		for _, f := range []struct {
			v   *string
			dst *string
		}{
			{req.Name, &h.Name}, {req.Status, &h.Status}, {req.Priority, &h.Priority}, {req.Due, &h.Due},
			{req.Details, &h.Details}, {req.RelatedType, &h.RelatedType}, {req.RelatedID, &h.RelatedID},
		} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		h.Name, h.Due = strings.TrimSpace(h.Name), strings.TrimSpace(h.Due)
	})
}

func (a *API) completeTask(w http.ResponseWriter, r *http.Request, c *caller) error {
	return a.editTask(w, r, c, func(h *store.HubTask) { h.Status = store.HubTaskComplete })
}

func (a *API) deleteTask(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	err := a.store.InTx(r.Context(), func(tx store.Tx) error {
		return taskErr("delete", id, tx.DeleteHubTask(r.Context(), c.org.ID, c.user.ID, id))
	})
	if err != nil {
		return err
	}
	a.taskWritten(r.Context(), c)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// commandCenter answers the tasks due today and tomorrow in the caller's
// time zone, by the API's clock (SPEC T4).
func (a *API) commandCenter(w http.ResponseWriter, r *http.Request, c *caller) error {
	status := r.URL.Query().Get("status")
	if status != "" && status != store.HubTaskOpen && status != store.HubTaskComplete {
		return errBadRequest("status: want %s or %s", store.HubTaskOpen, store.HubTaskComplete)
	}
	var cc task.CommandCenter
	err := a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		cc, err = task.LoadCommandCenter(r.Context(), tx, c.org, c.user, a.now(), status)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, CommandCenter{TimeZone: cc.Zone, Today: cc.Today, Tomorrow: cc.Tomorrow,
		Items: listOf(mapSlice(cc.Tasks, taskOf)).Items})
	return nil
}
