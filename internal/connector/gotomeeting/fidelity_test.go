package gotomeeting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	gtmsandbox "github.com/crmsync/crmsync/internal/sandbox/gotomeeting"
)

// check validates a JSON value (decoded with UseNumber) against s and
// returns every mismatch, each naming where it is.
func check(s *schema, v any, at string) []string {
	if v == nil {
		return []string{at + ": null where the description has " + s.Type}
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("want an object, got %T", v)
			return errs
		}
		for _, k := range s.Required {
			if _, ok := m[k]; !ok {
				bad("required property %q missing", k)
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ps, ok := s.Props[k]
			if !ok {
				bad("property %q is not in the description", k)
				continue
			}
			errs = append(errs, check(ps, m[k], at+"."+k)...)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("want an array, got %T", v)
			return errs
		}
		for i, e := range a {
			errs = append(errs, check(s.Items, e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("want a string, got %T %v", v, v)
			return errs
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			bad("%q is not one of %v", str, s.Enum)
		}
		// The description's deprecated date-time fields answer "".
		if s.Format == "date-time" && str != "" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				bad("%q is not an RFC 3339 date-time", str)
			}
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			bad("want an integer, got %T %v", v, v)
			return errs
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			bad("%s is not an int64", n)
		} else if s.Format == "int32" && (i > math.MaxInt32 || i < math.MinInt32) {
			bad("%d is not an int32", i)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %T %v", v, v)
		}
	default:
		bad("schema type %q is not handled by the checker", s.Type)
	}
	return errs
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

// The checker itself fails where it must.
func TestSchemaChecker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    *schema
		json string
		errs int
	}{
		{"created ok", arrayOf(meetingCreatedSchema), `[{"joinURL":"u","meetingid":1,"maxParticipants":250,"uniqueMeetingId":1,"conferenceCallInfo":"VoIP"}]`, 0},
		{"not an array", arrayOf(meetingCreatedSchema), `{"joinURL":"u","meetingid":1,"maxParticipants":250,"uniqueMeetingId":1,"conferenceCallInfo":"VoIP"}`, 1},
		{"camel-case meetingId", meetingCreatedSchema, `{"joinURL":"u","meetingId":1,"maxParticipants":250,"uniqueMeetingId":1,"conferenceCallInfo":"VoIP"}`, 2},
		{"id as a string", meetingCreatedSchema, `{"joinURL":"u","meetingid":"1","maxParticipants":250,"uniqueMeetingId":1,"conferenceCallInfo":"VoIP"}`, 1},
		{"fraction", meetingCreatedSchema, `{"joinURL":"u","meetingid":1.5,"maxParticipants":250,"uniqueMeetingId":1,"conferenceCallInfo":"VoIP"}`, 1},
		{"int32 overflow", i32(), `3000000000`, 1},
		{"bad enum", meetingTypeSchema, `"weekly"`, 1},
		{"bad date-time", dateTime(), `"2026-03-02 09:00"`, 1},
		{"empty deprecated date-time", dateTime(), `""`, 0},
		{"boolean as a string", boolean(), `"true"`, 1},
		{"null", str(), `null`, 1},
		{"historical numbers are strings", historicalMeetingSchema, `{"accountKey":"1","conferenceCallInfo":"","duration":60,"email":"","endTime":"","firstName":"","lastName":"","locale":"","meetingId":"1","meetingType":"scheduled","numAttendees":"3","organizerKey":"1","sessionId":"1","startTime":"","subject":""}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := decodeJSON([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if errs := check(tc.s, v, "$"); len(errs) != tc.errs {
				t.Errorf("got %d errors %v, want %d", len(errs), errs, tc.errs)
			}
		})
	}
}

// exchange is one API request and its answer, as seen on the wire.
type exchange struct {
	method, path string
	query        url.Values
	auth         string
	body         []byte
	status       int
	answer       []byte
}

// recorder keeps every API exchange passing through to the sandbox.
type recorder struct {
	mu  sync.Mutex
	log []exchange
}

func (rec *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, gtmsandbox.BasePath+"/") {
			h.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rw := httptest.NewRecorder()
		h.ServeHTTP(rw, r)
		for k, v := range rw.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rw.Code)
		_, _ = w.Write(rw.Body.Bytes())
		rec.mu.Lock()
		rec.log = append(rec.log, exchange{method: r.Method, path: strings.TrimPrefix(r.URL.Path, gtmsandbox.BasePath),
			query: r.URL.Query(), auth: r.Header.Get("Authorization"), body: body, status: rw.Code, answer: rw.Body.Bytes()})
		rec.mu.Unlock()
	})
}

// match finds the description's operation of a request path, checking its
// path parameters are integers.
func match(method, path string) (*operation, error) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := range description {
		op := &description[i]
		tsegs := strings.Split(strings.Trim(op.Path, "/"), "/")
		if op.Method != method || len(tsegs) != len(segs) {
			continue
		}
		ok := true
		for j, ts := range tsegs {
			if strings.HasPrefix(ts, "{") {
				if _, err := strconv.ParseInt(segs[j], 10, 64); err != nil {
					return nil, fmt.Errorf("path parameter %s = %q is not an int64", ts, segs[j])
				}
				continue
			}
			if ts != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return op, nil
		}
	}
	return nil, fmt.Errorf("%s %s is not an operation of the description", method, path)
}

// checkExchange reports how an exchange departs from the description.
func checkExchange(x exchange) (op *operation, errs []string) {
	op, err := match(x.method, x.path)
	if err != nil {
		return nil, []string{err.Error()}
	}
	if !strings.HasPrefix(x.auth, "Bearer ") {
		errs = append(errs, "no Authorization: Bearer header")
	}
	for name, vals := range x.query {
		i := slices.IndexFunc(op.Query, func(p param) bool { return p.Name == name })
		if i < 0 {
			errs = append(errs, fmt.Sprintf("query parameter %q is not in the description", name))
			continue
		}
		for _, v := range vals {
			errs = append(errs, check(op.Query[i].Schema, v, "query."+name)...)
		}
	}
	for _, p := range op.Query {
		if p.Required && !x.query.Has(p.Name) {
			errs = append(errs, fmt.Sprintf("required query parameter %q missing", p.Name))
		}
	}
	switch {
	case op.Body == nil && len(x.body) > 0:
		errs = append(errs, "a request body where the description has none")
	case op.Body != nil:
		v, err := decodeJSON(x.body)
		if err != nil {
			errs = append(errs, "request body: "+err.Error())
		} else {
			errs = append(errs, check(op.Body, v, "request")...)
		}
	}
	switch {
	case x.status == op.Success:
		if op.Answer == nil {
			if len(x.answer) > 0 {
				errs = append(errs, fmt.Sprintf("status %d has a body where the description has none", x.status))
			}
			break
		}
		v, err := decodeJSON(x.answer)
		if err != nil {
			errs = append(errs, "answer: "+err.Error())
		} else {
			errs = append(errs, check(op.Answer, v, "answer")...)
		}
	case x.status >= 200 && x.status < 300:
		errs = append(errs, fmt.Sprintf("success status %d, the description says %d", x.status, op.Success))
	default:
		// Errors carry GoTo's body.
		var e errorBody
		if json.Unmarshal(x.answer, &e) != nil || (e.IntErrCode == "" && e.Message == "") {
			errs = append(errs, fmt.Sprintf("error %d without GoTo's error body: %s", x.status, x.answer))
		}
	}
	return op, errs
}

// SPEC M1–M9: every request the connector makes exists in GoTo Meeting's
// published description (method, path, query parameters, body keys and
// types), and every answer the sandbox gives validates against the
// description's response schema for it.
func TestFidelity(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	g := newRig(t, gtmsandbox.Config{}, rec.wrap)
	ctx := t.Context()
	c := g.client
	start := g.sb.Now().Add(time.Hour)

	created, err := c.Create(ctx, Meeting{Subject: "Fidelity <check>", Start: start, End: start.Add(time.Hour), ConferenceCallInfo: AudioVoIP})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(ctx, Meeting{Subject: "Immediate", Start: start, End: start.Add(30 * time.Minute), Type: Immediate, PasswordRequired: true})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.Meeting(ctx, created.ID)
	must(err)
	must(c.Update(ctx, created.ID, Meeting{Subject: "Fidelity, moved", Start: start, End: start.Add(2 * time.Hour)}))
	_, err = c.StartURL(ctx, created.ID)
	must(err)
	_, err = c.UpcomingMeetings(ctx)
	must(err)
	_, err = g.sb.Hold(created.ID, gtmsandbox.HoldRequest{Attendees: []gtmsandbox.Attendee{
		{Name: "Ann Lee", Email: "ann@example.com"}, {Name: "Bo"}, {Name: "Cy Zed", Email: "cy@example.com"}}})
	must(err)
	g.sb.Advance(4 * time.Hour)
	day := start.Truncate(24 * time.Hour)
	_, err = c.HistoricalMeetings(ctx, day, day.Add(48*time.Hour))
	must(err)
	_, err = c.OrganizerHistoricalMeetings(ctx, strconv.FormatInt(gtmsandbox.DefaultOrganizerKey, 10), day, day.Add(48*time.Hour))
	must(err)
	_, err = c.Attendees(ctx, created.ID)
	must(err)
	_, err = c.Sessions(ctx, created.ID)
	must(err)
	_, err = c.Changes(ctx, ObjectHistorical, "")
	must(err)
	res, err := c.Write(ctx, ObjectMeeting, []connector.Write{{Op: connector.OpUpdate, ID: strconv.FormatInt(created.ID, 10),
		Fields: connector.Fields{"subject": "Fidelity, via the engine"}}})
	must(err)
	must(res[0].Err)
	must(c.Delete(ctx, created.ID))
	if _, err := c.Meeting(ctx, created.ID); err == nil {
		t.Fatal("deleted meeting read")
	}

	// The sandbox's other operations, asked directly.
	tok := c.Token().AccessToken
	q := "?startDate=" + day.Format(time.RFC3339) + "&endDate=" + day.Add(48*time.Hour).Format(time.RFC3339)
	for _, p := range []string{"/organizers/" + strconv.FormatInt(gtmsandbox.DefaultOrganizerKey, 10) + "/attendees" + q,
		"/organizers/" + strconv.FormatInt(gtmsandbox.DefaultOrganizerKey, 10) + "/upcomingMeetings"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.ts.URL+gtmsandbox.BasePath+p, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := g.ts.Client().Do(req)
		must(err)
		resp.Body.Close()
	}

	rec.mu.Lock()
	log := slices.Clone(rec.log)
	rec.mu.Unlock()
	seen := map[string]bool{}
	for _, x := range log {
		op, errs := checkExchange(x)
		for _, e := range errs {
			t.Errorf("%s %s (%d): %s", x.method, x.path, x.status, e)
		}
		if op != nil && x.status == op.Success {
			seen[op.Method+" "+op.Path] = true
		}
	}
	for _, op := range description {
		if !seen[op.Method+" "+op.Path] {
			t.Errorf("%s %s was never answered with its success status", op.Method, op.Path)
		}
	}
	if len(log) < len(description) {
		t.Errorf("only %d exchanges recorded", len(log))
	}
}

// A request outside the description is caught by the fidelity check.
func TestFidelityCatchesStrangers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		x    exchange
	}{
		{"unknown path", exchange{method: "GET", path: "/webinars", auth: "Bearer x", status: 200, answer: []byte(`[]`)}},
		{"wrong method", exchange{method: "PATCH", path: "/meetings/1", auth: "Bearer x", status: 204}},
		{"camel-case body keys", exchange{method: "POST", path: "/meetings", auth: "Bearer x", status: 400, answer: []byte(`{"int_err_code":"InvalidRequest","msg":"m"}`),
			body: []byte(`{"subject":"s","startTime":"2026-03-02T09:00:00Z","endtime":"2026-03-02T10:00:00Z","passwordrequired":false,"conferencecallinfo":"VoIP","timezonekey":"","meetingtype":"scheduled"}`)}},
		{"undeclared query", exchange{method: "GET", path: "/upcomingMeetings", query: url.Values{"page": {"2"}}, auth: "Bearer x", status: 200, answer: []byte(`[]`)}},
		{"missing date range", exchange{method: "GET", path: "/historicalMeetings", auth: "Bearer x", status: 200, answer: []byte(`[]`)}},
		{"no token", exchange{method: "GET", path: "/upcomingMeetings", status: 200, answer: []byte(`[]`)}},
		{"200 for a create", exchange{method: "POST", path: "/meetings", auth: "Bearer x", status: 200,
			body: []byte(`{"subject":"s","starttime":"2026-03-02T09:00:00Z","endtime":"2026-03-02T10:00:00Z","passwordrequired":false,"conferencecallinfo":"VoIP","timezonekey":"","meetingtype":"scheduled"}`)}},
		{"non-numeric meeting id", exchange{method: "GET", path: "/meetings/abc", auth: "Bearer x", status: 404}},
		{"bare error", exchange{method: "GET", path: "/meetings/1", auth: "Bearer x", status: 404, answer: []byte(`not found`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, errs := checkExchange(tc.x); len(errs) == 0 {
				t.Error("passed the check")
			}
		})
	}
}
