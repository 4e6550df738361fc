package carddav

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// ConnectionConfig is a CardDAV connection's non-secret settings.
type ConnectionConfig struct {
	URL      string `json:"url"`
	Username string `json:"username"`
}

// ConnectionCredentials are its secrets, sealed at rest by the store.
type ConnectionCredentials struct {
	Password string `json:"password"`
}

// Factory builds the connector of a stored connection, for the registry.
func Factory(_ context.Context, c store.Connection) (connector.Connector, error) {
	var cfg ConnectionConfig
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return nil, fmt.Errorf("carddav: connection %s: config: %w", c.ID, err)
	}
	var cr ConnectionCredentials
	if len(c.Credentials) > 0 {
		if err := json.Unmarshal(c.Credentials, &cr); err != nil {
			return nil, fmt.Errorf("carddav: connection %s: credentials are not valid JSON", c.ID) // never quote them
		}
	}
	conn, err := New(Config{URL: cfg.URL, Username: cfg.Username, Password: cr.Password})
	if err != nil {
		return nil, fmt.Errorf("carddav: connection %s: %w", c.ID, err)
	}
	return conn, nil
}
