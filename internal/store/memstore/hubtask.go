package memstore

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/crmsync/crmsync/internal/store"
)

// stampHubTask gives x the next seq and appends the write to its user's
// feed, logging the undo of both.
func (t *tx) stampHubTask(x *store.HubTask) {
	t.d.hubTaskSeq++
	x.Seq = t.d.hubTaskSeq
	fk := key(x.OrgID, x.UserID)
	feed := t.d.hubTaskFeed[fk]
	if feed == nil {
		feed = &[]hubFeedEntry{}
		set(t, t.d.hubTaskFeed, fk, feed)
	}
	*feed = append(*feed, hubFeedEntry{seq: x.Seq, id: x.ID})
	t.log(func() {
		*feed = (*feed)[:len(*feed)-1]
		t.d.hubTaskSeq--
	})
}

// liveHubTask returns the user's task id when it exists and is not deleted.
func (t *tx) liveHubTask(orgID, userID, id string) (store.HubTask, bool) {
	h, ok := t.d.hubTasks[id]
	if !ok || h.OrgID != orgID || h.UserID != userID || h.Deleted {
		return store.HubTask{}, false
	}
	return h, true
}

// CreateHubTask implements store.Tx.
func (t *tx) CreateHubTask(_ context.Context, h *store.HubTask) error {
	x := *h
	if x.ID == "" {
		x.ID = store.NewID()
	}
	op := "create hub task " + x.ID
	if err := t.w(op); err != nil {
		return err
	}
	x.Created = t.orNow(x.Created)
	x.Modified = t.orNow(x.Modified)
	if err := store.PrepareHubTask(&x); err != nil {
		return wrap(op, err)
	}
	if _, taken := t.d.hubTasks[x.ID]; taken {
		return conflict(op)
	}
	kk := key(x.OrgID, x.UserID, x.Key)
	if x.Key != "" {
		if _, taken := t.d.hubTaskKeys[kk]; taken {
			return conflict(op)
		}
		set(t, t.d.hubTaskKeys, kk, x.ID)
	}
	t.stampHubTask(&x)
	set(t, t.d.hubTasks, x.ID, x)
	*h = x
	return nil
}

// GetHubTask implements store.Tx.
func (t *tx) GetHubTask(_ context.Context, orgID, userID, id string) (store.HubTask, error) {
	op := "get hub task " + id
	if err := t.r(op); err != nil {
		return store.HubTask{}, err
	}
	h, ok := t.liveHubTask(orgID, userID, id)
	if !ok {
		return store.HubTask{}, notFound(op)
	}
	return h, nil
}

// GetHubTaskByKey implements store.Tx.
func (t *tx) GetHubTaskByKey(_ context.Context, orgID, userID, k string) (store.HubTask, error) {
	op := "get hub task by key " + k
	if err := t.r(op); err != nil {
		return store.HubTask{}, err
	}
	id, ok := t.d.hubTaskKeys[key(orgID, userID, k)]
	if !ok || k == "" {
		return store.HubTask{}, notFound(op)
	}
	return t.d.hubTasks[id], nil
}

// UpdateHubTask implements store.Tx.
func (t *tx) UpdateHubTask(_ context.Context, h store.HubTask) error {
	op := "update hub task " + h.ID
	if err := t.w(op); err != nil {
		return err
	}
	if err := store.ValidateHubTask(h); err != nil {
		return wrap(op, err)
	}
	x, ok := t.liveHubTask(h.OrgID, h.UserID, h.ID)
	if !ok {
		return notFound(op)
	}
	x.Name, x.Status, x.Priority, x.Due, x.Details, x.RelatedType, x.RelatedID =
		h.Name, h.Status, h.Priority, h.Due, h.Details, h.RelatedType, h.RelatedID
	x.Modified = t.orNow(h.Modified)
	t.stampHubTask(&x)
	set(t, t.d.hubTasks, x.ID, x)
	return nil
}

// DeleteHubTask implements store.Tx.
func (t *tx) DeleteHubTask(_ context.Context, orgID, userID, id string) error {
	op := "delete hub task " + id
	if err := t.w(op); err != nil {
		return err
	}
	x, ok := t.liveHubTask(orgID, userID, id)
	if !ok {
		return notFound(op)
	}
	if x.Key != "" {
		del(t, t.d.hubTaskKeys, key(x.OrgID, x.UserID, x.Key))
	}
	x.Deleted, x.Modified = true, t.now()
	t.stampHubTask(&x)
	set(t, t.d.hubTasks, x.ID, x)
	return nil
}

// ListHubTasks implements store.Tx.
func (t *tx) ListHubTasks(_ context.Context, f store.HubTaskFilter) ([]store.HubTask, error) {
	if err := t.r("list hub tasks"); err != nil {
		return nil, err
	}
	var out []store.HubTask
	for _, h := range t.d.hubTasks {
		switch {
		case f.OrgID != "" && h.OrgID != f.OrgID,
			f.UserID != "" && h.UserID != f.UserID,
			f.Status != "" && h.Status != f.Status,
			h.Deleted && !f.IncludeDeleted,
			(f.DueFrom != "" || f.DueTo != "") && h.Due == "",
			f.DueFrom != "" && h.Due < f.DueFrom,
			f.DueTo != "" && h.Due > f.DueTo:
			continue
		}
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b store.HubTask) int {
		undated := func(h store.HubTask) int {
			if h.Due == "" {
				return 1
			}
			return 0
		}
		return cmp.Or(cmp.Compare(undated(a), undated(b)), strings.Compare(a.Due, b.Due),
			cmp.Compare(a.Created.UnixMicro(), b.Created.UnixMicro()), strings.Compare(a.ID, b.ID))
	})
	return limited(out, f.Limit), nil
}

// HubTaskChanges implements store.Tx.
func (t *tx) HubTaskChanges(_ context.Context, orgID, userID string, afterSeq int64, limit int) ([]store.HubTask, error) {
	if err := t.r("hub task changes"); err != nil {
		return nil, err
	}
	feed := t.d.hubTaskFeed[key(orgID, userID)]
	if feed == nil {
		return nil, nil
	}
	es := *feed
	var out []store.HubTask
	for i := sort.Search(len(es), func(i int) bool { return es[i].seq > afterSeq }); i < len(es); i++ {
		if limit > 0 && len(out) == limit {
			break
		}
		if h := t.d.hubTasks[es[i].id]; h.Seq == es[i].seq {
			out = append(out, h) // else a later write superseded this one
		}
	}
	return out, nil
}
