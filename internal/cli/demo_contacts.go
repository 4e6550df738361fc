package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector/msgraph"
	"github.com/crmsync/crmsync/internal/contact"
	graphsb "github.com/crmsync/crmsync/internal/sandbox/msgraph"
	"github.com/crmsync/crmsync/internal/store"
)

// The demo's mailbox: Sam's Office 365 mailbox in the Graph sandbox, with
// a few contacts of his own filed under these categories; those under
// demoImportCategory go to the CRM (SPEC C2).
var demoMailboxCategories = []string{"Clients", "Family", "Suppliers"}

const (
	demoImportCategory  = "Clients"
	demoMailboxContacts = 12
)

// demoMailbox is the demo's Graph sandbox and the server it answers on.
type demoMailbox struct {
	graph *graphsb.Server
	srv   *http.Server
	base  string // http://127.0.0.1:port
}

// startDemoMailbox serves a Graph sandbox tenant with one mailbox, Sam's,
// on a free loopback port.
func startDemoMailbox(ctx context.Context, log *slog.Logger) (*demoMailbox, error) {
	g := graphsb.New(graphsb.Config{Logger: log, Seed: graphsb.SeedConfig{Seed: 1, Users: 1, Contacts: demoMailboxContacts,
		Folders: 1, Categories: demoMailboxCategories}})
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("graph sandbox: listen: %w", err)
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }() // ErrServerClosed once stopped
	return &demoMailbox{graph: g, srv: srv, base: "http://" + ln.Addr().String()}, nil
}

func (d *demoMailbox) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.srv.Shutdown(ctx); err != nil {
		_ = d.srv.Close()
	}
}

// upn is Sam's mailbox address in the sandbox tenant.
func (d *demoMailbox) upn() string { return d.graph.Users()[0].UserPrincipalName }

// tokenURL is the tenant's token endpoint.
func (d *demoMailbox) tokenURL() string {
	return d.base + "/" + graphsb.DefaultTenantID + "/oauth2/v2.0/token"
}

// demoCRMContacts gives Sam CRM contacts of every kind the fixed
// categories tell apart (SPEC C3): a customer, a prospect, a lost
// prospect, a contact at a company without deals, and a person.
func demoCRMContacts(sb *demoSandbox) error {
	type acct struct{ name, typ, stage string }
	accounts := map[string]acct{
		"won": {"Umbrella Corp", "Customer - Direct", "Closed Won"}, "open": {"Hooli", "Prospect", "Prospecting"},
		"lost": {"Vandelay Industries", "Prospect", "Closed Lost"}, "none": {"Wonka Industries", "", ""},
	}
	ids := map[string]string{}
	for k, a := range accounts {
		id, err := sb.org.Create("Account", demoSFMemberUser, map[string]any{"Name": a.name, "Type": a.typ})
		if err != nil {
			return err
		}
		ids[k] = id
		if a.stage != "" {
			if _, err := sb.org.Create("Opportunity", demoSFMemberUser, map[string]any{"Name": a.name + " deal", "AccountId": id,
				"StageName": a.stage, "CloseDate": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}); err != nil {
				return err
			}
		}
	}
	for _, c := range []map[string]any{
		{"FirstName": "Cora", "LastName": "Lindqvist", "Email": "cora@umbrella.example", "Title": "CFO", "AccountId": ids["won"]},
		{"FirstName": "Pia", "LastName": "Novak", "Email": "pia@hooli.example", "Title": "Head of IT", "AccountId": ids["open"]},
		{"FirstName": "Lars", "LastName": "Eklund", "Email": "lars@vandelay.example", "AccountId": ids["lost"]},
		{"FirstName": "Willy", "LastName": "Berg", "Email": "willy@wonka.example", "AccountId": ids["none"]},
		{"FirstName": "Solveig", "LastName": "Ahl", "Email": "solveig@example.org", "MobilePhone": "+46 70 123 45 67"},
	} {
		if _, err := sb.org.Create("Contact", demoSFMemberUser, c); err != nil {
			return fmt.Errorf("salesforce sandbox: seed contact: %w", err)
		}
	}
	return nil
}

// demoContactSync connects Sam's mailbox and turns his contact sync on,
// importing the demo's picked category, as he would with crmsync contacts
// connect and enable. It returns his contact streams.
func demoContactSync(ctx context.Context, s store.Store, log *slog.Logger, member store.User, mb *demoMailbox) ([]store.Stream, contact.Report, error) {
	svc, err := newContactService(s, connectors(s, log), log)
	if err != nil {
		return nil, contact.Report{}, err
	}
	cfg, _ := json.Marshal(msgraph.ConnectionConfig{BaseURL: mb.base + "/v1.0", TokenURL: mb.tokenURL(),
		TenantID: graphsb.DefaultTenantID, ClientID: graphsb.DefaultClientID, User: mb.upn()})
	creds, _ := json.Marshal(msgraph.ConnectionCredentials{ClientSecret: graphsb.DefaultClientSecret})
	if err := s.Read(ctx, func(tx store.Tx) (err error) {
		member, err = tx.GetUser(ctx, member.OrgID, member.ID) // with the seat granted since
		return err
	}); err != nil {
		return nil, contact.Report{}, err
	}
	_, rep, err := svc.Connect(ctx, member, msgraph.SystemName, cfg, creds)
	if err != nil {
		return nil, contact.Report{}, fmt.Errorf("connect the mailbox: %w", err)
	}
	streams, err := svc.Save(ctx, member, contact.Settings{Enabled: true, Import: []string{demoImportCategory}, Minutes: 1})
	if err != nil {
		return nil, contact.Report{}, fmt.Errorf("enable contact sync: %w", err)
	}
	return streams, rep, nil
}

// printDemoContacts is the guide's contacts part: what Sam's mailbox
// offers and how to watch his contacts sync.
func (a *app) printDemoContacts(w io.Writer, url string, mb *demoMailbox, rep contact.Report) {
	sam := `-H "Authorization: Bearer $SAM_TOKEN"`
	fmt.Fprintf(w, `
Contacts (SPEC C1-C11): Sam's Office 365 mailbox is a Graph sandbox at %[1]s
(mailbox %[2]s). His CRM contacts and leads reach it within a minute, filed
under the hub's fixed categories (Base Current Customer, Base Lead, ...);
his mailbox contacts filed under %[3]q go to the CRM. Deletes are never
synced. The mailbox offers the categories %[4]s; skipped folders: %[5]d.

  curl -s %[6]s %[7]s/api/v1/contacts/mailbox
  curl -s %[6]s %[7]s/api/v1/contacts/sync

The mailbox side, as Outlook sees it (the sandbox app's throwaway credentials):

  GRAPH_TOKEN=$(curl -s %[8]s -d grant_type=client_credentials -d client_id=%[9]s \
    -d client_secret=%[10]s -d scope=https://graph.microsoft.com/.default | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -s -H "Authorization: Bearer $GRAPH_TOKEN" '%[1]s/v1.0/users/%[2]s/contacts?$select=displayName,categories,emailAddresses'
  curl -s -H "Authorization: Bearer $GRAPH_TOKEN" '%[1]s/v1.0/users/%[2]s/outlook/masterCategories'

`, mb.base, mb.upn(), demoImportCategory, strings.Join(rep.Categories, ", "), len(rep.Skipped), sam, url,
		mb.tokenURL(), graphsb.DefaultClientID, graphsb.DefaultClientSecret)
}
