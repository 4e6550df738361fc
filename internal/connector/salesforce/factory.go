package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// StoreFactory returns the factory of Salesforce connections kept in s: as
// Factory, and when the org rotates a refresh token, the new one is written
// to the connection's credentials (which s encrypts) at once, so that a
// restarted hub logs in with it instead of the spent one. log receives the
// connectors' logs, tagged with the connection; nil discards them.
func StoreFactory(s store.Store, log *slog.Logger) func(context.Context, store.Connection) (connector.Connector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(_ context.Context, c store.Connection) (connector.Connector, error) {
		cfg, err := connectionConfig(c)
		if err != nil {
			return nil, err
		}
		cfg.Logger = log.With(slog.String("connection", c.ID))
		orgID, id := c.OrgID, c.ID
		cfg.OnRefreshToken = func(ctx context.Context, token string) error {
			return saveRefreshToken(ctx, s, orgID, id, token)
		}
		conn, err := New(cfg)
		if err != nil {
			return nil, fmt.Errorf("salesforce: connection %s: %w", c.ID, err)
		}
		return conn, nil
	}
}

// saveRefreshToken replaces refresh_token in a connection's credentials,
// keeping every other key as it is.
func saveRefreshToken(ctx context.Context, s store.Store, orgID, id, token string) error {
	err := s.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.GetConnection(ctx, orgID, id)
		if err != nil {
			return err
		}
		creds := map[string]any{}
		if len(c.Credentials) > 0 {
			if err := json.Unmarshal(c.Credentials, &creds); err != nil {
				return fmt.Errorf("credentials are not valid JSON")
			}
		}
		creds["refresh_token"] = token
		c.Updated = time.Time{} // the store stamps the change
		if c.Credentials, err = json.Marshal(creds); err != nil {
			return err
		}
		return tx.UpdateConnection(ctx, c)
	})
	if err != nil {
		return fmt.Errorf("salesforce: connection %s: save refresh token: %w", id, err)
	}
	return nil
}
