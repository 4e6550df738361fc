package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/testenv"
)

// credential is a connection secret that must never appear in a response.
const credential = "sf-refresh-token-do-not-leak"

// now is the fixture's clock.
var now = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// fixture is a hub with two orgs on its own SQLite file:
//
//	org A: adminA, memberA, member2A (and disabledA)
//	       orgStream (org-wide), memberStream (memberA's), otherStream
//	       (member2A's), offStream (memberA's, disabled)
//	org B: adminB, streamB
//
// with conflicts and quarantine entries on orgStream, otherStream and
// streamB.
type fixture struct {
	t       *testing.T
	store   store.Store
	trigger *recordingTrigger
	url     string

	orgA, orgB                           store.Org
	adminA, memberA, member2A, disabledA string // tokens
	adminB                               string
	memberAID                            string
	orgStream, memberStream, otherStream store.Stream
	offStream, streamB                   store.Stream
	qA, qOther, qB                       store.Quarantine
	conflictA, conflictOther, conflictB  store.Conflict
	connA                                store.Connection
}

type fixtureOpts struct {
	noTrigger bool
}

func newFixture(t *testing.T, opts ...fixtureOpts) *fixture {
	t.Helper()
	var o fixtureOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	f := &fixture{t: t, store: testenv.SQLite(t), trigger: &recordingTrigger{}}
	ctx := t.Context()
	err := f.store.InTx(ctx, func(tx store.Tx) error {
		f.orgA = store.Org{Name: "Acme", TimeZone: "Europe/Paris"}
		f.orgB = store.Org{Name: "Globex"}
		for _, o := range []*store.Org{&f.orgA, &f.orgB} {
			if err := tx.CreateOrg(ctx, o); err != nil {
				return err
			}
		}
		user := func(org store.Org, email string, role store.Role, disabled bool) (store.User, string) {
			u := store.User{OrgID: org.ID, Email: email, Name: email, Role: role, Disabled: disabled}
			if err := tx.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			tok, err := api.IssueToken(ctx, tx, u, "test")
			if err != nil {
				t.Fatal(err)
			}
			return u, tok
		}
		_, f.adminA = user(f.orgA, "admin@acme.test", store.RoleAdmin, false)
		memberA, memberTok := user(f.orgA, "member@acme.test", store.RoleMember, false)
		f.memberA, f.memberAID = memberTok, memberA.ID
		member2A, member2Tok := user(f.orgA, "member2@acme.test", store.RoleMember, false)
		f.member2A = member2Tok
		_, f.disabledA = user(f.orgA, "gone@acme.test", store.RoleAdmin, true)
		_, f.adminB = user(f.orgB, "admin@globex.test", store.RoleAdmin, false)

		f.connA = store.Connection{OrgID: f.orgA.ID, System: "salesforce", Name: "Salesforce", Status: store.ConnActive,
			Config: json.RawMessage(`{"base_url":"https://acme.my.salesforce.com"}`), Credentials: []byte(credential)}
		if err := tx.CreateConnection(ctx, &f.connA); err != nil {
			return err
		}
		stream := func(org store.Org, name, userID string, enabled bool) store.Stream {
			s := store.Stream{OrgID: org.ID, UserID: userID, Name: name, Kind: "tasks",
				ConnA: f.connA.ID, ObjectA: "Task", ConnB: "hub", ObjectB: "task", Enabled: enabled,
				Schedule: store.Schedule{Kind: store.ScheduleHourly}, LastRun: now.Add(-time.Hour), NextRun: now,
				LastError: "salesforce: 503"}
			if err := tx.CreateStream(ctx, &s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		f.orgStream = stream(f.orgA, "org tasks", "", true)
		f.memberStream = stream(f.orgA, "member tasks", memberA.ID, true)
		f.otherStream = stream(f.orgA, "member2 tasks", member2A.ID, true)
		f.offStream = stream(f.orgA, "member paused", memberA.ID, false)
		f.streamB = stream(f.orgB, "globex tasks", "", true)

		run := store.Run{OrgID: f.orgA.ID, StreamID: f.orgStream.ID, Trigger: "schedule", Status: store.RunRunning,
			Started: now.Add(-time.Minute), Done: 5, Total: 10, Counts: store.RunCounts{Pulled: 5, Created: 2, Conflicts: 1}}
		if err := tx.CreateRun(ctx, &run); err != nil {
			return err
		}
		if err := tx.AddPending(ctx, []store.Pending{
			{StreamID: f.orgStream.ID, Side: store.SideA, RecordID: "00T1"},
			{StreamID: f.orgStream.ID, Side: store.SideB, RecordID: "t2"},
		}); err != nil {
			return err
		}
		if err := tx.PutLinks(ctx, []store.Link{{StreamID: f.orgStream.ID, AID: "00T9", BID: "t9", Base: json.RawMessage(`{}`)}}); err != nil {
			return err
		}

		conflict := func(s store.Stream, field string) store.Conflict {
			c := store.Conflict{OrgID: s.OrgID, StreamID: s.ID, AID: "a-" + field, BID: "b-" + field, Field: field,
				AValue: json.RawMessage(`"left"`), BValue: json.RawMessage(`"right"`), Winner: store.SideA, Reason: "newest wins"}
			if err := tx.AddConflict(ctx, &c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		f.conflictA = conflict(f.orgStream, "subject")
		f.conflictOther = conflict(f.otherStream, "due")
		f.conflictB = conflict(f.streamB, "status")

		quarantine := func(s store.Stream, rec string) store.Quarantine {
			q := store.Quarantine{OrgID: s.OrgID, StreamID: s.ID, Side: store.SideB, RecordID: rec,
				Error: "vcard: line 3: bad FN", Payload: json.RawMessage(`{"raw":"BEGIN:VCARD"}`), Status: store.QuarantineOpen}
			if err := tx.AddQuarantine(ctx, &q); err != nil {
				t.Fatal(err)
			}
			return q
		}
		f.qA = quarantine(f.orgStream, "card-1")
		f.qOther = quarantine(f.otherStream, "card-2")
		f.qB = quarantine(f.streamB, "card-3")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	cfg := api.Config{Store: f.store, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	if !o.noTrigger {
		cfg.Trigger = f.trigger
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// response is an answer from the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with token (none when empty) and a JSON body (none
// when nil).
func (f *fixture) do(method, path, token string, body any) response {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// decode decodes the response body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the code of a JSON error body, failing when the body is
// not one.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	r.decode(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not a JSON error: %s", r.body)
	}
	return e.Error.Code
}

// audit returns the org's audit log, newest first.
func (f *fixture) audit(orgID string) []store.Audit {
	f.t.Helper()
	var out []store.Audit
	err := f.store.Read(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.ListAudit(context.Background(), orgID, 0)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// recordingTrigger is the job queue's stand-in: it records the syncs asked
// of it.
type recordingTrigger struct {
	mu    sync.Mutex
	calls [][2]string
	fail  bool
}

func (r *recordingTrigger) SyncNow(_ context.Context, orgID, streamID string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return "", errors.New("queue: insert job: connection refused")
	}
	r.calls = append(r.calls, [2]string{orgID, streamID})
	return "job-" + streamID, nil
}

func (r *recordingTrigger) Calls() [][2]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][2]string(nil), r.calls...)
}
