package gotomeeting

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzMeetingRequest feeds create and update bodies to the sandbox's
// parser: it never panics, and what it accepts is a meeting GoTo would
// hold.
func FuzzMeetingRequest(f *testing.F) {
	f.Add(`{"subject":"x","starttime":"2026-03-02T09:00:00Z","endtime":"2026-03-02T10:00:00Z","passwordrequired":false,"conferencecallinfo":"Hybrid","timezonekey":"","meetingtype":"scheduled"}`)
	f.Add(`{"subject":"x","starttime":"2026-03-02T09:00:00Z","endtime":"2026-03-02T08:00:00Z","passwordrequired":false,"conferencecallinfo":"Hybrid","timezonekey":"","meetingtype":"Immediate"}`)
	f.Add(`{"subject":1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		r, _ := http.NewRequest(http.MethodPost, "/G2M/rest/meetings", strings.NewReader(body))
		req, err := parseMeetingRequest(r)
		if err != nil {
			return
		}
		if req.subject == "" || utf8.RuneCountInString(req.subject) > 100 || strings.ContainsAny(req.subject, "<>") ||
			!req.end.After(req.start) || req.callInfo == "" ||
			(req.meetingType != "immediate" && req.meetingType != "recurring" && req.meetingType != "scheduled") {
			t.Errorf("accepted %+v from %q", req, body)
		}
	})
}

// FuzzDateRange: the date range of the listings parses or is refused,
// never reversed.
func FuzzDateRange(f *testing.F) {
	f.Add("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")
	f.Add("2026-03-02T00:00:00+01:00", "2026-03-01T00:00:00Z")
	f.Fuzz(func(t *testing.T, from, to string) {
		r, _ := http.NewRequest(http.MethodGet, "/G2M/rest/historicalMeetings?startDate="+url.QueryEscape(from)+"&endDate="+url.QueryEscape(to), nil)
		a, b, err := dateRange(r)
		if err == nil && b.Before(a) {
			t.Errorf("reversed range %v..%v accepted", a, b)
		}
	})
}
