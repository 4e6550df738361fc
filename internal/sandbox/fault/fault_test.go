package fault

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDrawSpendsCountsBeforeRates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	limits, errs := 2, 1
	var got []Kind
	for range 4 {
		got = append(got, Draw(rng, &limits, &errs, 0, 0))
	}
	want := []Kind{RateLimited, RateLimited, Failed, None}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("draws = %v, want %v", got, want)
		}
	}
	if Draw(rng, &limits, &errs, 0, 1) != Failed || Draw(rng, &limits, &errs, 1, 0) != RateLimited {
		t.Error("a rate of 1 must always fault")
	}
	n := 0
	for range 1000 {
		if Draw(rng, &limits, &errs, 0, 0.2) == Failed {
			n++
		}
	}
	if n < 120 || n > 280 {
		t.Errorf("error rate 0.2 failed %d of 1000 calls", n)
	}
}

func TestWireValues(t *testing.T) {
	var d time.Duration
	if err := SetDuration(&d, Duration(250*time.Millisecond), "latency"); err != nil || d != 250*time.Millisecond {
		t.Errorf("SetDuration = %v, %v", d, err)
	}
	bad := "soon"
	if err := SetDuration(&d, &bad, "latency"); err == nil || !strings.Contains(err.Error(), "latency") {
		t.Errorf("SetDuration(soon) = %v, want an error naming latency", err)
	}
	n := 3
	Set(&n, nil)
	if n != 3 {
		t.Error("Set(nil) changed the value")
	}
	if RetryAfterHeader(0) != "1" || RetryAfterHeader(1500*time.Millisecond) != "2" {
		t.Errorf("RetryAfterHeader: %q, %q", RetryAfterHeader(0), RetryAfterHeader(1500*time.Millisecond))
	}
	err := Check(map[string]float64{"error_rate": 1.5, "ok": 0.5, "nan": math.NaN()}, map[string]int{"errors": -1},
		map[string]time.Duration{"latency": -time.Second})
	for _, name := range []string{"error_rate", "nan", "errors", "latency"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Check: %v, want it to name %s", err, name)
		}
	}
	if Check(map[string]float64{"p": 0}, map[string]int{"n": 0}, nil) != nil {
		t.Error("Check refused valid switches")
	}
}

func TestWaitGivesUpWhenClientLeaves(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if !Wait(r, 0) {
		t.Error("Wait(0) = false")
	}
	ctx, cancel := context.WithCancel(r.Context())
	cancel()
	if Wait(r.WithContext(ctx), time.Hour) {
		t.Error("Wait for a client that went away = true")
	}
}
