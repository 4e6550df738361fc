package report

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func TestM16CSVRowsPerGroup(t *testing.T) {
	evs, names := seeded(t)
	rows, err := Meetings(evs, names, "U1", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteCSV(&b, ByUserStatus(rows)); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("csv = %q, want header and 2 rows", recs)
	}
	want := []string{"U1", "held", "Demo", "2026-11-02T10:00:00Z", "2026-11-02T10:30:00Z", "30", "3", "Ann; Bob; Cy", "Acme", "Ann Lee", "Big deal"}
	if strings.Join(recs[2], "|") != strings.Join(want, "|") {
		t.Errorf("row = %q, want %q", recs[2], want)
	}
}
