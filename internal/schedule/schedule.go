package schedule

import (
	"errors"
	"fmt"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// ContinuousPoll is the poll interval of a continuous schedule whose Minutes
// is zero: webhooks bring most changes, the poll catches what they miss.
const ContinuousPoll = 2 * time.Minute

// ErrInvalid is wrapped by every error Validate returns, so that callers (the
// HTTP API) can tell a bad schedule from a failure with errors.Is.
var ErrInvalid = errors.New("schedule: invalid")

const kinds = "manual, interval, hourly, daily or continuous"

// MaxMinutes bounds Schedule.Minutes (a leap year) so that no interval
// overflows a time.Duration.
const MaxMinutes = 366 * 24 * 60

// Validate reports whether s is a schedule Next can follow, with a message
// fit for the admin who typed it.
func Validate(s store.Schedule) error {
	switch s.Kind {
	case store.ScheduleManual, store.ScheduleHourly:
		if s.Minutes != 0 {
			return invalid("%s schedule takes no minutes, got %d", article(s.Kind), s.Minutes)
		}
		if s.At != "" {
			return invalid("%s schedule takes no time of day, got %q", article(s.Kind), s.At)
		}
	case store.ScheduleInterval:
		if s.Minutes < 1 || s.Minutes > MaxMinutes {
			return invalid("an interval schedule needs minutes from 1 to %d, got %d", MaxMinutes, s.Minutes)
		}
		if s.At != "" {
			return invalid("an interval schedule takes no time of day, got %q", s.At)
		}
	case store.ScheduleContinuous:
		if s.Minutes < 0 || s.Minutes > MaxMinutes {
			return invalid("a continuous schedule needs a poll interval from 0 (the default, %d) to %d minutes, got %d",
				int(ContinuousPoll/time.Minute), MaxMinutes, s.Minutes)
		}
		if s.At != "" {
			return invalid("a continuous schedule takes no time of day, got %q", s.At)
		}
	case store.ScheduleDaily:
		if s.Minutes != 0 {
			return invalid("a daily schedule takes no minutes, got %d", s.Minutes)
		}
		if _, _, ok := parseAt(s.At); !ok {
			return invalid("a daily schedule needs a time of day as HH:MM (24-hour clock, 00:00 to 23:59), got %q", s.At)
		}
	case "":
		return invalid("the schedule kind is empty; want %s", kinds)
	default:
		return invalid("unknown schedule kind %q; want %s", s.Kind, kinds)
	}
	return nil
}

// article returns "a manual" or "an hourly".
func article(k store.ScheduleKind) string {
	if k == store.ScheduleHourly {
		return "an " + string(k)
	}
	return "a " + string(k)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Poll returns the interval between runs of an interval, hourly or
// continuous schedule, and false for the other kinds.
func Poll(s store.Schedule) (time.Duration, bool) {
	switch s.Kind {
	case store.ScheduleInterval:
		return time.Duration(s.Minutes) * time.Minute, s.Minutes >= 1 && s.Minutes <= MaxMinutes
	case store.ScheduleHourly:
		return time.Hour, true
	case store.ScheduleContinuous:
		if s.Minutes < 0 || s.Minutes > MaxMinutes {
			return 0, false
		}
		if s.Minutes > 0 {
			return time.Duration(s.Minutes) * time.Minute, true
		}
		return ContinuousPoll, true
	}
	return 0, false
}

// Next returns when a stream with schedule s should next run, given the start
// of its last run (zero if it never ran) and the current time; a result at or
// before now means the stream is due. It answers false for a manual schedule
// and for one Validate rejects.
//
// A stream that never ran is due now, whatever its kind: switching sync on
// starts the first sync straight away. After that:
//   - interval, hourly and continuous run that long after the last run;
//   - daily runs at the first At, local to loc (UTC when nil), after the last
//     run. On a spring-forward day when At does not exist, it runs at the
//     first instant after the gap; on a fall-back day when At occurs twice,
//     it runs at the first of them only. A day the zone skipped entirely
//     (Pacific/Apia, 30 December 2011) has no run.
//
// A stream that missed several runs (the hub was down) is due once, not once
// per missed run.
func Next(s store.Schedule, loc *time.Location, last, now time.Time) (time.Time, bool) {
	if s.Kind == store.ScheduleManual || Validate(s) != nil {
		return time.Time{}, false
	}
	if last.IsZero() {
		return now, true
	}
	if s.Kind == store.ScheduleDaily {
		if loc == nil {
			loc = time.UTC
		}
		hour, minute, _ := parseAt(s.At)
		return nextDaily(hour, minute, loc, last), true
	}
	every, _ := Poll(s)
	return last.Add(every), true
}

// nextDaily returns the first run at hour:minute local time strictly after
// after.
func nextDaily(hour, minute int, loc *time.Location, after time.Time) time.Time {
	y, m, d := after.In(loc).Date()
	// The occurrence on after's own day may be past; the next day's is not,
	// unless the zone skipped that whole day (Pacific/Apia, 30 December
	// 2011): a day that never was has no run.
	for i := range 4 {
		t := localTime(y, m, d+i, hour, minute, loc)
		want := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		ty, tm, td := t.Date()
		if t.After(after) && (ty == want.Year() && tm == want.Month() && td == want.Day()) {
			return t
		}
	}
	return localTime(y, m, d+4, hour, minute, loc)
}

// localTime returns the first instant at which clocks in loc read the given
// wall time, or, when they never read it (the gap of a spring-forward
// transition), the first instant after the gap.
func localTime(y int, m time.Month, d, hour, minute int, loc *time.Location) time.Time {
	// time.Date picks one of the two instants of a repeated wall time, and
	// some instant near a skipped one, without saying which: try the offsets
	// in force around its answer and keep the earliest exact match.
	t := time.Date(y, m, d, hour, minute, 0, 0, loc)
	wall := time.Date(y, m, d, hour, minute, 0, 0, time.UTC)
	start, end := t.ZoneBounds()
	offsets := []time.Time{t}
	if !start.IsZero() {
		offsets = append(offsets, start.Add(-time.Nanosecond))
	}
	if !end.IsZero() {
		offsets = append(offsets, end)
	}
	var best time.Time
	for _, at := range offsets {
		_, off := at.Zone()
		c := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if wallClock(c).Equal(wall) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if !best.IsZero() {
		return best
	}
	// In a gap. The transition that opened it is the first instant after it:
	// the start of t's zone if t landed past the gap, else the end.
	if wallClock(t).After(wall) && !start.IsZero() {
		return start
	}
	if !end.IsZero() {
		return end
	}
	return t
}

// wallClock returns the wall-clock reading of t as a UTC time, for
// comparing readings across offsets.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// parseAt parses "HH:MM" on a 24-hour clock.
func parseAt(at string) (hour, minute int, ok bool) {
	if len(at) != 5 || at[2] != ':' {
		return 0, 0, false
	}
	digits := []byte{at[0], at[1], at[3], at[4]}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	hour = int(at[0]-'0')*10 + int(at[1]-'0')
	minute = int(at[3]-'0')*10 + int(at[4]-'0')
	if hour > 23 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}
