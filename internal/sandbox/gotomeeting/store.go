package gotomeeting

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// store holds the account's meetings and the sessions held of them. The
// Server's mutex guards it.
type store struct {
	meetings map[int64]*meeting
	// sessions are every session held, in the order they were held; a
	// deleted meeting keeps its history, as in GoTo.
	sessions []*session
	nextID   int64
	nextKey  int64
}

// meeting is one scheduled meeting.
type meeting struct {
	ID           int64
	OrganizerKey int64
	Subject      string
	Start, End   time.Time
	Password     bool
	// CallInfo is conferencecallinfo as the organizer sent it.
	CallInfo string
	Type     string
	Created  time.Time
}

// session is one held instance of a meeting, with its attendees.
type session struct {
	// Key is both the sessionId and the meetingInstanceKey.
	Key          int64
	MeetingID    int64
	OrganizerKey int64
	// Subject, Type and CallInfo are the meeting's as it was held.
	Subject    string
	Type       string
	CallInfo   string
	Start, End time.Time
	Attendees  []Attendee
}

// Attendee is one person in a held session.
type Attendee struct {
	// Name is the attendee's full name, as they typed it when joining.
	Name string `json:"name"`
	// Email may be empty: GoTo does not require one to join.
	Email string `json:"email,omitempty"`
	// JoinTime and LeaveTime default to the session's start and end.
	JoinTime  time.Time `json:"joinTime"`
	LeaveTime time.Time `json:"leaveTime"`
}

func newStore() *store {
	return &store{meetings: map[int64]*meeting{}, nextID: 281_604_117, nextKey: 12_580_113_229}
}

// newMeetingID hands out nine-digit meeting ids, spread like GoTo's.
func (st *store) newMeetingID() int64 {
	st.nextID += 7_919
	if st.nextID > 999_999_999 {
		st.nextID = 100_000_007
	}
	for st.meetings[st.nextID] != nil {
		st.nextID++
	}
	return st.nextID
}

func (st *store) newSessionKey() int64 {
	st.nextKey += 1_037
	return st.nextKey
}

// sessionsOf lists the sessions of a meeting, oldest first.
func (st *store) sessionsOf(id int64) []*session {
	var out []*session
	for _, se := range st.sessions {
		if se.MeetingID == id {
			out = append(out, se)
		}
	}
	return out
}

// ended lists the sessions of organizer (all when 0) that started within
// [from, to] and are over at now, by start.
func (st *store) ended(organizer int64, from, to, now time.Time) []*session {
	var out []*session
	for _, se := range st.sessions {
		if organizer != 0 && se.OrganizerKey != organizer {
			continue
		}
		if se.Start.Before(from) || se.Start.After(to) || se.End.After(now) {
			continue
		}
		out = append(out, se)
	}
	slices.SortStableFunc(out, func(a, b *session) int { return a.Start.Compare(b.Start) })
	return out
}

// formatMeetingID writes a meeting id the way GoTo shows it: 281-604-117.
func formatMeetingID(id int64) string {
	s := strconv.FormatInt(id, 10)
	if len(s) != 9 {
		return s
	}
	return s[:3] + "-" + s[3:6] + "-" + s[6:]
}

func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// callInfoText is what GoTo answers as conferenceCallInfo: the dial-in text
// for the options that include the phone, VoIP alone, or the organizer's own
// numbers.
func callInfoText(given string, id int64) string {
	switch strings.ToLower(given) {
	case "pstn", "free", "hybrid":
		return fmt.Sprintf("United States: +1 (571) 317-3112\nAccess Code: %s", formatMeetingID(id))
	case "voip":
		return "VoIP"
	case "private":
		return "Private"
	}
	return given
}

func minutes(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + 30*time.Second) / time.Minute)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
