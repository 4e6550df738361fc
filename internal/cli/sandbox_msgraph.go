package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/http/server"
	graphsandbox "github.com/crmsync/crmsync/internal/sandbox/msgraph"
)

// msgraphSandboxFlags are the settings of `sandbox msgraph`.
type msgraphSandboxFlags struct {
	addr         string
	tenantID     string
	domain       string
	clientID     string
	clientSecret string
	seed         graphsandbox.SeedConfig
	pageSize     int
	tokenTTL     time.Duration
}

func (a *app) sandboxMSGraphCmd() *cobra.Command {
	f := msgraphSandboxFlags{}
	cmd := &cobra.Command{
		Use:   "msgraph [--addr HOST:PORT] [--users N] [--contacts N]",
		Short: "Run a Microsoft 365 tenant in memory, speaking Microsoft Graph v1.0 for contacts and the identity platform's token endpoint",
		Long: `msgraph runs a Microsoft 365 tenant in memory at --addr. It answers the
identity platform's token endpoint (/{tenant}/oauth2/v2.0/token with the
client_credentials, authorization_code and refresh_token grants) and Graph
v1.0 for users' personal contacts: /me and /users/{id|userPrincipalName} with
contactFolders (and childFolders), contacts (list, create, read, update,
delete, $filter on an extended property or a category, $top paging), contact
delta queries with next and delta links, outlook/masterCategories, and the
directory at /users, in Graph's own JSON and error bodies.

The tenant is not saved anywhere and is seeded again at each start. The
admin surface at /__sandbox/ plays the users: it renames a category as a user
does in Outlook, shares a folder with another user, signs a user in (a
delegated token pair), expires delta tokens, reseeds and sets fault switches
(throttling with Retry-After, 503s, latency), e.g.:

  curl -d '{"rate_limits":3,"retry_after":"2s"}' http://127.0.0.1:8383/__sandbox/faults
  curl -X POST http://127.0.0.1:8383/__sandbox/users/USER/token

It prints the base URL, the token URL and the app's credentials, then serves
until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runMSGraphSandbox(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8383", "listen address, host:port (port 0 picks a free one)")
	fs.StringVar(&f.tenantID, "tenant-id", graphsandbox.DefaultTenantID, "the directory (tenant) id of the token endpoint's path")
	fs.StringVar(&f.domain, "domain", graphsandbox.DefaultDomain, "the tenant's domain, the users' userPrincipalName suffix")
	fs.StringVar(&f.clientID, "client-id", graphsandbox.DefaultClientID, "the app registration's client id")
	fs.StringVar(&f.clientSecret, "client-secret", graphsandbox.DefaultClientSecret, "the app registration's client secret")
	fs.IntVar(&f.seed.Users, "users", 2, "mailboxes to generate")
	fs.IntVar(&f.seed.Contacts, "contacts", 20, "contacts per mailbox (-1 for none)")
	fs.IntVar(&f.seed.Folders, "folders", 1, "contact folders under Contacts per mailbox (-1 for none)")
	fs.StringSliceVar(&f.seed.Categories, "category", nil, "master categories of every mailbox (repeat or comma-separate; default four color categories, \"-\" for none)")
	fs.Uint64Var(&f.seed.Seed, "seed", 1, "seed of the generated data: the same seed gives the same tenant")
	fs.IntVar(&f.pageSize, "page-size", 10, "page size of a listing that asks for none")
	fs.DurationVar(&f.tokenTTL, "token-ttl", 3599*time.Second, "how long an access token lives")
	return cmd
}

// runMSGraphSandbox builds the tenant, prints how to reach it and serves
// it until ctx ends.
func (a *app) runMSGraphSandbox(ctx context.Context, out io.Writer, f msgraphSandboxFlags) error {
	cfg := graphsandbox.Config{TenantID: f.tenantID, Domain: f.domain, ClientID: f.clientID, ClientSecret: f.clientSecret,
		TokenTTL: f.tokenTTL, PageSize: f.pageSize, Seed: f.seed, Logger: a.log}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("cli: sandbox msgraph: invalid settings:\n%w", err)
	}
	tenant := graphsandbox.New(cfg)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", f.addr)
	if err != nil {
		return fmt.Errorf("cli: sandbox msgraph: listen on %s: %w", f.addr, err)
	}
	if a.onListen != nil {
		a.onListen(ln.Addr().String())
	}
	base := "http://" + displayAddr(ln.Addr())
	printMSGraphSandbox(out, base, tenant)
	a.log.LogAttrs(ctx, slog.LevelInfo, "cli: msgraph sandbox serving", slog.String("addr", ln.Addr().String()))
	return server.Serve(ctx, ln, tenant, a.log)
}

// printMSGraphSandbox tells the user how to reach the tenant. These are
// the sandbox's own throwaway credentials, printed on purpose.
func printMSGraphSandbox(out io.Writer, base string, tenant *graphsandbox.Server) {
	cfg := tenant.Config()
	tokenURL := base + "/" + cfg.TenantID + "/oauth2/v2.0/token"
	fmt.Fprintf(out, "Microsoft Graph sandbox listening on %s\n\n", base)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	rows := [][2]string{
		{"API base URL", base + "/v1.0"},
		{"token endpoint", tokenURL},
		{"tenant id", cfg.TenantID},
		{"client id", cfg.ClientID},
		{"client secret", cfg.ClientSecret},
		{"admin surface", base + "/__sandbox/"},
	}
	users := tenant.Users()
	for _, u := range users {
		rows = append(rows, [2]string{"user", fmt.Sprintf("%s (id %s, %d contacts, %d folders)", u.UserPrincipalName, u.ID, u.Contacts, len(u.Folders)+1)})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\nTry:\n  TOKEN=$(curl -s %s -d grant_type=client_credentials -d client_id=%s \\\n    -d client_secret=%s -d scope=https://graph.microsoft.com/.default | jq -r .access_token)\n",
		tokenURL, cfg.ClientID, cfg.ClientSecret)
	if len(users) > 0 {
		fmt.Fprintf(out, "  curl -s -H \"Authorization: Bearer $TOKEN\" '%s/v1.0/users/%s/contacts/delta'\n\n", base, users[0].UserPrincipalName)
	}
}
