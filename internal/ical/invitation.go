package ical

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// DialIn is one phone number attendees can join by.
type DialIn struct {
	Country string // e.g. "US"
	Number  string // e.g. "+1 646 558 8656"
}

// Invitation is what SPEC M4's copy-and-paste invitation shows, and the
// text and HTML parts of the invitation email (M12).
type Invitation struct {
	Subject  string
	Start    time.Time
	Duration time.Duration
	// OrganizerZone and CustomerZone: the start is shown in both (M11);
	// either may be nil (UTC), the customer line is left out when the
	// zones are the same.
	OrganizerZone, CustomerZone *time.Location
	OrganizerName               string
	JoinURL                     string
	MeetingID                   string
	Passcode                    string
	DialIns                     []DialIn // left out when the provider gives none
}

const timeLayout = "Monday, January 2, 2006 3:04 PM MST"

func zoneOr(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}

// when answers the start line(s): organizer zone, then customer zone.
func (inv Invitation) when() []string {
	org, cust := zoneOr(inv.OrganizerZone), zoneOr(inv.CustomerZone)
	lines := []string{fmt.Sprintf("%s (%s)", inv.Start.In(org).Format(timeLayout), org)}
	if cust.String() != org.String() {
		lines = append(lines, fmt.Sprintf("%s (%s)", inv.Start.In(cust).Format(timeLayout), cust))
	}
	return lines
}

// Text answers the plain-text invitation.
func (inv Invitation) Text() string {
	var b strings.Builder
	if inv.OrganizerName != "" {
		fmt.Fprintf(&b, "%s is inviting you to a meeting.\r\n\r\n", inv.OrganizerName)
	}
	fmt.Fprintf(&b, "Topic: %s\r\n", inv.Subject)
	for i, w := range inv.when() {
		label := "Time: "
		if i > 0 {
			label = "      "
		}
		b.WriteString(label + w + "\r\n")
	}
	if inv.Duration > 0 {
		fmt.Fprintf(&b, "Duration: %d min\r\n", int(inv.Duration.Minutes()))
	}
	fmt.Fprintf(&b, "\r\nJoin the meeting:\r\n%s\r\n\r\n", inv.JoinURL)
	if inv.MeetingID != "" {
		fmt.Fprintf(&b, "Meeting ID: %s\r\n", inv.MeetingID)
	}
	if inv.Passcode != "" {
		fmt.Fprintf(&b, "Passcode: %s\r\n", inv.Passcode)
	}
	if len(inv.DialIns) > 0 {
		b.WriteString("\r\nDial in:\r\n")
		for _, d := range inv.DialIns {
			fmt.Fprintf(&b, "  %s %s\r\n", d.Country, d.Number)
		}
	}
	return b.String()
}

var htmlInvitation = template.Must(template.New("invitation").Parse(`<!DOCTYPE html>
<html><body>
{{if .OrganizerName}}<p>{{.OrganizerName}} is inviting you to a meeting.</p>
{{end}}<h2>{{.Subject}}</h2>
<p>{{range $i, $w := .When}}{{if $i}}<br>{{end}}{{$w}}{{end}}</p>
{{if .Minutes}}<p>Duration: {{.Minutes}} min</p>
{{end}}<p><a href="{{.JoinURL}}">Join the meeting</a><br>{{.JoinURL}}</p>
{{if .MeetingID}}<p>Meeting ID: {{.MeetingID}}</p>
{{end}}{{if .Passcode}}<p>Passcode: {{.Passcode}}</p>
{{end}}{{if .DialIns}}<p>Dial in:</p><ul>{{range .DialIns}}<li>{{.Country}} {{.Number}}</li>{{end}}</ul>
{{end}}</body></html>
`))

// HTML answers the HTML invitation; every value is escaped.
func (inv Invitation) HTML() string {
	var b strings.Builder
	data := struct {
		Invitation
		When    []string
		Minutes int
	}{inv, inv.when(), int(inv.Duration.Minutes())}
	if err := htmlInvitation.Execute(&b, data); err != nil {
		// The template is fixed and its data plain values; this cannot
		// happen short of a programming error.
		panic(fmt.Sprintf("ical: invitation template: %v", err))
	}
	return b.String()
}
