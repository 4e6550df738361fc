package zoom

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// store is the account's data. The Server's mutex guards it.
type store struct {
	users    []*user
	meetings map[int64]*meeting
	order    []int64              // meeting ids in creation order
	byUUID   map[string]*instance // every past instance by its uuid
}

// user is one user of the account.
type user struct {
	ID        string
	Email     string
	FirstName string
	LastName  string
	TimeZone  string
	PMI       int64
	CreatedAt time.Time
}

func (u *user) name() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// meeting is a scheduled, instant or recurring meeting.
type meeting struct {
	ID        int64
	UUID      string
	HostID    string
	Topic     string
	Type      int
	StartTime time.Time // zero for an instant meeting or one with no fixed time
	Duration  int       // minutes
	TimeZone  string
	Agenda    string
	Password  string
	Settings  settings
	CreatedAt time.Time
	Status    string // "waiting" or "started"
	Deleted   bool
	// Instances are the sessions held, oldest first.
	Instances []*instance
}

// settings are the meeting settings the sandbox keeps.
type settings struct {
	HostVideo        bool   `json:"host_video"`
	ParticipantVideo bool   `json:"participant_video"`
	JoinBeforeHost   bool   `json:"join_before_host"`
	MuteUponEntry    bool   `json:"mute_upon_entry"`
	UsePMI           bool   `json:"use_pmi"`
	WaitingRoom      bool   `json:"waiting_room"`
	ApprovalType     int    `json:"approval_type"`
	Audio            string `json:"audio"`
	AutoRecording    string `json:"auto_recording"`
}

// instance is one session of a meeting, held through the admin surface.
type instance struct {
	UUID         string
	Meeting      *meeting
	Start, End   time.Time
	Participants []*participant
	Recording    *recording
}

// participant is one attendance of a session.
type participant struct {
	ID       string // the participant's id (a user's id for account users)
	UserID   string // the per-session numeric user id
	UUID     string // participant_uuid
	Name     string
	Email    string
	Join     time.Time
	Leave    time.Time
	IsMember bool // a user of the account
}

// recording is the cloud recording of a session.
type recording struct {
	ShareURL string
	Files    []recordingFile
}

// recordingFile is one file of a cloud recording.
type recordingFile struct {
	ID            string
	Start, End    time.Time
	FileType      string // MP4, M4A
	FileExtension string
	Size          int64
	RecordingType string
	PlayURL       string
	DownloadURL   string
}

func newStore() *store {
	return &store{meetings: map[int64]*meeting{}, byUUID: map[string]*instance{}}
}

// addUser adds a configured user with a generated id and, unless set, PMI.
func (st *store) addUser(uc UserConfig, rng *rand.Rand, now time.Time) *user {
	u := &user{ID: randomID(rng, 22), Email: uc.Email, FirstName: uc.FirstName, LastName: uc.LastName,
		TimeZone: uc.TimeZone, PMI: uc.PMI, CreatedAt: now.Truncate(time.Second)}
	if u.PMI == 0 {
		u.PMI = 1000000000 + rng.Int64N(8999999999)
	}
	st.users = append(st.users, u)
	return u
}

// user finds a user by id, email or "me" (the first user, the app's owner).
func (st *store) user(ref string) *user {
	if ref == "me" && len(st.users) > 0 {
		return st.users[0]
	}
	for _, u := range st.users {
		if u.ID == ref || strings.EqualFold(u.Email, ref) {
			return u
		}
	}
	return nil
}

func (st *store) userByID(id string) *user {
	for _, u := range st.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// meeting finds a live (not deleted) meeting by its numeric id.
func (st *store) meeting(id int64) *meeting {
	m := st.meetings[id]
	if m == nil || m.Deleted {
		return nil
	}
	return m
}

// newMeetingID draws an unused 11-digit meeting id.
func (st *store) newMeetingID(rng *rand.Rand) int64 {
	for {
		id := 80000000000 + rng.Int64N(9999999999)
		if _, taken := st.meetings[id]; !taken {
			return id
		}
	}
}

// newUUID draws a meeting UUID as Zoom writes them: 16 bytes in standard
// base64, so that some hold "/" and "+".
func (st *store) newUUID(rng *rand.Rand) string {
	for {
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		u := base64.StdEncoding.EncodeToString(b)
		if _, taken := st.byUUID[u]; !taken && !st.meetingUUIDTaken(u) {
			return u
		}
	}
}

func (st *store) meetingUUIDTaken(u string) bool {
	for _, m := range st.meetings {
		if m.UUID == u {
			return true
		}
	}
	return false
}

// pastByRef finds a session: by uuid, or by meeting id its latest.
// notHeld is true when the meeting exists but was never held.
func (st *store) pastByRef(ref string) (inst *instance, notHeld bool) {
	if in, ok := st.byUUID[ref]; ok {
		return in, false
	}
	var id int64
	if _, err := fmt.Sscan(ref, &id); err != nil || fmt.Sprint(id) != ref {
		return nil, false
	}
	m := st.meetings[id]
	if m == nil {
		return nil, false
	}
	if len(m.Instances) == 0 {
		return nil, true
	}
	return m.Instances[len(m.Instances)-1], false
}

// meetingsOf lists a host's live meetings in creation order.
func (st *store) meetingsOf(hostID string) []*meeting {
	var out []*meeting
	for _, id := range st.order {
		if m := st.meetings[id]; !m.Deleted && m.HostID == hostID {
			out = append(out, m)
		}
	}
	return out
}

// instancesOf lists a host's sessions that ended within [from, to), by
// start time.
func (st *store) instancesOf(hostID string, from, to time.Time) []*instance {
	var out []*instance
	for _, in := range st.byUUID {
		if in.Meeting.HostID == hostID && !in.End.Before(from) && in.End.Before(to) {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b *instance) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.UUID, b.UUID)
	})
	return out
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// randomID draws an id of n characters like Zoom's user and participant ids.
func randomID(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// passcode draws a meeting passcode of six letters and digits.
func passcode(rng *rand.Rand) string {
	const a = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = a[rng.IntN(len(a))]
	}
	return string(b)
}
