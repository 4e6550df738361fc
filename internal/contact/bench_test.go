package contact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/contact"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/testenv"
)

// BenchmarkContactSyncVersusVdirsyncer is issue 5's side-by-side: an
// address book of N contacts (10,000 by default; CRMSYNC_BENCH_CONTACTS
// sets another) on a real Radicale, synced two ways by the hub — the
// Contact stream's definition between the address book and an in-memory
// system, its state on SQLite — and by vdirsyncer between a copy of the
// same address book and a local folder, in the same run on the same
// machine: a first sync, then a re-sync with nothing changed (Radicale's
// card cache warm for both, see warmBook). It reports
// both tools' wall times and the ratios (vdirsyncer's time / the hub's;
// the goal is at least 5 on both).
func BenchmarkContactSyncVersusVdirsyncer(b *testing.B) {
	n := 10_000
	if v := os.Getenv("CRMSYNC_BENCH_CONTACTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("CRMSYNC_BENCH_CONTACTS=%q is not a positive number", v)
		}
	}
	vdir, err := exec.LookPath("vdirsyncer")
	if err != nil {
		testenv.RequirePeer(b, "vdirsyncer", "the peer the hub's contact sync is measured against (Debian package vdirsyncer)")
		b.Skip("vdirsyncer is not installed")
	}
	base := testenv.Radicale(b)
	var hubFirst, hubAgain, vdFirst, vdAgain time.Duration
	for i := range b.N {
		b.StopTimer()
		// Two principals, one address book each: the hub syncs every
		// address book of its user, as a user's mailbox.
		ours, theirs := fmt.Sprintf("hub%d", i), fmt.Sprintf("vdir%d", i)
		putBook(b, base, ours, n)
		putBook(b, base, theirs, n)
		// Radicale parses every card once, on its first read, into a cache
		// it keeps on disk: a server that has been running has done so
		// long ago. Both books are read once before either tool runs, so
		// that each is measured on its own work.
		warmBook(b, base, ours)
		warmBook(b, base, theirs)

		// The hub: the Contact stream, the address book as its mailbox.
		ctx := context.Background()
		st := testenv.SQLite(b)
		local := memory.New(memory.Options{Name: "crm", PageSize: 2000, BatchSize: 200})
		book, err := carddav.New(carddav.Config{URL: base + ours + "/contacts/", Username: ours, Password: "x"})
		if err != nil {
			b.Fatal(err)
		}
		reg := registry.New()
		reg.Register(registry.SystemMemory, func(context.Context, store.Connection) (connector.Connector, error) { return local, nil })
		reg.Register(carddav.SystemName, func(context.Context, store.Connection) (connector.Connector, error) { return book, nil })
		engine, err := syncer.New(syncer.Config{Store: st, Definitions: contact.Definitions(), Connectors: reg.Resolve, MergeBatch: 1000})
		if err != nil {
			b.Fatal(err)
		}
		org, stream := benchStream(b, st)
		run := func() {
			r, err := engine.Run(ctx, org, stream, "manual")
			if err != nil || r.Status != store.RunSucceeded {
				b.Fatalf("hub run: %v %+v", err, r)
			}
		}
		b.StartTimer()
		start := time.Now()
		run()
		hubFirst += time.Since(start)
		b.StopTimer()
		if got := len(local.List("Contact")); got != n {
			b.Fatalf("the hub's first sync brought %d contacts, want %d", got, n)
		}
		b.StartTimer()
		start = time.Now()
		run()
		hubAgain += time.Since(start)
		b.StopTimer()

		// vdirsyncer, the same address book's twin to a local folder.
		dir := b.TempDir()
		cfg := filepath.Join(dir, "config")
		if err := os.MkdirAll(filepath.Join(dir, "local"), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`[general]
status_path = "%[1]s/status/"

[pair bench]
a = "radicale"
b = "local"
collections = null
conflict_resolution = "a wins"

[storage radicale]
type = "carddav"
url = "%[2]s"
username = "%[3]s"
password = "x"

[storage local]
type = "filesystem"
path = "%[1]s/local/"
fileext = ".vcf"
`, dir, base+theirs+"/contacts/", theirs)), 0o600); err != nil {
			b.Fatal(err)
		}
		vd := func(args ...string) time.Duration {
			cmd := exec.Command(vdir, append([]string{"-c", cfg}, args...)...)
			cmd.Stdin = strings.NewReader(strings.Repeat("y\n", 4))
			start := time.Now()
			out, err := cmd.CombinedOutput()
			d := time.Since(start)
			if err != nil {
				b.Fatalf("vdirsyncer %v: %v\n%s", args, err, out)
			}
			return d
		}
		vd("discover")
		b.StartTimer()
		vdFirst += vd("sync")
		vdAgain += vd("sync")
		b.StopTimer()
		files, _ := filepath.Glob(filepath.Join(dir, "local", "*.vcf"))
		if len(files) != n {
			b.Fatalf("vdirsyncer's first sync brought %d contacts, want %d", len(files), n)
		}
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(hubFirst), "hub-first-s")
	b.ReportMetric(per(vdFirst), "vdirsyncer-first-s")
	b.ReportMetric(vdFirst.Seconds()/hubFirst.Seconds(), "first-ratio")
	b.ReportMetric(per(hubAgain)*1000, "hub-resync-ms")
	b.ReportMetric(per(vdAgain)*1000, "vdirsyncer-resync-ms")
	b.ReportMetric(vdAgain.Seconds()/hubAgain.Seconds(), "resync-ratio")
	b.ReportMetric(float64(n), "contacts")
}

// putBook makes user's address book "contacts" of n contacts filed under
// Clients, in one PUT of the whole collection (Radicale's own extension):
// setting up is not what is measured.
func putBook(b testing.TB, base, user string, n int) {
	b.Helper()
	var body strings.Builder
	for i := range n {
		fmt.Fprintf(&body, "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-%d\r\nN:Person%d;Given;;;\r\nFN:Given Person%d\r\n"+
			"ORG:Company %d;Sales\r\nTITLE:Buyer\r\nEMAIL;TYPE=INTERNET:p%d@example.com\r\nTEL;TYPE=WORK,VOICE:+1 555 %04d\r\n"+
			"ADR;TYPE=WORK:;;%d Main St;Springfield;IL;62701;USA\r\nCATEGORIES:Clients\r\nNOTE:Contact number %d\r\n"+
			"END:VCARD\r\n", i, i, i, i%50, i, i%10000, i, i)
	}
	url := base + user + "/contacts/"
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body.String()))
	req.Header.Set("Content-Type", "text/vcard; charset=utf-8")
	req.SetBasicAuth(user, "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		b.Fatalf("PUT %s: %s", url, res.Status)
	}
}

// benchStream makes an org with the Contact stream from an in-memory
// system to an address book, importing Clients.
func benchStream(b testing.TB, st store.Store) (orgID, streamID string) {
	b.Helper()
	ctx := context.Background()
	var s store.Stream
	err := st.InTx(ctx, func(tx store.Tx) error {
		org := store.Org{Name: "Bench", TimeZone: "UTC"}
		if err := tx.CreateOrg(ctx, &org); err != nil {
			return err
		}
		a := store.Connection{OrgID: org.ID, System: registry.SystemMemory, Name: "CRM", Status: store.ConnActive}
		bk := store.Connection{OrgID: org.ID, System: carddav.SystemName, Name: "Address book", Status: store.ConnActive}
		if err := tx.CreateConnection(ctx, &a); err != nil {
			return err
		}
		if err := tx.CreateConnection(ctx, &bk); err != nil {
			return err
		}
		settings, _ := json.Marshal(map[string]any{contact.SettingImport: []string{"Clients"}})
		s = store.Stream{OrgID: org.ID, Name: "bench", Kind: contact.Kind, ConnA: a.ID, ObjectA: "Contact", ConnB: bk.ID,
			ObjectB: mailbox.Object, Enabled: true, EnabledAt: time.Now(), Settings: settings,
			Schedule: store.Schedule{Kind: store.ScheduleManual}}
		return tx.CreateStream(ctx, &s)
	})
	if err != nil {
		b.Fatal(err)
	}
	return s.OrgID, s.ID
}

// warmBook has Radicale read (and cache) every card of user's book, with a
// PROPFIND of the collection's ctag, which it computes from them all.
func warmBook(b testing.TB, base, user string) {
	b.Helper()
	body := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/></D:prop></D:propfind>`
	req, _ := http.NewRequest("PROPFIND", base+user+"/contacts/", strings.NewReader(body))
	req.SetBasicAuth(user, "x")
	req.Header.Set("Depth", "0")
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMultiStatus {
		b.Fatalf("PROPFIND %s's book: %s", user, res.Status)
	}
}
