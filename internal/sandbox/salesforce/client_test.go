package salesforce

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gosf "github.com/k-capehart/go-salesforce/v3"
)

// These tests drive the sandbox with an independent client,
// github.com/k-capehart/go-salesforce, unchanged: if it needs something the
// sandbox lacks, the sandbox is what gets fixed.

// sfContact is how the client decodes a Contact.
type sfContact struct {
	Id        string
	FirstName string
	LastName  string
	Email     string
	Title     string
}

func clientOrg(t *testing.T, cfg Config) (*org, *gosf.Salesforce) {
	t.Helper()
	o := newOrg(t, cfg)
	u := o.s.Config().Users[0]
	sf, err := gosf.Init(gosf.Creds{
		Domain: o.srv.URL, Username: u.Username, Password: u.Password, SecurityToken: u.SecurityToken,
		ConsumerKey: o.s.Config().ClientID, ConsumerSecret: o.s.Config().ClientSecret,
	})
	if err != nil {
		t.Fatalf("go-salesforce Init: %v", err)
	}
	return o, sf
}

// More than one page of 2,000 records: the client must follow
// nextRecordsUrl.
func TestClientQueryPaging(t *testing.T) {
	t.Parallel()
	o, sf := clientOrg(t, Config{Seed: SeedConfig{Accounts: 20, Contacts: 4321}})
	var contacts []sfContact
	if err := sf.Query("SELECT Id, FirstName, LastName, Email FROM Contact ORDER BY LastName", &contacts); err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(contacts) != 4321 {
		t.Fatalf("got %d contacts, want 4321", len(contacts))
	}
	seen := map[string]bool{}
	for i, c := range contacts {
		if seen[c.Id] {
			t.Fatalf("contact %s twice", c.Id)
		}
		seen[c.Id] = true
		if i > 0 && strings.ToLower(contacts[i-1].LastName) > strings.ToLower(c.LastName) {
			t.Fatalf("not ordered by LastName at %d: %q then %q", i, contacts[i-1].LastName, c.LastName)
		}
		if c.LastName == "" || !strings.Contains(c.Email, "@") {
			t.Fatalf("contact %+v lacks a name or an email", c)
		}
	}
	// Three pages were served, 2000 + 2000 + 321, each one API call.
	if used, _ := o.s.APIUsage(); used != 3 {
		t.Errorf("API usage %d, want 3 query pages", used)
	}
}

func TestClientCollections(t *testing.T) {
	t.Parallel()
	o, sf := clientOrg(t, Config{})
	var in []map[string]any
	for i := range 250 {
		in = append(in, map[string]any{"FirstName": "Client", "LastName": "Contact " + strings.Repeat("x", i%3), "Email": "client" + string(rune('a'+i%26)) + "@example.com"})
	}
	res, err := sf.InsertCollection("Contact", in, 200)
	if err != nil || res.HasSalesforceErrors || len(res.Results) != 250 {
		t.Fatalf("InsertCollection: %v, errors %v, %d results", err, res.HasSalesforceErrors, len(res.Results))
	}
	var update, del []map[string]any
	for i, r := range res.Results {
		if !r.Success || len(r.Id) != 18 || !strings.HasPrefix(r.Id, "003") {
			t.Fatalf("result %d: %+v", i, r)
		}
		update = append(update, map[string]any{"Id": r.Id, "Title": "Updated"})
		if i%2 == 0 {
			del = append(del, map[string]any{"Id": r.Id})
		}
	}
	res, err = sf.UpdateCollection("Contact", update, 200)
	if err != nil || res.HasSalesforceErrors || len(res.Results) != 250 {
		t.Fatalf("UpdateCollection: %v, errors %v, %d results", err, res.HasSalesforceErrors, len(res.Results))
	}
	var got []sfContact
	if err := sf.Query("SELECT Id, Title FROM Contact WHERE Title = 'Updated'", &got); err != nil || len(got) != 250 {
		t.Fatalf("after update: %d contacts titled Updated, err %v", len(got), err)
	}
	res, err = sf.DeleteCollection("Contact", del, 200)
	if err != nil || res.HasSalesforceErrors || len(res.Results) != 125 {
		t.Fatalf("DeleteCollection: %v, errors %v, %d results", err, res.HasSalesforceErrors, len(res.Results))
	}
	if n := o.s.Counts()[objContact]; n != 125 {
		t.Errorf("%d contacts left, want 125", n)
	}
	// A record that fails comes back as a per-record error, the rest pass.
	res, err = sf.InsertCollection("Contact", []map[string]any{{"LastName": "Fine"}, {"FirstName": "No last name"}}, 200)
	if err != nil || !res.HasSalesforceErrors || !res.Results[0].Success || res.Results[1].Success ||
		res.Results[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" {
		t.Fatalf("partial insert: %v %+v", err, res)
	}
}

func TestClientSingleRecordsAndUpsert(t *testing.T) {
	t.Parallel()
	o, sf := clientOrg(t, Config{CustomFields: map[string][]Field{objContact: {{Name: "Hub_Key__c", Type: TypeString, Length: 64, ExternalID: true, Unique: true}}}})
	r, err := sf.InsertOne("Contact", map[string]any{"LastName": "One", "Email": "one@example.com"})
	if err != nil || !r.Success {
		t.Fatalf("InsertOne: %v %+v", err, r)
	}
	if err := sf.UpdateOne("Contact", map[string]any{"Id": r.Id, "Title": "Solo"}); err != nil {
		t.Fatalf("UpdateOne: %v", err)
	}
	up, err := sf.UpsertOne("Contact", "Hub_Key__c", map[string]any{"Hub_Key__c": "hub-1", "LastName": "Upserted"})
	if err != nil || !up.Success {
		t.Fatalf("UpsertOne (create): %v %+v", err, up)
	}
	again, err := sf.UpsertOne("Contact", "Hub_Key__c", map[string]any{"Hub_Key__c": "hub-1", "LastName": "Upserted again"})
	if err != nil || again.Id != up.Id {
		t.Fatalf("UpsertOne (update): %v %+v, want id %s", err, again, up.Id)
	}
	res, err := sf.UpsertCollection("Contact", "Hub_Key__c", []map[string]any{{"Hub_Key__c": "hub-1", "Title": "Batch"}, {"Hub_Key__c": "hub-2", "LastName": "Two"}}, 200)
	if err != nil || res.HasSalesforceErrors || res.Results[0].Id != up.Id {
		t.Fatalf("UpsertCollection: %v %+v", err, res)
	}
	if err := sf.DeleteOne("Contact", map[string]any{"Id": r.Id}); err != nil {
		t.Fatalf("DeleteOne: %v", err)
	}
	rec, err := o.s.Get(objContact, up.Id)
	if err != nil || rec["LastName"] != "Upserted again" || rec["Title"] != "Batch" {
		t.Errorf("upserted record %v, %v", rec, err)
	}
}

// The library has no describe call; its raw DoRequest reaches it.
func TestClientDescribe(t *testing.T) {
	t.Parallel()
	_, sf := clientOrg(t, Config{})
	resp, err := sf.DoRequest("GET", "/sobjects/Task/describe", nil)
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	defer resp.Body.Close()
	var d struct {
		Name   string
		Fields []struct {
			Name           string
			Type           string
			Updateable     bool
			PicklistValues []struct{ Value string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || d.Name != "Task" {
		t.Fatalf("describe: %v %+v", err, d)
	}
	for _, f := range d.Fields {
		if f.Name == "Status" {
			var values []string
			for _, v := range f.PicklistValues {
				values = append(values, v.Value)
			}
			if strings.Join(values, "|") != "Not Started|In Progress|Completed|Waiting on someone else|Deferred" || !f.Updateable || f.Type != "picklist" {
				t.Errorf("Task.Status described as %+v", f)
			}
			return
		}
	}
	t.Error("Task describe has no Status field")
}

// An expired session is refreshed by the client on INVALID_SESSION_ID.
func TestClientRecoversFromExpiredToken(t *testing.T) {
	t.Parallel()
	o, sf := clientOrg(t, Config{Seed: SeedConfig{Contacts: 3}})
	o.s.ExpireTokens()
	var got []sfContact
	if err := sf.Query("SELECT Id FROM Contact", &got); err != nil || len(got) != 3 {
		t.Fatalf("query after expiry: %v, %d records", err, len(got))
	}
}

func TestClientJWTAndClientCredentials(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// The library stamps exp from the wall clock, later than the fake one.
	o := newOrg(t, Config{JWTPublicKey: &key.PublicKey})
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	sf, err := gosf.Init(gosf.Creds{Domain: o.srv.URL, Username: o.s.Config().Users[0].Username, ConsumerKey: o.s.Config().ClientID, ConsumerRSAPem: pemKey})
	if err != nil || sf.GetAuthFlow() != gosf.AuthFlowJWT {
		t.Fatalf("JWT flow: %v", err)
	}
	var users []struct {
		Id, Username string
		Profile      struct{ Name string }
	}
	if err := sf.Query("SELECT Id, Username, Profile.Name FROM User", &users); err != nil || len(users) != 1 || users[0].Profile.Name != "System Administrator" {
		t.Fatalf("query as JWT user: %v %+v", err, users)
	}
	cc, err := gosf.Init(gosf.Creds{Domain: o.srv.URL, ConsumerKey: o.s.Config().ClientID, ConsumerSecret: o.s.Config().ClientSecret})
	if err != nil || cc.GetAuthFlow() != gosf.AuthFlowClientCredentials {
		t.Fatalf("client credentials flow: %v", err)
	}
}

// Bulk API 2.0: a query job exported page by page, and an ingest job.
func TestClientBulk(t *testing.T) {
	t.Parallel()
	o, sf := clientOrg(t, Config{Seed: SeedConfig{Accounts: 5, Contacts: 1200}, BulkPageSize: 500})
	path := filepath.Join(t.TempDir(), "contacts.csv")
	if err := sf.QueryBulkExport("SELECT Id, LastName, Email, Account.Name FROM Contact", path); err != nil {
		t.Fatalf("QueryBulkExport: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 1201 || strings.Join(rows[0], ",") != "Id,LastName,Email,Account.Name" || rows[1][3] == "" {
		t.Fatalf("export: %v, %d rows, header %v", err, len(rows), rows[0])
	}
	ids, err := sf.InsertBulk("Lead", []map[string]any{{"LastName": "Bulk", "Company": "Bulk Co"}, {"LastName": "Bulk 2", "Company": "Bulk Co"}}, 1000, true)
	if err != nil || len(ids) != 1 {
		t.Fatalf("InsertBulk: %v %v", err, ids)
	}
	res, err := sf.GetJobResults(ids[0])
	if err != nil || res.State != "JobComplete" || len(res.SuccessfulRecords) != 2 || res.NumberRecordsFailed != 0 {
		t.Fatalf("job results: %v %+v", err, res)
	}
	if n := o.s.Counts()[objLead]; n != 2 {
		t.Errorf("%d leads after the bulk insert, want 2", n)
	}
	it, err := sf.QueryBulkIterator("SELECT Id, LastName FROM Lead")
	if err != nil {
		t.Fatalf("QueryBulkIterator: %v", err)
	}
	n := 0
	for it.Next() {
		var leads []struct{ Id, LastName string }
		if err := it.Decode(&leads); err != nil {
			t.Fatal(err)
		}
		n += len(leads)
	}
	if it.Error() != nil || n != 2 {
		t.Errorf("iterator: %v, %d leads", it.Error(), n)
	}
}
