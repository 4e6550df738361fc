package msgraph

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
	graphsandbox "github.com/crmsync/crmsync/internal/sandbox/msgraph"
)

// SPEC C1: a connection is checked once at start-up, every bad setting
// named.
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := Config{TenantID: "t", ClientID: "c", ClientSecret: "s", User: "ana@example.com"}
	for _, c := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"valid app", func(*Config) {}, ""},
		{"valid delegated", func(c *Config) { c.User, c.RefreshToken = "", "rt" }, ""},
		{"no tenant", func(c *Config) { c.TenantID = "" }, "TenantID or TokenURL"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "ClientSecret"},
		{"app as me", func(c *Config) { c.User = "me" }, "needs a RefreshToken"},
		{"no user", func(c *Config) { c.User = "" }, "User is required"},
		{"bad base", func(c *Config) { c.BaseURL = "ftp://x" }, "BaseURL"},
		{"page size", func(c *Config) { c.PageSize = 5000 }, "PageSize"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.edit(&cfg)
			err := cfg.Validate()
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("Validate() = %v, want %q", err, c.want)
			}
		})
	}
}

// SPEC C2/C6: a first listing reads every contact of every private
// folder over several pages, each in the mailbox vocabulary.
func TestFullListingPages(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 23, Folders: 2})
	cfg := r.config()
	cfg.PageSize = 4
	c := r.conn(cfg)
	recs, _, pages := drain(t, c, "", 50)
	if len(recs) != 23 {
		t.Fatalf("listed %d contacts, want 23", len(recs))
	}
	if pages < 6 {
		t.Errorf("%d pages for 23 contacts at 4 a page", pages)
	}
	folders := map[string]int{}
	for _, rec := range recs {
		if rec.Deleted || rec.Invalid != "" || rec.Modified.IsZero() || rec.Created.IsZero() {
			t.Errorf("record %+v", rec)
		}
		for _, f := range []string{mailbox.GivenName, mailbox.Surname, mailbox.Email, mailbox.Email2, mailbox.City, mailbox.Categories, mailbox.FolderID} {
			if _, ok := rec.Fields[f].(string); !ok {
				t.Errorf("record %s: field %s is %T", rec.ID, f, rec.Fields[f])
			}
		}
		folders[rec.Fields[mailbox.FolderID].(string)]++
	}
	if len(folders) != 3 || folders[r.user.DefaultFolderID] == 0 {
		t.Errorf("contacts by folder %v: want the default folder and two more", folders)
	}
	// FolderID limits the sync to one folder.
	cfg.FolderID = r.user.Folders[0].ID
	one, _, _ := drain(t, r.conn(cfg), "", 50)
	if len(one) != folders[cfg.FolderID] {
		t.Errorf("one folder listed %d, want %d", len(one), folders[cfg.FolderID])
	}
}

// SPEC C6: after the first listing a delta round reports only what
// changed — in Outlook or through the connector's own writes — and a
// deletion as a tombstone (which the domain ignores, SPEC C7).
func TestDeltaBothSides(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 6, Folders: 1})
	c := r.conn(r.config())
	recs, cur, _ := drain(t, c, "", 20)
	if again, cur2, _ := drain(t, c, cur, 20); len(again) != 0 {
		t.Fatalf("nothing changed, yet %d records", len(again))
	} else {
		cur = cur2
	}
	me := "/users/" + r.user.ID
	// In Outlook: one created, one edited, one deleted.
	var made struct{ ID string }
	if code := r.api("POST", me+"/contacts", map[string]any{"givenName": "Olu", "surname": "Made"}, &made); code != 201 {
		t.Fatal(code)
	}
	if code := r.api("PATCH", me+"/contacts/"+recs[0].ID, map[string]any{"jobTitle": "Chief"}, nil); code != 200 {
		t.Fatal(code)
	}
	if code := r.api("DELETE", me+"/contacts/"+recs[1].ID, nil, nil); code != 204 {
		t.Fatal(code)
	}
	got, cur, _ := drain(t, c, cur, 20)
	m := byID(got)
	if len(got) != 3 || m[made.ID].Fields[mailbox.Surname] != "Made" || m[recs[0].ID].Fields[mailbox.JobTitle] != "Chief" || !m[recs[1].ID].Deleted {
		t.Fatalf("Outlook's changes: %+v", got)
	}
	// Through the connector: create, update one email of three, delete.
	res, err := c.Write(t.Context(), mailbox.Object, []connector.Write{
		{Op: connector.OpCreate, Key: "k-1", Fields: connector.Fields{mailbox.GivenName: "Hub", mailbox.Email: "a@example.com",
			mailbox.Email2: "b@example.com", mailbox.Email3: "c@example.com", mailbox.Categories: "Base Lead;Base Person", mailbox.City: "Lyon"}},
		{Op: connector.OpDelete, ID: recs[2].ID},
	})
	if err != nil || res[0].Err != nil || res[1].Err != nil || res[0].Modified.IsZero() {
		t.Fatalf("write: %v %+v", err, res)
	}
	hub := res[0].ID
	res, err = c.Write(t.Context(), mailbox.Object, []connector.Write{
		{Op: connector.OpUpdate, ID: hub, Fields: connector.Fields{mailbox.Email2: "b2@example.com", mailbox.Street: "1 Rue", mailbox.JobTitle: "Buyer"}},
	})
	if err != nil || res[0].Err != nil {
		t.Fatalf("update: %v %+v", err, res)
	}
	got, _, _ = drain(t, c, cur, 20)
	m = byID(got)
	want := connector.Fields{mailbox.GivenName: "Hub", mailbox.Email: "a@example.com", mailbox.Email2: "b2@example.com",
		mailbox.Email3: "c@example.com", mailbox.Categories: "Base Lead;Base Person", mailbox.City: "Lyon", mailbox.Street: "1 Rue", mailbox.JobTitle: "Buyer"}
	for f, v := range want {
		if m[hub].Fields[f] != v {
			t.Errorf("hub contact %s = %q, want %q", f, m[hub].Fields[f], v)
		}
	}
	if !m[recs[2].ID].Deleted || len(got) != 2 {
		t.Errorf("connector's changes: %+v", got)
	}
}

// A delta token Graph no longer holds answers ErrCursorExpired, which
// makes the engine list everything again; a full listing then works.
func TestExpiredDeltaToken(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 3})
	c := r.conn(r.config())
	_, cur, _ := drain(t, c, "", 10)
	r.sb.ExpireDeltaTokens()
	if _, err := c.Changes(t.Context(), mailbox.Object, cur); !errors.Is(err, connector.ErrCursorExpired) {
		t.Fatalf("expired delta token: %v, want ErrCursorExpired", err)
	}
	if _, err := c.Changes(t.Context(), mailbox.Object, "{not json"); !errors.Is(err, connector.ErrCursorExpired) {
		t.Errorf("unreadable cursor: %v", err)
	}
	if recs, _, _ := drain(t, c, "", 10); len(recs) != 3 {
		t.Errorf("relisted %d, want 3", len(recs))
	}
}

// A create retried with the same key — after a lost answer, or a 503 on
// the way — answers the first contact's id and makes no duplicate.
func TestRetriedCreateSameKey(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: -1, Folders: -1})
	c := r.conn(r.config())
	w := []connector.Write{{Op: connector.OpCreate, Key: "crm-003Q-'1", Fields: connector.Fields{mailbox.Surname: "Once"}}}
	first, err := c.Write(t.Context(), mailbox.Object, w)
	if err != nil || first[0].Err != nil {
		t.Fatal(err, first)
	}
	if err := r.sb.SetFaults(graphsandbox.Faults{Errors: 2}); err != nil {
		t.Fatal(err)
	}
	again, err := c.Write(t.Context(), mailbox.Object, w)
	if err != nil || again[0].Err != nil || again[0].ID != first[0].ID {
		t.Fatalf("retried create: %v %+v, want id %s", err, again, first[0].ID)
	}
	recs, _, _ := drain(t, c, "", 10)
	if len(recs) != 1 {
		t.Errorf("%d contacts after two creates with one key", len(recs))
	}
	if len(r.slept()) != 2 {
		t.Errorf("slept %v, want two waits for the two 503s", r.slept())
	}
}

// Throttling: a 429's Retry-After is what the connector waits before it
// tries again; when retries run out, the error says how long to wait.
func TestThrottlingHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 2})
	c := r.conn(r.config())
	if err := r.sb.SetFaults(graphsandbox.Faults{RateLimits: 2, RetryAfter: 7 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if recs, _, _ := drain(t, c, "", 10); len(recs) != 2 {
		t.Fatalf("listed %d", len(recs))
	}
	if s := r.slept(); len(s) != 2 || s[0] != 7*time.Second || s[1] != 7*time.Second {
		t.Errorf("slept %v, want [7s 7s]", s)
	}
	cfg := r.config()
	cfg.MaxRetries = -1
	if err := r.sb.SetFaults(graphsandbox.Faults{RateLimits: 1, RetryAfter: 9 * time.Second}); err != nil {
		t.Fatal(err)
	}
	_, err := r.conn(cfg).Categories(t.Context())
	var re *connector.RetryError
	if !errors.As(err, &re) || re.After != 9*time.Second || !errors.Is(err, connector.ErrRateLimited) {
		t.Errorf("throttled without retries: %v", err)
	}
}

// A contact whose JSON cannot be read is reported Invalid, by id, and the
// rest of the page syncs.
func TestUnreadableContactIsInvalid(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 4, Folders: -1})
	c := r.conn(r.config())
	recs, _, _ := drain(t, c, "", 10)
	for i, raw := range []string{`{"lastModifiedDateTime":"last tuesday"}`, `{"emailAddresses":"ana@example.com"}`} {
		if err := r.sb.Corrupt(r.user.ID, recs[i].ID, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	got, _, _ := drain(t, c, "", 10)
	m := byID(got)
	if len(got) != 4 {
		t.Fatalf("%d records", len(got))
	}
	for i, rec := range recs {
		g := m[rec.ID]
		if bad := i < 2; bad != (g.Invalid != "") || bad != (g.Fields == nil) {
			t.Errorf("record %d: Invalid %q Fields %v", i, g.Invalid, g.Fields)
		}
	}
}

// SPEC C5: Folders tells the user's own folders (Private, the default
// Contacts folder included) from another user's shared folder (Shared)
// and the directory (Global), so the domain can say what it skips.
func TestFolderKinds(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 2, Contacts: 2, Folders: 2})
	a, b := r.sb.Users()[0], r.sb.Users()[1]
	if err := r.sb.Grant(b.ID, b.Folders[0].ID, a.ID); err != nil {
		t.Fatal(err)
	}
	rt, err := r.sb.RefreshToken(a.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.config()
	cfg.User, cfg.RefreshToken = "", rt // delegated: /me
	cfg.SharedFolders = []SharedFolder{{User: b.UserPrincipalName, FolderID: b.Folders[0].ID}, {User: b.ID, FolderID: b.Folders[1].ID}}
	fs, err := r.conn(cfg).Folders(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[mailbox.FolderKind][]string{}
	for _, f := range fs {
		kinds[f.Kind] = append(kinds[f.Kind], f.ID)
	}
	if p := kinds[mailbox.Private]; len(p) != 3 || p[0] != a.DefaultFolderID {
		t.Errorf("private folders %v, want the default %s and two more", p, a.DefaultFolderID)
	}
	if s := kinds[mailbox.Shared]; len(s) != 1 || !strings.HasSuffix(s[0], b.Folders[0].ID) {
		t.Errorf("shared folders %v, want only the granted one", s)
	}
	if g := kinds[mailbox.Global]; len(g) != 1 || g[0] != DirectoryFolderID {
		t.Errorf("global folders %v", g)
	}
}

// SPEC C3/C4: fixed categories are created once whatever the case; a
// category the user renamed gets its name back, with its contacts.
func TestCategoriesCreateAndRename(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 6, Folders: 1, Categories: []string{"-"}})
	c := r.conn(r.config())
	ctx := t.Context()
	if cats, err := c.Categories(ctx); err != nil || len(cats) != 0 {
		t.Fatalf("categories %v %v, want none (SPEC C11)", cats, err)
	}
	made, err := c.CreateCategory(ctx, "Base Person", "preset3")
	if err != nil || made.Name != "Base Person" || made.Color != "preset3" {
		t.Fatalf("create: %+v %v", made, err)
	}
	again, err := c.CreateCategory(ctx, "base person", "")
	if err != nil || again.ID != made.ID {
		t.Fatalf("create again: %+v %v, want id %s", again, err, made.ID)
	}
	recs, cur, _ := drain(t, c, "", 10)
	var tagged []string
	for _, rec := range recs[:3] {
		res, err := c.Write(ctx, mailbox.Object, []connector.Write{{Op: connector.OpUpdate, ID: rec.ID, Fields: connector.Fields{mailbox.Categories: "Base Person;Other"}}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		tagged = append(tagged, rec.ID)
	}
	_, cur, _ = drain(t, c, cur, 10)
	// The user renames it in Outlook.
	if err := r.sb.RenameCategory(r.user.ID, made.ID, "Base People"); err != nil {
		t.Fatal(err)
	}
	if err := c.RenameCategory(ctx, made.ID, "Base Person"); err != nil {
		t.Fatal(err)
	}
	cats, err := c.Categories(ctx)
	if err != nil || len(cats) != 1 || cats[0].Name != "Base Person" || cats[0].Color != "preset3" {
		t.Fatalf("after the rename back: %+v %v", cats, err)
	}
	got, _, _ := drain(t, c, cur, 10)
	m := byID(got)
	for _, id := range tagged {
		if m[id].Fields[mailbox.Categories] != "Base Person;Other" {
			t.Errorf("contact %s categories %q", id, m[id].Fields[mailbox.Categories])
		}
	}
	if err := c.RenameCategory(ctx, "no-such-id", "X"); !errors.Is(err, connector.ErrNotFound) {
		t.Errorf("rename of a missing category: %v", err)
	}
}

// Per-record results: a field Graph rejects comes back as ErrInvalid
// naming the field, a missing contact as ErrNotFound, a delete of a
// missing one as done; the other records of the batch still go through.
func TestWriteErrors(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 1, Folders: -1})
	c := r.conn(r.config())
	recs, _, _ := drain(t, c, "", 10)
	res, err := c.Write(t.Context(), mailbox.Object, []connector.Write{
		{Op: connector.OpUpdate, ID: recs[0].ID, Fields: connector.Fields{mailbox.Surname: strings.Repeat("x", 300)}},
		{Op: connector.OpUpdate, ID: recs[0].ID, Fields: connector.Fields{"nickname": "x"}},
		{Op: connector.OpUpdate, ID: "AAMkmissing", Fields: connector.Fields{mailbox.Surname: "x"}},
		{Op: connector.OpDelete, ID: "AAMkmissing"},
		{Op: connector.OpUpdate, ID: recs[0].ID, Fields: connector.Fields{mailbox.Surname: "Fine"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		field string
		is    error
	}{{mailbox.Surname, connector.ErrInvalid}, {"nickname", connector.ErrInvalid}, {"", connector.ErrNotFound}, {"", nil}, {"", nil}} {
		e := res[i].Err
		var fe *connector.FieldError
		switch {
		case c.is == nil && e != nil:
			t.Errorf("write %d: %v", i, e)
		case c.is != nil && !errors.Is(e, c.is):
			t.Errorf("write %d: %v, want %v", i, e, c.is)
		case c.field != "" && (!errors.As(e, &fe) || fe.Field != c.field):
			t.Errorf("write %d: %v, want a FieldError on %s", i, e, c.field)
		}
	}
}

// An access token the API refuses is replaced once; the delegated flow
// rotates its refresh token and hands the new one over.
func TestTokenRenewal(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 1})
	rt, err := r.sb.RefreshToken(r.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.config()
	var rotated []string
	cfg.User, cfg.RefreshToken, cfg.OnRefreshToken = "", rt, func(s string) { rotated = append(rotated, s) }
	c := r.conn(cfg)
	if _, err := c.Categories(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.sb.ExpireTokens()
	if _, err := c.Categories(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c.Tokens() != 2 || len(rotated) != 2 || rotated[1] == rt {
		t.Errorf("tokens %d, rotated %v", c.Tokens(), rotated)
	}
	bad := r.config()
	bad.ClientSecret = "wrong"
	if _, err := r.conn(bad).Categories(t.Context()); !errors.Is(err, ErrReconnect) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong secret: %v", err)
	}
}

// SPEC C6: a folder the user adds later joins the sync at the next
// round, its contacts listed in full, while the others stay incremental.
func TestNewFolderJoinsTheSync(t *testing.T) {
	t.Parallel()
	r := newRig(t, graphsandbox.SeedConfig{Users: 1, Contacts: 4, Folders: -1})
	c := r.conn(r.config())
	_, cur, _ := drain(t, c, "", 10)
	me := "/users/" + r.user.ID
	var f struct{ ID string }
	if code := r.api("POST", me+"/contactFolders", map[string]string{"displayName": "Later"}, &f); code != 201 {
		t.Fatal(code)
	}
	for _, n := range []string{"One", "Two"} {
		if code := r.api("POST", me+"/contactFolders/"+f.ID+"/contacts", map[string]string{"surname": n}, nil); code != 201 {
			t.Fatal(code)
		}
	}
	got, _, _ := drain(t, c, cur, 10)
	if len(got) != 2 || got[0].Fields[mailbox.FolderID] != f.ID {
		t.Errorf("after a folder was added: %+v", got)
	}
}
