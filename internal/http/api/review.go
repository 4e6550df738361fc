package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// errQuarantineNotFound answers for an entry that does not exist or belongs
// to another org.
var errQuarantineNotFound = errNotFound("quarantine entry not found")

// perStream lists items across streams: for an admin without a stream
// filter, in one query over the org; otherwise one query per stream the
// caller may see, merged newest first. A stream filter the caller may not
// see answers 404.
func perStream[T any](ctx context.Context, tx store.Tx, c *caller, streamID string, limit int,
	query func(streamID string) ([]T, error), created func(T) time.Time, id func(T) string,
) ([]T, error) {
	if streamID != "" {
		if _, err := visibleStream(ctx, tx, c, streamID); err != nil {
			return nil, err
		}
		return query(streamID)
	}
	if c.isAdmin() {
		return query("")
	}
	streams, err := visibleStreams(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	var all []T
	for _, s := range streams {
		items, err := query(s.ID)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
	}
	slices.SortFunc(all, func(x, y T) int {
		return cmp.Or(created(y).Compare(created(x)), cmp.Compare(id(y), id(x)))
	})
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

func (a *API) listConflicts(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	var out []store.Conflict
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		out, err = perStream(r.Context(), tx, c, r.URL.Query().Get("stream"), limit,
			func(streamID string) ([]store.Conflict, error) {
				cs, err := tx.ListConflicts(r.Context(), store.ConflictFilter{OrgID: c.org.ID, StreamID: streamID, Limit: limit})
				if err != nil {
					return nil, fmt.Errorf("api: list conflicts: %w", err)
				}
				return cs, nil
			},
			func(x store.Conflict) time.Time { return x.Created },
			func(x store.Conflict) string { return x.ID })
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(mapSlice(out, conflictOf)))
	return nil
}

func (a *API) listQuarantine(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", store.QuarantineOpen, store.QuarantineRetried, store.QuarantineDiscarded:
	default:
		return errBadRequest("status: want %s, %s or %s", store.QuarantineOpen, store.QuarantineRetried, store.QuarantineDiscarded)
	}
	var out []store.Quarantine
	err = a.store.Read(r.Context(), func(tx store.Tx) error {
		var err error
		out, err = perStream(r.Context(), tx, c, r.URL.Query().Get("stream"), limit,
			func(streamID string) ([]store.Quarantine, error) {
				qs, err := tx.ListQuarantine(r.Context(), store.QuarantineFilter{OrgID: c.org.ID, StreamID: streamID, Status: status, Limit: limit})
				if err != nil {
					return nil, fmt.Errorf("api: list quarantine: %w", err)
				}
				return qs, nil
			},
			func(x store.Quarantine) time.Time { return x.Created },
			func(x store.Quarantine) string { return x.ID })
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(mapSlice(out, quarantineOf)))
	return nil
}

// openQuarantine loads an open quarantine entry of the caller's org.
func openQuarantine(ctx context.Context, tx store.Tx, c *caller, id string) (store.Quarantine, error) {
	q, err := tx.GetQuarantine(ctx, c.org.ID, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && q.OrgID != c.org.ID {
		return store.Quarantine{}, errQuarantineNotFound
	}
	if err != nil {
		return store.Quarantine{}, fmt.Errorf("api: get quarantine %s: %w", id, err)
	}
	if q.Status != store.QuarantineOpen {
		return store.Quarantine{}, errConflict("quarantine entry is already " + q.Status)
	}
	return q, nil
}

// retryQuarantine puts the record back in its stream's pending work, so the
// next run merges it again, and marks the entry retried.
func (a *API) retryQuarantine(w http.ResponseWriter, r *http.Request, c *caller) error {
	var q store.Quarantine
	err := a.store.InTx(r.Context(), func(tx store.Tx) error {
		var err error
		if q, err = openQuarantine(r.Context(), tx, c, r.PathValue("id")); err != nil {
			return err
		}
		p := store.Pending{StreamID: q.StreamID, Side: q.Side, RecordID: q.RecordID}
		if err := tx.AddPending(r.Context(), []store.Pending{p}); err != nil {
			return fmt.Errorf("api: retry quarantine %s: %w", q.ID, err)
		}
		q.Status = store.QuarantineRetried
		q.Updated = a.now()
		if err := tx.UpdateQuarantine(r.Context(), q); err != nil {
			return fmt.Errorf("api: retry quarantine %s: %w", q.ID, err)
		}
		return a.audit(r.Context(), tx, c, "quarantine.retry", q.ID, quarantineDetail(q))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, quarantineOf(q))
	return nil
}

// discardQuarantine marks the entry discarded and tombstones the record, so
// the engine keeps it set aside instead of trying it again.
func (a *API) discardQuarantine(w http.ResponseWriter, r *http.Request, c *caller) error {
	var q store.Quarantine
	err := a.store.InTx(r.Context(), func(tx store.Tx) error {
		var err error
		if q, err = openQuarantine(r.Context(), tx, c, r.PathValue("id")); err != nil {
			return err
		}
		now := a.now()
		t := store.Tombstone{StreamID: q.StreamID, Side: q.Side, RecordID: q.RecordID, Deleted: now, Reason: "discarded"}
		if err := tx.PutTombstones(r.Context(), []store.Tombstone{t}); err != nil {
			return fmt.Errorf("api: discard quarantine %s: %w", q.ID, err)
		}
		q.Status = store.QuarantineDiscarded
		q.Updated = now
		if err := tx.UpdateQuarantine(r.Context(), q); err != nil {
			return fmt.Errorf("api: discard quarantine %s: %w", q.ID, err)
		}
		return a.audit(r.Context(), tx, c, "quarantine.discard", q.ID, quarantineDetail(q))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, quarantineOf(q))
	return nil
}

func quarantineDetail(q store.Quarantine) map[string]string {
	return map[string]string{"stream_id": q.StreamID, "side": string(q.Side), "record_id": q.RecordID}
}
