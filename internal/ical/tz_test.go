package ical_test

import (
	"errors"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/ical"
)

// SPEC M11: a start entered in the organizer's zone converts to UTC and to
// the customer's zone across the DST switch weeks of three zones; a
// nonexistent local time is refused, an ambiguous one is its first
// occurrence.
func TestLocalTimeAcrossDST(t *testing.T) {
	t.Parallel()
	type wall struct {
		y    int
		m    time.Month
		d, h int
		min  int
	}
	cases := []struct {
		name       string
		zone       string
		at         wall
		wantUTC    string // "" when the time does not exist
		ambiguous  bool
		customer   string
		wantInCust string
	}{
		{"NY before spring switch", "America/New_York", wall{2026, 3, 7, 10, 0}, "2026-03-07T15:00:00Z", false, "Europe/Paris", "2026-03-07 16:00 CET"},
		{"NY after spring switch, Paris not yet", "America/New_York", wall{2026, 3, 9, 10, 0}, "2026-03-09T14:00:00Z", false, "Europe/Paris", "2026-03-09 15:00 CET"},
		{"NY spring gap", "America/New_York", wall{2026, 3, 8, 2, 30}, "", false, "", ""},
		{"NY fall repeated hour", "America/New_York", wall{2026, 11, 1, 1, 30}, "2026-11-01T05:30:00Z", true, "Australia/Sydney", "2026-11-01 16:30 AEDT"},
		{"NY after fall switch", "America/New_York", wall{2026, 11, 2, 9, 0}, "2026-11-02T14:00:00Z", false, "Europe/Paris", "2026-11-02 15:00 CET"},
		{"Paris spring gap", "Europe/Paris", wall{2026, 3, 29, 2, 30}, "", false, "", ""},
		{"Paris after spring switch", "Europe/Paris", wall{2026, 3, 29, 3, 0}, "2026-03-29T01:00:00Z", false, "America/New_York", "2026-03-28 21:00 EDT"},
		{"Paris fall repeated hour", "Europe/Paris", wall{2026, 10, 25, 2, 30}, "2026-10-25T00:30:00Z", true, "America/New_York", "2026-10-24 20:30 EDT"},
		{"Paris between the two fall switches", "Europe/Paris", wall{2026, 10, 26, 15, 0}, "2026-10-26T14:00:00Z", false, "America/New_York", "2026-10-26 10:00 EDT"},
		{"Sydney fall repeated hour (April)", "Australia/Sydney", wall{2026, 4, 5, 2, 30}, "2026-04-04T15:30:00Z", true, "Europe/Paris", "2026-04-04 17:30 CEST"},
		{"Sydney after April switch", "Australia/Sydney", wall{2026, 4, 6, 9, 0}, "2026-04-05T23:00:00Z", false, "America/New_York", "2026-04-05 19:00 EDT"},
		{"Sydney spring gap (October)", "Australia/Sydney", wall{2026, 10, 4, 2, 30}, "", false, "", ""},
		{"Sydney after October switch", "Australia/Sydney", wall{2026, 10, 5, 9, 0}, "2026-10-04T22:00:00Z", false, "Europe/Paris", "2026-10-05 00:00 CEST"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			loc := mustZone(t, tc.zone)
			got, err := ical.LocalTime(loc, tc.at.y, tc.at.m, tc.at.d, tc.at.h, tc.at.min)
			if tc.wantUTC == "" {
				if !errors.Is(err, ical.ErrNonexistentTime) {
					t.Fatalf("nonexistent time: got %v, %v; want ErrNonexistentTime", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := got.UTC().Format(time.RFC3339); s != tc.wantUTC {
				t.Errorf("UTC = %s, want %s", s, tc.wantUTC)
			}
			if a := ical.Ambiguous(loc, tc.at.y, tc.at.m, tc.at.d, tc.at.h, tc.at.min); a != tc.ambiguous {
				t.Errorf("Ambiguous = %v, want %v", a, tc.ambiguous)
			}
			if s := got.In(mustZone(t, tc.customer)).Format("2006-01-02 15:04 MST"); s != tc.wantInCust {
				t.Errorf("in %s: %s, want %s", tc.customer, s, tc.wantInCust)
			}
		})
	}
}
