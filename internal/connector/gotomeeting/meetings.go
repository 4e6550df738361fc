package gotomeeting

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmsync/crmsync/internal/connector"
)

// ErrNoSession means the meeting was never started, so it has no session
// and no attendees to sync: what the organizer is told as "No session
// exists" (SPEC M8).
var ErrNoSession = errors.New("gotomeeting: No session exists")

// MeetingType is GoTo's meetingtype.
type MeetingType string

// The meeting types GoTo knows.
const (
	Scheduled MeetingType = "scheduled"
	Immediate MeetingType = "immediate"
	Recurring MeetingType = "recurring"
)

// Audio options of ConferenceCallInfo; any other text up to 255 characters
// is sent as the organizer's own dial-in numbers.
const (
	AudioPSTN    = "PSTN"
	AudioFree    = "Free"
	AudioHybrid  = "Hybrid"
	AudioPrivate = "Private"
	AudioVoIP    = "VoIP"
)

// Meeting is what Create and Update send.
type Meeting struct {
	// Subject is at most 100 characters; '<' and '>' are encoded as GoTo
	// wants.
	Subject string
	// Start and End are sent in UTC, to the second.
	Start, End time.Time
	// PasswordRequired asks attendees for the meeting's password.
	PasswordRequired bool
	// ConferenceCallInfo is the audio: AudioHybrid by default.
	ConferenceCallInfo string
	// Type is Scheduled by default.
	Type MeetingType
}

// request checks m and builds the wire body.
func (m Meeting) request() (meetingRequest, error) {
	subject := encodeSubject(strings.TrimSpace(m.Subject))
	switch {
	case subject == "":
		return meetingRequest{}, &connector.FieldError{Field: "subject", Err: fmt.Errorf("empty: %w", connector.ErrInvalid)}
	case utf8.RuneCountInString(subject) > 100:
		return meetingRequest{}, &connector.FieldError{Field: "subject", Err: fmt.Errorf("longer than 100 characters: %w", connector.ErrInvalid)}
	case m.Start.IsZero() || !m.End.After(m.Start):
		return meetingRequest{}, &connector.FieldError{Field: "endtime", Err: fmt.Errorf("must be after the start: %w", connector.ErrInvalid)}
	}
	audio := m.ConferenceCallInfo
	if audio == "" {
		audio = AudioHybrid
	}
	typ := m.Type
	if typ == "" {
		typ = Scheduled
	}
	return meetingRequest{Subject: subject, StartTime: formatTime(m.Start), EndTime: formatTime(m.End),
		PasswordRequired: m.PasswordRequired, ConferenceCallInfo: audio, TimeZoneKey: "", MeetingType: string(typ)}, nil
}

// Created is GoTo's answer to a create.
type Created struct {
	// ID is the meeting id (GoTo's meetingid).
	ID int64
	// JoinURL is the attendees' link.
	JoinURL string
	// ConferenceCallInfo is the audio text to put in invitations.
	ConferenceCallInfo string
	MaxParticipants    int
}

// Info is a meeting as GoTo reports it.
type Info struct {
	ID                 int64
	Subject            string
	Start, End         time.Time
	Duration           time.Duration
	Type               MeetingType
	PasswordRequired   bool
	ConferenceCallInfo string
	MaxParticipants    int
	// Active is true while a session of the meeting is running.
	Active bool
}

// Historical is one ended session of a meeting.
type Historical struct {
	MeetingID int64
	// SessionID names the session; it is the attendees' MeetingInstanceKey.
	SessionID          string
	Subject            string
	Start, End         time.Time
	Duration           time.Duration
	NumAttendees       int
	Type               MeetingType
	ConferenceCallInfo string
	// The organizer who hosted it.
	OrganizerKey                        string
	OrganizerEmail, FirstName, LastName string
}

// Upcoming is a meeting not yet over.
type Upcoming struct {
	MeetingID          int64
	Subject            string
	Start, End         time.Time
	Type               MeetingType
	PasswordRequired   bool
	Active             bool
	ConferenceCallInfo string
	OrganizerKey       string
	OrganizerEmail     string
}

// Attendee is one person's attendance of one session.
type Attendee struct {
	MeetingID int64
	// SessionKey is GoTo's meetingInstanceKey.
	SessionKey int64
	Name       string
	// Email may be empty: GoTo does not require one to join.
	Email               string
	JoinTime, LeaveTime time.Time
}

// Session is one held session with its attendees.
type Session struct {
	Key        int64
	MeetingID  int64
	Subject    string
	Start, End time.Time
	Attendees  []Attendee
}

func meetingPath(id int64) string { return "/meetings/" + strconv.FormatInt(id, 10) }

// Create schedules a meeting. GoTo has no idempotency key: a create whose
// answer is lost may have made the meeting.
func (c *Client) Create(ctx context.Context, m Meeting) (Created, error) {
	body, err := m.request()
	if err != nil {
		return Created{}, fmt.Errorf("gotomeeting: create meeting: %w", err)
	}
	var out []meetingCreated
	if err := c.call(ctx, http.MethodPost, "/meetings", nil, body, &out); err != nil {
		return Created{}, fmt.Errorf("gotomeeting: create meeting: %w", err)
	}
	if len(out) == 0 || out[0].MeetingID <= 0 {
		return Created{}, fmt.Errorf("gotomeeting: create meeting: the answer holds no meeting")
	}
	return Created{ID: int64(out[0].MeetingID), JoinURL: out[0].JoinURL, ConferenceCallInfo: out[0].ConferenceCallInfo,
		MaxParticipants: int(out[0].MaxParticipants)}, nil
}

// Meeting reads one meeting.
func (c *Client) Meeting(ctx context.Context, id int64) (Info, error) {
	var out []meetingByID
	if err := c.call(ctx, http.MethodGet, meetingPath(id), nil, nil, &out); err != nil {
		return Info{}, fmt.Errorf("gotomeeting: get meeting %d: %w", id, err)
	}
	if len(out) == 0 {
		return Info{}, fmt.Errorf("gotomeeting: get meeting %d: empty answer: %w", id, connector.ErrNotFound)
	}
	m := out[0]
	mid := int64(m.MeetingID)
	if mid == 0 {
		mid = int64(m.MeetingKey)
	}
	return Info{ID: mid, Subject: decodeSubject(m.Subject), Start: time.Time(m.StartTime), End: time.Time(m.EndTime),
		Duration: time.Duration(m.Duration) * time.Minute, Type: MeetingType(strings.ToLower(m.MeetingType)),
		PasswordRequired: bool(m.PasswordRequired), ConferenceCallInfo: m.ConferenceCallInfo,
		MaxParticipants: int(m.MaxParticipants), Active: strings.EqualFold(m.Status, "ACTIVE")}, nil
}

// Update replaces a meeting's subject, times, password and audio; GoTo
// wants every field, so m is the whole meeting.
func (c *Client) Update(ctx context.Context, id int64, m Meeting) error {
	body, err := m.request()
	if err == nil {
		err = c.call(ctx, http.MethodPut, meetingPath(id), nil, body, nil)
	}
	if err != nil {
		return fmt.Errorf("gotomeeting: update meeting %d: %w", id, err)
	}
	return nil
}

// Delete deletes a meeting; its history stays at GoTo. A meeting already
// gone answers an error wrapping connector.ErrNotFound.
func (c *Client) Delete(ctx context.Context, id int64) error {
	if err := c.call(ctx, http.MethodDelete, meetingPath(id), nil, nil, nil); err != nil {
		return fmt.Errorf("gotomeeting: delete meeting %d: %w", id, err)
	}
	return nil
}

// StartURL returns the host's URL that starts the meeting (SPEC M2).
func (c *Client) StartURL(ctx context.Context, id int64) (string, error) {
	var out startURL
	if err := c.call(ctx, http.MethodGet, meetingPath(id)+"/start", nil, nil, &out); err != nil {
		return "", fmt.Errorf("gotomeeting: start meeting %d: %w", id, err)
	}
	if out.HostURL == "" {
		return "", fmt.Errorf("gotomeeting: start meeting %d: the answer holds no hostURL", id)
	}
	return out.HostURL, nil
}

func dateRange(from, to time.Time) url.Values {
	return url.Values{"startDate": {formatTime(from)}, "endDate": {formatTime(to)}}
}

// HistoricalMeetings lists the signed-in organizer's sessions that started
// within [from, to] and have ended, by start.
func (c *Client) HistoricalMeetings(ctx context.Context, from, to time.Time) ([]Historical, error) {
	return c.historical(ctx, "/historicalMeetings", from, to)
}

// OrganizerHistoricalMeetings is HistoricalMeetings of another organizer,
// for a connection with GoTo's admin role (SPEC M14).
func (c *Client) OrganizerHistoricalMeetings(ctx context.Context, organizerKey string, from, to time.Time) ([]Historical, error) {
	return c.historical(ctx, "/organizers/"+url.PathEscape(organizerKey)+"/historicalMeetings", from, to)
}

func (c *Client) historical(ctx context.Context, path string, from, to time.Time) ([]Historical, error) {
	var out []historicalMeeting
	if err := c.call(ctx, http.MethodGet, path, dateRange(from, to), nil, &out); err != nil {
		return nil, fmt.Errorf("gotomeeting: historical meetings %s..%s: %w", formatTime(from), formatTime(to), err)
	}
	res := make([]Historical, 0, len(out))
	for _, h := range out {
		res = append(res, Historical{MeetingID: int64(h.MeetingID), SessionID: string(h.SessionID), Subject: decodeSubject(h.Subject),
			Start: time.Time(h.StartTime), End: time.Time(h.EndTime), Duration: time.Duration(h.Duration) * time.Minute,
			NumAttendees: int(h.NumAttendees), Type: MeetingType(strings.ToLower(h.MeetingType)), ConferenceCallInfo: h.ConferenceCallInfo,
			OrganizerKey: string(h.OrganizerKey), OrganizerEmail: h.Email, FirstName: h.FirstName, LastName: h.LastName})
	}
	slices.SortStableFunc(res, func(a, b Historical) int { return a.Start.Compare(b.Start) })
	return res, nil
}

// UpcomingMeetings lists the signed-in organizer's meetings not yet over.
func (c *Client) UpcomingMeetings(ctx context.Context) ([]Upcoming, error) {
	var out []upcomingMeeting
	if err := c.call(ctx, http.MethodGet, "/upcomingMeetings", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("gotomeeting: upcoming meetings: %w", err)
	}
	res := make([]Upcoming, 0, len(out))
	for _, u := range out {
		res = append(res, Upcoming{MeetingID: int64(u.MeetingID), Subject: decodeSubject(u.Subject), Start: time.Time(u.StartTime),
			End: time.Time(u.EndTime), Type: MeetingType(strings.ToLower(u.MeetingType)), PasswordRequired: bool(u.PasswordRequired),
			Active: strings.EqualFold(u.Status, "ACTIVE"), ConferenceCallInfo: u.ConferenceCallInfo,
			OrganizerKey: string(u.OrganizerKey), OrganizerEmail: u.Email})
	}
	return res, nil
}

// Attendees lists who attended each session of a meeting; a meeting never
// held has none.
func (c *Client) Attendees(ctx context.Context, id int64) ([]Attendee, error) {
	var out []attendeeByMeeting
	if err := c.call(ctx, http.MethodGet, meetingPath(id)+"/attendees", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("gotomeeting: attendees of meeting %d: %w", id, err)
	}
	res := make([]Attendee, 0, len(out))
	for _, a := range out {
		res = append(res, attendee(a, id))
	}
	return res, nil
}

func attendee(a attendeeByMeeting, id int64) Attendee {
	name := a.AttendeeName
	if name == "" {
		name = a.Name
	}
	mid := int64(a.MeetingID)
	if mid == 0 {
		mid = id
	}
	return Attendee{MeetingID: mid, SessionKey: int64(a.MeetingInstanceKey), Name: name, Email: a.AttendeeEmail,
		JoinTime: time.Time(a.JoinTime), LeaveTime: time.Time(a.LeaveTime)}
}

// Sessions is the history of one meeting: its sessions, oldest first,
// each with its attendees. A meeting never started answers ErrNoSession.
func (c *Client) Sessions(ctx context.Context, id int64) ([]Session, error) {
	var out []attendeeByMeeting
	if err := c.call(ctx, http.MethodGet, meetingPath(id)+"/attendees", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("gotomeeting: sessions of meeting %d: %w", id, err)
	}
	return groupSessions(id, out)
}

// groupSessions turns attendee rows into sessions.
func groupSessions(id int64, rows []attendeeByMeeting) ([]Session, error) {
	byKey := map[int64]*Session{}
	var order []int64
	for _, r := range rows {
		k := int64(r.MeetingInstanceKey)
		s := byKey[k]
		if s == nil {
			s = &Session{Key: k, MeetingID: id, Subject: decodeSubject(r.Subject), Start: time.Time(r.StartTime), End: time.Time(r.EndTime)}
			byKey[k] = s
			order = append(order, k)
		}
		s.Attendees = append(s.Attendees, attendee(r, id))
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("%w (meeting %d)", ErrNoSession, id)
	}
	res := make([]Session, 0, len(order))
	for _, k := range order {
		res = append(res, *byKey[k])
	}
	slices.SortStableFunc(res, func(a, b Session) int { return a.Start.Compare(b.Start) })
	return res, nil
}
