// Package memory is an in-memory connector.Connector for the engine's tests,
// simulations and the demo. Besides what a real system does, it has switches
// for the failures a real system shows: an error on the Nth write, a crash
// between the remote write and the caller's commit, partial batch failures,
// expired cursors and a slow side.
package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
)

var _ connector.Connector = (*System)(nil)

// ErrInjected is the error of an injected failure.
var ErrInjected = errors.New("memory: injected failure")

// ErrCrashed is returned by a write that was applied but whose answer was
// lost, as when the caller dies between the remote write and its commit.
var ErrCrashed = errors.New("memory: crashed after write")

// Faults are the failure switches; the zero value injects nothing.
type Faults struct {
	// FailWriteN fails the Nth Write call from now (1 = the next one)
	// without applying it.
	FailWriteN int
	// CrashAfterWriteN applies the Nth Write call from now, then answers
	// ErrCrashed instead of its results.
	CrashAfterWriteN int
	// FailRecord, when set, is asked about each record of a batch; an error
	// fails that record only.
	FailRecord func(object string, w connector.Write) error
	// Delay slows every call down (a slow side).
	Delay time.Duration
	// FailChangesN fails the Nth Changes call from now.
	FailChangesN int
}

type record struct {
	connector.Record
	seq int64
}

type change struct {
	seq int64
	id  string
}

type object struct {
	records map[string]*record
	log     []change
	keys    map[string]string
}

// System is one in-memory system holding objects of any type.
type System struct {
	mu       sync.Mutex
	name     string
	now      func() time.Time
	seq      int64
	ids      int64
	objects  map[string]*object
	pageSize int
	batch    int
	epoch    int64 // cursors of an earlier epoch are expired
	faults   Faults
	writes   int // Write calls, for faults
	changes  int // Changes calls, for faults
	stats    Stats
}

// Stats count the calls a System answered.
type Stats struct {
	ChangesCalls int
	WriteCalls   int
	Written      int
}

// Options configure a System.
type Options struct {
	// Name prefixes the ids the system makes (default "m").
	Name string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PageSize is the number of records a Changes page holds (default 200).
	PageSize int
	// BatchSize is the largest Write batch (default 200).
	BatchSize int
}

// New returns an empty system.
func New(o Options) *System {
	if o.Name == "" {
		o.Name = "m"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PageSize <= 0 {
		o.PageSize = 200
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 200
	}
	return &System{name: o.Name, now: o.Now, objects: map[string]*object{}, pageSize: o.PageSize, batch: o.BatchSize}
}

// SetFaults replaces the failure switches.
func (s *System) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.writes, s.changes = 0, 0
}

// Stats returns the call counts so far.
func (s *System) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ExpireCursors makes every cursor handed out so far expired, as when a
// system's change window has passed.
func (s *System) ExpireCursors() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
}

func (s *System) cursor(seq int64) string {
	return strconv.FormatInt(s.epoch, 10) + ":" + strconv.FormatInt(seq, 10)
}

// Cursor returns a cursor that lists only changes made from now on, as a
// caller that is fully caught up would hold.
func (s *System) Cursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor(s.seq)
}

// Capabilities implements connector.Connector.
func (s *System) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: s.batch}
}

func (s *System) obj(name string) *object {
	o := s.objects[name]
	if o == nil {
		o = &object{records: map[string]*record{}, keys: map[string]string{}}
		s.objects[name] = o
	}
	return o
}

func (s *System) touch(o *object, r *record) {
	s.seq++
	r.seq = s.seq
	o.log = append(o.log, change{seq: s.seq, id: r.ID})
}

// Changes implements connector.Connector. The cursor is a change sequence
// number.
func (s *System) Changes(ctx context.Context, objName, cursor string) (connector.Page, error) {
	if err := s.delay(ctx); err != nil {
		return connector.Page{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.ChangesCalls++
	s.changes++
	if s.faults.FailChangesN > 0 && s.changes == s.faults.FailChangesN {
		return connector.Page{}, fmt.Errorf("memory: changes %s: %w", objName, ErrInjected)
	}
	var after int64
	// A listing from the empty cursor lists live records, over all its
	// pages, whose cursors carry a "full" mark and the listing's start
	// until the last one. A record deleted after the listing began is
	// listed as deleted: an earlier page may have listed it alive.
	full, start := cursor == "", s.seq
	if cursor != "" {
		var rest string
		cursor, rest, full = strings.Cut(cursor, "/full@")
		if full {
			n, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				return connector.Page{}, fmt.Errorf("memory: bad cursor %q", cursor)
			}
			start = n
		}
		ep, seq, ok := strings.Cut(cursor, ":")
		e, err1 := strconv.ParseInt(ep, 10, 64)
		n, err2 := strconv.ParseInt(seq, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return connector.Page{}, fmt.Errorf("memory: bad cursor %q", cursor)
		}
		if e != s.epoch {
			return connector.Page{}, connector.ErrCursorExpired
		}
		after = n
	}
	o := s.obj(objName)
	i := sort.Search(len(o.log), func(i int) bool { return o.log[i].seq > after })
	page := connector.Page{Cursor: cursor}
	for ; i < len(o.log) && len(page.Records) < s.pageSize; i++ {
		c := o.log[i]
		page.Cursor = s.cursor(c.seq)
		r := o.records[c.id]
		if r.seq != c.seq || (full && r.Deleted && r.seq <= start) {
			continue // a later change supersedes this one
		}
		page.Records = append(page.Records, clone(r.Record))
	}
	page.More = i < len(o.log)
	if page.Cursor == "" {
		page.Cursor = s.cursor(s.seq)
	}
	if full && page.More {
		page.Cursor += "/full@" + strconv.FormatInt(start, 10)
	}
	if cursor == "" {
		for _, r := range o.records {
			if !r.Deleted {
				page.Total++
			}
		}
	}
	return page, nil
}

func clone(r connector.Record) connector.Record {
	r.Fields = maps.Clone(r.Fields)
	if r.Invalid != "" {
		r.Fields = nil
	}
	return r
}

// Corrupt makes a live record unreadable, as a malformed vCard on a
// server would be: listings report it Invalid with why, without fields,
// until a user's update replaces it.
func (s *System) Corrupt(objName, id, why string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obj(objName)
	r := o.records[id]
	if r == nil || r.Deleted {
		return fmt.Errorf("memory: corrupt %s: %w", id, connector.ErrNotFound)
	}
	r.Invalid, r.Modified = why, s.now()
	s.touch(o, r)
	return nil
}

// Write implements connector.Connector.
func (s *System) Write(ctx context.Context, objName string, ws []connector.Write) ([]connector.Result, error) {
	if err := s.delay(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.WriteCalls++
	s.writes++
	if len(ws) > s.batch {
		return nil, fmt.Errorf("memory: write %s: %d records, the limit is %d", objName, len(ws), s.batch)
	}
	if s.faults.FailWriteN > 0 && s.writes == s.faults.FailWriteN {
		return nil, fmt.Errorf("memory: write %s: %w", objName, ErrInjected)
	}
	o := s.obj(objName)
	res := make([]connector.Result, len(ws))
	for i, w := range ws {
		if s.faults.FailRecord != nil {
			if err := s.faults.FailRecord(objName, w); err != nil {
				res[i].Err = err
				continue
			}
		}
		res[i] = s.apply(o, w)
		if res[i].Err == nil {
			s.stats.Written++
		}
	}
	if s.faults.CrashAfterWriteN > 0 && s.writes == s.faults.CrashAfterWriteN {
		return nil, fmt.Errorf("memory: write %s: %w", objName, ErrCrashed)
	}
	return res, nil
}

func (s *System) apply(o *object, w connector.Write) connector.Result {
	now := s.now()
	switch w.Op {
	case connector.OpCreate:
		if w.Key != "" {
			if id, ok := o.keys[w.Key]; ok && !o.records[id].Deleted {
				return connector.Result{ID: id, Modified: o.records[id].Modified}
			}
		}
		s.ids++
		r := &record{Record: connector.Record{
			ID: fmt.Sprintf("%s%d", s.name, s.ids), Key: w.Key,
			Fields: maps.Clone(w.Fields), Created: now, Modified: now,
		}}
		if r.Fields == nil {
			r.Fields = connector.Fields{}
		}
		o.records[r.ID] = r
		if w.Key != "" {
			o.keys[w.Key] = r.ID
		}
		s.touch(o, r)
		return connector.Result{ID: r.ID, Modified: now}
	case connector.OpUpdate:
		r := o.records[w.ID]
		if r == nil || r.Deleted {
			return connector.Result{ID: w.ID, Err: fmt.Errorf("memory: update %s: %w", w.ID, connector.ErrNotFound)}
		}
		changed := r.Invalid != "" // a write replaces an unreadable copy
		r.Invalid = ""
		for k, v := range w.Fields {
			if old, ok := r.Fields[k]; !ok || old != v {
				r.Fields[k] = v
				changed = true
			}
		}
		if changed {
			r.Modified = now
			s.touch(o, r)
		}
		return connector.Result{ID: w.ID, Modified: r.Modified}
	case connector.OpDelete:
		r := o.records[w.ID]
		if r == nil || r.Deleted {
			return connector.Result{ID: w.ID, Err: fmt.Errorf("memory: delete %s: %w", w.ID, connector.ErrNotFound)}
		}
		r.Deleted, r.Fields, r.Modified = true, nil, now
		s.touch(o, r)
		return connector.Result{ID: w.ID, Modified: now}
	}
	return connector.Result{ID: w.ID, Err: fmt.Errorf("memory: unknown op %d", w.Op)}
}

func (s *System) delay(ctx context.Context) error {
	s.mu.Lock()
	d := s.faults.Delay
	s.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Create adds a record as a user of the system would and returns its id.
func (s *System) Create(objName string, f connector.Fields) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apply(s.obj(objName), connector.Write{Op: connector.OpCreate, Fields: f}).ID
}

// Update changes a record as a user would.
func (s *System) Update(objName, id string, f connector.Fields) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apply(s.obj(objName), connector.Write{Op: connector.OpUpdate, ID: id, Fields: f}).Err
}

// Delete deletes a record as a user would.
func (s *System) Delete(objName, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apply(s.obj(objName), connector.Write{Op: connector.OpDelete, ID: id}).Err
}

// Get returns a live record.
func (s *System) Get(objName, id string) (connector.Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.obj(objName).records[id]
	if r == nil || r.Deleted {
		return connector.Record{}, false
	}
	return clone(r.Record), true
}

// List returns the live records of an object, by id.
func (s *System) List(objName string) []connector.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obj(objName)
	out := make([]connector.Record, 0, len(o.records))
	for _, r := range o.records {
		if !r.Deleted {
			out = append(out, clone(r.Record))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
