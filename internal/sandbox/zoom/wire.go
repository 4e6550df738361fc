package zoom

import (
	"strconv"
	"time"
)

// Wire shapes of the API's answers and request bodies, with Zoom's JSON
// names and the JSON types of the published description.

// userWire is GET /users/{userId}.
type userWire struct {
	ID                 string `json:"id"`
	FirstName          string `json:"first_name"`
	LastName           string `json:"last_name"`
	Email              string `json:"email"`
	Type               int    `json:"type"`
	PMI                string `json:"pmi"`
	UsePMI             bool   `json:"use_pmi"`
	PersonalMeetingURL string `json:"personal_meeting_url"`
	Timezone           string `json:"timezone"`
	Verified           int    `json:"verified"`
	Dept               string `json:"dept"`
	CreatedAt          string `json:"created_at"`
	Language           string `json:"language"`
	AccountID          string `json:"account_id"`
}

// meetingWire is a meeting object: the create answer and GET /meetings/{id}.
type meetingWire struct {
	UUID      string    `json:"uuid"`
	ID        string    `json:"id"`
	HostID    string    `json:"host_id"`
	Topic     string    `json:"topic"`
	Type      int       `json:"type"`
	Status    string    `json:"status"`
	StartTime string    `json:"start_time,omitempty"`
	Duration  int       `json:"duration"`
	Timezone  string    `json:"timezone"`
	Agenda    string    `json:"agenda,omitempty"`
	CreatedAt string    `json:"created_at"`
	StartURL  string    `json:"start_url"`
	JoinURL   string    `json:"join_url"`
	Password  string    `json:"password,omitempty"`
	PMI       string    `json:"pmi,omitempty"`
	Settings  *settings `json:"settings"`
}

// meetingItemWire is one meeting of GET /users/{userId}/meetings.
type meetingItemWire struct {
	UUID      string `json:"uuid"`
	ID        string `json:"id"`
	HostID    string `json:"host_id"`
	Topic     string `json:"topic"`
	Type      int    `json:"type"`
	StartTime string `json:"start_time,omitempty"`
	Duration  int    `json:"duration"`
	Timezone  string `json:"timezone"`
	CreatedAt string `json:"created_at"`
	JoinURL   string `json:"join_url"`
	PMI       string `json:"pmi,omitempty"`
}

// meetingListWire is GET /users/{userId}/meetings.
type meetingListWire struct {
	PageCount     int               `json:"page_count"`
	PageNumber    int               `json:"page_number"`
	PageSize      int               `json:"page_size"`
	TotalRecords  int               `json:"total_records"`
	NextPageToken string            `json:"next_page_token"`
	Meetings      []meetingItemWire `json:"meetings"`
}

// meetingRequest is the body of a create or an update; nil fields are left
// as they are (update) or defaulted (create).
type meetingRequest struct {
	Topic       *string          `json:"topic"`
	Type        *int             `json:"type"`
	StartTime   *string          `json:"start_time"`
	Duration    *int             `json:"duration"`
	Timezone    *string          `json:"timezone"`
	Password    *string          `json:"password"`
	Agenda      *string          `json:"agenda"`
	ScheduleFor *string          `json:"schedule_for"`
	Settings    *settingsRequest `json:"settings"`
}

// settingsRequest is the settings of a create or an update.
type settingsRequest struct {
	HostVideo        *bool   `json:"host_video"`
	ParticipantVideo *bool   `json:"participant_video"`
	JoinBeforeHost   *bool   `json:"join_before_host"`
	MuteUponEntry    *bool   `json:"mute_upon_entry"`
	UsePMI           *bool   `json:"use_pmi"`
	WaitingRoom      *bool   `json:"waiting_room"`
	ApprovalType     *int    `json:"approval_type"`
	Audio            *string `json:"audio"`
	AutoRecording    *string `json:"auto_recording"`
}

// pastMeetingWire is GET /past_meetings/{meetingUUID} and one meeting of
// the report of a user's meetings.
type pastMeetingWire struct {
	UUID              string `json:"uuid"`
	ID                int64  `json:"id"`
	HostID            string `json:"host_id,omitempty"`
	Type              int    `json:"type"`
	Topic             string `json:"topic"`
	UserName          string `json:"user_name"`
	UserEmail         string `json:"user_email"`
	StartTime         string `json:"start_time"`
	EndTime           string `json:"end_time"`
	Duration          int    `json:"duration"`
	TotalMinutes      int    `json:"total_minutes"`
	ParticipantsCount int    `json:"participants_count"`
}

// instancesWire is GET /past_meetings/{meetingId}/instances.
type instancesWire struct {
	Meetings []instanceWire `json:"meetings"`
}

type instanceWire struct {
	UUID      string `json:"uuid"`
	StartTime string `json:"start_time"`
}

// pastParticipantWire is one participant of GET
// /past_meetings/{meetingUUID}/participants.
type pastParticipantWire struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	UserEmail string `json:"user_email"`
}

// reportParticipantWire is one participant of GET
// /report/meetings/{meetingId}/participants.
type reportParticipantWire struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	Name      string `json:"name"`
	UserEmail string `json:"user_email"`
	JoinTime  string `json:"join_time"`
	LeaveTime string `json:"leave_time"`
	Duration  int    `json:"duration"`
}

// pageWire is the paging envelope of token-paged lists.
type pageWire struct {
	PageCount     int    `json:"page_count"`
	PageSize      int    `json:"page_size"`
	TotalRecords  int    `json:"total_records"`
	NextPageToken string `json:"next_page_token"`
}

type pastParticipantsWire struct {
	pageWire
	Participants []pastParticipantWire `json:"participants"`
}

type reportParticipantsWire struct {
	pageWire
	Participants []reportParticipantWire `json:"participants"`
}

type reportMeetingsWire struct {
	From string `json:"from"`
	To   string `json:"to"`
	pageWire
	Meetings []pastMeetingWire `json:"meetings"`
}

// recordingWire is GET /meetings/{meetingId}/recordings and one meeting of
// a user's recordings. The description types total_size and
// recording_count as strings.
type recordingWire struct {
	UUID           string              `json:"uuid"`
	ID             string              `json:"id"`
	AccountID      string              `json:"account_id"`
	HostID         string              `json:"host_id"`
	Topic          string              `json:"topic"`
	StartTime      string              `json:"start_time"`
	Duration       int                 `json:"duration"`
	TotalSize      string              `json:"total_size"`
	RecordingCount string              `json:"recording_count"`
	RecordingFiles []recordingFileWire `json:"recording_files"`
}

type recordingFileWire struct {
	ID             string  `json:"id"`
	MeetingID      string  `json:"meeting_id"`
	RecordingStart string  `json:"recording_start"`
	RecordingEnd   string  `json:"recording_end"`
	FileType       string  `json:"file_type"`
	FileSize       float64 `json:"file_size"`
	PlayURL        string  `json:"play_url"`
	DownloadURL    string  `json:"download_url"`
	Status         string  `json:"status"`
	RecordingType  string  `json:"recording_type"`
}

type recordingsListWire struct {
	From string `json:"from"`
	To   string `json:"to"`
	pageWire
	Meetings []recordingWire `json:"meetings"`
}

// zoomTime writes a time as Zoom does: UTC, to the second, with Z.
func zoomTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
