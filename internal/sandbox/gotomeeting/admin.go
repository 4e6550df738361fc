package gotomeeting

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file is the sandbox's own admin surface under /__sandbox/, and the
// same operations as Go methods. Nothing here exists in GoTo Meeting, and
// nothing here counts against the rate limit. Its main use is to hold a
// meeting: GoTo sends no webhooks for history, so a test or a person plays
// the session that the hub later pulls.
//
//	GET    /__sandbox/                             account info: URLs, client, organizers, counts
//	POST   /__sandbox/reset                        back to the configured, empty account
//	GET    /__sandbox/faults                       the fault switches
//	POST   /__sandbox/faults                       merge switches; {"expire_tokens":true}, {"revoke_tokens":true}
//	DELETE /__sandbox/faults                       clear every switch
//	POST   /__sandbox/meetings/{meetingId}/sessions  hold a session: HoldRequest as JSON
//	GET    /__sandbox/meetings/{meetingId}/sessions  the sessions held of a meeting
//	POST   /__sandbox/code                         {"email": ..., "redirect_uri": ...}: an authorization code
//	GET    /__sandbox/clock                        the sandbox's time
//	POST   /__sandbox/clock                        {"advance": "25h"} moves it; {"reset": true} back

// HoldRequest describes a session to hold. Zero times default to the
// meeting's scheduled start and end; an attendee's zero join and leave
// times default to the session's.
type HoldRequest struct {
	Start     time.Time  `json:"start"`
	End       time.Time  `json:"end"`
	Attendees []Attendee `json:"attendees"`
}

// Session is a held session as the admin surface reports it.
type Session struct {
	SessionID    int64      `json:"sessionId"`
	MeetingID    int64      `json:"meetingId"`
	OrganizerKey int64      `json:"organizerKey"`
	Subject      string     `json:"subject"`
	Start        time.Time  `json:"start"`
	End          time.Time  `json:"end"`
	Attendees    []Attendee `json:"attendees"`
}

// ErrNoMeeting is Hold's answer for a meeting id the account does not have.
var ErrNoMeeting = errors.New("gotomeeting sandbox: no such meeting")

// Hold holds a session of meeting id with the attendees of h, as if they had
// joined and left at the times given. The session shows in
// historicalMeetings and attendees once the sandbox's clock passes its end.
func (s *Server) Hold(id int64, h HoldRequest) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.meetings[id]
	if m == nil {
		return Session{}, fmt.Errorf("%w: %d", ErrNoMeeting, id)
	}
	start, end := h.Start.UTC().Truncate(time.Second), h.End.UTC().Truncate(time.Second)
	if h.Start.IsZero() {
		start = m.Start
	}
	if h.End.IsZero() {
		end = start.Add(m.End.Sub(m.Start))
	}
	if !end.After(start) {
		return Session{}, fmt.Errorf("gotomeeting sandbox: hold: end %s is not after start %s", stamp(end), stamp(start))
	}
	if len(h.Attendees) == 0 {
		return Session{}, fmt.Errorf("gotomeeting sandbox: hold: a session needs at least one attendee")
	}
	atts := make([]Attendee, len(h.Attendees))
	for i, a := range h.Attendees {
		if strings.TrimSpace(a.Name) == "" {
			return Session{}, fmt.Errorf("gotomeeting sandbox: hold: attendee %d has no name", i+1)
		}
		if a.JoinTime.IsZero() {
			a.JoinTime = start
		}
		if a.LeaveTime.IsZero() {
			a.LeaveTime = end
		}
		a.JoinTime, a.LeaveTime = a.JoinTime.UTC().Truncate(time.Second), a.LeaveTime.UTC().Truncate(time.Second)
		if a.LeaveTime.Before(a.JoinTime) || a.JoinTime.Before(start) || a.LeaveTime.After(end) {
			return Session{}, fmt.Errorf("gotomeeting sandbox: hold: attendee %q must join and leave within the session, leaving after joining", a.Name)
		}
		atts[i] = a
	}
	se := &session{Key: s.st.newSessionKey(), MeetingID: id, OrganizerKey: m.OrganizerKey, Subject: m.Subject, Type: m.Type,
		CallInfo: m.CallInfo, Start: start, End: end, Attendees: atts}
	s.st.sessions = append(s.st.sessions, se)
	return se.public(), nil
}

func (se *session) public() Session {
	return Session{SessionID: se.Key, MeetingID: se.MeetingID, OrganizerKey: se.OrganizerKey, Subject: se.Subject,
		Start: se.Start, End: se.End, Attendees: append([]Attendee(nil), se.Attendees...)}
}

// Sessions lists the sessions held of meeting id, oldest first.
func (s *Server) Sessions(id int64) []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Session
	for _, se := range s.st.sessionsOf(id) {
		out = append(out, se.public())
	}
	return out
}

// MeetingCount reports how many meetings the account holds.
func (s *Server) MeetingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.meetings)
}

type adminError struct {
	Error string `json:"error"`
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	segs := strings.FieldsFunc(strings.TrimPrefix(r.URL.Path, "/__sandbox"), func(c rune) bool { return c == '/' })
	route := ""
	if len(segs) > 0 {
		route = segs[0]
	}
	bad := func(status int, err error) { writeJSON(w, status, adminError{Error: err.Error()}) }
	switch {
	case route == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.info(r))
	case route == "reset" && r.Method == http.MethodPost:
		s.Reset()
		writeJSON(w, http.StatusOK, s.info(r))
	case route == "faults":
		switch r.Method {
		case http.MethodGet:
		case http.MethodDelete:
			_ = s.SetFaults(Faults{})
		case http.MethodPost:
			var fw faultsWire
			if err := json.NewDecoder(r.Body).Decode(&fw); err != nil {
				bad(http.StatusBadRequest, fmt.Errorf("faults: %w", err))
				return
			}
			f := s.Faults()
			if err := f.apply(fw); err != nil {
				bad(http.StatusBadRequest, fmt.Errorf("faults: %w", err))
				return
			}
			_ = s.SetFaults(f)
			if fw.ExpireTokens {
				s.ExpireTokens()
			}
			if fw.RevokeTokens {
				s.RevokeTokens()
			}
		default:
			bad(http.StatusMethodNotAllowed, errors.New("use GET, POST or DELETE"))
			return
		}
		writeJSON(w, http.StatusOK, s.Faults())
	case route == "meetings" && len(segs) == 3 && segs[2] == "sessions":
		id, ok := parseID(segs[1])
		if !ok {
			bad(http.StatusBadRequest, errors.New("meetingId must be a positive integer"))
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Sessions(id))
		case http.MethodPost:
			var h HoldRequest
			if err := json.NewDecoder(r.Body).Decode(&h); err != nil {
				bad(http.StatusBadRequest, fmt.Errorf("hold: %w", err))
				return
			}
			se, err := s.Hold(id, h)
			switch {
			case errors.Is(err, ErrNoMeeting):
				bad(http.StatusNotFound, err)
			case err != nil:
				bad(http.StatusBadRequest, err)
			default:
				writeJSON(w, http.StatusCreated, se)
			}
		default:
			bad(http.StatusMethodNotAllowed, errors.New("use GET or POST"))
		}
	case route == "code" && r.Method == http.MethodPost:
		var req struct {
			Email       string `json:"email"`
			RedirectURI string `json:"redirect_uri"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			bad(http.StatusBadRequest, fmt.Errorf("code: %w", err))
			return
		}
		if req.Email == "" {
			req.Email = s.cfg.Organizers[0].Email
		}
		if _, ok := s.organizerByEmail(req.Email); !ok {
			bad(http.StatusNotFound, fmt.Errorf("code: no organizer %s", req.Email))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"code": s.IssueCode(req.Email, req.RedirectURI)})
	case route == "clock":
		if r.Method == http.MethodPost {
			var req struct {
				Advance string `json:"advance"`
				Reset   bool   `json:"reset"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				bad(http.StatusBadRequest, fmt.Errorf("clock: %w", err))
				return
			}
			if req.Reset {
				s.mu.Lock()
				s.offset = 0
				s.mu.Unlock()
			}
			if req.Advance != "" {
				d, err := time.ParseDuration(req.Advance)
				if err != nil {
					bad(http.StatusBadRequest, fmt.Errorf("clock: advance: %w", err))
					return
				}
				s.Advance(d)
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"now": stamp(s.now())})
	default:
		bad(http.StatusNotFound, fmt.Errorf("no admin route %s %s", r.Method, r.URL.Path))
	}
}

// info is the account as GET /__sandbox/ reports it. The client secret is
// the sandbox's own throwaway one, shown on purpose.
func (s *Server) info(r *http.Request) map[string]any {
	base := s.baseURL(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{
		"api_url":        base + BasePath,
		"authorize_url":  base + "/oauth/authorize",
		"token_url":      base + "/oauth/token",
		"client_id":      s.cfg.ClientID,
		"client_secret":  s.cfg.ClientSecret,
		"account_key":    strconv.FormatInt(s.cfg.AccountKey, 10),
		"organizers":     s.cfg.Organizers,
		"meetings":       len(s.st.meetings),
		"sessions":       len(s.st.sessions),
		"now":            stamp(s.nowLocked()),
		"rate_limit_rps": s.cfg.RateLimit,
	}
}
