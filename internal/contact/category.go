package contact

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmsync/crmsync/internal/connector"
)

// Deals sums up the opportunities of a contact's account.
type Deals struct {
	Open, Won, Lost int
}

// CategoryOf derives the fixed category of a CRM Contact (C3) from its
// account and the account's opportunities:
//
//   - Current Customer: a won opportunity, and the account is a customer
//     now (its Type is empty or starts with "Customer");
//   - Current Prospect: an open opportunity (and not a current customer);
//   - Past Customer: a won opportunity, the account no longer a customer
//     (another Type), nothing open;
//   - Lost Prospect: only lost opportunities;
//   - Company: an account without opportunities;
//   - Person: no account.
func CategoryOf(hasAccount bool, accountType string, d Deals) string {
	customer := accountType == "" || strings.HasPrefix(accountType, "Customer")
	switch {
	case d.Won > 0 && customer:
		return CategoryCurrentCustomer
	case d.Open > 0:
		return CategoryCurrentProspect
	case d.Won > 0:
		return CategoryPastCustomer
	case d.Lost > 0:
		return CategoryLostProspect
	case hasAccount:
		return CategoryCompany
	}
	return CategoryPerson
}

// LeadCategoryOf derives a Lead's fixed category: Lost Prospect once it is
// closed without conversion (unqualified), Lead otherwise.
func LeadCategoryOf(status string) string {
	if status == "Closed - Not Converted" || strings.EqualFold(status, "Unqualified") {
		return CategoryLostProspect
	}
	return CategoryLead
}

// CRM is what categorizing needs of the CRM connector: SOQL queries and
// batch writes.
type CRM interface {
	connector.Connector
	Query(ctx context.Context, soql string) ([]map[string]any, error)
}

// Categorize brings FieldCategory up to date on the Contacts and Leads
// whose OwnerId is one of owners, writing only the records whose category
// changed, and returns how many it wrote. A record the CRM refuses is
// named in the error; the others are written.
func Categorize(ctx context.Context, crm CRM, owners []string) (int, error) {
	if len(owners) == 0 {
		return 0, nil
	}
	in := soqlIn(owners)
	contacts, err := crm.Query(ctx, "SELECT Id, AccountId, "+FieldCategory+" FROM Contact WHERE OwnerId IN ("+in+")")
	if err != nil {
		return 0, fmt.Errorf("contact: categorize: %w", err)
	}
	accounts := map[string]bool{}
	for _, c := range contacts {
		if id, _ := c["AccountId"].(string); id != "" {
			accounts[id] = true
		}
	}
	types := map[string]string{}
	deals := map[string]*Deals{}
	if len(accounts) > 0 {
		ids := make([]string, 0, len(accounts))
		for id := range accounts {
			ids = append(ids, id)
		}
		// SOQL bounds a query's text; 300 ids a query stay well inside it.
		for chunk := range chunks(ids, 300) {
			rows, err := crm.Query(ctx, "SELECT Id, Type FROM Account WHERE Id IN ("+soqlIn(chunk)+")")
			if err != nil {
				return 0, fmt.Errorf("contact: categorize: accounts: %w", err)
			}
			for _, r := range rows {
				id, _ := r["Id"].(string)
				types[id], _ = r["Type"].(string)
			}
			opps, err := crm.Query(ctx, "SELECT AccountId, IsClosed, IsWon FROM Opportunity WHERE AccountId IN ("+soqlIn(chunk)+")")
			if err != nil {
				return 0, fmt.Errorf("contact: categorize: opportunities: %w", err)
			}
			for _, o := range opps {
				id, _ := o["AccountId"].(string)
				d := deals[id]
				if d == nil {
					d = &Deals{}
					deals[id] = d
				}
				closed, _ := o["IsClosed"].(bool)
				won, _ := o["IsWon"].(bool)
				switch {
				case won:
					d.Won++
				case closed:
					d.Lost++
				default:
					d.Open++
				}
			}
		}
	}
	var writes []connector.Write
	for _, c := range contacts {
		acc, _ := c["AccountId"].(string)
		var d Deals
		if p := deals[acc]; p != nil {
			d = *p
		}
		want := CategoryOf(acc != "", types[acc], d)
		if have, _ := c[FieldCategory].(string); have != want {
			id, _ := c["Id"].(string)
			writes = append(writes, connector.Write{Op: connector.OpUpdate, ID: id, Fields: connector.Fields{FieldCategory: want}})
		}
	}
	n, err := write(ctx, crm, "Contact", writes)
	if err != nil {
		return n, err
	}
	leads, err := crm.Query(ctx, "SELECT Id, Status, "+FieldCategory+" FROM Lead WHERE IsConverted = false AND OwnerId IN ("+in+")")
	if err != nil {
		return n, fmt.Errorf("contact: categorize: leads: %w", err)
	}
	writes = writes[:0]
	for _, l := range leads {
		status, _ := l["Status"].(string)
		want := LeadCategoryOf(status)
		if have, _ := l[FieldCategory].(string); have != want {
			id, _ := l["Id"].(string)
			writes = append(writes, connector.Write{Op: connector.OpUpdate, ID: id, Fields: connector.Fields{FieldCategory: want}})
		}
	}
	m, err := write(ctx, crm, "Lead", writes)
	return n + m, err
}

// write sends writes in batches and reports the first refused record.
func write(ctx context.Context, crm CRM, object string, writes []connector.Write) (int, error) {
	size := crm.Capabilities().BatchSize
	if size <= 0 {
		size = 200
	}
	n := 0
	var first error
	for chunk := range chunks(writes, size) {
		res, err := crm.Write(ctx, object, chunk)
		if err != nil {
			return n, fmt.Errorf("contact: categorize %s: %w", object, err)
		}
		for i, r := range res {
			if r.Err != nil {
				if first == nil {
					first = fmt.Errorf("contact: categorize %s %s: %w", object, chunk[i].ID, r.Err)
				}
				continue
			}
			n++
		}
	}
	return n, first
}

// chunks yields s in slices of at most n.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// soqlIn quotes ids for a SOQL IN list.
func soqlIn(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(id) + "'"
	}
	return strings.Join(q, ", ")
}
