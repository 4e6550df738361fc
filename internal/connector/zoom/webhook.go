package zoom

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Webhook event names the handler passes on.
const (
	EventMeetingStarted     = "meeting.started"
	EventMeetingEnded       = "meeting.ended"
	EventParticipantJoined  = "meeting.participant_joined"
	EventParticipantLeft    = "meeting.participant_left"
	EventRecordingCompleted = "recording.completed"
	// EventURLValidation is Zoom's challenge of a new endpoint; the handler
	// answers it and does not pass it on.
	EventURLValidation = "endpoint.url_validation"
)

// Event is one webhook notification, parsed.
type Event struct {
	// Name is the event, one of the Event* constants.
	Name string
	// Time is event_ts: when the event happened.
	Time time.Time
	// AccountID is the Zoom account the event belongs to.
	AccountID string
	// Meeting is set for the meeting.* events.
	Meeting *MeetingEvent
	// Participant is set for participant_joined and participant_left.
	Participant *ParticipantEvent
	// Recording is set for recording.completed.
	Recording *RecordingEvent
	// PlainToken is the challenge of endpoint.url_validation.
	PlainToken string
}

// MeetingEvent is the meeting a meeting.* event is about.
type MeetingEvent struct {
	ID        MeetingID   `json:"id"`
	UUID      string      `json:"uuid"`
	HostID    string      `json:"host_id"`
	Topic     string      `json:"topic"`
	Type      MeetingType `json:"type"`
	StartTime Time        `json:"start_time"`
	// EndTime is set on meeting.ended.
	EndTime  Time   `json:"end_time"`
	Timezone string `json:"timezone"`
	Duration int    `json:"duration"`
}

// ParticipantEvent is who joined or left.
type ParticipantEvent struct {
	// ID is the participant's id: a user's id for the account's users.
	ID              string `json:"id"`
	UserID          string `json:"user_id"`
	UserName        string `json:"user_name"`
	Email           string `json:"email"`
	ParticipantUUID string `json:"participant_uuid"`
	JoinTime        Time   `json:"join_time"`
	LeaveTime       Time   `json:"leave_time"`
	LeaveReason     string `json:"leave_reason"`
}

// RecordingEvent is the recording recording.completed announces.
type RecordingEvent struct {
	Recording
	HostEmail string      `json:"host_email"`
	Type      MeetingType `json:"type"`
	Timezone  string      `json:"timezone"`
	// DownloadToken authorises downloading the files for 24 hours.
	DownloadToken string `json:"-"`
}

// envelope is a webhook body: {"event", "event_ts", "payload"}.
type envelope struct {
	Event         string          `json:"event"`
	EventTS       *int64          `json:"event_ts"`
	Payload       json.RawMessage `json:"payload"`
	DownloadToken string          `json:"download_token"`
}

// ErrUnknownEvent means a well-formed event the handler does not pass on.
var ErrUnknownEvent = errors.New("zoom: webhook: event not handled")

// ParseEvent reads a webhook body. It fails, naming what is wrong, on a
// body that is not a Zoom event or lacks what its event needs; a
// well-formed event of another kind answers ErrUnknownEvent.
func ParseEvent(body []byte) (Event, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Event{}, fmt.Errorf("zoom: webhook: body is not a JSON event: %w", err)
	}
	if env.Event == "" {
		return Event{}, errors.New("zoom: webhook: no event name")
	}
	if env.EventTS == nil || *env.EventTS <= 0 {
		return Event{}, fmt.Errorf("zoom: webhook: %s: no event_ts", env.Event)
	}
	ev := Event{Name: env.Event, Time: time.UnixMilli(*env.EventTS).UTC()}
	if len(env.Payload) == 0 || string(env.Payload) == "null" {
		return Event{}, fmt.Errorf("zoom: webhook: %s: no payload", env.Event)
	}
	if env.Event == EventURLValidation {
		var p struct {
			PlainToken string `json:"plainToken"`
		}
		if err := json.Unmarshal(env.Payload, &p); err != nil || p.PlainToken == "" {
			return Event{}, errors.New("zoom: webhook: endpoint.url_validation: no plainToken")
		}
		ev.PlainToken = p.PlainToken
		return ev, nil
	}
	switch env.Event {
	case EventMeetingStarted, EventMeetingEnded, EventParticipantJoined, EventParticipantLeft, EventRecordingCompleted:
	default:
		return ev, fmt.Errorf("%w: %s", ErrUnknownEvent, env.Event)
	}
	var p struct {
		AccountID string          `json:"account_id"`
		Object    json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		return Event{}, fmt.Errorf("zoom: webhook: %s: payload: %w", env.Event, err)
	}
	if p.AccountID == "" || len(p.Object) == 0 || string(p.Object) == "null" {
		return Event{}, fmt.Errorf("zoom: webhook: %s: payload needs account_id and object", env.Event)
	}
	ev.AccountID = p.AccountID
	if env.Event == EventRecordingCompleted {
		var r RecordingEvent
		if err := json.Unmarshal(p.Object, &r); err != nil {
			return Event{}, fmt.Errorf("zoom: webhook: %s: object: %w", env.Event, err)
		}
		if r.UUID == "" || r.ID == 0 {
			return Event{}, fmt.Errorf("zoom: webhook: %s: object needs id and uuid", env.Event)
		}
		r.DownloadToken = env.DownloadToken
		ev.Recording = &r
		return ev, nil
	}
	var obj struct {
		MeetingEvent
		Participant *ParticipantEvent `json:"participant"`
	}
	if err := json.Unmarshal(p.Object, &obj); err != nil {
		return Event{}, fmt.Errorf("zoom: webhook: %s: object: %w", env.Event, err)
	}
	if obj.UUID == "" || obj.ID == 0 {
		return Event{}, fmt.Errorf("zoom: webhook: %s: object needs id and uuid", env.Event)
	}
	m := obj.MeetingEvent
	ev.Meeting = &m
	if env.Event == EventParticipantJoined || env.Event == EventParticipantLeft {
		if obj.Participant == nil || (obj.Participant.UserName == "" && obj.Participant.Email == "") {
			return Event{}, fmt.Errorf("zoom: webhook: %s: object needs a participant", env.Event)
		}
		if env.Event == EventParticipantJoined && obj.Participant.JoinTime.IsZero() {
			return Event{}, fmt.Errorf("zoom: webhook: %s: participant needs join_time", env.Event)
		}
		if env.Event == EventParticipantLeft && obj.Participant.LeaveTime.IsZero() {
			return Event{}, fmt.Errorf("zoom: webhook: %s: participant needs leave_time", env.Event)
		}
		ev.Participant = obj.Participant
	}
	return ev, nil
}

// WebhookConfig configures a WebhookHandler. Every field states its
// default.
type WebhookConfig struct {
	// SecretToken is the app's secret token that signs the webhooks.
	// Required.
	SecretToken string
	// Window is how far x-zm-request-timestamp may be from now, either
	// way, against replay: 5 minutes by default.
	Window time.Duration
	// Now tells the time: time.Now by default.
	Now func() time.Time
	// MaxBody is the largest body read: 1 MiB by default.
	MaxBody int64
	// Logger receives a line per refused request: discarded by default.
	Logger *slog.Logger
}

// WebhookHandler is the http.Handler of Zoom's webhooks: it verifies each
// request's signature and timestamp, answers the URL validation challenge
// and hands every meeting and recording event to a callback. A request it
// refuses is answered 4xx and never passed on.
type WebhookHandler struct {
	cfg WebhookConfig
	on  func(context.Context, Event) error
}

// NewWebhookHandler returns a handler calling on for each verified event.
// An error from on answers 500, so that Zoom sends the event again.
func NewWebhookHandler(cfg WebhookConfig, on func(context.Context, Event) error) (*WebhookHandler, error) {
	if cfg.SecretToken == "" {
		return nil, errors.New("zoom: webhook handler: SecretToken is required")
	}
	if on == nil {
		return nil, errors.New("zoom: webhook handler: a callback is required")
	}
	if cfg.Window <= 0 {
		cfg.Window = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &WebhookHandler{cfg: cfg, on: on}, nil
}

// Sign returns the x-zm-signature of body sent at timestamp ts (Unix
// seconds) under secret: v0=HEX(HMAC-SHA256(secret, "v0:ts:body")).
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

type webhookError struct {
	Error string `json:"error"`
}

// ServeHTTP handles one webhook request.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, reason string) {
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "zoom: webhook refused",
			slog.Int("status", status), slog.String("reason", reason))
		writeWebhookJSON(w, status, webhookError{Error: reason})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "webhooks are POSTed")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		refuse(http.StatusRequestEntityTooLarge, "body too large or unreadable")
		return
	}
	tsHeader := r.Header.Get("x-zm-request-timestamp")
	sig := r.Header.Get("x-zm-signature")
	if tsHeader == "" || sig == "" {
		refuse(http.StatusUnauthorized, "unsigned: x-zm-request-timestamp and x-zm-signature are required")
		return
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		refuse(http.StatusUnauthorized, "x-zm-request-timestamp is not a Unix time")
		return
	}
	if d := h.cfg.Now().Sub(time.Unix(ts, 0)); d > h.cfg.Window || d < -h.cfg.Window {
		refuse(http.StatusUnauthorized, "x-zm-request-timestamp is outside the accepted window (replay?)")
		return
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(h.cfg.SecretToken, ts, body))) {
		refuse(http.StatusUnauthorized, "x-zm-signature does not match")
		return
	}
	ev, err := ParseEvent(body)
	if errors.Is(err, ErrUnknownEvent) {
		w.WriteHeader(http.StatusNoContent) // verified, just not ours: no retry wanted
		return
	}
	if err != nil {
		refuse(http.StatusBadRequest, err.Error())
		return
	}
	if ev.Name == EventURLValidation {
		mac := hmac.New(sha256.New, []byte(h.cfg.SecretToken))
		mac.Write([]byte(ev.PlainToken))
		writeWebhookJSON(w, http.StatusOK, map[string]string{"plainToken": ev.PlainToken, "encryptedToken": hex.EncodeToString(mac.Sum(nil))})
		return
	}
	if err := h.on(r.Context(), ev); err != nil {
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "zoom: webhook callback failed",
			slog.String("event", ev.Name), slog.String("error", err.Error()))
		writeWebhookJSON(w, http.StatusInternalServerError, webhookError{Error: "the event could not be handled; send it again"})
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeWebhookJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
