package msgraph

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The admin surface over HTTP: each route does what its Go method does,
// and refuses what is out of range.
func TestAdminRoutes(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Seed: SeedConfig{Users: 2, Contacts: 2, Categories: []string{"Base Lead"}}})
	a, b := r.s.Users()[0], r.s.Users()[1]
	var cats struct{ Value []Category }
	r.do("", "GET", "/users/"+a.ID+"/outlook/masterCategories", nil, &cats)
	var contacts page
	r.do("", "GET", "/users/"+a.ID+"/contacts", nil, &contacts)
	cid := decodeObject(t, contacts.Value[0])["id"].(string)
	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(r.srv.URL+"/__sandbox/"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		bb, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(bb)
	}
	for _, c := range []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"bad fault value", "faults", `{"error_rate":2}`, 400, "probability"},
		{"set a fault", "faults", `{"latency":"1ms"}`, 200, `"latency":"1ms"`},
		{"grant", "grants", `{"owner":"` + b.UserPrincipalName + `","folderId":"","grantee":"` + a.ID + `"}`, 200, b.DefaultFolderID},
		{"grant of a missing folder", "grants", `{"owner":"` + b.ID + `","folderId":"nope","grantee":"` + a.ID + `"}`, 400, "no folder"},
		{"rename", "users/" + a.ID + "/categories/" + cats.Value[0].ID + "/rename", `{"displayName":"Base Leads"}`, 200, "renamed"},
		{"rename to empty", "users/" + a.ID + "/categories/" + cats.Value[0].ID + "/rename", `{"displayName":" "}`, 400, "empty"},
		{"corrupt", "users/" + a.ID + "/contacts/" + cid + "/corrupt", `{"raw":{"givenName":7}}`, 200, "corrupted"},
		{"corrupt with a non-object", "users/" + a.ID + "/contacts/" + cid + "/corrupt", `{"raw":[1]}`, 400, "JSON object"},
		{"expire delta tokens", "delta/expire", ``, 200, "expired"},
		{"no such route", "nothing", ``, 404, "no admin route"},
	} {
		if code, body := post(c.path, c.body); code != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want %d with %s", c.name, code, body, c.status, c.want)
		}
	}
	// The corrupt contact reads as its raw JSON, its id kept.
	var got map[string]any
	r.do("", "GET", "/users/"+a.ID+"/contacts/"+cid, nil, &got)
	if got["id"] != cid || got["givenName"] != float64(7) {
		t.Errorf("corrupt contact reads %v", got)
	}
	// A signed-in user's token reaches /me, and the shared folder.
	code, body := post("users/"+a.UserPrincipalName+"/token", "")
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &pair); code != 200 || err != nil {
		t.Fatalf("token: %d %s", code, body)
	}
	if code, body := r.do(pair.AccessToken, "GET", "/users/"+b.ID+"/contacts", nil, nil); code != 200 {
		t.Errorf("shared default folder: %d %s", code, body)
	}
	// Reseeding replaces the tenant.
	if code, body := post("seed", `{"users":3,"contacts":-1}`); code != 200 || len(r.s.Users()) != 3 {
		t.Errorf("seed: %d %s", code, body)
	}
}
