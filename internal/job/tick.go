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

// tickTimeout bounds one tick.
const tickTimeout = 5 * time.Minute

// TickArgs is the periodic job that queues the streams whose schedule is
// due. Only River's elected leader enqueues it, every Config.TickInterval.
type TickArgs struct{}

// Kind names the job in River's tables.
func (TickArgs) Kind() string { return "sync_schedule_tick" }

// InsertOpts run at most one tick at a time, and never retry one: the next
// tick comes soon enough.
func (TickArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueSchedule,
		MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable,
				rivertype.JobStatePending,
				rivertype.JobStateRunning,
				rivertype.JobStateScheduled,
			},
		},
	}
}

// tickWorker runs TickArgs jobs.
type tickWorker struct {
	river.WorkerDefaults[TickArgs]
	q *Queue
}

// Timeout bounds a tick by tickTimeout.
func (w *tickWorker) Timeout(*river.Job[TickArgs]) time.Duration { return tickTimeout }

// Work runs one tick.
func (w *tickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	return w.q.tick(ctx)
}

// tick queues a scheduled run of every enabled stream that is due, and keeps
// each stream's NextRun up to date for the UI (SPEC X1). A due stream's
// NextRun is left to its run, which records it when it starts.
func (q *Queue) tick(ctx context.Context) error {
	now := q.cfg.Clock()
	var streams []store.Stream
	zones := map[string]*time.Location{}
	var errs []error
	err := q.cfg.Store.Read(ctx, func(tx store.Tx) error {
		var err error
		if streams, err = tx.ListAllStreams(ctx); err != nil {
			return fmt.Errorf("list streams: %w", err)
		}
		for _, s := range streams {
			if _, done := zones[s.OrgID]; done {
				continue
			}
			org, err := tx.GetOrg(ctx, s.OrgID)
			if err != nil {
				errs = append(errs, fmt.Errorf("get org %s: %w", s.OrgID, err))
				zones[s.OrgID] = nil // skip its streams
				continue
			}
			zones[s.OrgID] = q.zone(ctx, org)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("job: tick: %w", err)
	}

	queued := 0
	for _, s := range streams {
		loc := zones[s.OrgID]
		if loc == nil {
			continue
		}
		if s.Enabled {
			if err := schedule.Validate(s.Schedule); err != nil {
				q.log.LogAttrs(ctx, slog.LevelWarn, "stream has an invalid schedule; it runs only by hand",
					slog.String("org", s.OrgID), slog.String("stream", s.ID), slog.String("error", err.Error()))
			}
		}
		next, due := nextRun(s, loc, now)
		if due {
			res, err := q.insertSync(ctx, s.OrgID, s.ID, TriggerSchedule)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !res.UniqueSkippedAsDuplicate {
				queued++
			}
			continue
		}
		if !next.Equal(s.NextRun) {
			if err := q.setNextRun(ctx, s.OrgID, s.ID, loc, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	q.log.LogAttrs(ctx, slog.LevelDebug, "schedule tick",
		slog.Int("streams", len(streams)), slog.Int("queued", queued), slog.Int("errors", len(errs)))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("job: tick: %w", err)
	}
	return nil
}

// nextRun returns when the stream should run next (zero when disabled or
// manual) and whether that is now.
func nextRun(s store.Stream, loc *time.Location, now time.Time) (time.Time, bool) {
	if !s.Enabled {
		return time.Time{}, false
	}
	next, ok := schedule.Next(s.Schedule, loc, s.LastRun, now)
	if !ok {
		return time.Time{}, false
	}
	return next, !next.After(now)
}

// setNextRun stores the stream's NextRun, computed afresh inside the
// transaction so that a run starting meanwhile is not overwritten.
func (q *Queue) setNextRun(ctx context.Context, orgID, streamID string, loc *time.Location, now time.Time) error {
	err := q.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		s, err := tx.GetStream(ctx, orgID, streamID)
		if err != nil {
			return err
		}
		next, due := nextRun(s, loc, now)
		if due || next.Equal(s.NextRun) {
			return nil
		}
		s.NextRun = next
		return tx.UpdateStream(ctx, s)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("set next run of stream %s: %w", streamID, err)
	}
	return nil
}

// zone returns the org's time zone, UTC when it has none or an unknown one.
func (q *Queue) zone(ctx context.Context, org store.Org) *time.Location {
	name := org.TimeZone
	if name == "" {
		return time.UTC
	}
	if loc, ok := q.zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		q.log.LogAttrs(ctx, slog.LevelWarn, "org has an unknown time zone; schedules use UTC",
			slog.String("org", org.ID), slog.String("zone", name), slog.String("error", err.Error()))
		return time.UTC
	}
	q.zones.Store(name, loc)
	return loc
}
