package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/contact"
	"github.com/crmsync/crmsync/internal/http/api"
	sfsandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
)

// What demo seeds, from scratch at every start.
const (
	demoDir         = "crmsync-demo"
	demoDBFile      = "demo.db"
	demoOrgName     = "Demo Co"
	demoOrgZone     = "Europe/Stockholm"
	demoAdminEmail  = "admin@demo.example"
	demoMemberEmail = "sam@demo.example"
	demoCRMName     = "Salesforce sandbox"
	demoHubName     = "Sam's hub task list"
	demoStreamName  = "Sam's reminder tasks"
	// The objects of the tasks stream: CRM Task, hub reminder task.
	demoObjectA = "Task"
	demoObjectB = hubtask.Object
	// demoActivityEvery is how often the demo edits one side by itself.
	demoActivityEvery = 20 * time.Second
)

// The demo's Salesforce sandbox org: the hub logs in as the integration
// user; Sam's CRM user owns the seeded Tasks. These are the sandbox's own
// throwaway credentials, printed in the guide on purpose.
const (
	demoSFIntegrationUser = "integration@demo-co.sandbox"
	demoSFPassword        = "demo-password"
	demoSFMemberUser      = "sam.seller@demo-co.sandbox"
	// demoSFKeyField is the External ID field the connector upserts on
	// (its default ExternalIDField).
	demoSFKeyField = "crmsync_Key__c"
	// demoSFOtherUsers is how many more users the sandbox generates.
	demoSFOtherUsers = 4
)

// demoSandboxes are the running demos' Salesforce sandboxes by the id of
// their CRM connection, for tests to look into; demoMailboxes their Graph
// sandboxes.
var demoSandboxes, demoMailboxes sync.Map // string → *demoSandbox, *demoMailbox

// demoSandbox is the demo's Salesforce sandbox and the server it answers on.
type demoSandbox struct {
	org  *sfsandbox.Server
	srv  *http.Server
	base string // http://127.0.0.1:port
}

// startDemoSandbox builds the Salesforce sandbox org — an integration user,
// Sam's CRM user and a few generated users, the External ID field on Task,
// demoCRMTasks owned by Sam and due relative to today — and serves it on a
// free loopback port.
func startDemoSandbox(ctx context.Context, today time.Time, log *slog.Logger) (*demoSandbox, error) {
	key := sfsandbox.Field{Name: demoSFKeyField, Type: sfsandbox.TypeString, Length: 80, ExternalID: true, Unique: true}
	replaced := sfsandbox.Field{Name: contact.FieldReplaced, Type: sfsandbox.TypeTextArea, Length: 32000}
	cfg := sfsandbox.Config{
		Users: []sfsandbox.UserConfig{
			{Username: demoSFIntegrationUser, Password: demoSFPassword, FirstName: "crmsync", LastName: "Integration", TimeZone: demoOrgZone},
			{Username: demoSFMemberUser, Password: demoSFPassword, FirstName: "Sam", LastName: "Seller", Email: demoMemberEmail,
				Profile: "Standard User", TimeZone: demoOrgZone},
		},
		CustomFields: map[string][]sfsandbox.Field{demoObjectA: {key}, "Contact": {key, replaced}, "Lead": {key, replaced}},
		Logger:       log,
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("salesforce sandbox: %w", err)
	}
	org := sfsandbox.New(cfg)
	if _, err := org.Seed(sfsandbox.SeedConfig{Seed: 1, Users: demoSFOtherUsers}); err != nil {
		return nil, err
	}
	for _, t := range demoCRMTasks {
		if _, err := org.Create(demoObjectA, demoSFMemberUser, map[string]any{
			"Subject": t.subject, "Status": t.status, "Priority": t.priority,
			"ActivityDate": today.AddDate(0, 0, t.due).Format(time.DateOnly), "Description": t.description,
		}); err != nil {
			return nil, fmt.Errorf("salesforce sandbox: seed task %q: %w", t.subject, err)
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("salesforce sandbox: listen: %w", err)
	}
	srv := &http.Server{Handler: org, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }() // ErrServerClosed once stopped
	return &demoSandbox{org: org, srv: srv, base: "http://" + ln.Addr().String()}, nil
}

// stop shuts the sandbox's server down, waiting a few seconds at most.
func (d *demoSandbox) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.srv.Shutdown(ctx); err != nil {
		_ = d.srv.Close()
	}
}

// connection returns the Config and Credentials JSON of the org's
// "salesforce" connection to the sandbox, as the connector reads them.
func (d *demoSandbox) connection() (cfg, creds []byte, err error) {
	if cfg, err = json.Marshal(salesforce.ConnectionConfig{BaseURL: d.base, ExternalIDField: demoSFKeyField}); err != nil {
		return nil, nil, err
	}
	sc := d.org.Config()
	creds, err = json.Marshal(salesforce.ConnectionCredentials{ClientID: sc.ClientID, ClientSecret: sc.ClientSecret,
		Username: demoSFIntegrationUser, Password: demoSFPassword})
	return cfg, creds, err
}

// demoSandboxTasks lists the live Tasks of the sandbox org, oldest first,
// each with its fields as the sandbox's Get returns them: the ids through
// a SOQL query over the REST API, as the integration user.
func demoSandboxTasks(ctx context.Context, org *sfsandbox.Server, base string) ([]map[string]any, error) {
	sc := org.Config()
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(req *http.Request, v any) error {
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, res.Status, b)
		}
		return json.Unmarshal(b, v)
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {sc.ClientID}, "client_secret": {sc.ClientSecret},
		"username": {demoSFIntegrationUser}, "password": {demoSFPassword}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := call(req, &tok); err != nil {
		return nil, fmt.Errorf("salesforce sandbox: token: %w", err)
	}
	var out []map[string]any
	next := "/services/data/v" + sc.APIVersion + "/query?q=" + url.QueryEscape("SELECT Id FROM Task ORDER BY CreatedDate, Id")
	for next != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+next, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		var page struct {
			Done           bool   `json:"done"`
			NextRecordsURL string `json:"nextRecordsUrl"`
			Records        []struct {
				ID string `json:"Id"`
			} `json:"records"`
		}
		if err := call(req, &page); err != nil {
			return nil, fmt.Errorf("salesforce sandbox: query: %w", err)
		}
		for _, r := range page.Records {
			fields, err := org.Get(demoObjectA, r.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, fields)
		}
		next = ""
		if !page.Done {
			next = page.NextRecordsURL
		}
	}
	return out, nil
}

func (a *app) demoCmd() *cobra.Command {
	var reset bool
	cmd := &cobra.Command{
		Use:   "demo [--data-dir DIR] [--addr HOST:PORT]",
		Short: "Run the hub on SQLite with a seeded Salesforce sandbox, for a first look",
		Long: `demo runs the whole hub — HTTP API, job queue, sync engine — on a SQLite
database in --data-dir (default ./crmsync-demo), with a key file it creates
there, so it needs no setup and no environment variables.

It starts a Salesforce sandbox (the one of "crmsync sandbox salesforce") in
this process on a free loopback port, with a few users and Tasks owned by
Sam's CRM user, and creates the org "Demo Co" with an admin and a member,
Sam; the org's "salesforce" connection to the sandbox, over real HTTP
with OAuth; Sam's own hub task list, with a few tasks from before and after
sync was enabled; and an enabled reminder task stream between the two that
runs every minute. A first sync runs at once; then, every 20 seconds, a
small random edit lands on the CRM (as Sam's CRM user) or on Sam's list
for the scheduled runs to carry over.

The sandbox lives in this process only, so every start recreates the demo
database (demo.db; the key file is kept) and seeds everything again: each
start is a fresh demo. Run one demo per data dir.

It prints the URL, fresh API tokens for the admin and for Sam, and curl
commands to try. --db and CRMSYNC_DB are ignored: the demo always uses its
own database. Ctrl-C stops it cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd.Context())
		},
	}
	// --reset deleted the database before the demo recreated it at every
	// start; it stays accepted so that older scripts keep working.
	cmd.Flags().BoolVar(&reset, "reset", false, "no effect: every start recreates the demo database")
	_ = cmd.Flags().MarkDeprecated("reset", "every start recreates the demo database now")
	return cmd
}

// runDemo prepares the data dir, starts and seeds the Salesforce sandbox,
// recreates and seeds the database, and serves the hub until ctx ends.
func (a *app) runDemo(ctx context.Context) error {
	if a.cfg.DB != config.Default().DB {
		a.log.LogAttrs(ctx, slog.LevelWarn, "demo: --db / CRMSYNC_DB is ignored; the demo uses its own SQLite database in the data dir")
	}
	dir := a.cfg.DataDir
	if dir == "" {
		dir = demoDir
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("demo: data dir: %w", err)
	}
	// A demo already running here would lose its database: stop before
	// deleting anything when the address is taken, as it is then.
	if err := checkAddrFree(ctx, a.cfg.Addr); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	dbPath := filepath.Join(dir, demoDBFile)
	if err := removeDemoDB(dbPath); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	a.cfg.DataDir = dir
	a.cfg.DB = "sqlite:" + dbPath
	if a.cfg.SecretKey == "" {
		key, err := config.LoadOrCreateKeyFile(a.cfg.KeyFile())
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		a.cfg.SecretKey = key
	}

	db, err := a.openDB(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer db.Close()

	loc, err := time.LoadLocation(demoOrgZone)
	if err != nil {
		loc = time.UTC // no zone database: the command center counts in UTC too
	}
	now := time.Now()
	sb, err := startDemoSandbox(ctx, now.In(loc), a.log)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer sb.stop()
	sfConfig, sfCreds, err := sb.connection()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	st, err := seedDemo(ctx, db.Store, now, loc, sfConfig, sfCreds)
	if err != nil {
		return fmt.Errorf("demo: seed: %w", err)
	}
	// Sam holds the seat of his CRM user (SPEC A2), which gives him his
	// saved leads and accounts (SPEC A3).
	if err := demoSeat(ctx, db.Store, a.log, st, sb); err != nil {
		return fmt.Errorf("demo: seat: %w", err)
	}
	// Sam's mailbox in the Graph sandbox, his CRM contacts, and his
	// contact sync turned on (SPEC C1–C11).
	if err := demoCRMContacts(sb); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	mb, err := startDemoMailbox(ctx, a.log)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer mb.stop()
	contactStreams, mbReport, err := demoContactSync(ctx, db.Store, a.log, st.member, mb)
	if err != nil {
		return fmt.Errorf("demo: contacts: %w", err)
	}
	demoMailboxes.Store(st.crm.ID, mb)
	defer demoMailboxes.Delete(st.crm.ID)
	demoSandboxes.Store(st.crm.ID, sb)
	defer demoSandboxes.Delete(st.crm.ID)
	crmTasks := sb.org.Counts()[demoObjectA]
	a.log.LogAttrs(ctx, slog.LevelInfo, "demo: database recreated and seeded",
		slog.String("path", dbPath), slog.String("org", st.org.ID), slog.String("stream", st.stream.ID),
		slog.String("salesforce", sb.base), slog.Int("crm_tasks", crmTasks), slog.Int("hub_tasks", len(st.hubTasks)))

	// serveHub starts the backend, then listens: the guide goes out once
	// both are up, with the queue's trigger for the first sync.
	var trigger api.SyncTrigger
	start := func(ctx context.Context, env BackendEnv) (Backend, error) {
		b, err := startJobs(ctx, env)
		trigger = b.Trigger
		return b, err
	}
	ready := make(chan string, 1)
	prev := a.onListen
	a.onListen = func(addr string) {
		if prev != nil {
			prev(addr)
		}
		ready <- addr
	}
	defer func() { a.onListen = prev }()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		var addr string
		select {
		case <-ctx.Done():
			return
		case addr = <-ready:
		}
		a.printDemoGuide(a.stdout, demoURL(addr), dir, st, sb, crmTasks)
		a.printDemoContacts(a.stdout, demoURL(addr), mb, mbReport)
		fmt.Fprint(a.stdout, "Stop with Ctrl-C.\n\n")
		for _, s := range append([]store.Stream{st.stream}, contactStreams...) {
			if id, err := trigger.SyncNow(ctx, st.org.ID, s.ID); err != nil {
				a.log.LogAttrs(ctx, slog.LevelError, "demo: first sync", slog.String("stream", s.Name), slog.String("error", err.Error()))
			} else {
				a.log.LogAttrs(ctx, slog.LevelInfo, "demo: first sync queued", slog.String("stream", s.ID), slog.String("job", id))
			}
		}
		act := &demoActivity{
			crm: sb.org, crmBase: sb.base, store: db.Store, orgID: st.org.ID, userID: st.member.ID, loc: loc,
			rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), log: a.log,
		}
		every := a.demoActivity
		if every <= 0 {
			every = demoActivityEvery
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				act.step(ctx)
			}
		}
	})
	err = a.serveHub(ctx, db, start)
	cancel()
	wg.Wait()
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("demo: %w; is another demo running? Pick another port with --addr 127.0.0.1:8081", err)
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(a.stderr, "demo stopped. The next start recreates its database in %s (the key file is kept).\n", dir)
	return nil
}

// checkAddrFree fails when addr cannot be listened on, with a hint when
// another demo probably holds it.
func checkAddrFree(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: %w; is another demo running? Pick another port with --addr 127.0.0.1:8081", addr, err)
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln.Close()
}

// removeDemoDB deletes the demo database and SQLite's files beside it.
func removeDemoDB(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("recreate the database: %w", err)
		}
	}
	return nil
}

// demoState is what seedDemo created.
type demoState struct {
	org           store.Org
	admin, member store.User
	crm, hub      store.Connection
	stream        store.Stream
	// hubTasks are the member's hub tasks as seeded: those that predate
	// the stream first.
	hubTasks []store.HubTask
	// adminToken and memberToken are fresh API tokens, in the clear.
	adminToken, memberToken string
}

// seedDemo fills the fresh demo database: the org, its admin and member,
// the org-wide "salesforce" connection (with sfConfig and sfCreds, which
// the store encrypts) and the member's hub task list, the tasks stream
// between them, enabled a minute before now, the member's hub tasks (some
// from before the stream was enabled, some since) and a token for each
// user. Hub due dates count from today in loc, the org's zone.
func seedDemo(ctx context.Context, s store.Store, now time.Time, loc *time.Location, sfConfig, sfCreds []byte) (demoState, error) {
	var st demoState
	now = now.UTC().Truncate(time.Microsecond) // the store's precision
	enabledAt := now.Add(-time.Minute)
	err := s.InTx(ctx, func(tx store.Tx) error {
		st = demoState{} // InTx may run fn again
		st.org = store.Org{Name: demoOrgName, TimeZone: demoOrgZone}
		if err := tx.CreateOrg(ctx, &st.org); err != nil {
			return fmt.Errorf("create org: %w", err)
		}
		if err := cliAudit(ctx, tx, st.org.ID, "org.create", st.org.ID, map[string]string{"name": st.org.Name}); err != nil {
			return err
		}
		var err error
		if st.admin, err = demoUser(ctx, tx, st.org, demoAdminEmail, "Alex Admin", store.RoleAdmin); err != nil {
			return err
		}
		if st.member, err = demoUser(ctx, tx, st.org, demoMemberEmail, "Sam Seller", store.RoleMember); err != nil {
			return err
		}
		st.crm = store.Connection{OrgID: st.org.ID, System: salesforce.SystemName, Name: demoCRMName,
			Config: json.RawMessage(sfConfig), Credentials: sfCreds}
		if err := demoConnection(ctx, tx, &st.crm); err != nil {
			return err
		}
		// The member's own list: a personal connection, whose config names
		// the user too.
		cfg, err := json.Marshal(hubtask.ConnectionConfig{UserID: st.member.ID})
		if err != nil {
			return err
		}
		st.hub = store.Connection{OrgID: st.org.ID, UserID: st.member.ID, System: hubtask.SystemName, Name: demoHubName, Config: cfg}
		if err := demoConnection(ctx, tx, &st.hub); err != nil {
			return err
		}
		if st.stream, err = demoStream(ctx, tx, st, enabledAt); err != nil {
			return err
		}
		if st.hubTasks, err = seedDemoHubTasks(ctx, tx, st.member, enabledAt, now, now.In(loc)); err != nil {
			return err
		}
		for _, t := range []struct {
			u     store.User
			plain *string
		}{{st.admin, &st.adminToken}, {st.member, &st.memberToken}} {
			if *t.plain, err = api.IssueToken(ctx, tx, t.u, "demo"); err != nil {
				return err
			}
			if err := cliAudit(ctx, tx, st.org.ID, "token.create", t.u.ID, map[string]string{"name": "demo"}); err != nil {
				return err
			}
		}
		return nil
	})
	return st, err
}

func demoUser(ctx context.Context, tx store.Tx, o store.Org, email, name string, role store.Role) (store.User, error) {
	u, err := api.NewUser(o.ID, email, name, role, "")
	if err != nil {
		return store.User{}, err
	}
	u.SyncEnabled = true
	if err := tx.CreateUser(ctx, &u); err != nil {
		return store.User{}, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, cliAudit(ctx, tx, o.ID, "user.create", u.ID, map[string]string{"email": u.Email, "role": string(u.Role)})
}

func demoConnection(ctx context.Context, tx store.Tx, c *store.Connection) error {
	if err := tx.CreateConnection(ctx, c); err != nil {
		return fmt.Errorf("create connection %q: %w", c.Name, err)
	}
	return cliAudit(ctx, tx, c.OrgID, "connection.create", c.ID, map[string]string{"system": c.System, "name": c.Name})
}

// demoStream creates the member's tasks stream, enabled at enabledAt, every
// minute, with the subject template on (SPEC T7).
func demoStream(ctx context.Context, tx store.Tx, st demoState, enabledAt time.Time) (store.Stream, error) {
	s := store.Stream{
		OrgID: st.org.ID, UserID: st.member.ID, Name: demoStreamName, Kind: task.Kind,
		ConnA: st.crm.ID, ObjectA: demoObjectA, ConnB: st.hub.ID, ObjectB: demoObjectB,
		Enabled: true, EnabledAt: enabledAt,
		Settings: json.RawMessage(`{"` + task.SettingSubjectTemplate + `":true}`),
		Schedule: store.Schedule{Kind: store.ScheduleInterval, Minutes: 1},
	}
	if err := tx.CreateStream(ctx, &s); err != nil {
		return store.Stream{}, fmt.Errorf("create stream: %w", err)
	}
	return s, cliAudit(ctx, tx, st.org.ID, "stream.create", s.ID, map[string]string{"kind": s.Kind, "name": s.Name})
}

// demoTask is one seeded task; due is days from today.
type demoTask struct {
	subject, status, priority string
	due                       int
	description               string
}

// demoCRMTasks are the CRM's Tasks. "In Progress", "Waiting on someone
// else" and "Low" have no counterpart in the hub: they are not synced
// (SPEC T2), so those tasks arrive without that value.
var demoCRMTasks = []demoTask{
	{"Call Anna Lindqvist about the renewal quote", "Not Started", "High", 0, "Anna asked for the three-year price with the support add-on. Have the quote ready before calling."},
	{"Send Nordhavn Logistics the revised proposal", "Not Started", "High", 0, "Include the volume discount agreed on Tuesday; copy their CFO."},
	{"Follow up on the demo with Kvarn Robotics", "Not Started", "Normal", 1, "They liked the scheduling module; ask who else needs to see it."},
	{"Prepare QBR deck for Bergström Bygg", "In Progress", "High", 7, "Usage for the last quarter, open support tickets, expansion ideas."},
	{"Confirm onsite visit with Helsingborg Hamn", "Not Started", "Normal", 1, "Visit planned for next Thursday at 10:00; book the meeting room."},
	{"Update the Fjällräven Outdoor opportunity amount", "Completed", "Normal", 0, "Amount moved from 120k to 145k SEK after the add-on."},
	{"Email the price list to Malmö Dental Group", "Not Started", "Low", 1, "Standard price list; they are early in their evaluation."},
	{"Check in with Oskar at Solna Energi about the pilot", "In Progress", "Normal", 1, "The pilot started on Monday; ask about first results."},
	{"Book lunch with Ingrid from Vasa Finans", "Not Started", "Low", 7, "Relationship lunch, no agenda."},
	{"Send the contract to Öresund Media for signature", "Not Started", "High", 0, "Legal approved version 4. Send it through e-signature."},
	{"Log notes from the Tåg & Co discovery call", "Completed", "Normal", 0, "Pain points: manual scheduling, no CRM history in meetings."},
	{"Schedule a technical deep-dive with Linköping Labs", "Not Started", "Normal", 7, "Their IT lead wants to review SSO and data residency."},
	{"Answer the RFP questions from Region Skåne", "In Progress", "High", 7, "Sections 4 and 7 are still open; the security team reviews them."},
	{"Prepare the Q3 renewal forecast", "Not Started", "Normal", 7, "All renewals due July to September, with risk notes."},
	{"Call back Erik Nyström (missed call)", "Not Started", "High", 0, "He called about invoice 2024-118; check with finance first."},
	{"Send the logistics case study to Göteborg Fastigheter", "Completed", "Low", 1, "They asked for it at the trade fair."},
	{"Introduce the new account manager to Umeå Trä", "Not Started", "Normal", 7, "Karin takes over the account on the 1st; send a warm intro email."},
	{"Get the discount for Sundsvall Kraft approved", "Waiting on someone else", "High", 1, "Waiting for the sales director's sign-off on 18%."},
	{"Collect onboarding feedback from Lund Biotech", "Not Started", "Normal", 1, "Three users onboarded last week; a short call or a survey."},
	{"Update the procurement contact at Västerås Verkstad", "Completed", "Normal", 0, "New contact: Maja Ek, maja.ek@vasteras-verkstad.example."},
	{"Plan follow-ups from the Stockholm trade fair", "Not Started", "Normal", 7, "42 badge scans; split them with Karin."},
	{"Send a thank-you note to Jönköping Transport", "Not Started", "Low", 0, "They signed yesterday; a short personal note."},
	{"Ask Örebro Kommun for the procurement timeline", "Not Started", "Normal", 1, "The tender is expected in the autumn; find out the exact date."},
	{"Renew the NDA with Karlstad Paper", "In Progress", "Normal", 7, "The old NDA expires at month end; legal has the template."},
	{"Price the Gävle Hamn expansion", "Not Started", "High", 1, "Two more terminals, 60 extra seats; check the tier break."},
}

// demoHubTasks are hub reminder tasks created after the stream was enabled:
// they are pushed to the CRM (SPEC T3).
var demoHubTasks = []struct {
	name, status, priority string
	due                    int
	details                string
}{
	{"Draft the agenda for Monday's pipeline meeting", store.HubTaskOpen, store.HubTaskHigh, 0, "Top ten deals, blockers, who needs help."},
	{"Read the new pricing guidelines", store.HubTaskOpen, store.HubTaskNormal, 1, "Especially the rules for multi-year discounts."},
	{"Share the Kvarn Robotics demo notes with Karin", store.HubTaskComplete, store.HubTaskNormal, 0, ""},
	{"Register for the Göteborg partner day", store.HubTaskOpen, store.HubTaskNormal, 7, "Registration closes on Friday."},
}

// demoOldHubTasks existed in the hub before sync was enabled: they are
// never pushed to the CRM (SPEC T3).
var demoOldHubTasks = []string{"Pick up the dry cleaning", "Book a dentist appointment"}

// seedDemoHubTasks creates u's hub tasks: demoOldHubTasks two days before
// enabledAt, demoHubTasks at now, due dates counted from today.
func seedDemoHubTasks(ctx context.Context, tx store.Tx, u store.User, enabledAt, now, today time.Time) ([]store.HubTask, error) {
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	var hs []store.HubTask
	for i, name := range demoOldHubTasks {
		created := enabledAt.Add(-48*time.Hour + time.Duration(i)*time.Hour)
		hs = append(hs, store.HubTask{Name: name, Due: day(i + 1), Created: created, Modified: created})
	}
	for _, t := range demoHubTasks {
		hs = append(hs, store.HubTask{Name: t.name, Status: t.status, Priority: t.priority, Due: day(t.due),
			Details: t.details, Created: now, Modified: now})
	}
	for i := range hs {
		hs[i].OrgID, hs[i].UserID = u.OrgID, u.ID
		if err := tx.CreateHubTask(ctx, &hs[i]); err != nil {
			return nil, fmt.Errorf("create hub task %q: %w", hs[i].Name, err)
		}
	}
	return hs, nil
}

// demoURL turns a listening address into a URL a browser or curl reaches.
func demoURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printDemoGuide prints where the demo runs, what it seeded, both users'
// tokens and commands to try.
func (a *app) printDemoGuide(w io.Writer, url, dir string, st demoState, sb *demoSandbox, crmTasks int) {
	admin := `-H "Authorization: Bearer $ADMIN_TOKEN"`
	sam := `-H "Authorization: Bearer $SAM_TOKEN"`
	var example store.HubTask // a task of Sam's to complete
	for _, h := range st.hubTasks[len(demoOldHubTasks):] {
		if h.Status == store.HubTaskOpen {
			example = h
			break
		}
	}
	loc, err := time.LoadLocation(st.org.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	tomorrow := time.Now().In(loc).AddDate(0, 0, 1).Format(time.DateOnly)
	sc := sb.org.Config()
	fmt.Fprintf(w, `
crmsync demo is running at %[1]s
  data:    %[2]s: %[3]s, a fresh SQLite database at each start; secret.key, kept
  org:     %[4]s (%[5]s): admin %[6]s, member %[7]s (Sam)
  stream:  %[8]q: %[9]s Task <-> %[10]s, every minute
  salesforce sandbox: %[23]s (Sam's CRM user: %[24]s)

The Salesforce sandbox lives in this process only, so each start recreates the
demo database and seeds it afresh: %[11]d CRM tasks, and %[12]d tasks on Sam's
hub list. %[13]d of Sam's tasks predate the stream and stay in the hub; the
%[14]d added since go to the CRM (SPEC T3). CRM tasks "In Progress" or of
priority "Low" arrive as Open or Normal: those values have no hub
counterpart and are not synced (SPEC T2). A first sync runs now; then every
~20 s the demo edits the CRM or Sam's list at random (watch the
"demo: activity" log lines).

API tokens, new at each start: the admin's, and Sam's, whose tasks sync.

  export ADMIN_TOKEN=%[15]s
  export SAM_TOKEN=%[16]s

Sam's reminder tasks, and his command center (due today and tomorrow in
%[5]s):

  curl -s %[17]s %[1]s/api/v1/tasks
  curl -s %[17]s %[1]s/api/v1/tasks/today

Complete %[18]q in the hub and sync now
(else the next run within a minute carries it): the CRM task turns Completed.
Or add a task, which reaches the CRM the same way.

  curl -s %[17]s -X POST %[1]s/api/v1/tasks/%[19]s/complete
  curl -s %[17]s -d '{"name":"Call Anna back","due":"%[20]s"}' %[1]s/api/v1/tasks
  curl -s %[17]s -X POST %[1]s/api/v1/streams/%[21]s/sync

The hub, as the admin:

  curl -s %[1]s/healthz
  curl -s %[22]s %[1]s/api/v1/streams
  curl -s %[22]s %[1]s/api/v1/streams/%[21]s/runs
  curl -s %[22]s %[1]s/api/v1/conflicts
  curl -s %[22]s %[1]s/api/v1/quarantine
  curl -s %[22]s %[1]s/api/v1/audit

CRM sync administration, as the admin (SPEC A2-A6): the org's CRM
connection, the CRM users seats are granted from, pausing and resuming
Sam's sync; and Sam's saved leads and accounts from the CRM:

  curl -s %[22]s %[1]s/api/v1/crm
  curl -s %[22]s %[1]s/api/v1/crm/users
  curl -s %[22]s -X PUT -d '{"enabled":false}' %[1]s/api/v1/users/%[30]s/crm-sync
  curl -s %[22]s -X PUT -d '{"enabled":true}' %[1]s/api/v1/users/%[30]s/crm-sync
  curl -s %[17]s %[1]s/api/v1/saved
  curl -s %[22]s -X POST %[1]s/api/v1/streams/%[21]s/sync
  curl -s %[1]s/metrics | grep '^crmsync_http_requests_total'
  curl -s %[1]s/api/v1/openapi.json

The CRM side, in the Salesforce sandbox (its own throwaway credentials):

  SF_TOKEN=$(curl -s %[23]s/services/oauth2/token -d grant_type=password \
    -d client_id=%[25]s -d client_secret=%[26]s \
    -d username=%[27]s -d password=%[28]s | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -s -H "Authorization: Bearer $SF_TOKEN" '%[23]s/services/data/v%[29]s/query?q=SELECT+Subject,Status,ActivityDate+FROM+Task'
`, url, dir, demoDBFile, st.org.Name, st.org.TimeZone, st.admin.Email, st.member.Email,
		st.stream.Name, st.crm.Name, st.hub.Name,
		crmTasks, len(st.hubTasks), len(demoOldHubTasks), len(st.hubTasks)-len(demoOldHubTasks),
		st.adminToken, st.memberToken, sam, example.Name, example.ID, tomorrow, st.stream.ID, admin,
		sb.base, demoSFMemberUser, sc.ClientID, sc.ClientSecret, demoSFIntegrationUser, demoSFPassword, sc.APIVersion, st.member.ID)
}

// demoActivity makes the small edits a user would, on one side at a time,
// so that scheduled runs have something to carry over: in the Salesforce
// sandbox as the member's CRM user (its act-as-user admin methods), on the
// member's hub list through the store.
type demoActivity struct {
	crm           *sfsandbox.Server
	crmBase       string // the sandbox's base URL, to list its Tasks
	store         store.Store
	orgID, userID string // whose hub list
	loc           *time.Location
	rnd           *rand.Rand
	log           *slog.Logger
	// added counts the tasks added on either side.
	added int
}

// demoNewSubjects name the tasks the activity adds.
var demoNewSubjects = []string{
	"Call back %s about the quote",
	"Send %s the onboarding checklist",
	"Confirm next week's meeting with %s",
	"Ask %s for a reference call",
	"Chase the signed order form from %s",
}

var demoCompanies = []string{"Kvarn Robotics", "Nordhavn Logistics", "Lund Biotech", "Solna Energi", "Vasa Finans", "Umeå Trä"}

// The edits of demoActivity.
const (
	demoComplete = iota
	demoReschedule
	demoAdd
)

// step makes one random edit and logs it.
func (d *demoActivity) step(ctx context.Context) {
	// Every draw happens here: a store transaction may run twice.
	action, pick := d.rnd.IntN(3), d.rnd.IntN(1<<30)
	due := time.Now().In(d.loc).AddDate(0, 0, d.rnd.IntN(8)).Format(time.DateOnly)
	name := fmt.Sprintf(demoNewSubjects[d.rnd.IntN(len(demoNewSubjects))], demoCompanies[d.rnd.IntN(len(demoCompanies))])
	edit := d.editCRM
	if d.rnd.IntN(2) == 1 {
		edit = d.editHub
	}
	attrs, err := edit(ctx, action, pick, due, name)
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	d.log.LogAttrs(ctx, slog.LevelInfo, "demo: activity", attrs...)
}

// activityAttrs describe one edit for the log.
func activityAttrs(side, action, id, task, due string) []slog.Attr {
	attrs := []slog.Attr{slog.String("side", side), slog.String("action", action), slog.String("id", id), slog.String("task", task)}
	if due != "" {
		attrs = append(attrs, slog.String("due", due))
	}
	return attrs
}

// editCRM completes an open CRM task, reschedules one, or adds one, as the
// member's CRM user in the Salesforce sandbox.
func (d *demoActivity) editCRM(ctx context.Context, action, pick int, due, name string) ([]slog.Attr, error) {
	recs, err := demoSandboxTasks(ctx, d.crm, d.crmBase)
	if err != nil {
		return []slog.Attr{slog.String("side", "crm")}, err
	}
	var open []map[string]any
	for _, r := range recs {
		if r["Status"] != "Completed" {
			open = append(open, r)
		}
	}
	str := func(r map[string]any, f string) string { s, _ := r[f].(string); return s }
	switch {
	case action == demoComplete && len(open) > 0:
		r := open[pick%len(open)]
		return activityAttrs("crm", "complete", str(r, "Id"), str(r, "Subject"), ""),
			d.crm.Update(demoObjectA, str(r, "Id"), demoSFMemberUser, map[string]any{"Status": "Completed"})
	case action == demoReschedule && len(recs) > 0:
		r := recs[pick%len(recs)]
		return activityAttrs("crm", "reschedule", str(r, "Id"), str(r, "Subject"), due),
			d.crm.Update(demoObjectA, str(r, "Id"), demoSFMemberUser, map[string]any{"ActivityDate": due})
	}
	id, err := d.crm.Create(demoObjectA, demoSFMemberUser,
		map[string]any{"Subject": name, "Status": "Not Started", "Priority": "Normal", "ActivityDate": due})
	if err == nil {
		d.added++
	}
	return activityAttrs("crm", "add", id, name, due), err
}

// editHub completes an open task of the member's hub list, reschedules
// one, or adds one, through the store as the API does.
func (d *demoActivity) editHub(ctx context.Context, action, pick int, due, name string) ([]slog.Attr, error) {
	attrs := []slog.Attr{slog.String("side", "hub")}
	added := false
	err := d.store.InTx(ctx, func(tx store.Tx) error {
		added = false
		hs, err := tx.ListHubTasks(ctx, store.HubTaskFilter{OrgID: d.orgID, UserID: d.userID})
		if err != nil {
			return fmt.Errorf("list hub tasks: %w", err)
		}
		var open []store.HubTask
		for _, h := range hs {
			if h.Status == store.HubTaskOpen {
				open = append(open, h)
			}
		}
		now := time.Now()
		switch {
		case action == demoComplete && len(open) > 0:
			h := open[pick%len(open)]
			h.Status, h.Modified = store.HubTaskComplete, now
			attrs = activityAttrs("hub", "complete", h.ID, h.Name, "")
			return tx.UpdateHubTask(ctx, h)
		case action == demoReschedule && len(hs) > 0:
			h := hs[pick%len(hs)]
			h.Due, h.Modified = due, now
			attrs = activityAttrs("hub", "reschedule", h.ID, h.Name, due)
			return tx.UpdateHubTask(ctx, h)
		}
		h := store.HubTask{OrgID: d.orgID, UserID: d.userID, Name: name, Due: due, Created: now, Modified: now}
		if err := tx.CreateHubTask(ctx, &h); err != nil {
			return fmt.Errorf("create hub task: %w", err)
		}
		attrs, added = activityAttrs("hub", "add", h.ID, name, due), true
		return nil
	})
	if err == nil && added {
		d.added++
	}
	return attrs, err
}
