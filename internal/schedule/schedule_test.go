package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func daily(at string) store.Schedule { return store.Schedule{Kind: store.ScheduleDaily, At: at} }

// SPEC X1: interval, hourly, daily at an admin-set time, continuous, manual.
func TestNext(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-01T12:00:00Z")
	tests := []struct {
		name   string
		sched  store.Schedule
		zone   string
		last   time.Time
		want   time.Time // zero with ok false
		wantOK bool
	}{
		{"manual never runs by itself", store.Schedule{Kind: store.ScheduleManual}, "UTC", now.Add(-time.Hour), time.Time{}, false},
		{"invalid schedule never runs", store.Schedule{Kind: store.ScheduleInterval}, "UTC", now.Add(-time.Hour), time.Time{}, false},
		{"empty kind never runs", store.Schedule{}, "UTC", time.Time{}, time.Time{}, false},
		{"interval never run is due now", store.Schedule{Kind: store.ScheduleInterval, Minutes: 15}, "UTC", time.Time{}, now, true},
		{"interval after last run", store.Schedule{Kind: store.ScheduleInterval, Minutes: 15}, "UTC", utc("2026-06-01T11:50:00Z"), utc("2026-06-01T12:05:00Z"), true},
		{"interval long overdue is due once", store.Schedule{Kind: store.ScheduleInterval, Minutes: 1}, "UTC", utc("2026-05-01T00:00:00Z"), utc("2026-05-01T00:01:00Z"), true},
		{"hourly after last run", store.Schedule{Kind: store.ScheduleHourly}, "Asia/Kolkata", utc("2026-06-01T11:20:00Z"), utc("2026-06-01T12:20:00Z"), true},
		{"continuous default poll", store.Schedule{Kind: store.ScheduleContinuous}, "UTC", utc("2026-06-01T11:59:00Z"), utc("2026-06-01T12:01:00Z"), true},
		{"continuous custom poll", store.Schedule{Kind: store.ScheduleContinuous, Minutes: 5}, "UTC", utc("2026-06-01T11:59:00Z"), utc("2026-06-01T12:04:00Z"), true},
		{"daily never run is due now", daily("09:00"), "America/New_York", time.Time{}, now, true},
		{"daily later the same day", daily("09:00"), "America/New_York", utc("2026-06-01T12:00:00Z"), utc("2026-06-01T13:00:00Z"), true},
		{"daily the next day", daily("09:00"), "America/New_York", utc("2026-06-01T13:00:05Z"), utc("2026-06-02T13:00:00Z"), true},
		{"daily nil zone is UTC", daily("09:00"), "", utc("2026-06-01T09:00:05Z"), utc("2026-06-02T09:00:00Z"), true},
		{"daily at midnight", daily("00:00"), "Europe/Paris", utc("2026-06-01T21:59:00Z"), utc("2026-06-01T22:00:00Z"), true},

		// America/New_York 2026: clocks go 02:00 EST -> 03:00 EDT on 8 March,
		// 02:00 EDT -> 01:00 EST on 1 November.
		{"NY keeps 09:00 local across spring-forward", daily("09:00"), "America/New_York", utc("2026-03-07T14:00:00Z"), utc("2026-03-08T13:00:00Z"), true},
		{"NY 02:30 does not exist: first instant after the gap", daily("02:30"), "America/New_York", utc("2026-03-07T07:30:00Z"), utc("2026-03-08T07:00:00Z"), true},
		{"NY day after the gap is back to 02:30", daily("02:30"), "America/New_York", utc("2026-03-08T07:00:05Z"), utc("2026-03-09T06:30:00Z"), true},
		{"NY 01:30 repeated: first occurrence", daily("01:30"), "America/New_York", utc("2026-10-31T05:30:00Z"), utc("2026-11-01T05:30:00Z"), true},
		{"NY 01:30 repeated: runs once", daily("01:30"), "America/New_York", utc("2026-11-01T05:30:20Z"), utc("2026-11-02T06:30:00Z"), true},
		{"NY 01:30 repeated: a run between them does not bring the second", daily("01:30"), "America/New_York", utc("2026-11-01T06:00:00Z"), utc("2026-11-02T06:30:00Z"), true},
		{"NY keeps 09:00 local across fall-back", daily("09:00"), "America/New_York", utc("2026-10-31T13:00:00Z"), utc("2026-11-01T14:00:00Z"), true},

		// Europe/Paris 2026: 02:00 CET -> 03:00 CEST on 29 March,
		// 03:00 CEST -> 02:00 CET on 25 October.
		{"Paris 02:30 does not exist: first instant after the gap", daily("02:30"), "Europe/Paris", utc("2026-03-28T01:30:00Z"), utc("2026-03-29T01:00:00Z"), true},
		{"Paris 02:00 does not exist either", daily("02:00"), "Europe/Paris", utc("2026-03-28T01:00:00Z"), utc("2026-03-29T01:00:00Z"), true},
		{"Paris 03:00 exists on spring-forward", daily("03:00"), "Europe/Paris", utc("2026-03-28T02:00:00Z"), utc("2026-03-29T01:00:00Z"), true},
		{"Paris 02:30 repeated: first occurrence", daily("02:30"), "Europe/Paris", utc("2026-10-24T00:30:00Z"), utc("2026-10-25T00:30:00Z"), true},
		{"Paris 02:30 repeated: runs once", daily("02:30"), "Europe/Paris", utc("2026-10-25T00:30:10Z"), utc("2026-10-26T01:30:00Z"), true},

		// Australia/Sydney 2026: 03:00 AEDT -> 02:00 AEST on 5 April,
		// 02:00 AEST -> 03:00 AEDT on 4 October.
		{"Sydney 02:30 repeated: first occurrence", daily("02:30"), "Australia/Sydney", utc("2026-04-03T15:30:00Z"), utc("2026-04-04T15:30:00Z"), true},
		{"Sydney 02:30 repeated: runs once", daily("02:30"), "Australia/Sydney", utc("2026-04-04T15:30:10Z"), utc("2026-04-05T16:30:00Z"), true},
		{"Sydney 02:30 does not exist: first instant after the gap", daily("02:30"), "Australia/Sydney", utc("2026-10-02T16:30:00Z"), utc("2026-10-03T16:00:00Z"), true},
		{"Sydney 08:00 across spring-forward", daily("08:00"), "Australia/Sydney", utc("2026-10-02T22:00:00Z"), utc("2026-10-03T21:00:00Z"), true},

		// Zones with odd transitions: Santiago skips midnight, Lord Howe
		// shifts by 30 minutes.
		{"Santiago midnight does not exist", daily("00:00"), "America/Santiago", utc("2026-09-05T04:00:00Z"), utc("2026-09-06T04:00:00Z"), true},
		{"Lord Howe 01:45 repeated: first occurrence", daily("01:45"), "Australia/Lord_Howe", utc("2026-04-03T14:45:00Z"), utc("2026-04-04T14:45:00Z"), true},
		{"Lord Howe 02:15 does not exist", daily("02:15"), "Australia/Lord_Howe", utc("2026-10-02T15:45:00Z"), utc("2026-10-03T15:30:00Z"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var loc *time.Location
			if tt.zone != "" {
				loc = mustLoad(t, tt.zone)
			}
			got, ok := Next(tt.sched, loc, tt.last, now)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Fatalf("Next(%+v, %s, %s) = %s, %v; want %s, %v",
					tt.sched, tt.zone, tt.last.Format(time.RFC3339), got.UTC().Format(time.RFC3339), ok,
					tt.want.UTC().Format(time.RFC3339), tt.wantOK)
			}
		})
	}
}

// TestNextDailyYear follows a daily schedule through whole years and checks
// that it runs exactly once per local calendar day, at the requested wall
// time, or at the first instant after it when a transition skipped it.
func TestNextDailyYear(t *testing.T) {
	t.Parallel()
	zones := []string{"America/New_York", "Europe/Paris", "Australia/Sydney", "America/Santiago", "Australia/Lord_Howe", "Pacific/Apia", "UTC"}
	ats := []string{"00:00", "00:30", "01:30", "01:45", "02:00", "02:15", "02:30", "03:00", "09:00", "23:59"}
	for _, zone := range zones {
		for _, at := range ats {
			t.Run(zone+" "+at, func(t *testing.T) {
				t.Parallel()
				loc := mustLoad(t, zone)
				hour, minute, _ := parseAt(at)
				// Pacific/Apia skipped 30 December 2011 entirely.
				last := time.Date(2011, 1, 1, 12, 0, 0, 0, loc)
				if zone != "Pacific/Apia" {
					last = time.Date(2026, 1, 1, 12, 0, 0, 0, loc)
				}
				end := last.AddDate(1, 0, 0)
				prevDay := ""
				for last.Before(end) {
					next, ok := Next(daily(at), loc, last, last)
					if !ok || !next.After(last) {
						t.Fatalf("Next after %s = %s, %v", last, next, ok)
					}
					local := next.In(loc)
					day := local.Format(time.DateOnly)
					if day == prevDay {
						t.Fatalf("two runs on %s: second at %s", day, local)
					}
					if prevDay != "" {
						p, _ := time.Parse(time.DateOnly, prevDay)
						if gap := local.Sub(p).Hours(); gap > 72 {
							t.Fatalf("no run between %s and %s", prevDay, local)
						}
					}
					prevDay = day
					if local.Hour() != hour || local.Minute() != minute {
						// Only allowed right after a transition skipped the time.
						before := next.Add(-time.Nanosecond).In(loc)
						_, offBefore := before.Zone()
						_, offAfter := local.Zone()
						if offAfter <= offBefore {
							t.Fatalf("run at %s, want %s local or the end of a gap", local, at)
						}
					}
					last = next
				}
			})
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sched store.Schedule
		want  string // substring of the error; empty for valid
	}{
		{store.Schedule{Kind: store.ScheduleManual}, ""},
		{store.Schedule{Kind: store.ScheduleInterval, Minutes: 1}, ""},
		{store.Schedule{Kind: store.ScheduleInterval, Minutes: 1440}, ""},
		{store.Schedule{Kind: store.ScheduleHourly}, ""},
		{store.Schedule{Kind: store.ScheduleDaily, At: "00:00"}, ""},
		{store.Schedule{Kind: store.ScheduleDaily, At: "23:59"}, ""},
		{store.Schedule{Kind: store.ScheduleContinuous}, ""},
		{store.Schedule{Kind: store.ScheduleContinuous, Minutes: 10}, ""},

		{store.Schedule{}, "schedule kind is empty"},
		{store.Schedule{Kind: "weekly"}, `unknown schedule kind "weekly"; want manual, interval, hourly, daily or continuous`},
		{store.Schedule{Kind: store.ScheduleManual, Minutes: 5}, "a manual schedule takes no minutes, got 5"},
		{store.Schedule{Kind: store.ScheduleManual, At: "09:00"}, "a manual schedule takes no time of day"},
		{store.Schedule{Kind: store.ScheduleInterval}, "an interval schedule needs minutes from 1 to 527040, got 0"},
		{store.Schedule{Kind: store.ScheduleInterval, Minutes: -5}, "needs minutes from 1 to 527040, got -5"},
		{store.Schedule{Kind: store.ScheduleInterval, Minutes: 5, At: "09:00"}, "an interval schedule takes no time of day"},
		{store.Schedule{Kind: store.ScheduleInterval, Minutes: MaxMinutes + 1}, "got 527041"},
		{store.Schedule{Kind: store.ScheduleHourly, Minutes: 30}, "an hourly schedule takes no minutes"},
		{store.Schedule{Kind: store.ScheduleContinuous, Minutes: -1}, "a continuous schedule needs a poll interval from 0 (the default, 2) to 527040 minutes, got -1"},
		{store.Schedule{Kind: store.ScheduleContinuous, At: "09:00"}, "a continuous schedule takes no time of day"},
		{store.Schedule{Kind: store.ScheduleDaily}, `a daily schedule needs a time of day as HH:MM (24-hour clock, 00:00 to 23:59), got ""`},
		{store.Schedule{Kind: store.ScheduleDaily, At: "9:00"}, `got "9:00"`},
		{store.Schedule{Kind: store.ScheduleDaily, At: "24:00"}, `got "24:00"`},
		{store.Schedule{Kind: store.ScheduleDaily, At: "12:60"}, `got "12:60"`},
		{store.Schedule{Kind: store.ScheduleDaily, At: "12h30"}, `got "12h30"`},
		{store.Schedule{Kind: store.ScheduleDaily, At: "+1:30"}, `got "+1:30"`},
		{store.Schedule{Kind: store.ScheduleDaily, At: "09:00", Minutes: 3}, "a daily schedule takes no minutes"},
	}
	for _, tt := range tests {
		t.Run(string(tt.sched.Kind)+" "+tt.want, func(t *testing.T) {
			t.Parallel()
			err := Validate(tt.sched)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", tt.sched, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate(%+v) = %v, want an error containing %q", tt.sched, err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate(%+v) = %v, want it to wrap ErrInvalid", tt.sched, err)
			}
		})
	}
}

// FuzzValidateNext checks that any schedule Validate accepts has a next run
// after its last one, and that Next never panics on what it rejects.
func FuzzValidateNext(f *testing.F) {
	f.Add("daily", 0, "02:30", int64(1772951400))
	f.Add("interval", 15, "", int64(0))
	f.Add("continuous", 0, "", int64(1790000000))
	f.Add("daily", 0, "9:00", int64(1))
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, kind string, minutes int, at string, lastUnix int64) {
		s := store.Schedule{Kind: store.ScheduleKind(kind), Minutes: minutes, At: at}
		last := time.Unix(1+abs(lastUnix)%(1<<34), 0) // never zero: that means "never ran"
		next, ok := Next(s, loc, last, last)
		valid := Validate(s) == nil
		if ok && !valid {
			t.Fatalf("Next accepted %+v that Validate rejects", s)
		}
		if valid && s.Kind != store.ScheduleManual && (!ok || !next.After(last)) {
			t.Fatalf("Next(%+v, %s) = %s, %v", s, last, next, ok)
		}
	})
}

func abs(n int64) int64 {
	if n < 0 {
		return -(n + 1)
	}
	return n
}
