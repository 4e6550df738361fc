package zoom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// This file sends Zoom's webhooks (event notifications) to the configured
// endpoint, signed as Zoom signs them:
//
//	x-zm-request-timestamp: <unix seconds>
//	x-zm-signature: v0=HEX(HMAC-SHA256(secret token, "v0:" + timestamp + ":" + body))
//
// Setting an endpoint first sends the endpoint.url_validation challenge,
// which the endpoint must answer with {"plainToken", "encryptedToken":
// HEX(HMAC-SHA256(secret token, plainToken))}. Deliveries are synchronous,
// one attempt each, and recorded (Deliveries).

// webhookState is the endpoint and what was sent to it.
type webhookState struct {
	url        string
	secret     string
	validated  bool
	deliveries []Delivery
}

// Delivery is one webhook sent, as the sandbox saw it go.
type Delivery struct {
	// Event is the event name, e.g. "meeting.started".
	Event string `json:"event"`
	// Status is the endpoint's HTTP status; 0 when it could not be reached.
	Status int `json:"status"`
	// Error says why the delivery failed, if it did.
	Error string `json:"error,omitempty"`
	// Body is the JSON body sent.
	Body json.RawMessage `json:"body"`
	// Timestamp is the x-zm-request-timestamp sent.
	Timestamp int64 `json:"timestamp"`
}

// WebhookStatus is the endpoint in effect and whether it answered the
// validation challenge.
type WebhookStatus struct {
	URL       string `json:"url"`
	Validated bool   `json:"validated"`
}

// SetWebhook sets the endpoint events go to and the secret token that signs
// them (empty keeps the current one), then sends the endpoint.url_validation
// challenge and reports whether the endpoint answered it rightly. Events are
// sent whatever the answer, so that a test can watch a hub refuse them.
func (s *Server) SetWebhook(ctx context.Context, url, secret string) (WebhookStatus, error) {
	s.mu.Lock()
	s.hook.url = url
	if secret != "" {
		s.hook.secret = secret
	}
	s.hook.validated = false
	secret = s.hook.secret
	s.mu.Unlock()
	if url == "" {
		return WebhookStatus{}, nil
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	plain := base64.RawURLEncoding.EncodeToString(b)
	body, _ := json.Marshal(map[string]any{"event": "endpoint.url_validation", "event_ts": s.now().UnixMilli(),
		"payload": map[string]string{"plainToken": plain}})
	status, answer, err := s.post(ctx, url, secret, "endpoint.url_validation", body)
	if err != nil {
		return WebhookStatus{URL: url}, fmt.Errorf("zoom sandbox: webhook validation: %w", err)
	}
	var got struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(plain))
	want := hex.EncodeToString(mac.Sum(nil))
	ok := status == 200 && json.Unmarshal(answer, &got) == nil && got.PlainToken == plain && hmac.Equal([]byte(got.EncryptedToken), []byte(want))
	s.mu.Lock()
	s.hook.validated = ok
	s.mu.Unlock()
	return WebhookStatus{URL: url, Validated: ok}, nil
}

// Webhook reports the endpoint in effect.
func (s *Server) Webhook() WebhookStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return WebhookStatus{URL: s.hook.url, Validated: s.hook.validated}
}

// Deliveries returns the webhooks sent so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.hook.deliveries...)
}

// event is one notification to send.
type event struct {
	name   string
	at     time.Time // when it happened: event_ts
	object any
	// downloadToken is set on recording.completed.
	downloadToken string
}

// sendEvents delivers events in order to the endpoint, if one is set.
func (s *Server) sendEvents(ctx context.Context, evs []event) {
	s.mu.Lock()
	url, secret := s.hook.url, s.hook.secret
	s.mu.Unlock()
	if url == "" {
		return
	}
	for _, ev := range evs {
		env := map[string]any{"event": ev.name, "event_ts": ev.at.UnixMilli(),
			"payload": map[string]any{"account_id": s.cfg.AccountID, "object": ev.object}}
		if ev.downloadToken != "" {
			env["download_token"] = ev.downloadToken
		}
		body, err := json.Marshal(env)
		if err != nil {
			continue
		}
		_, _, _ = s.post(ctx, url, secret, ev.name, body)
	}
}

// post signs and sends one webhook body and records the delivery.
func (s *Server) post(ctx context.Context, url, secret, name string, body []byte) (int, []byte, error) {
	ts := s.now().Unix()
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts, body)
	sig := "v0=" + hex.EncodeToString(mac.Sum(nil))
	d := Delivery{Event: name, Body: append(json.RawMessage(nil), body...), Timestamp: ts}
	status, answer, err := func() (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("User-Agent", "Zoom Marketplace/1.0a")
		req.Header.Set("x-zm-request-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("x-zm-signature", sig)
		resp, err := s.cfg.HTTPClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, b, err
	}()
	d.Status = status
	if err != nil {
		d.Error = err.Error()
	} else if status < 200 || status > 299 {
		d.Error = fmt.Sprintf("endpoint answered %d", status)
	}
	s.log.LogAttrs(ctx, slog.LevelDebug, "zoom sandbox: webhook sent", slog.String("event", name), slog.Int("status", status))
	s.mu.Lock()
	s.hook.deliveries = append(s.hook.deliveries, d)
	s.mu.Unlock()
	return status, answer, err
}
