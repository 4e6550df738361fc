package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/internal/admin"
	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/http/server"
	"github.com/crmsync/crmsync/internal/hubdb"
)

// Backend is what serve runs beside the HTTP server: the job queue with its
// workers and schedules, and the sync engine behind it.
type Backend struct {
	// Trigger runs "sync now" for the API. Nil: the endpoint answers 503.
	Trigger api.SyncTrigger
	// Stop stops the backend, waiting for running jobs until ctx ends. Nil
	// when there is nothing to stop.
	Stop func(ctx context.Context) error
}

// BackendEnv is what a backend is started with.
type BackendEnv struct {
	// DB is the open, migrated database: its Store, and the *sql.DB or
	// *pgxpool.Pool River's driver needs.
	DB *hubdb.DB
	// Config is the validated configuration (Workers, ...).
	Config config.Config
	// Logger is the process logger.
	Logger *slog.Logger
	// Registry is exposed on /metrics: register queue and engine metrics
	// here.
	Registry *prometheus.Registry
}

// StartBackend starts the job queue and the engine for serve (and demo).
// It is the seam between the HTTP surface and internal/job.
type StartBackend func(ctx context.Context, env BackendEnv) (Backend, error)

// backendStopTimeout bounds the wait for running jobs on shutdown.
const backendStopTimeout = 30 * time.Second

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the hub: HTTP API, health and metrics, job queue",
		Long: `serve opens the database, applies migrations, starts the job queue and
serves HTTP on --addr (CRMSYNC_ADDR): /api/v1 (JSON, bearer tokens),
/healthz and /metrics. SIGINT or SIGTERM shuts it down gracefully.

CRMSYNC_SECRET_KEY must hold the 32-byte key that encrypts stored
credentials (generate one with: openssl rand -hex 32). Keep it safe: without
it, stored credentials cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			return a.serveHub(cmd.Context(), db, a.startBackend)
		},
	}
}

// serveHub runs the backend and the HTTP server over an open, migrated
// database until ctx ends, then shuts both down: the server first, so no
// new sync is queued, then the backend. demo calls it after seeding.
func (a *app) serveHub(ctx context.Context, db *hubdb.DB, start StartBackend) (err error) {
	reg := server.NewRegistry()
	var backend Backend
	if start != nil {
		backend, err = start(ctx, BackendEnv{DB: db, Config: a.cfg, Logger: a.log, Registry: reg})
		if err != nil {
			return fmt.Errorf("cli: start backend: %w", err)
		}
	} else {
		a.log.LogAttrs(ctx, slog.LevelWarn, "cli: no job queue configured; sync now answers 503")
	}
	if backend.Stop != nil {
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backendStopTimeout)
			defer cancel()
			if serr := backend.Stop(sctx); serr != nil {
				err = errors.Join(err, fmt.Errorf("cli: stop backend: %w", serr))
			}
		}()
	}

	adm, err := newAdminService(db.Store, a.log)
	if err != nil {
		return err
	}
	if backend.Trigger == nil {
		uctx, stopUsers := context.WithCancel(ctx)
		defer stopUsers()
		go runUsersSync(uctx, adm, admin.UsersSyncEvery, a.log)
	}
	contacts, err := newContactService(db.Store, connectors(db.Store, a.log), a.log)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{Store: db.Store, Trigger: backend.Trigger, Logger: a.log, Registry: reg, Admin: adm, Contacts: contacts})
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("cli: listen on %s: %w", a.cfg.Addr, err)
	}
	if a.onListen != nil {
		a.onListen(ln.Addr().String())
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "cli: serving",
		slog.String("addr", ln.Addr().String()),
		slog.String("db", db.Redacted),
		slog.Bool("sync_queue", backend.Trigger != nil))
	return server.Serve(ctx, ln, srv, a.log)
}
