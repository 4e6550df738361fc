package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func testOrgs(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	a := store.Org{Name: "Acme"}
	early := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	b := store.Org{ID: "org-b", Name: "Beta", TimeZone: "Europe/Paris", Created: early}
	write(t, s, func(tx store.Tx) error {
		if err := tx.CreateOrg(ctx, &a); err != nil {
			return err
		}
		return tx.CreateOrg(ctx, &b)
	})
	if a.ID == "" || a.TimeZone != "UTC" || a.Created.Before(before) {
		t.Fatalf("CreateOrg did not fill ID, default TimeZone and Created: %+v", a)
	}
	if b.ID != "org-b" || !b.Created.Equal(early) {
		t.Fatalf("CreateOrg changed given fields: %+v", b)
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetOrg(ctx, a.ID)
		if err != nil {
			return err
		}
		diff(t, "GetOrg", a, got)
		all, err := tx.ListOrgs(ctx)
		if err != nil {
			return err
		}
		diff(t, "ListOrgs (by created)", []store.Org{b, a}, all)
		_, err = tx.GetOrg(ctx, "nope")
		wantErr(t, "GetOrg missing", err, store.ErrNotFound)
		return nil
	})

	b.Name, b.TimeZone = "Beta Ltd", "Asia/Tokyo"
	write(t, s, func(tx store.Tx) error {
		if err := tx.UpdateOrg(ctx, b); err != nil {
			return err
		}
		wantErr(t, "UpdateOrg missing", tx.UpdateOrg(ctx, store.Org{ID: "nope"}), store.ErrNotFound)
		wantErr(t, "CreateOrg duplicate id", tx.CreateOrg(ctx, &store.Org{ID: "org-b"}), store.ErrConflict)
		return nil
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetOrg(ctx, b.ID)
		diff(t, "GetOrg after update", b, got)
		return err
	})
}

func testUsers(t *testing.T, s store.Store) {
	o1, o2 := newOrg(t, s, "one"), newOrg(t, s, "two")
	u := store.User{OrgID: o1.ID, Email: "Ann.Lee@Example.COM", Name: "Ann", SyncEnabled: true, CRMUserID: "005A"}
	v := store.User{OrgID: o1.ID, Email: "bob@example.com", Role: store.RoleAdmin, Disabled: true, TimeZone: "UTC"}
	w := store.User{OrgID: o2.ID, Email: "ann.lee@example.com"} // same email, other org
	write(t, s, func(tx store.Tx) error {
		for _, x := range []*store.User{&u, &v, &w} {
			if err := tx.CreateUser(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	if u.Email != "ann.lee@example.com" || u.Role != store.RoleMember || u.ID == "" || u.Created.IsZero() {
		t.Fatalf("CreateUser did not normalize: %+v", u)
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetUser(ctx, o1.ID, u.ID)
		if err != nil {
			return err
		}
		diff(t, "GetUser", u, got)
		got, err = tx.GetUserByEmail(ctx, o1.ID, "ANN.lee@example.com")
		if err != nil {
			return err
		}
		diff(t, "GetUserByEmail", u, got)
		list, err := tx.ListUsers(ctx, o1.ID)
		if err != nil {
			return err
		}
		diff(t, "ListUsers", []store.User{u, v}, list)
		// SPEC: org isolation: an id from another org is not found.
		_, err = tx.GetUser(ctx, o2.ID, u.ID)
		wantErr(t, "GetUser other org", err, store.ErrNotFound)
		_, err = tx.GetUserByEmail(ctx, o2.ID, "bob@example.com")
		wantErr(t, "GetUserByEmail other org", err, store.ErrNotFound)
		return nil
	})
	write(t, s, func(tx store.Tx) error {
		err := tx.CreateUser(ctx, &store.User{OrgID: o1.ID, Email: "BOB@example.com"})
		wantErr(t, "CreateUser duplicate email", err, store.ErrConflict)
		x := v
		x.Email = "Ann.Lee@example.com"
		wantErr(t, "UpdateUser to a taken email", tx.UpdateUser(ctx, x), store.ErrConflict)
		x = u
		x.OrgID = o2.ID
		wantErr(t, "UpdateUser other org", tx.UpdateUser(ctx, x), store.ErrNotFound)
		return nil
	})
	u.Email, u.Name, u.Role, u.SyncEnabled, u.Disabled, u.TimeZone, u.CRMUserID = "ANN@example.com", "Ann L.", store.RoleAdmin, false, true, "Europe/Berlin", "005B"
	write(t, s, func(tx store.Tx) error { return tx.UpdateUser(ctx, u) })
	u.Email = "ann@example.com"
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetUserByEmail(ctx, o1.ID, "ann@example.com")
		diff(t, "user after update", u, got)
		return err
	})
}

func testTokens(t *testing.T, s store.Store) {
	o := newOrg(t, s, "acme")
	k := store.Token{UserID: "u1", OrgID: o.ID, Hash: "ab12", Name: "cli", LastUsed: ts(time.Hour)}
	write(t, s, func(tx store.Tx) error {
		if err := tx.CreateToken(ctx, &k); err != nil {
			return err
		}
		err := tx.CreateToken(ctx, &store.Token{UserID: "u2", OrgID: o.ID, Hash: "ab12"})
		wantErr(t, "CreateToken duplicate hash", err, store.ErrConflict)
		return nil
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetTokenByHash(ctx, "ab12")
		diff(t, "GetTokenByHash", k, got)
		_, err2 := tx.GetTokenByHash(ctx, "ffff")
		wantErr(t, "GetTokenByHash missing", err2, store.ErrNotFound)
		return err
	})
	write(t, s, func(tx store.Tx) error {
		wantErr(t, "DeleteToken of another user", tx.DeleteToken(ctx, "u2", k.ID), store.ErrNotFound)
		return tx.DeleteToken(ctx, "u1", k.ID)
	})
	read(t, s, func(tx store.Tx) error {
		_, err := tx.GetTokenByHash(ctx, "ab12")
		wantErr(t, "GetTokenByHash after delete", err, store.ErrNotFound)
		return nil
	})
}

func testConnections(t *testing.T, s store.Store) {
	o1, o2, o3 := newOrg(t, s, "one"), newOrg(t, s, "two"), newOrg(t, s, "three")
	secretJSON := []byte(`{"access_token":"00Dxx!AQ0AQPlaintextToken","refresh_token":"5Aep861PlaintextRefresh"}`)
	c := store.Connection{OrgID: o1.ID, System: "salesforce", Name: "SF", Config: json.RawMessage(`{"base_url":"https://x.my.salesforce.com"}`),
		Credentials: secretJSON}
	d := store.Connection{OrgID: o1.ID, System: "zoom", Status: store.ConnReconnect, Error: "token expired"}
	e := store.Connection{OrgID: o2.ID, System: "salesforce"} // same system, other org
	write(t, s, func(tx store.Tx) error {
		for _, x := range []*store.Connection{&c, &d, &e} {
			if err := tx.CreateConnection(ctx, x); err != nil {
				return err
			}
		}
		// One connection per org, system and user.
		err := tx.CreateConnection(ctx, &store.Connection{OrgID: o1.ID, System: "salesforce"})
		wantErr(t, "CreateConnection second salesforce", err, store.ErrConflict)
		// Personal connections: one per user, beside the org's own.
		for _, u := range []string{"", "u1", "u2"} {
			p := &store.Connection{OrgID: o3.ID, System: "salesforce", UserID: u}
			if err := tx.CreateConnection(ctx, p); err != nil {
				return fmt.Errorf("connection of user %q: %w", u, err)
			}
			got, err := tx.GetConnection(ctx, o3.ID, p.ID)
			if err != nil || got.UserID != u {
				t.Fatalf("GetConnection personal = %+v, %v", got, err)
			}
		}
		err = tx.CreateConnection(ctx, &store.Connection{OrgID: o3.ID, System: "salesforce", UserID: "u1"})
		wantErr(t, "CreateConnection second personal salesforce", err, store.ErrConflict)
		return nil
	})
	if c.Status != store.ConnActive || c.Created.IsZero() || c.Updated.IsZero() {
		t.Fatalf("CreateConnection defaults: %+v", c)
	}
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetConnection(ctx, o1.ID, c.ID)
		if err != nil {
			return err
		}
		diff(t, "GetConnection (credentials in the clear)", c, got)
		list, err := tx.ListConnections(ctx, o1.ID)
		if err != nil {
			return err
		}
		diff(t, "ListConnections", []store.Connection{c, d}, list)
		_, err = tx.GetConnection(ctx, o2.ID, c.ID)
		wantErr(t, "GetConnection other org", err, store.ErrNotFound)
		return nil
	})
	if raw, ok := s.(RawCredentialer); ok {
		sealed, err := raw.RawCredentials(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// SPEC: credentials are encrypted at rest.
		if len(sealed) == 0 || bytes.Contains(sealed, []byte("PlaintextToken")) || bytes.Contains(sealed, []byte("access_token")) {
			t.Fatalf("credentials at rest are not sealed: %q", sealed)
		}
		if none, err := raw.RawCredentials(ctx, d.ID); err != nil || len(none) != 0 {
			t.Fatalf("RawCredentials of a connection without any = %q, %v", none, err)
		}
	}

	c.Credentials = []byte(`{"access_token":"rotated"}`)
	c.Status, c.Error, c.Name, c.Updated = store.ConnReconnect, "invalid_grant", "Salesforce", ts(time.Minute)
	c.Config = nil
	write(t, s, func(tx store.Tx) error {
		if err := tx.UpdateConnection(ctx, c); err != nil {
			return err
		}
		x := c
		x.OrgID = o2.ID
		wantErr(t, "UpdateConnection other org", tx.UpdateConnection(ctx, x), store.ErrNotFound)
		return tx.PutRecords(ctx, []store.Record{{ConnID: c.ID, Object: "Task", ID: "1"}, {ConnID: d.ID, Object: "Task", ID: "1"}})
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.GetConnection(ctx, o1.ID, c.ID)
		diff(t, "connection after update", c, got)
		return err
	})
	write(t, s, func(tx store.Tx) error {
		wantErr(t, "DeleteConnection other org", tx.DeleteConnection(ctx, o2.ID, c.ID), store.ErrNotFound)
		return tx.DeleteConnection(ctx, o1.ID, c.ID)
	})
	read(t, s, func(tx store.Tx) error {
		_, err := tx.GetConnection(ctx, o1.ID, c.ID)
		wantErr(t, "GetConnection after delete", err, store.ErrNotFound)
		recs, err := tx.ListRecords(ctx, c.ID, "Task", "", 0)
		diff(t, "records of a deleted connection", []store.Record(nil), recs)
		recs, err2 := tx.ListRecords(ctx, d.ID, "Task", "", 0)
		if len(recs) != 1 {
			t.Fatalf("records of another connection: %v", recs)
		}
		return joinErr(err, err2)
	})
	write(t, s, func(tx store.Tx) error {
		wantErr(t, "DeleteConnection twice", tx.DeleteConnection(ctx, o1.ID, c.ID), store.ErrNotFound)
		return nil
	})
}
