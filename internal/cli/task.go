package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/task"
)

// taskCmd is "crmsync task": a user's reminder tasks from the command line
// (SPEC T1, T4, T6), the same list the API and the CRM sync work on.
func (a *app) taskCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task",
		Short: "Manage a user's reminder tasks",
		Long: `task adds, lists, edits, completes and deletes a user's reminder tasks: the
hub's own task list, which syncs with CRM Tasks when task sync is on.

--user takes the user's email or id; --org, an org id or name, is needed
only when the email exists in several orgs. A task's status is Open or
Complete, its priority Normal or High, its due date YYYY-MM-DD.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.taskAddCmd(), a.taskListCmd(), a.taskDoneCmd(), a.taskEditCmd(), a.taskRmCmd(), a.taskSyncCmd(), a.taskCalDAVCmd())
	return cmd
}

// taskFields are the flags that set a task's values.
type taskFields struct {
	name, status, priority, due, details string
}

// add registers the value flags on cmd; withStatus adds --status.
func (f *taskFields) add(cmd *cobra.Command, withStatus bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.name, "name", "", "what is to be done")
	fs.StringVar(&f.due, "due", "", "the due date, YYYY-MM-DD (empty: none)")
	fs.StringVar(&f.priority, "priority", "", "Normal or High")
	fs.StringVar(&f.details, "details", "", "more about the task")
	if withStatus {
		fs.StringVar(&f.status, "status", "", "Open or Complete")
	}
}

// apply copies the flags the user set onto h.
func (f *taskFields) apply(cmd *cobra.Command, h *store.HubTask) {
	set := cmd.Flags().Changed
	if set("name") {
		h.Name = strings.TrimSpace(f.name)
	}
	if set("due") {
		h.Due = strings.TrimSpace(f.due)
	}
	if set("priority") {
		h.Priority = canonical(f.priority, store.HubTaskNormal, store.HubTaskHigh)
	}
	if set("details") {
		h.Details = f.details
	}
	if set("status") {
		h.Status = canonical(f.status, store.HubTaskOpen, store.HubTaskComplete)
	}
}

// canonical spells v as the one of choices it matches regardless of case,
// or leaves it for the store to refuse.
func canonical(v string, choices ...string) string {
	v = strings.TrimSpace(v)
	for _, c := range choices {
		if strings.EqualFold(v, c) {
			return c
		}
	}
	return v
}

// taskErr words a task command's failure; a refused value names its flag.
func taskErr(op string, err error) error {
	var ie *store.InvalidError
	if errors.As(err, &ie) {
		return fmt.Errorf("%s: --%s: %s", op, strings.ReplaceAll(ie.Field, "_", "-"), ie.Reason)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (a *app) taskAddCmd() *cobra.Command {
	var user, org string
	var f taskFields
	cmd := &cobra.Command{
		Use:   "add --user EMAIL --name NAME [--due YYYY-MM-DD] [--priority High] [--details TEXT]",
		Short: "Add a task to a user's list and print it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var h store.HubTask
			var u store.User
			err := a.withDB(ctx, func(s store.Store) error {
				return s.InTx(ctx, func(tx store.Tx) error {
					var err error
					if u, err = findUser(ctx, tx, org, user); err != nil {
						return err
					}
					h = store.HubTask{OrgID: u.OrgID, UserID: u.ID}
					f.apply(cmd, &h)
					return tx.CreateHubTask(ctx, &h)
				})
			})
			if err != nil {
				return taskErr("task add", err)
			}
			fmt.Fprintf(a.stderr, "added task %s for %s\n", h.ID, u.Email)
			return printTasks(a.stdout, []store.HubTask{h})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user's email or id (required)")
	cmd.Flags().StringVar(&org, "org", "", "org id or name, when the email exists in several orgs")
	f.add(cmd, false)
	_ = cmd.MarkFlagRequired("user")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (a *app) taskListCmd() *cobra.Command {
	var user, org, status string
	var today bool
	cmd := &cobra.Command{
		Use:   "list --user EMAIL [--today] [--status Open|Complete]",
		Short: "List a user's tasks, or with --today their command center",
		Long: `task list prints a user's tasks by due date, undated last. With --today it
prints the command center instead: the tasks due today and tomorrow in the
user's time zone (else the org's).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if status != "" {
				status = canonical(status, store.HubTaskOpen, store.HubTaskComplete)
				if status != store.HubTaskOpen && status != store.HubTaskComplete {
					return fmt.Errorf("task list: --status: %q; want %s or %s", status, store.HubTaskOpen, store.HubTaskComplete)
				}
			}
			var hs []store.HubTask
			var cc task.CommandCenter
			err := a.withDB(ctx, func(s store.Store) error {
				return s.Read(ctx, func(tx store.Tx) error {
					u, err := findUser(ctx, tx, org, user)
					if err != nil {
						return err
					}
					if !today {
						hs, err = tx.ListHubTasks(ctx, store.HubTaskFilter{OrgID: u.OrgID, UserID: u.ID, Status: status})
						return err
					}
					o, err := tx.GetOrg(ctx, u.OrgID)
					if err != nil {
						return err
					}
					cc, err = task.LoadCommandCenter(ctx, tx, o, u, a.clock(), status)
					hs = cc.Tasks
					return err
				})
			})
			if err != nil {
				return taskErr("task list", err)
			}
			if today {
				fmt.Fprintf(a.stderr, "due today (%s) and tomorrow (%s), %s:\n", cc.Today, cc.Tomorrow, cc.Zone)
			}
			return printTasks(a.stdout, hs)
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user's email or id (required)")
	cmd.Flags().StringVar(&org, "org", "", "org id or name, when the email exists in several orgs")
	cmd.Flags().BoolVar(&today, "today", false, "only the tasks due today and tomorrow in the user's time zone")
	cmd.Flags().StringVar(&status, "status", "", "only tasks of this status: Open or Complete")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func (a *app) taskDoneCmd() *cobra.Command {
	var user, org string
	cmd := &cobra.Command{
		Use:   "done ID --user EMAIL",
		Short: "Mark a task Complete",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.editTask(cmd, "task done", org, user, args[0], func(h *store.HubTask) {
				h.Status = store.HubTaskComplete
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the task's user, email or id (required)")
	cmd.Flags().StringVar(&org, "org", "", "org id or name, when the email exists in several orgs")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func (a *app) taskEditCmd() *cobra.Command {
	var user, org string
	var f taskFields
	cmd := &cobra.Command{
		Use:   "edit ID [--user EMAIL] [--name NAME] [--due YYYY-MM-DD] [--priority P] [--status S] [--details TEXT]",
		Short: "Change a task's values; --due '' clears the due date",
		Long: `task edit sets the values of the flags given and keeps the others. Without
--user, the task is looked up among all the users of the org (or of every
org).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.editTask(cmd, "task edit", org, user, args[0], func(h *store.HubTask) { f.apply(cmd, h) })
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the task's user, email or id")
	cmd.Flags().StringVar(&org, "org", "", "org id or name")
	f.add(cmd, true)
	return cmd
}

func (a *app) taskRmCmd() *cobra.Command {
	var user, org string
	cmd := &cobra.Command{
		Use:   "rm ID [--user EMAIL]",
		Short: "Delete a task (with task sync on, from the CRM too)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var h store.HubTask
			err := a.withDB(ctx, func(s store.Store) error {
				return s.InTx(ctx, func(tx store.Tx) error {
					var err error
					if h, err = findTask(ctx, tx, org, user, args[0]); err != nil {
						return err
					}
					return tx.DeleteHubTask(ctx, h.OrgID, h.UserID, h.ID)
				})
			})
			if err != nil {
				return taskErr("task rm", err)
			}
			fmt.Fprintf(a.stderr, "deleted task %s %q\n", h.ID, h.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the task's user, email or id")
	cmd.Flags().StringVar(&org, "org", "", "org id or name")
	return cmd
}

// editTask finds a task, lets edit change it and writes it back, then
// prints it. An edit that changes nothing writes nothing.
func (a *app) editTask(cmd *cobra.Command, op, org, user, id string, edit func(h *store.HubTask)) error {
	ctx := cmd.Context()
	var h store.HubTask
	err := a.withDB(ctx, func(s store.Store) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			var err error
			if h, err = findTask(ctx, tx, org, user, id); err != nil {
				return err
			}
			old := h
			edit(&h)
			if h == old {
				return nil
			}
			h.Modified = time.Time{} // the store's clock
			return tx.UpdateHubTask(ctx, h)
		})
	})
	if err != nil {
		return taskErr(op, err)
	}
	return printTasks(a.stdout, []store.HubTask{h})
}

// findTask finds a live task by id: the user's when userRef names one,
// else among every user of the org orgRef names (every org when empty).
func findTask(ctx context.Context, tx store.Tx, orgRef, userRef, id string) (store.HubTask, error) {
	if userRef != "" {
		u, err := findUser(ctx, tx, orgRef, userRef)
		if err != nil {
			return store.HubTask{}, err
		}
		h, err := tx.GetHubTask(ctx, u.OrgID, u.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return store.HubTask{}, fmt.Errorf("%s has no task %q", u.Email, id)
		}
		return h, err
	}
	var orgs []store.Org
	if orgRef != "" {
		o, err := findOrg(ctx, tx, orgRef)
		if err != nil {
			return store.HubTask{}, err
		}
		orgs = []store.Org{o}
	} else {
		var err error
		if orgs, err = tx.ListOrgs(ctx); err != nil {
			return store.HubTask{}, err
		}
	}
	for _, o := range orgs {
		users, err := tx.ListUsers(ctx, o.ID)
		if err != nil {
			return store.HubTask{}, err
		}
		for _, u := range users {
			h, err := tx.GetHubTask(ctx, o.ID, u.ID, id)
			if err == nil || !errors.Is(err, store.ErrNotFound) {
				return h, err
			}
		}
	}
	return store.HubTask{}, fmt.Errorf("no task %q", id)
}

// clock returns the current time by the app's clock.
func (a *app) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// printTasks writes tasks as a table; long names and details are cut.
func printTasks(w io.Writer, hs []store.HubTask) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDUE\tPRIORITY\tSTATUS\tNAME\tDETAILS")
	for _, h := range hs {
		due := h.Due
		if due == "" {
			due = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, due, h.Priority, h.Status, cut(h.Name, 50), cut(h.Details, 40))
	}
	return tw.Flush()
}

// cut shortens s to at most n characters on one line, marking a cut with
// an ellipsis.
func cut(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
