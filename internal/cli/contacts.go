package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/contact"
	"github.com/crmsync/crmsync/internal/store"
)

// envMailboxCredentials carries a mailbox's secrets, as JSON, to
// `contacts connect`, so that they never sit in a shell history or a
// process list.
const envMailboxCredentials = "CRMSYNC_MAILBOX_CREDENTIALS"

// contactsCmd is `contacts`: a user's mailbox contact sync with the CRM
// (SPEC C1–C11).
func (a *app) contactsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contacts",
		Short: "Sync a user's mailbox contacts (Exchange / Office 365, CardDAV) with the CRM",
		Long: `contacts connects a user's mailbox — Microsoft Graph (Exchange, Office 365) or
any CardDAV server — and syncs its contacts with the CRM's Contacts and
Leads both ways: every CRM contact the user may see reaches the mailbox,
filed under the hub's fixed categories; mailbox contacts in the categories
the user picks reach the CRM. Deletes are never synced. docs/contacts.md
tells the whole story.`,
		Args: cobra.NoArgs,
	}
	var user, org, system, cfg string
	var imports []string
	var minutes int
	var wait time.Duration
	var keep string
	var dups []string
	userFlags := func(c *cobra.Command) {
		c.Flags().StringVar(&user, "user", "", "the user, email or id (required)")
		c.Flags().StringVar(&org, "org", "", "org id or name, when the email exists in several orgs")
		_ = c.MarkFlagRequired("user")
	}
	// withService opens the store, finds the user and hands both to fn.
	withService := func(ctx context.Context, fn func(*contact.Service, store.Store, store.User) error) error {
		return a.withDB(ctx, func(st store.Store) error {
			var u store.User
			if err := st.Read(ctx, func(tx store.Tx) (err error) {
				u, err = findUser(ctx, tx, org, user)
				return err
			}); err != nil {
				return err
			}
			svc, err := newContactService(st, connectors(st, a.log), a.log)
			if err != nil {
				return err
			}
			return fn(svc, st, u)
		})
	}
	connect := &cobra.Command{
		Use:   "connect --user EMAIL --system msgraph|carddav --config JSON",
		Short: "Connect (or change) the user's mailbox, checked first, and show what it offers",
		Long: `connect saves the user's mailbox connection once it answers. --config holds its
settings as JSON; the secrets come from ` + envMailboxCredentials + ` as JSON, are
sealed in the hub's database and never printed.
  msgraph: {"base_url", "token_url", "tenant_id", "client_id", "user"}; secrets {"client_secret"} or {"client_secret", "refresh_token"}
  carddav: {"url", "username"}; secrets {"password"}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			creds, _ := a.lookupEnv(envMailboxCredentials)
			if !json.Valid([]byte(cfg)) {
				return fmt.Errorf("contacts connect: --config is not valid JSON")
			}
			if creds != "" && !json.Valid([]byte(creds)) {
				return fmt.Errorf("contacts connect: %s is not valid JSON", envMailboxCredentials) // never quote it
			}
			var raw json.RawMessage
			if creds != "" {
				raw = json.RawMessage(creds)
			}
			return withService(ctx, func(svc *contact.Service, _ store.Store, u store.User) error {
				c, rep, err := svc.Connect(ctx, u, system, json.RawMessage(cfg), raw)
				if err != nil {
					return fmt.Errorf("contacts connect: %w", err)
				}
				fmt.Fprintf(a.stdout, "mailbox connected for %s (%s, connection %s)\n", u.Email, c.System, c.ID)
				a.printReport(rep)
				return nil
			})
		},
	}
	userFlags(connect)
	connect.Flags().StringVar(&system, "system", "", "msgraph or carddav (required)")
	connect.Flags().StringVar(&cfg, "config", "", "the mailbox's settings as JSON (required)")
	_ = connect.MarkFlagRequired("system")
	_ = connect.MarkFlagRequired("config")

	status := &cobra.Command{
		Use: "status --user EMAIL", Short: "Show the user's mailbox folders and categories, settings and latest runs", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(ctx, func(svc *contact.Service, st store.Store, u store.User) error {
				rep, err := svc.Inspect(ctx, u)
				if err != nil {
					return fmt.Errorf("contacts status: %w", err)
				}
				a.printReport(rep)
				streams, err := svc.Streams(ctx, u)
				if err != nil {
					return err
				}
				if len(streams) == 0 {
					fmt.Fprintf(a.stdout, "contact sync was never enabled for %s\n", u.Email)
					return nil
				}
				return st.Read(ctx, func(tx store.Tx) error {
					for _, s := range streams {
						set := contact.SettingsOf(s)
						fmt.Fprintf(a.stdout, "%s (%s): enabled %t, every %d min, importing %s\n", s.Name, s.ID, set.Enabled, set.Minutes, orNone(set.Import))
						runs, err := tx.ListRuns(ctx, s.ID, 1)
						if err != nil {
							return err
						}
						if len(runs) > 0 {
							r := runs[0]
							fmt.Fprintf(a.stdout, "  last run %s: %s, pulled %d, created %d, updated %d, %d conflicts, %d quarantined %s\n",
								r.Started.Format(time.RFC3339), r.Status, r.Counts.Pulled, r.Counts.Created, r.Counts.Updated,
								r.Counts.Conflicts, r.Counts.Quarantined, r.Error)
						}
					}
					return nil
				})
			})
		},
	}
	userFlags(status)

	save := func(enabled bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			started := time.Now().UTC().Add(-time.Second)
			return withService(ctx, func(svc *contact.Service, st store.Store, u store.User) error {
				set := contact.Settings{Enabled: enabled, Import: imports, Minutes: minutes}
				if old, err := svc.Streams(ctx, u); err == nil && len(old) > 0 && !cmd.Flags().Changed("import") {
					set.Import = contact.SettingsOf(old[0]).Import
				}
				streams, err := svc.Save(ctx, u, set)
				if err != nil {
					return fmt.Errorf("contacts %s: %w", cmd.Name(), err)
				}
				if err := st.InTx(ctx, func(tx store.Tx) error {
					return cliAudit(ctx, tx, u.OrgID, "contacts.sync.save", u.ID, map[string]string{"enabled": fmt.Sprint(enabled)})
				}); err != nil {
					return err
				}
				if !enabled {
					fmt.Fprintf(a.stdout, "contact sync off for %s; both sides keep their contacts\n", u.Email)
					return nil
				}
				fmt.Fprintf(a.stdout, "contact sync on for %s: every %d min, importing %s; a run of each stream is queued\n",
					u.Email, contact.SettingsOf(streams[0]).Minutes, orNone(set.Import))
				if wait <= 0 {
					return nil
				}
				for _, s := range streams {
					if err := a.waitRun(ctx, s, started, wait); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	enable := &cobra.Command{Use: "enable --user EMAIL [--import CATEGORY,...] [--minutes 15] [--wait 5m]",
		Short: "Turn contact sync on (or save its settings)", Args: cobra.NoArgs, RunE: save(true)}
	userFlags(enable)
	enable.Flags().StringSliceVar(&imports, "import", nil, "mailbox categories whose contacts go to the CRM (SPEC C2)")
	enable.Flags().IntVar(&minutes, "minutes", 0, "minutes between runs (default 15)")
	enable.Flags().DurationVar(&wait, "wait", 0, "follow the first runs' progress for up to this long (crmsync serve runs them)")
	disable := &cobra.Command{Use: "disable --user EMAIL", Short: "Turn contact sync off", Args: cobra.NoArgs, RunE: save(false)}
	userFlags(disable)

	merge := &cobra.Command{
		Use:   "merge --user EMAIL --keep CONTACT_ID --duplicate CONTACT_ID [--duplicate ...]",
		Short: "Merge duplicate CRM contacts into one; their mailbox copies stay and stop syncing (SPEC C9)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(ctx, func(svc *contact.Service, st store.Store, u store.User) error {
				res, err := svc.Merge(ctx, u, keep, dups, time.Now())
				if err != nil {
					return fmt.Errorf("contacts merge: %w", err)
				}
				if err := st.InTx(ctx, func(tx store.Tx) error {
					return cliAudit(ctx, tx, u.OrgID, "contacts.merge", keep, map[string]string{"duplicates": strings.Join(dups, ",")})
				}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "merged %d into %s: filled %s; kept replaced values of %s\n",
					res.Deleted, res.Kept, orNone(res.Filled), orNone(res.Replaced))
				return nil
			})
		},
	}
	userFlags(merge)
	merge.Flags().StringVar(&keep, "keep", "", "the CRM contact to keep (required)")
	merge.Flags().StringArrayVar(&dups, "duplicate", nil, "a duplicate to fold into it (required, repeatable)")
	_ = merge.MarkFlagRequired("keep")
	_ = merge.MarkFlagRequired("duplicate")

	cmd.AddCommand(connect, status, enable, disable, merge)
	return cmd
}

// printReport shows what a mailbox offers (SPEC C2, C5, C11).
func (a *app) printReport(rep contact.Report) {
	for _, f := range rep.Folders {
		fmt.Fprintf(a.stdout, "  syncs:   %s\n", f.Name)
	}
	for _, f := range rep.Skipped {
		fmt.Fprintf(a.stdout, "  skipped: %s (%s)\n", f.Name, f.Reason)
	}
	if rep.NoCategories != "" {
		fmt.Fprintf(a.stdout, "  no categories to pick: %s\n", rep.NoCategories)
		return
	}
	fmt.Fprintf(a.stdout, "  categories to pick for import (--import): %s\n", strings.Join(rep.Categories, ", "))
}

func orNone(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, ", ")
}
