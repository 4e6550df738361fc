package msgraph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/internal/sandbox/fault"
)

// Faults are the switches that make the sandbox misbehave as Graph does
// under load. Set them in Config.Faults, with SetFaults, or at run time
// with POST /__sandbox/faults (JSON, snake_case names, durations as
// "250ms"), which merges the fields it is given. Probabilities are in
// [0, 1]; counts fail exactly that many of the next API calls, then stop.
// A refused call does nothing.
type Faults struct {
	// Latency delays every API and token answer.
	Latency time.Duration
	// ErrorRate is the probability that an API call answers 503.
	ErrorRate float64
	// Errors fails the next N API calls with 503.
	Errors int
	// RateLimitRate is the probability that an API call is throttled:
	// 429 TooManyRequests with Retry-After.
	RateLimitRate float64
	// RateLimits throttles the next N API calls.
	RateLimits int
	// RetryAfter is what a 429 asks the client to wait, in whole seconds
	// on the wire: 1 s by default.
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
	// ExpireTokens is a one-shot action: every access token issued so
	// far expires.
	ExpireTokens bool `json:"expire_tokens,omitempty"`
	// ExpireDeltaTokens is a one-shot action: every delta and skip token
	// handed out so far is forgotten, so using one answers 410.
	ExpireDeltaTokens bool `json:"expire_delta_tokens,omitempty"`
}

// MarshalJSON writes the switches with snake_case names.
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
		return fmt.Errorf("msgraph sandbox: faults: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// ExpireDeltaTokens forgets every delta and skip token handed out, as
// Exchange does when its sync state cache drops them.
func (s *Server) ExpireDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.st.deltas)
}

func (s *Server) latency(r *http.Request) bool { return fault.Wait(r, s.Faults().Latency) }

// injectFault answers a 503 or a throttling 429 when a switch says so.
func (s *Server) injectFault(w http.ResponseWriter) bool {
	s.mu.Lock()
	f := &s.faults
	kind := fault.Draw(s.rng, &f.RateLimits, &f.Errors, f.RateLimitRate, f.ErrorRate)
	retry := f.RetryAfter
	s.mu.Unlock()
	switch kind {
	case fault.RateLimited:
		w.Header().Set("Retry-After", fault.RetryAfterHeader(retry))
		writeError(w, &apiError{status: 429, code: "TooManyRequests", message: "Too many requests. Retry after the time the Retry-After header gives."})
		return true
	case fault.Failed:
		writeError(w, &apiError{status: 503, code: "ServiceNotAvailable", message: "The service is temporarily unavailable. Try again later."})
		return true
	}
	return false
}
