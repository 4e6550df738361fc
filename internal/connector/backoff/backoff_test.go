package backoff

import (
	"context"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{" 7 ", 7 * time.Second, true},
		{"0", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"Mon, 09 Mar 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Mon, 09 Mar 2026 09:59:00 GMT", 0, true}, // in the past: retry now
		{"2026-03-09T10:02:00Z", 2 * time.Minute, true},
	} {
		got, ok := RetryAfter(tc.h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWaitGrowsWithJitterAndHonoursRetryAfter(t *testing.T) {
	p := New(nil)
	for attempt, base := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		for range 50 {
			if d := p.Wait(attempt, ""); d < base || d > base+base/2 {
				t.Fatalf("attempt %d waits %v, want within [%v, %v]", attempt, d, base, base+base/2)
			}
		}
	}
	if d := p.Wait(40, ""); d < Max || d > Max+Max/2 {
		t.Errorf("attempt 40 waits %v, want capped at %v plus jitter", d, Max)
	}
	if d := p.Wait(3, "2"); d != 2*time.Second {
		t.Errorf("with Retry-After 2, waits %v", d)
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
}
