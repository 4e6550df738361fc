package cli

import (
	"log/slog"

	"github.com/spf13/cobra"
)

func (a *app) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Long: `migrate applies the store's embedded migrations to the database named by
--db (CRMSYNC_DB). It is safe to run repeatedly. serve and the admin commands
also migrate on start, so it is only needed to upgrade ahead of a deploy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
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
