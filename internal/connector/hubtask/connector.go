package hubtask

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// Object is the one object the connector serves.
const Object = "task"

// DefaultPageSize is the number of changes a Changes page holds, and the
// largest Write batch, unless Config says otherwise.
const DefaultPageSize = 500

// Config configures a Connector.
type Config struct {
	// Store holds the tasks. Required.
	Store store.Store
	// OrgID and UserID name the user whose list this is. Required.
	OrgID, UserID string
	// Now stamps Modified on the tasks Write changes. Default: time.Now.
	Now func() time.Time
	// PageSize bounds a Changes page and a Write batch. Default:
	// DefaultPageSize.
	PageSize int
}

// Connector is one user's hub task list as a connector.Connector.
type Connector struct {
	store         store.Store
	orgID, userID string
	now           func() time.Time
	pageSize      int
}

var _ connector.Connector = (*Connector)(nil)

// New checks cfg and returns the connector of the user's task list.
func New(cfg Config) (*Connector, error) {
	if cfg.Store == nil || cfg.OrgID == "" || cfg.UserID == "" {
		return nil, errors.New("hubtask: new: Config needs Store, OrgID and UserID")
	}
	c := &Connector{store: cfg.Store, orgID: cfg.OrgID, userID: cfg.UserID, now: cfg.Now, pageSize: cfg.PageSize}
	if c.now == nil {
		c.now = time.Now
	}
	if c.pageSize <= 0 {
		c.pageSize = DefaultPageSize
	}
	return c, nil
}

// Capabilities implements connector.Connector.
func (c *Connector) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: c.pageSize}
}

// Changes implements connector.Connector: the user's tasks written after
// the cursor, oldest change first, each at its latest state. The cursor is
// the Seq of the last change listed, in decimal, and never expires.
//
// The first listing (from an empty cursor) leaves out tasks already
// deleted, which nothing on the other side can know of; its intermediate
// pages carry an "i" before the Seq so that a listing resumed mid-way
// still does. Later listings report deletes as tombstones.
func (c *Connector) Changes(ctx context.Context, object, cursor string) (connector.Page, error) {
	if object != Object {
		return connector.Page{}, fmt.Errorf("hubtask: changes of %q: the hub task list has only %q", object, Object)
	}
	n, resumed := strings.CutPrefix(cursor, initialMark)
	initial := cursor == "" || resumed
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(n, 10, 64); err != nil || after < 0 {
			return connector.Page{}, fmt.Errorf("hubtask: changes: bad cursor %q", cursor)
		}
	}
	var hs []store.HubTask
	err := c.store.Read(ctx, func(tx store.Tx) error {
		var err error
		hs, err = tx.HubTaskChanges(ctx, c.orgID, c.userID, after, c.pageSize+1)
		return err
	})
	if err != nil {
		return connector.Page{}, fmt.Errorf("hubtask: changes after %d: %w", after, err)
	}
	var page connector.Page
	if len(hs) > c.pageSize {
		hs, page.More = hs[:c.pageSize], true
	}
	for _, h := range hs {
		after = h.Seq
		if initial && h.Deleted {
			continue
		}
		page.Records = append(page.Records, recordOf(h))
	}
	page.Cursor = strconv.FormatInt(after, 10)
	if initial && page.More {
		page.Cursor = initialMark + page.Cursor
	}
	return page, nil
}

// initialMark starts the cursors of a first listing's intermediate pages.
const initialMark = "i"

// Write implements connector.Connector. The batch runs in one store
// transaction: it is written whole or, on an error return, not at all. A
// record the hub refuses, or an update or delete of a task that is gone,
// fails alone in its Result.
func (c *Connector) Write(ctx context.Context, object string, ws []connector.Write) ([]connector.Result, error) {
	if object != Object {
		return nil, fmt.Errorf("hubtask: write %q: the hub task list has only %q", object, Object)
	}
	if len(ws) > c.pageSize {
		return nil, fmt.Errorf("hubtask: write: %d records, the limit is %d", len(ws), c.pageSize)
	}
	var res []connector.Result
	err := c.store.InTx(ctx, func(tx store.Tx) error {
		// InTx may run this again: start from scratch each time.
		res = make([]connector.Result, len(ws))
		now := c.now()
		for i, w := range ws {
			r, err := c.apply(ctx, tx, w, now)
			if err != nil {
				return err
			}
			res[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hubtask: write %d records: %w", len(ws), err)
	}
	return res, nil
}

// apply makes one write. A failure of this record alone is in the Result;
// an error return is a store failure that ends the batch.
func (c *Connector) apply(ctx context.Context, tx store.Tx, w connector.Write, now time.Time) (connector.Result, error) {
	switch w.Op {
	case connector.OpCreate:
		return c.create(ctx, tx, w, now)
	case connector.OpUpdate:
		return c.update(ctx, tx, w, now)
	case connector.OpDelete:
		err := tx.DeleteHubTask(ctx, c.orgID, c.userID, w.ID)
		if err != nil {
			return recordErr(w, err)
		}
		return connector.Result{ID: w.ID}, nil
	}
	return connector.Result{ID: w.ID, Err: fmt.Errorf("hubtask: write %s: unknown operation %d: %w", w.ID, w.Op, connector.ErrInvalid)}, nil
}

func (c *Connector) create(ctx context.Context, tx store.Tx, w connector.Write, now time.Time) (connector.Result, error) {
	if w.Key != "" {
		h, err := tx.GetHubTaskByKey(ctx, c.orgID, c.userID, w.Key)
		if err == nil {
			return connector.Result{ID: h.ID, Modified: h.Modified}, nil // a retry: the first create stands
		}
		if !errors.Is(err, store.ErrNotFound) {
			return connector.Result{}, err
		}
	}
	h := store.HubTask{OrgID: c.orgID, UserID: c.userID, Key: w.Key, Created: now, Modified: now}
	if err := setFields(&h, w.Fields); err != nil {
		return recordErr(w, err)
	}
	if err := tx.CreateHubTask(ctx, &h); err != nil {
		return recordErr(w, err)
	}
	return connector.Result{ID: h.ID, Modified: h.Modified}, nil
}

func (c *Connector) update(ctx context.Context, tx store.Tx, w connector.Write, now time.Time) (connector.Result, error) {
	h, err := tx.GetHubTask(ctx, c.orgID, c.userID, w.ID)
	if err != nil {
		return recordErr(w, err)
	}
	old := h
	if err := setFields(&h, w.Fields); err != nil {
		return recordErr(w, err)
	}
	if h == old {
		// Nothing changes: no write, so no change echoes back.
		return connector.Result{ID: h.ID, Modified: h.Modified}, nil
	}
	h.Modified = now
	if err := tx.UpdateHubTask(ctx, h); err != nil {
		return recordErr(w, err)
	}
	return connector.Result{ID: h.ID, Modified: h.Modified}, nil
}

// recordErr sorts a write's error: a refused value or a missing task fails
// the record, in the connector's terms; anything else is a store failure,
// which ends the batch (on PostgreSQL the transaction is unusable after
// one).
func recordErr(w connector.Write, err error) (connector.Result, error) {
	id := w.ID
	if id == "" {
		id = "(new)"
	}
	var ie *store.InvalidError
	var fe *connector.FieldError
	switch {
	case errors.As(err, &fe):
		// setFields' own answer.
	case errors.As(err, &ie):
		err = &connector.FieldError{Field: ie.Field, Err: fmt.Errorf("%w: %s", connector.ErrInvalid, ie.Reason)}
	case errors.Is(err, store.ErrNotFound):
		err = fmt.Errorf("%w: %w", connector.ErrNotFound, err)
	case errors.Is(err, store.ErrConflict):
		// Only a create's id or key can collide, and the key was looked
		// up first: leave the record for the next run.
	default:
		return connector.Result{}, err
	}
	return connector.Result{ID: w.ID, Err: fmt.Errorf("hubtask: %s task %s: %w", w.Op, id, err)}, nil
}
