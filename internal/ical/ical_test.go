package ical_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/ical"
	"github.com/crmsync/crmsync/internal/testenv"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return l
}

func sampleEvent(t testing.TB, zone string, start time.Time) ical.Event {
	loc := mustZone(t, zone)
	return ical.Event{
		UID:         ical.UID("zoom", "85746065432", "crmsync.example"),
		Sequence:    2,
		Stamp:       time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Start:       start.In(loc),
		End:         start.Add(45 * time.Minute).In(loc),
		Summary:     "Quarterly review; Acme, Inc. \\ renewal",
		Description: "Agenda:\n1. pricing\n2. next steps — ünïcødé " + strings.Repeat("long text ", 12),
		JoinURL:     "https://us02web.zoom.us/j/85746065432?pwd=bFhTWm1NU0xaRWZ6dz09",
		Organizer:   ical.Person{Name: "Dana Scully", Email: "dana@crmsync.example"},
		Attendees: []ical.Person{
			{Name: "Doe, Jane", Email: "jane@acme.example"},
			{Name: "Fox Mulder", Email: "fox@acme.example", Role: ical.RoleOptional},
		},
	}
}

// SPEC M5, M6: every line ends in CRLF and is at most 75 octets; the
// method, STATUS and RSVP follow the iTIP method; Parse reads back what
// Build wrote, TEXT unescaped.
func TestBuildStructure(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 8, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		method    ical.Method
		status    string
		attendees int
		rsvp      string
	}{
		{ical.MethodRequest, "CONFIRMED", 2, "TRUE"},
		{ical.MethodCancel, "CANCELLED", 2, "FALSE"},
		{ical.MethodPublish, "CONFIRMED", 0, ""},
	} {
		t.Run(string(tc.method), func(t *testing.T) {
			ev := sampleEvent(t, "America/New_York", start)
			data, err := ical.Build(tc.method, ev)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(data, []byte("\r\n")) {
				t.Fatal("calendar does not end in CRLF")
			}
			for i, ln := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
				if len(ln) > 75 {
					t.Errorf("line %d is %d octets: %q", i+1, len(ln), ln)
				}
				if strings.ContainsAny(ln, "\r\n") {
					t.Errorf("line %d holds a bare CR or LF", i+1)
				}
			}
			cals, err := ical.Parse("built.ics", bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			cal := cals[0]
			if p, _ := cal.Prop("METHOD"); p.Value != string(tc.method) {
				t.Errorf("METHOD = %q", p.Value)
			}
			if n := len(cal.Find("VTIMEZONE")); n != 1 {
				t.Errorf("%d VTIMEZONE, want 1", n)
			}
			evs := cal.Find("VEVENT")
			if len(evs) != 1 {
				t.Fatalf("%d VEVENT", len(evs))
			}
			ve := evs[0]
			check := func(name, want string) {
				t.Helper()
				p, ok := ve.Prop(name)
				if !ok || p.Text() != want {
					t.Errorf("%s = %q (present %v), want %q", name, p.Text(), ok, want)
				}
			}
			check("UID", ev.UID)
			check("SEQUENCE", "2")
			check("DTSTAMP", "20260301T090000Z")
			check("SUMMARY", ev.Summary)
			check("STATUS", tc.status)
			check("LOCATION", ev.JoinURL)
			check("URL", ev.JoinURL)
			check("DESCRIPTION", ev.Description+"\n\nJoin: "+ev.JoinURL)
			p, _ := ve.Prop("DTSTART")
			if got, err := p.Time(); err != nil || !got.Equal(start) || p.Param("TZID") != "America/New_York" {
				t.Errorf("DTSTART %v %v tzid %q, want %v", got, err, p.Param("TZID"), start)
			}
			org, _ := ve.Prop("ORGANIZER")
			if org.Value != "mailto:dana@crmsync.example" || org.Param("CN") != "Dana Scully" {
				t.Errorf("ORGANIZER %+v", org)
			}
			var atts []ical.Prop
			for _, p := range ve.Props {
				if p.Name == "ATTENDEE" {
					atts = append(atts, p)
				}
			}
			if len(atts) != tc.attendees {
				t.Fatalf("%d attendees, want %d", len(atts), tc.attendees)
			}
			for i, a := range atts {
				want := ev.Attendees[i]
				role := want.Role
				if role == "" {
					role = ical.RoleRequired
				}
				if a.Value != "mailto:"+want.Email || a.Param("CN") != want.Name || a.Param("ROLE") != role ||
					a.Param("PARTSTAT") != "NEEDS-ACTION" || a.Param("RSVP") != tc.rsvp {
					t.Errorf("attendee %d = %+v, want %+v rsvp %s", i, a, want, tc.rsvp)
				}
			}
		})
	}
}

// SPEC M5: the UID is stable per meeting and distinct between meetings.
func TestUIDStable(t *testing.T) {
	t.Parallel()
	a, b := ical.UID("zoom", "1", "h.example"), ical.UID("Zoom", "1", "h.example")
	if a != b {
		t.Errorf("same meeting, two UIDs: %q %q", a, b)
	}
	if a == ical.UID("zoom", "2", "h.example") || a == ical.UID("gotomeeting", "1", "h.example") {
		t.Errorf("two meetings share UID %q", a)
	}
}

// A UTC event carries no VTIMEZONE and Z times; invalid events are refused
// with an error naming the UID.
func TestBuildUTCAndInvalid(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	ev := sampleEvent(t, "UTC", start)
	ev.Start, ev.End = start, start.Add(time.Hour)
	data, err := ical.Build(ical.MethodRequest, ev)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("VTIMEZONE")) || !bytes.Contains(data, []byte("DTSTART:20260701T120000Z\r\n")) {
		t.Errorf("UTC event written wrongly:\n%s", data)
	}
	bad := ev
	bad.End = bad.Start
	if _, err := ical.Build(ical.MethodRequest, bad); !errors.Is(err, ical.ErrInvalid) || !strings.Contains(err.Error(), ev.UID) {
		t.Errorf("end == start: err %v", err)
	}
	bad = ev
	bad.Attendees = []ical.Person{{Name: "No Mail"}}
	if _, err := ical.Build(ical.MethodRequest, bad); !errors.Is(err, ical.ErrInvalid) || !strings.Contains(err.Error(), "No Mail") {
		t.Errorf("attendee without email: err %v", err)
	}
	if _, err := ical.Build("REFRESH", ev); !errors.Is(err, ical.ErrInvalid) {
		t.Errorf("unknown method: err %v", err)
	}
}

// pythonCheck is run by /usr/bin/python3 with icalendar: it prints what it
// read, with DTSTART/DTEND resolved through the file's own VTIMEZONE.
const pythonCheck = `
import sys, json, datetime, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
tzs = {}
for c in cal.walk('VTIMEZONE'):
    tzs[str(c['TZID'])] = c.to_tz()
out = {'method': str(cal.get('METHOD')), 'tzids': sorted(tzs)}
for ev in cal.walk('VEVENT'):
    def resolve(prop):
        p = ev[prop]
        dt = p.dt
        tzid = p.params.get('TZID')
        if tzid:
            tz = tzs[str(tzid)]
            naive = dt.replace(tzinfo=None)
            dt = tz.localize(naive) if hasattr(tz, 'localize') else naive.replace(tzinfo=tz)
        return dt.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    out.update({
        'uid': str(ev['UID']), 'sequence': int(ev['SEQUENCE']),
        'dtstamp': ev['DTSTAMP'].dt.strftime('%Y%m%dT%H%M%SZ'),
        'start': resolve('DTSTART'), 'end': resolve('DTEND'),
        'summary': str(ev['SUMMARY']), 'description': str(ev['DESCRIPTION']),
        'location': str(ev['LOCATION']), 'url': str(ev['URL']), 'status': str(ev['STATUS']),
        'organizer': str(ev['ORGANIZER']), 'organizer_cn': str(ev['ORGANIZER'].params.get('CN')),
        'attendees': [{'addr': str(a), 'cn': str(a.params.get('CN')), 'role': str(a.params.get('ROLE')),
                       'partstat': str(a.params.get('PARTSTAT')), 'rsvp': str(a.params.get('RSVP'))}
                      for a in (ev.get('ATTENDEE') if isinstance(ev.get('ATTENDEE'), list) else ([ev['ATTENDEE']] if 'ATTENDEE' in ev else []))],
    })
print(json.dumps(out))
`

type pyResult struct {
	Method      string   `json:"method"`
	TZIDs       []string `json:"tzids"`
	UID         string   `json:"uid"`
	Sequence    int      `json:"sequence"`
	DTStamp     string   `json:"dtstamp"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	Location    string   `json:"location"`
	URL         string   `json:"url"`
	Status      string   `json:"status"`
	Organizer   string   `json:"organizer"`
	OrganizerCN string   `json:"organizer_cn"`
	Attendees   []struct {
		Addr, CN, Role, Partstat, Rsvp string
	} `json:"attendees"`
}

// pythonParse has Python's icalendar read data; it skips (or fails under
// CRMSYNC_REQUIRE_PEERS=1) when that library is absent.
func pythonParse(t *testing.T, data []byte) pyResult {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import icalendar").Run(); err != nil {
		testenv.RequirePeer(t, "python3-icalendar", "/usr/bin/python3 -c 'import icalendar': "+err.Error())
	}
	f := filepath.Join(t.TempDir(), "invite.ics")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", pythonCheck, f).CombinedOutput()
	if err != nil {
		t.Fatalf("python icalendar rejected the invitation: %v\n%s\n--- invitation ---\n%s", err, out, data)
	}
	var r pyResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	return r
}

// SPEC M5, M6, M11: Python's icalendar reads every invitation we build,
// with the fields we wrote and the times, resolved through our VTIMEZONE,
// equal to the instants we meant — in DST switch weeks of three zones.
func TestInvitationsReadByPythonICalendar(t *testing.T) {
	t.Parallel()
	cases := []struct {
		zone  string
		start time.Time
	}{
		{"America/New_York", time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC)},  // 01:30 EST, ends after the switch
		{"America/New_York", time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)}, // 01:30 EDT, first of the repeated hour
		{"America/New_York", time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)}, // 01:30 EST, second of the repeated hour
		{"Europe/Paris", time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)},
		{"Europe/Paris", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		{"Australia/Sydney", time.Date(2026, 4, 4, 15, 30, 0, 0, time.UTC)}, // 02:30 AEDT, first of the repeated hour
		{"Australia/Sydney", time.Date(2026, 10, 3, 15, 30, 0, 0, time.UTC)},
		{"Australia/Sydney", time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)}, // spans into 2027
		{"UTC", time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		for _, m := range []ical.Method{ical.MethodRequest, ical.MethodCancel, ical.MethodPublish} {
			t.Run(tc.zone+"/"+tc.start.Format(time.RFC3339)+"/"+string(m), func(t *testing.T) {
				ev := sampleEvent(t, tc.zone, tc.start)
				if tc.zone == "UTC" {
					ev.Start, ev.End = ev.Start.UTC(), ev.End.UTC()
				}
				data, err := ical.Build(m, ev)
				if err != nil {
					t.Fatal(err)
				}
				r := pythonParse(t, data)
				wantStatus, wantRsvp, wantAtt := "CONFIRMED", "TRUE", 2
				switch m {
				case ical.MethodCancel:
					wantStatus, wantRsvp = "CANCELLED", "FALSE"
				case ical.MethodPublish:
					wantAtt = 0
				}
				local := !ical.Ambiguous(ev.Start.Location(), ev.Start.Year(), ev.Start.Month(), ev.Start.Day(), ev.Start.Hour(), ev.Start.Minute())
				if local && tc.zone != "UTC" && (len(r.TZIDs) != 1 || r.TZIDs[0] != tc.zone) {
					t.Errorf("python read VTIMEZONEs %v, want %s", r.TZIDs, tc.zone)
				}
				for _, c := range []struct{ name, got, want string }{
					{"METHOD", r.Method, string(m)},
					{"UID", r.UID, ev.UID},
					{"DTSTAMP", r.DTStamp, "20260301T090000Z"},
					{"DTSTART", r.Start, tc.start.UTC().Format("2006-01-02T15:04:05Z")},
					{"DTEND", r.End, tc.start.Add(45 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")},
					{"SUMMARY", r.Summary, ev.Summary},
					{"DESCRIPTION", r.Description, ev.Description + "\n\nJoin: " + ev.JoinURL},
					{"LOCATION", r.Location, ev.JoinURL},
					{"URL", r.URL, ev.JoinURL},
					{"STATUS", r.Status, wantStatus},
					{"ORGANIZER", r.Organizer, "mailto:dana@crmsync.example"},
					{"ORGANIZER CN", r.OrganizerCN, "Dana Scully"},
				} {
					if c.got != c.want {
						t.Errorf("python read %s = %q, want %q", c.name, c.got, c.want)
					}
				}
				if r.Sequence != 2 {
					t.Errorf("SEQUENCE = %d", r.Sequence)
				}
				if len(r.Attendees) != wantAtt {
					t.Fatalf("python read %d attendees, want %d", len(r.Attendees), wantAtt)
				}
				for i, a := range r.Attendees {
					w := ev.Attendees[i]
					role := w.Role
					if role == "" {
						role = ical.RoleRequired
					}
					if a.Addr != "mailto:"+w.Email || a.CN != w.Name || a.Role != role || a.Partstat != "NEEDS-ACTION" || a.Rsvp != wantRsvp {
						t.Errorf("attendee %d read as %+v, want %+v RSVP=%s", i, a, w, wantRsvp)
					}
				}
			})
		}
	}
}

// SPEC M5, M6: an update and then the cancellation of one meeting keep its
// UID and raise SEQUENCE, as Python's icalendar reads them.
func TestSequenceRisesAcrossUpdates(t *testing.T) {
	t.Parallel()
	ev := sampleEvent(t, "Europe/Paris", time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
	var last = -1
	for i, m := range []ical.Method{ical.MethodRequest, ical.MethodRequest, ical.MethodCancel} {
		ev.Sequence = i
		ev.Start = ev.Start.Add(time.Duration(i) * time.Hour)
		ev.End = ev.End.Add(time.Duration(i) * time.Hour)
		data, err := ical.Build(m, ev)
		if err != nil {
			t.Fatal(err)
		}
		r := pythonParse(t, data)
		if r.UID != ev.UID || r.Sequence <= last {
			t.Errorf("step %d (%s): UID %q SEQUENCE %d after %d", i, m, r.UID, r.Sequence, last)
		}
		last = r.Sequence
	}
}
