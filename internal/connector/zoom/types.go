package zoom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
)

// MeetingID is a meeting's numeric id. It reads a JSON number (Zoom's live
// answers) or a string of digits (parts of the published description, and
// webhooks).
type MeetingID int64

// UnmarshalJSON reads 85746065432 or "85746065432".
func (id *MeetingID) UnmarshalJSON(b []byte) error {
	n, err := flexInt(b)
	if err != nil {
		return fmt.Errorf("meeting id: %w", err)
	}
	*id = MeetingID(n)
	return nil
}

func (id MeetingID) String() string { return strconv.FormatInt(int64(id), 10) }

// Int is an integer Zoom sends as a JSON number or as a string of digits
// (PMIs, recording sizes and counts).
type Int int64

// UnmarshalJSON reads 42, 42.0 or "42"; null and "" read as 0.
func (n *Int) UnmarshalJSON(b []byte) error {
	v, err := flexInt(b)
	*n = Int(v)
	return err
}

func flexInt(b []byte) (int64, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return 0, nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
		if s == "" {
			return 0, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) {
		return 0, fmt.Errorf("%s is not an integer", s)
	}
	return int64(f), nil
}

// Text is a string Zoom may send as a JSON number (a past meeting's
// host_id in the published description).
type Text string

// UnmarshalJSON reads "abc" or 123.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*t = Text(s)
		return err
	}
	if string(b) == "null" {
		*t = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*t = Text(n.String())
	return nil
}

// Time is a Zoom timestamp (RFC 3339, UTC); an empty string reads as the
// zero time.
type Time struct{ time.Time }

// UnmarshalJSON reads "2026-03-09T10:00:00Z" or "".
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	t.Time = v.UTC()
	return nil
}

// MarshalJSON writes the time as Zoom does, or "" for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(t.UTC().Format("2006-01-02T15:04:05Z"))
}

// MeetingType is Zoom's meeting type.
type MeetingType int

// Meeting types.
const (
	Instant                MeetingType = 1
	Scheduled              MeetingType = 2
	RecurringNoFixedTime   MeetingType = 3
	RecurringWithFixedTime MeetingType = 8
)

// User is a Zoom user (GET /users/{userId}).
type User struct {
	ID                 string `json:"id"`
	FirstName          string `json:"first_name"`
	LastName           string `json:"last_name"`
	Email              string `json:"email"`
	Type               int    `json:"type"`
	PMI                Int    `json:"pmi"`
	UsePMI             bool   `json:"use_pmi"`
	PersonalMeetingURL string `json:"personal_meeting_url"`
	Timezone           string `json:"timezone"`
	AccountID          string `json:"account_id"`
}

// Settings are the meeting settings the hub sets and reads.
type Settings struct {
	// JoinBeforeHost lets attendees in before the host (SPEC M13).
	JoinBeforeHost bool `json:"join_before_host"`
	// UsePMI holds the meeting at the host's personal meeting ID (SPEC M13).
	UsePMI           bool   `json:"use_pmi"`
	WaitingRoom      bool   `json:"waiting_room"`
	HostVideo        bool   `json:"host_video"`
	ParticipantVideo bool   `json:"participant_video"`
	MuteUponEntry    bool   `json:"mute_upon_entry"`
	ApprovalType     int    `json:"approval_type"`
	Audio            string `json:"audio"`
	AutoRecording    string `json:"auto_recording"`
}

// Meeting is a meeting object (create answer, GET /meetings/{meetingId}, an
// entry of a user's meeting list).
type Meeting struct {
	ID     MeetingID   `json:"id"`
	UUID   string      `json:"uuid"`
	HostID string      `json:"host_id"`
	Topic  string      `json:"topic"`
	Type   MeetingType `json:"type"`
	// Status is "waiting" or "started".
	Status    string `json:"status"`
	StartTime Time   `json:"start_time"`
	// Duration is the scheduled length in minutes.
	Duration  int    `json:"duration"`
	Timezone  string `json:"timezone"`
	Agenda    string `json:"agenda"`
	CreatedAt Time   `json:"created_at"`
	StartURL  string `json:"start_url"`
	JoinURL   string `json:"join_url"`
	Password  string `json:"password"`
	// PMI is the host's personal meeting ID when the meeting uses it.
	PMI      Int      `json:"pmi"`
	Settings Settings `json:"settings"`
}

// MeetingRequest is a meeting to create.
type MeetingRequest struct {
	Topic string
	// Type is Scheduled when zero.
	Type MeetingType
	// Start is when it begins, in any zone; it is sent in UTC.
	Start time.Time
	// Duration is rounded up to whole minutes.
	Duration time.Duration
	// TimeZone is the IANA zone the meeting is shown in (the customer's,
	// SPEC M11); empty leaves the host's.
	TimeZone       string
	Agenda         string
	Password       string
	JoinBeforeHost bool
	UsePMI         bool
}

// MeetingUpdate changes the fields it sets and leaves the nil ones.
type MeetingUpdate struct {
	Topic          *string
	Start          *time.Time
	Duration       *time.Duration
	TimeZone       *string
	Agenda         *string
	Password       *string
	JoinBeforeHost *bool
	UsePMI         *bool
}

// meetingBody is a create or update body with Zoom's names.
type meetingBody struct {
	Topic     *string       `json:"topic,omitempty"`
	Type      MeetingType   `json:"type,omitempty"`
	StartTime string        `json:"start_time,omitempty"`
	Duration  *int          `json:"duration,omitempty"`
	Timezone  *string       `json:"timezone,omitempty"`
	Agenda    *string       `json:"agenda,omitempty"`
	Password  *string       `json:"password,omitempty"`
	Settings  *settingsBody `json:"settings,omitempty"`
}

type settingsBody struct {
	JoinBeforeHost *bool `json:"join_before_host,omitempty"`
	UsePMI         *bool `json:"use_pmi,omitempty"`
}

func minutesOf(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) }

func wireTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (r MeetingRequest) body() meetingBody {
	b := meetingBody{Topic: &r.Topic, Type: r.Type, Settings: &settingsBody{JoinBeforeHost: &r.JoinBeforeHost, UsePMI: &r.UsePMI}}
	if b.Type == 0 {
		b.Type = Scheduled
	}
	if !r.Start.IsZero() {
		b.StartTime = wireTime(r.Start)
	}
	if r.Duration > 0 {
		d := minutesOf(r.Duration)
		b.Duration = &d
	}
	if r.TimeZone != "" {
		b.Timezone = &r.TimeZone
	}
	if r.Agenda != "" {
		b.Agenda = &r.Agenda
	}
	if r.Password != "" {
		b.Password = &r.Password
	}
	return b
}

func (u MeetingUpdate) body() meetingBody {
	b := meetingBody{Topic: u.Topic, Timezone: u.TimeZone, Agenda: u.Agenda, Password: u.Password}
	if u.Start != nil {
		b.StartTime = wireTime(*u.Start)
	}
	if u.Duration != nil {
		d := minutesOf(*u.Duration)
		b.Duration = &d
	}
	if u.JoinBeforeHost != nil || u.UsePMI != nil {
		b.Settings = &settingsBody{JoinBeforeHost: u.JoinBeforeHost, UsePMI: u.UsePMI}
	}
	return b
}

// PastMeeting is one ended session (GET /past_meetings/{meetingUUID}, and
// a meeting of the report of a user's meetings).
type PastMeeting struct {
	UUID      string      `json:"uuid"`
	ID        MeetingID   `json:"id"`
	HostID    Text        `json:"host_id"`
	Type      MeetingType `json:"type"`
	Topic     string      `json:"topic"`
	UserName  string      `json:"user_name"`
	UserEmail string      `json:"user_email"`
	StartTime Time        `json:"start_time"`
	EndTime   Time        `json:"end_time"`
	// Duration is the session's length in minutes.
	Duration int `json:"duration"`
	// TotalMinutes adds up every participant's minutes.
	TotalMinutes      int `json:"total_minutes"`
	ParticipantsCount int `json:"participants_count"`
}

// Instance is one session of a meeting (GET /past_meetings/{id}/instances).
type Instance struct {
	UUID      string `json:"uuid"`
	StartTime Time   `json:"start_time"`
}

// Participant is a participant of a past session (GET
// /past_meetings/{meetingUUID}/participants).
type Participant struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	UserEmail string `json:"user_email"`
}

// ReportParticipant is one attendance from the meeting participants report,
// with join and leave times (a person who rejoined has several).
type ReportParticipant struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	Name      string `json:"name"`
	UserEmail string `json:"user_email"`
	JoinTime  Time   `json:"join_time"`
	LeaveTime Time   `json:"leave_time"`
	// Duration is the attendance in seconds.
	Duration int `json:"duration"`
}

// Recording is a session's cloud recording.
type Recording struct {
	UUID           string          `json:"uuid"`
	ID             MeetingID       `json:"id"`
	AccountID      string          `json:"account_id"`
	HostID         string          `json:"host_id"`
	Topic          string          `json:"topic"`
	StartTime      Time            `json:"start_time"`
	Duration       int             `json:"duration"`
	TotalSize      Int             `json:"total_size"`
	RecordingCount Int             `json:"recording_count"`
	ShareURL       string          `json:"share_url"`
	RecordingFiles []RecordingFile `json:"recording_files"`
}

// RecordingFile is one file of a cloud recording.
type RecordingFile struct {
	ID             string `json:"id"`
	MeetingID      string `json:"meeting_id"`
	RecordingStart Time   `json:"recording_start"`
	RecordingEnd   Time   `json:"recording_end"`
	FileType       string `json:"file_type"`
	FileExtension  string `json:"file_extension"`
	FileSize       Int    `json:"file_size"`
	PlayURL        string `json:"play_url"`
	DownloadURL    string `json:"download_url"`
	Status         string `json:"status"`
	RecordingType  string `json:"recording_type"`
}

// page is the paging envelope of Zoom's token-paged lists.
type page struct {
	PageCount     int    `json:"page_count"`
	PageSize      int    `json:"page_size"`
	TotalRecords  int    `json:"total_records"`
	NextPageToken string `json:"next_page_token"`
}

// tokenPaged is any list answer; the items are decoded per list.
type meetingList struct {
	page
	Meetings []Meeting `json:"meetings"`
}

type participantList struct {
	page
	Participants []Participant `json:"participants"`
}

type reportParticipantList struct {
	page
	Participants []ReportParticipant `json:"participants"`
}

type reportMeetingList struct {
	page
	Meetings []PastMeeting `json:"meetings"`
}

type recordingList struct {
	page
	Meetings []Recording `json:"meetings"`
}

type instanceList struct {
	Meetings []Instance `json:"meetings"`
}

// FieldError is one entry of a validation error's errors array.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// APIError is an error answer: {"code", "message"} with Zoom's code, e.g.
// 124 invalid token, 300 validation, 1001 user not found, 3001 meeting not
// found, 3301 no recording, 429 rate limit.
type APIError struct {
	// Status is the HTTP status.
	Status  int          `json:"-"`
	Code    int          `json:"code"`
	Message string       `json:"message"`
	Errors  []FieldError `json:"errors"`
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%d code %d: %s", e.Status, e.Code, e.Message)
	var fs []string
	for _, f := range e.Errors {
		fs = append(fs, f.Field+": "+f.Message)
	}
	if len(fs) > 0 {
		s += " [" + strings.Join(fs, "; ") + "]"
	}
	return s
}

// Unwrap maps the answer to the connector's sentinels: 404 is
// connector.ErrNotFound, 400 connector.ErrInvalid, 429
// connector.ErrRateLimited.
func (e *APIError) Unwrap() error {
	switch {
	case e.Status == 404:
		return connector.ErrNotFound
	case e.Status == 429:
		return connector.ErrRateLimited
	case e.Status == 400:
		return connector.ErrInvalid
	}
	return nil
}
