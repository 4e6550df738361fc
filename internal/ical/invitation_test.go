package ical_test

import (
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/ical"
)

// SPEC M4, M11: the copy-paste invitation shows the subject, the start in
// the organizer's and in the customer's zone, the join URL, meeting ID,
// passcode and the dial-ins; the HTML variant shows the same, escaped.
func TestInvitationText(t *testing.T) {
	t.Parallel()
	inv := ical.Invitation{
		Subject:       "Renewal <Acme> & co",
		Start:         time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC),
		Duration:      30 * time.Minute,
		OrganizerZone: mustZone(t, "America/New_York"),
		CustomerZone:  mustZone(t, "Europe/Paris"),
		OrganizerName: "Dana Scully",
		JoinURL:       "https://us02web.zoom.us/j/85746065432?pwd=abc&x=1",
		MeetingID:     "857 4606 5432",
		Passcode:      "492817",
		DialIns:       []ical.DialIn{{Country: "US", Number: "+1 646 558 8656"}},
	}
	text := inv.Text()
	for _, want := range []string{
		"Topic: Renewal <Acme> & co\r\n",
		"Monday, November 2, 2026 9:00 AM EST (America/New_York)",
		"Monday, November 2, 2026 3:00 PM CET (Europe/Paris)",
		"Duration: 30 min",
		inv.JoinURL + "\r\n",
		"Meeting ID: 857 4606 5432",
		"Passcode: 492817",
		"US +1 646 558 8656",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	html := inv.HTML()
	for _, want := range []string{
		"Renewal &lt;Acme&gt; &amp; co",
		"9:00 AM EST (America/New_York)",
		"3:00 PM CET (Europe/Paris)",
		`href="https://us02web.zoom.us/j/85746065432?pwd=abc&amp;x=1"`,
		"Passcode: 492817",
		"US &#43;1 646 558 8656", // html/template escapes "+"
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<Acme>") {
		t.Error("html does not escape the subject")
	}
	same := inv
	same.CustomerZone, same.DialIns, same.Passcode = same.OrganizerZone, nil, ""
	if s := same.Text(); strings.Count(s, "2026") != 1 || strings.Contains(s, "Dial in") || strings.Contains(s, "Passcode") {
		t.Errorf("same zone, no dial-in, no passcode:\n%s", s)
	}
}
