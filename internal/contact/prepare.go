package contact

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/connector/mailbox"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/store"
)

// Prepared says what Prepare did before a run.
type Prepared struct {
	// Owners are the CRM users whose records the user sees (C8).
	Owners []string
	// ScopeChanged is true when the owners changed since the last run: the
	// CRM side is listed in full again.
	ScopeChanged bool
	// Created and Renamed count the fixed categories made in the mailbox
	// and given their name back (C3, C4).
	Created, Renamed int
}

// Prepare readies a contact stream for a run: it widens or narrows the CRM
// side to the records the user may see (their own and, for a manager,
// their reports', C8) and makes sure the mailbox holds the fixed categories under their names
// (C3, C4). Streams of other kinds are left alone.
func (s *Service) Prepare(ctx context.Context, orgID, streamID string) (Prepared, error) {
	var st store.Stream
	var u store.User
	var crmConn, mbConn store.Connection
	err := s.cfg.Store.Read(ctx, func(tx store.Tx) error {
		var err error
		if st, err = tx.GetStream(ctx, orgID, streamID); err != nil {
			return err
		}
		if st.Kind != Kind && st.Kind != LeadKind {
			return nil
		}
		if u, err = tx.GetUser(ctx, orgID, st.UserID); err != nil {
			return err
		}
		if crmConn, err = tx.GetConnection(ctx, orgID, st.ConnA); err != nil {
			return err
		}
		mbConn, err = tx.GetConnection(ctx, orgID, st.ConnB)
		return err
	})
	if err != nil || (st.Kind != Kind && st.Kind != LeadKind) {
		return Prepared{}, err
	}
	if u.CRMUserID == "" {
		return Prepared{}, fmt.Errorf("contact: stream %s: %w", st.ID, ErrNoSeat)
	}
	conn, err := s.cfg.Connectors(ctx, crmConn)
	if err != nil {
		return Prepared{}, fmt.Errorf("contact: open the CRM: %w", err)
	}
	crm, ok := conn.(CRM)
	if !ok {
		return Prepared{}, fmt.Errorf("contact: connection %s (%s) cannot be queried", crmConn.ID, crmConn.System)
	}
	var p Prepared
	if p.Owners, err = visibleOwners(ctx, crm, u.CRMUserID); err != nil {
		return p, err
	}
	object := "Contact"
	if st.Kind == LeadKind {
		object = "Lead"
	}
	if scoped := salesforce.Scope(object, "OwnerId", p.Owners); scoped != st.ObjectA {
		p.ScopeChanged = true
		if err := s.rescope(ctx, st, scoped); err != nil {
			return p, err
		}
	}
	if st.Kind != Kind {
		return p, nil // the Contact stream keeps the categories, for both
	}
	mb, err := s.open(ctx, mbConn)
	if err != nil {
		return p, err
	}
	ids, err := s.fixCategories(ctx, mb, readSettings(st.Settings).FixedIDs, &p)
	if err != nil {
		return p, err
	}
	err = s.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetStream(ctx, orgID, streamID)
		if err != nil {
			return err
		}
		set := readSettings(cur.Settings)
		set.FixedIDs = ids
		cur.Settings, _ = json.Marshal(set)
		return tx.UpdateStream(ctx, cur)
	})
	s.log.LogAttrs(ctx, slog.LevelInfo, "contact: prepared", slog.String("stream", st.ID), slog.Int("owners", len(p.Owners)),
		slog.Int("categories_created", p.Created), slog.Int("categories_renamed", p.Renamed))
	return p, err
}

// rescope points the stream's CRM side at a new scope and lists it in
// full at the next run, so records that came into view are taken up.
func (s *Service) rescope(ctx context.Context, st store.Stream, object string) error {
	return s.cfg.Store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetStream(ctx, st.OrgID, st.ID)
		if err != nil {
			return err
		}
		cur.ObjectA = object
		if err := tx.UpdateStream(ctx, cur); err != nil {
			return err
		}
		c, err := tx.GetCursor(ctx, st.ID, store.SideA)
		if err != nil {
			return nil // never listed: the first run lists in full anyway
		}
		c.Value = ""
		return tx.PutCursor(ctx, c)
	})
}

// visibleOwners is the CRM user and every active user below them in the
// management chain (ManagerId), sorted.
func visibleOwners(ctx context.Context, crm CRM, me string) ([]string, error) {
	rows, err := crm.Query(ctx, "SELECT Id, ManagerId FROM User WHERE IsActive = true")
	if err != nil {
		return nil, fmt.Errorf("contact: list the CRM's users: %w", err)
	}
	reports := map[string][]string{}
	for _, r := range rows {
		id, _ := r["Id"].(string)
		mgr, _ := r["ManagerId"].(string)
		if mgr != "" {
			reports[mgr] = append(reports[mgr], id)
		}
	}
	seen := map[string]bool{me: true}
	queue := []string{me}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, r := range reports[id] {
			if !seen[r] {
				seen[r] = true
				queue = append(queue, r)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// fixCategories makes sure each fixed category exists in the mailbox
// under its own name: one renamed by the user (found by the id the hub
// recorded) gets its name back, a missing one is created. It returns the
// ids to record.
func (s *Service) fixCategories(ctx context.Context, mb mailbox.Mailbox, known map[string]string, p *Prepared) (map[string]string, error) {
	cats, err := mb.Categories(ctx)
	if err != nil {
		return nil, fmt.Errorf("contact: list the mailbox's categories: %w", err)
	}
	ids := map[string]string{}
	for _, name := range Fixed {
		i := slices.IndexFunc(cats, func(c mailbox.Category) bool { return strings.EqualFold(c.Name, name) })
		if i >= 0 {
			ids[name] = cats[i].ID
			continue
		}
		if id := known[name]; id != "" {
			if slices.ContainsFunc(cats, func(c mailbox.Category) bool { return c.ID == id }) {
				if err := mb.RenameCategory(ctx, id, name); err != nil {
					return nil, fmt.Errorf("contact: give category %q its name back: %w", name, err)
				}
				ids[name] = id
				p.Renamed++
				continue
			}
		}
		c, err := mb.CreateCategory(ctx, name, "")
		if err != nil {
			return nil, fmt.Errorf("contact: create category %q: %w", name, err)
		}
		ids[name] = c.ID
		p.Created++
	}
	return ids, nil
}
