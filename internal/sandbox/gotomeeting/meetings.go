package gotomeeting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file answers the Meetings and Organizers operations of the GoTo
// Meeting REST API, in the shapes of the description's schemas.

// meetingCreated is the MeetingCreated schema.
type meetingCreated struct {
	JoinURL            string `json:"joinURL"`
	MeetingID          int64  `json:"meetingid"`
	MaxParticipants    int    `json:"maxParticipants"`
	UniqueMeetingID    int64  `json:"uniqueMeetingId"`
	ConferenceCallInfo string `json:"conferenceCallInfo"`
}

// meetingByID is the MeetingById schema.
type meetingByID struct {
	CreateTime         string `json:"createTime"`
	PasswordRequired   bool   `json:"passwordRequired"`
	Status             string `json:"status"`
	Subject            string `json:"subject"`
	EndTime            string `json:"endTime"`
	ConferenceCallInfo string `json:"conferenceCallInfo"`
	StartTime          string `json:"startTime"`
	Duration           int64  `json:"duration"`
	MaxParticipants    int    `json:"maxParticipants"`
	MeetingID          int64  `json:"meetingId"`
	MeetingKey         int64  `json:"meetingKey"`
	MeetingType        string `json:"meetingType"`
	UniqueMeetingID    int64  `json:"uniqueMeetingId"`
}

// startURL is the StartUrl schema.
type startURL struct {
	HostURL string `json:"hostURL"`
}

// historicalMeeting is the HistoricalMeeting schema: numbers as strings.
type historicalMeeting struct {
	AccountKey         string `json:"accountKey"`
	ConferenceCallInfo string `json:"conferenceCallInfo"`
	Duration           string `json:"duration"`
	Email              string `json:"email"`
	EndTime            string `json:"endTime"`
	FirstName          string `json:"firstName"`
	LastName           string `json:"lastName"`
	Locale             string `json:"locale"`
	MeetingID          string `json:"meetingId"`
	MeetingType        string `json:"meetingType"`
	NumAttendees       string `json:"numAttendees"`
	OrganizerKey       string `json:"organizerKey"`
	SessionID          string `json:"sessionId"`
	StartTime          string `json:"startTime"`
	Subject            string `json:"subject"`
}

// upcomingMeeting is the UpcomingMeeting schema.
type upcomingMeeting struct {
	AccountKey         string `json:"accountKey"`
	ConferenceCallInfo string `json:"conferenceCallInfo"`
	Email              string `json:"email"`
	EndTime            string `json:"endTime"`
	FirstName          string `json:"firstName"`
	LastName           string `json:"lastName"`
	Locale             string `json:"locale"`
	MeetingID          string `json:"meetingId"`
	MeetingType        string `json:"meetingType"`
	OrganizerKey       string `json:"organizerKey"`
	PasswordRequired   bool   `json:"passwordRequired"`
	StartTime          string `json:"startTime"`
	Status             string `json:"status"`
	Subject            string `json:"subject"`
}

// attendeeByMeeting is the AttendeeByMeeting schema.
type attendeeByMeeting struct {
	AttendeeEmail      string `json:"attendeeEmail"`
	AttendeeName       string `json:"attendeeName"`
	ConferenceCallInfo string `json:"conferenceCallInfo"`
	Duration           int64  `json:"duration"`
	Email              string `json:"email"`
	EndTime            string `json:"endTime"`
	FirstName          string `json:"firstName"`
	GroupName          string `json:"groupName"`
	JoinTime           string `json:"joinTime"`
	LastName           string `json:"lastName"`
	LeaveTime          string `json:"leaveTime"`
	MeetingID          int64  `json:"meetingId"`
	MeetingInstanceKey int64  `json:"meetingInstanceKey"`
	MeetingType        string `json:"meetingType"`
	Name               string `json:"name"`
	NumAttendees       int    `json:"numAttendees"`
	Organizerkey       int64  `json:"organizerkey"`
	StartTime          string `json:"startTime"`
	Subject            string `json:"subject"`
}

// attendeeByOrganizer is the AttendeeByOrganizer schema.
type attendeeByOrganizer struct {
	AttendeeEmail      string `json:"attendeeEmail"`
	AttendeeName       string `json:"attendeeName"`
	ConferenceCallInfo string `json:"conferenceCallInfo"`
	Duration           int64  `json:"duration"`
	Email              string `json:"email"`
	EndTime            string `json:"endTime"`
	FirstName          string `json:"firstName"`
	GroupName          string `json:"groupName"`
	JoinTime           string `json:"joinTime"`
	LastName           string `json:"lastName"`
	LeaveTime          string `json:"leaveTime"`
	MeetingID          int64  `json:"meetingId"`
	MeetingInstanceKey int64  `json:"meetingInstanceKey"`
	MeetingType        string `json:"meetingType"`
	Name               string `json:"name"`
	NewMeetingID       string `json:"newMeetingId"`
	NumAttendees       int    `json:"numAttendees"`
	Organizerkey       int64  `json:"organizerkey"`
	StartTime          string `json:"startTime"`
	Subject            string `json:"subject"`
}

// meetingRequest is MeetingReqCreate and MeetingReqUpdate, checked by hand
// so that a missing key and a wrong type answer GoTo's 400.
type meetingRequest struct {
	subject, callInfo, meetingType string
	start, end                     time.Time
	password                       bool
}

// requiredKeys are the keys both request schemas require.
var requiredKeys = []string{"subject", "starttime", "endtime", "passwordrequired", "conferencecallinfo", "timezonekey", "meetingtype"}

// parseMeetingRequest reads a create or update body; the error is the msg
// of a 400 InvalidRequest.
func parseMeetingRequest(r *http.Request) (meetingRequest, error) {
	var req meetingRequest
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return req, fmt.Errorf("the request body could not be read")
	}
	var body map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&body); err != nil || body == nil {
		return req, fmt.Errorf("the request body must be a JSON object")
	}
	for _, k := range requiredKeys {
		if _, ok := body[k]; !ok {
			return req, fmt.Errorf("%s is required", k)
		}
	}
	str := func(k string) (string, error) {
		var v string
		if err := json.Unmarshal(body[k], &v); err != nil {
			return "", fmt.Errorf("%s must be a string", k)
		}
		return v, nil
	}
	if req.subject, err = str("subject"); err != nil {
		return req, err
	}
	if strings.TrimSpace(req.subject) == "" {
		return req, fmt.Errorf("subject must not be empty")
	}
	if utf8.RuneCountInString(req.subject) > 100 {
		return req, fmt.Errorf("subject is longer than 100 characters")
	}
	if strings.ContainsAny(req.subject, "<>") {
		return req, fmt.Errorf("subject must not contain '<' or '>': use &lt; and &gt;")
	}
	for _, k := range []string{"starttime", "endtime"} {
		v, err := str(k)
		if err != nil {
			return req, err
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return req, fmt.Errorf("%s must be an ISO 8601 UTC time such as 2015-07-01T22:00:00Z", k)
		}
		if k == "starttime" {
			req.start = t.UTC().Truncate(time.Second)
		} else {
			req.end = t.UTC().Truncate(time.Second)
		}
	}
	if !req.end.After(req.start) {
		return req, fmt.Errorf("endtime must be after starttime")
	}
	if err := json.Unmarshal(body["passwordrequired"], &req.password); err != nil {
		return req, fmt.Errorf("passwordrequired must be a boolean")
	}
	if req.callInfo, err = str("conferencecallinfo"); err != nil {
		return req, err
	}
	if req.callInfo == "" || utf8.RuneCountInString(req.callInfo) > 255 {
		return req, fmt.Errorf("conferencecallinfo must be PSTN, Free, Hybrid, Private, VoIP or up to 255 characters of text")
	}
	if _, err := str("timezonekey"); err != nil {
		return req, err
	}
	mt, err := str("meetingtype")
	if err != nil {
		return req, err
	}
	req.meetingType = strings.ToLower(mt)
	if !slices.Contains([]string{"immediate", "recurring", "scheduled"}, req.meetingType) {
		return req, fmt.Errorf("meetingtype must be immediate, recurring or scheduled")
	}
	return req, nil
}

// ownMeeting finds the meeting of the path, visible to org; it writes the
// error answer and returns nil when there is none.
func (s *Server) ownMeeting(w http.ResponseWriter, r *http.Request, org Organizer) *meeting {
	id, ok := parseID(r.PathValue("meetingId"))
	if !ok {
		writeError(w, http.StatusBadRequest, "InvalidParameter", "meetingId must be a positive integer")
		return nil
	}
	m := s.st.meetings[id]
	if m == nil || (m.OrganizerKey != org.Key && !org.Admin) {
		writeError(w, http.StatusNotFound, "NotFound", "Meeting not found: "+strconv.FormatInt(id, 10))
		return nil
	}
	return m
}

func (s *Server) createMeeting(w http.ResponseWriter, r *http.Request, org Organizer) {
	req, err := parseMeetingRequest(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	s.mu.Lock()
	m := &meeting{ID: s.st.newMeetingID(), OrganizerKey: org.Key, Subject: req.subject, Start: req.start, End: req.end,
		Password: req.password, CallInfo: req.callInfo, Type: req.meetingType, Created: s.nowLocked()}
	s.st.meetings[m.ID] = m
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, []meetingCreated{{JoinURL: s.baseURL(r) + "/join/" + strconv.FormatInt(m.ID, 10),
		MeetingID: m.ID, MaxParticipants: s.cfg.MaxParticipants, UniqueMeetingID: m.ID,
		ConferenceCallInfo: callInfoText(m.CallInfo, m.ID)}})
}

func (s *Server) getMeeting(w http.ResponseWriter, r *http.Request, org Organizer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ownMeeting(w, r, org)
	if m == nil {
		return
	}
	writeJSON(w, http.StatusOK, []meetingByID{{CreateTime: "", PasswordRequired: m.Password, Status: s.statusLocked(m),
		Subject: m.Subject, EndTime: stamp(m.End), ConferenceCallInfo: callInfoText(m.CallInfo, m.ID), StartTime: stamp(m.Start),
		Duration: minutes(m.End.Sub(m.Start)), MaxParticipants: s.cfg.MaxParticipants, MeetingID: m.ID, MeetingKey: m.ID,
		MeetingType: m.Type, UniqueMeetingID: m.ID}})
}

// statusLocked is ACTIVE while a held session of m is running.
func (s *Server) statusLocked(m *meeting) string {
	now := s.nowLocked()
	for _, se := range s.st.sessionsOf(m.ID) {
		if !now.Before(se.Start) && now.Before(se.End) {
			return "ACTIVE"
		}
	}
	return "INACTIVE"
}

func (s *Server) updateMeeting(w http.ResponseWriter, r *http.Request, org Organizer) {
	s.mu.Lock()
	m := s.ownMeeting(w, r, org)
	s.mu.Unlock()
	if m == nil {
		return
	}
	req, err := parseMeetingRequest(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	s.mu.Lock()
	if s.st.meetings[m.ID] == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "NotFound", "Meeting not found: "+strconv.FormatInt(m.ID, 10))
		return
	}
	m.Subject, m.Start, m.End, m.Password, m.CallInfo, m.Type = req.subject, req.start, req.end, req.password, req.callInfo, req.meetingType
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteMeeting(w http.ResponseWriter, r *http.Request, org Organizer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ownMeeting(w, r, org)
	if m == nil {
		return
	}
	delete(s.st.meetings, m.ID)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) startMeeting(w http.ResponseWriter, r *http.Request, org Organizer) {
	s.mu.Lock()
	m := s.ownMeeting(w, r, org)
	s.mu.Unlock()
	if m == nil {
		return
	}
	writeJSON(w, http.StatusOK, startURL{HostURL: s.baseURL(r) + "/start/" + strconv.FormatInt(m.ID, 10) +
		"?authToken=" + randomToken(16)})
}

// dateRange reads the required startDate and endDate.
func dateRange(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"startDate", &from}, {"endDate", &to}} {
		v := q.Get(p.name)
		if v == "" {
			return from, to, fmt.Errorf("%s is required", p.name)
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return from, to, fmt.Errorf("%s must be an ISO 8601 UTC time such as 2015-07-01T22:00:00Z", p.name)
		}
		*p.dst = t.UTC()
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("endDate must not be before startDate")
	}
	return from, to, nil
}

// pathOrganizer resolves {organizerKey} when the path has one: the caller
// may name only itself unless it is an admin. ok false means the answer is
// written.
func (s *Server) pathOrganizer(w http.ResponseWriter, r *http.Request, org Organizer) (Organizer, bool) {
	v := r.PathValue("organizerKey")
	if v == "" {
		return org, true
	}
	key, ok := parseID(v)
	if !ok {
		writeError(w, http.StatusBadRequest, "InvalidParameter", "organizerKey must be a positive integer")
		return org, false
	}
	if key != org.Key && !org.Admin {
		writeError(w, http.StatusForbidden, "Forbidden", "Access to this organizer is not allowed")
		return org, false
	}
	o, found := s.organizer(key)
	if !found {
		writeError(w, http.StatusNotFound, "NotFound", "Organizer not found")
		return org, false
	}
	return o, true
}

func (s *Server) historicalMeetings(w http.ResponseWriter, r *http.Request, caller Organizer) {
	org, ok := s.pathOrganizer(w, r, caller)
	if !ok {
		return
	}
	from, to, err := dateRange(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	s.mu.Lock()
	sessions := s.st.ended(org.Key, from, to, s.nowLocked())
	out := make([]historicalMeeting, 0, len(sessions))
	for _, se := range sessions {
		out = append(out, historicalMeeting{AccountKey: strconv.FormatInt(s.cfg.AccountKey, 10),
			ConferenceCallInfo: callInfoText(se.CallInfo, se.MeetingID), Duration: strconv.FormatInt(minutes(se.End.Sub(se.Start)), 10),
			Email: org.Email, EndTime: stamp(se.End), FirstName: org.FirstName, LastName: org.LastName, Locale: org.Locale,
			MeetingID: strconv.FormatInt(se.MeetingID, 10), MeetingType: se.Type, NumAttendees: strconv.Itoa(len(se.Attendees)),
			OrganizerKey: strconv.FormatInt(org.Key, 10), SessionID: strconv.FormatInt(se.Key, 10), StartTime: stamp(se.Start),
			Subject: se.Subject})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) upcomingMeetings(w http.ResponseWriter, r *http.Request, caller Organizer) {
	org, ok := s.pathOrganizer(w, r, caller)
	if !ok {
		return
	}
	s.mu.Lock()
	now := s.nowLocked()
	var ms []*meeting
	for _, m := range s.st.meetings {
		if m.OrganizerKey == org.Key && m.End.After(now) {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b *meeting) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	out := make([]upcomingMeeting, 0, len(ms))
	for _, m := range ms {
		out = append(out, upcomingMeeting{AccountKey: strconv.FormatInt(s.cfg.AccountKey, 10),
			ConferenceCallInfo: callInfoText(m.CallInfo, m.ID), Email: org.Email, EndTime: stamp(m.End),
			FirstName: org.FirstName, LastName: org.LastName, Locale: org.Locale, MeetingID: strconv.FormatInt(m.ID, 10),
			MeetingType: m.Type, OrganizerKey: strconv.FormatInt(org.Key, 10), PasswordRequired: m.Password,
			StartTime: stamp(m.Start), Status: s.statusLocked(m), Subject: m.Subject})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// meetingAttendees lists the attendees of every ended session of the
// meeting; a meeting never held answers an empty array, an unknown one 404.
func (s *Server) meetingAttendees(w http.ResponseWriter, r *http.Request, org Organizer) {
	id, ok := parseID(r.PathValue("meetingId"))
	if !ok {
		writeError(w, http.StatusBadRequest, "InvalidParameter", "meetingId must be a positive integer")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.meetings[id]
	sessions := s.st.sessionsOf(id)
	owner := int64(0)
	switch {
	case m != nil:
		owner = m.OrganizerKey
	case len(sessions) > 0:
		owner = sessions[0].OrganizerKey
	}
	if owner == 0 || (owner != org.Key && !org.Admin) {
		writeError(w, http.StatusNotFound, "NotFound", "Meeting not found: "+strconv.FormatInt(id, 10))
		return
	}
	host, _ := s.organizer(owner)
	now := s.nowLocked()
	out := []attendeeByMeeting{}
	for _, se := range sessions {
		if se.End.After(now) {
			continue
		}
		for _, a := range se.Attendees {
			out = append(out, attendeeByMeeting{AttendeeEmail: a.Email, AttendeeName: a.Name,
				ConferenceCallInfo: callInfoText(se.CallInfo, se.MeetingID), Duration: minutes(se.End.Sub(se.Start)),
				Email: host.Email, EndTime: stamp(se.End), FirstName: host.FirstName, GroupName: "NA",
				JoinTime: stamp(a.JoinTime), LastName: host.LastName, LeaveTime: stamp(a.LeaveTime), MeetingID: se.MeetingID,
				MeetingInstanceKey: se.Key, MeetingType: se.Type, Name: a.Name, NumAttendees: len(se.Attendees),
				Organizerkey: host.Key, StartTime: stamp(se.Start), Subject: se.Subject})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) organizerAttendees(w http.ResponseWriter, r *http.Request, caller Organizer) {
	org, ok := s.pathOrganizer(w, r, caller)
	if !ok {
		return
	}
	from, to, err := dateRange(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []attendeeByOrganizer{}
	for _, se := range s.st.ended(org.Key, from, to, s.nowLocked()) {
		for _, a := range se.Attendees {
			out = append(out, attendeeByOrganizer{AttendeeEmail: a.Email, AttendeeName: a.Name,
				ConferenceCallInfo: callInfoText(se.CallInfo, se.MeetingID), Duration: minutes(a.LeaveTime.Sub(a.JoinTime)),
				Email: org.Email, EndTime: stamp(se.End), FirstName: org.FirstName, GroupName: org.GroupName,
				JoinTime: stamp(a.JoinTime), LastName: org.LastName, LeaveTime: stamp(a.LeaveTime), MeetingID: se.MeetingID,
				MeetingInstanceKey: se.Key, MeetingType: se.Type, Name: org.FirstName + " " + org.LastName,
				NewMeetingID: formatMeetingID(se.MeetingID), NumAttendees: len(se.Attendees), Organizerkey: org.Key,
				StartTime: stamp(se.Start), Subject: se.Subject})
		}
	}
	writeJSON(w, http.StatusOK, out)
}
