package msgraph

import (
	"testing"

	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// FuzzDecodeContact: whatever Graph sends, decoding a contact never
// panics; a contact it reads has an id and every mailbox field as a
// string, its categories in their canonical joined form; a tombstone has
// no fields.
func FuzzDecodeContact(f *testing.F) {
	for _, s := range []string{
		`{"id":"AAMk1","givenName":"Ana","surname":"Ruiz","emailAddresses":[{"name":"Ana","address":"ana@example.com"}],"categories":["b","a","a"],"lastModifiedDateTime":"2026-03-01T09:00:00Z"}`,
		`{"id":"AAMk2","@removed":{"reason":"deleted"}}`,
		`{"id":"AAMk3","businessAddress":{"city":"Lyon"},"businessPhones":["+1"],"homePhones":[],"singleValueExtendedProperties":[{"id":"` + keyProperty + `","value":"k"}]}`,
		`{"id":"AAMk4","emailAddresses":"x"}`,
		`{"id":"AAMk5","lastModifiedDateTime":"soon"}`,
		`{"givenName":"no id"}`,
		`[]`, `null`, `{"id":7}`, `{"id":"x","categories":[" ; ",""]}`,
	} {
		f.Add([]byte(s))
	}
	fields := []string{mailbox.GivenName, mailbox.MiddleName, mailbox.Surname, mailbox.DisplayName, mailbox.CompanyName,
		mailbox.JobTitle, mailbox.Department, mailbox.Email, mailbox.Email2, mailbox.Email3, mailbox.BusinessPhone,
		mailbox.MobilePhone, mailbox.HomePhone, mailbox.Street, mailbox.City, mailbox.State, mailbox.PostalCode,
		mailbox.Country, mailbox.Categories, mailbox.Notes, mailbox.FolderID}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, err := decodeContact(raw)
		if err != nil {
			if rec.Fields != nil {
				t.Fatalf("an unreadable contact has fields: %+v", rec)
			}
			return
		}
		if rec.ID == "" {
			t.Fatalf("a contact read without an id: %s", raw)
		}
		if rec.Deleted {
			if rec.Fields != nil {
				t.Fatalf("a tombstone with fields: %+v", rec)
			}
			return
		}
		for _, name := range fields {
			if _, ok := rec.Fields[name].(string); !ok {
				t.Fatalf("field %s is %T in %s", name, rec.Fields[name], raw)
			}
		}
		if len(rec.Fields) != len(fields) {
			t.Fatalf("%d fields, want %d", len(rec.Fields), len(fields))
		}
		cats := rec.Fields[mailbox.Categories].(string)
		if again := mailbox.JoinCategories(mailbox.SplitCategories(cats)); again != cats {
			t.Fatalf("categories %q are not canonical (%q)", cats, again)
		}
	})
}
