package gotomeeting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds the wire structs, with the JSON names of GoTo Meeting's
// published description, and the lenient readers of its values.

// meetingRequest is MeetingReqCreate and MeetingReqUpdate: every key is
// required, in lower case.
type meetingRequest struct {
	Subject            string `json:"subject"`
	StartTime          string `json:"starttime"`
	EndTime            string `json:"endtime"`
	PasswordRequired   bool   `json:"passwordrequired"`
	ConferenceCallInfo string `json:"conferencecallinfo"`
	// TimeZoneKey is deprecated and must be sent as "".
	TimeZoneKey string `json:"timezonekey"`
	MeetingType string `json:"meetingtype"`
}

// meetingCreated is the MeetingCreated schema.
type meetingCreated struct {
	JoinURL            string  `json:"joinURL"`
	MeetingID          flexInt `json:"meetingid"`
	MaxParticipants    flexInt `json:"maxParticipants"`
	UniqueMeetingID    flexInt `json:"uniqueMeetingId"`
	ConferenceCallInfo string  `json:"conferenceCallInfo"`
}

// meetingByID is the MeetingById schema.
type meetingByID struct {
	ConferenceCallInfo string   `json:"conferenceCallInfo"`
	Duration           flexInt  `json:"duration"`
	EndTime            flexTime `json:"endTime"`
	MaxParticipants    flexInt  `json:"maxParticipants"`
	MeetingID          flexInt  `json:"meetingId"`
	MeetingKey         flexInt  `json:"meetingKey"`
	MeetingType        string   `json:"meetingType"`
	PasswordRequired   flexBool `json:"passwordRequired"`
	StartTime          flexTime `json:"startTime"`
	Status             string   `json:"status"`
	Subject            string   `json:"subject"`
	UniqueMeetingID    flexInt  `json:"uniqueMeetingId"`
}

// startURL is the StartUrl schema.
type startURL struct {
	HostURL string `json:"hostURL"`
}

// historicalMeeting is the HistoricalMeeting schema (its numbers are
// strings on the wire).
type historicalMeeting struct {
	AccountKey         string   `json:"accountKey"`
	ConferenceCallInfo string   `json:"conferenceCallInfo"`
	Duration           flexInt  `json:"duration"`
	Email              string   `json:"email"`
	EndTime            flexTime `json:"endTime"`
	FirstName          string   `json:"firstName"`
	LastName           string   `json:"lastName"`
	Locale             string   `json:"locale"`
	MeetingID          flexInt  `json:"meetingId"`
	MeetingType        string   `json:"meetingType"`
	NumAttendees       flexInt  `json:"numAttendees"`
	OrganizerKey       flexStr  `json:"organizerKey"`
	SessionID          flexStr  `json:"sessionId"`
	StartTime          flexTime `json:"startTime"`
	Subject            string   `json:"subject"`
}

// upcomingMeeting is the UpcomingMeeting schema.
type upcomingMeeting struct {
	ConferenceCallInfo string   `json:"conferenceCallInfo"`
	Email              string   `json:"email"`
	EndTime            flexTime `json:"endTime"`
	FirstName          string   `json:"firstName"`
	LastName           string   `json:"lastName"`
	MeetingID          flexInt  `json:"meetingId"`
	MeetingType        string   `json:"meetingType"`
	OrganizerKey       flexStr  `json:"organizerKey"`
	PasswordRequired   flexBool `json:"passwordRequired"`
	StartTime          flexTime `json:"startTime"`
	Status             string   `json:"status"`
	Subject            string   `json:"subject"`
}

// attendeeByMeeting is the AttendeeByMeeting schema.
type attendeeByMeeting struct {
	AttendeeEmail      string   `json:"attendeeEmail"`
	AttendeeName       string   `json:"attendeeName"`
	Name               string   `json:"name"`
	ConferenceCallInfo string   `json:"conferenceCallInfo"`
	Duration           flexInt  `json:"duration"`
	Email              string   `json:"email"`
	StartTime          flexTime `json:"startTime"`
	EndTime            flexTime `json:"endTime"`
	JoinTime           flexTime `json:"joinTime"`
	LeaveTime          flexTime `json:"leaveTime"`
	MeetingID          flexInt  `json:"meetingId"`
	MeetingInstanceKey flexInt  `json:"meetingInstanceKey"`
	MeetingType        string   `json:"meetingType"`
	NumAttendees       flexInt  `json:"numAttendees"`
	OrganizerKey       flexStr  `json:"organizerkey"`
	Subject            string   `json:"subject"`
}

// errorBody is GoTo's API error ({"int_err_code","msg"}), its gateway's
// ({"message"}), or an older shape ({"errorCode","description"}).
type errorBody struct {
	IntErrCode  string `json:"int_err_code"`
	Msg         string `json:"msg"`
	Message     string `json:"message"`
	ErrorCode   string `json:"errorCode"`
	Description string `json:"description"`
}

// flexInt is an integer GoTo may send as a number or as a string.
type flexInt int64

// UnmarshalJSON reads 123, "123", "" and null.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("not an integer: %.40q", s)
		}
		v = int64(f)
	}
	*n = flexInt(v)
	return nil
}

// flexStr is a key GoTo may send as a string or as a number; it keeps the
// digits exactly.
type flexStr string

// UnmarshalJSON reads "123", 123 and null.
func (s *flexStr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexStr(v)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return fmt.Errorf("not a string or number: %.40q", b)
	}
	*s = flexStr(num.String())
	return nil
}

// flexBool is a boolean GoTo may send as true, "true" or "" (the
// deprecated fields).
type flexBool bool

// UnmarshalJSON reads true, false, "true", "false", "" and null.
func (v *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(bytes.TrimSpace(b)), `"`) {
	case "true":
		*v = true
	case "false", "", "null":
		*v = false
	default:
		return fmt.Errorf("not a boolean: %.40q", b)
	}
	return nil
}

// flexTime is a time GoTo sends in one of its ISO 8601 spellings.
type flexTime time.Time

// UnmarshalJSON reads a string time; "" and null are the zero time.
func (t *flexTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time is not a string: %.40q", b)
	}
	v, err := parseTime(s)
	if err != nil {
		return err
	}
	*t = flexTime(v)
	return nil
}

// timeLayouts are the spellings GoTo's answers use: RFC 3339, and the
// Java-style offset without a colon, with or without milliseconds.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05.-0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
}

// parseTime reads one of GoTo's time spellings, in UTC; "" is the zero time.
// A time without an offset is UTC, as GoTo's API speaks UTC only.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 time: %.40q", s)
}

// formatTime writes a time as GoTo's requests want it: ISO 8601 UTC to the
// second, e.g. 2015-07-01T22:00:00Z.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// encodeSubject replaces the characters GoTo wants HTML-encoded.
func encodeSubject(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// decodeSubject undoes encodeSubject.
func decodeSubject(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">").Replace(s)
}
