package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/riverqueue/river"

	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/ical"
	"github.com/crmsync/crmsync/internal/job"
	"github.com/crmsync/crmsync/internal/mail"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/testenv"
)

const (
	smtpUser = "hub@crmsync.example"
	smtpPass = "s3cret-pa55"
)

type received struct {
	From  string
	To    []string
	Data  []byte
	TLS   bool
	AuthN string
}

// server is an in-process SMTP server requiring STARTTLS and AUTH PLAIN.
type server struct {
	mu    sync.Mutex
	got   []received
	fail  []error // answered by DATA, one per message, before accepting
	addr  string
	roots *x509.CertPool
}

type session struct {
	s    *server
	conn *smtp.Conn
	cur  received
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPass {
			return errors.New("bad credentials")
		}
		se.cur.AuthN = user
		return nil
	}), nil
}
func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.cur.AuthN == "" {
		return smtp.ErrAuthRequired
	}
	se.cur.From = from
	return nil
}
func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.cur.To = append(se.cur.To, to)
	return nil
}
func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	if len(se.s.fail) > 0 {
		f := se.s.fail[0]
		se.s.fail = se.s.fail[1:]
		if f != nil {
			return f
		}
	}
	_, se.cur.TLS = se.conn.TLSConnectionState()
	se.cur.Data = data
	se.s.got = append(se.s.got, se.cur)
	return nil
}
func (se *session) Reset()        { se.cur = received{AuthN: se.cur.AuthN} }
func (se *session) Logout() error { return nil }

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func startServer(t *testing.T, withTLS bool) *server {
	t.Helper()
	s := &server{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil })
	srv := smtp.NewServer(be)
	srv.Domain = "127.0.0.1"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	if withTLS {
		cert, pool := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.roots = pool
	} else {
		srv.AllowInsecureAuth = true
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *server) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func sender(t *testing.T, s *server) *mail.SMTP {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.addr)
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	snd, err := mail.NewSMTP(mail.Config{
		Host: host, Port: p, Username: smtpUser, Password: config.Secret(smtpPass),
		From: "CRM Hub <hub@crmsync.example>", Timeout: 10 * time.Second,
		TLS: &tls.Config{RootCAs: s.roots},
	})
	if err != nil {
		t.Fatal(err)
	}
	return snd
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func invitation(t *testing.T, method ical.Method) mail.Message {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 6, 2, 10, 0, 0, 0, loc)
	ev := ical.Event{
		UID: ical.UID("zoom", "123", "crmsync.example"), Start: start, End: start.Add(time.Hour),
		Stamp: start.Add(-24 * time.Hour), Summary: "Démo", JoinURL: "https://zoom.us/j/123",
		Organizer: ical.Person{Name: "Dana", Email: "dana@crmsync.example"},
		Attendees: []ical.Person{{Name: "Jane", Email: "jane@acme.example"}},
	}
	cal, err := ical.Build(method, ev)
	if err != nil {
		t.Fatal(err)
	}
	return mail.Message{
		MessageID: mail.NewMessageID("crmsync.example"), From: "CRM Hub <hub@crmsync.example>",
		To: []string{"Jane <jane@acme.example>"}, Subject: "Invitation: Démo", Date: start.Add(-24 * time.Hour),
		Text: "Join: https://zoom.us/j/123\r\n", HTML: "<p>Join: <a href=\"https://zoom.us/j/123\">link</a></p>",
		Calendar: cal, Method: string(method),
	}
}

type fixture struct {
	st  store.Store
	srv *server
	clk *clock
	org string
	log *bytes.Buffer
}

func newFixture(t *testing.T, withTLS bool) *fixture {
	t.Helper()
	st := testenv.SQLite(t)
	ctx := context.Background()
	o := &store.Org{Name: "Acme"}
	if err := st.InTx(ctx, func(tx store.Tx) error { return tx.CreateOrg(ctx, o) }); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, srv: startServer(t, withTLS), clk: &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}, org: o.ID, log: &bytes.Buffer{}}
}

func (f *fixture) enqueue(t *testing.T, key string, m mail.Message) string {
	t.Helper()
	ctx := context.Background()
	var id string
	err := f.st.InTx(ctx, func(tx store.Tx) error {
		var err error
		id, err = mail.Enqueue(ctx, tx, f.org, key, m, f.clk.now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) deliverer(t *testing.T) *mail.Deliverer {
	return mail.NewDeliverer(f.st, sender(t, f.srv), mail.DelivererConfig{Lease: 5 * time.Minute, Backoff: time.Minute, MaxAttempts: 3},
		f.clk.now, slog.New(slog.NewTextHandler(f.log, nil)))
}

func (f *fixture) outbox(t *testing.T, id string) store.OutboxMessage {
	t.Helper()
	var o store.OutboxMessage
	err := f.st.Read(context.Background(), func(tx store.Tx) error {
		var err error
		o, err = tx.GetOutbox(context.Background(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// SPEC M12, M6: a queued invitation is sent over STARTTLS with AUTH PLAIN
// as multipart/alternative text, HTML and text/calendar with the method,
// plus invite.ics attached; the outbox records it sent, and the password
// never reaches the log.
func TestDeliverInvitationMIME(t *testing.T) {
	t.Parallel()
	for _, method := range []ical.Method{ical.MethodRequest, ical.MethodCancel} {
		t.Run(string(method), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, true)
			m := invitation(t, method)
			id := f.enqueue(t, "invite:123:0:jane", m)
			n, err := f.deliverer(t).DeliverDue(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("DeliverDue = %d, %v", n, err)
			}
			got := f.srv.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages", len(got))
			}
			r := got[0]
			if !r.TLS || r.AuthN != smtpUser || r.From != "hub@crmsync.example" || len(r.To) != 1 || r.To[0] != "jane@acme.example" {
				t.Errorf("envelope %+v", r)
			}
			msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
			if err != nil {
				t.Fatal(err)
			}
			if msg.Header.Get("Message-ID") != m.MessageID {
				t.Errorf("Message-ID %q, want %q", msg.Header.Get("Message-ID"), m.MessageID)
			}
			if s, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); s != m.Subject {
				t.Errorf("Subject %q", s)
			}
			parts := walk(t, msg.Header.Get("Content-Type"), msg.Body)
			want := []string{
				"multipart/alternative",
				"text/plain; charset=UTF-8",
				"text/html; charset=UTF-8",
				"text/calendar; method=" + string(method) + "; charset=UTF-8",
				"application/ics; name=invite.ics; filename=invite.ics",
			}
			if len(parts) != len(want) {
				t.Fatalf("parts %v, want %v", parts, want)
			}
			for i, p := range parts {
				if p.kind != want[i] {
					t.Errorf("part %d = %q, want %q", i, p.kind, want[i])
				}
			}
			if parts[1].body != m.Text || parts[2].body != m.HTML || parts[3].body != string(m.Calendar) || parts[4].body != string(m.Calendar) {
				t.Errorf("part bodies differ from the message")
			}
			if o := f.outbox(t, id); o.Status != store.OutboxSent || o.Sent.IsZero() || o.Attempts != 1 {
				t.Errorf("outbox %+v", o)
			}
			if strings.Contains(f.log.String(), smtpPass) {
				t.Error("the SMTP password reached the log")
			}
		})
	}
}

type part struct{ kind, body string }

// walk flattens a MIME tree: each multipart child is listed, nested
// alternatives as their type followed by their children.
func walk(t *testing.T, ctype string, body io.Reader) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("top Content-Type %q: %v", ctype, err)
	}
	var out []part
	var rec func(r *multipart.Reader)
	rec = func(r *multipart.Reader) {
		for {
			p, err := r.NextPart() // decodes quoted-printable
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mt, ps, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if mt == "multipart/alternative" {
				out = append(out, part{kind: mt})
				rec(multipart.NewReader(p, ps["boundary"]))
				continue
			}
			data, _ := io.ReadAll(p)
			if p.Header.Get("Content-Transfer-Encoding") == "base64" {
				data = decode64(t, data)
			}
			kind := mt
			for _, k := range []string{"method", "charset", "name"} {
				if v, ok := ps[k]; ok {
					kind += "; " + k + "=" + v
				}
			}
			if fn := p.FileName(); fn != "" {
				kind += "; filename=" + fn
			}
			out = append(out, part{kind: kind, body: string(data)})
		}
	}
	rec(multipart.NewReader(body, params["boundary"]))
	return out
}

func decode64(t *testing.T, data []byte) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(data)))
	if err != nil {
		t.Fatalf("base64 part: %v", err)
	}
	return b
}

// SPEC M12: a 4xx answer is retried with backoff, then succeeds; a 5xx
// parks the message failed with the server's error, and the next message
// still goes.
func TestDeliverRetryAndPark(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	ctx := context.Background()
	f.srv.fail = []error{&smtp.SMTPError{Code: 451, Message: "try later"}, &smtp.SMTPError{Code: 550, Message: "no such user"}}
	a := f.enqueue(t, "a", invitation(t, ical.MethodRequest))
	d := f.deliverer(t)
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("first pass = %d, %v", n, err)
	}
	o := f.outbox(t, a)
	if o.Status != store.OutboxPending || !strings.Contains(o.LastError, "451") || !o.NextTry.Equal(f.clk.now().Add(time.Minute)) {
		t.Fatalf("after 451: %+v", o)
	}
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Fatal("retried before the backoff ended")
	}
	b := f.enqueue(t, "b", invitation(t, ical.MethodRequest))
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("pass for b = %d, %v", n, err)
	}
	if o := f.outbox(t, b); o.Status != store.OutboxFailed || !strings.Contains(o.LastError, "550") || !strings.Contains(o.LastError, "no such user") {
		t.Fatalf("after 550: %+v", o)
	}
	f.clk.add(time.Minute)
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("retry = %d, %v", n, err)
	}
	if o := f.outbox(t, a); o.Status != store.OutboxSent || o.Attempts != 2 {
		t.Fatalf("after retry: %+v", o)
	}
	if got := f.srv.messages(); len(got) != 1 {
		t.Fatalf("server has %d messages", len(got))
	}
}

// A server without STARTTLS is refused before the password is sent; the
// message is parked with a clear reason.
func TestDeliverRefusesWithoutSTARTTLS(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.enqueue(t, "a", invitation(t, ical.MethodRequest))
	if _, err := f.deliverer(t).DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if o := f.outbox(t, id); o.Status != store.OutboxFailed || !strings.Contains(o.LastError, "STARTTLS") {
		t.Errorf("outbox %+v", o)
	}
	if n := len(f.srv.messages()); n != 0 {
		t.Errorf("server received %d messages in clear", n)
	}
}

var errCrash = errors.New("simulated crash")

// SPEC M12 (nothing lost, sent once): the hub dies at each step of a
// delivery; a restarted hub, once the lease ends, sends what was not sent.
// Only a crash after the server accepted the message but before the sent
// record leads to a second copy, with the same Message-ID.
func TestDeliverCrashPoints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		step   string
		copies int
	}{
		{"claim", 1},  // dies before claiming
		{"send", 1},   // dies holding the claim, before SMTP
		{"record", 2}, // dies after the 250, before recording: the honest window
		{"", 1},       // no crash
	} {
		t.Run("crash at "+tc.step, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, true)
			ctx := context.Background()
			m := invitation(t, ical.MethodRequest)
			id := f.enqueue(t, "k", m)
			d := f.deliverer(t)
			mail.SetCrash(d, func(step string) error {
				if step == tc.step {
					return errCrash
				}
				return nil
			})
			if _, err := d.DeliverDue(ctx); tc.step != "" && !errors.Is(err, errCrash) {
				t.Fatalf("crash not reached: %v", err)
			}
			restarted := f.deliverer(t)
			if tc.step == "send" || tc.step == "record" {
				if n, _ := restarted.DeliverDue(ctx); n != 0 {
					t.Fatal("message taken again inside its lease")
				}
				f.clk.add(5 * time.Minute)
			}
			if _, err := restarted.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			f.clk.add(time.Hour)
			if n, _ := restarted.DeliverDue(ctx); n != 0 {
				t.Fatal("a sent message was sent again")
			}
			got := f.srv.messages()
			if len(got) != tc.copies {
				t.Fatalf("server received %d copies, want %d", len(got), tc.copies)
			}
			for _, r := range got {
				msg, _ := netmail.ReadMessage(bytes.NewReader(r.Data))
				if msg.Header.Get("Message-ID") != m.MessageID {
					t.Errorf("copy with Message-ID %q, want %q", msg.Header.Get("Message-ID"), m.MessageID)
				}
			}
			if o := f.outbox(t, id); o.Status != store.OutboxSent {
				t.Errorf("outbox %+v", o)
			}
		})
	}
}

// Queuing the same effect twice is refused, so one change mails once.
func TestEnqueueSameKeyOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	ctx := context.Background()
	f.enqueue(t, "invite:1:0:jane", invitation(t, ical.MethodRequest))
	err := f.st.InTx(ctx, func(tx store.Tx) error {
		_, err := mail.Enqueue(ctx, tx, f.org, "invite:1:0:jane", invitation(t, ical.MethodRequest), f.clk.now())
		return err
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second enqueue: %v", err)
	}
}

// The hub's SMTP settings become a sender that validates them.
func TestConfigFromSettings(t *testing.T) {
	t.Parallel()
	c := mail.ConfigFrom(config.SMTP{Host: "smtp.example.com", Port: 2525, Username: "u", Password: "p", From: "a@example.com"})
	if c.Host != "smtp.example.com" || c.Port != 2525 || c.Username != "u" || c.Password.Reveal() != "p" || c.From != "a@example.com" {
		t.Errorf("Config = %+v", c)
	}
	if _, err := mail.NewSMTP(mail.ConfigFrom(config.SMTP{Username: "u"})); err == nil ||
		!strings.Contains(err.Error(), "host") || !strings.Contains(err.Error(), "from") || !strings.Contains(err.Error(), "password") {
		t.Errorf("incomplete settings: %v", err)
	}
}

// SPEC M12: the hub's River queue runs delivery by itself: a queued
// invitation reaches the relay once with no one calling DeliverDue.
func TestDeliveryRunsOnTheHubQueue(t *testing.T) {
	f := newFixture(t, true)
	f.enqueue(t, "meeting-1/request/1", invitation(t, ical.MethodRequest))
	d := f.deliverer(t)
	db, ok := f.st.(interface{ DB() *sql.DB })
	if !ok {
		t.Fatalf("the SQLite test store %T does not expose its database", f.st)
	}
	q, err := job.NewSQLite(db.DB(), job.Config{
		Runner: job.RunnerFunc(func(context.Context, string, string, string) error { return nil }),
		Store:  f.st,
		Jobs: []job.Job{{Queue: mail.Queue, Every: time.Second, Args: mail.DeliverArgs{},
			Register: func(w *river.Workers) error { return river.AddWorkerSafely(w, &mail.Worker{Deliverer: d}) }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := q.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for len(f.srv.messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Let a few more periods pass: the message must not go twice.
	time.Sleep(3 * time.Second)
	if got := len(f.srv.messages()); got != 1 {
		t.Fatalf("the relay received %d messages, want exactly 1", got)
	}
}

func TestJobConfigRefusesABadExtraJob(t *testing.T) {
	st := testenv.SQLite(t)
	_, err := job.NewSQLite(st.DB(), job.Config{
		Runner: job.RunnerFunc(func(context.Context, string, string, string) error { return nil }),
		Store:  st,
		Jobs:   []job.Job{{Queue: job.QueueSync}},
	})
	if err == nil || !strings.Contains(err.Error(), "Queue must name a queue of its own") {
		t.Fatalf("err = %v, want the queue name refused", err)
	}
}
