package task

import (
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// SPEC T4: the command center's days are the user's, else the org's.
func TestZone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		user, org, want string
	}{
		{"Europe/Stockholm", "America/New_York", "Europe/Stockholm"},
		{"", "America/New_York", "America/New_York"},
		{"Mars/Olympus", "America/New_York", "America/New_York"},
		{"", "", "UTC"},
		{"", "Nowhere/Else", "UTC"},
	}
	for _, tt := range tests {
		got := Zone(store.User{TimeZone: tt.user}, store.Org{TimeZone: tt.org}).String()
		if got != tt.want {
			t.Errorf("Zone(user %q, org %q) = %s, want %s", tt.user, tt.org, got, tt.want)
		}
	}
}

// SPEC T4: today and tomorrow turn over at local midnight, on the days
// daylight-saving time starts and ends too.
func TestDays(t *testing.T) {
	t.Parallel()
	sto, _ := time.LoadLocation("Europe/Stockholm")
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		at              time.Time
		loc             *time.Location
		today, tomorrow string
	}{
		{time.Date(2026, 3, 1, 22, 59, 59, 0, time.UTC), sto, "2026-03-01", "2026-03-02"},
		{time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), sto, "2026-03-02", "2026-03-03"},
		{time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), sto, "2026-03-29", "2026-03-30"},  // the 23-hour day
		{time.Date(2026, 10, 24, 22, 30, 0, 0, time.UTC), sto, "2026-10-25", "2026-10-26"}, // the 25-hour day
		{time.Date(2026, 3, 8, 4, 59, 59, 0, time.UTC), ny, "2026-03-07", "2026-03-08"},
		{time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), ny, "2026-03-08", "2026-03-09"},
		{time.Date(2026, 11, 1, 4, 30, 0, 0, time.UTC), ny, "2026-11-01", "2026-11-02"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), time.UTC, "2026-12-31", "2027-01-01"},
	}
	for _, tt := range tests {
		today, tomorrow := Days(tt.at, tt.loc)
		if today != tt.today || tomorrow != tt.tomorrow {
			t.Errorf("Days(%v, %s) = %s, %s; want %s, %s", tt.at, tt.loc, today, tomorrow, tt.today, tt.tomorrow)
		}
	}
}
