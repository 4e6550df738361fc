package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/crmsync/crmsync/internal/store"
)

// errStreamNotFound answers for a stream that does not exist, belongs to
// another org, or is another member's: the three are indistinguishable.
var errStreamNotFound = errNotFound("stream not found")

// visibleStream loads a stream of the caller's org that the caller may see.
func visibleStream(ctx context.Context, tx store.Tx, c *caller, id string) (store.Stream, error) {
	s, err := tx.GetStream(ctx, c.org.ID, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && !c.canSee(s) {
		return store.Stream{}, errStreamNotFound
	}
	if err != nil {
		return store.Stream{}, fmt.Errorf("api: get stream %s: %w", id, err)
	}
	return s, nil
}

// visibleStreams lists the streams of the caller's org the caller may see.
func visibleStreams(ctx context.Context, tx store.Tx, c *caller) ([]store.Stream, error) {
	all, err := tx.ListStreams(ctx, c.org.ID)
	if err != nil {
		return nil, fmt.Errorf("api: list streams: %w", err)
	}
	out := all[:0]
	for _, s := range all {
		if c.canSee(s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// streamState adds the stream's pending and link counts and latest run.
func streamState(ctx context.Context, tx store.Tx, s store.Stream) (Stream, error) {
	out := streamOf(s)
	var err error
	if out.Pending, err = tx.CountPending(ctx, s.ID); err != nil {
		return Stream{}, fmt.Errorf("api: count pending of stream %s: %w", s.ID, err)
	}
	if out.Links, err = tx.CountLinks(ctx, s.ID); err != nil {
		return Stream{}, fmt.Errorf("api: count links of stream %s: %w", s.ID, err)
	}
	runs, err := tx.ListRuns(ctx, s.ID, 1)
	if err != nil {
		return Stream{}, fmt.Errorf("api: latest run of stream %s: %w", s.ID, err)
	}
	if len(runs) > 0 {
		r := runOf(runs[0])
		out.LatestRun = &r
	}
	return out, nil
}

func (a *API) listStreams(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	var out []Stream
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		streams, err := visibleStreams(r.Context(), tx, c)
		if err != nil {
			return err
		}
		if len(streams) > limit {
			streams = streams[:limit]
		}
		for _, s := range streams {
			st, err := streamState(r.Context(), tx, s)
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(out))
	return nil
}

func (a *API) getStream(w http.ResponseWriter, r *http.Request, c *caller) error {
	var out Stream
	err := a.store.Read(r.Context(), func(tx store.Tx) error {
		s, err := visibleStream(r.Context(), tx, c, r.PathValue("id"))
		if err != nil {
			return err
		}
		out, err = streamState(r.Context(), tx, s)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listRuns(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	var runs []store.Run
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		s, err := visibleStream(r.Context(), tx, c, r.PathValue("id"))
		if err != nil {
			return err
		}
		runs, err = tx.ListRuns(r.Context(), s.ID, limit)
		if err != nil {
			return fmt.Errorf("api: list runs of stream %s: %w", s.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(mapSlice(runs, runOf)))
	return nil
}

// syncStream is "sync now": it queues a manual run through the trigger.
// Admins may start any stream of their org, members only their own.
func (a *API) syncStream(w http.ResponseWriter, r *http.Request, c *caller) error {
	var s store.Stream
	err := a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		s, err = visibleStream(r.Context(), tx, c, r.PathValue("id"))
		return err
	})
	if err != nil {
		return err
	}
	if !c.canRun(s) {
		return errForbidden("only an admin or the stream's owner may sync it")
	}
	if !s.Enabled {
		return errConflict("stream is disabled; enable it first")
	}
	if a.trigger == nil {
		return errUnavailable("sync queue not running")
	}
	id, err := a.trigger.SyncNow(r.Context(), c.org.ID, s.ID)
	if err != nil {
		return fmt.Errorf("api: sync stream %s: %w", s.ID, err)
	}
	err = a.store.InTx(r.Context(), func(tx store.Tx) error {
		return a.audit(r.Context(), tx, c, "stream.sync", s.ID, map[string]string{"job": id})
	})
	if err != nil {
		// The run is queued already; say so rather than invite a retry.
		a.log.LogAttrs(r.Context(), slog.LevelError, "api: audit sync now",
			slog.String("stream", s.ID), slog.String("user", c.user.ID), slog.Any("error", err))
	}
	writeJSON(w, http.StatusAccepted, SyncAccepted{ID: id, StreamID: s.ID})
	return nil
}
