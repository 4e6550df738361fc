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
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
)

// What demo seeds. Everything is found again by these names on later
// starts, so a restart reuses the org, users, connections and stream.
const (
	demoDir         = "crmsync-demo"
	demoDBFile      = "demo.db"
	demoOrgName     = "Demo Co"
	demoOrgZone     = "Europe/Stockholm"
	demoAdminEmail  = "admin@demo.example"
	demoMemberEmail = "sam@demo.example"
	demoCRMName     = "Salesforce (in-memory CRM)"
	demoHubName     = "Hub reminder tasks"
	demoStreamName  = "Sam's reminder tasks"
	// The objects of the tasks stream: CRM Task, hub reminder task.
	demoObjectA = "Task"
	demoObjectB = "task"
	// demoActivityEvery is how often the demo edits one side by itself.
	demoActivityEvery = 20 * time.Second
)

// The connections' configs say what they are: in-memory stand-ins.
const (
	demoCRMNote = `{"note":"In-memory stand-in for Salesforce until the Salesforce sandbox lands. Its records live in the demo process and are re-seeded at each start."}`
	demoHubNote = `{"note":"The hub's reminder task list, held in memory by the demo process and re-seeded at each start."}`
)

func (a *app) demoCmd() *cobra.Command {
	var reset bool
	cmd := &cobra.Command{
		Use:   "demo [--data-dir DIR] [--addr HOST:PORT] [--reset]",
		Short: "Run the hub on SQLite with seeded in-memory systems, for a first look",
		Long: `demo runs the whole hub — HTTP API, job queue, sync engine — on a SQLite
database in --data-dir (default ./crmsync-demo), with a key file it creates
there, so it needs no setup and no environment variables.

On first start it creates the org "Demo Co", an admin and a member, two
in-memory connections ("Salesforce (in-memory CRM)", a stand-in until the
Salesforce sandbox lands, and "Hub reminder tasks") and an enabled reminder
task stream between them that runs every minute. The in-memory systems live
in this process, so at every start they are seeded again and the stream's
sync state is reset. A first sync runs at once; then, every 20 seconds, a
small random edit lands on one side for the scheduled runs to carry over.

It prints the URL, a fresh admin API token and curl commands to try.
--reset deletes the demo database first. --db and CRMSYNC_DB are ignored:
the demo always uses its own database. Ctrl-C stops it cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd.Context(), reset)
		},
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "delete the demo database and start from scratch")
	return cmd
}

// runDemo prepares the data dir, seeds the database and the in-memory
// systems, and serves the hub until ctx ends.
func (a *app) runDemo(ctx context.Context, reset bool) error {
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
	dbPath := filepath.Join(dir, demoDBFile)
	if reset {
		for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("demo: reset: %w", err)
			}
		}
		a.log.LogAttrs(ctx, slog.LevelInfo, "demo: database deleted (--reset)", slog.String("path", dbPath))
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

	st, err := seedDemo(ctx, db.Store, time.Now())
	if err != nil {
		return fmt.Errorf("demo: seed: %w", err)
	}
	loc, err := time.LoadLocation(st.org.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	crm, hub := seedDemoSystems(st.stream.EnabledAt, time.Now().In(loc))
	memorySystems.Set(st.crm.ID, crm)
	memorySystems.Set(st.hub.ID, hub)
	a.log.LogAttrs(ctx, slog.LevelInfo, "demo: in-memory systems seeded and the stream's sync state reset",
		slog.Bool("first_start", st.created), slog.String("org", st.org.ID), slog.String("stream", st.stream.ID),
		slog.Int("crm_tasks", len(crm.List(demoObjectA))), slog.Int("hub_tasks", len(hub.List(demoObjectB))))

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
		a.printDemoGuide(a.stdout, demoURL(addr), dir, st, crm, hub)
		if id, err := trigger.SyncNow(ctx, st.org.ID, st.stream.ID); err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "demo: first sync", slog.String("error", err.Error()))
		} else {
			a.log.LogAttrs(ctx, slog.LevelInfo, "demo: first sync queued", slog.String("stream", st.stream.ID), slog.String("job", id))
		}
		act := &demoActivity{crm: crm, hub: hub, loc: loc, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), log: a.log}
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
	fmt.Fprintln(a.stderr, "demo stopped. Start it again with the same --data-dir to keep its org, users and run history.")
	return nil
}

// demoState is what seedDemo found or created.
type demoState struct {
	org           store.Org
	admin, member store.User
	crm, hub      store.Connection
	stream        store.Stream
	// token is a fresh API token of the admin, in the clear.
	token string
	// created is true on the first start.
	created bool
}

// seedDemo creates what is missing of the demo org, and at every start
// re-enables its stream at now with a clean sync state (the in-memory
// systems it synced are gone with the previous process) and issues the
// admin a fresh token: a token is shown only once.
func seedDemo(ctx context.Context, s store.Store, now time.Time) (demoState, error) {
	var st demoState
	now = now.UTC().Truncate(time.Microsecond) // the store's precision
	err := s.InTx(ctx, func(tx store.Tx) error {
		st = demoState{} // InTx may run fn again
		var err error
		if st.org, err = demoOrg(ctx, tx, &st.created); err != nil {
			return err
		}
		if st.admin, err = demoUser(ctx, tx, st.org, demoAdminEmail, "Alex Admin", store.RoleAdmin); err != nil {
			return err
		}
		if st.member, err = demoUser(ctx, tx, st.org, demoMemberEmail, "Sam Seller", store.RoleMember); err != nil {
			return err
		}
		if st.crm, err = demoConnection(ctx, tx, st.org, systemMemory, demoCRMName, demoCRMNote); err != nil {
			return err
		}
		if st.hub, err = demoConnection(ctx, tx, st.org, systemMemoryTasks, demoHubName, demoHubNote); err != nil {
			return err
		}
		if st.stream, err = demoStream(ctx, tx, st, now); err != nil {
			return err
		}
		if err := tx.DeleteStreamState(ctx, st.stream.ID); err != nil {
			return fmt.Errorf("reset stream state: %w", err)
		}
		for _, c := range []store.Connection{st.crm, st.hub} {
			if _, err := tx.DeleteRecords(ctx, c.ID, ""); err != nil {
				return fmt.Errorf("reset mirror of %s: %w", c.Name, err)
			}
		}
		if st.token, err = api.IssueToken(ctx, tx, st.admin, "demo"); err != nil {
			return err
		}
		return cliAudit(ctx, tx, st.org.ID, "token.create", st.admin.ID, map[string]string{"name": "demo"})
	})
	return st, err
}

func demoOrg(ctx context.Context, tx store.Tx, created *bool) (store.Org, error) {
	orgs, err := tx.ListOrgs(ctx)
	if err != nil {
		return store.Org{}, fmt.Errorf("list orgs: %w", err)
	}
	for _, o := range orgs {
		if o.Name == demoOrgName {
			return o, nil
		}
	}
	o := store.Org{Name: demoOrgName, TimeZone: demoOrgZone}
	if err := tx.CreateOrg(ctx, &o); err != nil {
		return store.Org{}, fmt.Errorf("create org: %w", err)
	}
	*created = true
	return o, cliAudit(ctx, tx, o.ID, "org.create", o.ID, map[string]string{"name": o.Name})
}

func demoUser(ctx context.Context, tx store.Tx, o store.Org, email, name string, role store.Role) (store.User, error) {
	u, err := tx.GetUserByEmail(ctx, o.ID, email)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("get user %s: %w", email, err)
	}
	if u, err = api.NewUser(o.ID, email, name, role, ""); err != nil {
		return store.User{}, err
	}
	u.SyncEnabled = true
	if err := tx.CreateUser(ctx, &u); err != nil {
		return store.User{}, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, cliAudit(ctx, tx, o.ID, "user.create", u.ID, map[string]string{"email": u.Email, "role": string(u.Role)})
}

func demoConnection(ctx context.Context, tx store.Tx, o store.Org, system, name, cfg string) (store.Connection, error) {
	conns, err := tx.ListConnections(ctx, o.ID)
	if err != nil {
		return store.Connection{}, fmt.Errorf("list connections: %w", err)
	}
	for _, c := range conns {
		if c.System == system {
			return c, nil
		}
	}
	c := store.Connection{OrgID: o.ID, System: system, Name: name, Config: json.RawMessage(cfg)}
	if err := tx.CreateConnection(ctx, &c); err != nil {
		return store.Connection{}, fmt.Errorf("create connection %q: %w", name, err)
	}
	return c, cliAudit(ctx, tx, o.ID, "connection.create", c.ID, map[string]string{"system": c.System, "name": c.Name})
}

// demoStream finds or creates the member's tasks stream and (re-)enables it
// at now, every minute, with the subject template on (SPEC T7).
func demoStream(ctx context.Context, tx store.Tx, st demoState, now time.Time) (store.Stream, error) {
	streams, err := tx.ListStreams(ctx, st.org.ID)
	if err != nil {
		return store.Stream{}, fmt.Errorf("list streams: %w", err)
	}
	var s store.Stream
	for _, x := range streams {
		if x.Kind == task.Kind && x.ConnA == st.crm.ID && x.ConnB == st.hub.ID {
			s = x
			break
		}
	}
	s.OrgID, s.UserID, s.Name, s.Kind = st.org.ID, st.member.ID, demoStreamName, task.Kind
	s.ConnA, s.ObjectA, s.ConnB, s.ObjectB = st.crm.ID, demoObjectA, st.hub.ID, demoObjectB
	s.Enabled, s.EnabledAt = true, now
	s.Settings = json.RawMessage(`{"` + task.SettingSubjectTemplate + `":true}`)
	s.Schedule = store.Schedule{Kind: store.ScheduleInterval, Minutes: 1}
	s.LastError = ""
	if s.ID != "" {
		if err := tx.UpdateStream(ctx, s); err != nil {
			return store.Stream{}, fmt.Errorf("update stream: %w", err)
		}
		return s, nil
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
	{"Draft the agenda for Monday's pipeline meeting", "Open", "High", 0, "Top ten deals, blockers, who needs help."},
	{"Read the new pricing guidelines", "Open", "Normal", 1, "Especially the rules for multi-year discounts."},
	{"Share the Kvarn Robotics demo notes with Karin", "Complete", "Normal", 0, ""},
	{"Register for the Göteborg partner day", "Open", "Normal", 7, "Registration closes on Friday."},
}

// demoOldHubTasks existed in the hub before sync was enabled: they are
// never pushed to the CRM (SPEC T3).
var demoOldHubTasks = []string{"Pick up the dry cleaning", "Book a dentist appointment"}

// seedDemoSystems returns the in-memory CRM and hub list, seeded. The
// hub's clock is set back for the tasks that predate enabledAt.
func seedDemoSystems(enabledAt, today time.Time) (crm, hub *memory.System) {
	var backdate atomic.Int64 // UnixNano; 0: the real clock
	crm = memory.New(memory.Options{Name: "00T"})
	hub = memory.New(memory.Options{Name: "task-", Now: func() time.Time {
		if n := backdate.Load(); n != 0 {
			return time.Unix(0, n)
		}
		return time.Now()
	}})
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	for _, t := range demoCRMTasks {
		crm.Create(demoObjectA, connector.Fields{
			"Subject": t.subject, "Status": t.status, "Priority": t.priority,
			"ActivityDate": day(t.due), "Description": t.description,
		})
	}
	backdate.Store(enabledAt.Add(-3 * time.Hour).UnixNano())
	for i, name := range demoOldHubTasks {
		hub.Create(demoObjectB, connector.Fields{"name": name, "status": "Open", "priority": "Normal", "due": day(i + 1)})
	}
	backdate.Store(0)
	for _, t := range demoHubTasks {
		f := connector.Fields{"name": t.name, "status": t.status, "priority": t.priority, "due": day(t.due)}
		if t.details != "" {
			f["details"] = t.details
		}
		hub.Create(demoObjectB, f)
	}
	return crm, hub
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

// printDemoGuide prints where the demo runs, the admin's token and commands
// to try.
func (a *app) printDemoGuide(w io.Writer, url, dir string, st demoState, crm, hub *memory.System) {
	auth := `-H "Authorization: Bearer $TOKEN"`
	fmt.Fprintf(w, `
crmsync demo is running at %[1]s
  data:    %[2]s (SQLite database, secret key, run history)
  org:     %[3]s (%[4]s); admin %[5]s, member %[6]s
  stream:  %[7]q: %[8]s Task <-> %[9]s task, every minute

The in-memory systems live in this process: at every start they are seeded
again (%[10]d CRM tasks, %[11]d hub tasks) and the stream's sync state is reset.
%[12]d of the hub tasks predate the stream and stay in the hub (SPEC T3); CRM
tasks "In Progress" or of priority "Low" reach the hub without that value,
which has no hub counterpart. A first sync runs now, and every ~20 s the
demo edits one side at random (watch the "demo: activity" log lines).

Admin API token (a new one is issued at each start):

  export TOKEN=%[13]s

Try:

  curl -s %[1]s/healthz
  curl -s %[14]s %[1]s/api/v1/streams
  curl -s %[14]s %[1]s/api/v1/streams/%[15]s/runs
  curl -s %[14]s %[1]s/api/v1/conflicts
  curl -s %[14]s %[1]s/api/v1/quarantine
  curl -s %[14]s -X POST %[1]s/api/v1/streams/%[15]s/sync
  curl -s %[1]s/metrics | grep '^crmsync_http_requests_total'
  curl -s %[1]s/api/v1/openapi.json

Stop with Ctrl-C.

`, url, dir, st.org.Name, st.org.TimeZone, st.admin.Email, st.member.Email,
		st.stream.Name, st.crm.Name, st.hub.Name,
		len(crm.List(demoObjectA)), len(hub.List(demoObjectB)), len(demoOldHubTasks),
		st.token, auth, st.stream.ID)
}

// demoActivity makes the small edits a user would, on one side at a time,
// so that scheduled runs have something to carry over.
type demoActivity struct {
	crm, hub *memory.System
	loc      *time.Location
	rnd      *rand.Rand
	log      *slog.Logger
	added    int
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

// step makes one random edit and logs it.
func (d *demoActivity) step(ctx context.Context) {
	today := time.Now().In(d.loc)
	due := today.AddDate(0, 0, d.rnd.IntN(8)).Format(time.DateOnly)
	side, sys, obj := "crm", d.crm, demoObjectA
	nameF, statusF, dueF, done := "Subject", "Status", "ActivityDate", "Completed"
	if d.rnd.IntN(2) == 1 {
		side, sys, obj = "hub", d.hub, demoObjectB
		nameF, statusF, dueF, done = "name", "status", "due", "Complete"
	}
	recs := sys.List(obj)
	var open []connector.Record
	for _, r := range recs {
		if r.Fields[statusF] != done {
			open = append(open, r)
		}
	}
	attrs := []slog.Attr{slog.String("side", side)}
	var err error
	switch n := d.rnd.IntN(3); {
	case n == 0 && len(open) > 0:
		r := open[d.rnd.IntN(len(open))]
		err = sys.Update(obj, r.ID, connector.Fields{statusF: done})
		attrs = append(attrs, slog.String("action", "complete"), slog.String("id", r.ID), slog.Any("task", r.Fields[nameF]))
	case n == 1 && len(recs) > 0:
		r := recs[d.rnd.IntN(len(recs))]
		err = sys.Update(obj, r.ID, connector.Fields{dueF: due})
		attrs = append(attrs, slog.String("action", "reschedule"), slog.String("id", r.ID),
			slog.Any("task", r.Fields[nameF]), slog.String("due", due))
	default:
		d.added++
		name := fmt.Sprintf(demoNewSubjects[d.rnd.IntN(len(demoNewSubjects))], demoCompanies[d.rnd.IntN(len(demoCompanies))])
		f := connector.Fields{nameF: name, dueF: due}
		if side == "crm" {
			f["Status"], f["Priority"] = "Not Started", "Normal"
		} else {
			f["status"], f["priority"] = "Open", "Normal"
		}
		id := sys.Create(obj, f)
		attrs = append(attrs, slog.String("action", "add"), slog.String("id", id), slog.String("task", name), slog.String("due", due))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	d.log.LogAttrs(ctx, slog.LevelInfo, "demo: activity", attrs...)
}
