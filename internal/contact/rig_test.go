package contact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/connector/msgraph"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/contact"
	graphsb "github.com/crmsync/crmsync/internal/sandbox/msgraph"
	sfsb "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/testenv"
)

// crmFields are the custom fields contact sync needs on Contact and Lead.
func crmFields() map[string][]sfsb.Field {
	fs := []sfsb.Field{
		{Name: salesforce.DefaultExternalIDField, Type: sfsb.TypeString, Length: 80, ExternalID: true, Unique: true},
		{Name: contact.FieldReplaced, Type: sfsb.TypeTextArea, Length: 32000},
	}
	return map[string][]sfsb.Field{"Contact": fs, "Lead": fs}
}

// rig is one org on the hub with the Salesforce sandbox as its CRM and
// the Graph sandbox as its users' mailboxes; Ann manages Bo, Cy is
// elsewhere.
type rig struct {
	t       *testing.T
	clock   *clock
	sf      *sfsb.Server
	graph   *graphsb.Server
	gsrv    *httptest.Server
	store   store.Store
	engine  *syncer.Engine
	svc     *contact.Service
	org     store.Org
	crmConn store.Connection
	crmc    *salesforce.Connector
	users   map[string]store.User // by first name, lower case
	crmIDs  map[string]string     // CRM user ids by first name
	token   string                // Graph app token, for "the user's Outlook"
}

func newRig(t *testing.T, seed graphsb.SeedConfig) *rig {
	t.Helper()
	ctx := t.Context()
	r := &rig{t: t, clock: &clock{now: time.Now().UTC().Truncate(time.Second)}, users: map[string]store.User{}, crmIDs: map[string]string{}}
	r.sf = sfsb.New(sfsb.Config{Clock: r.clock.Now, CustomFields: crmFields(), Users: []sfsb.UserConfig{
		{Username: sfsb.DefaultUsername, Password: sfsb.DefaultPassword, SecurityToken: sfsb.DefaultSecurityToken, LastName: "Admin"},
		{Username: "ann@acme.test", Password: "pw", FirstName: "Ann", LastName: "Archer", Profile: "Standard User"},
		{Username: "bo@acme.test", Password: "pw", FirstName: "Bo", LastName: "Berg", Profile: "Standard User"},
		{Username: "cy@acme.test", Password: "pw", FirstName: "Cy", LastName: "Cole", Profile: "Standard User"},
	}})
	sfsrv := httptest.NewServer(r.sf)
	t.Cleanup(sfsrv.Close)
	if seed.Users == 0 {
		seed.Users = 3
	}
	if seed.Contacts == 0 {
		seed.Contacts = -1
	}
	r.graph = graphsb.New(graphsb.Config{Seed: seed, Clock: r.clock.Now})
	r.gsrv = httptest.NewServer(r.graph)
	t.Cleanup(r.gsrv.Close)
	r.store = testenv.SQLite(t)

	// The CRM connector runs on the rig's clock, as the sandbox does, so
	// that its change windows line up when the test moves time on.
	crm, err := salesforce.New(salesforce.Config{BaseURL: sfsrv.URL, ClientID: sfsb.DefaultClientID, ClientSecret: sfsb.DefaultClientSecret,
		Username: sfsb.DefaultUsername, Password: sfsb.DefaultPassword + sfsb.DefaultSecurityToken, Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.crmc = crm
	reg := registry.New()
	reg.Register(salesforce.SystemName, func(context.Context, store.Connection) (connector.Connector, error) { return crm, nil })
	reg.Register(msgraph.SystemName, msgraph.Factory)
	reg.Register(carddav.SystemName, carddav.Factory)
	r.engine, err = syncer.New(syncer.Config{Store: r.store, Definitions: contact.Definitions(),
		Connectors: contact.Categorizing(reg.Resolve, salesforce.SystemName), Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.svc, err = contact.New(contact.Config{Store: r.store, Connectors: reg.Resolve, MailboxSystems: []string{msgraph.SystemName, carddav.SystemName}, Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := json.Marshal(salesforce.ConnectionCredentials{ClientID: sfsb.DefaultClientID, ClientSecret: sfsb.DefaultClientSecret,
		Username: sfsb.DefaultUsername, Password: sfsb.DefaultPassword + sfsb.DefaultSecurityToken})
	cfg, _ := json.Marshal(salesforce.ConnectionConfig{BaseURL: sfsrv.URL})
	rows, err := crm.Query(ctx, "SELECT Id, FirstName FROM User")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if name, _ := row["FirstName"].(string); name != "" {
			r.crmIDs[strings.ToLower(name)] = row["Id"].(string)
		}
	}
	if err := r.sf.Update("User", r.crmIDs["bo"], "", map[string]any{"ManagerId": r.crmIDs["ann"]}); err != nil {
		t.Fatal(err)
	}
	err = r.store.InTx(ctx, func(tx store.Tx) error {
		r.org = store.Org{Name: "Acme", TimeZone: "Europe/Paris"}
		if err := tx.CreateOrg(ctx, &r.org); err != nil {
			return err
		}
		for _, name := range []string{"ann", "bo", "cy"} {
			u := store.User{OrgID: r.org.ID, Email: name + "@acme.test", Name: name, Role: store.RoleMember,
				CRMUserID: r.crmIDs[name], SyncEnabled: true}
			if err := tx.CreateUser(ctx, &u); err != nil {
				return err
			}
			r.users[name] = u
		}
		r.crmConn = store.Connection{OrgID: r.org.ID, System: salesforce.SystemName, Name: "Salesforce", Config: cfg,
			Credentials: creds, Status: store.ConnActive}
		return tx.CreateConnection(ctx, &r.crmConn)
	})
	if err != nil {
		t.Fatal(err)
	}
	r.token = r.appToken()
	return r
}

// upn is the Graph mailbox of a hub user: the sandbox's i-th user.
func (r *rig) upn(name string) string {
	i := map[string]int{"ann": 0, "bo": 1, "cy": 2}[name]
	return r.graph.Users()[i].UserPrincipalName
}

// mailboxConfig is the connection settings of a user's Graph mailbox.
func (r *rig) mailboxConfig(name string) (cfg, creds json.RawMessage) {
	cfg, _ = json.Marshal(msgraph.ConnectionConfig{BaseURL: r.gsrv.URL + "/v1.0",
		TokenURL: r.gsrv.URL + "/" + graphsb.DefaultTenantID + "/oauth2/v2.0/token",
		TenantID: graphsb.DefaultTenantID, ClientID: graphsb.DefaultClientID, User: r.upn(name)})
	creds, _ = json.Marshal(msgraph.ConnectionCredentials{ClientSecret: graphsb.DefaultClientSecret})
	return cfg, creds
}

// connect connects a user's mailbox and returns what it offers.
func (r *rig) connect(name string) contact.Report {
	r.t.Helper()
	cfg, creds := r.mailboxConfig(name)
	_, rep, err := r.svc.Connect(r.t.Context(), r.users[name], msgraph.SystemName, cfg, creds)
	if err != nil {
		r.t.Fatalf("connect %s's mailbox: %v", name, err)
	}
	return rep
}

// enable connects and enables a user's contact sync importing picked.
func (r *rig) enable(name string, picked ...string) []store.Stream {
	r.t.Helper()
	r.connect(name)
	streams, err := r.svc.Save(r.t.Context(), r.users[name], contact.Settings{Enabled: true, Import: picked})
	if err != nil {
		r.t.Fatalf("enable %s's contact sync: %v", name, err)
	}
	return streams
}

// sync prepares and runs each of the user's streams, as the queue does.
func (r *rig) sync(name string) []store.Run {
	r.t.Helper()
	ctx := r.t.Context()
	streams, err := r.svc.Streams(ctx, r.users[name])
	if err != nil {
		r.t.Fatal(err)
	}
	var runs []store.Run
	for _, st := range streams {
		if _, err := r.svc.Prepare(ctx, r.org.ID, st.ID); err != nil {
			r.t.Fatalf("prepare %s: %v", st.Name, err)
		}
		run, err := r.engine.Run(ctx, r.org.ID, st.ID, "manual")
		if err != nil {
			r.t.Fatalf("run %s: %v", st.Name, err)
		}
		runs = append(runs, run)
	}
	return runs
}

// appToken is a client-credentials token of the sandbox's app, with
// which the test acts as the users' Outlook.
func (r *rig) appToken() string {
	r.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {graphsb.DefaultClientID},
		"client_secret": {graphsb.DefaultClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	res, err := http.PostForm(r.gsrv.URL+"/"+graphsb.DefaultTenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		r.t.Fatalf("sandbox token: %v (%s)", err, res.Status)
	}
	return tok.AccessToken
}

// outlook calls Graph as the user's mail app would and decodes the answer.
func (r *rig) outlook(method, path string, body, out any) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(r.t.Context(), method, r.gsrv.URL+"/v1.0"+path, rd)
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		r.t.Fatalf("%s %s: %s %s", method, path, res.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// graphContact is a contact as Graph answers it.
type graphContact struct {
	ID             string   `json:"id"`
	GivenName      string   `json:"givenName"`
	Surname        string   `json:"surname"`
	JobTitle       string   `json:"jobTitle"`
	Categories     []string `json:"categories"`
	BusinessPhones []string `json:"businessPhones"`
	EmailAddresses []struct {
		Address string `json:"address"`
	} `json:"emailAddresses"`
}

// addContact files a contact in the user's mailbox, as they would.
func (r *rig) addContact(name, given, surname, email string, cats ...string) string {
	r.t.Helper()
	body := map[string]any{"givenName": given, "surname": surname, "categories": cats}
	if email != "" {
		body["emailAddresses"] = []map[string]string{{"address": email, "name": given + " " + surname}}
	}
	var c graphContact
	r.outlook(http.MethodPost, "/users/"+r.upn(name)+"/contacts", body, &c)
	return c.ID
}

// mailbox lists the user's contacts by email (or surname when none).
func (r *rig) mailbox(name string) map[string]graphContact {
	r.t.Helper()
	var page struct {
		Value    []graphContact `json:"value"`
		NextLink string         `json:"@odata.nextLink"`
	}
	out := map[string]graphContact{}
	path := "/users/" + r.upn(name) + "/contacts?$top=1000"
	for path != "" {
		page.NextLink = ""
		r.outlook(http.MethodGet, path, nil, &page)
		for _, c := range page.Value {
			key := c.Surname
			if len(c.EmailAddresses) > 0 {
				key = c.EmailAddresses[0].Address
			}
			out[key] = c
		}
		path = strings.TrimPrefix(page.NextLink, r.gsrv.URL+"/v1.0")
	}
	return out
}

// categories lists the names of the user's master categories.
func (r *rig) categories(name string) map[string]string {
	r.t.Helper()
	var page struct {
		Value []struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	r.outlook(http.MethodGet, "/users/"+r.upn(name)+"/outlook/masterCategories", nil, &page)
	out := map[string]string{}
	for _, c := range page.Value {
		out[c.DisplayName] = c.ID
	}
	return out
}

// crm creates a CRM record as the user.
func (r *rig) crm(object, as string, fields map[string]any) string {
	r.t.Helper()
	id, err := r.sf.Create(object, as+"@acme.test", fields)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// crmGet reads a CRM record.
func (r *rig) crmGet(object, id string) map[string]any {
	r.t.Helper()
	f, err := r.sf.Get(object, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return f
}

// clock is the rig's stubbable clock, shared by both sandboxes, the CRM
// connector and the engine.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// later moves time on by two minutes: past the CRM's whole-minute change
// windows, and far enough for "the most recent value" to be plain.
func (r *rig) later() {
	r.clock.mu.Lock()
	defer r.clock.mu.Unlock()
	r.clock.now = r.clock.now.Add(2 * time.Minute)
}

// crmContactsByEmail lists the ids of live CRM Contacts with an email.
func (r *rig) crmContactsByEmail(email string) []string {
	r.t.Helper()
	var out []string
	rows, err := r.crmc.Query(r.t.Context(), "SELECT Id FROM Contact WHERE Email = '"+email+"'")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, row := range rows {
		out = append(out, row["Id"].(string))
	}
	slices.Sort(out)
	return out
}

// crmContactByEmail is the one live CRM Contact with email, or "".
func (r *rig) crmContactByEmail(email string) string {
	r.t.Helper()
	ids := r.crmContactsByEmail(email)
	if len(ids) > 1 {
		r.t.Fatalf("%d CRM contacts with %s", len(ids), email)
	}
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// mailboxAll lists every contact of the user's mailbox.
func (r *rig) mailboxAll(name string) []graphContact {
	r.t.Helper()
	var page struct {
		Value []graphContact `json:"value"`
	}
	r.outlook(http.MethodGet, "/users/"+r.upn(name)+"/contacts?$top=1000", nil, &page)
	return page.Value
}
