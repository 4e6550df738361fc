package msgraph

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// csdl is the part of Graph's CSDL metadata the test reads.
type csdl struct {
	Schemas []struct {
		Namespace string     `xml:"Namespace,attr"`
		Alias     string     `xml:"Alias,attr"`
		Entities  []csdlType `xml:"EntityType"`
		Complexes []csdlType `xml:"ComplexType"`
		Enums     []csdlEnum `xml:"EnumType"`
	} `xml:"DataServices>Schema"`
}

type csdlType struct {
	Name     string     `xml:"Name,attr"`
	BaseType string     `xml:"BaseType,attr"`
	Props    []csdlProp `xml:"Property"`
	Navs     []csdlProp `xml:"NavigationProperty"`
}

type csdlProp struct {
	Name string `xml:"Name,attr"`
	Type string `xml:"Type,attr"`
}

type csdlEnum struct {
	Name    string `xml:"Name,attr"`
	Members []struct {
		Name string `xml:"Name,attr"`
	} `xml:"Member"`
}

// model indexes microsoft.graph's types by short name.
type model struct {
	types map[string]csdlType
	enums map[string][]string
}

func loadModel(path string) (*model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc csdl
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	m := &model{types: map[string]csdlType{}, enums: map[string][]string{}}
	for _, s := range doc.Schemas {
		if s.Namespace != "microsoft.graph" {
			continue
		}
		for _, t := range append(s.Entities, s.Complexes...) {
			m.types[t.Name] = t
		}
		for _, e := range s.Enums {
			for _, mem := range e.Members {
				m.enums[e.Name] = append(m.enums[e.Name], mem.Name)
			}
		}
	}
	if len(m.types) == 0 {
		return nil, errors.New("no microsoft.graph types in the document")
	}
	return m, nil
}

func short(t string) string {
	t = strings.TrimPrefix(t, "graph.")
	return strings.TrimPrefix(t, "microsoft.graph.")
}

// props is every property of type name, its base types' included.
func (m *model) props(name string) (map[string]string, error) {
	out := map[string]string{}
	for name != "" {
		t, ok := m.types[name]
		if !ok {
			return nil, fmt.Errorf("type %s is not in the CSDL", name)
		}
		for _, p := range slices.Concat(t.Props, t.Navs) {
			if _, seen := out[p.Name]; !seen {
				out[p.Name] = p.Type
			}
		}
		name = short(t.BaseType)
	}
	return out, nil
}

// check reports every property of the JSON object v that type typ lacks
// or holds with an incompatible type, by path.
func (m *model) check(v map[string]any, typ, path string) []error {
	props, err := m.props(typ)
	if err != nil {
		return []error{err}
	}
	var errs []error
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "@") {
			continue // an OData annotation (@odata.etag, @removed)
		}
		pt, ok := props[k]
		if !ok {
			errs = append(errs, fmt.Errorf("%s.%s: no such property on %s", path, k, typ))
			continue
		}
		errs = append(errs, m.value(v[k], pt, path+"."+k)...)
	}
	return errs
}

func (m *model) value(v any, typ, path string) []error {
	if inner, ok := strings.CutPrefix(typ, "Collection("); ok {
		arr, isArr := v.([]any)
		if !isArr {
			return []error{fmt.Errorf("%s: %T for %s, want an array", path, v, typ)}
		}
		var errs []error
		for i, e := range arr {
			errs = append(errs, m.value(e, strings.TrimSuffix(inner, ")"), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return errs
	}
	if v == nil {
		return nil // every property the sandbox emits is nullable in Graph
	}
	bad := func(want string) []error {
		return []error{fmt.Errorf("%s: %T %v for %s, want %s", path, v, v, typ, want)}
	}
	switch typ {
	case "Edm.String":
		if _, ok := v.(string); !ok {
			return bad("a string")
		}
		return nil
	case "Edm.DateTimeOffset":
		s, ok := v.(string)
		if !ok {
			return bad("a date-time string")
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return bad("RFC 3339")
		}
		return nil
	case "Edm.Boolean":
		if _, ok := v.(bool); !ok {
			return bad("a boolean")
		}
		return nil
	case "Edm.Int32", "Edm.Int64", "Edm.Double":
		if _, ok := v.(float64); !ok {
			return bad("a number")
		}
		return nil
	}
	name := short(typ)
	if members, ok := m.enums[name]; ok {
		if s, isStr := v.(string); !isStr || !slices.Contains(members, s) {
			return bad("a member of " + name)
		}
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return bad("an object")
	}
	return m.check(obj, name, path)
}

// csdlPath finds Graph's v1.0 metadata beside the repository: the
// project's shared/apis directory next to the repository root.
func csdlPath(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
	return filepath.Join(dir, "..", "shared", "apis", "msgraph", "v1.0-Prod.csdl")
}

func requireModel(t *testing.T) *model {
	t.Helper()
	p := csdlPath(t)
	m, err := loadModel(p)
	if errors.Is(err, os.ErrNotExist) {
		if os.Getenv("CRMSYNC_REQUIRE_PEERS") == "1" {
			t.Fatalf("Graph's CSDL is missing at %s and CRMSYNC_REQUIRE_PEERS=1", p)
		}
		t.Skipf("Graph's v1.0 CSDL is not beside the repository (%s); set it up to check the wire shapes", p)
	}
	if err != nil {
		t.Fatalf("CSDL %s: %v", p, err)
	}
	return m
}

func decodeObject(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return v
}

// Every property the sandbox writes for a contact, a contact folder, a
// category and a directory user is one Graph's v1.0 metadata defines on
// that type or its base types (contact → outlookItem → entity), with a
// compatible JSON type; nested emailAddress and physicalAddress too. The
// contacts domain (SPEC C1–C11) reads these shapes from the real Graph.
func TestSandboxMatchesCSDL(t *testing.T) {
	t.Parallel()
	m := requireModel(t)
	r := newRig(t, Config{Seed: SeedConfig{Users: 2, Contacts: 3}})
	u := r.s.Users()[0]
	full := map[string]any{
		"givenName": "Ana", "middleName": "M", "surname": "Ruiz", "displayName": "Ana M Ruiz", "fileAs": "Ruiz, Ana",
		"initials": "A.R.", "nickName": "Annie", "title": "Dr", "companyName": "Contoso", "jobTitle": "CTO", "department": "IT",
		"officeLocation": "B1", "emailAddresses": []map[string]string{{"name": "Ana", "address": "ana@example.com"}},
		"businessPhones": []string{"+1 555 0100"}, "mobilePhone": "+1 555 0101", "homePhones": []string{"+1 555 0102"},
		"imAddresses": []string{"ana@im"}, "businessAddress": map[string]string{"street": "1 Main St", "city": "Seattle", "state": "WA", "postalCode": "98101", "countryOrRegion": "US"},
		"homeAddress": map[string]string{"city": "Lisbon"}, "otherAddress": map[string]string{"city": "Osaka"},
		"personalNotes": "notes", "birthday": "1990-05-01T00:00:00Z", "categories": []string{"Red category"},
		"singleValueExtendedProperties": []map[string]string{{"id": "String {00020329-0000-0000-c000-000000000046} Name crmsyncKey", "value": "k1"}},
	}
	var created json.RawMessage
	if code, body := r.do("", "POST", "/users/"+u.ID+"/contacts", full, &created); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	id := decodeObject(t, created)["id"].(string)
	var expanded json.RawMessage
	if code, body := r.do("", "GET", "/users/"+u.ID+"/contacts/"+id+"?$expand=singleValueExtendedProperties", nil, &expanded); code != 200 {
		t.Fatalf("get: %d %s", code, body)
	}
	samples := []struct {
		name, typ string
		raw       json.RawMessage
	}{{"created contact", "contact", created}, {"expanded contact", "contact", expanded}}
	for _, c := range []struct{ path, typ string }{
		{"/users/" + u.ID + "/contacts", "contact"},
		{"/users/" + u.ID + "/contacts/delta", "contact"},
		{"/users/" + u.ID + "/contactFolders", "contactFolder"},
		{"/users/" + u.ID + "/outlook/masterCategories", "outlookCategory"},
		{"/users", "user"},
	} {
		var p page
		if code, body := r.do("", "GET", c.path, nil, &p); code != 200 || len(p.Value) == 0 {
			t.Fatalf("%s: %d %s", c.path, code, body)
		}
		for _, v := range p.Value {
			samples = append(samples, struct {
				name, typ string
				raw       json.RawMessage
			}{c.path, c.typ, v})
		}
	}
	for _, s := range samples {
		for _, err := range m.check(decodeObject(t, s.raw), s.typ, s.typ) {
			t.Errorf("%s: %v", s.name, err)
		}
	}
	// The full contact really carried every property through.
	got := decodeObject(t, expanded)
	for k := range full {
		if got[k] == nil {
			t.Errorf("the contact lost %s: %s", k, expanded)
		}
	}
}

// The check above can fail: a misspelt property, a string where Graph
// has a collection, an unknown color and a nested misspelling are each
// caught.
func TestCSDLCheckCatchesMistakes(t *testing.T) {
	t.Parallel()
	m := requireModel(t)
	for _, c := range []struct{ name, typ, json string }{
		{"misspelt", "contact", `{"id":"x","givenNmae":"Ana"}`},
		{"not a collection", "contact", `{"id":"x","businessPhones":"+1 555"}`},
		{"nested misspelling", "contact", `{"id":"x","businessAddress":{"zip":"1"}}`},
		{"bad date", "contact", `{"id":"x","lastModifiedDateTime":"yesterday"}`},
		{"unknown color", "outlookCategory", `{"id":"x","displayName":"A","color":"purple"}`},
		{"email as string", "contact", `{"id":"x","emailAddresses":["a@example.com"]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if errs := m.check(decodeObject(t, []byte(c.json)), c.typ, c.typ); len(errs) == 0 {
				t.Errorf("%s passed the check", c.json)
			}
		})
	}
}
