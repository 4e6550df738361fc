package contact

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/store"
)

// mergedFields are the Contact fields a merge folds together.
var mergedFields = []string{"FirstName", "LastName", "Email", "Title", "Department", "Phone", "MobilePhone", "HomePhone",
	"MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "Description"}

// MergeResult says what a merge did.
type MergeResult struct {
	Kept     string   `json:"kept"`
	Merged   []string `json:"merged"`
	Filled   []string `json:"filled,omitempty"`   // fields of the kept contact filled from a duplicate
	Replaced []string `json:"replaced,omitempty"` // fields whose differing values went to FieldReplaced
	Deleted  int      `json:"deleted"`
}

// Merge folds duplicate CRM Contacts into one (C9): the kept contact takes
// every field it lacks from the duplicates, each differing value of a
// duplicate is kept in its FieldReplaced (never lost), and the duplicates
// are deleted in the CRM. Deletes are not synced (C7), so each duplicate's
// mailbox copy stays where it is and stops syncing; only the kept contact
// syncs from then on. The user must see every contact named.
func (s *Service) Merge(ctx context.Context, u store.User, keep string, dups []string, now time.Time) (MergeResult, error) {
	dups = slices.DeleteFunc(slices.Clone(dups), func(id string) bool { return id == keep || id == "" })
	if keep == "" || len(dups) == 0 {
		return MergeResult{}, &store.InvalidError{Field: "merge", Reason: "name the contact to keep and at least one duplicate"}
	}
	var crmConn store.Connection
	err := s.cfg.Store.Read(ctx, func(tx store.Tx) error {
		conns, err := tx.ListConnections(ctx, u.OrgID)
		for _, c := range conns {
			if c.System == CRMSystem && c.UserID == "" && c.Status != store.ConnDisconnected {
				crmConn = c
			}
		}
		return err
	})
	if err != nil {
		return MergeResult{}, err
	}
	if crmConn.ID == "" {
		return MergeResult{}, ErrNoCRM
	}
	if u.CRMUserID == "" {
		return MergeResult{}, ErrNoSeat
	}
	conn, err := s.cfg.Connectors(ctx, crmConn)
	if err != nil {
		return MergeResult{}, fmt.Errorf("contact: open the CRM: %w", err)
	}
	crm, ok := conn.(CRM)
	if !ok {
		return MergeResult{}, fmt.Errorf("contact: connection %s cannot be queried", crmConn.ID)
	}
	owners, err := visibleOwners(ctx, crm, u.CRMUserID)
	if err != nil {
		return MergeResult{}, err
	}
	ids := append([]string{keep}, dups...)
	rows, err := crm.Query(ctx, "SELECT Id, OwnerId, "+FieldReplaced+", "+strings.Join(mergedFields, ", ")+
		" FROM Contact WHERE Id IN ("+salesforce.QuoteList(ids)+")")
	if err != nil {
		return MergeResult{}, fmt.Errorf("contact: merge: %w", err)
	}
	byID := map[string]map[string]any{}
	for _, r := range rows {
		id, _ := r["Id"].(string)
		owner, _ := r["OwnerId"].(string)
		if slices.Contains(owners, owner) {
			byID[id] = r
		}
	}
	for _, id := range ids {
		if byID[id] == nil {
			return MergeResult{}, fmt.Errorf("contact: merge: contact %s: %w", id, store.ErrNotFound)
		}
	}
	kept := byID[keep]
	res := MergeResult{Kept: keep, Merged: dups}
	update := connector.Fields{}
	replaced, _ := kept[FieldReplaced].(string)
	var lines []string
	for _, id := range dups {
		d := byID[id]
		for _, f := range mergedFields {
			kv, _ := kept[f].(string)
			dv, _ := d[f].(string)
			switch {
			case dv == "" || dv == kv:
			case kv == "":
				kept[f] = dv
				update[f] = dv
				res.Filled = append(res.Filled, f)
			default:
				lines = append(lines, fmt.Sprintf("%s: %s (merged from %s, %s)", f, dv, id, now.UTC().Format(time.RFC3339)))
				res.Replaced = append(res.Replaced, f)
			}
		}
	}
	if len(lines) > 0 {
		if replaced != "" {
			replaced += "\n"
		}
		update[FieldReplaced] = replaced + strings.Join(lines, "\n")
	}
	if len(update) > 0 {
		out, err := crm.Write(ctx, "Contact", []connector.Write{{Op: connector.OpUpdate, ID: keep, Fields: update}})
		if err != nil {
			return res, fmt.Errorf("contact: merge into %s: %w", keep, err)
		}
		if out[0].Err != nil {
			return res, fmt.Errorf("contact: merge into %s: %w", keep, out[0].Err)
		}
	}
	// Only once the kept contact holds every value do the duplicates go.
	var dels []connector.Write
	for _, id := range dups {
		dels = append(dels, connector.Write{Op: connector.OpDelete, ID: id})
	}
	out, err := crm.Write(ctx, "Contact", dels)
	if err != nil {
		return res, fmt.Errorf("contact: merge: delete the duplicates: %w", err)
	}
	for i, r := range out {
		if r.Err != nil {
			return res, fmt.Errorf("contact: merge: delete duplicate %s: %w", dels[i].ID, r.Err)
		}
		res.Deleted++
	}
	return res, nil
}
