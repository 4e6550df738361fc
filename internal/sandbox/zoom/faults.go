package zoom

import (
	"fmt"
	"net/http"

	"github.com/crmsync/crmsync/internal/sandbox/fault"
)

// Faults are the switches that make the sandbox misbehave the way Zoom
// does under load (fault.Switches): a server error answers 503, a
// throttled call 429 with Retry-After and X-RateLimit-Type: QPS.
type Faults = fault.Switches

// faultsWire is POST /__sandbox/faults's body: the switches, and a
// one-shot action.
type faultsWire struct {
	fault.Wire
	// ExpireTokens is a one-shot action: every token issued so far expires.
	ExpireTokens bool `json:"expire_tokens,omitempty"`
}

// Faults returns the switches in effect.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SetFaults replaces the switches.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
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
