package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/store"
)

// cliActor is the audit log's actor for changes made from the command line,
// which has no user of its own.
const cliActor = "cli"

// defaultOrgName names the org user create makes on a fresh install.
const defaultOrgName = "Default"

func (a *app) orgCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org",
		Short: "Manage orgs (the companies using the hub)",
		Args:  cobra.NoArgs,
	}
	var name, tz string
	create := &cobra.Command{
		Use:   "create --name NAME [--tz ZONE]",
		Short: "Create an org and print its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name = strings.TrimSpace(name)
			if name == "" {
				return errors.New("org create: --name is required")
			}
			if err := checkZone(tz); err != nil {
				return fmt.Errorf("org create: --tz: %w", err)
			}
			o := store.Org{Name: name, TimeZone: tz}
			err := a.withDB(cmd.Context(), func(s store.Store) error {
				return s.InTx(cmd.Context(), func(tx store.Tx) error {
					if err := tx.CreateOrg(cmd.Context(), &o); err != nil {
						return fmt.Errorf("org create: %w", err)
					}
					return cliAudit(cmd.Context(), tx, o.ID, "org.create", o.ID, map[string]string{"name": o.Name})
				})
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "created org %q (time zone %s)\n", o.Name, o.TimeZone)
			fmt.Fprintln(a.stdout, o.ID)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "the org's name (required)")
	create.Flags().StringVar(&tz, "tz", "UTC", "the org's IANA time zone, e.g. Europe/Paris")

	list := &cobra.Command{
		Use:   "list",
		Short: "List orgs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var orgs []store.Org
			err := a.withDB(cmd.Context(), func(s store.Store) error {
				return s.Read(cmd.Context(), func(tx store.Tx) error {
					var err error
					orgs, err = tx.ListOrgs(cmd.Context())
					return err
				})
			})
			if err != nil {
				return fmt.Errorf("org list: %w", err)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tTIME ZONE")
			for _, o := range orgs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", o.ID, o.Name, o.TimeZone)
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

func (a *app) userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage users and print their API tokens",
		Args:  cobra.NoArgs,
	}
	var org, email, name, tz string
	var isAdmin bool
	create := &cobra.Command{
		Use:   "create --email EMAIL [--org ORG] [--name NAME] [--admin] [--tz ZONE]",
		Short: "Create a user and print a fresh API token (shown once)",
		Long: `user create adds a user to an org and prints their first API token on
stdout. The token is shown this once; only its hash is stored.

--org takes an org id or name. Without it, the only org is used; on a fresh
install, an org named "Default" is created first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			role := store.RoleMember
			if isAdmin {
				role = store.RoleAdmin
			}
			var (
				o     store.Org
				u     store.User
				token string
			)
			ctx := cmd.Context()
			err := a.withDB(ctx, func(s store.Store) error {
				return s.InTx(ctx, func(tx store.Tx) error {
					var err error
					if o, err = orgForNewUser(ctx, tx, org); err != nil {
						return err
					}
					if u, err = api.NewUser(o.ID, email, name, role, tz); err != nil {
						return err
					}
					if err := tx.CreateUser(ctx, &u); err != nil {
						if errors.Is(err, store.ErrConflict) {
							return fmt.Errorf("user %s already exists in org %q; use crmsync token create --user %s", u.Email, o.Name, u.Email)
						}
						return err
					}
					if token, err = api.IssueToken(ctx, tx, u, "cli"); err != nil {
						return err
					}
					return cliAudit(ctx, tx, o.ID, "user.create", u.ID, map[string]string{"email": u.Email, "role": string(u.Role)})
				})
			})
			if err != nil {
				return fmt.Errorf("user create: %w", err)
			}
			a.log.LogAttrs(ctx, slog.LevelDebug, "cli: user created",
				slog.String("org", o.ID), slog.String("user", u.ID), slog.String("role", string(u.Role)))
			fmt.Fprintf(a.stderr, "created %s %s (id %s) in org %q; API token (shown once):\n", u.Role, u.Email, u.ID, o.Name)
			fmt.Fprintln(a.stdout, token)
			return nil
		},
	}
	create.Flags().StringVar(&org, "org", "", "org id or name (default: the only org, created if none)")
	create.Flags().StringVar(&email, "email", "", "the user's email address (required)")
	create.Flags().StringVar(&name, "name", "", "the user's name (default: the email's local part)")
	create.Flags().BoolVar(&isAdmin, "admin", false, "make the user an admin of the org")
	create.Flags().StringVar(&tz, "tz", "", "the user's IANA time zone (default: the org's)")
	_ = create.MarkFlagRequired("email")

	var listOrg string
	list := &cobra.Command{
		Use:   "list [--org ORG]",
		Short: "List an org's users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var users []store.User
			err := a.withDB(ctx, func(s store.Store) error {
				return s.Read(ctx, func(tx store.Tx) error {
					o, err := findOrg(ctx, tx, listOrg)
					if err != nil {
						return err
					}
					users, err = tx.ListUsers(ctx, o.ID)
					return err
				})
			})
			if err != nil {
				return fmt.Errorf("user list: %w", err)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tDISABLED")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\n", u.ID, u.Email, u.Name, u.Role, u.Disabled)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&listOrg, "org", "", "org id or name (default: the only org)")
	cmd.AddCommand(create, list)
	return cmd
}

func (a *app) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens",
		Args:  cobra.NoArgs,
	}
	var user, org, name string
	create := &cobra.Command{
		Use:   "create --user EMAIL|ID [--org ORG] [--name NAME]",
		Short: "Issue a new API token for a user and print it (shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var (
				u     store.User
				token string
			)
			err := a.withDB(ctx, func(s store.Store) error {
				return s.InTx(ctx, func(tx store.Tx) error {
					var err error
					if u, err = findUser(ctx, tx, org, user); err != nil {
						return err
					}
					if u.Disabled {
						return fmt.Errorf("user %s is disabled", u.Email)
					}
					if token, err = api.IssueToken(ctx, tx, u, name); err != nil {
						return err
					}
					return cliAudit(ctx, tx, u.OrgID, "token.create", u.ID, map[string]string{"name": name})
				})
			})
			if err != nil {
				return fmt.Errorf("token create: %w", err)
			}
			a.log.LogAttrs(ctx, slog.LevelDebug, "cli: token created", slog.String("user", u.ID))
			fmt.Fprintf(a.stderr, "API token for %s (shown once):\n", u.Email)
			fmt.Fprintln(a.stdout, token)
			return nil
		},
	}
	create.Flags().StringVar(&user, "user", "", "the user's email or id (required)")
	create.Flags().StringVar(&org, "org", "", "org id or name, when the email exists in several orgs")
	create.Flags().StringVar(&name, "name", "cli", "a label for the token")
	_ = create.MarkFlagRequired("user")
	cmd.AddCommand(create)
	return cmd
}

// withDB opens the database for one command and closes it after fn.
func (a *app) withDB(ctx context.Context, fn func(store.Store) error) error {
	db, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	return errors.Join(fn(db.Store), db.Close())
}

// orgForNewUser finds the org named by ref (id or name); when ref is empty
// it uses the only org, creating a default one on a fresh install.
func orgForNewUser(ctx context.Context, tx store.Tx, ref string) (store.Org, error) {
	if ref != "" {
		return findOrg(ctx, tx, ref)
	}
	orgs, err := tx.ListOrgs(ctx)
	if err != nil {
		return store.Org{}, err
	}
	if len(orgs) == 0 {
		o := store.Org{Name: defaultOrgName, TimeZone: "UTC"}
		if err := tx.CreateOrg(ctx, &o); err != nil {
			return store.Org{}, err
		}
		return o, cliAudit(ctx, tx, o.ID, "org.create", o.ID, map[string]string{"name": o.Name})
	}
	return findOrg(ctx, tx, "")
}

// findOrg resolves an org by id or exact name; empty ref means the only org.
func findOrg(ctx context.Context, tx store.Tx, ref string) (store.Org, error) {
	if ref != "" {
		o, err := tx.GetOrg(ctx, ref)
		if err == nil {
			return o, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Org{}, err
		}
	}
	orgs, err := tx.ListOrgs(ctx)
	if err != nil {
		return store.Org{}, err
	}
	if ref == "" {
		switch len(orgs) {
		case 0:
			return store.Org{}, errors.New("no org exists yet; create one with: crmsync org create --name NAME")
		case 1:
			return orgs[0], nil
		}
		return store.Org{}, fmt.Errorf("%d orgs exist; pass --org (one of: %s)", len(orgs), orgNames(orgs))
	}
	var match []store.Org
	for _, o := range orgs {
		if o.Name == ref {
			match = append(match, o)
		}
	}
	switch len(match) {
	case 0:
		return store.Org{}, fmt.Errorf("no org %q; create it with: crmsync org create --name %q", ref, ref)
	case 1:
		return match[0], nil
	}
	return store.Org{}, fmt.Errorf("%d orgs are named %q; pass --org with an id", len(match), ref)
}

// findUser resolves a user by id or email, in the org named by orgRef or in
// any org when it is empty.
func findUser(ctx context.Context, tx store.Tx, orgRef, ref string) (store.User, error) {
	var orgs []store.Org
	if orgRef != "" {
		o, err := findOrg(ctx, tx, orgRef)
		if err != nil {
			return store.User{}, err
		}
		orgs = []store.Org{o}
	} else {
		var err error
		if orgs, err = tx.ListOrgs(ctx); err != nil {
			return store.User{}, err
		}
	}
	var match []store.User
	for _, o := range orgs {
		u, err := tx.GetUser(ctx, o.ID, ref)
		if errors.Is(err, store.ErrNotFound) {
			u, err = tx.GetUserByEmail(ctx, o.ID, strings.ToLower(strings.TrimSpace(ref)))
		}
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return store.User{}, err
		}
		match = append(match, u)
	}
	switch len(match) {
	case 0:
		return store.User{}, fmt.Errorf("no user %q", ref)
	case 1:
		return match[0], nil
	}
	return store.User{}, fmt.Errorf("user %q exists in %d orgs; pass --org", ref, len(match))
}

func orgNames(orgs []store.Org) string {
	names := make([]string, len(orgs))
	for i, o := range orgs {
		names[i] = fmt.Sprintf("%q", o.Name)
	}
	return strings.Join(names, ", ")
}

// cliAudit records an administrative change made from the command line
// (SPEC A7).
func cliAudit(ctx context.Context, tx store.Tx, orgID, action, target string, detail map[string]string) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("cli: audit %s: %w", action, err)
	}
	return tx.AddAudit(ctx, &store.Audit{OrgID: orgID, ActorID: cliActor, Action: action, Target: target, Detail: d})
}

func checkZone(tz string) error {
	if tz == "" {
		return nil
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("%q is not an IANA time zone name", tz)
	}
	return nil
}
