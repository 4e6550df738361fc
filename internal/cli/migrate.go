package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/crmsync/crmsync/internal/job"

	"github.com/spf13/cobra"
)

func (a *app) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Long: `migrate applies the store's embedded migrations, and the job queue's, to the
database named by --db (CRMSYNC_DB). It is safe to run repeatedly. serve and the admin commands
also migrate on start, so it is only needed to upgrade ahead of a deploy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			// The job queue's tables too, so that several nodes can be
			// upgraded ahead of a deploy.
			idle := job.RunnerFunc(func(context.Context, string, string, string) error {
				return errors.New("cli: migrate runs no syncs")
			})
			q, err := newQueue(db, job.Config{Logger: a.log, Runner: idle, Store: db.Store})
			if err == nil {
				err = q.Migrate(cmd.Context())
			}
			if err != nil {
				db.Close()
				return fmt.Errorf("cli: migrate job queue: %w", err)
			}
			if err := db.Close(); err != nil {
				return err
			}
			a.log.LogAttrs(cmd.Context(), slog.LevelInfo, "cli: database migrated",
				slog.String("kind", db.Kind), slog.String("db", db.Redacted))
			return nil
		},
	}
}
