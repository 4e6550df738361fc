package zoom

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseEvent feeds the webhook parser arbitrary bodies: it never
// panics, and an event it accepts has what its kind needs.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(startedBody))
	f.Add([]byte(`{"payload":{"plainToken":"abc"},"event_ts":1,"event":"endpoint.url_validation"}`))
	f.Add([]byte(`{"event":"meeting.participant_left","event_ts":5,"payload":{"account_id":"a","object":{"id":1,"uuid":"u","participant":{"user_name":"x","leave_time":"2026-03-09T10:02:00Z"}}}}`))
	f.Add([]byte(`{"event":"recording.completed","event_ts":5,"payload":{"account_id":"a","object":{"id":"1","uuid":"u","total_size":"12","recording_files":[]}}}`))
	f.Add([]byte(`{"event":"meeting.ended","event_ts":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body)
		if err != nil {
			if errors.Is(err, ErrUnknownEvent) && !json.Valid(body) {
				t.Fatalf("invalid JSON reported as an unknown event: %q", body)
			}
			return
		}
		if ev.Name == "" || ev.Time.IsZero() {
			t.Fatalf("accepted without name or time: %q", body)
		}
		switch ev.Name {
		case EventURLValidation:
			if ev.PlainToken == "" {
				t.Fatalf("validation without plainToken: %q", body)
			}
		case EventRecordingCompleted:
			if ev.Recording == nil || ev.Recording.UUID == "" || ev.AccountID == "" {
				t.Fatalf("recording without uuid or account: %q", body)
			}
		case EventParticipantJoined, EventParticipantLeft:
			if ev.Meeting == nil || ev.Participant == nil {
				t.Fatalf("participant event without meeting or participant: %q", body)
			}
		default:
			if ev.Meeting == nil || ev.Meeting.UUID == "" || ev.AccountID == "" {
				t.Fatalf("meeting event without meeting: %q", body)
			}
		}
	})
}
