package salesforce

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/testenv"
)

// This test replays Salesforce's own Postman requests
// (shared/apis/salesforce-postman, from forcedotcom/postman-salesforce-apis)
// against the sandbox, as written: method, URL, headers and body, with the
// collection's {{variables}} set to the sandbox's values. Where the
// collection leaves a value for its user to fill in — an <SOBJECT_API_NAME>
// placeholder, an empty query parameter, the authorization code, the JWT
// assertion, a body that names types ("Boolean", "SObject[]") rather than
// values — the step fills in a real one, and says so.

// postmanRequest is one request file (Postman's v1 export).
type postmanRequest struct {
	Name        string          `json:"name"`
	Method      string          `json:"method"`
	URL         string          `json:"url"`
	DataMode    *string         `json:"dataMode"`
	Data        []postmanKV     `json:"data"`
	RawModeData *string         `json:"rawModeData"`
	HeaderData  []postmanKV     `json:"headerData"`
	Auth        json.RawMessage `json:"auth"`
}

type postmanKV struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Enabled *bool  `json:"enabled"`
}

// sharedDir finds the shared folder beside the repository: ../../../../shared
// from this package, or the first ancestor that holds shared/apis.
func sharedDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(filepath.Join(dir, "shared", "apis", "salesforce-postman")); err == nil && st.IsDir() {
			return filepath.Join(dir, "shared")
		}
		if filepath.Dir(dir) == dir {
			testenv.RequirePeer(t, "shared/apis/salesforce-postman", "not found above "+wd+": the fidelity test needs Salesforce's Postman collection")
		}
	}
}

// step is one request of the replay: which file, what the collection left
// blank, and what the answer must look like.
type step struct {
	file string
	// object, record, field and value fill the <...> placeholders.
	object, record, field, value string
	// params fills query parameters the collection leaves empty.
	params map[string]string
	// form fills form fields the collection leaves empty.
	form map[string]string
	// body replaces a body the collection gives as a type template.
	body string
	// check asserts the answer and captures variables.
	check func(t *testing.T, r reply)
	// want is the status expected; 0 means any 2xx.
	want int
	// before runs first (moves the clock).
	before func()
}

var placeholder = regexp.MustCompile(`\{\{([A-Za-z_]+)\}\}`)

func TestPostmanCollection(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "apis", "salesforce-postman")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	redirect := "https://hub.crmsync.example/oauth/salesforce/callback"
	o := newOrg(t, Config{
		JWTPublicKey: &key.PublicKey,
		RedirectURIs: []string{redirect},
		CustomFields: map[string][]Field{objAccount: {{Name: "Ext__c", Type: TypeString, Length: 40, ExternalID: true, Unique: true}}},
		BulkPolls:    1,
	})
	cfg := o.s.Config()
	extID := o.create(objAccount, map[string]any{"Name": "Replayed by external id", "Ext__c": "EXT-1"})
	assetID := o.create(objAsset, map[string]any{"Name": "Forklift"})

	vars := map[string]string{
		"url": o.srv.URL, "site": "", "_endpoint": o.srv.URL, "version": "62.0",
		"clientId": cfg.ClientID, "clientSecret": cfg.ClientSecret, "redirectUrl": redirect,
	}
	var code, createdID string
	var collectionIDs []string

	obj := func(t *testing.T, r reply) map[string]any { return decode[map[string]any](t, r) }
	has := func(t *testing.T, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("answer lacks %q: %v", k, m)
			}
		}
	}
	checkSaveResults := func(t *testing.T, r reply, n int) []string {
		t.Helper()
		res := decode[[]saveResultWire](t, r)
		if len(res) != n {
			t.Fatalf("%d results, want %d: %s", len(res), n, r.body)
		}
		var ids []string
		for _, x := range res {
			if !x.Success || x.ID == "" || x.Errors == nil {
				t.Errorf("result %+v, want success with an id and an errors array", x)
			}
			ids = append(ids, x.ID)
		}
		return ids
	}
	jwtAssertion := func() string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
		c, _ := json.Marshal(map[string]any{"iss": cfg.ClientID, "sub": cfg.Users[0].Username,
			"aud": "https://login.salesforce.com", "exp": o.clock.Now().Add(3 * time.Minute).Unix()})
		p := base64.RawURLEncoding.EncodeToString(c)
		sum := sha256.Sum256([]byte(h + "." + p))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig)
	}

	// getUpdated and getDeleted cover whole minutes up to the current one.
	later := func() { o.clock.Add(2 * time.Minute) }
	steps := []step{
		{file: "auth_web_server_flow_1.json", want: http.StatusFound, check: func(t *testing.T, r reply) {
			loc, err := url.Parse(r.header.Get("Location"))
			if err != nil || !strings.HasPrefix(loc.String(), redirect) || loc.Query().Get("code") == "" {
				t.Fatalf("authorize redirected to %q, want %s?code=...", r.header.Get("Location"), redirect)
			}
			code = loc.Query().Get("code")
		}},
		{file: "auth_web_server_flow_2.json", form: map[string]string{"code": "<code>"}, check: func(t *testing.T, r reply) {
			m := obj(t, r)
			has(t, m, "access_token", "refresh_token", "instance_url", "id", "token_type", "issued_at", "signature")
			mac := hmac.New(sha256.New, []byte(cfg.ClientSecret))
			mac.Write([]byte(m["id"].(string) + m["issued_at"].(string)))
			if m["signature"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
				t.Errorf("signature %v is not HMAC-SHA256(secret, id+issued_at)", m["signature"])
			}
			vars["_accessToken"], vars["_refreshToken"] = m["access_token"].(string), m["refresh_token"].(string)
			vars["_endpoint"] = m["instance_url"].(string)
		}},
		{file: "auth_user_info.json", check: func(t *testing.T, r reply) {
			has(t, obj(t, r), "sub", "user_id", "organization_id", "preferred_username", "email", "zoneinfo", "urls")
		}},
		{file: "auth_refresh_token.json", check: func(t *testing.T, r reply) {
			m := obj(t, r)
			has(t, m, "access_token", "instance_url", "id", "token_type", "issued_at", "signature")
			vars["_accessToken"] = m["access_token"].(string)
		}},
		{file: "auth_jwt_bearer_token_flow.json", form: map[string]string{"assertion": "<jwt>"}, check: func(t *testing.T, r reply) {
			has(t, obj(t, r), "access_token", "instance_url", "id", "token_type", "issued_at")
		}},
		{file: "rest_versions.json", check: func(t *testing.T, r reply) {
			vs := decode[[]map[string]string](t, r)
			if !slices.ContainsFunc(vs, func(v map[string]string) bool {
				return v["version"] == "62.0" && v["url"] == "/services/data/v62.0" && v["label"] != ""
			}) {
				t.Errorf("versions %s lack 62.0", r.body)
			}
		}},
		{file: "rest_resources_by_version.json", check: func(t *testing.T, r reply) {
			has(t, obj(t, r), "sobjects", "query", "queryAll", "limits", "composite", "jobs")
		}},
		{file: "rest_limit.json", check: func(t *testing.T, r reply) {
			lim := decode[map[string]struct{ Max, Remaining *int }](t, r)
			if d := lim["DailyApiRequests"]; d.Max == nil || d.Remaining == nil || *d.Max != 100000 {
				t.Errorf("DailyApiRequests %s", r.body)
			}
		}},
		{file: "rest_describe_global.json", check: func(t *testing.T, r reply) {
			m := obj(t, r)
			has(t, m, "encoding", "maxBatchSize", "sobjects")
			var names []string
			for _, s := range m["sobjects"].([]any) {
				names = append(names, s.(map[string]any)["name"].(string))
			}
			for _, want := range []string{"User", "Account", "Contact", "Lead", "Opportunity", "Event", "Task"} {
				if !slices.Contains(names, want) {
					t.Errorf("describeGlobal lacks %s", want)
				}
			}
		}},
		{file: "rest_sobject_basic_information.json", object: "Account", check: func(t *testing.T, r reply) {
			has(t, obj(t, r), "objectDescribe", "recentItems")
		}},
		{file: "rest_sobject_describe.json", object: "Account", check: func(t *testing.T, r reply) {
			var d struct {
				Name   string
				Fields []map[string]any
			}
			if err := json.Unmarshal(r.body, &d); err != nil || d.Name != "Account" {
				t.Fatalf("describe %s: %v", r.body, err)
			}
			for _, f := range d.Fields {
				has(t, f, "name", "type", "length", "updateable", "createable", "nillable", "custom", "externalId", "picklistValues")
				if f["name"] == "Ext__c" && (f["externalId"] != true || f["custom"] != true) {
					t.Errorf("Ext__c described as %v", f)
				}
			}
		}},
		{file: "rest_sobject_create.json", object: "Account", want: http.StatusCreated, check: func(t *testing.T, r reply) {
			m := obj(t, r)
			has(t, m, "id", "success", "errors")
			createdID = m["id"].(string)
		}},
		{file: "rest_sobject_rows.json", object: "Account", record: "<created>", check: func(t *testing.T, r reply) {
			m := obj(t, r)
			if m["Name"] != "test" || m["attributes"].(map[string]any)["type"] != "Account" {
				t.Errorf("record %s", r.body)
			}
		}},
		{file: "rest_sobject_rows_update.json", object: "Account", record: "<created>", body: `{"Name": "test (updated)"}`, want: http.StatusNoContent},
		{file: "rest_sobject_rows_by_external_id.json", object: "Account", field: "Ext__c", value: "EXT-1", check: func(t *testing.T, r reply) {
			if m := obj(t, r); m["Id"] != extID {
				t.Errorf("record by external id is %v, want %s", m["Id"], extID)
			}
		}},
		{file: "rest_query.json", check: func(t *testing.T, r reply) {
			q := decode[queryResult](t, r)
			if !q.Done || q.TotalSize < 2 || len(q.Records) != q.TotalSize {
				t.Fatalf("query %s", r.body)
			}
			rec := q.Records[0]
			attrs, _ := rec["attributes"].(map[string]any)
			if attrs["type"] != "Account" || !strings.HasPrefix(attrs["url"].(string), "/services/data/v62.0/sobjects/Account/") {
				t.Errorf("attributes %v", attrs)
			}
			if _, ok := rec["Name"]; !ok {
				t.Errorf("a query for 'name' answers the field as Name: %v", rec)
			}
		}},
		{file: "rest_sobject_get_updated.json", before: later, object: "Account", params: map[string]string{"start": "<hour ago>", "end": "<minute ahead>"}, check: func(t *testing.T, r reply) {
			m := obj(t, r)
			has(t, m, "ids", "latestDateCovered")
			if !slices.Contains(m["ids"].([]any), any(createdID)) {
				t.Errorf("getUpdated %s lacks %s", r.body, createdID)
			}
		}},
		{file: "rest_sobject_rows_delete.json", object: "Account", record: "<created>", want: http.StatusNoContent},
		{file: "rest_queryall.json", check: func(t *testing.T, r reply) {
			q := decode[queryResult](t, r)
			found := slices.ContainsFunc(q.Records, func(m map[string]any) bool {
				return strings.HasSuffix(m["attributes"].(map[string]any)["url"].(string), createdID)
			})
			if !found {
				t.Errorf("queryAll %s lacks the deleted %s", r.body, createdID)
			}
		}},
		{file: "rest_sobject_get_deleted.json", before: later, object: "Account", params: map[string]string{"start": "<hour ago>", "end": "<minute ahead>"}, check: func(t *testing.T, r reply) {
			m := obj(t, r)
			has(t, m, "deletedRecords", "earliestDateAvailable", "latestDateCovered")
			recs := m["deletedRecords"].([]any)
			if len(recs) != 1 || recs[0].(map[string]any)["id"] != createdID || recs[0].(map[string]any)["deletedDate"] == nil {
				t.Errorf("getDeleted %s, want %s", r.body, createdID)
			}
		}},
		{file: "composite_sobject_collections_create.json",
			body:  `{"allOrNone": false, "records": [{"attributes": {"type": "Account"}, "Name": "Collections 1"}, {"attributes": {"type": "Account"}, "Name": "Collections 2"}, {"attributes": {"type": "Contact"}, "LastName": "Collections 3"}]}`,
			check: func(t *testing.T, r reply) { collectionIDs = checkSaveResults(t, r, 3) }},
		{file: "composite_sobject_collections_retrieve.json", object: "Account", params: map[string]string{"ids": "<collection accounts>", "fields": "Id,Name"}, check: func(t *testing.T, r reply) {
			recs := decode[[]map[string]any](t, r)
			if len(recs) != 2 || recs[0]["Name"] != "Collections 1" || recs[1]["Name"] != "Collections 2" {
				t.Errorf("retrieve %s", r.body)
			}
		}},
		{file: "composite_sobject_collections_update.json", object: "Account", body: "<collection update>",
			check: func(t *testing.T, r reply) { checkSaveResults(t, r, 2) }},
		{file: "composite_sobject_collections_delete.json", object: "Account", params: map[string]string{"ids": "<collection all>", "allOrNone": "false"},
			check: func(t *testing.T, r reply) { checkSaveResults(t, r, 3) }},
		{file: "bulk_v2_create_job.json", check: func(t *testing.T, r reply) {
			m := obj(t, r)
			has(t, m, "id", "operation", "object", "state", "contentUrl", "apiVersion")
			if m["state"] != "Open" || m["object"] != "Asset" {
				t.Errorf("job %s", r.body)
			}
			vars["_jobId"] = m["id"].(string)
		}},
		{file: "bulk_v2_upload_job_data.json", body: "Id,Name\n" + assetID + ",Forklift (serviced)\n", want: http.StatusCreated},
		{file: "bulk_v2_close_or_abort_a_job.json", check: func(t *testing.T, r reply) {
			if m := obj(t, r); m["state"] != "UploadComplete" {
				t.Errorf("closed job %s", r.body)
			}
		}},
		{file: "bulk_v2_get_job_info.json", check: func(t *testing.T, r reply) {
			if m := obj(t, r); m["state"] != "InProgress" {
				t.Errorf("first poll %s, want InProgress", r.body)
			}
		}},
		{file: "bulk_v2_get_job_info.json", check: func(t *testing.T, r reply) {
			m := obj(t, r)
			if m["state"] != "JobComplete" || m["numberRecordsProcessed"] != 1.0 || m["numberRecordsFailed"] != 0.0 {
				t.Errorf("second poll %s, want JobComplete with 1 record", r.body)
			}
		}},
		{file: "bulk_v2_get_job_successful_record_results.json", check: func(t *testing.T, r reply) {
			want := `"sf__Id","sf__Created","Id","Name"` + "\n" + `"` + assetID + `","false","` + assetID + `","Forklift (serviced)"` + "\n"
			if string(r.body) != want {
				t.Errorf("successful results %q, want %q", r.body, want)
			}
		}},
		{file: "bulk_v2_get_job_failed_record_results.json", check: func(t *testing.T, r reply) {
			if string(r.body) != `"sf__Id","sf__Error","Id","Name"`+"\n" {
				t.Errorf("failed results %q", r.body)
			}
		}},
		{file: "bulk_v2_get_job_unprocessed_record_results.json"},
		{file: "bulk_v2_get_all_jobs.json", check: func(t *testing.T, r reply) {
			has(t, obj(t, r), "done", "records", "nextRecordsUrl")
		}},
		{file: "bulk_v2_delete_job.json", want: http.StatusNoContent},
		{file: "auth_revoke_token.json", want: http.StatusOK},
	}
	// Requests the connector does not use.
	skipped := map[string]string{
		"rest_describe_global_layouts.json": "page layouts are UI metadata; the connector never reads them",
	}

	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Postman requests in %s: %v", dir, err)
	}
	covered := map[string]bool{}
	for _, s := range steps {
		covered[s.file] = true
	}
	for _, f := range files {
		name := filepath.Base(f)
		if !covered[name] && skipped[name] == "" {
			t.Errorf("%s is neither replayed nor skipped with a reason", name)
		}
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, s := range steps {
		ok := t.Run(strconv.Itoa(i)+"_"+strings.TrimSuffix(s.file, ".json"), func(t *testing.T) {
			if s.before != nil {
				s.before()
			}
			raw, err := os.ReadFile(filepath.Join(dir, s.file))
			if err != nil {
				t.Fatal(err)
			}
			var pr postmanRequest
			if err := json.Unmarshal(raw, &pr); err != nil {
				t.Fatalf("%s: %v", s.file, err)
			}
			fill := func(v string) string {
				switch v {
				case "<code>":
					return code
				case "<jwt>":
					return jwtAssertion()
				case "<created>":
					return createdID
				case "<hour ago>":
					return o.s.Now().Add(-time.Hour).Format(time.RFC3339)
				case "<minute ahead>":
					return o.s.Now().Add(time.Minute).Format(time.RFC3339)
				case "<collection accounts>":
					return strings.Join(collectionIDs[:2], ",")
				case "<collection all>":
					return strings.Join(collectionIDs, ",")
				case "<collection update>":
					b, _ := json.Marshal(map[string]any{"allOrNone": true, "records": []map[string]any{
						{"attributes": map[string]string{"type": "Account"}, "Id": collectionIDs[0], "Name": "Collections 1 (updated)"},
						{"attributes": map[string]string{"type": "Account"}, "Id": collectionIDs[1], "Industry": "Energy"},
					}})
					return string(b)
				}
				return v
			}
			subst := func(s string) string {
				return placeholder.ReplaceAllStringFunc(s, func(m string) string {
					v, ok := vars[m[2:len(m)-2]]
					if !ok {
						t.Fatalf("%s uses {{%s}}, which the sandbox does not define", pr.Name, m[2:len(m)-2])
					}
					return v
				})
			}
			u := subst(pr.URL)
			u = strings.NewReplacer("<SOBJECT_API_NAME>", s.object, "<RECORD_ID>", fill(s.record),
				"<FIELD_NAME>", s.field, "<FIELD_VALUE>", s.value).Replace(u)
			if strings.Contains(u, "<") {
				t.Fatalf("unfilled placeholder in %s", u)
			}
			// Fill the query parameters left empty, keeping the rest as written.
			if base, q, ok := strings.Cut(u, "?"); ok {
				parts := strings.Split(q, "&")
				for j, p := range parts {
					k, v, _ := strings.Cut(p, "=")
					if fv, ok := s.params[k]; ok && v == "" {
						parts[j] = k + "=" + url.QueryEscape(fill(fv))
					}
				}
				u = base + "?" + strings.Join(parts, "&")
			}

			u = strings.ReplaceAll(u, " ", "%20") // as Postman encodes it on the wire

			var body io.Reader
			headers := http.Header{}
			for _, h := range pr.HeaderData {
				if h.Enabled == nil || *h.Enabled {
					headers.Set(h.Key, subst(h.Value))
				}
			}
			mode := ""
			if pr.DataMode != nil {
				mode = *pr.DataMode
			}
			formValue := func(kv postmanKV) string {
				if fv, ok := s.form[kv.Key]; ok && kv.Value == "" {
					return fill(fv)
				}
				return subst(kv.Value)
			}
			switch mode {
			case "urlencoded":
				form := url.Values{}
				for _, kv := range pr.Data {
					form.Add(kv.Key, formValue(kv))
				}
				body = strings.NewReader(form.Encode())
			case "params":
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				for _, kv := range pr.Data {
					_ = mw.WriteField(kv.Key, formValue(kv))
				}
				_ = mw.Close()
				headers.Set("Content-Type", mw.FormDataContentType())
				body = &buf
			case "raw", "binary":
				text := ""
				if pr.RawModeData != nil {
					text = subst(*pr.RawModeData)
				}
				if s.body != "" {
					text = fill(s.body)
				}
				if text != "" {
					body = strings.NewReader(text)
				}
			}
			req, err := http.NewRequest(pr.Method, u, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = headers
			if !bytes.Contains(pr.Auth, []byte("noauth")) {
				req.Header.Set("Authorization", "Bearer "+vars["_accessToken"])
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			r := reply{status: resp.StatusCode, header: resp.Header, body: b}
			want := s.want
			if (want == 0 && (r.status < 200 || r.status > 299)) || (want != 0 && r.status != want) {
				t.Fatalf("%s %s: status %d, want %v: %s", pr.Method, u, r.status, max(want, 200), b)
			}
			if strings.Contains(u, "/services/data/v") && !strings.HasPrefix(r.header.Get("Sforce-Limit-Info"), "api-usage=") {
				t.Errorf("no Sforce-Limit-Info header on %s", u)
			}
			if s.check != nil {
				s.check(t, r)
			}
		})
		if !ok {
			t.Fatalf("step %d (%s) failed; later steps depend on it", i, s.file)
		}
	}

	// The revoked token no longer opens a session.
	o.token = vars["_accessToken"]
	wantError(t, o.query("SELECT Id FROM Account"), 401, "INVALID_SESSION_ID")
}

// saveResultWire is one element of a Collections answer, as a client reads
// it.
type saveResultWire struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Errors  []struct {
		StatusCode string   `json:"statusCode"`
		Message    string   `json:"message"`
		Fields     []string `json:"fields"`
	} `json:"errors"`
	Created *bool `json:"created"`
}
