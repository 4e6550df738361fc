package hubtask

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// SystemName is the system of hub task list connections in the registry.
const SystemName = "hub-tasks"

// ConnectionConfig is the Config JSON of a hub-tasks connection.
type ConnectionConfig struct {
	// UserID names the user, of the connection's org, whose list it is.
	UserID string `json:"user_id"`
}

// Factory returns the registry factory of hub-tasks connections over s:
// each builds the connector of the connection's user (a personal
// connection) or of the user its Config names, after checking that the
// user belongs to the connection's org.
func Factory(s store.Store) func(ctx context.Context, c store.Connection) (connector.Connector, error) {
	return func(ctx context.Context, c store.Connection) (connector.Connector, error) {
		var cfg ConnectionConfig
		if len(c.Config) > 0 {
			if err := json.Unmarshal(c.Config, &cfg); err != nil {
				return nil, fmt.Errorf("hubtask: connection %s: config: %w", c.ID, err)
			}
		}
		if c.UserID != "" {
			if cfg.UserID != "" && cfg.UserID != c.UserID {
				return nil, fmt.Errorf("hubtask: connection %s belongs to user %s but its config names %s", c.ID, c.UserID, cfg.UserID)
			}
			cfg.UserID = c.UserID // a personal connection is its user's list
		}
		if cfg.UserID == "" {
			return nil, fmt.Errorf(`hubtask: connection %s: neither the connection's user nor its config ({"user_id": "..."}) names the list's user`, c.ID)
		}
		err := s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.GetUser(ctx, c.OrgID, cfg.UserID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("hubtask: connection %s: user %s: %w", c.ID, cfg.UserID, err)
		}
		return New(Config{Store: s, OrgID: c.OrgID, UserID: cfg.UserID})
	}
}
