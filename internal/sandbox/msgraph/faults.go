package msgraph

import (
	"fmt"
	"net/http"

	"github.com/crmsync/crmsync/internal/sandbox/fault"
)

// Faults are the switches that make the sandbox misbehave as Graph does
// under load (fault.Switches): a server error answers 503, a throttled
// call 429 TooManyRequests with Retry-After.
type Faults = fault.Switches

// faultsWire is POST /__sandbox/faults's body: the switches, and one-shot
// actions.
type faultsWire struct {
	fault.Wire
	// ExpireTokens is a one-shot action: every access token issued so
	// far expires.
	ExpireTokens bool `json:"expire_tokens,omitempty"`
	// ExpireDeltaTokens is a one-shot action: every delta and skip token
	// handed out so far is forgotten, so using one answers 410.
	ExpireDeltaTokens bool `json:"expire_delta_tokens,omitempty"`
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
