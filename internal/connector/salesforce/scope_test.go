package salesforce_test

import (
	"errors"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
)

func TestScopedListingSeesOnlyTheScope(t *testing.T) {
	// SPEC C8: a user's mailbox gets the CRM contacts they may see; the
	// scope names the owners whose records those are.
	t.Parallel()
	o := newOrg(t, nil, nil)
	mine := o.create("Contact", map[string]any{"LastName": "Mine"})
	other := o.create("Contact", map[string]any{"LastName": "Other"})
	owner := func(id string) string {
		f, err := o.sb.Get("Contact", id)
		if err != nil {
			t.Fatal(err)
		}
		return f["OwnerId"].(string)
	}
	// Give "Other" to a second owner: the scope then splits them.
	uid := o.create("User", map[string]any{"Username": "bo@acme.test", "LastName": "Bo", "Alias": "bo", "Email": "bo@acme.test",
		"ProfileId": mustProfile(t, o), "IsActive": true, "TimeZoneSidKey": "Europe/Paris", "LocaleSidKey": "en_US", "LanguageLocaleKey": "en_US", "EmailEncodingKey": "UTF-8"})
	if err := o.sb.Update("Contact", other, "", map[string]any{"OwnerId": uid}); err != nil {
		t.Fatal(err)
	}
	scope := salesforce.Scope("Contact", "OwnerId", []string{owner(mine), owner(mine)})
	recs, cur, _ := o.listAll(scope, "")
	if len(recs) != 1 || recs[0].ID != mine {
		t.Fatalf("scoped full listing = %v, want only %s", ids(recs), mine)
	}
	both := salesforce.Scope("Contact", "OwnerId", []string{owner(mine), uid})
	if recs, _, _ := o.listAll(both, ""); len(recs) != 2 {
		t.Fatalf("two owners' scope listed %v", ids(recs))
	}
	// Incremental: a change outside the scope is not listed, one inside is.
	o.sb.Advance(2 * time.Minute)
	if err := o.sb.Update("Contact", other, "", map[string]any{"Title": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := o.sb.Update("Contact", mine, "", map[string]any{"Title": "y"}); err != nil {
		t.Fatal(err)
	}
	recs, _, _ = o.listAll(scope, cur)
	for _, r := range recs {
		if r.ID == other {
			t.Fatalf("a change outside the scope was listed: %v", ids(recs))
		}
	}
	if len(recs) == 0 {
		t.Fatal("the change inside the scope was not listed")
	}
	// Writes take the scoped name.
	res, err := o.conn.Write(t.Context(), scope, []connector.Write{{Op: connector.OpUpdate, ID: mine, Fields: connector.Fields{"Title": "z"}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("write through the scoped name: %v %v", err, res)
	}
	// An empty scope selects nothing; a bad name is refused.
	if recs, _, _ := o.listAll(salesforce.Scope("Contact", "OwnerId", nil), ""); len(recs) != 0 {
		t.Fatalf("an empty scope listed %d records", len(recs))
	}
	if _, err := o.conn.Changes(t.Context(), "Contact?Owner Id=1", ""); !errors.Is(err, connector.ErrInvalid) {
		t.Fatalf("a malformed scope field: %v", err)
	}
}

func ids(recs []connector.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func mustProfile(t *testing.T, o *org) string {
	t.Helper()
	recs, _, _ := o.listAll("Profile", "")
	for _, r := range recs {
		if r.Fields["Name"] == "Standard User" {
			return r.ID
		}
	}
	if len(recs) == 0 {
		t.Fatal("the sandbox has no profiles")
	}
	return recs[0].ID
}
