package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// `crmsync sandbox gotomeeting` serves GoTo's token endpoint and REST API
// until interrupted, and prints how to reach them.
func TestSandboxGoToMeeting(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	a, stdout, stderr := h.app()
	addr := make(chan string, 1)
	a.onListen = func(s string) { addr <- s }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- a.run(ctx, []string{"sandbox", "gotomeeting", "--addr", "127.0.0.1:0", "--client-id", "cli-client"})
	}()
	var base string
	select {
	case s := <-addr:
		base = "http://" + s
	case code := <-done:
		t.Fatalf("sandbox exited %d: %s", code, stderr)
	}
	if code, body := request(t, "GET", base+"/__sandbox/", ""); code != http.StatusOK || !strings.Contains(body, `"client_id":"cli-client"`) {
		t.Errorf("admin info: %d %s", code, body)
	}
	if code, body := request(t, "GET", base+"/G2M/rest/upcomingMeetings", ""); code != http.StatusForbidden || !strings.Contains(body, "InvalidToken") {
		t.Errorf("API without a token: %d %s", code, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sandbox did not stop")
	}
	for _, want := range []string{"GoTo Meeting sandbox listening on " + base, base + "/oauth/token", base + "/G2M/rest", "cli-client"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}
