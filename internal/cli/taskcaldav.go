package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
)

// envCalDAVPassword carries a task list's password to `task caldav
// connect`, so that it never sits in a shell history or a process list.
const envCalDAVPassword = "CRMSYNC_CALDAV_PASSWORD"

// taskCalDAVCmd is `task caldav`: a user's sync of their CRM Tasks with a
// task list on a CalDAV server, on the reminder-task stream's rules.
func (a *app) taskCalDAVCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "caldav",
		Short: "Sync a user's CRM Tasks with a CalDAV task list (Radicale, Nextcloud, iCloud, …)",
		Long: `caldav connects a user's task list on a CalDAV server: their CRM Tasks and the
list's tasks (VTODO) then sync both ways with the same map and rules as the
hub's own task list. The password comes from ` + envCalDAVPassword + `; it is
sealed in the hub's database and never printed. connect checks the list first.`,
		Args: cobra.NoArgs,
	}
	var user, org, url, username string
	var subject bool
	var poll int
	var wait time.Duration
	userFlags := func(c *cobra.Command) {
		c.Flags().StringVar(&user, "user", "", "the user, email or id (required)")
		c.Flags().StringVar(&org, "org", "", "org id or name, when the email exists in several orgs")
		_ = c.MarkFlagRequired("user")
	}
	connect := &cobra.Command{
		Use:   "connect --user EMAIL --url URL [--username NAME] [--subject-template] [--poll MINUTES] [--wait 5m]",
		Short: "Connect (or change) the user's CalDAV task list and start a re-sync",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			pass, _ := a.lookupEnv(envCalDAVPassword)
			set := task.CalDAVSettings{Enabled: true, URL: url, Username: username, Password: pass, SubjectTemplate: subject, PollMinutes: poll}
			var u store.User
			check := set
			err := a.withDB(ctx, func(st store.Store) error {
				return st.Read(ctx, func(tx store.Tx) error {
					var err error
					if u, err = findUser(ctx, tx, org, user); err != nil {
						return err
					}
					s, conn, found, err := task.CalDAVStream(ctx, tx, u.OrgID, u.ID)
					if err != nil || !found {
						return err
					}
					old := task.CalDAVSettingsOf(s, conn)
					if check.URL == "" {
						check.URL = old.URL
					}
					if check.Username == "" {
						check.Username = old.Username
					}
					if !cmd.Flags().Changed("subject-template") {
						set.SubjectTemplate = old.SubjectTemplate
					}
					if !cmd.Flags().Changed("poll") {
						set.PollMinutes = old.PollMinutes
					}
					if check.Password == "" {
						check.Password = task.CalDAVPassword(conn)
					}
					return nil
				})
			})
			if err != nil {
				return fmt.Errorf("task caldav connect: %w", err)
			}
			if check.URL == "" {
				return errors.New("task caldav connect: --url is required the first time")
			}
			if err := task.CheckCalDAV(ctx, check, nil); err != nil {
				return fmt.Errorf("task caldav connect: %w", err)
			}
			started := time.Now().UTC().Add(-time.Second)
			var s store.Stream
			err = a.withDB(ctx, func(st store.Store) error {
				return st.InTx(ctx, func(tx store.Tx) error {
					var err error
					if s, err = task.SaveCalDAV(ctx, tx, u, set, time.Now().UTC()); err != nil {
						return err
					}
					return cliAudit(ctx, tx, u.OrgID, "task.caldav.connect", u.ID, map[string]string{"url": check.URL})
				})
			})
			if err != nil {
				return fmt.Errorf("task caldav connect: %w", err)
			}
			got := task.SettingsOf(s)
			fmt.Fprintf(a.stdout, "CalDAV task list %s connected for %s (stream %s): polled every %d min, names to the CRM %t; a re-sync is queued\n",
				check.URL, u.Email, s.ID, got.PollMinutes, got.SubjectTemplate)
			if wait <= 0 {
				return nil
			}
			return a.waitRun(ctx, s, started, wait)
		},
	}
	userFlags(connect)
	connect.Flags().StringVar(&url, "url", "", "the task list collection, e.g. https://dav.example.com/ann/tasks/")
	connect.Flags().StringVar(&username, "username", "", "the CalDAV login (the password comes from "+envCalDAVPassword+")")
	connect.Flags().BoolVar(&subject, "subject-template", false, "the activity template uses {{activity_subject}}: names go to the CRM (SPEC T7)")
	connect.Flags().IntVar(&poll, "poll", 0, "minutes between polls (default 2)")
	connect.Flags().DurationVar(&wait, "wait", 0, "follow the re-sync's progress for up to this long")

	status := &cobra.Command{
		Use: "status --user EMAIL", Short: "Show the user's CalDAV task list sync and its latest run", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withDB(ctx, func(st store.Store) error {
				return st.Read(ctx, func(tx store.Tx) error {
					u, err := findUser(ctx, tx, org, user)
					if err != nil {
						return fmt.Errorf("task caldav status: %w", err)
					}
					s, conn, found, err := task.CalDAVStream(ctx, tx, u.OrgID, u.ID)
					if err != nil {
						return err
					}
					if !found {
						fmt.Fprintf(a.stdout, "%s has no CalDAV task list connected\n", u.Email)
						return nil
					}
					set := task.CalDAVSettingsOf(s, conn)
					fmt.Fprintf(a.stdout, "%s: %s as %q, enabled %t, poll every %d min, names to the CRM %t, stream %s\n",
						u.Email, set.URL, set.Username, set.Enabled, set.PollMinutes, set.SubjectTemplate, s.ID)
					runs, err := tx.ListRuns(ctx, s.ID, 1)
					if err != nil || len(runs) == 0 {
						return err
					}
					r := runs[0]
					fmt.Fprintf(a.stdout, "last run %s (%s): %s, %d/%d, pulled %d, created %d, updated %d, deleted %d\n",
						r.ID, r.Started.Format(time.RFC3339), r.Status, r.Done, r.Total,
						r.Counts.Pulled, r.Counts.Created, r.Counts.Updated, r.Counts.Deleted)
					return nil
				})
			})
		},
	}
	userFlags(status)

	disconnect := &cobra.Command{
		Use: "disconnect --user EMAIL", Short: "End the user's CalDAV task list sync and forget its login; the tasks stay", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var u store.User
			var found bool
			err := a.withDB(ctx, func(st store.Store) error {
				return st.InTx(ctx, func(tx store.Tx) error {
					var err error
					if u, err = findUser(ctx, tx, org, user); err != nil {
						return err
					}
					if found, err = task.DeleteCalDAV(ctx, tx, u); err != nil || !found {
						return err
					}
					return cliAudit(ctx, tx, u.OrgID, "task.caldav.disconnect", u.ID, nil)
				})
			})
			if err != nil {
				return fmt.Errorf("task caldav disconnect: %w", err)
			}
			if !found {
				return fmt.Errorf("task caldav disconnect: %s has no CalDAV task list connected", u.Email)
			}
			fmt.Fprintf(a.stdout, "CalDAV task list sync ended for %s; the tasks stay in the CRM and in the list\n", u.Email)
			return nil
		},
	}
	userFlags(disconnect)
	cmd.AddCommand(connect, status, disconnect)
	return cmd
}
