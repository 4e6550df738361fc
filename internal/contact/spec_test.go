package contact_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/msgraph"
	"github.com/crmsync/crmsync/internal/contact"
	graphsb "github.com/crmsync/crmsync/internal/sandbox/msgraph"
	"github.com/crmsync/crmsync/internal/store"
)

func TestC1ConnectChecksTheMailboxFirst(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{})
	ctx := t.Context()
	ann := r.users["ann"]
	cfg, _ := r.mailboxConfig("ann")
	bad, _ := json.Marshal(msgraph.ConnectionCredentials{ClientSecret: "wrong"})
	if _, _, err := r.svc.Connect(ctx, ann, msgraph.SystemName, cfg, bad); err == nil {
		t.Fatal("a mailbox refusing the credentials was connected")
	}
	if _, err := r.svc.Mailbox(ctx, ann); !errors.Is(err, contact.ErrNoMailbox) {
		t.Fatalf("a refused mailbox was saved: %v", err)
	}
	var ie *store.InvalidError
	if _, _, err := r.svc.Connect(ctx, ann, "exchange2003", cfg, bad); !errors.As(err, &ie) || ie.Field != "system" {
		t.Fatalf("an unknown system: %v", err)
	}
	rep := r.connect("ann")
	if len(rep.Folders) == 0 {
		t.Fatalf("no private folder reported: %+v", rep)
	}
	c, err := r.svc.Mailbox(ctx, ann)
	if err != nil || c.System != msgraph.SystemName {
		t.Fatalf("mailbox connection = %+v, %v", c, err)
	}
	if strings.Contains(string(c.Config), graphsb.DefaultClientSecret) {
		t.Fatal("the client secret is in the connection's plain settings")
	}
}

func TestC2C3C6ContactsSyncBothWaysFiledUnderFixedCategories(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{Categories: []string{"Clients", "Family"}})
	// CRM side: Ann's contacts, one per derived category, and a lead.
	acct := r.crm("Account", "ann", map[string]any{"Name": "Initech", "Type": "Customer - Direct"})
	prospectAcct := r.crm("Account", "ann", map[string]any{"Name": "Globex", "Type": "Prospect"})
	r.crm("Opportunity", "ann", map[string]any{"Name": "Renewal", "AccountId": acct, "StageName": "Closed Won", "CloseDate": "2026-01-10"})
	r.crm("Opportunity", "ann", map[string]any{"Name": "Pilot", "AccountId": prospectAcct, "StageName": "Prospecting", "CloseDate": "2027-01-10"})
	r.crm("Contact", "ann", map[string]any{"FirstName": "Cora", "LastName": "Customer", "Email": "cora@initech.test", "AccountId": acct})
	r.crm("Contact", "ann", map[string]any{"FirstName": "Pia", "LastName": "Prospect", "Email": "pia@globex.test", "AccountId": prospectAcct})
	r.crm("Contact", "ann", map[string]any{"FirstName": "Solo", "LastName": "Person", "Email": "solo@example.test"})
	r.crm("Lead", "ann", map[string]any{"FirstName": "Lee", "LastName": "Lead", "Company": "Hooli", "Email": "lee@hooli.test"})
	// Mailbox side: one contact in a picked category, one in another.
	r.addContact("ann", "Kim", "Client", "kim@client.test", "Clients")
	r.addContact("ann", "Mum", "Family", "mum@home.test", "Family")

	rep := r.connect("ann")
	if !slices.Equal(rep.Categories, []string{"Clients", "Family"}) {
		t.Fatalf("categories to pick = %v", rep.Categories)
	}
	r.enable("ann", "Clients")
	for _, run := range r.sync("ann") {
		if run.Counts.Quarantined != 0 {
			t.Fatalf("run %+v quarantined records", run)
		}
	}
	// SPEC C3: every fixed category exists in the mailbox.
	cats := r.categories("ann")
	for _, name := range contact.Fixed {
		if cats[name] == "" {
			t.Fatalf("fixed category %q missing; mailbox has %v", name, cats)
		}
	}
	// CRM contacts reached the mailbox, each filed under its category.
	mb := r.mailbox("ann")
	for email, want := range map[string]string{
		"cora@initech.test": contact.CategoryCurrentCustomer,
		"pia@globex.test":   contact.CategoryCurrentProspect,
		"solo@example.test": contact.CategoryPerson,
		"lee@hooli.test":    contact.CategoryLead,
	} {
		c, ok := mb[email]
		if !ok {
			t.Fatalf("%s did not reach the mailbox; it holds %v", email, keys(mb))
		}
		if !slices.Contains(c.Categories, want) {
			t.Errorf("%s filed under %v, want %s", email, c.Categories, want)
		}
	}
	// SPEC C2: the picked category's contact reached the CRM, the other not.
	if id := r.crmContactByEmail("kim@client.test"); id == "" {
		t.Fatal("a contact in a picked category did not reach the CRM")
	}
	if id := r.crmContactByEmail("mum@home.test"); id != "" {
		t.Fatal("a contact in a category not picked reached the CRM")
	}
	// SPEC C6: an edit on either side reaches the other.
	r.later()
	cora := mb["cora@initech.test"]
	r.outlook(http.MethodPatch, "/users/"+r.upn("ann")+"/contacts/"+cora.ID, map[string]any{"jobTitle": "CFO"}, nil)
	kim := r.crmContactByEmail("kim@client.test")
	if err := r.sf.Update("Contact", kim, "ann@acme.test", map[string]any{"Title": "Buyer"}); err != nil {
		t.Fatal(err)
	}
	r.later()
	r.sync("ann")
	if got := r.crmGet("Contact", r.crmContactByEmail("cora@initech.test"))["Title"]; got != "CFO" {
		t.Errorf("mailbox edit did not reach the CRM: Title %v", got)
	}
	if got := r.mailbox("ann")["kim@client.test"].JobTitle; got != "Buyer" {
		t.Errorf("CRM edit did not reach the mailbox: jobTitle %q", got)
	}
}

func TestC4RenamedFixedCategoryGetsItsNameBack(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{})
	r.enable("ann")
	r.sync("ann")
	id := r.categories("ann")[contact.CategoryLead]
	if id == "" {
		t.Fatal("no Base Lead category after the first sync")
	}
	if err := r.graph.RenameCategory(r.upn("ann"), id, "My leads"); err != nil {
		t.Fatal(err)
	}
	if r.categories("ann")[contact.CategoryLead] != "" {
		t.Fatal("the sandbox did not rename the category")
	}
	r.later()
	r.sync("ann")
	cats := r.categories("ann")
	if cats[contact.CategoryLead] == "" {
		t.Fatalf("Base Lead did not get its name back: %v", cats)
	}
	if cats["My leads"] != "" {
		t.Fatalf("the renamed copy is still there beside it: %v", cats)
	}
}

func TestC5SharedAndGlobalFoldersAreSkippedAndReported(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{})
	bo := r.graph.Users()[1]
	if err := r.graph.Grant(bo.UserPrincipalName, bo.DefaultFolderID, r.upn("ann")); err != nil {
		t.Fatal(err)
	}
	cfg, creds := r.mailboxConfig("ann")
	var m map[string]any
	_ = json.Unmarshal(cfg, &m)
	m["shared_folders"] = []map[string]string{{"user": bo.UserPrincipalName, "folderId": bo.DefaultFolderID}}
	cfg, _ = json.Marshal(m)
	_, rep, err := r.svc.Connect(t.Context(), r.users["ann"], msgraph.SystemName, cfg, creds)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range rep.Skipped {
		kinds[string(f.Kind)]++
		if f.Reason == "" {
			t.Errorf("skipped folder %q without a reason", f.Name)
		}
	}
	if kinds["shared"] != 1 {
		t.Fatalf("skipped = %+v, want Bo's shared folder among them", rep.Skipped)
	}
	for _, f := range rep.Folders {
		if f.Kind != "private" {
			t.Fatalf("a %s folder syncs: %+v", f.Kind, f)
		}
	}
}

func TestC7DeletesAreNotSynced(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{Categories: []string{"Clients"}})
	crmID := r.crm("Contact", "ann", map[string]any{"LastName": "Gone", "Email": "gone@crm.test"})
	r.addContact("ann", "Mo", "Mailbox", "mo@mail.test", "Clients")
	r.enable("ann", "Clients")
	r.sync("ann")
	mb := r.mailbox("ann")
	if _, ok := mb["gone@crm.test"]; !ok {
		t.Fatal("the CRM contact did not reach the mailbox")
	}
	moCRM := r.crmContactByEmail("mo@mail.test")
	if moCRM == "" {
		t.Fatal("the mailbox contact did not reach the CRM")
	}
	r.later()
	if err := r.sf.Delete("Contact", crmID, "ann@acme.test"); err != nil {
		t.Fatal(err)
	}
	r.outlook(http.MethodDelete, "/users/"+r.upn("ann")+"/contacts/"+mb["mo@mail.test"].ID, nil, nil)
	r.later()
	r.sync("ann")
	r.later()
	r.sync("ann")
	if _, ok := r.mailbox("ann")["gone@crm.test"]; !ok {
		t.Fatal("a CRM delete reached the mailbox")
	}
	if f := r.crmGet("Contact", moCRM); f["IsDeleted"] == true {
		t.Fatal("a mailbox delete reached the CRM")
	}
	if id := r.crmContactByEmail("gone@crm.test"); id != "" {
		t.Fatal("the deleted CRM contact was made again from its mailbox copy")
	}
}

func TestC8ManagerSeesTheirReportsContacts(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{})
	r.crm("Contact", "ann", map[string]any{"LastName": "OfAnn", "Email": "a@crm.test"})
	r.crm("Contact", "bo", map[string]any{"LastName": "OfBo", "Email": "b@crm.test"})
	r.crm("Contact", "cy", map[string]any{"LastName": "OfCy", "Email": "c@crm.test"})
	r.enable("ann")
	r.enable("bo")
	r.sync("ann")
	r.sync("bo")
	ann, bo := r.mailbox("ann"), r.mailbox("bo")
	for _, e := range []string{"a@crm.test", "b@crm.test"} {
		if _, ok := ann[e]; !ok {
			t.Errorf("manager Ann's mailbox lacks %s: %v", e, keys(ann))
		}
	}
	if _, ok := ann["c@crm.test"]; ok {
		t.Error("Ann sees Cy's contact, who is not her report")
	}
	if _, ok := bo["a@crm.test"]; ok {
		t.Error("Bo sees his manager's contact")
	}
	if _, ok := bo["b@crm.test"]; !ok {
		t.Error("Bo's own contact is missing from his mailbox")
	}
	// A new report comes into view at the next sync.
	if err := r.sf.Update("User", r.crmIDs["cy"], "", map[string]any{"ManagerId": r.crmIDs["ann"]}); err != nil {
		t.Fatal(err)
	}
	r.later()
	r.sync("ann")
	if _, ok := r.mailbox("ann")["c@crm.test"]; !ok {
		t.Error("a new report's contact did not reach the manager's mailbox")
	}
}

func TestC9DuplicatesComeInAndMergingKeepsOneLink(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{Categories: []string{"Clients"}})
	first := r.addContact("ann", "Dee", "Double", "dee@dup.test", "Clients")
	second := r.addContact("ann", "Dee", "Double", "dee@dup.test", "Clients")
	r.outlook(http.MethodPatch, "/users/"+r.upn("ann")+"/contacts/"+second, map[string]any{"jobTitle": "Director", "businessPhones": []string{"+1 555 0100"}}, nil)
	r.enable("ann", "Clients")
	r.sync("ann")
	ids := r.crmContactsByEmail("dee@dup.test")
	if len(ids) != 2 {
		t.Fatalf("the mailbox's duplicates made %d CRM contacts, want 2", len(ids))
	}
	// Merge in the hub: the first CRM copy keeps every value.
	keep, dup := ids[0], ids[1]
	if r.crmGet("Contact", keep)["Title"] == "Director" {
		keep, dup = dup, keep
	}
	res, err := r.svc.Merge(t.Context(), r.users["ann"], keep, []string{dup}, r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 1 {
		t.Fatalf("merge = %+v", res)
	}
	kept := r.crmGet("Contact", keep)
	if kept["Title"] != "Director" || kept["Phone"] != "+1 555 0100" {
		t.Fatalf("the kept contact lost the duplicate's values: %v", kept)
	}
	r.later()
	r.sync("ann")
	// The mailbox keeps both copies; the merge did not reach it.
	var copies []graphContact
	for _, c := range r.mailboxAll("ann") {
		if c.Surname == "Double" {
			copies = append(copies, c)
		}
	}
	if len(copies) != 2 {
		t.Fatalf("mailbox holds %d copies after the merge, want both", len(copies))
	}
	// From then on only one copy syncs: an edit to the kept contact reaches
	// one mailbox copy, and the orphan's edits reach nothing.
	r.later()
	if err := r.sf.Update("Contact", keep, "ann@acme.test", map[string]any{"Title": "VP"}); err != nil {
		t.Fatal(err)
	}
	var orphan string
	r.sync("ann")
	titles := map[string]int{}
	for _, c := range r.mailboxAll("ann") {
		if c.Surname == "Double" {
			titles[c.JobTitle]++
			if c.JobTitle != "VP" {
				orphan = c.ID
			}
		}
	}
	if titles["VP"] != 1 || orphan == "" {
		t.Fatalf("after an edit of the kept contact the mailbox copies' titles are %v, want VP on exactly one", titles)
	}
	r.later()
	r.outlook(http.MethodPatch, "/users/"+r.upn("ann")+"/contacts/"+orphan, map[string]any{"jobTitle": "Orphan edit"}, nil)
	r.later()
	r.sync("ann")
	if ids := r.crmContactsByEmail("dee@dup.test"); len(ids) != 1 || ids[0] != keep {
		t.Fatalf("after the orphan's edit the CRM holds %v, want only the kept %s", ids, keep)
	}
	if got := r.crmGet("Contact", keep)["Title"]; got != "VP" {
		t.Fatalf("the orphan's edit reached the kept contact: Title %v", got)
	}
	_ = first
}

func TestC10MatchAndMergeKeepsTheReplacedValue(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{Categories: []string{"Clients"}})
	id := r.crm("Contact", "ann", map[string]any{"FirstName": "Max", "LastName": "Match", "Email": "max@match.test", "Title": "Engineer"})
	r.later()
	// The mailbox copy, made later, says otherwise: it is the most recent.
	r.addContact("ann", "Max", "Match", "max@match.test", "Clients")
	c := r.mailbox("ann")["max@match.test"]
	r.outlook(http.MethodPatch, "/users/"+r.upn("ann")+"/contacts/"+c.ID, map[string]any{"jobTitle": "CTO"}, nil)
	r.enable("ann", "Clients")
	r.sync("ann")
	if ids := r.crmContactsByEmail("max@match.test"); len(ids) != 1 {
		t.Fatalf("the match made %d CRM contacts, want 1 (merged)", len(ids))
	}
	got := r.crmGet("Contact", id)
	if got["Title"] != "CTO" {
		t.Fatalf("the most recent value did not win: Title %v", got["Title"])
	}
	replaced, _ := got[contact.FieldReplaced].(string)
	if !strings.Contains(replaced, "Engineer") {
		t.Fatalf("the replaced value is not kept in %s: %q", contact.FieldReplaced, replaced)
	}
	n := 0
	if err := r.store.Read(t.Context(), func(tx store.Tx) error {
		cs, err := tx.ListConflicts(t.Context(), store.ConflictFilter{OrgID: r.org.ID, Limit: 100})
		for _, c := range cs {
			if c.Field == "title" {
				n++
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d conflict records for the title, want 1", n)
	}
	if mb := r.mailbox("ann"); len(mb) != 1 {
		t.Fatalf("the mailbox holds %d contacts, want the one merged", len(mb))
	}
}

func TestC11NoCategoriesToOfferIsExplained(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsb.SeedConfig{Categories: []string{"-"}})
	rep := r.connect("ann")
	if len(rep.Categories) != 0 || rep.NoCategories == "" {
		t.Fatalf("report = %+v, want no categories and why", rep)
	}
	_, err := r.svc.Save(t.Context(), r.users["ann"], contact.Settings{Enabled: true, Import: []string{"Clients"}})
	var ie *store.InvalidError
	if !errors.As(err, &ie) || ie.Reason != rep.NoCategories {
		t.Fatalf("picking a category from an empty mailbox: %v", err)
	}
	// The hub's own categories are not offered either, even once made.
	r.enable("ann")
	r.sync("ann")
	if rep := r.connect("ann"); len(rep.Categories) != 0 || rep.NoCategories == "" {
		t.Fatalf("after the fixed categories exist: %+v", rep)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
