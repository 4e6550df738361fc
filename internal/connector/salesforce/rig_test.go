package salesforce_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
)

// keyField is the Task field the connector upserts on.
var keyField = sandbox.Field{Name: "crmsync_Key__c", Type: sandbox.TypeString, Length: 80, ExternalID: true, Unique: true}

// seedTaskStream creates an org with one user, the org's Salesforce
// connection to baseURL (credentials as given, JSON) and an in-memory hub
// list, and the enabled reminder-task stream between them.
func seedTaskStream(t *testing.T, s store.Store, baseURL string, creds []byte) (store.Org, store.Stream) {
	t.Helper()
	ctx := t.Context()
	var org store.Org
	var st store.Stream
	err := s.InTx(ctx, func(tx store.Tx) error {
		org = store.Org{Name: "Acme", TimeZone: "Europe/Stockholm"}
		if err := tx.CreateOrg(ctx, &org); err != nil {
			return err
		}
		user := store.User{OrgID: org.ID, Email: "ann@acme.test", Name: "Ann"}
		if err := tx.CreateUser(ctx, &user); err != nil {
			return err
		}
		sfConn := store.Connection{OrgID: org.ID, System: salesforce.SystemName, Name: "Salesforce",
			Config: json.RawMessage(`{"base_url":"` + baseURL + `"}`), Credentials: creds}
		hubConn := store.Connection{OrgID: org.ID, System: registry.SystemMemory, Name: "Hub"}
		if err := tx.CreateConnection(ctx, &sfConn); err != nil {
			return err
		}
		if err := tx.CreateConnection(ctx, &hubConn); err != nil {
			return err
		}
		st = store.Stream{OrgID: org.ID, UserID: user.ID, Name: "Ann's reminders", Kind: task.Kind,
			ConnA: sfConn.ID, ObjectA: "Task", ConnB: hubConn.ID, ObjectB: "task", Enabled: true,
			EnabledAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second),
			Settings:  json.RawMessage(`{"` + task.SettingSubjectTemplate + `":true}`)}
		return tx.CreateStream(ctx, &st)
	})
	if err != nil {
		t.Fatal(err)
	}
	return org, st
}
