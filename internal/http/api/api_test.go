package api_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/store"
)

// SPEC X4: a request without a valid token gets nothing.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{name: "no header", want: http.StatusUnauthorized},
		{name: "basic auth", header: "Basic YWRtaW46YWRtaW4=", want: http.StatusUnauthorized},
		{name: "empty bearer", header: "Bearer ", want: http.StatusUnauthorized},
		{name: "unknown token", header: "Bearer crmsync_nope", want: http.StatusUnauthorized},
		{name: "token hash instead of token", header: "Bearer " + api.HashToken(f.adminA), want: http.StatusUnauthorized},
		{name: "disabled user", header: "Bearer " + f.disabledA, want: http.StatusUnauthorized},
		{name: "valid", header: "Bearer " + f.adminA, want: http.StatusOK},
		{name: "scheme is case-insensitive", header: "bearer " + f.memberA, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "GET", f.url+"/api/v1/me", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// Every authenticated route refuses an anonymous caller.
	for _, path := range []string{"/api/v1/streams", "/api/v1/audit", "/api/v1/quarantine"} {
		if r := f.do("GET", path, "", nil); r.status != http.StatusUnauthorized || r.errorCode(t) != "unauthorized" {
			t.Errorf("GET %s without token = %d %s", path, r.status, r.body)
		}
	}
	if r := f.do("POST", "/api/v1/streams/"+f.orgStream.ID+"/sync", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("sync without token = %d", r.status)
	}
	if len(f.trigger.Calls()) != 0 {
		t.Error("an anonymous request reached the trigger")
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do("GET", "/api/v1/me", f.memberA, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var me api.Me
	r.decode(t, &me)
	if me.User.ID != f.memberAID || me.User.Role != "member" || me.Org.ID != f.orgA.ID || me.Org.TimeZone != "Europe/Paris" {
		t.Errorf("me = %+v", me)
	}
}

// SPEC A7: only admins may administer; a member gets 403.
func TestAdminEndpointsForbidMembers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		method, path string
		body         any
	}{
		{method: "GET", path: "/api/v1/audit"},
		{method: "GET", path: "/api/v1/users"},
		{method: "POST", path: "/api/v1/users", body: api.CreateUserRequest{Email: "eve@acme.test", Role: "admin"}},
		{method: "POST", path: "/api/v1/quarantine/" + f.qA.ID + "/retry"},
		{method: "POST", path: "/api/v1/quarantine/" + f.qA.ID + "/discard"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := f.do(tt.method, tt.path, f.memberA, tt.body)
			if r.status != http.StatusForbidden || r.errorCode(t) != "forbidden" {
				t.Errorf("member: %d %s, want 403 forbidden", r.status, r.body)
			}
		})
	}
	// Nothing a member tried took effect.
	if got := f.audit(f.orgA.ID); len(got) != 0 {
		t.Errorf("audit after refused requests = %+v", got)
	}
	if r := f.do("GET", "/api/v1/quarantine?status=open", f.adminA, nil); !strings.Contains(string(r.body), f.qA.ID) {
		t.Errorf("quarantine entry changed by a member: %s", r.body)
	}
}

// SPEC X4: another org's stream or quarantine entry answers 404, exactly
// like one that does not exist, and never shows its data.
func TestCrossOrgIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name         string
		method, path string
		token        string
	}{
		{name: "stream", method: "GET", path: "/api/v1/streams/" + f.orgStream.ID, token: f.adminB},
		{name: "runs", method: "GET", path: "/api/v1/streams/" + f.orgStream.ID + "/runs", token: f.adminB},
		{name: "sync", method: "POST", path: "/api/v1/streams/" + f.orgStream.ID + "/sync", token: f.adminB},
		{name: "conflicts of stream", method: "GET", path: "/api/v1/conflicts?stream=" + f.orgStream.ID, token: f.adminB},
		{name: "quarantine of stream", method: "GET", path: "/api/v1/quarantine?stream=" + f.orgStream.ID, token: f.adminB},
		{name: "retry", method: "POST", path: "/api/v1/quarantine/" + f.qA.ID + "/retry", token: f.adminB},
		{name: "discard", method: "POST", path: "/api/v1/quarantine/" + f.qA.ID + "/discard", token: f.adminB},
		{name: "other org the other way", method: "GET", path: "/api/v1/streams/" + f.streamB.ID, token: f.adminA},
		{name: "another member's stream", method: "GET", path: "/api/v1/streams/" + f.otherStream.ID, token: f.memberA},
		{name: "another member's sync", method: "POST", path: "/api/v1/streams/" + f.otherStream.ID + "/sync", token: f.memberA},
		{name: "another member's conflicts", method: "GET", path: "/api/v1/conflicts?stream=" + f.otherStream.ID, token: f.memberA},
		{name: "no such stream", method: "GET", path: "/api/v1/streams/nope", token: f.adminA},
		{name: "no such quarantine", method: "POST", path: "/api/v1/quarantine/nope/retry", token: f.adminA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, tt.path, tt.token, nil)
			if r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
				t.Errorf("%d %s, want 404", r.status, r.body)
			}
			for _, secret := range []string{f.orgStream.Name, f.otherStream.Name, f.qA.RecordID, f.streamB.Name} {
				if bytes.Contains(r.body, []byte(secret)) {
					t.Errorf("response leaks %q: %s", secret, r.body)
				}
			}
		})
	}
	if calls := f.trigger.Calls(); len(calls) != 0 {
		t.Errorf("trigger called across orgs: %v", calls)
	}
	if got := f.audit(f.orgB.ID); len(got) != 0 {
		t.Errorf("org B audit = %+v", got)
	}
	// A's entry is untouched.
	var qs struct{ Items []api.Quarantine }
	f.do("GET", "/api/v1/quarantine?stream="+f.orgStream.ID, f.adminA, nil).decode(t, &qs)
	if len(qs.Items) != 1 || qs.Items[0].Status != store.QuarantineOpen {
		t.Errorf("A's quarantine after B's attempts = %+v", qs.Items)
	}
}

// SPEC X1: a stream shows its last run, next run, error, counts and the
// latest run's progress.
func TestStreamState(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do("GET", "/api/v1/streams/"+f.orgStream.ID, f.memberA, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got api.Stream
	r.decode(t, &got)
	want := api.Stream{
		ID: f.orgStream.ID, Name: "org tasks", Kind: "tasks", ConnA: f.connA.ID, ObjectA: "Task", ConnB: "hub", ObjectB: "task",
		Enabled: true, Schedule: api.Schedule{Kind: "hourly"},
		LastRun: f.orgStream.LastRun, NextRun: f.orgStream.NextRun, LastError: "salesforce: 503",
		Pending: 2, Links: 1, Created: f.orgStream.Created,
	}
	if got.LatestRun == nil {
		t.Fatalf("no latest run: %s", r.body)
	}
	lr := *got.LatestRun
	got.LatestRun = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	if lr.Status != store.RunRunning || lr.Done != 5 || lr.Total != 10 || lr.Counts.Pulled != 5 || lr.Counts.Conflicts != 1 {
		t.Errorf("latest run = %+v", lr)
	}

	runs := f.do("GET", "/api/v1/streams/"+f.orgStream.ID+"/runs", f.adminA, nil)
	var rl struct{ Items []api.Run }
	runs.decode(t, &rl)
	if len(rl.Items) != 1 || rl.Items[0].Trigger != "schedule" {
		t.Errorf("runs = %s", runs.body)
	}
}

func TestListStreamsByRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	names := func(token string) []string {
		var l struct{ Items []api.Stream }
		r := f.do("GET", "/api/v1/streams", token, nil)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		r.decode(t, &l)
		var out []string
		for _, s := range l.Items {
			out = append(out, s.Name)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		who   string
		token string
		want  []string
	}{
		{who: "admin A", token: f.adminA, want: []string{"member paused", "member tasks", "member2 tasks", "org tasks"}},
		{who: "member A", token: f.memberA, want: []string{"member paused", "member tasks", "org tasks"}},
		{who: "admin B", token: f.adminB, want: []string{"globex tasks"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, names(tt.token)); diff != "" {
			t.Errorf("%s sees (-want +got):\n%s", tt.who, diff)
		}
	}
	var l struct{ Items []api.Stream }
	f.do("GET", "/api/v1/streams?limit=1", f.adminA, nil).decode(t, &l)
	if len(l.Items) != 1 {
		t.Errorf("limit=1 gave %d streams", len(l.Items))
	}
}

// Sync now: admins any stream of their org, members only their own.
func TestSyncNow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name   string
		token  string
		stream store.Stream
		want   int
		code   string
	}{
		{name: "member, own stream", token: f.memberA, stream: f.memberStream, want: http.StatusAccepted},
		{name: "member, org-wide stream", token: f.memberA, stream: f.orgStream, want: http.StatusForbidden, code: "forbidden"},
		{name: "admin, org-wide stream", token: f.adminA, stream: f.orgStream, want: http.StatusAccepted},
		{name: "admin, a member's stream", token: f.adminA, stream: f.otherStream, want: http.StatusAccepted},
		{name: "disabled stream", token: f.memberA, stream: f.offStream, want: http.StatusConflict, code: "conflict"},
	}
	var wantCalls [][2]string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do("POST", "/api/v1/streams/"+tt.stream.ID+"/sync", tt.token, nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.code != "" {
				if c := r.errorCode(t); c != tt.code {
					t.Errorf("code %q, want %q", c, tt.code)
				}
				return
			}
			wantCalls = append(wantCalls, [2]string{f.orgA.ID, tt.stream.ID})
			var acc api.SyncAccepted
			r.decode(t, &acc)
			if acc.ID != "job-"+tt.stream.ID || acc.StreamID != tt.stream.ID {
				t.Errorf("accepted = %+v", acc)
			}
		})
	}
	if diff := cmp.Diff(wantCalls, f.trigger.Calls()); diff != "" {
		t.Errorf("trigger calls (-want +got):\n%s", diff)
	}
	var syncs []string
	for _, a := range f.audit(f.orgA.ID) {
		if a.Action == "stream.sync" {
			syncs = append(syncs, a.Target)
		}
	}
	if len(syncs) != len(wantCalls) {
		t.Errorf("audited syncs %v, want %d", syncs, len(wantCalls))
	}

	f.trigger.mu.Lock()
	f.trigger.fail = true
	f.trigger.mu.Unlock()
	r := f.do("POST", "/api/v1/streams/"+f.memberStream.ID+"/sync", f.memberA, nil)
	if r.status != http.StatusInternalServerError || r.errorCode(t) != "internal" || bytes.Contains(r.body, []byte("connection refused")) {
		t.Errorf("failing trigger: %d %s", r.status, r.body)
	}
}

// Without a job queue, sync now says so rather than pretending.
func TestSyncNowWithoutQueue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpts{noTrigger: true})
	r := f.do("POST", "/api/v1/streams/"+f.orgStream.ID+"/sync", f.adminA, nil)
	if r.status != http.StatusServiceUnavailable || r.errorCode(t) != "unavailable" || !bytes.Contains(r.body, []byte("sync queue not running")) {
		t.Errorf("%d %s, want 503 sync queue not running", r.status, r.body)
	}
}

// SPEC X3: a quarantined record retried goes back to its stream's pending
// work; the action is audited (A7).
func TestQuarantineRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do("POST", "/api/v1/quarantine/"+f.qA.ID+"/retry", f.adminA, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var q api.Quarantine
	r.decode(t, &q)
	if q.Status != store.QuarantineRetried || !q.Updated.Equal(now) {
		t.Errorf("entry = %+v", q)
	}
	err := f.store.Read(t.Context(), func(tx store.Tx) error {
		ps, err := tx.ListPending(t.Context(), f.orgStream.ID, 0)
		if err != nil {
			return err
		}
		want := store.Pending{StreamID: f.orgStream.ID, Side: store.SideB, RecordID: "card-1"}
		if !slices.Contains(ps, want) {
			t.Errorf("pending %+v lacks %+v", ps, want)
		}
		got, err := tx.GetQuarantine(t.Context(), f.orgA.ID, f.qA.ID)
		if err != nil {
			return err
		}
		if got.Status != store.QuarantineRetried {
			t.Errorf("stored status %q", got.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAudit(t, f, "quarantine.retry", f.qA.ID)

	if again := f.do("POST", "/api/v1/quarantine/"+f.qA.ID+"/retry", f.adminA, nil); again.status != http.StatusConflict {
		t.Errorf("second retry: %d %s", again.status, again.body)
	}
}

// A discarded record stays set aside: a tombstone with reason "discarded".
func TestQuarantineDiscard(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do("POST", "/api/v1/quarantine/"+f.qA.ID+"/discard", f.adminA, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	err := f.store.Read(t.Context(), func(tx store.Tx) error {
		ts, err := tx.GetTombstones(t.Context(), f.orgStream.ID, store.SideB, []string{"card-1"})
		if err != nil {
			return err
		}
		if ts["card-1"].Reason != "discarded" {
			t.Errorf("tombstones = %+v", ts)
		}
		n, err := tx.CountPending(t.Context(), f.orgStream.ID)
		if err != nil {
			return err
		}
		if n != 2 {
			t.Errorf("pending = %d, want the fixture's 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAudit(t, f, "quarantine.discard", f.qA.ID)

	var open struct{ Items []api.Quarantine }
	f.do("GET", "/api/v1/quarantine?status=open", f.adminA, nil).decode(t, &open)
	for _, q := range open.Items {
		if q.ID == f.qA.ID {
			t.Error("discarded entry listed as open")
		}
	}
	var discarded struct{ Items []api.Quarantine }
	f.do("GET", "/api/v1/quarantine?status=discarded", f.adminA, nil).decode(t, &discarded)
	if len(discarded.Items) != 1 || discarded.Items[0].ID != f.qA.ID {
		t.Errorf("discarded = %+v", discarded.Items)
	}
	if again := f.do("POST", "/api/v1/quarantine/"+f.qA.ID+"/retry", f.adminA, nil); again.status != http.StatusConflict {
		t.Errorf("retry after discard: %d %s", again.status, again.body)
	}
}

func checkAudit(t *testing.T, f *fixture, action, target string) {
	t.Helper()
	for _, a := range f.audit(f.orgA.ID) {
		if a.Action == action && a.Target == target {
			if a.ActorID == "" || !a.Created.Equal(now) {
				t.Errorf("audit entry %+v", a)
			}
			return
		}
	}
	t.Errorf("no audit entry %s %s", action, target)
}

// Members see review items of the streams they may see only.
func TestReviewListsByRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := func(path, token string) []string {
		t.Helper()
		r := f.do("GET", path, token, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var l struct {
			Items []struct {
				ID string `json:"id"`
			}
		}
		r.decode(t, &l)
		var out []string
		for _, it := range l.Items {
			out = append(out, it.ID)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	tests := []struct {
		path, token string
		want        []string
	}{
		{path: "/api/v1/conflicts", token: f.adminA, want: sorted(f.conflictA.ID, f.conflictOther.ID)},
		{path: "/api/v1/conflicts", token: f.memberA, want: sorted(f.conflictA.ID)},
		{path: "/api/v1/conflicts", token: f.adminB, want: sorted(f.conflictB.ID)},
		{path: "/api/v1/conflicts?stream=" + f.otherStream.ID, token: f.adminA, want: sorted(f.conflictOther.ID)},
		{path: "/api/v1/conflicts?limit=1", token: f.adminA, want: sorted(f.conflictOther.ID)},
		{path: "/api/v1/quarantine", token: f.adminA, want: sorted(f.qA.ID, f.qOther.ID)},
		{path: "/api/v1/quarantine", token: f.member2A, want: sorted(f.qA.ID, f.qOther.ID)},
		{path: "/api/v1/quarantine", token: f.memberA, want: sorted(f.qA.ID)},
		{path: "/api/v1/quarantine?status=retried", token: f.adminA, want: nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ids(tt.path, tt.token)); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", tt.path, diff)
		}
	}
	for _, path := range []string{"/api/v1/conflicts?limit=0", "/api/v1/quarantine?limit=501", "/api/v1/quarantine?status=maybe", "/api/v1/audit?limit=x"} {
		if r := f.do("GET", path, f.adminA, nil); r.status != http.StatusBadRequest || r.errorCode(t) != "bad_request" {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}

// SPEC A7: creating a user is an audited admin action; the new user's
// token is shown once and works.
func TestCreateUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do("POST", "/api/v1/users", f.adminA, api.CreateUserRequest{Email: " Eve@Acme.test ", Name: "Eve", TimeZone: "Europe/Stockholm"})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var created api.CreatedUser
	r.decode(t, &created)
	if created.User.Email != "eve@acme.test" || created.User.Role != "member" || created.User.OrgID != f.orgA.ID || !strings.HasPrefix(created.Token, api.TokenPrefix) {
		t.Errorf("created = %+v", created)
	}
	var me api.Me
	f.do("GET", "/api/v1/me", created.Token, nil).decode(t, &me)
	if me.User.ID != created.User.ID {
		t.Errorf("new token authenticates as %+v", me.User)
	}
	checkAudit(t, f, "user.create", created.User.ID)
	for _, a := range f.audit(f.orgA.ID) {
		if bytes.Contains(a.Detail, []byte(created.Token)) {
			t.Error("the token reached the audit log")
		}
	}

	var users struct{ Items []api.User }
	f.do("GET", "/api/v1/users", f.adminA, nil).decode(t, &users)
	if len(users.Items) != 5 {
		t.Errorf("users = %d, want 5", len(users.Items))
	}

	tests := []struct {
		name string
		body any
		want int
	}{
		{name: "duplicate", body: api.CreateUserRequest{Email: "eve@acme.test"}, want: http.StatusConflict},
		{name: "bad email", body: api.CreateUserRequest{Email: "eve"}, want: http.StatusBadRequest},
		{name: "bad role", body: api.CreateUserRequest{Email: "x@acme.test", Role: "owner"}, want: http.StatusBadRequest},
		{name: "bad zone", body: api.CreateUserRequest{Email: "x@acme.test", TimeZone: "Mars/Olympus"}, want: http.StatusBadRequest},
		{name: "unknown field", body: map[string]string{"email": "x@acme.test", "org_id": f.orgB.ID}, want: http.StatusBadRequest},
	}
	for _, tt := range tests {
		if r := f.do("POST", "/api/v1/users", f.adminA, tt.body); r.status != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.body, tt.want)
		}
	}
	// The same address in another org is another user.
	if r := f.do("POST", "/api/v1/users", f.adminB, api.CreateUserRequest{Email: "eve@acme.test"}); r.status != http.StatusCreated {
		t.Errorf("same email in org B: %d %s", r.status, r.body)
	}
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.do("POST", "/api/v1/quarantine/"+f.qA.ID+"/retry", f.adminA, nil)
	f.do("POST", "/api/v1/users", f.adminA, api.CreateUserRequest{Email: "eve@acme.test"})
	var l struct{ Items []api.Audit }
	r := f.do("GET", "/api/v1/audit", f.adminA, nil)
	r.decode(t, &l)
	var actions []string
	for _, a := range l.Items {
		actions = append(actions, a.Action)
	}
	if diff := cmp.Diff([]string{"user.create", "quarantine.retry"}, actions); diff != "" {
		t.Errorf("audit, newest first (-want +got):\n%s", diff)
	}
	var lb struct{ Items []api.Audit }
	f.do("GET", "/api/v1/audit", f.adminB, nil).decode(t, &lb)
	if len(lb.Items) != 0 {
		t.Errorf("org B sees %+v", lb.Items)
	}
}

// SPEC X4: credentials never leave the hub.
func TestConnectionsHideCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do("GET", "/api/v1/connections", f.memberA, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if bytes.Contains(r.body, []byte(credential)) {
		t.Fatalf("credentials leaked: %s", r.body)
	}
	var l struct{ Items []api.Connection }
	r.decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].System != "salesforce" || !strings.Contains(string(l.Items[0].Config), `"https://acme.my.salesforce.com"`) {
		t.Errorf("connections = %s", r.body)
	}
	var lb struct{ Items []api.Connection }
	f.do("GET", "/api/v1/connections", f.adminB, nil).decode(t, &lb)
	if len(lb.Items) != 0 {
		t.Errorf("org B sees %+v", lb.Items)
	}
}

func TestUnknownEndpointIsJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do("GET", "/api/v1/nope", f.adminA, nil)
	if r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
		t.Errorf("%d %s", r.status, r.body)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	a, ha, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !strings.HasPrefix(a, api.TokenPrefix) || len(a) != len(api.TokenPrefix)+43 {
		t.Errorf("tokens %q %q", a, b)
	}
	if ha != api.HashToken(a) || len(ha) != 64 || strings.Contains(ha, a) {
		t.Errorf("hash %q", ha)
	}
}

func TestNewConfigNeedsStore(t *testing.T) {
	t.Parallel()
	if _, err := api.New(api.Config{}); err == nil {
		t.Error("New without a store passed")
	}
}
