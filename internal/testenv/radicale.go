package testenv

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Radicale starts a Radicale CalDAV/CardDAV server (Debian's radicale
// package) on a free loopback port with an empty storage folder of the
// test's own, and stops it when the test ends. It answers the server's
// base URL, e.g. http://127.0.0.1:40123/. Radicale runs with htpasswd-less
// "none" authentication: any user name logs in and owns /NAME/. Without the
// radicale command the test is skipped, or fails under
// CRMSYNC_REQUIRE_PEERS=1.
func Radicale(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("radicale")
	if err != nil {
		RequirePeer(t, "radicale", "the radicale command is not installed (Debian package radicale)")
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: radicale: free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[server]\nhosts = "+addr+"\n[auth]\ntype = none\n[rights]\ntype = owner_only\n"+
		"[storage]\nfilesystem_folder = "+filepath.Join(dir, "collections")+"\n[logging]\nlevel = warning\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config", cfg)
	logf, err := os.Create(filepath.Join(dir, "radicale.log"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		RequirePeer(t, "radicale", "it did not start: "+err.Error())
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil && len(b) > 0 {
				t.Logf("radicale log:\n%s", b)
			}
		}
	})
	base := "http://" + addr + "/"
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(base)
		if err == nil {
			res.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("testenv: radicale did not answer at %s within 15s: %v\n%s", base, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MakeCollection creates a calendar (kind "calendar", for VEVENT and VTODO)
// or an address book (kind "addressbook") at path on a Radicale server, by
// MKCOL with the resource type, as RFC 4791 and 6352 clients do.
func MakeCollection(t testing.TB, base, user, path, kind string) string {
	t.Helper()
	rt := `<C:calendar xmlns:C="urn:ietf:params:xml:ns:caldav"/>`
	comps := `<C:supported-calendar-component-set xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>`
	if kind == "addressbook" {
		rt, comps = `<CR:addressbook xmlns:CR="urn:ietf:params:xml:ns:carddav"/>`, ""
	}
	body := `<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:resourcetype><D:collection/>` + rt +
		`</D:resourcetype>` + comps + `</D:prop></D:set></D:mkcol>`
	u := base + user + "/" + path + "/"
	req, _ := http.NewRequest("MKCOL", u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	req.SetBasicAuth(user, "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("testenv: MKCOL %s: %v", u, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("testenv: MKCOL %s: %s", u, res.Status)
	}
	return u
}
