package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/admin"
	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	sandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
	"github.com/crmsync/crmsync/internal/testenv"
)

const (
	samCRM = "sam.seller@acme.sandbox"
	riaCRM = "ria.rep@acme.sandbox"
)

// rig is an org with an admin and a member, Sam, whose reminder-task
// stream pairs the CRM's Tasks with an in-memory hub list; a Salesforce
// sandbox with Sam's and Ria's CRM users, reached through the real
// connector over HTTP; and the admin service over a SQLite store.
type rig struct {
	t       *testing.T
	sb      *sandbox.Server
	url     string
	s       store.Store
	svc     *admin.Service
	engine  *syncer.Engine
	org     store.Org
	admin   store.User
	sam     store.User
	stream  store.Stream
	hubConn store.Connection
}

func newRig(t *testing.T, defs ...*syncer.Definition) *rig {
	t.Helper()
	ctx := t.Context()
	sb := sandbox.New(sandbox.Config{
		CustomFields: map[string][]sandbox.Field{"Task": {{Name: "crmsync_Key__c", Type: sandbox.TypeString, Length: 80, ExternalID: true, Unique: true}}},
		Users: []sandbox.UserConfig{
			{Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword, LastName: "Integration"},
			{Username: samCRM, Password: "x", FirstName: "Sam", LastName: "Seller"},
			{Username: riaCRM, Password: "x", FirstName: "Ria", LastName: "Rep"},
		}})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	s := testenv.SQLite(t)
	hub := memory.New(memory.Options{Name: "hub"})
	reg := registry.New()
	reg.Register(salesforce.SystemName, salesforce.StoreFactory(s, nil))
	reg.Register(registry.SystemMemory, func(context.Context, store.Connection) (connector.Connector, error) { return hub, nil })
	if len(defs) == 0 {
		defs = []*syncer.Definition{task.Definition()}
	}
	engine, err := syncer.New(syncer.Config{Store: s, Definitions: defs, Connectors: reg.Resolve})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := admin.New(admin.Config{Store: s, Definitions: defs, OAuth: func(base, id, secret, redirect string) (admin.OAuthFlow, error) {
		return salesforce.NewWebFlow(base, id, secret, redirect, nil)
	}, Dial: func(ctx context.Context, c store.Connection) (admin.CRM, error) {
		conn, err := salesforce.StoreFactory(s, nil)(ctx, c)
		if err != nil {
			return nil, err
		}
		return conn.(*salesforce.Connector), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, sb: sb, url: srv.URL, s: s, svc: svc, engine: engine}
	err = s.InTx(ctx, func(tx store.Tx) error {
		r.org = store.Org{Name: "Acme", TimeZone: "Europe/Paris"}
		if err := tx.CreateOrg(ctx, &r.org); err != nil {
			return err
		}
		r.admin = store.User{OrgID: r.org.ID, Email: "admin@acme.test", Name: "Ada", Role: store.RoleAdmin}
		if err := tx.CreateUser(ctx, &r.admin); err != nil {
			return err
		}
		r.sam = store.User{OrgID: r.org.ID, Email: "sam@acme.test", Name: "Sam"}
		if err := tx.CreateUser(ctx, &r.sam); err != nil {
			return err
		}
		r.hubConn = store.Connection{OrgID: r.org.ID, System: registry.SystemMemory, Name: "Hub"}
		return tx.CreateConnection(ctx, &r.hubConn)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) actor() admin.Actor { return admin.Actor{OrgID: r.org.ID, UserID: r.admin.ID} }

// connect connects the org (SPEC A4) and, the first time, creates Sam's
// task stream on the CRM connection.
func (r *rig) connect(erase bool) admin.Status {
	r.t.Helper()
	ctx := r.t.Context()
	creds, _ := json.Marshal(salesforce.ConnectionCredentials{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword})
	st, err := r.svc.Connect(ctx, r.actor(), admin.ConnectRequest{Config: json.RawMessage(`{"base_url":"` + r.url + `"}`),
		Credentials: creds, Erase: erase})
	if err != nil {
		r.t.Fatalf("connect: %v", err)
	}
	if r.stream.ID == "" {
		r.stream = store.Stream{OrgID: r.org.ID, UserID: r.sam.ID, Name: "Sam's reminders", Kind: task.Kind,
			ConnA: st.ConnectionID, ObjectA: "Task", ConnB: r.hubConn.ID, ObjectB: "task", Enabled: true,
			EnabledAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second)}
		if err := r.s.InTx(ctx, func(tx store.Tx) error { return tx.CreateStream(ctx, &r.stream) }); err != nil {
			r.t.Fatal(err)
		}
	}
	return st
}

func (r *rig) crmUserID(username string) string {
	r.t.Helper()
	users, err := r.svc.CRMUsers(r.t.Context(), r.org.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, u := range users {
		if u.Username == username {
			return u.ID
		}
	}
	r.t.Fatalf("no CRM user %s in %+v", username, users)
	return ""
}

func (r *rig) getStream() store.Stream {
	r.t.Helper()
	var st store.Stream
	err := r.s.Read(r.t.Context(), func(tx store.Tx) (err error) {
		st, err = tx.GetStream(r.t.Context(), r.org.ID, r.stream.ID)
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func (r *rig) getUser(id string) store.User {
	r.t.Helper()
	var u store.User
	if err := r.s.Read(r.t.Context(), func(tx store.Tx) (err error) { u, err = tx.GetUser(r.t.Context(), r.org.ID, id); return err }); err != nil {
		r.t.Fatal(err)
	}
	return u
}

func (r *rig) auditActions() []string {
	r.t.Helper()
	var as []store.Audit
	if err := r.s.Read(r.t.Context(), func(tx store.Tx) (err error) { as, err = tx.ListAudit(r.t.Context(), r.org.ID, 100); return err }); err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, a.Action+" "+a.ActorID)
	}
	return out
}

func (r *rig) linked() int64 {
	r.t.Helper()
	var n int64
	if err := r.s.Read(r.t.Context(), func(tx store.Tx) (err error) { n, err = tx.CountLinks(r.t.Context(), r.stream.ID); return err }); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) run() (store.Run, error) {
	return r.engine.Run(r.t.Context(), r.org.ID, r.stream.ID, "manual")
}

// SPEC A4 (group activation) and describe validation: connecting signs in
// and checks every stream mapping against the CRM's describe; a missing
// field and a field the integration user may not write are clear errors,
// kept on the connection.
func TestA4ConnectValidatesMappings(t *testing.T) {
	r := newRig(t)
	st := r.connect(false)
	if !st.Connected || st.Error != "" || st.Streams != 0 {
		t.Fatalf("status after connect = %+v", st)
	}
	if problems, err := r.svc.Validate(t.Context(), r.org.ID); err != nil || len(problems) != 0 {
		t.Fatalf("the task mapping against the sandbox: %v %v", problems, err)
	}

	bad := task.Definition()
	bad.Fields = append(slices.Clone(bad.Fields),
		syncer.Field{Name: "budget", A: "Budget__c", B: "budget"},
		syncer.Field{Name: "created", A: "CreatedDate", B: "created", Type: syncer.DateTime})
	r2 := newRig(t, bad)
	r2.connect(false)
	problems, err := r2.svc.Validate(t.Context(), r2.org.ID)
	if !errors.Is(err, admin.ErrMapping) || len(problems) != 2 {
		t.Fatalf("Validate = %q, %v; want two problems and ErrMapping", problems, err)
	}
	for _, want := range []string{`stream "Sam's reminders" maps field Task.Budget__c, which the CRM does not have`,
		`stream "Sam's reminders" writes field Task.CreatedDate, which the integration user may not create or update`} {
		if !slices.Contains(problems, want) {
			t.Errorf("problems %q lack %q", problems, want)
		}
	}
	if st, _ := r2.svc.Status(t.Context(), r2.org.ID); !strings.Contains(st.Error, "Budget__c") {
		t.Errorf("the connection's error = %q, want the problems", st.Error)
	}

	// Wrong credentials: a clear error, nothing saved.
	r3 := newRig(t)
	_, err = r3.svc.Connect(t.Context(), r3.actor(), admin.ConnectRequest{Config: json.RawMessage(`{"base_url":"` + r3.url + `"}`),
		Credentials: json.RawMessage(`{"client_id":"` + sandbox.DefaultClientID + `","client_secret":"wrong","username":"` + sandbox.DefaultUsername + `","password":"nope"}`)})
	if err == nil || !strings.Contains(err.Error(), "signing in to the CRM failed") {
		t.Errorf("connect with wrong credentials = %v", err)
	}
	if st, _ := r3.svc.Status(t.Context(), r3.org.ID); st.Connected || st.ConnectionID != "" {
		t.Errorf("a failed connect saved a connection: %+v", st)
	}
	if got := r.auditActions(); !slices.Contains(got, "crm.connect "+r.admin.ID) {
		t.Errorf("audit = %q, want the connect by the admin (SPEC A7)", got)
	}
}

// SPEC A2: seats come from the CRM's users; a CRM user's seat is held by
// one hub user; a user deactivated in the CRM loses the seat at the next
// users sync, and their streams stop.
func TestA2SeatsFromCRMUsers(t *testing.T) {
	r := newRig(t)
	r.connect(false)
	users, err := r.svc.CRMUsers(t.Context(), r.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(users, func(u admin.CRMUser) bool { return u.Username == samCRM })
	if i < 0 || !users[i].Active || users[i].Name != "Sam Seller" || users[i].Profile == "" || users[i].Email == "" {
		t.Fatalf("CRM users = %+v, want Sam active with a profile and email", users)
	}
	samID := users[i].ID
	if _, err := r.svc.GrantSeat(t.Context(), r.actor(), r.sam.ID, "nobody@acme.sandbox"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("a seat of an unknown CRM user: %v", err)
	}
	u, err := r.svc.GrantSeat(t.Context(), r.actor(), r.sam.ID, samCRM)
	if err != nil || u.CRMUserID != samID || !u.SyncEnabled {
		t.Fatalf("grant = %+v, %v", u, err)
	}
	if _, err := r.svc.GrantSeat(t.Context(), r.actor(), r.admin.ID, samID); !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), "sam@acme.test") {
		t.Errorf("a second hub user on Sam's seat: %v", err)
	}
	if st, _ := r.svc.Status(t.Context(), r.org.ID); st.Seats != 1 {
		t.Errorf("seats = %d, want 1", st.Seats)
	}

	// Ria keeps her seat; Sam is deactivated in the CRM.
	if err := r.sb.Update("User", samID, "", map[string]any{"IsActive": false}); err != nil {
		t.Fatal(err)
	}
	res, err := r.svc.SyncUsers(t.Context(), r.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Revoked, []string{"sam@acme.test"}) {
		t.Fatalf("users sync revoked %q, want Sam", res.Revoked)
	}
	if got := r.getUser(r.sam.ID); got.CRMUserID != "" || got.SyncEnabled {
		t.Errorf("Sam after losing the seat: %+v", got)
	}
	if r.getStream().Enabled {
		t.Error("Sam's stream still runs without a seat")
	}
	if _, err := r.svc.GrantSeat(t.Context(), r.actor(), r.sam.ID, samID); !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), "inactive") {
		t.Errorf("a seat of an inactive CRM user: %v", err)
	}
	got := r.auditActions()
	for _, want := range []string{"crm.seat.grant " + r.admin.ID, "crm.seat.revoke " + admin.SystemActor} {
		if !slices.Contains(got, want) {
			t.Errorf("audit = %q, want %q (SPEC A7)", got, want)
		}
	}
}

// SPEC A6: disabling one user's CRM sync pauses their streams and loses
// nothing: what changed in the CRM meanwhile arrives once enabled again.
func TestA6UserSyncPauseResumeLosesNothing(t *testing.T) {
	r := newRig(t)
	r.connect(false)
	if _, err := r.svc.GrantSeat(t.Context(), r.actor(), r.sam.ID, samCRM); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sb.Create("Task", samCRM, map[string]any{"Subject": "Call Ann", "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-03-02"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.run(); err != nil {
		t.Fatal(err)
	}
	if r.linked() != 1 {
		t.Fatalf("links after the first run = %d", r.linked())
	}
	if _, err := r.svc.SetUserSync(t.Context(), r.actor(), r.sam.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sb.Create("Task", samCRM, map[string]any{"Subject": "Send quote", "Status": "Not Started", "Priority": "High", "ActivityDate": "2026-03-03"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.run(); !errors.Is(err, syncer.ErrStreamDisabled) {
		t.Fatalf("a run while Sam's sync is disabled = %v, want ErrStreamDisabled", err)
	}
	if r.linked() != 1 {
		t.Fatalf("a paused stream synced: %d links", r.linked())
	}
	if u := r.getUser(r.sam.ID); u.SyncEnabled || u.CRMUserID == "" {
		t.Errorf("Sam while disabled: %+v (the seat stays)", u)
	}
	if _, err := r.svc.SetUserSync(t.Context(), r.actor(), r.sam.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.run(); err != nil {
		t.Fatal(err)
	}
	if r.linked() != 2 {
		t.Errorf("after enabling again, links = %d, want 2: the task made meanwhile arrived", r.linked())
	}
	// Enabling needs a seat.
	if _, err := r.svc.SetUserSync(t.Context(), r.actor(), r.admin.ID, true); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("enable without a seat: %v", err)
	}
	got := r.auditActions()
	for _, want := range []string{"crm.user.disable " + r.admin.ID, "crm.user.enable " + r.admin.ID} {
		if !slices.Contains(got, want) {
			t.Errorf("audit = %q, want %q (SPEC A7)", got, want)
		}
	}
}

// SPEC A3: an enabled user starts with saved lists of the leads and
// accounts they own in the CRM, kept current by the users sync.
func TestA3SavedLeadsAndAccounts(t *testing.T) {
	r := newRig(t)
	r.connect(false)
	samID, riaID := r.crmUserID(samCRM), r.crmUserID(riaCRM)
	lead, err := r.sb.Create("Lead", samCRM, map[string]any{"FirstName": "Lou", "LastName": "Lane", "Company": "Lane Ltd", "OwnerId": samID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.sb.Create("Lead", riaCRM, map[string]any{"LastName": "Other", "Company": "Other Co", "OwnerId": riaID}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sb.Create("Account", samCRM, map[string]any{"Name": "Globex", "OwnerId": samID}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.GrantSeat(t.Context(), r.actor(), r.sam.ID, samCRM); err != nil {
		t.Fatal(err)
	}
	lists, err := r.svc.Saved(t.Context(), r.org.ID, r.sam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(lists.Leads) != 1 || lists.Leads[0].Name != "Lou Lane" || len(lists.Accounts) != 1 || lists.Accounts[0].Name != "Globex" {
		t.Fatalf("Sam's saved lists = %+v", lists)
	}
	// The lead moves to Ria; a new account is Sam's.
	if err := r.sb.Update("Lead", lead, "", map[string]any{"OwnerId": riaID}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sb.Create("Account", samCRM, map[string]any{"Name": "Initech", "OwnerId": samID}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.SyncUsers(t.Context(), r.org.ID); err != nil {
		t.Fatal(err)
	}
	lists, _ = r.svc.Saved(t.Context(), r.org.ID, r.sam.ID)
	var names []string
	for _, a := range lists.Accounts {
		names = append(names, a.Name)
	}
	if len(lists.Leads) != 0 || !slices.Equal(names, []string{"Globex", "Initech"}) {
		t.Errorf("after the users sync, leads %+v, accounts %q", lists.Leads, names)
	}
}

// SPEC A5 (group deactivation) and A4's erase: disconnecting stops every
// stream and drops the credentials but keeps the sync state, so a plain
// reconnect resumes; a reconnect with erase drops the imported CRM data
// (mirror, links, saved lists) and keeps the hub's own tasks.
func TestA5DisconnectAndErase(t *testing.T) {
	r := newRig(t)
	r.connect(false)
	if _, err := r.svc.GrantSeat(t.Context(), r.actor(), r.sam.ID, samCRM); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sb.Create("Task", samCRM, map[string]any{"Subject": "Call Ann", "Status": "Not Started", "Priority": "Normal"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.run(); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Disconnect(t.Context(), r.actor(), false); err != nil {
		t.Fatal(err)
	}
	st, _ := r.svc.Status(t.Context(), r.org.ID)
	if st.Connected || st.State != store.ConnDisconnected {
		t.Errorf("status after disconnect = %+v", st)
	}
	var conn store.Connection
	_ = r.s.Read(t.Context(), func(tx store.Tx) (err error) {
		conn, err = tx.GetConnection(t.Context(), r.org.ID, st.ConnectionID)
		return err
	})
	if len(conn.Credentials) != 0 {
		t.Error("the credentials outlived the disconnect")
	}
	if r.getStream().Enabled {
		t.Error("the stream still runs after the org disconnected")
	}
	if r.linked() != 1 {
		t.Errorf("a disconnect without erase dropped links: %d", r.linked())
	}
	if _, err := r.svc.CRMUsers(t.Context(), r.org.ID); !errors.Is(err, admin.ErrNotConnected) {
		t.Errorf("CRM users while disconnected: %v", err)
	}

	r.connect(true) // reconnect, erasing what was imported
	if !r.getStream().Enabled {
		t.Error("the reconnect did not restart the stream the disconnect stopped")
	}
	if r.linked() != 0 {
		t.Errorf("erase kept %d links", r.linked())
	}
	var recs []store.Record
	_ = r.s.Read(t.Context(), func(tx store.Tx) (err error) {
		recs, err = tx.ListRecords(t.Context(), st.ConnectionID, "Task", "", 10)
		return err
	})
	if len(recs) != 0 {
		t.Errorf("erase kept %d mirrored CRM Tasks", len(recs))
	}
	if lists, _ := r.svc.Saved(t.Context(), r.org.ID, r.sam.ID); len(lists.Leads)+len(lists.Accounts) != 0 {
		t.Errorf("erase kept saved lists %+v", lists)
	}
	got := r.auditActions()
	for _, want := range []string{"crm.disconnect " + r.admin.ID, "crm.connect " + r.admin.ID} {
		if !slices.Contains(got, want) {
			t.Errorf("audit = %q, want %q (SPEC A7)", got, want)
		}
	}
}
