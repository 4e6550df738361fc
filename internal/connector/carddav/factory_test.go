package carddav_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/store"
)

// The registry's factory builds a working connector from a stored
// connection, and never quotes the credentials in an error.
func TestCardDAVFactory(t *testing.T) {
	f := &fakeServer{cards: map[string][2]string{"/ann/contacts/good.vcf": {`"1"`, goodCard}}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg, _ := json.Marshal(carddav.ConnectionConfig{URL: srv.URL + "/ann/contacts/", Username: "ann"})
	tests := []struct {
		name        string
		config, cr  string
		err         string
		wantFolders int
	}{
		{"stored connection", string(cfg), `{"password":"s3cret"}`, "", 1},
		{"no credentials", string(cfg), "", "", 1},
		{"bad config", `{`, "", "config", 0},
		{"bad credentials", string(cfg), `{"password":"s3cret"`, "credentials are not valid JSON", 0},
		{"bad URL", `{"url":"nope"}`, "", "not an http(s) URL", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := carddav.Factory(t.Context(), store.Connection{ID: "c1", System: carddav.SystemName, Config: json.RawMessage(tt.config), Credentials: []byte(tt.cr)})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("Factory = %v, want an error with %q and no secret", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := conn.(*carddav.Connector)
			if err := c.Check(t.Context()); err != nil {
				t.Fatal(err)
			}
			if folders, err := c.Folders(t.Context()); err != nil || len(folders) != tt.wantFolders {
				t.Fatalf("folders %v %v", folders, err)
			}
		})
	}
}
