package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/crmsync/crmsync/internal/store"
)

const streamCols = `id, org_id, user_id, name, kind, conn_a, object_a, conn_b, object_b, enabled, enabled_at,
	settings, schedule, last_run, next_run, last_error, created`

func scanStream(r scanner) (store.Stream, error) {
	var s store.Stream
	var enabled, enabledAt, lastRun, nextRun, created int64
	var settings, schedule string
	if err := r.Scan(&s.ID, &s.OrgID, &s.UserID, &s.Name, &s.Kind, &s.ConnA, &s.ObjectA, &s.ConnB, &s.ObjectB,
		&enabled, &enabledAt, &settings, &schedule, &lastRun, &nextRun, &s.LastError, &created); err != nil {
		return s, err
	}
	s.Enabled = enabled != 0
	s.EnabledAt = fromMicros(enabledAt)
	s.Settings = jsonRaw(settings)
	if schedule != "" {
		if err := json.Unmarshal([]byte(schedule), &s.Schedule); err != nil {
			return s, err
		}
	}
	s.LastRun = fromMicros(lastRun)
	s.NextRun = fromMicros(nextRun)
	s.Created = fromMicros(created)
	return s, nil
}

func scheduleText(s store.Schedule) (string, error) {
	if s == (store.Schedule{}) {
		return "", nil
	}
	b, err := json.Marshal(s)
	return string(b), err
}

// CreateStream implements store.Tx.
func (t *tx) CreateStream(ctx context.Context, s *store.Stream) error {
	if s.ID == "" {
		s.ID = store.NewID()
	}
	s.Created = t.orNow(s.Created)
	op := "create stream " + s.ID
	sched, err := scheduleText(s.Schedule)
	if err != nil {
		return errorf(op, err)
	}
	return t.insertOne(ctx, op,
		`INSERT INTO streams (`+streamCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.OrgID, s.UserID, s.Name, s.Kind, s.ConnA, s.ObjectA, s.ConnB, s.ObjectB,
		boolInt(s.Enabled), micros(s.EnabledAt), jsonText(s.Settings), sched,
		micros(s.LastRun), micros(s.NextRun), s.LastError, micros(s.Created))
}

// GetStream implements store.Tx.
func (t *tx) GetStream(ctx context.Context, orgID, id string) (store.Stream, error) {
	s, err := scanStream(t.queryRow(ctx, `SELECT `+streamCols+` FROM streams WHERE org_id = ? AND id = ?`, orgID, id))
	return s, rowErr(err, "get stream "+id)
}

// ListStreams implements store.Tx.
func (t *tx) ListStreams(ctx context.Context, orgID string) ([]store.Stream, error) {
	rows, err := t.query(ctx, `SELECT `+streamCols+` FROM streams WHERE org_id = ? ORDER BY created, id`, orgID)
	return collect(rows, err, "list streams", scanStream)
}

// ListAllStreams implements store.Tx.
func (t *tx) ListAllStreams(ctx context.Context) ([]store.Stream, error) {
	rows, err := t.query(ctx, `SELECT `+streamCols+` FROM streams ORDER BY created, id`)
	return collect(rows, err, "list all streams", scanStream)
}

// UpdateStream implements store.Tx.
func (t *tx) UpdateStream(ctx context.Context, s store.Stream) error {
	op := "update stream " + s.ID
	sched, err := scheduleText(s.Schedule)
	if err != nil {
		return errorf(op, err)
	}
	return t.execOne(ctx, op,
		`UPDATE streams SET user_id = ?, name = ?, kind = ?, conn_a = ?, object_a = ?, conn_b = ?, object_b = ?,
		enabled = ?, enabled_at = ?, settings = ?, schedule = ?, last_run = ?, next_run = ?, last_error = ?
		WHERE org_id = ? AND id = ?`,
		s.UserID, s.Name, s.Kind, s.ConnA, s.ObjectA, s.ConnB, s.ObjectB,
		boolInt(s.Enabled), micros(s.EnabledAt), jsonText(s.Settings), sched,
		micros(s.LastRun), micros(s.NextRun), s.LastError, s.OrgID, s.ID)
}

// DeleteStream implements store.Tx.
func (t *tx) DeleteStream(ctx context.Context, orgID, id string) error {
	op := "delete stream " + id
	if err := t.writable(op); err != nil {
		return err
	}
	return t.atomically(ctx, func() error {
		if err := t.execOne(ctx, op, `DELETE FROM streams WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM runs WHERE stream_id = ?`, id); err != nil {
			return errorf(op, err)
		}
		return t.deleteStreamState(ctx, op, id)
	})
}

const runCols = `id, org_id, stream_id, run_trigger, status, started, finished, done, total, counts, error`

func scanRun(r scanner) (store.Run, error) {
	var x store.Run
	var started, finished int64
	var counts string
	if err := r.Scan(&x.ID, &x.OrgID, &x.StreamID, &x.Trigger, &x.Status, &started, &finished,
		&x.Done, &x.Total, &counts, &x.Error); err != nil {
		return x, err
	}
	x.Started = fromMicros(started)
	x.Finished = fromMicros(finished)
	if counts != "" {
		if err := json.Unmarshal([]byte(counts), &x.Counts); err != nil {
			return x, err
		}
	}
	return x, nil
}

func countsText(c store.RunCounts) (string, error) {
	b, err := json.Marshal(c)
	return string(b), err
}

// CreateRun implements store.Tx.
func (t *tx) CreateRun(ctx context.Context, r *store.Run) error {
	if r.ID == "" {
		r.ID = store.NewID()
	}
	if r.Status == "" {
		r.Status = store.RunQueued
	}
	r.Started = norm(r.Started)
	r.Finished = norm(r.Finished)
	op := "create run " + r.ID
	counts, err := countsText(r.Counts)
	if err != nil {
		return errorf(op, err)
	}
	return t.insertOne(ctx, op,
		`INSERT INTO runs (`+runCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.OrgID, r.StreamID, r.Trigger, r.Status, micros(r.Started), micros(r.Finished),
		r.Done, r.Total, counts, r.Error)
}

// UpdateRun implements store.Tx.
func (t *tx) UpdateRun(ctx context.Context, r store.Run) error {
	op := "update run " + r.ID
	counts, err := countsText(r.Counts)
	if err != nil {
		return errorf(op, err)
	}
	return t.execOne(ctx, op,
		`UPDATE runs SET run_trigger = ?, status = ?, started = ?, finished = ?, done = ?, total = ?, counts = ?, error = ?
		WHERE org_id = ? AND id = ?`,
		r.Trigger, r.Status, micros(r.Started), micros(r.Finished), r.Done, r.Total, counts, r.Error, r.OrgID, r.ID)
}

// GetRun implements store.Tx.
func (t *tx) GetRun(ctx context.Context, orgID, id string) (store.Run, error) {
	r, err := scanRun(t.queryRow(ctx, `SELECT `+runCols+` FROM runs WHERE org_id = ? AND id = ?`, orgID, id))
	return r, rowErr(err, "get run "+id)
}

// ListRuns implements store.Tx.
func (t *tx) ListRuns(ctx context.Context, streamID string, limit int) ([]store.Run, error) {
	rows, err := t.query(ctx, `SELECT `+runCols+` FROM runs WHERE stream_id = ? ORDER BY seq DESC`+limitSQL(limit), streamID)
	return collect(rows, err, "list runs", scanRun)
}
