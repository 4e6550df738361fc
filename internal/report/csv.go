package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSVHeader is the first line WriteCSV writes.
var CSVHeader = []string{"user", "status", "subject", "start", "end", "duration_minutes",
	"participants", "attendees", "account", "contact", "opportunity"}

// WriteCSV writes groups as CSV, one row per meeting, times in RFC 3339.
func WriteCSV(w io.Writer, groups []Group) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	for _, g := range groups {
		for _, m := range g.Rows {
			rec := []string{m.Owner, m.Status, m.Subject, ts(m.Start), ts(m.End), strconv.Itoa(m.Duration),
				strconv.Itoa(m.Participants), m.Attendees, m.Account, m.Contact, m.Opportunity}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("report csv: event %s: %w", m.EventID, err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	return nil
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
