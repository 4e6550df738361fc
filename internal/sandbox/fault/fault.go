// Package fault holds what every sandbox's fault switches share: drawing
// whether a call fails, waiting out injected latency, and reading and
// checking the switches a POST /__sandbox/faults body sets (Switches, which
// the Zoom and Graph sandboxes use as they are; a sandbox with switches of
// its own keeps its own type). Each answers a fault in its provider's own
// wire format.
package fault

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Kind is the fault one call draws.
type Kind int

const (
	// None: the call goes through.
	None Kind = iota
	// RateLimited: the call is refused as over a rate limit (429).
	RateLimited
	// Failed: the call fails with a server error (5xx).
	Failed
)

// Draw decides one call's fault from a sandbox's switches: the counted
// faults first (rate limits, then errors; each draw spends one), then the
// probabilities. The caller holds the lock that guards the counters and
// rng.
func Draw(rng *rand.Rand, rateLimits, errs *int, rateLimitRate, errorRate float64) Kind {
	switch {
	case *rateLimits > 0:
		*rateLimits--
		return RateLimited
	case *errs > 0:
		*errs--
		return Failed
	case rateLimitRate > 0 && rng.Float64() < rateLimitRate:
		return RateLimited
	case errorRate > 0 && rng.Float64() < errorRate:
		return Failed
	}
	return None
}

// Wait delays an answer by d; false when the client went away meanwhile.
func Wait(r *http.Request, d time.Duration) bool {
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

// DefaultRetryAfter is what injected 429s ask for when no wait is set.
const DefaultRetryAfter = time.Second

// RetryAfterOr is d, or DefaultRetryAfter when d is not positive.
func RetryAfterOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultRetryAfter
	}
	return d
}

// RetryAfterHeader is d as a Retry-After value: whole seconds, rounded up.
func RetryAfterHeader(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(RetryAfterOr(d).Seconds())))
}

// SetDuration sets *dst from a wire value such as "250ms"; nil leaves it.
func SetDuration(dst *time.Duration, src *string, name string) error {
	if src == nil {
		return nil
	}
	d, err := time.ParseDuration(*src)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	*dst = d
	return nil
}

// Set sets *dst from a wire value; nil leaves it.
func Set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// Duration is d on the wire, as SetDuration reads it.
func Duration(d time.Duration) *string {
	s := d.String()
	return &s
}

// Check reports every switch out of range: probabilities outside [0, 1],
// negative counts and negative durations, each by its wire name.
func Check(probabilities map[string]float64, counts map[string]int, durations map[string]time.Duration) error {
	var errs []error
	for name, p := range probabilities {
		if p < 0 || p > 1 || math.IsNaN(p) {
			errs = append(errs, fmt.Errorf("%s %v is not a probability in [0, 1]", name, p))
		}
	}
	for name, n := range counts {
		if n < 0 {
			errs = append(errs, fmt.Errorf("%s %d is negative", name, n))
		}
	}
	for name, d := range durations {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, d))
		}
	}
	return errors.Join(errs...)
}
