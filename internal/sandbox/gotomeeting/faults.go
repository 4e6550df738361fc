package gotomeeting

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Faults are the switches that make the sandbox misbehave the way GoTo's
// service does under load. Set them in Config.Faults, with SetFaults, or at
// run time with POST /__sandbox/faults (JSON, snake_case names, durations
// as "250ms" strings), which merges the fields it is given. Probabilities
// are in [0, 1]; counts fail exactly that many of the next calls, then
// stop. Faults apply to the REST API (/G2M/rest/...); latency also to the
// token endpoint.
type Faults struct {
	// Latency delays every API and token answer.
	Latency time.Duration
	// ErrorRate is the probability that a call answers ErrorStatus without
	// doing anything.
	ErrorRate float64
	// Errors fails the next N calls with ErrorStatus.
	Errors int
	// ErrorStatus is the status of injected server errors: 500, 502, 503
	// or 504; 500 by default.
	ErrorStatus int
	// RateLimitRate is the probability that a call answers 429 with
	// Retry-After.
	RateLimitRate float64
	// RateLimits answers 429 to the next N calls.
	RateLimits int
	// RetryAfter is what the injected 429 answers ask the client to wait,
	// in whole seconds on the wire: 1s by default.
	RetryAfter time.Duration
}

// faultsWire is Faults on the wire; a nil field is left as it is.
type faultsWire struct {
	Latency       *string  `json:"latency,omitempty"`
	ErrorRate     *float64 `json:"error_rate,omitempty"`
	Errors        *int     `json:"errors,omitempty"`
	ErrorStatus   *int     `json:"error_status,omitempty"`
	RateLimitRate *float64 `json:"rate_limit_rate,omitempty"`
	RateLimits    *int     `json:"rate_limits,omitempty"`
	RetryAfter    *string  `json:"retry_after,omitempty"`
	// One-shot actions, not settings.
	ExpireTokens bool `json:"expire_tokens,omitempty"`
	RevokeTokens bool `json:"revoke_tokens,omitempty"`
}

// MarshalJSON writes the switches with snake_case names and durations as
// strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	lat, ra := f.Latency.String(), f.retryAfter().String()
	st := f.errorStatus()
	return json.Marshal(faultsWire{Latency: &lat, ErrorRate: &f.ErrorRate, Errors: &f.Errors, ErrorStatus: &st,
		RateLimitRate: &f.RateLimitRate, RateLimits: &f.RateLimits, RetryAfter: &ra})
}

// UnmarshalJSON sets the switches the JSON names and leaves the others.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var w faultsWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	return f.apply(w)
}

// apply merges w into f.
func (f *Faults) apply(w faultsWire) error {
	n := *f
	dur := func(dst *time.Duration, s *string, name string) error {
		if s == nil {
			return nil
		}
		d, err := time.ParseDuration(*s)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		*dst = d
		return nil
	}
	if err := errors.Join(dur(&n.Latency, w.Latency, "latency"), dur(&n.RetryAfter, w.RetryAfter, "retry_after")); err != nil {
		return err
	}
	if w.ErrorRate != nil {
		n.ErrorRate = *w.ErrorRate
	}
	if w.Errors != nil {
		n.Errors = *w.Errors
	}
	if w.ErrorStatus != nil {
		n.ErrorStatus = *w.ErrorStatus
	}
	if w.RateLimitRate != nil {
		n.RateLimitRate = *w.RateLimitRate
	}
	if w.RateLimits != nil {
		n.RateLimits = *w.RateLimits
	}
	if err := n.validate(); err != nil {
		return err
	}
	*f = n
	return nil
}

func (f Faults) validate() error {
	var errs []error
	for name, p := range map[string]float64{"error_rate": f.ErrorRate, "rate_limit_rate": f.RateLimitRate} {
		if p < 0 || p > 1 || math.IsNaN(p) {
			errs = append(errs, fmt.Errorf("%s %v is not a probability in [0, 1]", name, p))
		}
	}
	if f.Errors < 0 || f.RateLimits < 0 {
		errs = append(errs, fmt.Errorf("errors and rate_limits must not be negative"))
	}
	if f.Latency < 0 || f.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("latency and retry_after must not be negative"))
	}
	switch f.ErrorStatus {
	case 0, 500, 502, 503, 504:
	default:
		errs = append(errs, fmt.Errorf("error_status %d is not one of 500, 502, 503, 504", f.ErrorStatus))
	}
	return errors.Join(errs...)
}

func (f Faults) retryAfter() time.Duration {
	if f.RetryAfter <= 0 {
		return time.Second
	}
	return f.RetryAfter
}

func (f Faults) errorStatus() int {
	if f.ErrorStatus == 0 {
		return http.StatusInternalServerError
	}
	return f.ErrorStatus
}

// Faults returns the switches in effect.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SetFaults replaces the switches.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("gotomeeting sandbox: faults: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// latency waits out the configured delay; false when the client went away
// meanwhile.
func (s *Server) latency(r *http.Request) bool {
	s.mu.Lock()
	d := s.faults.Latency
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// injectFault answers a server error or a 429 when a switch says so.
func (s *Server) injectFault(w http.ResponseWriter) bool {
	s.mu.Lock()
	f := &s.faults
	kind := 0
	switch {
	case f.RateLimits > 0:
		f.RateLimits--
		kind = 429
	case f.Errors > 0:
		f.Errors--
		kind = f.errorStatus()
	case f.RateLimitRate > 0 && s.rng.Float64() < f.RateLimitRate:
		kind = 429
	case f.ErrorRate > 0 && s.rng.Float64() < f.ErrorRate:
		kind = f.errorStatus()
	}
	retry := f.retryAfter()
	s.mu.Unlock()
	switch kind {
	case 0:
		return false
	case 429:
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		w.Header().Set("x-amzn-ErrorType", "TooManyRequestsException")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Requests"})
	default:
		writeError(w, kind, "InternalServerError", "The service is temporarily unable to process the request")
	}
	return true
}

// bucket is one client's token bucket of the rate limit.
type bucket struct {
	tokens float64
	at     time.Time
}

// allow spends one request of client's rate limit: Config.RateLimit a
// second, refilled continuously on the sandbox's clock.
func (s *Server) allow(client string) bool {
	limit := float64(s.cfg.RateLimit)
	if limit < 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock().Add(s.offset)
	b := s.bucket[client]
	if b == nil {
		b = &bucket{tokens: limit, at: now}
		s.bucket[client] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(limit, b.tokens+el*limit)
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
