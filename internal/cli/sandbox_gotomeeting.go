package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/http/server"
	gtmsandbox "github.com/crmsync/crmsync/internal/sandbox/gotomeeting"
)

// gotoMeetingSandboxFlags are the settings of `sandbox gotomeeting`.
type gotoMeetingSandboxFlags struct {
	addr         string
	clientID     string
	clientSecret string
	email        string
	firstName    string
	lastName     string
	tokenTTL     time.Duration
	rateLimit    int
	baseURL      string
}

func (a *app) sandboxGoToMeetingCmd() *cobra.Command {
	f := gotoMeetingSandboxFlags{}
	cmd := &cobra.Command{
		Use:   "gotomeeting [--addr HOST:PORT]",
		Short: "Run a GoTo Meeting account in memory, speaking GoTo's REST and OAuth APIs",
		Long: `gotomeeting runs a GoTo Meeting account in memory at --addr. It answers the
GoTo Meeting REST API under /G2M/rest (create, get, update, delete and start
meetings; historical and upcoming meetings; attendees by meeting and by
organizer) and GoTo's OAuth endpoints (/oauth/authorize, approved at once, and
/oauth/token with the authorization_code and refresh_token grants), in GoTo's
own wire formats, with its rate limit of --rate-limit requests a second.

GoTo has no webhooks for meeting history, so the admin surface at /__sandbox/
holds a meeting: a session with chosen attendees and join and leave times,
which then shows in historicalMeetings and attendees, e.g.

  curl -d '{"attendees":[{"name":"Ann Lee","email":"ann@example.com"}]}' \
    http://127.0.0.1:8182/__sandbox/meetings/MEETING_ID/sessions

It also sets fault switches (latency, 5xx, 429, expired and revoked tokens)
and moves the clock. Nothing is saved: each start is an empty account.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runGoToMeetingSandbox(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8182", "listen address, host:port (port 0 picks a free one)")
	fs.StringVar(&f.clientID, "client-id", gtmsandbox.DefaultClientID, "the OAuth client's id")
	fs.StringVar(&f.clientSecret, "client-secret", gtmsandbox.DefaultClientSecret, "the OAuth client's secret")
	fs.StringVar(&f.email, "organizer-email", gtmsandbox.DefaultEmail, "the organizer who signs in")
	fs.StringVar(&f.firstName, "organizer-first-name", "Sandbox", "the organizer's first name")
	fs.StringVar(&f.lastName, "organizer-last-name", "Organizer", "the organizer's last name")
	fs.DurationVar(&f.tokenTTL, "token-ttl", time.Hour, "how long an access token lives")
	fs.IntVar(&f.rateLimit, "rate-limit", 10, "API requests a second per client before 429 (0 or negative: no limit)")
	fs.StringVar(&f.baseURL, "base-url", "", "base URL of join and host URLs (default: as each client reaches the sandbox)")
	return cmd
}

// runGoToMeetingSandbox builds the account, prints how to reach it and
// serves it until ctx ends.
func (a *app) runGoToMeetingSandbox(ctx context.Context, out io.Writer, f gotoMeetingSandboxFlags) error {
	cfg := gtmsandbox.Config{ClientID: f.clientID, ClientSecret: f.clientSecret,
		Organizers: []gtmsandbox.Organizer{{Key: gtmsandbox.DefaultOrganizerKey, Email: f.email,
			FirstName: f.firstName, LastName: f.lastName}},
		AccessTokenTTL: f.tokenTTL, RateLimit: f.rateLimit, BaseURL: f.baseURL, Logger: a.log}
	if f.rateLimit == 0 {
		cfg.RateLimit = -1
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("cli: sandbox gotomeeting: invalid settings:\n%w", err)
	}
	acct := gtmsandbox.New(cfg)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", f.addr)
	if err != nil {
		return fmt.Errorf("cli: sandbox gotomeeting: listen on %s: %w", f.addr, err)
	}
	if a.onListen != nil {
		a.onListen(ln.Addr().String())
	}
	base := f.baseURL
	if base == "" {
		base = "http://" + displayAddr(ln.Addr())
	}
	printGoToMeetingSandbox(out, base, acct)
	a.log.LogAttrs(ctx, slog.LevelInfo, "cli: gotomeeting sandbox serving", slog.String("addr", ln.Addr().String()))
	return server.Serve(ctx, ln, acct, a.log)
}

// printGoToMeetingSandbox tells the user how to reach the account. These are
// the sandbox's own throwaway credentials, printed on purpose.
func printGoToMeetingSandbox(out io.Writer, base string, acct *gtmsandbox.Server) {
	cfg := acct.Config()
	o := cfg.Organizers[0]
	fmt.Fprintf(out, "GoTo Meeting sandbox listening on %s\n\n", base)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	rows := [][2]string{
		{"REST API", base + gtmsandbox.BasePath},
		{"authorize URL", base + "/oauth/authorize"},
		{"token URL", base + "/oauth/token"},
		{"client id", cfg.ClientID},
		{"client secret", cfg.ClientSecret},
		{"organizer", o.Email},
		{"organizer key", strconv.FormatInt(o.Key, 10)},
		{"admin surface", base + "/__sandbox/"},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\nTry:\n  CODE=$(curl -s -X POST %s/__sandbox/code -d '{}' | sed 's/.*\"code\":\"\\([^\"]*\\)\".*/\\1/')\n", base)
	fmt.Fprintf(out, "  curl -s -u %s:%s %s/oauth/token -d grant_type=authorization_code -d code=$CODE\n", cfg.ClientID, cfg.ClientSecret, base)
	fmt.Fprintf(out, "  curl -s -H \"Authorization: Bearer $TOKEN\" %s%s/upcomingMeetings\n\n", base, gtmsandbox.BasePath)
}
