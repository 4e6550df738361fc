package cli

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
)

// SPEC T8 from the command line: enabling task sync queues a re-sync, and
// --wait follows its progress (plain lines when not on a terminal) until
// it ends; status then shows the run's done and total.
func TestT8TaskSyncCommandShowsProgress(t *testing.T) {
	sb := sandbox.New(sandbox.Config{CustomFields: map[string][]sandbox.Field{"Task": {{Name: "crmsync_Key__c", Type: sandbox.TypeString, Length: 80, ExternalID: true, Unique: true}}},
		Seed: sandbox.SeedConfig{Tasks: 300}})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	h := newHub(t)
	h.must("user", "create", "--email", "admin@acme.test", "--admin")
	h.must("user", "create", "--email", "sam@acme.test")
	if code, _, stderr := h.run("task", "sync", "enable", "--user", "sam@acme.test"); code == 0 || !strings.Contains(stderr, "not connected to the CRM") {
		t.Errorf("enable before the org is connected: exit %d, %s", code, stderr)
	}
	h.env["CRMSYNC_CRM_CLIENT_SECRET"] = sandbox.DefaultClientSecret
	h.env["CRMSYNC_CRM_PASSWORD"] = sandbox.DefaultPassword
	h.must("crm", "connect", "--url", srv.URL, "--client-id", sandbox.DefaultClientID, "--username", sandbox.DefaultUsername)

	// The hub's worker, as serve runs it: the stream's first queued run.
	s := h.store()
	reg := registry.New()
	reg.Register(salesforce.SystemName, salesforce.StoreFactory(s, nil))
	reg.Register(hubtask.SystemName, hubtask.Factory(s))
	engine, err := syncer.New(syncer.Config{Store: s, Definitions: []*syncer.Definition{task.Definition()}, Connectors: reg.Resolve})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	worked := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			var streams []store.Stream
			_ = s.Read(ctx, func(tx store.Tx) error {
				orgs, err := tx.ListOrgs(ctx)
				if err == nil && len(orgs) == 1 {
					streams, err = tx.ListStreams(ctx, orgs[0].ID)
				}
				return err
			})
			for _, st := range streams {
				if st.Kind == task.Kind && st.Enabled {
					_, err := engine.Run(ctx, st.OrgID, st.ID, "schedule")
					worked <- err
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	out := h.must("task", "sync", "enable", "--user", "sam@acme.test", "--subject-template", "--wait", "60s")
	if err := <-worked; err != nil {
		t.Fatalf("the worker's run: %v", err)
	}
	if !strings.Contains(out, "task sync on for sam@acme.test") || !strings.Contains(out, "progress ") || !strings.Contains(out, "re-sync done: pulled 300") {
		t.Errorf("enable --wait printed:\n%s", out)
	}
	status := h.must("task", "sync", "status", "--user", "sam@acme.test")
	if !strings.Contains(status, "enabled true, poll every 2 min, names to the CRM true") || !strings.Contains(status, "succeeded") {
		t.Errorf("status printed:\n%s", status)
	}
	if out := h.must("task", "list", "--user", "sam@acme.test"); strings.Count(out, "\n") < 300 {
		t.Errorf("the CRM's 300 tasks did not reach Sam's list: %d lines", strings.Count(out, "\n"))
	}
	if out := h.must("task", "sync", "disable", "--user", "sam@acme.test"); !strings.Contains(out, "task sync off") {
		t.Errorf("disable printed %s", out)
	}
}
