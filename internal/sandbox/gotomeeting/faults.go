package gotomeeting

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/internal/sandbox/fault"
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
	st := f.errorStatus()
	return json.Marshal(faultsWire{Latency: fault.Duration(f.Latency), ErrorRate: &f.ErrorRate, Errors: &f.Errors, ErrorStatus: &st,
		RateLimitRate: &f.RateLimitRate, RateLimits: &f.RateLimits, RetryAfter: fault.Duration(fault.RetryAfterOr(f.RetryAfter))})
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
	if err := errors.Join(fault.SetDuration(&n.Latency, w.Latency, "latency"),
		fault.SetDuration(&n.RetryAfter, w.RetryAfter, "retry_after")); err != nil {
		return err
	}
	fault.Set(&n.ErrorRate, w.ErrorRate)
	fault.Set(&n.Errors, w.Errors)
	fault.Set(&n.ErrorStatus, w.ErrorStatus)
	fault.Set(&n.RateLimitRate, w.RateLimitRate)
	fault.Set(&n.RateLimits, w.RateLimits)
	if err := n.validate(); err != nil {
		return err
	}
	*f = n
	return nil
}

func (f Faults) validate() error {
	err := fault.Check(map[string]float64{"error_rate": f.ErrorRate, "rate_limit_rate": f.RateLimitRate},
		map[string]int{"errors": f.Errors, "rate_limits": f.RateLimits},
		map[string]time.Duration{"latency": f.Latency, "retry_after": f.RetryAfter})
	switch f.ErrorStatus {
	case 0, 500, 502, 503, 504:
	default:
		err = errors.Join(err, fmt.Errorf("error_status %d is not one of 500, 502, 503, 504", f.ErrorStatus))
	}
	return err
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
	return fault.Wait(r, s.Faults().Latency)
}

// injectFault answers a server error or a 429 when a switch says so.
func (s *Server) injectFault(w http.ResponseWriter) bool {
	s.mu.Lock()
	f := &s.faults
	kind := fault.Draw(s.rng, &f.RateLimits, &f.Errors, f.RateLimitRate, f.ErrorRate)
	retry, status := f.RetryAfter, f.errorStatus()
	s.mu.Unlock()
	switch kind {
	case fault.RateLimited:
		w.Header().Set("Retry-After", fault.RetryAfterHeader(retry))
		w.Header().Set("x-amzn-ErrorType", "TooManyRequestsException")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Requests"})
	case fault.Failed:
		writeError(w, status, "InternalServerError", "The service is temporarily unable to process the request")
	default:
		return false
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
