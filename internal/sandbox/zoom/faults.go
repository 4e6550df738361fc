package zoom

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/internal/sandbox/fault"
)

// Faults are the switches that make the sandbox misbehave the way Zoom does
// under load. Set them in Config.Faults, with SetFaults, or at run time with
// POST /__sandbox/faults (JSON, snake_case names, durations as "250ms"
// strings), which merges the fields it is given. Probabilities are in
// [0, 1]; counts fail exactly that many of the next API calls, then stop.
// A refused call does nothing.
type Faults struct {
	// Latency delays every API and token answer.
	Latency time.Duration
	// ErrorRate is the probability that an API call answers 503.
	ErrorRate float64
	// Errors fails the next N API calls with 503.
	Errors int
	// RateLimitRate is the probability that an API call answers 429 with
	// Retry-After and X-RateLimit-Type: QPS.
	RateLimitRate float64
	// RateLimits answers 429 to the next N API calls.
	RateLimits int
	// RetryAfter is what the 429 answers ask the client to wait, in whole
	// seconds on the wire: 1 s by default.
	RetryAfter time.Duration
}

// faultsWire is Faults on the wire; a nil field is left as it is.
type faultsWire struct {
	Latency       *string  `json:"latency,omitempty"`
	ErrorRate     *float64 `json:"error_rate,omitempty"`
	Errors        *int     `json:"errors,omitempty"`
	RateLimitRate *float64 `json:"rate_limit_rate,omitempty"`
	RateLimits    *int     `json:"rate_limits,omitempty"`
	RetryAfter    *string  `json:"retry_after,omitempty"`
	// ExpireTokens is a one-shot action: every token issued so far expires.
	ExpireTokens bool `json:"expire_tokens,omitempty"`
}

// MarshalJSON writes the switches with snake_case names and durations as
// strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsWire{Latency: fault.Duration(f.Latency), ErrorRate: &f.ErrorRate, Errors: &f.Errors,
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

// apply merges w into f, or leaves f as it was when w is out of range.
func (f *Faults) apply(w faultsWire) error {
	n := *f
	if err := errors.Join(fault.SetDuration(&n.Latency, w.Latency, "latency"),
		fault.SetDuration(&n.RetryAfter, w.RetryAfter, "retry_after")); err != nil {
		return err
	}
	fault.Set(&n.ErrorRate, w.ErrorRate)
	fault.Set(&n.Errors, w.Errors)
	fault.Set(&n.RateLimitRate, w.RateLimitRate)
	fault.Set(&n.RateLimits, w.RateLimits)
	if err := n.validate(); err != nil {
		return err
	}
	*f = n
	return nil
}

func (f Faults) validate() error {
	return fault.Check(map[string]float64{"error_rate": f.ErrorRate, "rate_limit_rate": f.RateLimitRate},
		map[string]int{"errors": f.Errors, "rate_limits": f.RateLimits},
		map[string]time.Duration{"latency": f.Latency, "retry_after": f.RetryAfter})
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
		return fmt.Errorf("zoom sandbox: faults: %w", err)
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

// injectFault answers a 503 or a 429 when a switch says so.
func (s *Server) injectFault(w http.ResponseWriter) bool {
	s.mu.Lock()
	f := &s.faults
	kind := fault.Draw(s.rng, &f.RateLimits, &f.Errors, f.RateLimitRate, f.ErrorRate)
	retry := f.RetryAfter
	s.mu.Unlock()
	switch kind {
	case fault.RateLimited:
		h := w.Header()
		h.Set("X-RateLimit-Type", "QPS")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("Retry-After", fault.RetryAfterHeader(retry))
		writeError(w, &apiError{status: 429, code: 429, message: "You have reached the maximum per-second rate limit for this API. Try again later."})
		return true
	case fault.Failed:
		writeError(w, &apiError{status: 503, code: 503, message: "Service temporarily unavailable. Please try again later."})
		return true
	}
	return false
}
