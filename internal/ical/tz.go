package ical

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// ErrNonexistentTime is answered by LocalTime for a wall-clock time that
// does not occur in the zone (skipped when daylight time starts).
var ErrNonexistentTime = errors.New("ical: local time does not exist in the zone")

// LocalTime resolves a wall-clock time in loc (SPEC M11). An ambiguous
// time, which occurs twice when daylight time ends, resolves to its first
// occurrence as RFC 5545 section 3.3.5 reads it; a nonexistent one answers
// ErrNonexistentTime naming the time and zone rather than silently moving
// the meeting.
func LocalTime(loc *time.Location, year int, month time.Month, day, hour, min int) (time.Time, error) {
	wall := time.Date(year, month, day, hour, min, 0, 0, time.UTC)
	seen := map[int]bool{}
	var found []time.Time
	for _, probe := range []time.Time{wall.Add(-36 * time.Hour), wall, wall.Add(36 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		c := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if sameWall(c, wall) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return time.Time{}, fmt.Errorf("%w: %s %s", ErrNonexistentTime, wall.Format("2006-01-02 15:04"), loc)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Before(found[j]) })
	return found[0], nil
}

// Ambiguous reports whether the wall-clock time occurs twice in loc.
func Ambiguous(loc *time.Location, year int, month time.Month, day, hour, min int) bool {
	t, err := LocalTime(loc, year, month, day, hour, min)
	if err != nil {
		return false
	}
	_, off := t.Zone()
	_, later := t.Add(3 * time.Hour).Zone()
	if later == off {
		return false
	}
	alt := t.Add(time.Duration(off-later) * time.Second)
	return sameWall(alt, time.Date(year, month, day, hour, min, 0, 0, time.UTC))
}

func sameWall(t, wall time.Time) bool {
	y, m, d := t.Date()
	wy, wm, wd := wall.Date()
	return y == wy && m == wm && d == wd && t.Hour() == wall.Hour() && t.Minute() == wall.Minute()
}

// writeTimezone writes a VTIMEZONE for loc covering the years from..to:
// one STANDARD or DAYLIGHT observance per real transition, starting with
// the one in force at the beginning of the span.
func (w *writer) writeTimezone(loc *time.Location, from, to time.Time) {
	w.prop("BEGIN", nil, "VTIMEZONE")
	w.text("TZID", loc.String())
	begin := time.Date(from.In(loc).Year(), time.January, 1, 0, 0, 0, 0, loc)
	end := time.Date(to.In(loc).Year()+1, time.January, 1, 0, 0, 0, 0, loc)
	start, next := begin.ZoneBounds()
	if start.IsZero() {
		// No transition ever: one observance with an unchanging offset.
		name, off := begin.Zone()
		w.observance(begin.IsDST(), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), off, off, name)
		w.prop("END", nil, "VTIMEZONE")
		return
	}
	t := start
	for {
		_, prev := t.Add(-time.Second).Zone()
		name, off := t.Zone()
		localStart := t.Add(time.Duration(prev) * time.Second).UTC() // wall clock in the previous offset
		w.observance(t.IsDST(), localStart, prev, off, name)
		if next.IsZero() || !next.Before(end) {
			break
		}
		t = next
		_, next = t.ZoneBounds()
	}
	w.prop("END", nil, "VTIMEZONE")
}

func (w *writer) observance(dst bool, localStart time.Time, from, to int, name string) {
	kind := "STANDARD"
	if dst {
		kind = "DAYLIGHT"
	}
	w.prop("BEGIN", nil, kind)
	w.prop("DTSTART", nil, localStart.Format("20060102T150405"))
	w.prop("TZOFFSETFROM", nil, utcOffset(from))
	w.prop("TZOFFSETTO", nil, utcOffset(to))
	w.text("TZNAME", name)
	w.prop("END", nil, kind)
}

// utcOffset formats seconds east of UTC as a UTC-OFFSET (section 3.3.14).
func utcOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	s := fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec%3600/60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}
