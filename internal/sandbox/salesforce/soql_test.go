package salesforce

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseSOQL(t *testing.T) {
	t.Parallel()
	valid := []string{
		"SELECT Id FROM Account",
		"select id, name from account where name = 'Acme'",
		"SELECT COUNT() FROM Contact",
		"SELECT COUNT(Id) FROM Contact WHERE Email != null",
		"SELECT FIELDS(ALL) FROM Contact LIMIT 200",
		"SELECT Id FROM Contact WHERE (FirstName = 'A' OR FirstName = 'B') AND LastName LIKE 'S%'",
		"SELECT Id FROM Contact WHERE NOT (Email = null OR Title = 'CEO')",
		"SELECT Id FROM Contact WHERE NOT Email = null",
		"SELECT Id FROM Task WHERE Status NOT IN ('Completed', 'Deferred') AND ActivityDate <= TODAY",
		"SELECT Id FROM Task WHERE ActivityDate = LAST_N_DAYS:14",
		"SELECT Id FROM Account WHERE CreatedDate > 2024-01-31T10:00:00Z AND CreatedDate < 2024-02-01T00:00:00.000+01:00",
		"SELECT Id FROM Opportunity WHERE Amount >= -10.5 AND Amount <> 7 AND CloseDate < 2024-12-31",
		"SELECT Id FROM Account ORDER BY Name DESC NULLS LAST, Id ASC LIMIT 10 OFFSET 20",
		"SELECT Id FROM Account WHERE Name = 'O\\'Brien \\\\ \\n \\u00e9'",
		"SELECT Id\nFROM Account\nWHERE IsDeleted = TRUE",
	}
	for _, q := range valid {
		if _, err := parseSOQL(q); err != nil {
			t.Errorf("parse %q: %v", q, err)
		}
	}

	bad := []struct {
		q        string
		code     string
		row, col int
		msg      string
	}{
		{"SELECT FROM Account", "MALFORMED_QUERY", 1, 8, "unexpected token: FROM"},
		{"SELECT Id FORM Account", "MALFORMED_QUERY", 1, 11, "unexpected token: FORM"},
		{"SELECT Id FROM Account WHERE", "MALFORMED_QUERY", 1, 29, "unexpected token: <EOF>"},
		{"SELECT Id FROM Account WHERE A = 1 AND B = 2 OR C = 3", "MALFORMED_QUERY", 1, 46, "unexpected token: OR"},
		{"SELECT Id FROM Account WHERE Name = 'x", "MALFORMED_QUERY", 1, 37, "unterminated string"},
		{"SELECT Id FROM Account WHERE Name = 'a\\qb'", "MALFORMED_QUERY", 1, 39, "Illegal character sequence"},
		{"SELECT Id, COUNT() FROM Account", "MALFORMED_QUERY", 1, 12, "COUNT() must be the only element"},
		{"SELECT Id FROM Account LIMIT x", "MALFORMED_QUERY", 1, 30, "unexpected token: x"},
		{"SELECT Id FROM Account WHERE CreatedDate > 2024-13-01", "MALFORMED_QUERY", 1, 44, "Date literal"},
		{"SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T25:00:00Z", "MALFORMED_QUERY", 1, 44, "Datetime literal"},
		{"SELECT Id\nFROM Account\nWHERE Name ~ 'x'", "MALFORMED_QUERY", 3, 12, "no viable alternative"},
		{"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)", "MALFORMED_QUERY", 1, 37, "semi-join"},
		{"SELECT Id FROM Account GROUP BY Name", "MALFORMED_QUERY", 1, 24, "unexpected token: GROUP"},
		{"SELECT Id FROM Task WHERE ActivityDate = LAST_N_DAYS", "MALFORMED_QUERY", 1, 53, "unexpected token: <EOF>"},
	}
	for _, b := range bad {
		_, err := parseSOQL(b.q)
		se, ok := err.(*soqlError)
		if !ok {
			t.Errorf("parse %q: %v, want a %s", b.q, err, b.code)
			continue
		}
		msg := se.render(b.q)
		want := "ERROR at Row:" + strconv.Itoa(b.row) + ":Column:" + strconv.Itoa(b.col)
		if se.code != b.code || !strings.Contains(msg, want) || !strings.Contains(msg, b.msg) {
			t.Errorf("parse %q:\n got %s %q\nwant %s %q and %q", b.q, se.code, msg, b.code, want, b.msg)
		}
	}
}

// The binder checks names and types against the schema, as Salesforce
// does, with the position of the culprit.
func TestBindSOQL(t *testing.T) {
	t.Parallel()
	st := newStore()
	today := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	bad := []struct{ q, code, msg string }{
		{"SELECT Nme FROM Account", "INVALID_FIELD", "No such column 'Nme' on entity 'Account'"},
		{"SELECT Id FROM Acount", "INVALID_TYPE", "sObject type 'Acount' is not supported"},
		{"SELECT Id FROM Account WHERE Name = 5", "INVALID_FIELD", "must be of type string and should be enclosed in quotes"},
		{"SELECT Id FROM Account WHERE NumberOfEmployees = '5'", "INVALID_FIELD", "must be of type double and should not be enclosed in quotes"},
		{"SELECT Id FROM Account WHERE CreatedDate > 2024-01-01", "INVALID_FIELD", "must be of type dateTime"},
		{"SELECT Id FROM Account WHERE CreatedDate > '2024-01-01T00:00:00Z'", "INVALID_FIELD", "must be of type dateTime"},
		{"SELECT Id FROM Account WHERE Description = 'x'", "INVALID_FIELD", "can not be filtered"},
		{"SELECT Id FROM Account ORDER BY Description", "INVALID_FIELD", "can not be sorted"},
		{"SELECT Id FROM Account WHERE Id = 'nope'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: nope"},
		{"SELECT Id FROM Account WHERE NumberOfEmployees LIKE '5%'", "INVALID_QUERY_FILTER_OPERATOR", "invalid operator"},
		{"SELECT Id, Name, Id FROM Account", "MALFORMED_QUERY", "duplicate field selected: Id"},
		{"SELECT Acount.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Acount'"},
		{"SELECT Account.Nme FROM Contact", "INVALID_FIELD", "No such column 'Nme' on entity 'Account'"},
		{"SELECT Id FROM Contact WHERE Account.Name = 5", "INVALID_FIELD", "must be of type string"},
		{"SELECT Account.Owner.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Account'"},
		{"SELECT FIELDS(ALL) FROM Account", "MALFORMED_QUERY", "LIMIT of at most 200"},
		{"SELECT Id FROM Account LIMIT 5 OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000"},
		{"SELECT Id FROM Account WHERE IsDeleted > true", "INVALID_QUERY_FILTER_OPERATOR", "invalid operator on boolean field"},
	}
	for _, b := range bad {
		q, err := parseSOQL(b.q)
		if err != nil {
			t.Errorf("parse %q: %v", b.q, err)
			continue
		}
		_, se := st.bind(q, today)
		if se == nil || se.code != b.code || !strings.Contains(se.msg, b.msg) {
			t.Errorf("bind %q: %v, want %s %q", b.q, se, b.code, b.msg)
		}
	}
}

// Query semantics: comparisons, nulls, LIKE, IN, NOT, dates, ordering and
// cuts, checked through the REST query resource.
func TestQuerySemantics(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	acc := o.create(objAccount, map[string]any{"Name": "Acme"})
	people := []map[string]any{
		{"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@acme.example", "Title": "CTO", "Birthdate": "1815-12-10", "AccountId": acc},
		{"FirstName": "Alan", "LastName": "Turing", "Email": "alan@acme.example", "Title": "Engineer", "Birthdate": "1912-06-23"},
		{"FirstName": "Grace", "LastName": "Hopper", "Title": "Admiral", "Birthdate": "1906-12-09", "AccountId": acc},
		{"FirstName": "Edsger", "LastName": "Dijkstra", "Email": "edsger@tue.example"},
		{"FirstName": "Barbara", "LastName": "Liskov", "Email": "barbara_l@mit.example", "Title": "Professor"},
	}
	ids := map[string]string{}
	for _, p := range people {
		ids[p["LastName"].(string)] = o.create(objContact, p)
		o.clock.Add(10 * time.Minute)
	}
	o.s.Delete(objContact, ids["Dijkstra"], "")
	cases := []struct {
		q    string
		want []string // LastNames, in order when the query orders
	}{
		{"SELECT LastName FROM Contact", []string{"Lovelace", "Turing", "Hopper", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE Email = null", []string{"Hopper"}},
		{"SELECT LastName FROM Contact WHERE Email != null ORDER BY LastName", []string{"Liskov", "Lovelace", "Turing"}},
		{"SELECT LastName FROM Contact WHERE Title != 'CTO'", []string{"Turing", "Hopper", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE lastname = 'TURING'", []string{"Turing"}},
		{"SELECT LastName FROM Contact WHERE Email LIKE '%@acme.%'", []string{"Lovelace", "Turing"}},
		{"SELECT LastName FROM Contact WHERE Email LIKE 'barbara\\_%'", []string{"Liskov"}},
		{"SELECT LastName FROM Contact WHERE Email LIKE 'a__@%'", []string{"Lovelace"}},
		{"SELECT LastName FROM Contact WHERE Email LIKE 'a_@%'", nil},
		{"SELECT LastName FROM Contact WHERE FirstName LIKE 'A__'", []string{"Lovelace"}},
		{"SELECT LastName FROM Contact WHERE Title IN ('CTO', 'Admiral')", []string{"Lovelace", "Hopper"}},
		{"SELECT LastName FROM Contact WHERE Title NOT IN ('CTO', 'Admiral')", []string{"Turing", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE NOT (Title = 'CTO' OR Email = null)", []string{"Turing", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE (FirstName = 'Ada' OR FirstName = 'Alan') AND Email LIKE '%acme%'", []string{"Lovelace", "Turing"}},
		{"SELECT LastName FROM Contact WHERE Birthdate < 1900-01-01", []string{"Lovelace"}},
		{"SELECT LastName FROM Contact WHERE Birthdate >= 1906-12-09 ORDER BY Birthdate DESC", []string{"Turing", "Hopper"}},
		{"SELECT LastName FROM Contact WHERE AccountId = '" + acc[:15] + "'", []string{"Lovelace", "Hopper"}},
		{"SELECT LastName FROM Contact WHERE Id IN ('" + ids["Turing"] + "', '" + ids["Dijkstra"] + "')", []string{"Turing"}},
		{"SELECT LastName FROM Contact WHERE CreatedDate > 2025-03-14T09:40:00Z", []string{"Hopper", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE CreatedDate > 2025-03-14T10:40:00+01:00", []string{"Hopper", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE CreatedDate = TODAY", []string{"Lovelace", "Turing", "Hopper", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE CreatedDate = YESTERDAY", nil},
		{"SELECT LastName FROM Contact WHERE CreatedDate = LAST_N_DAYS:3", []string{"Lovelace", "Turing", "Hopper", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE CreatedDate > TODAY", nil},
		{"SELECT LastName FROM Contact ORDER BY Title, LastName", []string{"Hopper", "Lovelace", "Turing", "Liskov"}},
		{"SELECT LastName FROM Contact ORDER BY Title DESC", []string{"Liskov", "Turing", "Lovelace", "Hopper"}},
		{"SELECT LastName FROM Contact ORDER BY Email", []string{"Hopper", "Lovelace", "Turing", "Liskov"}},
		{"SELECT LastName FROM Contact ORDER BY Email NULLS LAST", []string{"Lovelace", "Turing", "Liskov", "Hopper"}},
		{"SELECT LastName FROM Contact ORDER BY Email DESC", []string{"Hopper", "Liskov", "Turing", "Lovelace"}},
		{"SELECT LastName FROM Contact ORDER BY LastName LIMIT 2 OFFSET 1", []string{"Liskov", "Lovelace"}},
		{"SELECT LastName FROM Contact WHERE IsDeleted = false AND Title = 'CTO'", []string{"Lovelace"}},
		{"SELECT LastName FROM Contact WHERE Account.Name = 'acme' ORDER BY LastName DESC", []string{"Lovelace", "Hopper"}},
		{"SELECT LastName FROM Contact WHERE Account.Name = null", []string{"Turing", "Liskov"}},
		{"SELECT LastName FROM Contact WHERE Owner.Username LIKE 'admin@%' ORDER BY Account.Name NULLS LAST, LastName", []string{"Hopper", "Lovelace", "Liskov", "Turing"}},
	}
	for _, c := range cases {
		r := o.query(c.q)
		if r.status != 200 {
			t.Errorf("%s: %d %s", c.q, r.status, r.body)
			continue
		}
		var got []string
		for _, rec := range decode[queryResult](t, r).Records {
			got = append(got, rec["LastName"].(string))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.q, got, c.want)
		}
	}
	r := o.query("SELECT COUNT() FROM Contact")
	if q := decode[queryResult](t, r); q.TotalSize != 4 || len(q.Records) != 0 || !q.Done {
		t.Errorf("COUNT(): %s", r.body)
	}
	r = o.query("SELECT COUNT(Email) FROM Contact")
	if q := decode[queryResult](t, r); q.Records[0]["expr0"] != 3.0 {
		t.Errorf("COUNT(Email): %s", r.body)
	}
	// Parent fields answer as nested records, null without a parent.
	r = o.query("SELECT LastName, Account.Name, Owner.Alias, Account.Industry FROM Contact WHERE LastName IN ('Lovelace', 'Turing')")
	want := `{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/` + ids["Lovelace"] + `"},"LastName":"Lovelace",` +
		`"Account":{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/` + acc + `"},"Name":"Acme","Industry":null},` +
		`"Owner":{"attributes":{"type":"User","url":"/services/data/v62.0/sobjects/User/` + makeID("005", 1) + `"},"Alias":"sadmin"}}`
	if !strings.Contains(string(r.body), want) || !strings.Contains(string(r.body), `"LastName":"Turing","Account":null,"Owner":{`) {
		t.Errorf("relationship fields:\n got %s\nwant %s", r.body, want)
	}
	r = o.api("GET", "/queryAll?q=SELECT+LastName,IsDeleted+FROM+Contact+WHERE+IsDeleted+=+true", nil)
	if q := decode[queryResult](t, r); q.TotalSize != 1 || q.Records[0]["LastName"] != "Dijkstra" || q.Records[0]["IsDeleted"] != true {
		t.Errorf("queryAll of the deleted: %s", r.body)
	}
}

// FuzzParse: no input makes the parser, the binder or a run panic.
func FuzzParse(f *testing.F) {
	for _, q := range []string{
		"SELECT Id FROM Account",
		"SELECT Id, Name FROM Contact WHERE (Email LIKE '%@x.example' OR Title IN ('a','b')) AND NOT CreatedDate < 2024-01-01T00:00:00Z ORDER BY Name DESC NULLS LAST LIMIT 5 OFFSET 1",
		"SELECT COUNT() FROM Task WHERE ActivityDate = LAST_N_DAYS:7",
		"SELECT FIELDS(ALL) FROM Lead LIMIT 200",
		"SELECT Id FROM Account WHERE Name = 'O\\'Brien\\u00e9'",
		"SELECT Id FROM Opportunity WHERE Amount > -1.5 AND CloseDate <= 2024-12-31",
		"select id from account where id = '0018d0000000001'",
		"SELECT Id FROM Event WHERE StartDateTime > 2024-01-01T00:00:00.000+0100",
		"SELECT",
		"'",
		"SELECT Id FROM Account WHERE Name = '\\",
	} {
		f.Add(q)
	}
	st := newStore()
	st.mu.Lock()
	_ = seedOrg(st, Config{}.withDefaults(), writer{now: time.Unix(1700000000, 0), admin: true})
	st.mu.Unlock()
	today := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		parsed, err := parseSOQL(q)
		if err != nil {
			se, ok := err.(*soqlError)
			if !ok || se.code == "" {
				t.Fatalf("parse %q: error %T %v is not a soqlError", q, err, err)
			}
			_ = se.render(q)
			return
		}
		st.mu.RLock()
		defer st.mu.RUnlock()
		p, se := st.bind(parsed, today)
		if se != nil {
			_ = se.render(q)
			return
		}
		_ = st.run(p, true, today, time.Hour)
	})
}
