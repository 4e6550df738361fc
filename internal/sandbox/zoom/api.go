package zoom

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// call is one authenticated API request.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	segs []string // raw (escaped) path segments after /v2/
}

// serveAPI authenticates, applies faults and dispatches a /v2/ request.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !s.latency(r) {
		return
	}
	var segs []string
	for p := range strings.SplitSeq(strings.TrimPrefix(r.URL.EscapedPath(), "/v2/"), "/") {
		if p != "" {
			segs = append(segs, p)
		}
	}
	category := rateCategory(r.Method, segs)
	s.rateHeaders(w, category)
	if err := s.authenticate(r); err != nil {
		writeError(w, err)
		return
	}
	if s.injectFault(w) {
		return
	}
	c := &call{w: w, r: r, segs: segs}
	s.dispatch(c)
}

// rateCategory is the rate-limit label Zoom gives an operation.
func rateCategory(method string, segs []string) string {
	switch {
	case len(segs) > 0 && segs[0] == "report":
		return "Heavy"
	case method == http.MethodGet && len(segs) > 0 && segs[0] != "past_meetings" && !slices.Contains(segs, "recordings"):
		return "Light"
	}
	return "Medium"
}

// perSecond is each category's per-second allowance on a business plan.
var perSecond = map[string]int{"Light": 80, "Medium": 60, "Heavy": 40}

// rateHeaders sets X-RateLimit-Category, -Limit and -Remaining, counting the
// calls of the current second on the sandbox's clock.
func (s *Server) rateHeaders(w http.ResponseWriter, category string) {
	s.mu.Lock()
	sec := s.nowLocked().Unix()
	if s.rateSecond != sec {
		s.rateSecond, s.rateCalls = sec, map[string]int{}
	}
	s.rateCalls[category]++
	used := s.rateCalls[category]
	s.requests++
	s.mu.Unlock()
	limit := perSecond[category]
	h := w.Header()
	h.Set("X-RateLimit-Category", category)
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(limit-used, 0)))
}

// dispatch routes an API call by its path segments.
func (s *Server) dispatch(c *call) {
	seg := func(i int) string {
		if i < len(c.segs) {
			return c.segs[i]
		}
		return ""
	}
	n := len(c.segs)
	m := c.r.Method
	switch {
	case seg(0) == "users" && n == 2 && m == http.MethodGet:
		s.getUser(c, unescape(seg(1)))
	case seg(0) == "users" && n == 3 && seg(2) == "meetings" && m == http.MethodPost:
		s.createMeeting(c, unescape(seg(1)))
	case seg(0) == "users" && n == 3 && seg(2) == "meetings" && m == http.MethodGet:
		s.listMeetings(c, unescape(seg(1)))
	case seg(0) == "users" && n == 3 && seg(2) == "recordings" && m == http.MethodGet:
		s.userRecordings(c, unescape(seg(1)))
	case seg(0) == "meetings" && n == 2 && m == http.MethodGet:
		s.getMeeting(c, seg(1))
	case seg(0) == "meetings" && n == 2 && m == http.MethodPatch:
		s.updateMeeting(c, seg(1))
	case seg(0) == "meetings" && n == 2 && m == http.MethodDelete:
		s.deleteMeeting(c, seg(1))
	case seg(0) == "meetings" && n == 3 && seg(2) == "recordings" && m == http.MethodGet:
		s.meetingRecording(c, seg(1))
	case seg(0) == "past_meetings" && n == 2 && m == http.MethodGet:
		s.pastMeeting(c, seg(1))
	case seg(0) == "past_meetings" && n == 3 && seg(2) == "instances" && m == http.MethodGet:
		s.pastInstances(c, seg(1))
	case seg(0) == "past_meetings" && n == 3 && seg(2) == "participants" && m == http.MethodGet:
		s.pastParticipants(c, seg(1))
	case seg(0) == "report" && n == 4 && seg(1) == "meetings" && seg(3) == "participants" && m == http.MethodGet:
		s.reportParticipants(c, seg(2))
	case seg(0) == "report" && n == 4 && seg(1) == "users" && seg(3) == "meetings" && m == http.MethodGet:
		s.reportMeetings(c, unescape(seg(2)))
	default:
		writeError(c.w, &apiError{status: 404, code: 404, message: "Not Found"})
	}
}

// unescape decodes one path segment.
func unescape(raw string) string {
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}

// meetingRef decodes a path segment that holds a meeting id or UUID with
// Zoom's rule: a UUID that starts with "/" or holds "//" arrives encoded
// twice. Encoded once, Zoom's gateway splits it into path segments and the
// meeting is not found; ok is false then.
func meetingRef(raw string) (ref string, ok bool) {
	once := unescape(raw)
	if strings.HasPrefix(once, "/") || strings.Contains(once, "//") {
		return once, false
	}
	if strings.Contains(once, "%") {
		return unescape(once), true
	}
	return once, true
}

// meetingByID resolves the numeric id of /meetings/{meetingId}.
func (s *Server) meetingByID(c *call, raw string) (*meeting, bool) {
	ref := unescape(raw)
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		writeError(c.w, &apiError{status: 400, code: 300, message: "Invalid meeting id."})
		return nil, false
	}
	m := s.st.meeting(id)
	if m == nil {
		writeError(c.w, meetingNotFound(ref))
		return nil, false
	}
	return m, true
}

func (s *Server) getUser(c *call, ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(ref)
	if u == nil {
		writeError(c.w, userNotFound(ref))
		return
	}
	writeJSON(c.w, 200, userWire{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Type: 2,
		PMI: itoa(u.PMI), PersonalMeetingURL: baseURL(c.r) + "/j/" + itoa(u.PMI), Timezone: u.TimeZone, Verified: 1,
		CreatedAt: zoomTime(u.CreatedAt), Language: "en-US", AccountID: s.cfg.AccountID})
}

// meetingAnswer is a meeting as the API answers it.
func (s *Server) meetingAnswer(r *http.Request, m *meeting) meetingWire {
	st := m.Settings
	out := meetingWire{UUID: m.UUID, ID: itoa(m.ID), HostID: m.HostID, Topic: m.Topic, Type: m.Type, Status: m.Status,
		StartTime: zoomTime(m.StartTime), Duration: m.Duration, Timezone: m.TimeZone, Agenda: m.Agenda,
		CreatedAt: zoomTime(m.CreatedAt), Password: m.Password, Settings: &st}
	out.JoinURL, out.StartURL = s.urls(r, m)
	if m.Settings.UsePMI {
		if u := s.st.userByID(m.HostID); u != nil {
			out.PMI = itoa(u.PMI)
		}
	}
	return out
}

// urls are a meeting's join and start URLs; a meeting that uses the PMI is
// joined at the host's personal meeting ID.
func (s *Server) urls(r *http.Request, m *meeting) (join, start string) {
	num := m.ID
	if m.Settings.UsePMI {
		if u := s.st.userByID(m.HostID); u != nil {
			num = u.PMI
		}
	}
	base := baseURL(r)
	join = base + "/j/" + itoa(num)
	if m.Password != "" {
		join += "?pwd=" + base64.RawURLEncoding.EncodeToString([]byte(m.Password))
	}
	start = base + "/s/" + itoa(num) + "?zak=sbx-" + m.HostID
	return join, start
}

func (s *Server) createMeeting(c *call, userRef string) {
	var req meetingRequest
	if err := readJSON(c.r, &req); err != nil {
		writeError(c.w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	host := s.st.user(userRef)
	if host == nil {
		writeError(c.w, userNotFound(userRef))
		return
	}
	if req.ScheduleFor != nil && *req.ScheduleFor != "" {
		if host = s.st.user(*req.ScheduleFor); host == nil {
			writeError(c.w, userNotFound(*req.ScheduleFor))
			return
		}
	}
	now := s.nowLocked()
	m := &meeting{HostID: host.ID, Topic: "Zoom Meeting", Type: 2, Duration: 60, TimeZone: host.TimeZone,
		CreatedAt: now.Truncate(time.Second), Status: "waiting",
		Settings: settings{HostVideo: false, ParticipantVideo: false, ApprovalType: 2, Audio: "voip", AutoRecording: "none"}}
	if err := applyMeeting(m, &req, now); err != nil {
		writeError(c.w, err)
		return
	}
	if req.Password == nil {
		m.Password = passcode(s.rng)
	}
	if m.Type == 1 {
		m.StartTime, m.TimeZone = now.Truncate(time.Second), ""
	}
	m.ID = s.st.newMeetingID(s.rng)
	m.UUID = s.st.newUUID(s.rng)
	s.st.meetings[m.ID] = m
	s.st.order = append(s.st.order, m.ID)
	writeJSON(c.w, 201, s.meetingAnswer(c.r, m))
}

// applyMeeting sets the fields a create or an update carries, after
// checking them all.
func applyMeeting(m *meeting, req *meetingRequest, now time.Time) *apiError {
	n := *m
	if req.Topic != nil {
		if len([]rune(*req.Topic)) > 200 {
			return invalid("topic", "Topic must be at most 200 characters.")
		}
		n.Topic = *req.Topic
	}
	if req.Type != nil {
		if !slices.Contains([]int{1, 2, 3, 8}, *req.Type) {
			return invalid("type", "Invalid field.")
		}
		n.Type = *req.Type
	}
	if req.Timezone != nil && *req.Timezone != "" {
		if _, err := time.LoadLocation(*req.Timezone); err != nil {
			return invalid("timezone", "Invalid timezone: %s.", *req.Timezone)
		}
		n.TimeZone = *req.Timezone
	}
	if req.StartTime != nil && *req.StartTime != "" {
		t, ok := parseStart(*req.StartTime, n.TimeZone)
		if !ok {
			return invalid("start_time", "Invalid field.")
		}
		n.StartTime = t
	} else if req.StartTime == nil && n.StartTime.IsZero() && n.Type == 2 {
		n.StartTime = now.Truncate(time.Second)
	}
	if req.Duration != nil {
		if *req.Duration < 0 {
			return invalid("duration", "Invalid field.")
		}
		n.Duration = *req.Duration
	}
	if req.Password != nil {
		if len(*req.Password) > 10 {
			return invalid("password", "Password must be at most 10 characters.")
		}
		n.Password = *req.Password
	}
	if req.Agenda != nil {
		if len([]rune(*req.Agenda)) > 2000 {
			return invalid("agenda", "Agenda must be at most 2000 characters.")
		}
		n.Agenda = *req.Agenda
	}
	if st := req.Settings; st != nil {
		setB := func(dst *bool, v *bool) {
			if v != nil {
				*dst = *v
			}
		}
		setB(&n.Settings.HostVideo, st.HostVideo)
		setB(&n.Settings.ParticipantVideo, st.ParticipantVideo)
		setB(&n.Settings.JoinBeforeHost, st.JoinBeforeHost)
		setB(&n.Settings.MuteUponEntry, st.MuteUponEntry)
		setB(&n.Settings.UsePMI, st.UsePMI)
		setB(&n.Settings.WaitingRoom, st.WaitingRoom)
		if st.ApprovalType != nil {
			if *st.ApprovalType < 0 || *st.ApprovalType > 2 {
				return invalid("settings.approval_type", "Invalid field.")
			}
			n.Settings.ApprovalType = *st.ApprovalType
		}
		if st.Audio != nil {
			if !slices.Contains([]string{"both", "telephony", "voip"}, *st.Audio) {
				return invalid("settings.audio", "Invalid field.")
			}
			n.Settings.Audio = *st.Audio
		}
		if st.AutoRecording != nil {
			if !slices.Contains([]string{"local", "cloud", "none"}, *st.AutoRecording) {
				return invalid("settings.auto_recording", "Invalid field.")
			}
			n.Settings.AutoRecording = *st.AutoRecording
		}
	}
	*m = n
	return nil
}

// parseStart reads a start_time: UTC with a trailing Z, an offset, or a
// local time in the meeting's zone (yyyy-MM-ddTHH:mm:ss), as Zoom accepts.
func parseStart(v, zone string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), true
	}
	loc := time.UTC
	if zone != "" {
		if l, err := time.LoadLocation(zone); err == nil {
			loc = l
		}
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", v, loc); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

func (s *Server) getMeeting(c *call, raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetingByID(c, raw)
	if !ok {
		return
	}
	writeJSON(c.w, 200, s.meetingAnswer(c.r, m))
}

func (s *Server) updateMeeting(c *call, raw string) {
	var req meetingRequest
	if err := readJSON(c.r, &req); err != nil {
		writeError(c.w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetingByID(c, raw)
	if !ok {
		return
	}
	if err := applyMeeting(m, &req, s.nowLocked()); err != nil {
		writeError(c.w, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteMeeting(c *call, raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetingByID(c, raw)
	if !ok {
		return
	}
	m.Deleted = true
	c.w.WriteHeader(http.StatusNoContent)
}

// page reads page_size and next_page_token (or page_number) and returns
// the window [from, to) of n items and the token of the next page.
func (s *Server) page(c *call, n int) (from, to, size, number int, next string, err *apiError) {
	q := c.r.URL.Query()
	size = s.cfg.PageSize
	if v := q.Get("page_size"); v != "" {
		p, e := strconv.Atoi(v)
		if e != nil || p < 1 {
			return 0, 0, 0, 0, "", invalid("page_size", "Invalid field.")
		}
		size = min(p, 300)
	}
	switch {
	case q.Get("next_page_token") != "":
		b, e := base64.RawURLEncoding.DecodeString(q.Get("next_page_token"))
		off, e2 := strconv.Atoi(strings.TrimPrefix(string(b), "sbx:"))
		if e != nil || e2 != nil || !strings.HasPrefix(string(b), "sbx:") || off < 0 {
			return 0, 0, 0, 0, "", &apiError{status: 400, code: 300, message: "The next page token is invalid or expired."}
		}
		from = off
	case q.Get("page_number") != "":
		p, e := strconv.Atoi(q.Get("page_number"))
		if e != nil || p < 1 {
			return 0, 0, 0, 0, "", invalid("page_number", "Invalid field.")
		}
		from = (p - 1) * size
	}
	from = min(from, n)
	to = min(from+size, n)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte("sbx:" + strconv.Itoa(to)))
	}
	return from, to, size, from/size + 1, next, nil
}

func pageCount(n, size int) int { return (n + size - 1) / size }

func (s *Server) listMeetings(c *call, userRef string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(userRef)
	if u == nil {
		writeError(c.w, userNotFound(userRef))
		return
	}
	now := s.nowLocked()
	typ := c.r.URL.Query().Get("type")
	var ms []*meeting
	for _, m := range s.st.meetingsOf(u.ID) {
		keep := false
		switch typ {
		case "", "scheduled":
			keep = m.Type != 1
		case "live":
			keep = m.Status == "started"
		case "upcoming", "upcoming_meetings":
			keep = m.Type != 1 && !m.StartTime.IsZero() && !m.StartTime.Add(time.Duration(m.Duration)*time.Minute).Before(now)
		case "previous_meetings":
			keep = len(m.Instances) > 0
		default:
			writeError(c.w, invalid("type", "Invalid field."))
			return
		}
		if keep {
			ms = append(ms, m)
		}
	}
	from, to, size, number, next, err := s.page(c, len(ms))
	if err != nil {
		writeError(c.w, err)
		return
	}
	out := meetingListWire{PageCount: pageCount(len(ms), size), PageNumber: number, PageSize: size,
		TotalRecords: len(ms), NextPageToken: next, Meetings: []meetingItemWire{}}
	for _, m := range ms[from:to] {
		a := s.meetingAnswer(c.r, m)
		out.Meetings = append(out.Meetings, meetingItemWire{UUID: a.UUID, ID: a.ID, HostID: a.HostID, Topic: a.Topic,
			Type: a.Type, StartTime: a.StartTime, Duration: a.Duration, Timezone: a.Timezone, CreatedAt: a.CreatedAt,
			JoinURL: a.JoinURL, PMI: a.PMI})
	}
	writeJSON(c.w, 200, out)
}

// past resolves the {meetingId or UUID} of a past-meeting or report path.
func (s *Server) past(c *call, raw string) (*instance, bool) {
	ref, ok := meetingRef(raw)
	if !ok {
		writeError(c.w, meetingNotFound(ref))
		return nil, false
	}
	in, notHeld := s.st.pastByRef(ref)
	switch {
	case notHeld:
		writeError(c.w, &apiError{status: 404, code: 3001, message: "This meeting has not taken place yet: " + ref + "."})
		return nil, false
	case in == nil:
		writeError(c.w, meetingNotFound(ref))
		return nil, false
	}
	return in, true
}

// pastAnswer is a session as the past-meeting and report endpoints answer it.
func (s *Server) pastAnswer(in *instance) pastMeetingWire {
	m := in.Meeting
	out := pastMeetingWire{UUID: in.UUID, ID: m.ID, HostID: m.HostID, Type: m.Type, Topic: m.Topic,
		StartTime: zoomTime(in.Start), EndTime: zoomTime(in.End), Duration: minutes(in.End.Sub(in.Start)),
		ParticipantsCount: len(in.Participants)}
	if u := s.st.userByID(m.HostID); u != nil {
		out.UserName, out.UserEmail = u.name(), u.Email
	}
	for _, p := range in.Participants {
		out.TotalMinutes += minutes(p.Leave.Sub(p.Join))
	}
	return out
}

// minutes rounds a duration up to whole minutes, as Zoom reports them.
func minutes(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) }

func (s *Server) pastMeeting(c *call, raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.past(c, raw)
	if !ok {
		return
	}
	writeJSON(c.w, 200, s.pastAnswer(in))
}

func (s *Server) pastInstances(c *call, raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := unescape(raw)
	id, err := strconv.ParseInt(ref, 10, 64)
	m := s.st.meetings[id]
	if err != nil || m == nil {
		writeError(c.w, meetingNotFound(ref))
		return
	}
	out := instancesWire{Meetings: []instanceWire{}}
	for _, in := range m.Instances {
		out.Meetings = append(out.Meetings, instanceWire{UUID: in.UUID, StartTime: zoomTime(in.Start)})
	}
	writeJSON(c.w, 200, out)
}

func (s *Server) pastParticipants(c *call, raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.past(c, raw)
	if !ok {
		return
	}
	from, to, size, _, next, err := s.page(c, len(in.Participants))
	if err != nil {
		writeError(c.w, err)
		return
	}
	out := pastParticipantsWire{pageWire: pageWire{PageCount: pageCount(len(in.Participants), size), PageSize: size,
		TotalRecords: len(in.Participants), NextPageToken: next}, Participants: []pastParticipantWire{}}
	for _, p := range in.Participants[from:to] {
		out.Participants = append(out.Participants, pastParticipantWire{ID: p.ID, Name: p.Name, UserEmail: p.Email})
	}
	writeJSON(c.w, 200, out)
}

func (s *Server) reportParticipants(c *call, raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.past(c, raw)
	if !ok {
		return
	}
	from, to, size, _, next, err := s.page(c, len(in.Participants))
	if err != nil {
		writeError(c.w, err)
		return
	}
	out := reportParticipantsWire{pageWire: pageWire{PageCount: pageCount(len(in.Participants), size), PageSize: size,
		TotalRecords: len(in.Participants), NextPageToken: next}, Participants: []reportParticipantWire{}}
	for _, p := range in.Participants[from:to] {
		out.Participants = append(out.Participants, reportParticipantWire{ID: p.ID, UserID: p.UserID, Name: p.Name,
			UserEmail: p.Email, JoinTime: zoomTime(p.Join), LeaveTime: zoomTime(p.Leave), Duration: int(p.Leave.Sub(p.Join) / time.Second)})
	}
	writeJSON(c.w, 200, out)
}

// dateRange reads the from and to dates (yyyy-mm-dd, to inclusive) of a
// report or recordings listing; Zoom allows at most one month.
func dateRange(c *call, now time.Time, required bool) (from, to time.Time, err *apiError) {
	q := c.r.URL.Query()
	parse := func(name string, def time.Time) (time.Time, *apiError) {
		v := q.Get(name)
		if v == "" {
			if required {
				return time.Time{}, invalid(name, "Invalid parameter: %s.", name)
			}
			return def, nil
		}
		t, e := time.Parse("2006-01-02", v)
		if e != nil {
			return time.Time{}, invalid(name, "Invalid parameter: %s.", name)
		}
		return t, nil
	}
	today := now.Truncate(24 * time.Hour)
	if from, err = parse("from", today); err != nil {
		return
	}
	if to, err = parse("to", today); err != nil {
		return
	}
	if to.Before(from) {
		return from, to, &apiError{status: 400, code: 300, message: "The from date must be before the to date."}
	}
	if to.After(from.AddDate(0, 1, 0)) {
		return from, to, &apiError{status: 400, code: 300, message: "The date range can be at most one month."}
	}
	return from, to.Add(24 * time.Hour), nil
}

func (s *Server) reportMeetings(c *call, userRef string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(userRef)
	if u == nil {
		writeError(c.w, userNotFound(userRef))
		return
	}
	from, to, err := dateRange(c, s.nowLocked(), true)
	if err != nil {
		writeError(c.w, err)
		return
	}
	ins := s.st.instancesOf(u.ID, from, to)
	lo, hi, size, _, next, err := s.page(c, len(ins))
	if err != nil {
		writeError(c.w, err)
		return
	}
	out := reportMeetingsWire{From: from.Format("2006-01-02"), To: to.Add(-24 * time.Hour).Format("2006-01-02"),
		pageWire: pageWire{PageCount: pageCount(len(ins), size), PageSize: size, TotalRecords: len(ins), NextPageToken: next},
		Meetings: []pastMeetingWire{}}
	for _, in := range ins[lo:hi] {
		p := s.pastAnswer(in)
		p.HostID = "" // the report's rows carry no host_id
		out.Meetings = append(out.Meetings, p)
	}
	writeJSON(c.w, 200, out)
}

// recordingAnswer is a session's cloud recording as the API answers it.
func (s *Server) recordingAnswer(in *instance) recordingWire {
	m := in.Meeting
	out := recordingWire{UUID: in.UUID, ID: itoa(m.ID), AccountID: s.cfg.AccountID, HostID: m.HostID, Topic: m.Topic,
		StartTime: zoomTime(in.Start), Duration: minutes(in.End.Sub(in.Start)), RecordingFiles: []recordingFileWire{}}
	var total int64
	for _, f := range in.Recording.Files {
		total += f.Size
		out.RecordingFiles = append(out.RecordingFiles, recordingFileWire{ID: f.ID, MeetingID: in.UUID,
			RecordingStart: zoomTime(f.Start), RecordingEnd: zoomTime(f.End), FileType: f.FileType, FileSize: float64(f.Size),
			PlayURL: f.PlayURL, DownloadURL: f.DownloadURL, Status: "completed", RecordingType: f.RecordingType})
	}
	out.TotalSize = itoa(total)
	out.RecordingCount = strconv.Itoa(len(in.Recording.Files))
	return out
}

func (s *Server) meetingRecording(c *call, raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := meetingRef(raw)
	if !ok {
		writeError(c.w, meetingNotFound(ref))
		return
	}
	in, _ := s.st.pastByRef(ref)
	if in != nil && in.Recording == nil && in.UUID != ref {
		// By meeting id: the latest session that was recorded.
		for _, i := range slices.Backward(in.Meeting.Instances) {
			if i.Recording != nil {
				in = i
				break
			}
		}
	}
	if in == nil || in.Recording == nil {
		writeError(c.w, &apiError{status: 404, code: 3301, message: "There is no recording for this meeting."})
		return
	}
	writeJSON(c.w, 200, s.recordingAnswer(in))
}

func (s *Server) userRecordings(c *call, userRef string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(userRef)
	if u == nil {
		writeError(c.w, userNotFound(userRef))
		return
	}
	from, to, err := dateRange(c, s.nowLocked(), false)
	if err != nil {
		writeError(c.w, err)
		return
	}
	var ins []*instance
	for _, in := range s.st.instancesOf(u.ID, from, to) {
		if in.Recording != nil {
			ins = append(ins, in)
		}
	}
	lo, hi, size, _, next, err := s.page(c, len(ins))
	if err != nil {
		writeError(c.w, err)
		return
	}
	out := recordingsListWire{From: from.Format("2006-01-02"), To: to.Add(-24 * time.Hour).Format("2006-01-02"),
		pageWire: pageWire{PageCount: pageCount(len(ins), size), PageSize: size, TotalRecords: len(ins), NextPageToken: next},
		Meetings: []recordingWire{}}
	for _, in := range ins[lo:hi] {
		out.Meetings = append(out.Meetings, s.recordingAnswer(in))
	}
	writeJSON(c.w, 200, out)
}
