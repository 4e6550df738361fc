package fault

import (
	"encoding/json"
	"errors"
	"time"
)

// Switches are the fault switches the HTTP sandboxes share. Set them in a
// sandbox's Config, with its SetFaults, or at run time with POST
// /__sandbox/faults (JSON, snake_case names, durations as "250ms"), which
// merges the fields it is given. Probabilities are in [0, 1]; counts fail
// exactly that many of the next API calls, then stop. A refused call does
// nothing.
type Switches struct {
	// Latency delays every API and token answer.
	Latency time.Duration
	// ErrorRate is the probability that an API call answers a server
	// error (503).
	ErrorRate float64
	// Errors fails the next N API calls with a server error.
	Errors int
	// RateLimitRate is the probability that an API call is throttled: 429
	// with Retry-After.
	RateLimitRate float64
	// RateLimits throttles the next N API calls.
	RateLimits int
	// RetryAfter is what a 429 asks the client to wait, in whole seconds on
	// the wire: DefaultRetryAfter by default.
	RetryAfter time.Duration
}

// Wire is Switches on the wire; a nil field is left as it is. A sandbox
// embeds it in its own wire type to add one-shot actions.
type Wire struct {
	Latency       *string  `json:"latency,omitempty"`
	ErrorRate     *float64 `json:"error_rate,omitempty"`
	Errors        *int     `json:"errors,omitempty"`
	RateLimitRate *float64 `json:"rate_limit_rate,omitempty"`
	RateLimits    *int     `json:"rate_limits,omitempty"`
	RetryAfter    *string  `json:"retry_after,omitempty"`
}

// MarshalJSON writes the switches with their wire names.
func (f Switches) MarshalJSON() ([]byte, error) {
	return json.Marshal(Wire{Latency: Duration(f.Latency), ErrorRate: &f.ErrorRate, Errors: &f.Errors,
		RateLimitRate: &f.RateLimitRate, RateLimits: &f.RateLimits, RetryAfter: Duration(RetryAfterOr(f.RetryAfter))})
}

// UnmarshalJSON sets the switches the JSON names and leaves the others.
func (f *Switches) UnmarshalJSON(b []byte) error {
	var w Wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	return f.Apply(w)
}

// Apply sets the switches w names, all or none: a value out of range
// leaves f as it was.
func (f *Switches) Apply(w Wire) error {
	n := *f
	if err := errors.Join(SetDuration(&n.Latency, w.Latency, "latency"),
		SetDuration(&n.RetryAfter, w.RetryAfter, "retry_after")); err != nil {
		return err
	}
	Set(&n.ErrorRate, w.ErrorRate)
	Set(&n.Errors, w.Errors)
	Set(&n.RateLimitRate, w.RateLimitRate)
	Set(&n.RateLimits, w.RateLimits)
	if err := n.Validate(); err != nil {
		return err
	}
	*f = n
	return nil
}

// Validate reports every switch out of range, by its wire name.
func (f Switches) Validate() error {
	return Check(map[string]float64{"error_rate": f.ErrorRate, "rate_limit_rate": f.RateLimitRate},
		map[string]int{"errors": f.Errors, "rate_limits": f.RateLimits},
		map[string]time.Duration{"latency": f.Latency, "retry_after": f.RetryAfter})
}
