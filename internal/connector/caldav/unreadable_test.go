package caldav_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/caldav"
)

// fakeList answers calendar-query REPORTs with the objects it holds, as a
// server that stored whatever a client sent would.
type fakeList struct {
	mu   sync.Mutex
	objs map[string][2]string // href → etag, calendar data
}

func (f *fakeList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != "REPORT" {
		http.Error(w, "only REPORT here", http.StatusMethodNotAllowed)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`)
	for href, o := range f.objs {
		fmt.Fprintf(&b, `<D:response><D:href>%s</D:href><D:propstat><D:prop><D:getetag>%s</D:getetag><C:calendar-data><![CDATA[%s]]></C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`, href, o[0], o[1])
	}
	b.WriteString(`</D:multistatus>`)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	_, _ = w.Write([]byte(b.String()))
}

const goodTodo = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VTODO\r\nUID:good-1\r\nDTSTAMP:20260301T100000Z\r\nSUMMARY:Call Ann\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"

// "Nothing lost": an object whose iCalendar cannot be read comes back as
// an Invalid record naming it (the engine sets it aside for review) once
// per version, beside the readable ones; repaired, it reads as a task.
func TestCalDAVUnreadableObjectIsReportedOnce(t *testing.T) {
	f := &fakeList{objs: map[string][2]string{
		"/ann/tasks/good.ics": {`"1"`, goodTodo},
		"/ann/tasks/bad.ics":  {`"2"`, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nthis line has no colon\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"},
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := caldav.New(caldav.Config{URL: srv.URL + "/ann/tasks/"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Changes(t.Context(), caldav.Object, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 2 {
		t.Fatalf("listing: %+v, want the good task and the bad one", page.Records)
	}
	bad := page.Records[0]
	if bad.ID != "/ann/tasks/bad.ics" || !strings.Contains(bad.Invalid, "malformed iCalendar") || bad.Fields != nil {
		t.Fatalf("the unreadable object: %+v", bad)
	}
	if good := page.Records[1]; good.Invalid != "" || good.Fields["name"] != "Call Ann" {
		t.Fatalf("the readable object: %+v", good)
	}
	if _, ok := c.Unreadable()["/ann/tasks/bad.ics"]; !ok {
		t.Fatalf("Unreadable() = %v", c.Unreadable())
	}
	again, err := c.Changes(t.Context(), caldav.Object, page.Cursor)
	if err != nil || len(again.Records) != 0 {
		t.Fatalf("an unchanged listing: %v %+v, want nothing new and no delete", err, again.Records)
	}
	f.mu.Lock()
	f.objs["/ann/tasks/bad.ics"] = [2]string{`"3"`, strings.ReplaceAll(strings.ReplaceAll(goodTodo, "good-1", "bad-1"), "Call Ann", "Send the quote")}
	f.mu.Unlock()
	fixed, err := c.Changes(t.Context(), caldav.Object, again.Cursor)
	if err != nil || len(fixed.Records) != 1 || fixed.Records[0].Invalid != "" || fixed.Records[0].Fields["name"] != "Send the quote" {
		t.Fatalf("after the repair: %v %+v", err, fixed.Records)
	}
}
