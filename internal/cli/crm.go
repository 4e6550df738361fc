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

	"github.com/crmsync/crmsync/internal/admin"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/store"
)

// newAdminService is CRM sync administration over s, reaching the CRM
// through the Salesforce connector.
func newAdminService(s store.Store, log *slog.Logger) (*admin.Service, error) {
	factory := salesforce.StoreFactory(s, log)
	return admin.New(admin.Config{Store: s, Definitions: definitions(), System: salesforce.SystemName,
		OAuth: func(base, id, secret, redirect string) (admin.OAuthFlow, error) {
			return salesforce.NewWebFlow(base, id, secret, redirect, nil)
		},
		Dial: func(ctx context.Context, c store.Connection) (admin.CRM, error) {
			conn, err := factory(ctx, c)
			if err != nil {
				return nil, err
			}
			crm, ok := conn.(admin.CRM)
			if !ok {
				return nil, fmt.Errorf("connection %s: the connector cannot administer CRM sync", c.ID)
			}
			return crm, nil
		}})
}

// runUsersSync runs the users sync of every connected org every period
// until ctx ends: serve's fallback when it runs without a job queue (with
// one, the queue's leader schedules admin.UsersSyncArgs instead).
func runUsersSync(ctx context.Context, svc *admin.Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, _ = svc.SyncAllUsers(ctx, log) // each failure is logged
	}
}

// Environment variables holding the CRM's secrets for crm connect, which
// never takes secrets as flags (they would show in the process list).
const (
	envCRMClientSecret = "CRMSYNC_CRM_CLIENT_SECRET"
	envCRMPassword     = "CRMSYNC_CRM_PASSWORD"
	envCRMRefreshToken = "CRMSYNC_CRM_REFRESH_TOKEN"
)

func (a *app) crmCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "crm",
		Short: "Administer CRM sync: connect the org, seats, per-user sync, saved lists",
		Long: `crm administers the org's CRM sync (Salesforce). Every change is written to
the org's audit log. Secrets come from the environment only:
` + envCRMClientSecret + `, and ` + envCRMPassword + ` or ` + envCRMRefreshToken + `.`,
		Args: cobra.NoArgs,
	}
	var org string
	cmd.PersistentFlags().StringVar(&org, "org", "", "org id or name (default: the only org)")
	actor := func(ctx context.Context, s store.Store) (admin.Actor, error) {
		var o store.Org
		err := s.Read(ctx, func(tx store.Tx) (err error) { o, err = findOrg(ctx, tx, org); return err })
		return admin.Actor{OrgID: o.ID, UserID: cliActor}, err
	}
	// with runs fn with the admin service and the org's actor.
	with := func(ctx context.Context, fn func(*admin.Service, admin.Actor) error) error {
		return a.withDB(ctx, func(s store.Store) error {
			svc, err := newAdminService(s, a.log)
			if err != nil {
				return err
			}
			act, err := actor(ctx, s)
			if err != nil {
				return err
			}
			return fn(svc, act)
		})
	}
	printJSON := func(v any) error {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}

	var baseURL, clientID, username string
	var erase bool
	connect := &cobra.Command{
		Use:   "connect --url URL --client-id ID [--username NAME] [--erase]",
		Short: "Connect the org to the CRM (SPEC A4); --erase drops the CRM data imported before",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if baseURL == "" || clientID == "" {
				return errors.New("crm connect: --url and --client-id are required")
			}
			env := func(k string) string { v, _ := a.lookupEnv(k); return v }
			creds := salesforce.ConnectionCredentials{ClientID: clientID, ClientSecret: env(envCRMClientSecret),
				Username: username, Password: env(envCRMPassword), RefreshToken: env(envCRMRefreshToken)}
			if creds.RefreshToken == "" && (username == "" || creds.Password == "") {
				return fmt.Errorf("crm connect: give --username with %s, or %s", envCRMPassword, envCRMRefreshToken)
			}
			rawCreds, _ := json.Marshal(creds)
			rawCfg, _ := json.Marshal(salesforce.ConnectionConfig{BaseURL: baseURL})
			return with(cmd.Context(), func(svc *admin.Service, act admin.Actor) error {
				st, err := svc.Connect(cmd.Context(), act, admin.ConnectRequest{Config: rawCfg, Credentials: rawCreds, Erase: erase})
				if err != nil {
					return fmt.Errorf("crm connect: %w", err)
				}
				return printJSON(st)
			})
		},
	}
	connect.Flags().StringVar(&baseURL, "url", "", "the CRM's base URL, e.g. https://login.salesforce.com or a sandbox's")
	connect.Flags().StringVar(&clientID, "client-id", "", "the connected app's client id")
	connect.Flags().StringVar(&username, "username", "", "the integration user (password flow)")
	connect.Flags().BoolVar(&erase, "erase", false, "erase all previously imported CRM data (hub-native data stays)")

	var disconnectErase bool
	disconnect := &cobra.Command{
		Use:   "disconnect [--erase]",
		Short: "Disconnect the org from the CRM (SPEC A5); --erase drops the imported CRM data",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return with(cmd.Context(), func(svc *admin.Service, act admin.Actor) error {
				if err := svc.Disconnect(cmd.Context(), act, disconnectErase); err != nil {
					return fmt.Errorf("crm disconnect: %w", err)
				}
				fmt.Fprintln(a.stdout, "disconnected; streams using the CRM are stopped until the next crm connect")
				return nil
			})
		},
	}
	disconnect.Flags().BoolVar(&disconnectErase, "erase", false, "erase all previously imported CRM data")

	simple := func(use, short string, fn func(context.Context, *admin.Service, admin.Actor) (any, error)) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			return with(cmd.Context(), func(svc *admin.Service, act admin.Actor) error {
				v, err := fn(cmd.Context(), svc, act)
				if err != nil {
					return fmt.Errorf("crm %s: %w", strings.Fields(use)[0], err)
				}
				return printJSON(v)
			})
		}}
	}
	status := simple("status", "Show the org's CRM connection", func(ctx context.Context, svc *admin.Service, act admin.Actor) (any, error) {
		return svc.Status(ctx, act.OrgID)
	})
	eraseCmd := simple("erase", "Erase the CRM data imported so far; hub-native data stays", func(ctx context.Context, svc *admin.Service, act admin.Actor) (any, error) {
		if err := svc.Erase(ctx, act); err != nil {
			return nil, err
		}
		return svc.Status(ctx, act.OrgID)
	})
	validate := simple("validate", "Check every stream's mapping against the CRM's describe", func(ctx context.Context, svc *admin.Service, act admin.Actor) (any, error) {
		problems, err := svc.Validate(ctx, act.OrgID)
		if errors.Is(err, admin.ErrMapping) {
			return map[string]any{"valid": false, "problems": problems}, nil
		}
		return map[string]any{"valid": err == nil, "problems": []string{}}, err
	})
	syncUsers := simple("sync", "Read the CRM's users now: revoke seats of deactivated users, refresh saved lists", func(ctx context.Context, svc *admin.Service, act admin.Actor) (any, error) {
		return svc.SyncUsers(ctx, act.OrgID)
	})
	users := &cobra.Command{
		Use: "users", Short: "List the CRM's users, from which seats are granted (SPEC A2)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return with(cmd.Context(), func(svc *admin.Service, act admin.Actor) error {
				us, err := svc.CRMUsers(cmd.Context(), act.OrgID)
				if err != nil {
					return fmt.Errorf("crm users: %w", err)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tNAME\tPROFILE\tACTIVE")
				for _, u := range us {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\n", u.ID, u.Username, u.Email, u.Name, u.Profile, u.Active)
				}
				return tw.Flush()
			})
		},
	}
	// userArg resolves a hub user (id or email) of the org.
	userArg := func(ctx context.Context, ref string) (string, error) {
		var id string
		err := a.withDB(ctx, func(s store.Store) error {
			return s.Read(ctx, func(tx store.Tx) error {
				u, err := findUser(ctx, tx, org, ref)
				id = u.ID
				return err
			})
		})
		return id, err
	}
	userCmd := func(use, short string, fn func(context.Context, *admin.Service, admin.Actor, string, []string) (store.User, error), nargs int) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(nargs), RunE: func(cmd *cobra.Command, args []string) error {
			id, err := userArg(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("crm %s: %w", strings.Fields(use)[0], err)
			}
			return with(cmd.Context(), func(svc *admin.Service, act admin.Actor) error {
				u, err := fn(cmd.Context(), svc, act, id, args[1:])
				if err != nil {
					return fmt.Errorf("crm %s: %w", strings.Fields(use)[0], err)
				}
				fmt.Fprintf(a.stdout, "%s: seat %q, CRM sync enabled %t\n", u.Email, u.CRMUserID, u.SyncEnabled)
				return nil
			})
		}}
	}
	seat := &cobra.Command{Use: "seat", Short: "Grant or revoke a user's CRM seat (SPEC A2)", Args: cobra.NoArgs}
	seat.AddCommand(
		userCmd("grant USER CRM_USER", "Give USER (id or email) the seat of CRM_USER (id or username)",
			func(ctx context.Context, svc *admin.Service, act admin.Actor, id string, rest []string) (store.User, error) {
				return svc.GrantSeat(ctx, act, id, rest[0])
			}, 2),
		userCmd("revoke USER", "Take USER's seat away; their CRM sync stops",
			func(ctx context.Context, svc *admin.Service, act admin.Actor, id string, _ []string) (store.User, error) {
				return svc.RevokeSeat(ctx, act, id)
			}, 1),
	)
	enable := userCmd("enable USER", "Enable USER's CRM sync (SPEC A6)",
		func(ctx context.Context, svc *admin.Service, act admin.Actor, id string, _ []string) (store.User, error) {
			return svc.SetUserSync(ctx, act, id, true)
		}, 1)
	disable := userCmd("disable USER", "Pause USER's CRM sync, losing nothing (SPEC A6)",
		func(ctx context.Context, svc *admin.Service, act admin.Actor, id string, _ []string) (store.User, error) {
			return svc.SetUserSync(ctx, act, id, false)
		}, 1)
	saved := &cobra.Command{
		Use: "saved USER", Short: "Show USER's saved leads and accounts (SPEC A3)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := userArg(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("crm saved: %w", err)
			}
			return with(cmd.Context(), func(svc *admin.Service, act admin.Actor) error {
				lists, err := svc.Saved(cmd.Context(), act.OrgID, id)
				if err != nil {
					return fmt.Errorf("crm saved: %w", err)
				}
				return printJSON(lists)
			})
		},
	}
	cmd.AddCommand(connect, disconnect, status, eraseCmd, validate, syncUsers, users, seat, enable, disable, saved)
	return cmd
}
