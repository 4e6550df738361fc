package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/crmsync/crmsync/internal/store"
)

// Queue is the River queue of the CRM administration jobs.
const Queue = "crm"

// UsersSyncEvery is how often the hub reads every connected org's CRM
// users: seats of users the CRM deactivated are revoked and the saved
// lists refreshed (SPEC A2, A3).
const UsersSyncEvery = time.Hour

// UsersSyncArgs is the periodic job that runs the users sync of every
// connected org. The leader inserts it; any node runs it.
type UsersSyncArgs struct{}

// Kind implements river.JobArgs.
func (UsersSyncArgs) Kind() string { return "crm_users_sync" }

// InsertOpts keeps at most one users sync per period, however many nodes
// insert it.
func (UsersSyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: 10 * time.Minute}}
}

// UsersSyncWorker runs UsersSyncArgs jobs through a Service.
type UsersSyncWorker struct {
	river.WorkerDefaults[UsersSyncArgs]
	Service *Service
	Logger  *slog.Logger
}

// Work implements river.Worker.
func (w *UsersSyncWorker) Work(ctx context.Context, _ *river.Job[UsersSyncArgs]) error {
	_, err := w.Service.SyncAllUsers(ctx, w.Logger)
	return err
}

// SyncAllUsers runs the users sync of every org connected to the CRM and
// answers how many orgs it synced. An org that fails is logged and the
// others go on; the error then names every org that failed, so the job
// is retried.
func (s *Service) SyncAllUsers(ctx context.Context, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var orgs []store.Org
	if err := s.store.Read(ctx, func(tx store.Tx) (err error) { orgs, err = tx.ListOrgs(ctx); return err }); err != nil {
		return 0, fmt.Errorf("admin: users sync: list orgs: %w", err)
	}
	synced := 0
	var errs []error
	for _, o := range orgs {
		res, err := s.SyncUsers(ctx, o.ID)
		if errors.Is(err, ErrNotConnected) {
			continue
		}
		if err != nil {
			log.LogAttrs(ctx, slog.LevelError, "crm users sync", slog.String("org", o.ID), slog.String("error", err.Error()))
			errs = append(errs, fmt.Errorf("org %s: %w", o.ID, err))
			continue
		}
		synced++
		log.LogAttrs(ctx, slog.LevelInfo, "crm users sync", slog.String("org", o.ID), slog.Int("crm_users", res.CRMUsers),
			slog.Int("revoked", len(res.Revoked)), slog.Int("saved_lists", res.Refreshed))
	}
	return synced, errors.Join(errs...)
}
