package ical_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/ical"
)

const vectors = "../../../shared/vectors/icalendar"

func vectorFiles(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(vectors, "*.ics"))
	if len(files) == 0 {
		abs, _ := filepath.Abs(vectors)
		t.Skipf("no iCalendar vectors at %s", abs)
	}
	return files
}

// Every real-world vector either parses or is refused with ErrMalformed
// naming the file — never a panic, never an anonymous error.
func TestParseVectors(t *testing.T) {
	t.Parallel()
	parsed := 0
	for _, f := range vectorFiles(t) {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cals, err := ical.Parse(name, bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ical.ErrMalformed) || !strings.Contains(err.Error(), name) {
				t.Errorf("%s: error %q is not ErrMalformed naming the file", name, err)
			}
			continue
		}
		parsed++
		for _, c := range cals {
			if c.Name != "VCALENDAR" {
				t.Errorf("%s: top component %s", name, c.Name)
			}
		}
	}
	if parsed == 0 {
		t.Error("no vector parsed")
	}
}

// Known shapes: a folded, escaped, parameterised property reads back whole.
func TestParseContentLines(t *testing.T) {
	t.Parallel()
	in := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY;LANGUAGE=en:Lunch\\, then\\n a wa\r\n lk\r\n" +
		"ATTENDEE;CN=\"Doe, Jane\";ROLE=REQ-PARTICIPANT:mailto:jane@x.example\r\n" +
		"DTSTART;TZID=Europe/Paris:20260329T030000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	cals, err := ical.Parse("inline", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	ev := cals[0].Find("VEVENT")[0]
	if p, _ := ev.Prop("SUMMARY"); p.Text() != "Lunch, then\n a walk" || p.Param("language") != "en" {
		t.Errorf("SUMMARY %+v text %q", p, p.Text())
	}
	if p, _ := ev.Prop("ATTENDEE"); p.Param("CN") != "Doe, Jane" || p.Value != "mailto:jane@x.example" {
		t.Errorf("ATTENDEE %+v", p)
	}
	p, _ := ev.Prop("DTSTART")
	if got, err := p.Time(); err != nil || !got.Equal(time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("DTSTART %v %v", got, err)
	}
	for name, bad := range map[string]string{
		"unclosed":   "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n",
		"mismatched": "BEGIN:VCALENDAR\r\nEND:VEVENT\r\n",
		"no colon":   "BEGIN:VCALENDAR\r\nSUMMARY\r\nEND:VCALENDAR\r\n",
		"outside":    "SUMMARY:x\r\n",
		"empty":      "",
	} {
		if _, err := ical.Parse(name, strings.NewReader(bad)); !errors.Is(err, ical.ErrMalformed) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

// FuzzParse: no input panics the parser, and what parses re-parses from a
// property walk without error.
func FuzzParse(f *testing.F) {
	for _, file := range vectorFiles(f) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	ev := ical.Event{UID: "u@x", Start: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC),
		Organizer: ical.Person{Email: "o@x.example"}}
	if data, err := ical.Build(ical.MethodRequest, ev); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cals, err := ical.Parse("fuzz", bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ical.ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		for _, c := range cals {
			for _, e := range c.Find("VEVENT") {
				if p, ok := e.Prop("DTSTART"); ok {
					_, _ = p.Time()
				}
				for _, p := range e.Props {
					_ = p.Text()
				}
			}
		}
	})
}
