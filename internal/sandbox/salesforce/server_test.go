package salesforce

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestIDs(t *testing.T) {
	t.Parallel()
	// Known pairs from Salesforce documentation and orgs.
	for id15, id18 := range map[string]string{
		"001D000000IqhSL": "001D000000IqhSLIAZ",
		"005R0000000UyrW": "005R0000000UyrWIAS",
		"0018d0000000001": "0018d0000000001AAA",
	} {
		if got, ok := normalizeID(id15); !ok || got != id18 {
			t.Errorf("normalizeID(%s) = %s, %v; want %s", id15, got, ok, id18)
		}
		if lower := strings.ToLower(id18[:15]); lower == id18[:15] {
			continue
		} else if got, ok := normalizeID(lower + id18[15:]); ok {
			t.Errorf("ids are case-sensitive: %s", got)
		}
	}
	for _, bad := range []string{"", "001", "001D000000IqhSLIAA", "001D000000IqhS!", "001D000000IqhSLIA"} {
		if _, ok := normalizeID(bad); ok {
			t.Errorf("normalizeID(%q) accepted", bad)
		}
	}
	seen := map[string]bool{}
	for n := uint64(1); n < 5000; n++ {
		id := makeID("003", n)
		if got, ok := normalizeID(id); !ok || got != id || seen[strings.ToLower(id)] {
			t.Fatalf("makeID(%d) = %s: not a valid, case-insensitively unique id", n, id)
		}
		seen[strings.ToLower(id)] = true
	}
}

func TestRecordLifecycle(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	r := o.api("POST", "/sobjects/Contact", map[string]any{"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com",
		"Birthdate": "1815-12-10", "attributes": map[string]string{"type": "Contact"}})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	res := decode[saveResultWire](t, r)
	if !res.Success || len(res.ID) != 18 || !strings.HasPrefix(res.ID, "003") || res.Errors == nil {
		t.Fatalf("create answered %s", r.body)
	}
	id := res.ID
	rec := decode[map[string]any](t, o.api("GET", "/sobjects/Contact/"+id[:15], nil))
	attrs := rec["attributes"].(map[string]any)
	if attrs["type"] != "Contact" || attrs["url"] != "/services/data/v62.0/sobjects/Contact/"+id || rec["Name"] != "Ada Lovelace" ||
		rec["Birthdate"] != "1815-12-10" || rec["IsDeleted"] != false || rec["CreatedDate"] != "2025-03-14T09:26:53.000+0000" ||
		rec["OwnerId"] == nil || rec["OwnerId"] != rec["CreatedById"] || rec["MailingCity"] != nil {
		t.Errorf("record %v", rec)
	}
	r = o.api("GET", "/sobjects/Contact/"+id+"?fields=LastName,Email", nil)
	if m := decode[map[string]any](t, r); len(m) != 3 || m["Email"] != "ada@example.com" {
		t.Errorf("?fields= answered %s", r.body)
	}
	o.clock.Add(90 * time.Second)
	if r := o.api("PATCH", "/sobjects/Contact/"+id, map[string]any{"Title": "Countess", "Email": nil}); r.status != 204 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	rec = decode[map[string]any](t, o.api("GET", "/sobjects/Contact/"+id, nil))
	if rec["Title"] != "Countess" || rec["Email"] != nil || rec["SystemModstamp"] != "2025-03-14T09:28:23.000+0000" ||
		rec["LastModifiedDate"] != rec["SystemModstamp"] || rec["CreatedDate"] != "2025-03-14T09:26:53.000+0000" {
		t.Errorf("after update %v", rec)
	}
	if r := o.api("DELETE", "/sobjects/Contact/"+id, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantError(t, o.api("GET", "/sobjects/Contact/"+id, nil), 404, "NOT_FOUND")
	wantError(t, o.api("PATCH", "/sobjects/Contact/"+id, map[string]any{"Title": "x"}), 404, "ENTITY_IS_DELETED")
	wantError(t, o.api("DELETE", "/sobjects/Contact/"+id, nil), 404, "ENTITY_IS_DELETED")
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	acc := o.create(objAccount, map[string]any{"Name": "Acme"})
	con := o.create(objContact, map[string]any{"LastName": "X"})
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
		fields []string
	}{
		{"required", "POST", "/sobjects/Contact", map[string]any{"FirstName": "A"}, 400, "REQUIRED_FIELD_MISSING", []string{"LastName"}},
		{"too long", "POST", "/sobjects/Contact", map[string]any{"LastName": strings.Repeat("x", 81)}, 400, "STRING_TOO_LONG", []string{"LastName"}},
		{"restricted picklist", "POST", "/sobjects/Task", map[string]any{"Subject": "x", "Status": "Done"}, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", []string{"Status"}},
		{"email", "POST", "/sobjects/Contact", map[string]any{"LastName": "A", "Email": "not an email"}, 400, "INVALID_EMAIL_ADDRESS", []string{"Email"}},
		{"unknown field", "POST", "/sobjects/Contact", map[string]any{"LastName": "A", "Nope__c": 1}, 400, "INVALID_FIELD", nil},
		{"read-only field", "POST", "/sobjects/Contact", map[string]any{"LastName": "A", "CreatedDate": "2020-01-01T00:00:00Z"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", []string{"CreatedDate"}},
		{"id on insert", "POST", "/sobjects/Contact", map[string]any{"LastName": "A", "Id": con}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", []string{"Id"}},
		{"bad date", "POST", "/sobjects/Contact", map[string]any{"LastName": "A", "Birthdate": "10/12/1815"}, 400, "JSON_PARSER_ERROR", []string{"Birthdate"}},
		{"bad json", "POST", "/sobjects/Contact", "{nope", 400, "JSON_PARSER_ERROR", nil},
		{"wrong reference type", "POST", "/sobjects/Contact", map[string]any{"LastName": "A", "AccountId": con}, 400, "FIELD_INTEGRITY_EXCEPTION", []string{"AccountId"}},
		{"malformed reference", "POST", "/sobjects/Contact", map[string]any{"LastName": "A", "AccountId": "001xyz"}, 400, "MALFORMED_ID", []string{"AccountId"}},
		{"missing reference", "POST", "/sobjects/Contact", map[string]any{"LastName": "A", "AccountId": makeID("001", 999)}, 400, "INVALID_CROSS_REFERENCE_KEY", []string{"AccountId"}},
		{"calculated field", "PATCH", "/sobjects/Account/" + acc, map[string]any{"Name": "A", "IsDeleted": true}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", []string{"IsDeleted"}},
		{"id of another object", "GET", "/sobjects/Account/" + con, nil, 404, "NOT_FOUND", nil},
		{"unknown object", "GET", "/sobjects/Widget__c/describe", nil, 404, "NOT_FOUND", nil},
		{"unknown resource", "GET", "/nothing", nil, 404, "NOT_FOUND", nil},
		{"method", "PUT", "/sobjects/Account/" + acc, map[string]any{}, 405, "METHOD_NOT_ALLOWED", nil},
		{"event end before start", "POST", "/sobjects/Event", map[string]any{"Subject": "x", "StartDateTime": "2025-03-14T10:00:00Z", "EndDateTime": "2025-03-14T09:00:00Z"}, 400, "FIELD_INTEGRITY_EXCEPTION", []string{"EndDateTime"}},
		{"user delete", "DELETE", "/sobjects/User/" + makeID("005", 1), nil, 400, "INVALID_TYPE_FOR_OPERATION", nil},
	}
	for _, c := range cases {
		r := o.api(c.method, c.path, c.body)
		errs := wantErrorNamed(t, c.name, r, c.status, c.code)
		if errs != nil && c.fields != nil && !slices.Equal(errs[0].Fields, c.fields) {
			t.Errorf("%s: fields %v, want %v", c.name, errs[0].Fields, c.fields)
		}
	}
	wantError(t, o.do("GET", "/services/data/v99.0/limits", nil), 404, "NOT_FOUND")
	wantError(t, o.do("GET", "/services/data/v49.0/limits", nil), 404, "NOT_FOUND")
}

func wantErrorNamed(t *testing.T, name string, r reply, status int, code string) sfErrors {
	t.Helper()
	var errs sfErrors
	if r.status != status || json.Unmarshal(r.body, &errs) != nil || len(errs) != 1 || errs[0].ErrorCode != code || errs[0].Fields == nil {
		t.Errorf("%s: %d %s, want %d %s", name, r.status, r.body, status, code)
		return nil
	}
	return errs
}

func TestDerivedFields(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	ev := o.create(objEvent, map[string]any{"Subject": "Demo", "StartDateTime": "2025-03-20T15:00:00+01:00", "DurationInMinutes": 45.0})
	rec, _ := o.s.Get(objEvent, ev)
	if rec["EndDateTime"] != time.Date(2025, 3, 20, 14, 45, 0, 0, time.UTC) || rec["ActivityDate"] != "2025-03-20" || rec["ActivityDateTime"] != rec["StartDateTime"] {
		t.Errorf("event %v", rec)
	}
	if err := o.s.Update(objEvent, ev, "", map[string]any{"EndDateTime": "2025-03-20T16:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	if rec, _ = o.s.Get(objEvent, ev); rec["DurationInMinutes"] != 120.0 {
		t.Errorf("duration after moving the end: %v", rec["DurationInMinutes"])
	}
	o.s.Update(objEvent, ev, "", map[string]any{"StartDateTime": "2025-03-21T09:00:00Z"})
	if rec, _ = o.s.Get(objEvent, ev); rec["EndDateTime"] != time.Date(2025, 3, 21, 11, 0, 0, 0, time.UTC) || rec["ActivityDate"] != "2025-03-21" {
		t.Errorf("moving the start keeps the duration: %v", rec)
	}
	task := o.create(objTask, map[string]any{"Subject": "Call"})
	rec, _ = o.s.Get(objTask, task)
	if rec["Status"] != "Not Started" || rec["Priority"] != "Normal" || rec["IsClosed"] != false || rec["CompletedDateTime"] != nil {
		t.Errorf("new task %v", rec)
	}
	o.s.Update(objTask, task, "", map[string]any{"Status": "Completed", "Priority": "High"})
	rec, _ = o.s.Get(objTask, task)
	if rec["IsClosed"] != true || rec["IsHighPriority"] != true || rec["CompletedDateTime"] == nil {
		t.Errorf("completed task %v", rec)
	}
	opp := o.create(objOpportunity, map[string]any{"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2025-06-30"})
	o.s.Update(objOpportunity, opp, "", map[string]any{"StageName": "Closed Won"})
	rec, _ = o.s.Get(objOpportunity, opp)
	if rec["IsClosed"] != true || rec["IsWon"] != true || rec["Probability"] != 100.0 || rec["ForecastCategoryName"] != "Closed" {
		t.Errorf("won opportunity %v", rec)
	}
}

func TestUpsertByExternalID(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{CustomFields: map[string][]Field{
		objContact: {{Name: "Hub_Key__c", Type: TypeString, ExternalID: true, Unique: true}},
		objLead:    {{Name: "Legacy__c", Type: TypeString, ExternalID: true}}, // not unique
	}})
	r := o.api("PATCH", "/sobjects/Contact/Hub_Key__c/k%2F1", map[string]any{"LastName": "Created"})
	res := decode[saveResultWire](t, r)
	if r.status != 201 || !res.Success || res.Created == nil || !*res.Created {
		t.Fatalf("upsert create: %d %s", r.status, r.body)
	}
	r = o.api("PATCH", "/sobjects/Contact/Hub_Key__c/K%2F1", map[string]any{"LastName": "Updated"})
	res2 := decode[saveResultWire](t, r)
	if r.status != 200 || res2.ID != res.ID || res2.Created == nil || *res2.Created {
		t.Fatalf("upsert update (external ids ignore case): %d %s", r.status, r.body)
	}
	if rec, _ := o.s.Get(objContact, res.ID); rec["Hub_Key__c"] != "k/1" || rec["LastName"] != "Updated" {
		t.Errorf("record %v", rec)
	}
	if rec := decode[map[string]any](t, o.api("GET", "/sobjects/Contact/Hub_Key__c/k%2F1", nil)); rec["Id"] != res.ID {
		t.Errorf("GET by external id: %v", rec)
	}
	wantError(t, o.api("PATCH", "/sobjects/Contact/Hub_Key__c/nope?updateOnly=true", map[string]any{"LastName": "X"}), 404, "NOT_FOUND")
	wantError(t, o.api("PATCH", "/sobjects/Contact/LastName/x", map[string]any{"LastName": "X"}), 404, "NOT_FOUND")
	wantError(t, o.api("POST", "/sobjects/Contact", map[string]any{"LastName": "Dup", "Hub_Key__c": "K/1"}), 400, "DUPLICATE_VALUE")
	o.create(objLead, map[string]any{"LastName": "A", "Company": "C", "Legacy__c": "L1"})
	o.create(objLead, map[string]any{"LastName": "B", "Company": "C", "Legacy__c": "L1"})
	r = o.api("PATCH", "/sobjects/Lead/Legacy__c/L1", map[string]any{"LastName": "C"})
	if urls := decode[[]string](t, r); r.status != 300 || len(urls) != 2 || !strings.HasPrefix(urls[0], "/services/data/v62.0/sobjects/Lead/00Q") {
		t.Errorf("ambiguous upsert: %d %s", r.status, r.body)
	}
	if r := o.api("DELETE", "/sobjects/Contact/Hub_Key__c/k%2F1", nil); r.status != 204 {
		t.Errorf("delete by external id: %d %s", r.status, r.body)
	}
}

func TestCollections(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	rec := func(typ string, kv ...any) map[string]any {
		m := map[string]any{"attributes": map[string]string{"type": typ}}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	// allOrNone: one bad record rolls back the others.
	r := o.api("POST", "/composite/sobjects", map[string]any{"allOrNone": true, "records": []any{
		rec("Contact", "LastName", "Good"), rec("Contact", "FirstName", "Bad"), rec("Account", "Name", "Good too")}})
	res := decode[[]saveResultWire](t, r)
	if r.status != 200 || len(res) != 3 || res[0].Success || res[0].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" ||
		res[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" || res[2].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" {
		t.Fatalf("allOrNone: %s", r.body)
	}
	if c := o.s.Counts(); c[objContact] != 0 || c[objAccount] != 0 {
		t.Fatalf("allOrNone left records behind: %v", c)
	}
	// Without it, the good ones stay.
	r = o.api("POST", "/composite/sobjects", map[string]any{"allOrNone": false, "records": []any{
		rec("Contact", "LastName", "Good"), rec("Contact", "FirstName", "Bad")}})
	res = decode[[]saveResultWire](t, r)
	if !res[0].Success || res[1].Success || res[1].ID != "" {
		t.Fatalf("partial: %s", r.body)
	}
	good := res[0].ID
	// Update: a missing id and a deleted record fail alone.
	gone := o.create(objContact, map[string]any{"LastName": "Gone"})
	o.s.Delete(objContact, gone, "")
	r = o.api("PATCH", "/composite/sobjects", map[string]any{"records": []any{
		rec("Contact", "Id", good, "Title", "T"), rec("Contact", "Id", gone, "Title", "T"), rec("Contact", "Id", makeID("003", 999), "Title", "T")}})
	res = decode[[]saveResultWire](t, r)
	if !res[0].Success || res[1].Errors[0].StatusCode != "ENTITY_IS_DELETED" || res[2].Errors[0].StatusCode != "INVALID_CROSS_REFERENCE_KEY" {
		t.Errorf("update: %s", r.body)
	}
	// Retrieve answers null for what it cannot find.
	r = o.api("GET", "/composite/sobjects/Contact?ids="+good+","+gone+"&fields=Id,Title", nil)
	if got := decode[[]map[string]any](t, r); len(got) != 2 || got[0]["Title"] != "T" || got[1] != nil {
		t.Errorf("retrieve: %s", r.body)
	}
	// 201 records are too many.
	var many []any
	for range 201 {
		many = append(many, rec("Contact", "LastName", "x"))
	}
	wantError(t, o.api("POST", "/composite/sobjects", map[string]any{"records": many}), 400, "EXCEEDED_ID_LIMIT")
	// An unknown field fails the whole request.
	wantError(t, o.api("POST", "/composite/sobjects", map[string]any{"records": []any{rec("Contact", "LastName", "x", "Bogus", 1)}}), 400, "INVALID_FIELD")
	// Delete, allOrNone with a bad id rolls back.
	r = o.api("DELETE", "/composite/sobjects?ids="+good+",001xyz&allOrNone=true", nil)
	res = decode[[]saveResultWire](t, r)
	if res[0].Success || res[1].Errors[0].StatusCode != "MALFORMED_ID" || o.s.Counts()[objContact] != 1 {
		t.Errorf("delete allOrNone: %s", r.body)
	}
	r = o.api("DELETE", "/composite/sobjects?ids="+good, nil)
	if res = decode[[]saveResultWire](t, r); !res[0].Success || o.s.Counts()[objContact] != 0 {
		t.Errorf("delete: %s", r.body)
	}
}

func TestQueryPaging(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{PageSize: 500, Seed: SeedConfig{Leads: 1234}})
	r := o.query("SELECT Id, LastName FROM Lead")
	page := decode[queryResult](t, r)
	locator := regexp.MustCompile(`^/services/data/v62\.0/query/01g[0-9A-Za-z]{15}-500$`)
	if page.TotalSize != 1234 || page.Done || len(page.Records) != 500 || !locator.MatchString(page.NextRecordsURL) {
		t.Fatalf("first page: total %d, done %v, %d records, next %q", page.TotalSize, page.Done, len(page.Records), page.NextRecordsURL)
	}
	seen := map[any]bool{}
	for _, rec := range page.Records {
		seen[rec["Id"]] = true
	}
	next := page.NextRecordsURL
	for next != "" {
		page = decode[queryResult](t, o.do("GET", next, nil))
		for _, rec := range page.Records {
			seen[rec["Id"]] = true
		}
		next = page.NextRecordsURL
	}
	if len(seen) != 1234 || !page.Done {
		t.Errorf("paged through %d distinct records", len(seen))
	}
	// A smaller batch on request; queryAll pages through query/ too.
	r = o.api("GET", "/queryAll?q=SELECT+Id+FROM+Lead", nil, "Sforce-Query-Options", "batchSize=200")
	if page = decode[queryResult](t, r); len(page.Records) != 200 || !strings.Contains(page.NextRecordsURL, "/query/01g") {
		t.Errorf("batchSize=200: %d records, next %q", len(page.Records), page.NextRecordsURL)
	}
	// A cursor idle for 15 minutes is gone.
	o.clock.Add(16 * time.Minute)
	wantError(t, o.do("GET", page.NextRecordsURL, nil), 400, "INVALID_QUERY_LOCATOR")
}

func TestReplication(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{MaxReplicationIDs: 3})
	start := o.s.Now()
	var ids []string
	for i := range 3 {
		ids = append(ids, o.create(objAccount, map[string]any{"Name": "A" + strconv.Itoa(i)}))
		o.clock.Add(time.Minute)
	}
	o.s.Delete(objAccount, ids[0], "")
	o.clock.Add(2 * time.Minute)
	win := func(kind string, from, to time.Time) reply {
		return o.api("GET", "/sobjects/Account/"+kind+"/?start="+url.QueryEscape(from.Format(time.RFC3339))+"&end="+url.QueryEscape(to.Format(time.RFC3339)), nil)
	}
	type updated struct {
		IDs               []string `json:"ids"`
		LatestDateCovered string   `json:"latestDateCovered"`
	}
	up := decode[updated](t, win("updated", start.Add(-time.Minute), o.s.Now()))
	if !slices.Equal(up.IDs, ids[1:]) || up.LatestDateCovered != o.s.Now().Truncate(time.Minute).Format(jsonDateTime) {
		t.Errorf("getUpdated %+v, want %v", up, ids[1:])
	}
	var del struct {
		DeletedRecords []struct{ ID, DeletedDate string } `json:"deletedRecords"`
		Earliest       string                             `json:"earliestDateAvailable"`
	}
	r := win("deleted", start, o.s.Now())
	if err := json.Unmarshal(r.body, &del); err != nil || len(del.DeletedRecords) != 1 || del.DeletedRecords[0].ID != ids[0] {
		t.Errorf("getDeleted %s", r.body)
	}
	wantError(t, win("updated", o.s.Now().Add(-31*24*time.Hour), o.s.Now()), 400, "INVALID_REPLICATION_DATE")
	wantError(t, win("deleted", o.s.Now().Add(-16*24*time.Hour), o.s.Now()), 400, "INVALID_REPLICATION_DATE")
	wantError(t, win("updated", o.s.Now(), o.s.Now().Add(-time.Hour)), 400, "INVALID_REPLICATION_DATE")
	wantError(t, o.api("GET", "/sobjects/Account/updated/?start=2025-03-14T00:00:00Z", nil), 400, "MISSING_ARGUMENT")
	o.create(objAccount, map[string]any{"Name": "A3"})
	o.create(objAccount, map[string]any{"Name": "A4"})
	o.clock.Add(time.Minute)
	wantError(t, win("updated", start.Add(-time.Minute), o.s.Now()), 400, "EXCEEDED_ID_LIMIT")
	// After 15 days a deleted record leaves the recycle bin.
	o.clock.Add(15*24*time.Hour + time.Hour)
	o.token = o.login()
	if q := decode[queryResult](t, o.api("GET", "/queryAll?q=SELECT+Id+FROM+Account+WHERE+IsDeleted=true", nil)); q.TotalSize != 0 {
		t.Errorf("queryAll still shows %d deleted records after 15 days", q.TotalSize)
	}
}

func TestOAuth(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{Users: []UserConfig{
		{Username: "admin@org.example", Password: "pw", SecurityToken: "TOK"},
		{Username: "rep@org.example", Password: "pw2", Profile: "Standard User", TimeZone: "Europe/Stockholm"},
	}})
	token := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(o.srv.URL+"/services/oauth2/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	cid, secret := o.s.Config().ClientID, o.s.Config().ClientSecret
	pw := func(user, pass string) url.Values {
		return url.Values{"grant_type": {"password"}, "client_id": {cid}, "client_secret": {secret}, "username": {user}, "password": {pass}}
	}
	if st, m := token(pw("rep@org.example", "pw2")); st != 200 || m["access_token"] == nil {
		t.Errorf("password without a token: %d %v", st, m)
	}
	if st, m := token(pw("admin@org.example", "wrong")); st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "authentication failure" {
		t.Errorf("wrong password: %d %v", st, m)
	}
	bad := pw("admin@org.example", "pwTOK")
	bad.Set("client_id", "nope")
	if st, m := token(bad); st != 400 || m["error"] != "invalid_client_id" {
		t.Errorf("wrong client: %d %v", st, m)
	}
	if st, m := token(url.Values{"grant_type": {"magic"}}); st != 400 || m["error"] != "unsupported_grant_type" {
		t.Errorf("unknown grant: %d %v", st, m)
	}

	// Web-server flow with PKCE; the code works once.
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(o.srv.URL + "/services/oauth2/authorize?response_type=code&client_id=" + cid +
		"&redirect_uri=" + url.QueryEscape("http://localhost/cb") + "&state=xyz&login_hint=rep@org.example&code_challenge=" + challenge)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "client_id": {cid}, "client_secret": {secret},
		"redirect_uri": {"http://localhost/cb"}, "code": {loc.Query().Get("code")}, "code_verifier": {verifier}}
	st, m := token(exchange)
	if st != 200 || m["refresh_token"] == nil || !strings.HasSuffix(m["id"].(string), "/") && !strings.Contains(m["id"].(string), "/id/00D") {
		t.Fatalf("code exchange: %d %v", st, m)
	}
	if st, _ := token(exchange); st != 400 {
		t.Errorf("a code works once; the second exchange answered %d", st)
	}
	refresh := m["refresh_token"].(string)

	// The identity URL and userinfo answer for the token's user.
	o.token = m["access_token"].(string)
	r := o.do("GET", strings.TrimPrefix(m["id"].(string), o.srv.URL), nil)
	if id := decode[map[string]any](t, r); r.status != 200 || id["username"] != "rep@org.example" || id["timezone"] != "Europe/Stockholm" {
		t.Errorf("identity: %d %s", r.status, r.body)
	}
	if ui := decode[map[string]any](t, o.do("GET", "/services/oauth2/userinfo", nil)); ui["preferred_username"] != "rep@org.example" || ui["utcOffset"] != 3600000.0 {
		t.Errorf("userinfo: %v", ui)
	}

	// Access tokens expire; the refresh token gets a new one.
	o.clock.Add(2*time.Hour + time.Second)
	wantError(t, o.query("SELECT Id FROM User"), 401, "INVALID_SESSION_ID")
	st, m = token(url.Values{"grant_type": {"refresh_token"}, "client_id": {cid}, "client_secret": {secret}, "refresh_token": {refresh}})
	if st != 200 || m["refresh_token"] != nil {
		t.Fatalf("refresh: %d %v", st, m)
	}
	o.token = m["access_token"].(string)
	if r := o.query("SELECT Id FROM User"); r.status != 200 {
		t.Errorf("refreshed token: %d %s", r.status, r.body)
	}
	// Revoking the refresh token ends its sessions too.
	resp, _ = http.PostForm(o.srv.URL+"/services/oauth2/revoke", url.Values{"token": {refresh}})
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	wantError(t, o.query("SELECT Id FROM User"), 401, "INVALID_SESSION_ID")
	if st, m := token(url.Values{"grant_type": {"refresh_token"}, "client_id": {cid}, "refresh_token": {refresh}}); st != 400 || m["error"] != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %v", st, m)
	}

	// A user deactivated in the org can no longer log in or use a session.
	o.token = o.login()
	repID, _ := o.s.userID("rep@org.example")
	_, m = token(pw("rep@org.example", "pw2"))
	repToken := m["access_token"].(string)
	if err := o.s.Update(objUser, repID, "", map[string]any{"IsActive": false}); err != nil {
		t.Fatal(err)
	}
	if st, m := token(pw("rep@org.example", "pw2")); st != 400 || m["error"] != "invalid_grant" {
		t.Errorf("inactive user login: %d %v", st, m)
	}
	o.token = repToken
	wantError(t, o.query("SELECT Id FROM User"), 401, "INVALID_SESSION_ID")
	// And records cannot be assigned to them.
	o.token = o.login()
	wantError(t, o.api("POST", "/sobjects/Account", map[string]any{"Name": "X", "OwnerId": repID}), 400, "INACTIVE_OWNER_OR_USER")
}

func TestBulkQueryJob(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{Seed: SeedConfig{Accounts: 7}, BulkPolls: 2})
	acc := o.create(objAccount, map[string]any{"Name": `Quote "Co", Ltd`})
	o.s.Delete(objAccount, acc, "")
	r := o.api("POST", "/jobs/query", map[string]any{"operation": "queryAll", "query": "SELECT Id, Name, IsDeleted, Website FROM Account ORDER BY Name", "lineEnding": "CRLF"})
	job := decode[map[string]any](t, r)
	if r.status != 200 || job["state"] != "UploadComplete" || job["object"] != "Account" || !strings.HasPrefix(job["id"].(string), "750") {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := job["id"].(string)
	wantError(t, o.api("GET", "/jobs/query/"+id+"/results", nil), 400, "INVALIDJOBSTATE")
	states := []string{}
	for range 3 {
		states = append(states, decode[map[string]any](t, o.api("GET", "/jobs/query/"+id, nil))["state"].(string))
	}
	if strings.Join(states, ",") != "InProgress,InProgress,JobComplete" {
		t.Errorf("states %v", states)
	}
	var rows [][]string
	locator := ""
	for calls := 0; ; calls++ {
		path := "/jobs/query/" + id + "/results?maxRecords=3"
		if locator != "" {
			path += "&locator=" + locator
		}
		r = o.api("GET", path, nil)
		if r.status != 200 || r.header.Get("Content-Type") != "text/csv" {
			t.Fatalf("results: %d %s", r.status, r.body)
		}
		if !bytes.HasPrefix(r.body, []byte(`"Id","Name","IsDeleted","Website"`+"\r\n")) {
			t.Fatalf("header of %q", r.body)
		}
		page, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("results are not CSV: %v", err)
		}
		if n, _ := strconv.Atoi(r.header.Get("Sforce-NumberOfRecords")); n != len(page)-1 || n > 3 {
			t.Errorf("Sforce-NumberOfRecords %s for %d rows", r.header.Get("Sforce-NumberOfRecords"), len(page)-1)
		}
		rows = append(rows, page[1:]...)
		locator = r.header.Get("Sforce-Locator")
		if locator == "null" {
			break
		}
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows, want 8", len(rows))
	}
	if !slices.ContainsFunc(rows, func(r []string) bool { return r[0] == acc && r[1] == `Quote "Co", Ltd` && r[2] == "true" && r[3] == "" }) {
		t.Errorf("queryAll job lacks the deleted account %s: %v", acc, rows)
	}
	wantError(t, o.api("POST", "/jobs/query", map[string]any{"operation": "query", "query": "SELECT COUNT() FROM Account"}), 400, "INVALIDJOB")
	wantError(t, o.api("POST", "/jobs/query", map[string]any{"operation": "query", "query": "SELECT Nope FROM Account"}), 400, "INVALID_FIELD")
	if r := o.api("DELETE", "/jobs/query/"+id, nil); r.status != 204 {
		t.Errorf("delete: %d", r.status)
	}
	wantError(t, o.api("GET", "/jobs/query/"+id, nil), 404, "NOT_FOUND")
}

func TestBulkIngestFailures(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{BulkPolls: -1})
	job := decode[map[string]any](t, o.api("POST", "/jobs/ingest", map[string]any{"object": "Contact", "operation": "insert"}))
	id := job["id"].(string)
	csv := "FirstName,LastName,Email\nAda,Lovelace,ada@example.com\nNo,,x@example.com\nBad,Email,nope\n"
	if r := o.api("PUT", "/jobs/ingest/"+id+"/batches", csv, "Content-Type", "text/csv"); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	o.api("PATCH", "/jobs/ingest/"+id, map[string]any{"state": "UploadComplete"})
	info := decode[map[string]any](t, o.api("GET", "/jobs/ingest/"+id, nil))
	if info["state"] != "JobComplete" || info["numberRecordsProcessed"] != 3.0 || info["numberRecordsFailed"] != 2.0 {
		t.Fatalf("job %v", info)
	}
	failed := string(o.api("GET", "/jobs/ingest/"+id+"/failedResults", nil).body)
	if !strings.Contains(failed, `"REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"`) ||
		!strings.Contains(failed, "INVALID_EMAIL_ADDRESS") {
		t.Errorf("failed results %q", failed)
	}
	job = decode[map[string]any](t, o.api("POST", "/jobs/ingest", map[string]any{"object": "Contact", "operation": "update"}))
	o.api("PUT", "/jobs/ingest/"+job["id"].(string)+"/batches", "Id,Nonsense\n"+makeID("003", 1)+",x\n", "Content-Type", "text/csv")
	o.api("PATCH", "/jobs/ingest/"+job["id"].(string), map[string]any{"state": "UploadComplete"})
	info = decode[map[string]any](t, o.api("GET", "/jobs/ingest/"+job["id"].(string), nil))
	if info["state"] != "Failed" || !strings.Contains(info["errorMessage"].(string), "Field name not found : Nonsense") {
		t.Errorf("bad header: %v", info)
	}
}

func TestComposite(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	r := o.api("POST", "/composite", map[string]any{"compositeRequest": []map[string]any{
		{"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "acc", "body": map[string]any{"Name": "Parent"}},
		{"method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "con", "body": map[string]any{"LastName": "Child", "AccountId": "@{acc.id}"}},
		{"method": "GET", "url": "/services/data/v62.0/query?q=SELECT+Id,AccountId+FROM+Contact", "referenceId": "q"},
	}})
	var out struct {
		CompositeResponse []struct {
			Body           json.RawMessage
			HTTPStatusCode int `json:"httpStatusCode"`
			ReferenceID    string
		} `json:"compositeResponse"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil || len(out.CompositeResponse) != 3 || out.CompositeResponse[1].HTTPStatusCode != 201 {
		t.Fatalf("composite: %s", r.body)
	}
	if used, _ := o.s.APIUsage(); used != 1 {
		t.Errorf("a composite request counts once; usage is %d", used)
	}
	var q queryResult
	json.Unmarshal(out.CompositeResponse[2].Body, &q)
	if q.TotalSize != 1 || q.Records[0]["AccountId"] == nil {
		t.Errorf("child not linked: %s", out.CompositeResponse[2].Body)
	}
}

func TestAdminSurface(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{Users: []UserConfig{{Username: "a@x.example", Password: "p"}, {Username: "b@x.example", Password: "p", Profile: "Standard User"}}})
	post := func(path string, body any, hdr ...string) reply {
		return o.do("POST", "/__sandbox/"+path, body, hdr...)
	}
	bID, _ := o.s.userID("b@x.example")
	r := post("records/Contact", map[string]any{"LastName": "Edited in the UI", "CreatedDate": "2025-03-01T08:00:00Z"}, "X-Sandbox-User", "b@x.example")
	res := decode[saveResultWire](t, r)
	if r.status != 201 || !res.Success {
		t.Fatalf("admin create: %d %s", r.status, r.body)
	}
	rec := decode[map[string]any](t, o.do("GET", "/__sandbox/records/Contact/"+res.ID, nil))
	if rec["CreatedById"] != bID || rec["OwnerId"] != bID || rec["CreatedDate"] != "2025-03-01T08:00:00Z" {
		t.Errorf("acted-as record %v", rec)
	}
	if used, _ := o.s.APIUsage(); used != 0 {
		t.Errorf("admin calls counted against the API: %d", used)
	}
	r = o.do("PATCH", "/__sandbox/records/Contact/"+res.ID+"?as="+bID, map[string]any{"Title": "Rep"})
	if rec = decode[map[string]any](t, r); rec["Title"] != "Rep" {
		t.Errorf("admin update %s", r.body)
	}
	wantError(t, o.do("PATCH", "/__sandbox/records/Contact/"+res.ID, map[string]any{"LastName": nil}), 400, "REQUIRED_FIELD_MISSING")
	if r := o.do("DELETE", "/__sandbox/records/Contact/"+res.ID, nil); r.status != 204 {
		t.Errorf("admin delete %d", r.status)
	}
	// Custom fields show in describe and queries at once.
	r = post("fields", map[string]any{"object": "Lead", "name": "Score__c", "type": "double", "precision": 5, "scale": 1})
	if r.status != 201 {
		t.Fatalf("add field: %d %s", r.status, r.body)
	}
	if r := post("fields", map[string]any{"object": "Lead", "name": "Score", "type": "double"}); r.status != 400 {
		t.Errorf("a field without __c: %d", r.status)
	}
	o.create(objLead, map[string]any{"LastName": "L", "Company": "C", "Score__c": 12.5})
	if q := decode[queryResult](t, o.query("SELECT Score__c FROM Lead WHERE Score__c > 10")); q.TotalSize != 1 || q.Records[0]["Score__c"] != 12.5 {
		t.Errorf("query custom field: %+v", q)
	}
	// Seeding, usage, the clock and reset.
	if got := decode[map[string]int](t, post("seed", SeedConfig{Seed: 7, Users: 3, Accounts: 4, Contacts: 10, Tasks: 5})); got["User"] != 3 || got["Contact"] != 10 {
		t.Errorf("seed: %v", got)
	}
	if got := decode[map[string]string](t, post("clock", map[string]any{"advance": "36h"})); got["now"] != "2025-03-15T21:26:53Z" {
		t.Errorf("clock: %v", got)
	}
	info := decode[map[string]any](t, o.do("GET", "/__sandbox/", nil))
	if info["client_id"] != DefaultClientID || info["counts"].(map[string]any)["Contact"] != 10.0 {
		t.Errorf("info: %v", info)
	}
	post("reset", nil)
	if c := o.s.Counts(); c[objContact] != 0 || c[objLead] != 0 || c[objUser] != 2 {
		t.Errorf("after reset: %v", c)
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg := SeedConfig{Seed: 42, Users: 4, Accounts: 5, Contacts: 20, Leads: 5, Opportunities: 6, Events: 8, Tasks: 8, HistoryDays: 20}
	dump := func() string {
		o := newOrg(t, Config{Seed: cfg})
		var b strings.Builder
		for _, obj := range []string{"User", "Account", "Contact", "Lead", "Opportunity", "Event", "Task"} {
			b.Write(o.query("SELECT FIELDS(ALL) FROM " + obj + " ORDER BY Id LIMIT 200").body)
		}
		return b.String()
	}
	a, b := dump(), dump()
	if a != b {
		t.Error("the same seed made different orgs")
	}
	o := newOrg(t, Config{Seed: cfg})
	users := decode[queryResult](t, o.query("SELECT Username, IsActive, TimeZoneSidKey, ProfileId FROM User")).Records
	if len(users) != 5 {
		t.Fatalf("%d users", len(users))
	}
	var opps = decode[queryResult](t, o.query("SELECT StageName, IsClosed, IsWon FROM Opportunity")).Records
	for _, op := range opps {
		if (op["StageName"] == "Closed Won") != (op["IsWon"] == true) {
			t.Errorf("opportunity %v", op)
		}
	}
	if q := decode[queryResult](t, o.query("SELECT Id FROM Task WHERE CreatedDate < LAST_N_DAYS:1")); q.TotalSize == 0 {
		t.Error("history_days left every task stamped today")
	}
}

func TestGzip(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"Name":"Zipped"}`))
	zw.Close()
	req, _ := http.NewRequest("POST", o.srv.URL+"/services/data/v62.0/sobjects/Account", &buf)
	req.Header.Set("Authorization", "Bearer "+o.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("%d, encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if !bytes.Contains(b, []byte(`"success":true`)) {
		t.Errorf("body %s", b)
	}
}

// Many clients at once, including the admin surface and a schema change:
// run under the race detector by make test.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{PageSize: 200, Seed: SeedConfig{Accounts: 10, Contacts: 600}, Faults: Faults{PartialFailureRate: 0.1}})
	done := make(chan struct{})
	work := []func(i int){
		func(i int) {
			o.api("POST", "/sobjects/Contact", map[string]any{"LastName": "C" + strconv.Itoa(i)})
		},
		func(i int) {
			page := decode[queryResult](t, o.query("SELECT Id, LastName FROM Contact ORDER BY LastName"))
			for page.NextRecordsURL != "" {
				page = decode[queryResult](t, o.do("GET", page.NextRecordsURL, nil))
			}
		},
		func(i int) {
			var recs []any
			for j := range 20 {
				recs = append(recs, map[string]any{"attributes": map[string]string{"type": "Lead"}, "LastName": "L" + strconv.Itoa(j), "Company": "Co"})
			}
			o.api("POST", "/composite/sobjects", map[string]any{"records": recs})
		},
		func(i int) {
			o.create(objTask, map[string]any{"Subject": "Admin " + strconv.Itoa(i)})
		},
		func(i int) {
			if i == 3 {
				o.s.AddField(objContact, Field{Name: "Late__c", Type: TypeString})
			}
			o.api("GET", "/sobjects/Contact/describe", nil)
		},
		func(i int) {
			job := decode[map[string]any](t, o.api("POST", "/jobs/query", map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"}))
			for o.api("GET", "/jobs/query/"+job["id"].(string), nil).status == 200 {
				if r := o.api("GET", "/jobs/query/"+job["id"].(string)+"/results", nil); r.status == 200 {
					break
				}
			}
		},
	}
	for w, f := range work {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 8 {
				f(w*100 + i)
			}
		}()
	}
	for range work {
		<-done
	}
	if c := o.s.Counts(); c[objContact] < 600 || c[objTask] != 8 {
		t.Errorf("counts %v", c)
	}
}
