package salesforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/internal/sandbox/fault"
)

// Faults are the switches that make the sandbox misbehave the way
// Salesforce does under load. Set them in Config.Faults, with SetFaults, or
// at run time with POST /__sandbox/faults (JSON, snake_case names,
// durations as "250ms" strings); that endpoint merges the fields it is
// given. Probabilities are in [0, 1]; counts fail exactly that many of the
// next calls or records, then stop. Faults apply to the REST and Bulk API
// (/services/data/vXX.X/...); a call a fault refuses is not counted against
// the API allowance.
type Faults struct {
	// Latency delays every REST and OAuth answer.
	Latency time.Duration `json:"-"`
	// LatencyJitter adds a random extra delay of up to this much.
	LatencyJitter time.Duration `json:"-"`
	// SpikeRate is the probability that an answer is delayed by Spike on
	// top of the latency: the occasional very slow call.
	SpikeRate float64       `json:"-"`
	Spike     time.Duration `json:"-"`
	// ErrorRate is the probability that a call answers 503
	// SERVER_UNAVAILABLE without doing anything.
	ErrorRate float64 `json:"-"`
	// Errors fails the next N calls with 503.
	Errors int `json:"-"`
	// RateLimitRate is the probability that a call answers 429
	// REQUEST_LIMIT_EXCEEDED with a Retry-After header.
	RateLimitRate float64 `json:"-"`
	// RateLimits answers 429 to the next N calls.
	RateLimits int `json:"-"`
	// RetryAfter is what the 429 answers ask the client to wait, in whole
	// seconds on the wire: 1s by default.
	RetryAfter time.Duration `json:"-"`
	// LostResponseRate is the probability that a call is carried out but
	// its answer is replaced by a 503: the client cannot tell whether the
	// write happened, which is what idempotent writes are for.
	LostResponseRate float64 `json:"-"`
	// PartialFailureRate is the probability that each record of an sObject
	// Collections or Bulk ingest write fails with UNABLE_TO_LOCK_ROW while
	// the others go through.
	PartialFailureRate float64 `json:"-"`
	// PartialFailures fails the next N records written that way.
	PartialFailures int `json:"-"`
}

// faultsWire is Faults on the wire; a nil field is left as it is.
type faultsWire struct {
	Latency            *string  `json:"latency,omitempty"`
	LatencyJitter      *string  `json:"latency_jitter,omitempty"`
	SpikeRate          *float64 `json:"spike_rate,omitempty"`
	Spike              *string  `json:"spike,omitempty"`
	ErrorRate          *float64 `json:"error_rate,omitempty"`
	Errors             *int     `json:"errors,omitempty"`
	RateLimitRate      *float64 `json:"rate_limit_rate,omitempty"`
	RateLimits         *int     `json:"rate_limits,omitempty"`
	RetryAfter         *string  `json:"retry_after,omitempty"`
	LostResponseRate   *float64 `json:"lost_response_rate,omitempty"`
	PartialFailureRate *float64 `json:"partial_failure_rate,omitempty"`
	PartialFailures    *int     `json:"partial_failures,omitempty"`
	// One-shot actions, not settings.
	ExpireTokens bool `json:"expire_tokens,omitempty"`
	RevokeTokens bool `json:"revoke_tokens,omitempty"`
}

// MarshalJSON writes the switches with snake_case names and durations as
// strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	d := fault.Duration
	return json.Marshal(faultsWire{
		Latency: d(f.Latency), LatencyJitter: d(f.LatencyJitter), SpikeRate: &f.SpikeRate, Spike: d(f.Spike),
		ErrorRate: &f.ErrorRate, Errors: &f.Errors,
		RateLimitRate: &f.RateLimitRate, RateLimits: &f.RateLimits, RetryAfter: d(fault.RetryAfterOr(f.RetryAfter)),
		LostResponseRate: &f.LostResponseRate, PartialFailureRate: &f.PartialFailureRate, PartialFailures: &f.PartialFailures,
	})
}

// UnmarshalJSON sets the switches the JSON names and leaves the others.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var w faultsWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	_, err := f.apply(w)
	return err
}

// apply merges w into f and reports its one-shot actions.
func (f *Faults) apply(w faultsWire) (faultsWire, error) {
	n := *f
	if err := errors.Join(fault.SetDuration(&n.Latency, w.Latency, "latency"),
		fault.SetDuration(&n.LatencyJitter, w.LatencyJitter, "latency_jitter"),
		fault.SetDuration(&n.RetryAfter, w.RetryAfter, "retry_after"), fault.SetDuration(&n.Spike, w.Spike, "spike")); err != nil {
		return w, err
	}
	fault.Set(&n.SpikeRate, w.SpikeRate)
	fault.Set(&n.ErrorRate, w.ErrorRate)
	fault.Set(&n.Errors, w.Errors)
	fault.Set(&n.RateLimitRate, w.RateLimitRate)
	fault.Set(&n.RateLimits, w.RateLimits)
	fault.Set(&n.LostResponseRate, w.LostResponseRate)
	fault.Set(&n.PartialFailureRate, w.PartialFailureRate)
	fault.Set(&n.PartialFailures, w.PartialFailures)
	if err := n.validate(); err != nil {
		return w, err
	}
	*f = n
	return w, nil
}

func (f Faults) validate() error {
	return fault.Check(map[string]float64{"error_rate": f.ErrorRate, "rate_limit_rate": f.RateLimitRate,
		"lost_response_rate": f.LostResponseRate, "partial_failure_rate": f.PartialFailureRate, "spike_rate": f.SpikeRate},
		map[string]int{"errors": f.Errors, "rate_limits": f.RateLimits, "partial_failures": f.PartialFailures},
		map[string]time.Duration{"latency": f.Latency, "latency_jitter": f.LatencyJitter, "retry_after": f.RetryAfter, "spike": f.Spike})
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
		return fmt.Errorf("salesforce sandbox: faults: %w", err)
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
	if j := s.faults.LatencyJitter; j > 0 {
		d += time.Duration(s.rng.Int64N(int64(j)))
	}
	if s.faults.SpikeRate > 0 && s.rng.Float64() < s.faults.SpikeRate {
		d += s.faults.Spike
	}
	s.mu.Unlock()
	return fault.Wait(r, d)
}

// injectFault answers a 503 or a 429 when a switch says so.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	f := &s.faults
	kind := fault.Draw(s.rng, &f.RateLimits, &f.Errors, f.RateLimitRate, f.ErrorRate)
	retry := f.RetryAfter
	s.mu.Unlock()
	switch kind {
	case fault.RateLimited:
		w.Header().Set("Retry-After", fault.RetryAfterHeader(retry))
		writeErrors(w, r, errorf(429, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."))
		return true
	case fault.Failed:
		writeErrors(w, r, errorf(503, "SERVER_UNAVAILABLE", "The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later."))
		return true
	}
	return false
}

// loseResponse draws whether this call's answer is lost.
func (s *Server) loseResponse() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.LostResponseRate > 0 && s.rng.Float64() < s.faults.LostResponseRate
}

// partialFailure draws whether one record of a batch write fails.
func (s *Server) partialFailure() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.PartialFailures > 0 {
		s.faults.PartialFailures--
		return true
	}
	return s.faults.PartialFailureRate > 0 && s.rng.Float64() < s.faults.PartialFailureRate
}

// lockRowError is the transient per-record failure partial faults inject.
func lockRowError(id string) *apiError {
	return errorf(400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: %s", id)
}
