package msgraph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The token endpoint answers the grants a Graph client uses, with the
// identity platform's error codes for a wrong secret, scope or grant.
func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{})
	cfg := r.s.Config()
	rt, err := r.s.RefreshToken(r.s.Users()[0].UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	code, err := r.s.AuthorizationCode(r.s.Users()[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	base := url.Values{"client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, c := range []struct {
		name    string
		tenant  string
		form    url.Values
		status  int
		want    string
		refresh bool
	}{
		{"client credentials", cfg.TenantID, with("grant_type", "client_credentials", "scope", "https://graph.microsoft.com/.default"), 200, `"token_type":"Bearer"`, false},
		{"by domain", cfg.Domain, with("grant_type", "client_credentials", "scope", "https://graph.microsoft.com/.default"), 200, `"access_token"`, false},
		{"scope without .default", cfg.TenantID, with("grant_type", "client_credentials", "scope", "Contacts.Read"), 400, "invalid_scope", false},
		{"wrong secret", cfg.TenantID, with("grant_type", "client_credentials", "client_secret", "nope", "scope", "x/.default"), 401, "invalid_client", false},
		{"unknown tenant", "other", with("grant_type", "client_credentials", "scope", "x/.default"), 400, "invalid_tenant", false},
		{"refresh token", "common", with("grant_type", "refresh_token", "refresh_token", rt), 200, `"refresh_token"`, true},
		{"authorization code", "organizations", with("grant_type", "authorization_code", "code", code), 200, `"refresh_token"`, true},
		{"code used twice", "organizations", with("grant_type", "authorization_code", "code", code), 400, "invalid_grant", false},
		{"unknown grant", cfg.TenantID, with("grant_type", "password"), 400, "unsupported_grant_type", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.PostForm(r.srv.URL+"/"+c.tenant+"/oauth2/v2.0/token", c.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			b, _ := json.Marshal(body)
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
				t.Errorf("%d %s, want %d with %s", resp.StatusCode, b, c.status, c.want)
			}
		})
	}
}

// An API call without a valid token is refused with Graph's 401 body;
// /me needs a delegated token.
func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r := newRig(t, Config{Clock: clock})
	access, _, err := r.s.DelegatedToken(r.s.Users()[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, tok, path string
		status          int
		want            string
	}{
		{"bad token", "forged", "/users", 401, `"code":"InvalidAuthenticationToken"`},
		{"app token on /me", "", "/me/contacts", 400, "/me request is only valid with delegated authentication flow"},
		{"delegated token on /me", access, "/me/contacts", 200, `"value"`},
		{"unknown user", "", "/users/nobody@example.com/contacts", 404, "ErrorInvalidUser"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if code, body := r.do(c.tok, "GET", c.path, nil, nil); code != c.status || !strings.Contains(body, c.want) {
				t.Errorf("%d %s, want %d with %s", code, body, c.status, c.want)
			}
		})
	}
	r.s.ExpireTokens()
	if code, body := r.do(access, "GET", "/me/contacts", nil, nil); code != 401 || !strings.Contains(body, "expired") {
		t.Errorf("expired token: %d %s", code, body)
	}
}

// Delta query: a first round lists every contact of the folder over
// pages; the deltaLink then gives only what changed, a deleted contact
// as an @removed row; a forgotten token answers 410 SyncStateNotFound.
func TestDeltaRounds(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Seed: SeedConfig{Users: 1, Contacts: 7, Folders: -1}})
	me := "/users/" + r.s.Users()[0].ID
	round := func(link string) (ids []string, removed []string, next string) {
		t.Helper()
		for {
			var p page
			if code, body := r.do("", "GET", link, nil, &p, "Prefer", "odata.maxpagesize=3"); code != 200 {
				t.Fatalf("delta %s: %d %s", link, code, body)
			}
			for _, v := range p.Value {
				o := decodeObject(t, v)
				if o["@removed"] != nil {
					removed = append(removed, o["id"].(string))
				} else {
					ids = append(ids, o["id"].(string))
				}
			}
			if p.DeltaLink != "" {
				return ids, removed, p.DeltaLink
			}
			if p.NextLink == "" || len(p.Value) > 3 {
				t.Fatalf("page without a next or delta link, or over maxpagesize: %+v", p)
			}
			link = p.NextLink
		}
	}
	ids, rm, delta := round(me + "/contacts/delta")
	if len(ids) != 7 || len(rm) != 0 {
		t.Fatalf("first round: %d contacts, %d removed", len(ids), len(rm))
	}
	if again, _, _ := round(delta); len(again) != 0 {
		t.Fatalf("no change, yet %d rows", len(again))
	}
	var nc Contact
	if code, body := r.do("", "POST", me+"/contacts", map[string]any{"givenName": "New"}, &nc); code != 201 {
		t.Fatal(code, body)
	}
	if code, body := r.do("", "PATCH", me+"/contacts/"+ids[0], map[string]any{"jobTitle": "CEO"}, nil); code != 200 {
		t.Fatal(code, body)
	}
	if code, body := r.do("", "DELETE", me+"/contacts/"+ids[1], nil, nil); code != 204 {
		t.Fatal(code, body)
	}
	changed, rm, delta2 := round(delta)
	if strings.Join(changed, ",") != nc.ID+","+ids[0] || strings.Join(rm, ",") != ids[1] {
		t.Errorf("changes %v removed %v, want [%s %s] (oldest change first) and [%s]", changed, rm, nc.ID, ids[0], ids[1])
	}
	r.s.ExpireDeltaTokens()
	if code, body := r.do("", "GET", delta2, nil, nil); code != 410 || !strings.Contains(body, `"code":"SyncStateNotFound"`) {
		t.Errorf("expired delta token: %d %s", code, body)
	}
}

// A listing pages with $top and @odata.nextLink; $filter finds a contact
// by an extended property's value and by a category.
func TestListPagingAndFilters(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Seed: SeedConfig{Users: 1, Contacts: 5, Folders: -1}})
	me := "/users/" + r.s.Users()[0].UserPrincipalName
	prop := "String {11111111-2222-3333-4444-555555555555} Name crmsyncKey"
	if code, body := r.do("", "POST", me+"/contacts", map[string]any{"givenName": "Keyed", "categories": []string{"Base Lead"},
		"singleValueExtendedProperties": []map[string]string{{"id": prop, "value": "it's-1"}}}, nil); code != 201 {
		t.Fatal(code, body)
	}
	n, link := 0, me+"/contacts?$top=2"
	for pages := 0; link != ""; pages++ {
		var p page
		if code, body := r.do("", "GET", link, nil, &p); code != 200 || len(p.Value) > 2 || pages > 5 {
			t.Fatalf("%d %s", code, body)
		}
		n += len(p.Value)
		link = p.NextLink
	}
	if n != 6 {
		t.Errorf("paged over %d contacts, want 6", n)
	}
	for _, c := range []struct {
		filter string
		want   int
	}{
		{"singleValueExtendedProperties/any(ep: ep/id eq '" + prop + "' and ep/value eq 'it''s-1')", 1},
		{"singleValueExtendedProperties/Any(ep: ep/id eq '" + prop + "' and ep/value eq 'other')", 0},
		{"categories/any(a: a eq 'base lead')", 1},
	} {
		var p page
		if code, body := r.do("", "GET", me+"/contacts?$filter="+url.QueryEscape(c.filter), nil, &p); code != 200 || len(p.Value) != c.want {
			t.Errorf("%s: %d %s, want %d", c.filter, code, body, c.want)
		}
	}
}

// Graph lets PATCH change only a category's color; its displayName is
// fixed, and only a person in Outlook renames it (the admin route).
func TestCategoryRules(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Seed: SeedConfig{Users: 1, Contacts: 4, Folders: -1, Categories: []string{"Base Person"}}})
	u := r.s.Users()[0]
	me := "/users/" + u.ID + "/outlook/masterCategories"
	var cats struct{ Value []Category }
	r.do("", "GET", me, nil, &cats)
	id := cats.Value[0].ID
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"rename by PATCH", "PATCH", me + "/" + id, map[string]string{"displayName": "Renamed"}, 400},
		{"recolor", "PATCH", me + "/" + id, map[string]string{"color": "preset7"}, 200},
		{"bad color", "PATCH", me + "/" + id, map[string]string{"color": "purple"}, 400},
		{"duplicate", "POST", me, map[string]string{"displayName": "base person"}, 409},
		{"create", "POST", me, map[string]string{"displayName": "Base Lead", "color": "preset2"}, 201},
	} {
		t.Run(c.name, func(t *testing.T) {
			if code, body := r.do("", c.method, c.path, c.body, nil); code != c.status {
				t.Errorf("%d %s, want %d", code, body, c.status)
			}
		})
	}
	if err := r.s.RenameCategory(u.ID, id, "Base People"); err != nil {
		t.Fatal(err)
	}
	var p page
	r.do("", "GET", "/users/"+u.ID+"/contacts?$filter="+url.QueryEscape("categories/any(a:a eq 'Base People')"), nil, &p)
	if len(p.Value) != 2 {
		t.Errorf("after the rename %d contacts carry the new name, want the 2 seeded with it", len(p.Value))
	}
}

// Another user's folder is reached through /users/{id} only once it is
// shared, and then only for reading.
func TestSharedFolders(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Seed: SeedConfig{Users: 2, Contacts: 2}})
	a, b := r.s.Users()[0], r.s.Users()[1]
	tokA, _, err := r.s.DelegatedToken(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	folder := "/users/" + b.ID + "/contactFolders/" + b.Folders[0].ID
	if code, _ := r.do(tokA, "GET", folder+"/contacts", nil, nil); code != 403 {
		t.Errorf("before the grant: %d, want 403", code)
	}
	if err := r.s.Grant(b.UserPrincipalName, b.Folders[0].ID, a.UserPrincipalName); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", folder, 200},
		{"GET", folder + "/contacts", 200},
		{"POST", folder + "/contacts", 403},
		{"GET", "/users/" + b.ID + "/contacts", 403}, // B's default folder was not shared
		{"GET", "/users/" + b.ID + "/outlook/masterCategories", 403},
	} {
		if code, body := r.do(tokA, c.method, c.path, map[string]string{"givenName": "x"}, nil); code != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, code, body, c.status)
		}
	}
	// The shared folder is not among A's own.
	var p page
	r.do(tokA, "GET", "/me/contactFolders", nil, &p)
	for _, v := range p.Value {
		if decodeObject(t, v)["id"] == b.Folders[0].ID {
			t.Error("B's folder is listed in A's /me/contactFolders")
		}
	}
}

// Throttling answers 429 TooManyRequests with Retry-After in seconds; a
// 503 fault answers 503; counted faults stop after their count.
func TestFaults(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Faults: Faults{RateLimits: 1, Errors: 1, RetryAfter: 3 * time.Second}})
	req, _ := http.NewRequest("GET", r.base+"/users", nil)
	req.Header.Set("Authorization", "Bearer "+r.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e graphError
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || e.Error.Code != "TooManyRequests" {
		t.Errorf("throttled: %d Retry-After %q code %q", resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Code)
	}
	if code, _ := r.do("", "GET", "/users", nil, nil); code != 503 {
		t.Errorf("second call %d, want 503", code)
	}
	if code, _ := r.do("", "GET", "/users", nil, nil); code != 200 {
		t.Errorf("third call %d, want 200", code)
	}
}

// Writes that Graph would refuse answer 400 naming the property.
func TestContactValidation(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Seed: SeedConfig{Users: 1, Contacts: -1, Folders: -1}})
	me := "/users/" + r.s.Users()[0].ID + "/contacts"
	for _, c := range []struct {
		name string
		body any
		want string
	}{
		{"unknown property", map[string]any{"givenNmae": "x"}, "'givenNmae' does not exist"},
		{"wrong type", map[string]any{"businessPhones": "+1"}, "'businessPhones'"},
		{"too long", map[string]any{"surname": strings.Repeat("x", 300)}, "'surname'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if code, body := r.do("", "POST", me, c.body, nil); code != 400 || !strings.Contains(body, c.want) {
				t.Errorf("%d %s, want 400 with %s", code, body, c.want)
			}
		})
	}
}
