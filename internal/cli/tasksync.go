package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
)

// taskSyncCmd is `task sync`: a user's reminder-task sync settings (SPEC
// T1, T6, T7) and the progress of the re-sync that saving them starts (T8).
func (a *app) taskSyncCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Turn a user's task sync with the CRM on or off, and watch it",
		Long: `sync enables or disables the two-way sync of a user's hub tasks with their CRM
Tasks (the org must be connected to the CRM: crmsync crm connect). Saving
the settings starts a re-sync, which a running crmsync serve carries out;
--wait follows its progress (a bar on a terminal) until it ends.`,
		Args: cobra.NoArgs,
	}
	var user, org string
	var subject bool
	var poll int
	var wait time.Duration
	save := func(enabled bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var s store.Stream
			var u store.User
			started := time.Now().UTC().Add(-time.Second)
			err := a.withDB(ctx, func(st store.Store) error {
				return st.InTx(ctx, func(tx store.Tx) error {
					var err error
					if u, err = findUser(ctx, tx, org, user); err != nil {
						return err
					}
					set := task.SyncSettings{Enabled: enabled, SubjectTemplate: subject, PollMinutes: poll}
					if !cmd.Flags().Changed("subject-template") || !cmd.Flags().Changed("poll") {
						if old, found, err := task.UserStream(ctx, tx, u.OrgID, u.ID); err == nil && found {
							prev := task.SettingsOf(old)
							if !cmd.Flags().Changed("subject-template") {
								set.SubjectTemplate = prev.SubjectTemplate
							}
							if !cmd.Flags().Changed("poll") {
								set.PollMinutes = prev.PollMinutes
							}
						}
					}
					if s, err = task.SaveSettings(ctx, tx, u, set, time.Now().UTC()); err != nil {
						return err
					}
					return cliAudit(ctx, tx, u.OrgID, "task.sync.save", u.ID, map[string]string{"enabled": fmt.Sprint(enabled)})
				})
			})
			if err != nil {
				return fmt.Errorf("task sync: %w", err)
			}
			if !enabled {
				fmt.Fprintf(a.stdout, "task sync off for %s; their hub tasks stay as they are\n", u.Email)
				return nil
			}
			set := task.SettingsOf(s)
			fmt.Fprintf(a.stdout, "task sync on for %s (stream %s): CRM polled every %d min, names to the CRM %t; a re-sync is queued\n",
				u.Email, s.ID, set.PollMinutes, set.SubjectTemplate)
			if wait <= 0 {
				return nil
			}
			return a.waitRun(ctx, s, started, wait)
		}
	}
	for _, c := range []*cobra.Command{
		{Use: "enable --user EMAIL [--subject-template] [--poll MINUTES] [--wait 5m]", Short: "Turn task sync on (or save its settings) and start a re-sync", Args: cobra.NoArgs, RunE: save(true)},
		{Use: "disable --user EMAIL", Short: "Turn task sync off", Args: cobra.NoArgs, RunE: save(false)},
	} {
		c.Flags().StringVar(&user, "user", "", "the user, email or id (required)")
		c.Flags().StringVar(&org, "org", "", "org id or name, when the email exists in several orgs")
		_ = c.MarkFlagRequired("user")
		cmd.AddCommand(c)
	}
	enable := cmd.Commands()[0]
	if enable.Name() != "enable" {
		enable = cmd.Commands()[1]
	}
	enable.Flags().BoolVar(&subject, "subject-template", false, "the activity template uses {{activity_subject}}: names go to the CRM (SPEC T7)")
	enable.Flags().IntVar(&poll, "poll", 0, "minutes between polls of the CRM (default 2)")
	enable.Flags().DurationVar(&wait, "wait", 0, "follow the re-sync's progress for up to this long")

	status := &cobra.Command{
		Use: "status --user EMAIL", Short: "Show a user's task sync settings and its latest run", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withDB(ctx, func(st store.Store) error {
				return st.Read(ctx, func(tx store.Tx) error {
					u, err := findUser(ctx, tx, org, user)
					if err != nil {
						return fmt.Errorf("task sync status: %w", err)
					}
					s, found, err := task.UserStream(ctx, tx, u.OrgID, u.ID)
					if err != nil {
						return err
					}
					if !found {
						fmt.Fprintf(a.stdout, "task sync was never enabled for %s\n", u.Email)
						return nil
					}
					set := task.SettingsOf(s)
					fmt.Fprintf(a.stdout, "%s: enabled %t, poll every %d min, names to the CRM %t, stream %s\n",
						u.Email, set.Enabled, set.PollMinutes, set.SubjectTemplate, s.ID)
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
	status.Flags().StringVar(&user, "user", "", "the user, email or id (required)")
	status.Flags().StringVar(&org, "org", "", "org id or name, when the email exists in several orgs")
	_ = status.MarkFlagRequired("user")
	cmd.AddCommand(status)
	return cmd
}

// waitRun follows the first run of s that starts after since until it ends
// or limit passes, drawing its progress (SPEC T8).
func (a *app) waitRun(ctx context.Context, s store.Stream, since time.Time, limit time.Duration) error {
	bar := progressBar{w: a.stdout, tty: isTerminal(a.stdout)}
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var run store.Run
		var found bool
		err := a.withDB(ctx, func(st store.Store) error {
			return st.Read(ctx, func(tx store.Tx) error {
				runs, err := tx.ListRuns(ctx, s.ID, 1)
				if err == nil && len(runs) > 0 && !runs[0].Started.Before(since) {
					run, found = runs[0], true
				}
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("task sync: %w", err)
		}
		if found {
			bar.draw(run.Done, run.Total)
			switch run.Status {
			case store.RunSucceeded:
				bar.end()
				fmt.Fprintf(a.stdout, "re-sync done: pulled %d, created %d, updated %d, deleted %d, %d conflicts, %d quarantined\n",
					run.Counts.Pulled, run.Counts.Created, run.Counts.Updated, run.Counts.Deleted, run.Counts.Conflicts, run.Counts.Quarantined)
				return nil
			case store.RunFailed, store.RunPaused:
				bar.end()
				return fmt.Errorf("task sync: the re-sync %s: %s", run.Status, run.Error)
			}
		}
		if time.Now().After(deadline) {
			bar.end()
			if !found {
				return fmt.Errorf("task sync: no run started within %v; is crmsync serve running?", limit)
			}
			return fmt.Errorf("task sync: the re-sync is still running after %v (%d/%d); it goes on", limit, run.Done, run.Total)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// progressBar draws done/total: a bar redrawn in place on a terminal, a
// line per change of whole tenths otherwise.
type progressBar struct {
	w    io.Writer
	tty  bool
	last int64
	any  bool
}

const barWidth = 30

func (p *progressBar) draw(done, total int64) {
	if total <= 0 {
		total = max(done, 1)
	}
	frac := min(float64(done)/float64(total), 1)
	if p.tty {
		n := int(frac * barWidth)
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d %3.0f%%", strings.Repeat("#", n), strings.Repeat(".", barWidth-n), done, total, frac*100)
		p.any = true
		return
	}
	if tenth := int64(frac * 10); !p.any || tenth != p.last {
		fmt.Fprintf(p.w, "progress %d/%d (%.0f%%)\n", done, total, frac*100)
		p.last, p.any = tenth, true
	}
}

func (p *progressBar) end() {
	if p.tty && p.any {
		fmt.Fprintln(p.w)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
