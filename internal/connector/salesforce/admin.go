package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmsync/crmsync/internal/admin"
)

// The connector is the CRM behind CRM sync administration (SPEC A1): the
// admin package talks to admin.CRM only, so another CRM plugs in the same way.
var _ admin.CRM = (*Connector)(nil)

// Query runs a SOQL query and returns every record of every page.
func (c *Connector) Query(ctx context.Context, soql string) ([]map[string]any, error) {
	var out []map[string]any
	path := "/query?q=" + url.QueryEscape(soql)
	for path != "" {
		var q queryResponse
		if err := c.do(ctx, http.MethodGet, path, nil, &q); err != nil {
			return nil, fmt.Errorf("salesforce: query: %w", err)
		}
		for _, r := range q.Records {
			delete(r, "attributes")
			out = append(out, r)
		}
		path = ""
		if !q.Done {
			path = q.NextRecordsURL
		}
	}
	return out, nil
}

// Users lists the org's CRM users with their profiles (SPEC A2).
func (c *Connector) Users(ctx context.Context) ([]admin.CRMUser, error) {
	profiles := map[string]string{}
	ps, err := c.Query(ctx, "SELECT Id, Name FROM Profile")
	if err != nil {
		return nil, fmt.Errorf("salesforce: users: %w", err)
	}
	for _, p := range ps {
		profiles[str(p["Id"])] = str(p["Name"])
	}
	rs, err := c.Query(ctx, "SELECT Id, Username, Email, FirstName, LastName, IsActive, ProfileId, ManagerId FROM User ORDER BY Username")
	if err != nil {
		return nil, fmt.Errorf("salesforce: users: %w", err)
	}
	users := make([]admin.CRMUser, 0, len(rs))
	for _, r := range rs {
		active, _ := r["IsActive"].(bool)
		users = append(users, admin.CRMUser{
			ID: str(r["Id"]), Username: str(r["Username"]), Email: strings.ToLower(str(r["Email"])),
			Name:    strings.TrimSpace(str(r["FirstName"]) + " " + str(r["LastName"])),
			Profile: profiles[str(r["ProfileId"])], ManagerID: str(r["ManagerId"]), Active: active,
		})
	}
	return users, nil
}

// Describe reports object's fields and what the integration user may do
// with each, from sobjects/{object}/describe; a scoped name (Scope) is
// described as its object.
func (c *Connector) Describe(ctx context.Context, object string) (map[string]admin.FieldAccess, error) {
	sel, err := parseObject(object)
	if err != nil {
		return nil, err
	}
	object = sel.name
	var d describeResponse
	if err := c.do(ctx, http.MethodGet, "/sobjects/"+url.PathEscape(object)+"/describe", nil, &d); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	out := make(map[string]admin.FieldAccess, len(d.Fields))
	for _, f := range d.Fields {
		out[f.Name] = admin.FieldAccess{Createable: f.Createable, Updateable: f.Updateable}
	}
	return out, nil
}

// Owned lists the records of object (Lead, Account) that ownerID owns,
// by name (SPEC A3).
func (c *Connector) Owned(ctx context.Context, object, ownerID string) ([]admin.SavedItem, error) {
	if !isSalesforceID(ownerID) {
		return nil, fmt.Errorf("salesforce: owned %s: %q is not a Salesforce id", object, ownerID)
	}
	rs, err := c.Query(ctx, "SELECT Id, Name FROM "+object+" WHERE OwnerId = '"+ownerID+"' ORDER BY Name")
	if err != nil {
		return nil, fmt.Errorf("salesforce: owned %s: %w", object, err)
	}
	out := make([]admin.SavedItem, 0, len(rs))
	for _, r := range rs {
		out = append(out, admin.SavedItem{ID: str(r["Id"]), Name: str(r["Name"])})
	}
	return out, nil
}

// isSalesforceID reports whether s has the shape of a record id (15 or 18
// letters and digits), which makes it safe inside a SOQL literal.
func isSalesforceID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
