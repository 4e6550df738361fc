package msgraph

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// SystemName is the connector's name in stored connections.
const SystemName = "msgraph"

// ConnectionConfig is a Graph connection's non-secret settings.
type ConnectionConfig struct {
	BaseURL  string `json:"base_url,omitempty"`
	TokenURL string `json:"token_url,omitempty"`
	TenantID string `json:"tenant_id"`
	ClientID string `json:"client_id"`
	User     string `json:"user,omitempty"`
	FolderID string `json:"folder_id,omitempty"`
	// SharedFolders are other users' folders shared with this one, which
	// Graph cannot list: the connector reports them as skipped (SPEC C5).
	SharedFolders []SharedFolder `json:"shared_folders,omitempty"`
}

// ConnectionCredentials are its secrets, sealed at rest by the store.
type ConnectionCredentials struct {
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// Factory builds the connector of a stored connection, for the registry.
func Factory(_ context.Context, c store.Connection) (connector.Connector, error) {
	var cfg ConnectionConfig
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return nil, fmt.Errorf("msgraph: connection %s: config: %w", c.ID, err)
	}
	var cr ConnectionCredentials
	if len(c.Credentials) > 0 {
		if err := json.Unmarshal(c.Credentials, &cr); err != nil {
			return nil, fmt.Errorf("msgraph: connection %s: credentials are not valid JSON", c.ID) // never quote them
		}
	}
	conn, err := New(Config{BaseURL: cfg.BaseURL, TokenURL: cfg.TokenURL, TenantID: cfg.TenantID, ClientID: cfg.ClientID,
		ClientSecret: cr.ClientSecret, RefreshToken: cr.RefreshToken, User: cfg.User, FolderID: cfg.FolderID, SharedFolders: cfg.SharedFolders})
	if err != nil {
		return nil, fmt.Errorf("msgraph: connection %s: %w", c.ID, err)
	}
	return conn, nil
}
