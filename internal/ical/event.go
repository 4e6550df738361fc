package ical

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Method is an iTIP method (RFC 5546 section 1.4).
type Method string

// The methods an invitation is built with.
const (
	// MethodRequest invites the attendees, or updates the meeting.
	MethodRequest Method = "REQUEST"
	// MethodCancel removes the meeting from the attendees' calendars.
	MethodCancel Method = "CANCEL"
	// MethodPublish is a plain calendar entry (SPEC M5 "add to calendar").
	MethodPublish Method = "PUBLISH"
)

// Attendee roles (RFC 5545 section 3.2.16).
const (
	RoleRequired = "REQ-PARTICIPANT" // the default
	RoleOptional = "OPT-PARTICIPANT"
	RoleChair    = "CHAIR"
)

// Person is an organizer or attendee.
type Person struct {
	Name  string // CN, optional
	Email string // required
	Role  string // attendees only; RoleRequired when empty
}

// Event is one meeting as the invitation carries it.
type Event struct {
	// UID identifies the meeting in every invitation about it; see UID.
	UID string
	// Sequence is the revision: 0 when first sent, raised by the caller on
	// every update and on the cancellation (RFC 5546 section 2.1.4).
	Sequence int
	// Stamp is when the invitation is made (DTSTAMP); now when zero.
	Stamp time.Time
	// Start and End: their Location names the zone the times are written
	// in (a VTIMEZONE is added), UTC times are written with Z.
	Start, End time.Time
	Summary    string
	// Description is the body text; the join URL is appended to it.
	Description string
	// JoinURL goes in LOCATION, URL and DESCRIPTION.
	JoinURL   string
	Organizer Person
	Attendees []Person
}

// UID answers the stable UID of a provider meeting: the same for every
// invitation about it, different for every meeting.
func UID(provider, meetingID, domain string) string {
	if domain == "" {
		domain = "crmsync"
	}
	return fmt.Sprintf("%s-%s@%s", strings.ToLower(provider), meetingID, domain)
}

// ErrInvalid is wrapped by Build for an event it cannot write.
var ErrInvalid = errors.New("ical: invalid event")

// Build writes the calendar object for ev under method m. A CANCEL carries
// STATUS:CANCELLED; REQUEST and CANCEL carry the attendees with
// PARTSTAT=NEEDS-ACTION and RSVP=TRUE (RSVP=FALSE on CANCEL).
func Build(m Method, ev Event) ([]byte, error) {
	switch {
	case m != MethodRequest && m != MethodCancel && m != MethodPublish:
		return nil, fmt.Errorf("%w %s: unknown method %q", ErrInvalid, ev.UID, m)
	case ev.UID == "":
		return nil, fmt.Errorf("%w: no UID", ErrInvalid)
	case ev.Start.IsZero() || !ev.End.After(ev.Start):
		return nil, fmt.Errorf("%w %s: end %s is not after start %s", ErrInvalid, ev.UID, ev.End, ev.Start)
	case ev.Organizer.Email == "" && m != MethodPublish:
		return nil, fmt.Errorf("%w %s: no organizer", ErrInvalid, ev.UID)
	case ev.Sequence < 0:
		return nil, fmt.Errorf("%w %s: negative sequence", ErrInvalid, ev.UID)
	}
	stamp := ev.Stamp
	if stamp.IsZero() {
		stamp = time.Now()
	}
	var w writer
	w.prop("BEGIN", nil, "VCALENDAR")
	w.prop("VERSION", nil, "2.0")
	w.prop("PRODID", nil, "-//crmsync//crmsync invitations//EN")
	w.prop("CALSCALE", nil, "GREGORIAN")
	w.prop("METHOD", nil, string(m))
	zones := map[string]bool{}
	for _, t := range []time.Time{ev.Start, ev.End} {
		loc := t.Location()
		if loc.String() == "Local" || loc.String() == "" {
			return nil, fmt.Errorf("%w %s: times must carry a named zone or UTC", ErrInvalid, ev.UID)
		}
		if !writtenLocal(t) || zones[loc.String()] {
			continue
		}
		zones[loc.String()] = true
		w.writeTimezone(loc, ev.Start, ev.End)
	}
	w.prop("BEGIN", nil, "VEVENT")
	w.text("UID", ev.UID)
	w.prop("SEQUENCE", nil, strconv.Itoa(ev.Sequence))
	w.prop("DTSTAMP", nil, stamp.UTC().Format("20060102T150405Z"))
	w.dateTime("DTSTART", ev.Start)
	w.dateTime("DTEND", ev.End)
	w.text("SUMMARY", ev.Summary)
	desc := ev.Description
	if ev.JoinURL != "" {
		if desc != "" {
			desc += "\n\n"
		}
		desc += "Join: " + ev.JoinURL
		w.text("LOCATION", ev.JoinURL)
		w.prop("URL", nil, ev.JoinURL)
	}
	if desc != "" {
		w.text("DESCRIPTION", desc)
	}
	if ev.Organizer.Email != "" {
		w.prop("ORGANIZER", cn(ev.Organizer.Name), "mailto:"+ev.Organizer.Email)
	}
	if m != MethodPublish {
		rsvp := "TRUE"
		if m == MethodCancel {
			rsvp = "FALSE"
		}
		for _, a := range ev.Attendees {
			if a.Email == "" {
				return nil, fmt.Errorf("%w %s: attendee %q has no email", ErrInvalid, ev.UID, a.Name)
			}
			role := a.Role
			if role == "" {
				role = RoleRequired
			}
			params := append(cn(a.Name), [2]string{"ROLE", role}, [2]string{"PARTSTAT", "NEEDS-ACTION"}, [2]string{"RSVP", rsvp})
			w.prop("ATTENDEE", params, "mailto:"+a.Email)
		}
	}
	status := "CONFIRMED"
	if m == MethodCancel {
		status = "CANCELLED"
	}
	w.prop("STATUS", nil, status)
	w.prop("TRANSP", nil, "OPAQUE")
	w.prop("END", nil, "VEVENT")
	w.prop("END", nil, "VCALENDAR")
	return w.buf.Bytes(), nil
}

func cn(name string) [][2]string {
	if name == "" {
		return nil
	}
	return [][2]string{{"CN", name}}
}

// writtenLocal reports whether t is written as local time with a TZID. A
// time in the hour repeated when daylight time ends is written in UTC:
// RFC 5545 reads such a local time as its first occurrence, but receivers
// differ (Python's icalendar reads the second), and UTC has one reading.
func writtenLocal(t time.Time) bool {
	if t.Location() == time.UTC {
		return false
	}
	return !Ambiguous(t.Location(), t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute())
}

func (w *writer) dateTime(name string, t time.Time) {
	if !writtenLocal(t) {
		t = t.UTC()
		w.prop(name, nil, t.Format("20060102T150405Z"))
		return
	}
	w.prop(name, [][2]string{{"TZID", t.Location().String()}}, t.Format("20060102T150405"))
}
