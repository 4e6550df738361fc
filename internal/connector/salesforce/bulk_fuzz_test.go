package salesforce

import (
	"strings"
	"testing"
)

// FuzzBulkCSV feeds outside input to the Bulk results reader: it may
// refuse a page, never panic, and a page it accepts has every row keyed by
// the header with the value types of a REST query's JSON.
func FuzzBulkCSV(f *testing.F) {
	f.Add("\"Id\",\"LastName\",\"HasOptedOutOfEmail\",\"NumberOfEmployees\",\"SystemModstamp\",\"Birthdate\"\n" +
		"\"003000000000001AAA\",\"O'Brien, \"\"Pat\"\"\",\"false\",\"12\",\"2026-03-02T09:00:00.000Z\",\"1990-01-02\"\n" +
		"\"003000000000002AAA\",\"Line\nbreak\",,,\"2026-03-02T09:00:00.000Z\",\n")
	f.Add("\"Id\"\n")
	f.Add("")
	f.Add("\"Id\",\"Id\"\n\"a\",\"b\"\n")
	f.Add("\"Id\",\"HasOptedOutOfEmail\"\n\"a\",\"maybe\"\n")
	f.Add("\"Id\",\"SystemModstamp\"\n\"a\",\"yesterday\"\n")
	f.Add("\"Id\",\"x\"\n\"a\"\n")
	types := map[string]string{"Id": "id", "LastName": "string", "HasOptedOutOfEmail": "boolean",
		"NumberOfEmployees": "int", "SystemModstamp": "datetime", "Birthdate": "date"}
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := parseBulkCSV(strings.NewReader(s), types)
		if err != nil {
			return
		}
		for i, r := range rows {
			for k, v := range r {
				switch v.(type) {
				case nil, string, bool, float64:
				default:
					t.Fatalf("row %d, %s: %T", i, k, v)
				}
				if typ := types[k]; v != nil {
					switch typ {
					case "boolean":
						if _, ok := v.(bool); !ok {
							t.Fatalf("row %d, %s: %v is no bool", i, k, v)
						}
					case "int":
						if _, ok := v.(float64); !ok {
							t.Fatalf("row %d, %s: %v is no number", i, k, v)
						}
					case "datetime":
						if parseTime(v).IsZero() {
							t.Fatalf("row %d, %s: %v does not read back as a datetime", i, k, v)
						}
					}
				}
			}
			if i > 0 && len(r) != len(rows[0]) {
				t.Fatalf("row %d has %d fields, row 0 %d", i, len(r), len(rows[0]))
			}
		}
	})
}
