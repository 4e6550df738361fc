package salesforce

import (
	"strings"
	"testing"
	"time"
)

// Each fault switch visibly works, set in Go, in Config or over HTTP.

func TestFaultErrorsAndRateLimits(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{Faults: Faults{Errors: 1}})
	errs := wantError(t, o.query("SELECT Id FROM User"), 503, "SERVER_UNAVAILABLE")
	if !strings.Contains(errs[0].Message, "temporarily unable") {
		t.Errorf("503 message %q", errs[0].Message)
	}
	if r := o.query("SELECT Id FROM User"); r.status != 200 {
		t.Fatalf("after the one error: %d %s", r.status, r.body)
	}
	r := o.do("POST", "/__sandbox/faults", `{"rate_limits": 2, "retry_after": "2500ms"}`)
	if r.status != 200 {
		t.Fatalf("set faults: %d %s", r.status, r.body)
	}
	for range 2 {
		r := o.query("SELECT Id FROM User")
		wantError(t, r, 429, "REQUEST_LIMIT_EXCEEDED")
		if r.header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After %q, want 3 (2.5s rounded up)", r.header.Get("Retry-After"))
		}
	}
	if used, _ := o.s.APIUsage(); used != 1 {
		t.Errorf("refused calls were counted: usage %d, want 1", used)
	}
	o.s.SetFaults(Faults{ErrorRate: 1})
	for range 5 {
		wantError(t, o.query("SELECT Id FROM User"), 503, "SERVER_UNAVAILABLE")
	}
	o.do("DELETE", "/__sandbox/faults", nil)
	o.s.SetFaults(Faults{RateLimitRate: 0.5})
	limited := 0
	for range 200 {
		if o.query("SELECT Id FROM User").status == 429 {
			limited++
		}
	}
	if limited < 60 || limited > 140 {
		t.Errorf("rate_limit_rate 0.5 limited %d of 200 calls", limited)
	}
	if r := o.do("POST", "/__sandbox/faults", `{"error_rate": 2}`); r.status != 400 {
		t.Errorf("a probability of 2 was accepted: %d", r.status)
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	o.do("POST", "/__sandbox/faults", `{"latency": "150ms"}`)
	start := time.Now()
	o.query("SELECT Id FROM User")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered in %v despite 150ms latency", d)
	}
	if f := o.s.Faults(); f.Latency != 150*time.Millisecond {
		t.Errorf("faults %+v", f)
	}
	o.do("POST", "/__sandbox/faults", `{"latency": "0s", "spike_rate": 1, "spike": "120ms"}`)
	start = time.Now()
	o.query("SELECT Id FROM User")
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("answered in %v despite a 120ms spike", d)
	}
}

func TestFaultPartialFailures(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	records := func(n int) map[string]any {
		var rs []any
		for i := range n {
			rs = append(rs, map[string]any{"attributes": map[string]string{"type": "Contact"}, "LastName": "P" + string(rune('a'+i))})
		}
		return map[string]any{"records": rs}
	}
	o.s.SetFaults(Faults{PartialFailures: 2})
	res := decode[[]saveResultWire](t, o.api("POST", "/composite/sobjects", records(5)))
	failed := 0
	for _, r := range res {
		if !r.Success {
			failed++
			if r.Errors[0].StatusCode != "UNABLE_TO_LOCK_ROW" {
				t.Errorf("injected failure %+v", r.Errors)
			}
		}
	}
	if failed != 2 || o.s.Counts()[objContact] != 3 {
		t.Errorf("%d failed, %d contacts; want 2 and 3", failed, o.s.Counts()[objContact])
	}
	// allOrNone turns one injected failure into a rollback of all.
	o.s.SetFaults(Faults{PartialFailures: 1})
	body := records(4)
	body["allOrNone"] = true
	res = decode[[]saveResultWire](t, o.api("POST", "/composite/sobjects", body))
	for _, r := range res {
		if r.Success {
			t.Errorf("allOrNone result %+v", r)
		}
	}
	if n := o.s.Counts()[objContact]; n != 3 {
		t.Errorf("%d contacts after a rolled-back batch, want 3", n)
	}
	o.do("POST", "/__sandbox/faults", `{"partial_failure_rate": 1}`)
	res = decode[[]saveResultWire](t, o.api("POST", "/composite/sobjects", records(3)))
	if res[0].Success || res[1].Success || res[2].Success {
		t.Errorf("partial_failure_rate 1: %+v", res)
	}
}

func TestFaultLostResponse(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{Faults: Faults{LostResponseRate: 1}})
	wantError(t, o.api("POST", "/sobjects/Account", map[string]any{"Name": "Written anyway"}), 503, "SERVER_UNAVAILABLE")
	if n := o.s.Counts()[objAccount]; n != 1 {
		t.Errorf("the lost call's write did not happen: %d accounts", n)
	}
}

func TestFaultTokens(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{})
	o.do("POST", "/__sandbox/faults", `{"expire_tokens": true}`)
	wantError(t, o.query("SELECT Id FROM User"), 401, "INVALID_SESSION_ID")
	o.token = o.login()
	if r := o.query("SELECT Id FROM User"); r.status != 200 {
		t.Fatalf("new session: %d", r.status)
	}
	o.do("POST", "/__sandbox/faults", `{"revoke_tokens": true}`)
	r := o.query("SELECT Id FROM User")
	wantError(t, r, 401, "INVALID_SESSION_ID")
	if r.header.Get("WWW-Authenticate") != "Token" || r.header.Get("Sforce-Limit-Info") == "" {
		t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
}

func TestAPIAllowance(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Config{DailyAPIRequests: 10})
	r := o.query("SELECT Id FROM User")
	if r.header.Get("Sforce-Limit-Info") != "api-usage=1/10" {
		t.Errorf("Sforce-Limit-Info %q", r.header.Get("Sforce-Limit-Info"))
	}
	o.s.SetAPIUsage(10)
	r = o.query("SELECT Id FROM User")
	wantError(t, r, 403, "REQUEST_LIMIT_EXCEEDED")
	if r.header.Get("Sforce-Limit-Info") != "api-usage=10/10" {
		t.Errorf("Sforce-Limit-Info %q", r.header.Get("Sforce-Limit-Info"))
	}
	// The window rolls over after 24 hours.
	o.clock.Add(25 * time.Hour)
	o.token = o.login()
	if r := o.query("SELECT Id FROM User"); r.status != 200 || r.header.Get("Sforce-Limit-Info") != "api-usage=1/10" {
		t.Errorf("next day: %d %q", r.status, r.header.Get("Sforce-Limit-Info"))
	}
}
