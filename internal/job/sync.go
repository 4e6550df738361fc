package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/crmsync/crmsync/internal/schedule"
	"github.com/crmsync/crmsync/internal/store"
)

// Triggers say why a stream runs; they reach the Runner and store.Run.Trigger.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerWebhook  = "webhook"
	TriggerSettings = "settings"
)

// SyncArgs is the job that runs one stream once.
type SyncArgs struct {
	OrgID string `json:"org_id"`
	// StreamID alone makes the job unique (see InsertOpts).
	StreamID string `json:"stream_id" river:"unique"`
	Trigger  string `json:"trigger"`
}

// Kind names the job in River's tables.
func (SyncArgs) Kind() string { return "sync_stream" }

// InsertOpts make a stream's run unique while it is queued, running or
// waiting to retry, whatever its trigger, so one stream never runs twice at
// once; completed, cancelled and discarded runs do not block a new one.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue: QueueSync,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable,
				rivertype.JobStatePending,
				rivertype.JobStateRetryable,
				rivertype.JobStateRunning,
				rivertype.JobStateScheduled,
			},
		},
	}
}

// syncWorker runs SyncArgs jobs through the Runner.
type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	q *Queue
}

// Timeout bounds a run by Config.RunTimeout.
func (w *syncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return w.q.cfg.RunTimeout }

// Work records the run's start on the stream, then runs it.
func (w *syncWorker) Work(ctx context.Context, j *river.Job[SyncArgs]) error {
	a := j.Args
	attrs := []slog.Attr{
		slog.String("org", a.OrgID), slog.String("stream", a.StreamID),
		slog.String("trigger", a.Trigger), slog.Int64("job", j.ID), slog.Int("attempt", j.Attempt),
	}
	run, err := w.q.markStarted(ctx, a.OrgID, a.StreamID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Deleted since it was queued: retrying cannot help.
		w.q.log.LogAttrs(ctx, slog.LevelInfo, "stream gone; sync run cancelled", attrs...)
		return river.JobCancel(fmt.Errorf("job: sync stream %s: %w", a.StreamID, err))
	case err != nil:
		return fmt.Errorf("job: sync stream %s: %w", a.StreamID, err)
	case !run:
		w.q.log.LogAttrs(ctx, slog.LevelInfo, "stream disabled; sync run skipped", attrs...)
		return nil
	}
	start := time.Now()
	if err := w.q.cfg.Runner.RunStream(ctx, a.OrgID, a.StreamID, a.Trigger); err != nil {
		return fmt.Errorf("job: sync stream %s: %w", a.StreamID, err)
	}
	w.q.log.LogAttrs(ctx, slog.LevelInfo, "sync run finished",
		append(attrs, slog.Duration("took", time.Since(start)))...)
	return nil
}

// markStarted sets the stream's LastRun to now and its NextRun to the run
// after this one, and reports whether the stream is enabled (a disabled one
// is left alone and not run).
func (q *Queue) markStarted(ctx context.Context, orgID, streamID string) (bool, error) {
	run := false
	err := q.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		s, err := tx.GetStream(ctx, orgID, streamID)
		if err != nil {
			return fmt.Errorf("get stream: %w", err)
		}
		if !s.Enabled {
			return nil
		}
		run = true
		org, err := tx.GetOrg(ctx, orgID)
		if err != nil {
			return fmt.Errorf("get org: %w", err)
		}
		now := q.cfg.Clock()
		s.LastRun = now
		s.NextRun, _ = schedule.Next(s.Schedule, q.zone(ctx, org), now, now)
		if err := tx.UpdateStream(ctx, s); err != nil {
			return fmt.Errorf("update stream: %w", err)
		}
		return nil
	})
	return run, err
}
