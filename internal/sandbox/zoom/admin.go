package zoom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the sandbox's own admin surface under /__sandbox/, and the
// same operations as Go methods. Nothing here exists in Zoom. It plays the
// people in the meetings: it holds a meeting with chosen participants, sets
// the webhook endpoint, flips fault switches and moves the clock.
//
//	GET    /__sandbox/                        account info: URLs, credentials, users, webhook
//	POST   /__sandbox/reset                   back to the configured account
//	GET    /__sandbox/faults                  the fault switches
//	POST   /__sandbox/faults                  merge switches; {"expire_tokens":true}
//	DELETE /__sandbox/faults                  clear every switch
//	GET    /__sandbox/webhook                 the endpoint and whether it passed validation
//	POST   /__sandbox/webhook                 {"url": "...", "secret": "..."}: set it, send the challenge
//	GET    /__sandbox/webhook/deliveries      the webhooks sent
//	POST   /__sandbox/meetings/{id}/hold      hold a meeting: Hold as JSON
//	GET    /__sandbox/clock                   the sandbox's time
//	POST   /__sandbox/clock                   {"advance": "25h"}

// Hold is a session to hold: when it starts and ends, who attends, and
// whether it is recorded to the cloud.
type Hold struct {
	// Start is when the host starts the meeting. Required.
	Start time.Time `json:"start"`
	// End is when it ends: the last leave time by default.
	End time.Time `json:"end,omitzero"`
	// UUID names the session: the meeting's own UUID for its first session,
	// a new one after, by default. A UUID starting with "/" or holding "//"
	// tests a client's double encoding.
	UUID string `json:"uuid,omitempty"`
	// Participants attend, each with a join and a leave time inside the
	// session; a participant whose email is a user's is that user.
	Participants []Attendee `json:"participants"`
	// Recording makes a cloud recording of the whole session (a video and
	// an audio file) and sends recording.completed.
	Recording bool `json:"recording,omitempty"`
}

// Attendee is one participant of a held session.
type Attendee struct {
	Name  string    `json:"name"`
	Email string    `json:"email,omitempty"`
	Join  time.Time `json:"join"`
	Leave time.Time `json:"leave"`
}

// Held is what holding a meeting produced.
type Held struct {
	MeetingID    int64     `json:"meeting_id"`
	UUID         string    `json:"uuid"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Participants int       `json:"participants"`
	Recorded     bool      `json:"recorded"`
	// Webhooks are the events sent, in order, with the endpoint's answers.
	Webhooks []Delivery `json:"webhooks"`
}

// Hold holds a session of meeting id as h describes: it adds the past
// instance, its participants and report rows and, if asked, its cloud
// recording, then sends meeting.started, meeting.participant_joined and
// meeting.participant_left for each participant, meeting.ended and
// recording.completed to the webhook endpoint, in the order they happened.
func (s *Server) Hold(ctx context.Context, id int64, h Hold) (Held, error) {
	if h.Start.IsZero() {
		return Held{}, errors.New("zoom sandbox: hold: start is required")
	}
	end := h.End
	for i, a := range h.Participants {
		switch {
		case strings.TrimSpace(a.Name) == "":
			return Held{}, fmt.Errorf("zoom sandbox: hold: participant %d has no name", i+1)
		case a.Join.Before(h.Start) || a.Leave.Before(a.Join):
			return Held{}, fmt.Errorf("zoom sandbox: hold: participant %s must join after the start and leave after joining", a.Name)
		case !h.End.IsZero() && a.Leave.After(h.End):
			return Held{}, fmt.Errorf("zoom sandbox: hold: participant %s leaves after the end", a.Name)
		}
		if a.Leave.After(end) {
			end = a.Leave
		}
	}
	if end.IsZero() || end.Before(h.Start) {
		end = h.Start
	}
	s.mu.Lock()
	m := s.st.meeting(id)
	if m == nil {
		s.mu.Unlock()
		return Held{}, fmt.Errorf("zoom sandbox: hold: meeting %d does not exist", id)
	}
	uuid := h.UUID
	if uuid == "" {
		uuid = m.UUID
		if len(m.Instances) > 0 {
			uuid = s.st.newUUID(s.rng)
		}
	}
	if _, taken := s.st.byUUID[uuid]; taken {
		s.mu.Unlock()
		return Held{}, fmt.Errorf("zoom sandbox: hold: session %s was already held", uuid)
	}
	in := &instance{UUID: uuid, Meeting: m, Start: h.Start.UTC().Truncate(time.Second), End: end.UTC().Truncate(time.Second)}
	for _, a := range h.Participants {
		p := &participant{UUID: randomID(s.rng, 22), UserID: strconv.Itoa(16778240 + len(in.Participants)), Name: a.Name, Email: a.Email,
			Join: a.Join.UTC().Truncate(time.Second), Leave: a.Leave.UTC().Truncate(time.Second)}
		p.ID = p.UUID
		if u := s.st.user(a.Email); a.Email != "" && u != nil {
			p.ID, p.IsMember = u.ID, true
		}
		in.Participants = append(in.Participants, p)
	}
	if h.Recording {
		base := "https://sandbox.zoom.invalid/rec"
		in.Recording = &recording{ShareURL: base + "/share/" + randomID(s.rng, 32)}
		secs := int64(in.End.Sub(in.Start) / time.Second)
		for _, f := range []struct{ typ, ext, kind string }{{"MP4", "MP4", "shared_screen_with_speaker_view"}, {"M4A", "M4A", "audio_only"}} {
			fid := randomID(s.rng, 36)
			size := secs * 250000
			if f.typ == "M4A" {
				size = secs * 16000
			}
			in.Recording.Files = append(in.Recording.Files, recordingFile{ID: fid, Start: in.Start, End: in.End, FileType: f.typ,
				FileExtension: f.ext, Size: size, RecordingType: f.kind, PlayURL: base + "/play/" + fid, DownloadURL: base + "/download/" + fid})
		}
	}
	m.Instances = append(m.Instances, in)
	s.st.byUUID[uuid] = in
	evs := s.holdEvents(in)
	s.mu.Unlock()

	before := len(s.Deliveries())
	s.sendEvents(ctx, evs)
	return Held{MeetingID: m.ID, UUID: uuid, Start: in.Start, End: in.End, Participants: len(in.Participants),
		Recorded: in.Recording != nil, Webhooks: s.Deliveries()[before:]}, nil
}

// holdEvents are the notifications of a session, in the order they happen.
func (s *Server) holdEvents(in *instance) []event {
	m := in.Meeting
	obj := func() map[string]any {
		return map[string]any{"id": itoa(m.ID), "uuid": in.UUID, "host_id": m.HostID, "topic": m.Topic, "type": m.Type,
			"start_time": zoomTime(in.Start), "timezone": m.TimeZone, "duration": m.Duration}
	}
	type timed struct {
		ev    event
		order int // ties: started, joins, leaves, ended, recording
	}
	var evs []timed
	evs = append(evs, timed{event{name: "meeting.started", at: in.Start, object: obj()}, 0})
	for _, p := range in.Participants {
		part := map[string]any{"user_id": p.UserID, "user_name": p.Name, "id": p.ID, "participant_uuid": p.UUID,
			"email": p.Email, "join_time": zoomTime(p.Join)}
		o := obj()
		o["participant"] = part
		evs = append(evs, timed{event{name: "meeting.participant_joined", at: p.Join, object: o}, 1})
		left := map[string]any{"user_id": p.UserID, "user_name": p.Name, "id": p.ID, "participant_uuid": p.UUID,
			"email": p.Email, "leave_time": zoomTime(p.Leave), "leave_reason": "left the meeting"}
		o = obj()
		o["participant"] = left
		evs = append(evs, timed{event{name: "meeting.participant_left", at: p.Leave, object: o}, 2})
	}
	ended := obj()
	ended["end_time"] = zoomTime(in.End)
	evs = append(evs, timed{event{name: "meeting.ended", at: in.End, object: ended}, 3})
	if r := in.Recording; r != nil {
		host := s.st.userByID(m.HostID)
		var files []map[string]any
		var total int64
		for _, f := range r.Files {
			total += f.Size
			files = append(files, map[string]any{"id": f.ID, "meeting_id": in.UUID, "recording_start": zoomTime(f.Start),
				"recording_end": zoomTime(f.End), "file_type": f.FileType, "file_extension": f.FileExtension,
				"file_size": f.Size, "play_url": f.PlayURL, "download_url": f.DownloadURL, "status": "completed",
				"recording_type": f.RecordingType})
		}
		o := map[string]any{"id": m.ID, "uuid": in.UUID, "account_id": s.cfg.AccountID, "host_id": m.HostID,
			"topic": m.Topic, "type": m.Type, "start_time": zoomTime(in.Start), "timezone": m.TimeZone,
			"duration": minutes(in.End.Sub(in.Start)), "total_size": total, "recording_count": len(r.Files),
			"share_url": r.ShareURL, "password": m.Password, "recording_files": files}
		if host != nil {
			o["host_email"] = host.Email
		}
		evs = append(evs, timed{event{name: "recording.completed", at: in.End.Add(2 * time.Minute), object: o,
			downloadToken: randomID(s.rng, 40)}, 4})
	}
	slices.SortStableFunc(evs, func(a, b timed) int {
		if c := a.ev.at.Compare(b.ev.at); c != 0 {
			return c
		}
		return a.order - b.order
	})
	out := make([]event, len(evs))
	for i, e := range evs {
		out[i] = e.ev
	}
	return out
}

// Users returns the account's users: id, email and PMI.
func (s *Server) Users() []UserInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []UserInfo
	for _, u := range s.st.users {
		out = append(out, UserInfo{ID: u.ID, Email: u.Email, PMI: u.PMI})
	}
	return out
}

// UserInfo names one user of the account.
type UserInfo struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	PMI   int64  `json:"pmi"`
}

type adminError struct {
	Error string `json:"error"`
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	var segs []string
	for p := range strings.SplitSeq(strings.TrimPrefix(r.URL.Path, "/__sandbox"), "/") {
		if p != "" {
			segs = append(segs, p)
		}
	}
	fail := func(status int, err error) { writeJSON(w, status, adminError{Error: err.Error()}) }
	route := strings.Join(segs, "/")
	switch {
	case route == "" || route == "info":
		writeJSON(w, 200, s.info(r))
	case route == "reset" && r.Method == http.MethodPost:
		s.Reset()
		writeJSON(w, 200, s.info(r))
	case route == "faults":
		switch r.Method {
		case http.MethodGet:
		case http.MethodDelete:
			_ = s.SetFaults(Faults{})
		case http.MethodPost:
			var wire faultsWire
			if err := json.NewDecoder(r.Body).Decode(&wire); err != nil {
				fail(400, fmt.Errorf("faults: %w", err))
				return
			}
			s.mu.Lock()
			err := s.faults.Apply(wire.Wire)
			s.mu.Unlock()
			if err != nil {
				fail(400, fmt.Errorf("faults: %w", err))
				return
			}
			if wire.ExpireTokens {
				s.ExpireTokens()
			}
		default:
			fail(405, fmt.Errorf("faults: method %s", r.Method))
			return
		}
		writeJSON(w, 200, s.Faults())
	case route == "webhook" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.Webhook())
	case route == "webhook" && r.Method == http.MethodPost:
		var body struct {
			URL    string `json:"url"`
			Secret string `json:"secret"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			fail(400, fmt.Errorf("webhook: %w", err))
			return
		}
		if body.URL != "" && !strings.HasPrefix(body.URL, "http://") && !strings.HasPrefix(body.URL, "https://") {
			fail(400, fmt.Errorf("webhook: url %q must start with http:// or https://", body.URL))
			return
		}
		st, err := s.SetWebhook(r.Context(), body.URL, body.Secret)
		if err != nil {
			fail(502, err)
			return
		}
		writeJSON(w, 200, st)
	case route == "webhook/deliveries" && r.Method == http.MethodGet:
		d := s.Deliveries()
		if d == nil {
			d = []Delivery{}
		}
		writeJSON(w, 200, d)
	case len(segs) == 3 && segs[0] == "meetings" && segs[2] == "hold" && r.Method == http.MethodPost:
		id, err := strconv.ParseInt(segs[1], 10, 64)
		if err != nil {
			fail(400, fmt.Errorf("hold: meeting id %q is not a number", segs[1]))
			return
		}
		var h Hold
		if err := json.NewDecoder(r.Body).Decode(&h); err != nil {
			fail(400, fmt.Errorf("hold: %w", err))
			return
		}
		held, err := s.Hold(r.Context(), id, h)
		if err != nil {
			fail(400, err)
			return
		}
		writeJSON(w, 200, held)
	case route == "clock":
		if r.Method == http.MethodPost {
			var body struct {
				Advance string `json:"advance"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				fail(400, fmt.Errorf("clock: %w", err))
				return
			}
			d, err := time.ParseDuration(body.Advance)
			if err != nil || d < 0 {
				fail(400, fmt.Errorf("clock: advance %q is not a positive duration", body.Advance))
				return
			}
			s.Advance(d)
		}
		writeJSON(w, 200, map[string]string{"now": s.now().Format(time.RFC3339)})
	default:
		fail(404, fmt.Errorf("no admin resource %s %s", r.Method, r.URL.Path))
	}
}

// info describes the account for people and tests. These are the
// sandbox's own throwaway credentials, shown on purpose.
func (s *Server) info(r *http.Request) map[string]any {
	base := baseURL(r)
	s.mu.Lock()
	meetings, sessions, secret := 0, len(s.st.byUUID), s.hook.secret
	for _, m := range s.st.meetings {
		if !m.Deleted {
			meetings++
		}
	}
	s.mu.Unlock()
	return map[string]any{
		"api_url": base + "/v2", "token_url": base + "/oauth/token", "account_id": s.cfg.AccountID,
		"client_id": s.cfg.ClientID, "client_secret": s.cfg.ClientSecret, "webhook_secret_token": secret,
		"users": s.Users(), "webhook": s.Webhook(), "meetings": meetings, "sessions": sessions,
		"now": s.now().Format(time.RFC3339),
	}
}
