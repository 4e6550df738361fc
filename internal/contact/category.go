package contact

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
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

// CRM is what the contacts domain needs of the CRM connector: SOQL
// queries beside the engine's calls.
type CRM interface {
	connector.Connector
	Query(ctx context.Context, soql string) ([]map[string]any, error)
}

// Categorizing wraps resolve so that the CRM's connector (system crm)
// computes FieldCategory into every Contact and Lead it lists, from the
// record and its account's opportunities (CategoryOf, LeadCategoryOf).
// Nothing is written to the CRM, so no record looks edited by it: the
// category is the hub's, filled into a mailbox contact when the hub
// creates one. Other connectors and objects pass through unchanged.
func Categorizing(resolve syncer.Resolver, crm string) syncer.Resolver {
	return func(ctx context.Context, c store.Connection) (connector.Connector, error) {
		conn, err := resolve(ctx, c)
		if err != nil || c.System != crm {
			return conn, err
		}
		q, ok := conn.(CRM)
		if !ok {
			return conn, nil
		}
		return categorizer{q}, nil
	}
}

// categorizer is a CRM connector whose Contacts and Leads carry their
// fixed category.
type categorizer struct {
	CRM
}

// Changes implements connector.Connector.
func (c categorizer) Changes(ctx context.Context, object, cursor string) (connector.Page, error) {
	page, err := c.CRM.Changes(ctx, object, cursor)
	if err != nil {
		return page, err
	}
	name, _, _ := strings.Cut(object, "?")
	switch name {
	case "Contact":
		err = c.contacts(ctx, page.Records)
	case "Lead":
		for _, r := range page.Records {
			if r.Fields != nil {
				status, _ := r.Fields["Status"].(string)
				r.Fields[FieldCategory] = LeadCategoryOf(status)
			}
		}
	}
	if err != nil {
		return connector.Page{}, fmt.Errorf("contact: categorize %s: %w", name, err)
	}
	return page, nil
}

// contacts files each listed Contact under its category, asking the CRM
// for the types and opportunities of their accounts.
func (c categorizer) contacts(ctx context.Context, recs []connector.Record) error {
	accounts := map[string]bool{}
	for _, r := range recs {
		if id, _ := r.Fields["AccountId"].(string); id != "" {
			accounts[id] = true
		}
	}
	ids := make([]string, 0, len(accounts))
	for id := range accounts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	types := map[string]string{}
	deals := map[string]*Deals{}
	// SOQL bounds a query's text; 300 ids a query stay well inside it.
	for chunk := range chunks(ids, 300) {
		rows, err := c.Query(ctx, "SELECT Id, Type FROM Account WHERE Id IN ("+salesforce.QuoteList(chunk)+")")
		if err != nil {
			return err
		}
		for _, r := range rows {
			id, _ := r["Id"].(string)
			types[id], _ = r["Type"].(string)
		}
		opps, err := c.Query(ctx, "SELECT AccountId, IsClosed, IsWon FROM Opportunity WHERE AccountId IN ("+salesforce.QuoteList(chunk)+")")
		if err != nil {
			return err
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
	for _, r := range recs {
		if r.Fields == nil {
			continue
		}
		acc, _ := r.Fields["AccountId"].(string)
		var d Deals
		if p := deals[acc]; p != nil {
			d = *p
		}
		r.Fields[FieldCategory] = CategoryOf(acc != "", types[acc], d)
	}
	return nil
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
