package cli

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/hubdb"
	"github.com/crmsync/crmsync/internal/job"
	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

// openHubDB opens and migrates the hub's database; the caller closes it.
func openHubDB(t *testing.T, dsn string) *hubdb.DB {
	t.Helper()
	key, err := secret.ParseKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := hubdb.Open(t.Context(), dsn, box)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// seedTaskStream adds, to the only org, an in-memory CRM and hub list and
// an enabled tasks stream between them, and returns the stream.
func seedTaskStream(t *testing.T, s store.Store) store.Stream {
	t.Helper()
	var st store.Stream
	err := s.InTx(t.Context(), func(tx store.Tx) error {
		orgs, err := tx.ListOrgs(t.Context())
		if err != nil {
			return err
		}
		crm := store.Connection{OrgID: orgs[0].ID, System: systemMemory, Name: "CRM"}
		// A second in-memory system: a personal connection of the same kind.
		hub := store.Connection{OrgID: orgs[0].ID, System: systemMemory, UserID: "hub-list", Name: "Hub"}
		if err := tx.CreateConnection(t.Context(), &crm); err != nil {
			return err
		}
		if err := tx.CreateConnection(t.Context(), &hub); err != nil {
			return err
		}
		st = store.Stream{
			OrgID: orgs[0].ID, Name: "tasks", Kind: task.Kind,
			ConnA: crm.ID, ObjectA: "Task", ConnB: hub.ID, ObjectB: "task",
			Enabled: true, EnabledAt: time.Now(),
			Settings: json.RawMessage(`{"subject_template":true}`),
			Schedule: store.Schedule{Kind: store.ScheduleManual},
		}
		return tx.CreateStream(t.Context(), &st)
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestServeSyncNow runs "sync now" through serve's real backend, queue and
// engine included, on each database.
func TestServeSyncNow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dsn  func(t *testing.T, dir string) string
	}{
		{name: "sqlite", dsn: func(_ *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "hub.db") }},
		{name: "postgres", dsn: func(t *testing.T, _ string) string { return testenv.Postgres(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHub(t)
			h.env["CRMSYNC_DB"] = tt.dsn(t, h.dir)
			h.env["CRMSYNC_ADDR"] = "127.0.0.1:0"
			token := h.must("user", "create", "--email", "ann@example.com", "--admin")
			db := openHubDB(t, h.env["CRMSYNC_DB"])
			st := seedTaskStream(t, db.Store)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			crm := memory.New(memory.Options{})
			subjects := []string{"Call Ann", "Send the quote", "Book the demo"}
			for _, s := range subjects {
				crm.Create("Task", connector.Fields{"Subject": s, "Status": "Not Started", "Priority": "High", "ActivityDate": "2030-01-02"})
			}
			memorySystems.Set(st.ConnA, crm)
			hub := memory.New(memory.Options{})
			memorySystems.Set(st.ConnB, hub)

			a, _, stderr := h.app() // startBackend is startJobs
			addr := make(chan string, 1)
			a.onListen = func(s string) { addr <- s }
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan int, 1)
			go func() { done <- a.run(ctx, []string{"serve"}) }()
			var base string
			select {
			case s := <-addr:
				base = "http://" + s
			case code := <-done:
				t.Fatalf("serve exited %d: %s", code, stderr)
			}

			code, body := request(t, "POST", base+"/api/v1/streams/"+st.ID+"/sync", token)
			var acc api.SyncAccepted
			if code != http.StatusAccepted || json.Unmarshal([]byte(body), &acc) != nil || acc.ID == "" || acc.StreamID != st.ID {
				t.Fatalf("sync now: %d %s", code, body)
			}
			var runs []api.Run
			waitFor(t, "the run", func() bool {
				runs = succeededRuns(t, base, token, st.ID)
				return len(runs) > 0
			})
			if r := runs[0]; r.Trigger != job.TriggerManual || r.Counts.Created != int64(len(subjects)) {
				t.Errorf("run = %+v", r)
			}
			got := map[string]bool{}
			for _, r := range hub.List("task") {
				got[r.Fields["name"].(string)] = r.Fields["status"] == "Open" && r.Fields["priority"] == "High" && r.Fields["due"] == "2030-01-02"
			}
			for _, s := range subjects {
				if !got[s] {
					t.Errorf("hub task %q missing or mismapped: %v", s, hub.List("task"))
				}
			}

			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("serve exited %d after shutdown: %s", code, stderr)
				}
			case <-time.After(waitTimeout):
				t.Fatal("serve did not stop")
			}
			if strings.Contains(stderr.String(), token) || strings.Contains(stderr.String(), testKey) {
				t.Error("logs show a secret")
			}
		})
	}
}

// TestQueueTriggerAlreadyQueued: pressing "sync now" twice is one run, and
// the second press answers the first one's job id, not an error.
func TestQueueTriggerAlreadyQueued(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.must("org", "create", "--name", "Acme")
	db := openHubDB(t, h.env["CRMSYNC_DB"])
	defer db.Close()
	st := seedTaskStream(t, db.Store)
	// Not started: the run stays queued.
	q, err := job.NewSQLite(db.SQL, job.Config{Runner: job.RunnerFunc(func(context.Context, string, string, string) error {
		return errors.New("not run")
	}), Store: db.Store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	trig := queueTrigger{q: q}
	first, err := trig.SyncNow(t.Context(), st.OrgID, st.ID)
	if err != nil || first == "" {
		t.Fatalf("first SyncNow = %q, %v", first, err)
	}
	second, err := trig.SyncNow(t.Context(), st.OrgID, st.ID)
	if err != nil || second != first {
		t.Errorf("second SyncNow = %q, %v; want %q, nil", second, err, first)
	}
	if _, err := trig.SyncNow(t.Context(), st.OrgID, "no-such-stream"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SyncNow of a missing stream: %v", err)
	}
}
