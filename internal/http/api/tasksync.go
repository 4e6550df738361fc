package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
)

// TaskSyncRun is a run of the caller's task stream, with its progress.
type TaskSyncRun struct {
	ID       string          `json:"id"`
	Trigger  string          `json:"trigger"`
	Status   string          `json:"status"`
	Done     int64           `json:"done"`
	Total    int64           `json:"total"`
	Started  time.Time       `json:"started"`
	Finished *time.Time      `json:"finished,omitempty"`
	Counts   store.RunCounts `json:"counts"`
	Error    string          `json:"error,omitempty"`
}

// TaskSyncStatus is GET and PUT /api/v1/tasks/sync's answer.
type TaskSyncStatus struct {
	task.SyncSettings
	StreamID string       `json:"stream_id,omitempty"`
	Job      string       `json:"job,omitempty"` // the re-sync a save queued
	LastRun  *TaskSyncRun `json:"last_run,omitempty"`
}

func (a *API) taskSyncRoutes() {
	a.handle("GET /api/v1/tasks/sync", member, a.getTaskSync)
	a.handle("PUT /api/v1/tasks/sync", member, a.putTaskSync)
}

// getTaskSync answers the caller's task-sync settings and the progress of
// the latest run (SPEC T8: done and total).
func (a *API) getTaskSync(w http.ResponseWriter, r *http.Request, c *caller) error {
	st, err := a.taskSyncStatus(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// putTaskSync saves the caller's settings (SPEC T1, T6, T7) and starts the
// re-sync saving asks for (T8).
func (a *API) putTaskSync(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req task.SyncSettings
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var s store.Stream
	err := a.store.InTx(r.Context(), func(tx store.Tx) error {
		var err error
		s, err = task.SaveSettings(r.Context(), tx, c.user, req, a.now())
		if errors.Is(err, task.ErrNoCRM) {
			return errConflict(err.Error())
		}
		return err
	})
	if err != nil {
		return err
	}
	var job string
	if s.ID != "" && s.Enabled && a.trigger != nil {
		if job, err = a.trigger.SyncNow(r.Context(), c.org.ID, s.ID); err != nil {
			return err
		}
	}
	st, err := a.taskSyncStatus(r.Context(), c)
	if err != nil {
		return err
	}
	st.Job = job
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (a *API) taskSyncStatus(ctx context.Context, c *caller) (TaskSyncStatus, error) {
	var st TaskSyncStatus
	err := a.store.Read(ctx, func(tx store.Tx) error {
		s, found, err := task.UserStream(ctx, tx, c.org.ID, c.user.ID)
		if err != nil || !found {
			st.SyncSettings = task.SyncSettings{PollMinutes: task.DefaultPollMinutes}
			return err
		}
		st.SyncSettings, st.StreamID = task.SettingsOf(s), s.ID
		st.LastRun, err = lastRun(ctx, tx, s.ID)
		return err
	})
	return st, err
}

// taskWritten starts a run of the caller's task stream after a hub-side
// write, so that it reaches the CRM at once (SPEC T6). River keeps one run
// per stream, so a burst of writes makes one or two runs, not one each. A
// failure to queue is logged: the continuous schedule's poll carries the
// write within minutes anyway.
func (a *API) taskWritten(ctx context.Context, c *caller) {
	if a.trigger == nil {
		return
	}
	var s store.Stream
	var found bool
	if err := a.store.Read(ctx, func(tx store.Tx) (err error) {
		s, found, err = task.UserStream(ctx, tx, c.org.ID, c.user.ID)
		return err
	}); err != nil || !found || !s.Enabled {
		return
	}
	if _, err := a.trigger.SyncNow(ctx, c.org.ID, s.ID); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "api: queue the task stream after a hub write",
			slog.String("stream", s.ID), slog.String("error", err.Error()))
	}
}

// TaskCalDAVStatus is /api/v1/tasks/caldav's answer: the settings (never
// the password) and the progress of the latest run.
type TaskCalDAVStatus struct {
	task.CalDAVSettings
	StreamID string       `json:"stream_id,omitempty"`
	Job      string       `json:"job,omitempty"`
	LastRun  *TaskSyncRun `json:"last_run,omitempty"`
}

func (a *API) taskCalDAVRoutes() {
	a.handle("GET /api/v1/tasks/caldav", member, a.getTaskCalDAV)
	a.handle("PUT /api/v1/tasks/caldav", member, a.putTaskCalDAV)
	a.handle("DELETE /api/v1/tasks/caldav", member, a.deleteTaskCalDAV)
}

func (a *API) getTaskCalDAV(w http.ResponseWriter, r *http.Request, c *caller) error {
	st, err := a.taskCalDAVStatus(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// putTaskCalDAV checks the list (a wrong address or password is a 422
// naming the problem, before anything is stored), saves the settings and
// starts the re-sync (SPEC T8).
func (a *API) putTaskCalDAV(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req task.CalDAVSettings
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Enabled {
		check := req
		if err := a.store.Read(r.Context(), func(tx store.Tx) error {
			_, conn, found, err := task.CalDAVStream(r.Context(), tx, c.org.ID, c.user.ID)
			if err != nil || !found {
				return err
			}
			old := task.CalDAVSettingsOf(store.Stream{}, conn)
			if check.URL == "" {
				check.URL = old.URL
			}
			if check.Username == "" {
				check.Username = old.Username
			}
			if check.Password == "" {
				check.Password = task.CalDAVPassword(conn)
			}
			return nil
		}); err != nil {
			return err
		}
		if check.URL == "" {
			return errInvalid("url", "the task list's address is required")
		}
		if err := task.CheckCalDAV(r.Context(), check, nil); err != nil {
			var inv *store.InvalidError
			if errors.As(err, &inv) {
				return err
			}
			return &Error{Status: http.StatusUnprocessableEntity, Code: "list_check_failed", Message: err.Error()}
		}
	}
	var s store.Stream
	err := a.store.InTx(r.Context(), func(tx store.Tx) error {
		var err error
		s, err = task.SaveCalDAV(r.Context(), tx, c.user, req, a.now())
		if errors.Is(err, task.ErrNoCRM) {
			return errConflict(err.Error())
		}
		return err
	})
	if err != nil {
		return err
	}
	var job string
	if s.ID != "" && s.Enabled && a.trigger != nil {
		if job, err = a.trigger.SyncNow(r.Context(), c.org.ID, s.ID); err != nil {
			return err
		}
	}
	st, err := a.taskCalDAVStatus(r.Context(), c)
	if err != nil {
		return err
	}
	st.Job = job
	writeJSON(w, http.StatusOK, st)
	return nil
}

// deleteTaskCalDAV ends the sync and forgets the list's login; the tasks
// stay on both sides.
func (a *API) deleteTaskCalDAV(w http.ResponseWriter, r *http.Request, c *caller) error {
	var found bool
	err := a.store.InTx(r.Context(), func(tx store.Tx) error {
		var err error
		found, err = task.DeleteCalDAV(r.Context(), tx, c.user)
		return err
	})
	if err != nil {
		return err
	}
	if !found {
		return errNotFound("no CalDAV task list sync")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) taskCalDAVStatus(ctx context.Context, c *caller) (TaskCalDAVStatus, error) {
	var st TaskCalDAVStatus
	err := a.store.Read(ctx, func(tx store.Tx) error {
		s, conn, found, err := task.CalDAVStream(ctx, tx, c.org.ID, c.user.ID)
		if err != nil || !found {
			st.CalDAVSettings = task.CalDAVSettings{PollMinutes: task.DefaultPollMinutes}
			return err
		}
		st.CalDAVSettings, st.StreamID = task.CalDAVSettingsOf(s, conn), s.ID
		st.LastRun, err = lastRun(ctx, tx, s.ID)
		return err
	})
	return st, err
}

// lastRun is the stream's latest run with its progress, or nil.
func lastRun(ctx context.Context, tx store.Tx, streamID string) (*TaskSyncRun, error) {
	runs, err := tx.ListRuns(ctx, streamID, 1)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	run := runs[0]
	out := &TaskSyncRun{ID: run.ID, Trigger: run.Trigger, Status: run.Status, Done: run.Done, Total: run.Total,
		Started: run.Started, Counts: run.Counts, Error: run.Error}
	if !run.Finished.IsZero() {
		out.Finished = &run.Finished
	}
	return out, nil
}
