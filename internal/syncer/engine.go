package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// Resolver returns the connector for one of an org's connections.
type Resolver func(ctx context.Context, c store.Connection) (connector.Connector, error)

// Config configures an Engine.
type Config struct {
	// Store holds the sync state. Required.
	Store store.Store
	// Definitions are the stream kinds the engine can run. Required.
	Definitions []*Definition
	// Connectors resolves a stream's connections. Required.
	Connectors Resolver
	// Logger receives progress and errors (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MergeBatch is the number of pending records merged per transaction
	// (default 500).
	MergeBatch int
	// Progress, when set, is called after each committed step of a run.
	Progress func(store.Run)
}

// Engine runs streams. It is safe for concurrent use on different streams;
// the job queue makes sure one stream never runs twice at once.
type Engine struct {
	cfg  Config
	defs map[string]*Definition
	log  *slog.Logger
}

// ErrStreamDisabled answers a run of a stream that is switched off.
var ErrStreamDisabled = errors.New("syncer: stream is disabled")

// New validates cfg and its definitions and returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Connectors == nil {
		return nil, errors.New("syncer: Config needs Store and Connectors")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MergeBatch <= 0 {
		cfg.MergeBatch = 500
	}
	e := &Engine{cfg: cfg, defs: map[string]*Definition{}, log: cfg.Logger}
	for _, d := range cfg.Definitions {
		if err := d.Validate(); err != nil {
			return nil, err
		}
		if e.defs[d.Name] != nil {
			return nil, fmt.Errorf("syncer: definition %s given twice", d.Name)
		}
		e.defs[d.Name] = d
	}
	return e, nil
}

// Definition returns the definition of a stream kind.
func (e *Engine) Definition(kind string) (*Definition, bool) {
	d, ok := e.defs[kind]
	return d, ok
}

// RunStream runs one stream once; it implements the job queue's Runner.
func (e *Engine) RunStream(ctx context.Context, orgID, streamID, trigger string) error {
	_, err := e.Run(ctx, orgID, streamID, trigger)
	return err
}

// run is the state of one stream run.
type run struct {
	e        *Engine
	def      *Definition
	st       store.Stream
	settings map[string]any
	conn     map[store.Side]connector.Connector
	rec      store.Run
	// otherEmpty[s] is true when side s's mirror was empty when the merge
	// began: then no unlinked record can match there.
	otherEmpty map[store.Side]bool
	// gen is each side's reconciliation generation, for mirror rows.
	gen map[store.Side]int64
	// pulled marks the sides pulled in this run; fast marks a side whose
	// new records can be created across as they are pulled.
	pulled, fast map[store.Side]bool
	transient    int
}

// Run runs one stream once: pull both sides, merge, write, commit. It
// returns the run's record; an error leaves every change pending for the
// next run.
func (e *Engine) Run(ctx context.Context, orgID, streamID, trigger string) (store.Run, error) {
	r := &run{e: e, conn: map[store.Side]connector.Connector{}, gen: map[store.Side]int64{},
		pulled: map[store.Side]bool{}, fast: map[store.Side]bool{}}
	var conns [2]store.Connection
	err := e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		var err error
		if r.st, err = tx.GetStream(ctx, orgID, streamID); err != nil {
			return err
		}
		if conns[0], err = tx.GetConnection(ctx, orgID, r.st.ConnA); err != nil {
			return err
		}
		conns[1], err = tx.GetConnection(ctx, orgID, r.st.ConnB)
		return err
	})
	if err != nil {
		return store.Run{}, fmt.Errorf("syncer: run %s: %w", streamID, err)
	}
	if !r.st.Enabled {
		return store.Run{}, fmt.Errorf("syncer: run %s: %w", streamID, ErrStreamDisabled)
	}
	def, ok := e.defs[r.st.Kind]
	if !ok {
		return store.Run{}, fmt.Errorf("syncer: run %s: unknown stream kind %q", streamID, r.st.Kind)
	}
	r.def = def
	r.settings = map[string]any{}
	if len(r.st.Settings) > 0 {
		if err := json.Unmarshal(r.st.Settings, &r.settings); err != nil {
			return store.Run{}, fmt.Errorf("syncer: run %s: settings: %w", streamID, err)
		}
	}
	for i, s := range []store.Side{store.SideA, store.SideB} {
		c, err := e.cfg.Connectors(ctx, conns[i])
		if err != nil {
			return store.Run{}, fmt.Errorf("syncer: run %s: connection %s: %w", streamID, conns[i].ID, err)
		}
		r.conn[s] = c
	}

	r.rec = store.Run{OrgID: orgID, StreamID: streamID, Trigger: trigger, Status: store.RunRunning, Started: e.cfg.Now()}
	if err := e.cfg.Store.InTx(ctx, func(tx store.Tx) error { return tx.CreateRun(ctx, &r.rec) }); err != nil {
		return store.Run{}, fmt.Errorf("syncer: run %s: %w", streamID, err)
	}
	log := e.log.With(slog.String("stream", streamID), slog.String("run", r.rec.ID))
	log.Info("sync run started", slog.String("trigger", trigger))

	runErr := r.execute(ctx)
	r.rec.Finished = e.cfg.Now()
	r.rec.Status = store.RunSucceeded
	if runErr != nil {
		r.rec.Status = store.RunFailed
		r.rec.Error = runErr.Error()
	}
	// The run's own bookkeeping must survive a cancelled context.
	bg := context.WithoutCancel(ctx)
	err = e.cfg.Store.InTx(bg, func(tx store.Tx) error {
		if err := tx.UpdateRun(bg, r.rec); err != nil {
			return err
		}
		st, err := tx.GetStream(bg, orgID, streamID)
		if err != nil {
			return err
		}
		st.LastRun, st.LastError = r.rec.Started, r.rec.Error
		return tx.UpdateStream(bg, st)
	})
	if err != nil && runErr == nil {
		runErr = err
	}
	e.progress(r.rec)
	if runErr != nil {
		log.Warn("sync run failed", slog.String("error", runErr.Error()))
		return r.rec, fmt.Errorf("syncer: run %s: %w", streamID, runErr)
	}
	log.Info("sync run done", slog.Int64("pulled", r.rec.Counts.Pulled), slog.Int64("created", r.rec.Counts.Created),
		slog.Int64("updated", r.rec.Counts.Updated), slog.Int64("deleted", r.rec.Counts.Deleted),
		slog.Int64("conflicts", r.rec.Counts.Conflicts), slog.Int64("quarantined", r.rec.Counts.Quarantined))
	return r.rec, nil
}

func (e *Engine) progress(r store.Run) {
	if e.cfg.Progress != nil {
		e.cfg.Progress(r)
	}
}

func (r *run) execute(ctx context.Context) error {
	// Side B first: a first import from A into an empty B then takes the
	// fast path (see ingest).
	for _, s := range []store.Side{store.SideB, store.SideA} {
		if err := r.pull(ctx, s); err != nil {
			return fmt.Errorf("pull side %s: %w", s, err)
		}
		r.pulled[s] = true
	}
	return r.mergeAll(ctx)
}

func (r *run) connID(s store.Side) string {
	if s == store.SideA {
		return r.st.ConnA
	}
	return r.st.ConnB
}

func (r *run) object(s store.Side) string {
	if s == store.SideA {
		return r.st.ObjectA
	}
	return r.st.ObjectB
}

// fullPrefix marks a cursor of a full reconciliation in progress.
const fullPrefix = "full:"

// pull mirrors one side's changes, page by page; each page, its pending
// marks and the cursor after it commit together.
func (r *run) pull(ctx context.Context, s store.Side) error {
	var cur store.Cursor
	first := false
	err := r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		var err error
		cur, err = tx.GetCursor(ctx, r.st.ID, s)
		if errors.Is(err, store.ErrNotFound) {
			cur, first, err = store.Cursor{StreamID: r.st.ID, Side: s}, true, nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := r.checkFast(ctx, s); err != nil {
		return err
	}
	full := strings.HasPrefix(cur.Value, fullPrefix)
	pos := strings.TrimPrefix(cur.Value, fullPrefix)
	rules := r.def.side(s)
	var cutoff time.Time
	if first && rules.InitialLookback > 0 {
		enabled := r.st.EnabledAt
		if enabled.IsZero() {
			enabled = r.e.cfg.Now()
		}
		cutoff = enabled.Add(-rules.InitialLookback)
	}
	for {
		page, err := r.conn[s].Changes(ctx, r.object(s), pos)
		if errors.Is(err, connector.ErrCursorExpired) && pos != "" {
			// The change window has passed: list everything again under a
			// new generation, then sweep what was not seen as deleted.
			r.e.log.Warn("cursor expired, reconciling in full", slog.String("stream", r.st.ID), slog.String("side", string(s)))
			full, pos = true, ""
			cur.Gen++
			continue
		}
		if err != nil {
			return err
		}
		if page.More && len(page.Records) == 0 && page.Cursor == pos {
			return fmt.Errorf("the connector's listing does not advance past cursor %q", pos)
		}
		cur.Value = page.Cursor
		if full {
			cur.Value = fullPrefix + page.Cursor
		}
		if pos == "" && page.Total > 0 {
			r.rec.Total += page.Total // a listing's first page says its size
		}
		if err := r.ingest(ctx, s, page.Records, cur, cutoff); err != nil {
			return err
		}
		pos = page.Cursor
		if !page.More {
			break
		}
	}
	r.gen[s] = cur.Gen
	if full {
		cur.Value = pos
		return r.sweep(ctx, s, cur)
	}
	return nil
}

// checkFast decides whether side s's new records can be created on the
// other side as they are pulled, without a pending mark and a second pass:
// only when the other side, pulled already in this run, holds no record at
// all, so that nothing can match, link or conflict. This is a first import.
func (r *run) checkFast(ctx context.Context, s store.Side) error {
	o := s.Other()
	r.fast[s] = false
	if !r.pulled[o] || r.def.side(s).Create == CreateNever {
		return nil
	}
	return r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		some, err := tx.ListRecords(ctx, r.connID(o), r.object(o), "", 1)
		r.fast[s] = len(some) == 0
		return err
	})
}

// importFast creates the page's new records on the other side and returns
// the batch to commit with the page, or nil when the page has none.
func (r *run) importFast(ctx context.Context, s store.Side, recs []connector.Record, rows []store.Record, ids []string, cutoff time.Time) (*batch, error) {
	b := r.newBatch()
	b.pendingless = true
	var links map[string]store.Link
	err := r.e.cfg.Store.Read(ctx, func(tx store.Tx) error {
		var err error
		if links, err = tx.GetLinks(ctx, r.st.ID, s, ids); err != nil {
			return err
		}
		b.tombs[s], err = tx.GetTombstones(ctx, r.st.ID, s, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, c := range recs {
		_, linked := links[c.ID]
		_, dead := b.tombs[s][c.ID]
		if c.Deleted || linked || dead || (!cutoff.IsZero() && c.Modified.Before(cutoff)) {
			continue
		}
		it := &item{pend: []store.Pending{{StreamID: r.st.ID, Side: s, RecordID: c.ID}}, side: s, id: c.ID}
		b.recs[s][c.ID] = rows[i]
		b.items = append(b.items, it)
		b.createFrom(it, c.Fields)
	}
	if len(b.items) == 0 {
		return nil, nil
	}
	return b, b.send(ctx)
}

func (r *run) ingest(ctx context.Context, s store.Side, recs []connector.Record, cur store.Cursor, cutoff time.Time) error {
	rules := r.def.side(s)
	now := r.e.cfg.Now()
	recs, unreadable := splitInvalid(recs)
	rows := make([]store.Record, 0, len(recs))
	ids := make([]string, 0, len(recs))
	for _, c := range recs {
		row := store.Record{ConnID: r.connID(s), Object: r.object(s), ID: c.ID, Key: c.Key,
			Created: c.Created, Modified: c.Modified, Deleted: c.Deleted, Gen: cur.Gen, Fields: json.RawMessage("{}")}
		if !c.Deleted {
			raw, err := json.Marshal(c.Fields)
			if err != nil {
				return fmt.Errorf("record %s: %w", c.ID, err)
			}
			row.Fields = raw
			row.EmailKey, row.NameKey = matchKeys(rules, c.Fields)
			if ext, _ := c.Fields[rules.ExternalID].(string); row.Key == "" && rules.ExternalID != "" && ext != "" {
				row.Key = ext // found by the other side's records' ids
			}
		}
		rows = append(rows, row)
		ids = append(ids, c.ID)
	}
	cur.Updated = now
	var fast *batch
	settled := map[string]bool{} // records the fast path took care of
	if r.fast[s] {
		var err error
		if fast, err = r.importFast(ctx, s, recs, rows, ids, cutoff); err != nil {
			return err
		}
		if fast != nil {
			for _, it := range fast.items {
				settled[it.id] = !it.transient
			}
		}
	}
	start := r.rec
	start.Counts.Pulled += int64(len(recs) + len(unreadable))
	start.Done += int64(len(recs) + len(unreadable))
	rec := start
	aside := 0
	err := r.e.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if aside, err = r.setAside(ctx, tx, s, unreadable, now); err != nil {
			return err
		}
		// A record listed as the mirror already holds it (the echo of our
		// own write, or a listing's overlap) has nothing new to merge.
		var known map[string]store.Record
		if fast == nil {
			var err error
			if known, err = tx.GetRecords(ctx, r.connID(s), r.object(s), ids); err != nil {
				return err
			}
		}
		if err := tx.PutRecords(ctx, rows); err != nil {
			return err
		}
		tombs, err := tx.GetTombstones(ctx, r.st.ID, s, ids)
		if err != nil {
			return err
		}
		ps := make([]store.Pending, 0, len(recs))
		for i, c := range recs {
			if _, dead := tombs[c.ID]; dead || settled[c.ID] {
				continue
			}
			if k, ok := known[c.ID]; ok && unchanged(k, rows[i]) {
				continue
			}
			if !cutoff.IsZero() && c.Modified.Before(cutoff) {
				continue // mirrored for matching, too old to sync (T4)
			}
			ps = append(ps, store.Pending{StreamID: r.st.ID, Side: s, RecordID: c.ID})
		}
		if err := tx.AddPending(ctx, ps); err != nil {
			return err
		}
		rec = start
		if fast != nil {
			saved := r.rec
			r.rec = start
			rec, _, err = fast.commitTx(ctx, tx, len(fast.items))
			r.rec = saved
			if err != nil {
				return err
			}
		}
		rec.Counts.Quarantined += int64(aside)
		if aside > 0 {
			if err := tx.UpdateRun(ctx, rec); err != nil {
				return err
			}
		}
		return tx.PutCursor(ctx, cur)
	})
	if err != nil {
		return err
	}
	r.rec = rec
	r.e.progress(rec)
	return nil
}

// splitInvalid takes the records a connector could not read out of recs.
func splitInvalid(recs []connector.Record) (ok, invalid []connector.Record) {
	n := 0
	for _, c := range recs {
		if c.Invalid != "" {
			n++
		}
	}
	if n == 0 {
		return recs, nil
	}
	ok = make([]connector.Record, 0, len(recs)-n)
	for _, c := range recs {
		if c.Invalid != "" {
			invalid = append(invalid, c)
		} else {
			ok = append(ok, c)
		}
	}
	return ok, invalid
}

// setAside puts records the connector could not read in the quarantine,
// in tx, and answers how many entries it added: a record already there,
// open with the same error, is not added twice.
func (r *run) setAside(ctx context.Context, tx store.Tx, s store.Side, recs []connector.Record, now time.Time) (int, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	open, err := tx.ListQuarantine(ctx, store.QuarantineFilter{OrgID: r.st.OrgID, StreamID: r.st.ID, Status: store.QuarantineOpen})
	if err != nil {
		return 0, err
	}
	have := make(map[string]bool, len(open))
	for _, q := range open {
		have[string(q.Side)+"\x00"+q.RecordID+"\x00"+q.Error] = true
	}
	n := 0
	for _, c := range recs {
		msg := fmt.Sprintf("record %s could not be read: %s", c.ID, c.Invalid)
		if have[string(s)+"\x00"+c.ID+"\x00"+msg] {
			continue
		}
		q := store.Quarantine{OrgID: r.st.OrgID, StreamID: r.st.ID, Side: s, RecordID: c.ID, Error: msg,
			Status: store.QuarantineOpen, Created: now, Updated: now}
		if err := tx.AddQuarantine(ctx, &q); err != nil {
			return n, err
		}
		n++
	}
	r.e.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "syncer: records set aside: the system's copy could not be read",
		slog.String("stream", r.st.ID), slog.String("side", string(s)), slog.Int("records", len(recs)))
	return n, nil
}

// sweep marks the records a full listing did not see as deleted at an
// unknown time, so that delete policies apply without resurrecting them.
// The cursor leaves full reconciliation in the transaction of the last
// sweep step, so a crash during the sweep resumes it.
func (r *run) sweep(ctx context.Context, s store.Side, cur store.Cursor) error {
	gen := cur.Gen
	for {
		n := 0
		err := r.e.cfg.Store.InTx(ctx, func(tx store.Tx) error {
			stale, err := tx.ListStaleRecords(ctx, r.connID(s), r.object(s), gen, 500)
			if err != nil {
				return err
			}
			n = len(stale)
			if n == 0 {
				cur.Updated = r.e.cfg.Now()
				return tx.PutCursor(ctx, cur)
			}
			ps := make([]store.Pending, 0, len(stale))
			for i := range stale {
				stale[i].Deleted, stale[i].Gen, stale[i].Modified = true, gen, time.Time{}
				ps = append(ps, store.Pending{StreamID: r.st.ID, Side: s, RecordID: stale[i].ID})
			}
			if err := tx.PutRecords(ctx, stale); err != nil {
				return err
			}
			return tx.AddPending(ctx, ps)
		})
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}

// unchanged reports whether a listed record is the state the mirror holds.
func unchanged(mirror, listed store.Record) bool {
	return mirror.Deleted == listed.Deleted && mirror.Key == listed.Key && bytes.Equal(mirror.Fields, listed.Fields)
}

func matchKeys(rules *SideRules, f connector.Fields) (email, name string) {
	if rules.Email != "" {
		if v, ok := f[rules.Email].(string); ok {
			email = Fold(v)
		}
	}
	if rules.FirstName != "" || rules.LastName != "" {
		first, _ := f[rules.FirstName].(string)
		last, _ := f[rules.LastName].(string)
		name = NameKey(first, last)
	}
	return email, name
}

// IdempotencyKey is the key of a record created on the other side of a
// stream from the record id of side s: a retried create with it finds the
// first one instead of making a duplicate.
func IdempotencyKey(streamID string, s store.Side, id string) string {
	return "crmsync:" + streamID + ":" + string(s) + ":" + id
}

// parseKey reads an IdempotencyKey of this stream.
func parseKey(streamID, key string) (store.Side, string, bool) {
	rest, ok := strings.CutPrefix(key, "crmsync:"+streamID+":")
	if !ok || len(rest) < 3 || rest[1] != ':' {
		return "", "", false
	}
	s := store.Side(rest[:1])
	if s != store.SideA && s != store.SideB {
		return "", "", false
	}
	return s, rest[2:], true
}
