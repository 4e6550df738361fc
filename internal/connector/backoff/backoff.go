// Package backoff is how every connector waits before it retries a call a
// provider refused for now (429, 503, a lock): the provider's Retry-After
// when it gives one, else an exponential wait with jitter.
package backoff

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// First and Max bound the exponential waits: the first retry waits First,
// each further one twice as long, never more than Max, plus up to half as
// much again at random so that many clients refused together do not come
// back together.
const (
	First = time.Second
	Max   = time.Minute
)

// Policy computes waits. Its zero value is not usable; make one with New.
// A Policy is safe for concurrent use.
type Policy struct {
	now func() time.Time
	mu  sync.Mutex
	rng *rand.Rand
}

// New returns a Policy whose HTTP-date Retry-After values are read against
// now (time.Now when nil).
func New(now func() time.Time) *Policy {
	if now == nil {
		now = time.Now
	}
	seed := uint64(time.Now().UnixNano())
	return &Policy{now: now, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Wait is how long to wait before retry number attempt (0 for the first
// retry) of a call whose answer carried retryAfter ("" when it had none).
func (p *Policy) Wait(attempt int, retryAfter string) time.Duration {
	if d, ok := RetryAfter(retryAfter, p.now()); ok {
		return d
	}
	d := min(First<<min(max(attempt, 0), 6), Max)
	p.mu.Lock()
	j := time.Duration(p.rng.Int64N(int64(d/2) + 1))
	p.mu.Unlock()
	return d + j
}

// RetryAfter reads a Retry-After header (RFC 9110 section 10.2.3): a
// number of seconds, or an HTTP date (some providers send RFC 3339), taken
// against now. ok is false when h is empty or neither.
func RetryAfter(h string, now time.Time) (d time.Duration, ok bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	if t, err := time.Parse(time.RFC3339, h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Sleep waits d, or until ctx is done, whose error it then returns.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
