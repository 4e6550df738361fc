package cli

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/http/server"
	sfsandbox "github.com/crmsync/crmsync/internal/sandbox/salesforce"
)

// sandboxCmd groups the local emulations of the providers' APIs.
func (a *app) sandboxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local emulation of a provider's API, seeded and offline",
		Long: `sandbox runs a local server that speaks a provider's real API — the same
paths, JSON shapes, paging, errors, OAuth token endpoint and rate-limit
answers — over an in-memory store with seeded data, so the hub and its
connectors can be tried and tested without an account at the provider.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.sandboxSalesforceCmd())
	cmd.AddCommand(a.sandboxZoomCmd())
	cmd.AddCommand(a.sandboxGoToMeetingCmd())
	cmd.AddCommand(a.sandboxMSGraphCmd())
	return cmd
}

// salesforceSandboxFlags are the settings of `sandbox salesforce`.
type salesforceSandboxFlags struct {
	addr          string
	seed          sfsandbox.SeedConfig
	clientID      string
	clientSecret  string
	username      string
	password      string
	securityToken string
	jwtKey        string
	apiVersion    string
	dailyRequests int
	pageSize      int
	tokenTTL      time.Duration
	instanceURL   string
}

func (a *app) sandboxSalesforceCmd() *cobra.Command {
	f := salesforceSandboxFlags{}
	cmd := &cobra.Command{
		Use:   "salesforce [--addr HOST:PORT] [--seed-contacts N ...]",
		Short: "Run a Salesforce org in memory, speaking Salesforce's REST, OAuth and Bulk 2.0 APIs",
		Long: `salesforce runs a Salesforce org in memory at --addr. It answers the REST API
(/services/data/vXX.X/: query and queryAll with paging, sObject rows, upsert by
external id, getUpdated, getDeleted, describe, limits, sObject Collections,
Composite), Bulk API 2.0 query and ingest jobs, and the OAuth endpoints
(/services/oauth2/token with the password, authorization_code, refresh_token,
client_credentials and JWT bearer grants; authorize, revoke, userinfo), in
Salesforce's own wire formats.

The org starts with the login user and the records --seed-* asks for; it is
not saved anywhere and is seeded again at each start. The admin surface at
/__sandbox/ edits records as an org user, seeds, resets, adds custom fields,
moves the clock and sets fault switches (latency, 503s, 429s, partial
failures, expired tokens), e.g.:

  curl -d '{"error_rate":0.2,"latency":"50ms"}' http://127.0.0.1:8181/__sandbox/faults

It prints the base URL and the OAuth client credentials, then serves until
interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSalesforceSandbox(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8181", "listen address, host:port (port 0 picks a free one)")
	fs.Uint64Var(&f.seed.Seed, "seed", 1, "seed of the generated data: the same seed gives the same org")
	fs.IntVar(&f.seed.Users, "seed-users", 10, "users to generate besides the login user")
	fs.IntVar(&f.seed.Accounts, "seed-accounts", 50, "accounts to generate")
	fs.IntVar(&f.seed.Contacts, "seed-contacts", 200, "contacts to generate")
	fs.IntVar(&f.seed.Leads, "seed-leads", 100, "leads to generate")
	fs.IntVar(&f.seed.Opportunities, "seed-opportunities", 60, "opportunities to generate")
	fs.IntVar(&f.seed.Events, "seed-events", 150, "events to generate")
	fs.IntVar(&f.seed.Tasks, "seed-tasks", 150, "tasks to generate")
	fs.IntVar(&f.seed.HistoryDays, "history-days", 30, "spread the generated records' creation and modification over this many past days")
	fs.StringVar(&f.clientID, "client-id", sfsandbox.DefaultClientID, "the connected app's consumer key")
	fs.StringVar(&f.clientSecret, "client-secret", sfsandbox.DefaultClientSecret, "the connected app's consumer secret")
	fs.StringVar(&f.username, "username", sfsandbox.DefaultUsername, "the login user's username")
	fs.StringVar(&f.password, "password", sfsandbox.DefaultPassword, "the login user's password")
	fs.StringVar(&f.securityToken, "security-token", sfsandbox.DefaultSecurityToken, "the login user's security token")
	fs.StringVar(&f.jwtKey, "jwt-key", "", "PEM file with the public key or certificate that verifies JWT bearer assertions")
	fs.StringVar(&f.apiVersion, "api-version", "", "newest API version served, e.g. 62.0 (default 66.0)")
	fs.IntVar(&f.dailyRequests, "daily-api-requests", 100000, "the org's daily API allowance")
	fs.IntVar(&f.pageSize, "page-size", 2000, "records per query page (at most 2000)")
	fs.DurationVar(&f.tokenTTL, "token-ttl", 2*time.Hour, "how long an access token lives")
	fs.StringVar(&f.instanceURL, "instance-url", "", "base URL to report as instance_url (default: as each client reaches the sandbox)")
	return cmd
}

// runSalesforceSandbox builds the org, prints how to reach it and serves it
// until ctx ends.
func (a *app) runSalesforceSandbox(ctx context.Context, out io.Writer, f salesforceSandboxFlags) error {
	cfg := sfsandbox.Config{
		APIVersion:       f.apiVersion,
		PageSize:         f.pageSize,
		DailyAPIRequests: f.dailyRequests,
		ClientID:         f.clientID,
		ClientSecret:     f.clientSecret,
		Users: []sfsandbox.UserConfig{{Username: f.username, Password: f.password, SecurityToken: f.securityToken,
			FirstName: "Sandbox", LastName: "Admin"}},
		AccessTokenTTL: f.tokenTTL,
		InstanceURL:    f.instanceURL,
		Seed:           f.seed,
		Logger:         a.log,
	}
	if f.jwtKey != "" {
		key, err := readRSAPublicKey(f.jwtKey)
		if err != nil {
			return fmt.Errorf("cli: sandbox salesforce: --jwt-key: %w", err)
		}
		cfg.JWTPublicKey = key
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("cli: sandbox salesforce: invalid settings:\n%w", err)
	}
	start := time.Now()
	org := sfsandbox.New(cfg)
	seeded := time.Since(start)

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", f.addr)
	if err != nil {
		return fmt.Errorf("cli: sandbox salesforce: listen on %s: %w", f.addr, err)
	}
	if a.onListen != nil {
		a.onListen(ln.Addr().String())
	}
	base := f.instanceURL
	if base == "" {
		base = "http://" + displayAddr(ln.Addr())
	}
	printSalesforceSandbox(out, base, org, seeded)
	a.log.LogAttrs(ctx, slog.LevelInfo, "cli: salesforce sandbox serving", slog.String("addr", ln.Addr().String()))
	return server.Serve(ctx, ln, org, a.log)
}

// displayAddr turns a listen address into one a client can dial: a
// wildcard host becomes the loopback address.
func displayAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// printSalesforceSandbox tells the user how to reach the org. These are the
// sandbox's own throwaway credentials, printed on purpose.
func printSalesforceSandbox(out io.Writer, base string, org *sfsandbox.Server, seeded time.Duration) {
	cfg := org.Config()
	u := cfg.Users[0]
	fmt.Fprintf(out, "Salesforce sandbox listening on %s\n\n", base)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	rows := [][2]string{
		{"login and instance URL", base},
		{"token endpoint", base + "/services/oauth2/token"},
		{"REST API", base + "/services/data/v" + cfg.APIVersion},
		{"client id", cfg.ClientID},
		{"client secret", cfg.ClientSecret},
		{"username", u.Username},
		{"password", u.Password},
		{"security token", u.SecurityToken},
		{"org id", cfg.OrgID},
		{"admin surface", base + "/__sandbox/"},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	_ = tw.Flush()
	counts := org.Counts()
	var parts []string
	for _, name := range org.Objects() {
		if n := counts[name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, name))
		}
	}
	fmt.Fprintf(out, "\nOrg: %s (seeded in %s).\n", strings.Join(parts, ", "), seeded.Round(time.Millisecond))
	fmt.Fprintf(out, "\nTry:\n  curl -s %s/services/oauth2/token -d grant_type=password -d client_id=%s \\\n    -d client_secret=%s -d username=%s -d password=%s\n",
		base, cfg.ClientID, cfg.ClientSecret, u.Username, u.Password+u.SecurityToken)
	fmt.Fprintf(out, "  curl -s -H \"Authorization: Bearer $TOKEN\" '%s/services/data/v%s/query?q=SELECT+Id,Name+FROM+Account+LIMIT+5'\n\n", base, cfg.APIVersion)
}

// readRSAPublicKey reads an RSA public key from a PEM file holding a
// certificate, a PKIX public key or a PKCS#1 public key.
func readRSAPublicKey(path string) (*rsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, errors.New("no certificate or RSA public key found in the PEM file")
		}
		var pub any
		switch block.Type {
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificate: %w", err)
			}
			pub = cert.PublicKey
		case "PUBLIC KEY":
			if pub, err = x509.ParsePKIXPublicKey(block.Bytes); err != nil {
				return nil, fmt.Errorf("public key: %w", err)
			}
		case "RSA PUBLIC KEY":
			if pub, err = x509.ParsePKCS1PublicKey(block.Bytes); err != nil {
				return nil, fmt.Errorf("RSA public key: %w", err)
			}
		default:
			continue
		}
		key, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the key is %T; Salesforce's JWT bearer flow uses RS256", pub)
		}
		return key, nil
	}
}
