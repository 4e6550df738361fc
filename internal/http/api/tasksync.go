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
		runs, err := tx.ListRuns(ctx, s.ID, 1)
		if err != nil || len(runs) == 0 {
			return err
		}
		run := runs[0]
		st.LastRun = &TaskSyncRun{ID: run.ID, Trigger: run.Trigger, Status: run.Status, Done: run.Done, Total: run.Total,
			Started: run.Started, Counts: run.Counts, Error: run.Error}
		if !run.Finished.IsZero() {
			st.LastRun.Finished = &run.Finished
		}
		return nil
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
