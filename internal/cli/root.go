package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/hubdb"
)

// Execute runs the command line with the process's arguments and
// environment and returns the exit code. SIGINT and SIGTERM cancel the
// command's context (serve then shuts down gracefully); a second signal
// kills the process.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // restore default handling: a second signal ends the process
	}()
	a := newApp(os.LookupEnv, os.Stdout, os.Stderr)
	a.setDefaultLogger = true
	return a.run(ctx, os.Args[1:])
}

// run runs the command line args and returns the exit code.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(a.stderr, "crmsync: %v\n", err)
		return 1
	}
	return 0
}

// app is what every subcommand shares: the configuration and the logger,
// set by the root command before a subcommand runs.
type app struct {
	cfg config.Config
	log *slog.Logger

	lookupEnv func(string) (string, bool)
	stdout    io.Writer
	stderr    io.Writer

	// startBackend starts the job queue and the sync engine for serve. It
	// is the seam where internal/job plugs in; nil serves the API alone,
	// and "sync now" answers 503.
	startBackend StartBackend
	// onListen, when set, learns serve's listening address (tests).
	onListen func(addr string)
	// demoActivity is how often demo edits one side by itself; zero means
	// demoActivityEvery (tests lengthen it so the data holds still).
	demoActivity time.Duration
	// setDefaultLogger makes the logger slog's default, for code that logs
	// through slog.Default; off in tests, which run apps side by side.
	setDefaultLogger bool
	// now is the clock of commands that need today's date (task list
	// --today). Nil means time.Now; tests stub it.
	now func() time.Time
}

func newApp(lookupEnv func(string) (string, bool), stdout, stderr io.Writer) *app {
	return &app{
		lookupEnv: lookupEnv,
		stdout:    stdout,
		stderr:    stderr,
		log:       slog.New(slog.DiscardHandler),
		// The job queue and the sync engine (backend.go).
		startBackend: startJobs,
	}
}

// rootCmd builds the command tree. A new subcommand is added here.
func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "crmsync",
		Short: "crmsync keeps a CRM in sync with meetings, tasks and address books",
		Long: `crmsync is a self-hosted CRM integration hub: it keeps Salesforce in two-way
sync with Zoom and GoTo meetings, reminder tasks and mailbox address books.

Every flag below also reads from an environment variable (CRMSYNC_DB for
--db, ...) and from the settings file named by --config. Flags win over the
environment, which wins over the file. The secret key is read from
CRMSYNC_SECRET_KEY only.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.setup(cmd) },
	}
	fs := root.PersistentFlags()
	for _, f := range config.Flags() {
		usage := fmt.Sprintf("%s (env %s)", f.Usage, f.Env)
		fs.Var(&flagValue{text: f.Default, typ: f.Type}, f.Name, usage)
	}
	root.AddCommand(
		a.versionCmd(),
		a.migrateCmd(),
		a.serveCmd(),
		a.demoCmd(),
		a.orgCmd(),
		a.userCmd(),
		a.tokenCmd(),
		a.taskCmd(),
		a.contactsCmd(),
		a.sandboxCmd(),
		a.crmCmd(),
	)
	return root
}

// setup loads and validates the configuration and builds the logger.
func (a *app) setup(cmd *cobra.Command) error {
	flags := map[string]string{}
	known := map[string]bool{}
	for _, f := range config.Flags() {
		known[f.Name] = true
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if known[f.Name] {
			flags[f.Name] = f.Value.String()
		}
	})
	cfg, err := config.Load(config.Sources{LookupEnv: a.lookupEnv, Flags: flags})
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	a.cfg = cfg
	a.log = newLogger(a.stderr, cfg)
	if a.setDefaultLogger {
		slog.SetDefault(a.log)
	}
	a.log.LogAttrs(cmd.Context(), slog.LevelDebug, "cli: configuration loaded",
		slog.String("command", cmd.CommandPath()), slog.Any("config", cfg))
	return nil
}

// newLogger builds the process logger. Config.LogValue redacts secrets, and
// no command logs a token or a key.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Level()}
	if cfg.LogFormat == config.FormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens the configured database and brings its schema up to date.
// Every command that opens the database migrates it, so a fresh install
// needs no separate step.
func (a *app) openDB(ctx context.Context) (*hubdb.DB, error) {
	box, err := a.cfg.Box()
	if err != nil {
		return nil, err
	}
	db, err := hubdb.Open(ctx, a.cfg.DB, box)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// flagValue is a flag holding raw text: config.Load parses it, so that a
// bad value is reported like one from the environment or the file.
type flagValue struct {
	text string
	typ  string
}

func (v *flagValue) String() string     { return v.text }
func (v *flagValue) Set(s string) error { v.text = s; return nil }
func (v *flagValue) Type() string       { return v.typ }
