package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// healthTimeout bounds the store check, so a stuck database answers 503
// rather than hanging the prober.
const healthTimeout = 3 * time.Second

// healthProbeOrg is an org id that never exists: looking it up is the
// cheapest read that still goes through the database.
const healthProbeOrg = "healthz-probe"

// healthz answers 200 when the store answers a trivial read, 503 otherwise.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	err := s.store.Read(ctx, func(tx store.Tx) error {
		_, err := tx.GetOrg(ctx, healthProbeOrg)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "server: health check failed", slog.Any("error", err))
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "error": "store unavailable"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
}
