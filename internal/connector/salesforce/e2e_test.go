package salesforce_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/memstore"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
)

// TestEngineSyncsSalesforceTasks runs the real engine, with the task
// stream's definition, between a sandbox org's Task (side A, built by
// Factory from a connection's JSON) and an in-memory system (side B).
func TestEngineSyncsSalesforceTasks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sb := sandbox.New(sandbox.Config{CustomFields: map[string][]sandbox.Field{"Task": {keyField}}}) // the real clock, as the engine's
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	hub := memory.New(memory.Options{Name: "hub"})
	s := memstore.New(memstore.Config{})

	creds, _ := json.Marshal(salesforce.ConnectionCredentials{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword})
	org, st := seedTaskStream(t, s, srv.URL, creds)
	reg := registry.New()
	reg.Register(salesforce.SystemName, salesforce.Factory)
	reg.Register(registry.SystemMemory, func(context.Context, store.Connection) (connector.Connector, error) { return hub, nil })
	engine, err := syncer.New(syncer.Config{Store: s, Definitions: []*syncer.Definition{task.Definition()}, Connectors: reg.Resolve})
	if err != nil {
		t.Fatal(err)
	}
	run := func(what string) store.Run {
		t.Helper()
		r, err := engine.Run(ctx, org.ID, st.ID, "manual")
		if err != nil {
			t.Fatalf("%s: run: %v", what, err)
		}
		if r.Counts.Quarantined != 0 {
			t.Fatalf("%s: %d records quarantined", what, r.Counts.Quarantined)
		}
		return r
	}

	// A task a user makes in Salesforce reaches the hub (SPEC T2, T3).
	callAnn, err := sb.Create("Task", "", map[string]any{"Subject": "Call Ann", "Status": "Not Started", "Priority": "High",
		"ActivityDate": "2026-03-02", "Description": "About the renewal"})
	if err != nil {
		t.Fatal(err)
	}
	run("first sync")
	var imported connector.Record
	for _, r := range hub.List("task") {
		imported = r
	}
	if n := len(hub.List("task")); n != 1 || imported.Fields["status"] != "Open" || imported.Fields["priority"] != "High" ||
		imported.Fields["due"] != "2026-03-02" || imported.Fields["details"] != "About the renewal" {
		t.Fatalf("the hub after the first sync (%d tasks): %+v", n, imported.Fields)
	}

	// A hub edit and a new hub task reach Salesforce (SPEC T2: Complete →
	// Completed; the new task is an upsert on its key).
	if err := hub.Update("task", imported.ID, connector.Fields{"status": "Complete"}); err != nil {
		t.Fatal(err)
	}
	hub.Create("task", connector.Fields{"name": "Send the contract", "status": "Open", "priority": "Normal", "due": "2026-03-03"})
	run("after hub edits")
	got, err := sb.Get("Task", callAnn)
	if err != nil || got["Status"] != "Completed" || got["Priority"] != "High" {
		t.Errorf("Salesforce task after completing it in the hub: %v, %v", got, err)
	}
	if n := sb.Counts()["Task"]; n != 2 {
		t.Fatalf("Salesforce holds %d tasks, want 2", n)
	}
	c, _ := salesforce.Factory(ctx, store.Connection{Config: json.RawMessage(`{"base_url":"` + srv.URL + `"}`),
		Credentials: []byte(`{"client_id":"` + sandbox.DefaultClientID + `","client_secret":"` + sandbox.DefaultClientSecret +
			`","username":"` + sandbox.DefaultUsername + `","password":"` + sandbox.DefaultPassword + `"}`)})
	p, err := c.Changes(ctx, "Task", "")
	if err != nil {
		t.Fatal(err)
	}
	var pushed connector.Record
	for _, r := range p.Records {
		if r.ID != callAnn {
			pushed = r
		}
	}
	if pushed.Key == "" || pushed.Fields["Subject"] != "Send the contract" || pushed.Fields["Status"] != "Not Started" ||
		pushed.Fields["ActivityDate"] != "2026-03-03" {
		t.Errorf("the hub task pushed to Salesforce: key %q, %v", pushed.Key, pushed.Fields)
	}

	// A steady state: nothing moves.
	if r := run("steady state"); r.Counts.Created+r.Counts.Updated+r.Counts.Deleted != 0 {
		t.Errorf("a run with no edits wrote: %+v", r.Counts)
	}
}
