package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/http/server"
	zoomsandbox "github.com/crmsync/crmsync/internal/sandbox/zoom"
)

// zoomSandboxFlags are the settings of `sandbox zoom`.
type zoomSandboxFlags struct {
	addr          string
	accountID     string
	clientID      string
	clientSecret  string
	webhookSecret string
	webhookURL    string
	users         []string
	tokenTTL      time.Duration
	seed          uint64
}

func (a *app) sandboxZoomCmd() *cobra.Command {
	f := zoomSandboxFlags{}
	cmd := &cobra.Command{
		Use:   "zoom [--addr HOST:PORT] [--webhook-url URL]",
		Short: "Run a Zoom account in memory, speaking the Zoom API v2, Server-to-Server OAuth and signed webhooks",
		Long: `zoom runs a Zoom account in memory at --addr. It answers the Zoom API v2
(/v2/users/{userId}, meetings created, read, updated, deleted and listed with
next_page_token paging, past meetings with their instances and participants,
report endpoints and cloud recordings) and the Server-to-Server OAuth token
endpoint (/oauth/token?grant_type=account_credentials&account_id=...), in
Zoom's own wire formats and error codes.

The account is not saved anywhere. The admin surface at /__sandbox/ holds a
meeting with chosen participants and join and leave times, which creates its
history and sends signed webhooks to the endpoint set with --webhook-url or
POST /__sandbox/webhook; it also sets fault switches and moves the clock, e.g.:

  curl -d '{"url":"http://127.0.0.1:8080/hooks/zoom"}' http://127.0.0.1:8282/__sandbox/webhook
  curl -d '{"start":"2026-03-09T10:00:00Z","recording":true,"participants":[
    {"name":"Ana Ruiz","email":"ana@example.com","join":"2026-03-09T10:01:00Z","leave":"2026-03-09T10:40:00Z"}]}' \
    http://127.0.0.1:8282/__sandbox/meetings/MEETING_ID/hold
  curl -d '{"rate_limits":3,"latency":"50ms"}' http://127.0.0.1:8282/__sandbox/faults

It prints the base URL and the app's credentials, then serves until
interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runZoomSandbox(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8282", "listen address, host:port (port 0 picks a free one)")
	fs.StringVar(&f.accountID, "account-id", zoomsandbox.DefaultAccountID, "the account id the token endpoint expects")
	fs.StringVar(&f.clientID, "client-id", zoomsandbox.DefaultClientID, "the Server-to-Server OAuth app's client id")
	fs.StringVar(&f.clientSecret, "client-secret", zoomsandbox.DefaultClientSecret, "the app's client secret")
	fs.StringVar(&f.webhookSecret, "webhook-secret", zoomsandbox.DefaultWebhookSecret, "the app's secret token that signs webhooks")
	fs.StringVar(&f.webhookURL, "webhook-url", "", "endpoint to send webhooks to (validated at start); none by default")
	fs.StringSliceVar(&f.users, "user", []string{zoomsandbox.DefaultUserEmail}, "users' emails; the first owns the app and is \"me\" (repeat or comma-separate)")
	fs.DurationVar(&f.tokenTTL, "token-ttl", 3599*time.Second, "how long an access token lives")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the generated ids and passcodes")
	return cmd
}

// runZoomSandbox builds the account, prints how to reach it and serves it
// until ctx ends.
func (a *app) runZoomSandbox(ctx context.Context, out io.Writer, f zoomSandboxFlags) error {
	cfg := zoomsandbox.Config{AccountID: f.accountID, ClientID: f.clientID, ClientSecret: f.clientSecret,
		WebhookSecret: f.webhookSecret, TokenTTL: f.tokenTTL, Seed: f.seed, Logger: a.log}
	for _, email := range f.users {
		local, _, _ := strings.Cut(email, "@")
		cfg.Users = append(cfg.Users, zoomsandbox.UserConfig{Email: strings.TrimSpace(email), FirstName: "Sandbox", LastName: local})
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("cli: sandbox zoom: invalid settings:\n%w", err)
	}
	acct := zoomsandbox.New(cfg)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", f.addr)
	if err != nil {
		return fmt.Errorf("cli: sandbox zoom: listen on %s: %w", f.addr, err)
	}
	if a.onListen != nil {
		a.onListen(ln.Addr().String())
	}
	base := "http://" + displayAddr(ln.Addr())
	printZoomSandbox(out, base, acct)
	a.log.LogAttrs(ctx, slog.LevelInfo, "cli: zoom sandbox serving", slog.String("addr", ln.Addr().String()))
	if f.webhookURL != "" {
		// The challenge goes out once the listener is up, so that a hub
		// started alongside can answer it.
		go func() {
			st, err := acct.SetWebhook(ctx, f.webhookURL, "")
			if err != nil {
				a.log.LogAttrs(ctx, slog.LevelWarn, "cli: zoom sandbox: webhook validation failed", slog.String("error", err.Error()))
				return
			}
			a.log.LogAttrs(ctx, slog.LevelInfo, "cli: zoom sandbox: webhook endpoint set",
				slog.String("url", st.URL), slog.Bool("validated", st.Validated))
		}()
	}
	return server.Serve(ctx, ln, acct, a.log)
}

// printZoomSandbox tells the user how to reach the account. These are the
// sandbox's own throwaway credentials, printed on purpose.
func printZoomSandbox(out io.Writer, base string, acct *zoomsandbox.Server) {
	cfg := acct.Config()
	fmt.Fprintf(out, "Zoom sandbox listening on %s\n\n", base)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	rows := [][2]string{
		{"API base URL", base + "/v2"},
		{"token endpoint", base + "/oauth/token"},
		{"account id", cfg.AccountID},
		{"client id", cfg.ClientID},
		{"client secret", cfg.ClientSecret},
		{"webhook secret token", cfg.WebhookSecret},
		{"admin surface", base + "/__sandbox/"},
	}
	for _, u := range acct.Users() {
		rows = append(rows, [2]string{"user", fmt.Sprintf("%s (id %s, PMI %d)", u.Email, u.ID, u.PMI)})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\nTry:\n  TOKEN=$(curl -s -u %s:%s -X POST '%s/oauth/token?grant_type=account_credentials&account_id=%s' | jq -r .access_token)\n",
		cfg.ClientID, cfg.ClientSecret, base, cfg.AccountID)
	fmt.Fprintf(out, "  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n    -d '{\"topic\":\"Demo\",\"type\":2,\"start_time\":\"2026-03-10T09:00:00Z\",\"duration\":30}' %s/v2/users/me/meetings\n\n", base)
}
