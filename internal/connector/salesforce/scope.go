package salesforce

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/connector"
)

// Scope writes the object name of a scoped listing: the records of object
// whose field holds one of values, e.g. the Contacts a user may see,
// "Contact?OwnerId=005…,005…" (SPEC C8). Changes lists only those; Write
// takes the name with or without the scope. Several fields given to
// parseObject are ANDed.
func Scope(object, field string, values []string) string {
	vs := slices.Clone(values)
	slices.Sort(vs)
	return object + "?" + url.Values{field: {strings.Join(slices.Compact(vs), ",")}}.Encode()
}

// selection is an object name parsed: the sObject and the SOQL condition
// its scope makes ("" for every record).
type selection struct {
	name, where string
}

// clause is the selection's WHERE clause with a leading space, or "".
func (s selection) clause() string {
	if s.where == "" {
		return ""
	}
	return " WHERE " + s.where
}

var soqlName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// parseObject reads "Object" or "Object?Field=v1,v2&Other=v3".
func parseObject(object string) (selection, error) {
	name, query, scoped := strings.Cut(object, "?")
	if !soqlName.MatchString(name) {
		return selection{}, fmt.Errorf("salesforce: object %q: not an sObject name: %w", object, connector.ErrInvalid)
	}
	if !scoped {
		return selection{name: name}, nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return selection{}, fmt.Errorf("salesforce: object %q: scope: %w", object, err)
	}
	fields := make([]string, 0, len(q))
	for f := range q {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	var conds []string
	for _, f := range fields {
		if !soqlName.MatchString(f) {
			return selection{}, fmt.Errorf("salesforce: object %q: scope field %q: not a field name: %w", object, f, connector.ErrInvalid)
		}
		var quoted []string
		for _, v := range q[f] {
			for part := range strings.SplitSeq(v, ",") {
				if part != "" {
					quoted = append(quoted, Quote(part))
				}
			}
		}
		if len(quoted) == 0 {
			// An empty scope selects nothing, never everything.
			conds = append(conds, "Id = null")
			continue
		}
		conds = append(conds, f+" IN ("+strings.Join(quoted, ", ")+")")
	}
	return selection{name: name, where: strings.Join(conds, " AND ")}, nil
}

// QuoteList writes values as the list of a SOQL IN clause.
func QuoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = Quote(v)
	}
	return strings.Join(q, ", ")
}

// Quote writes a value as a SOQL string literal.
func Quote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return "'" + r.Replace(v) + "'"
}
