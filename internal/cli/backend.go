package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/crmsync/crmsync/internal/admin"
	"github.com/crmsync/crmsync/internal/config"
	"github.com/crmsync/crmsync/internal/connector/caldav"
	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/connector/hubtask"
	"github.com/crmsync/crmsync/internal/connector/msgraph"
	"github.com/crmsync/crmsync/internal/connector/registry"
	"github.com/crmsync/crmsync/internal/connector/salesforce"
	"github.com/crmsync/crmsync/internal/contact"
	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/hubdb"
	"github.com/crmsync/crmsync/internal/job"
	"github.com/crmsync/crmsync/internal/mail"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
	"github.com/crmsync/crmsync/internal/task"
)

// memorySystems are the process's in-memory systems, one per "memory"
// connection. They live as long as the process: demo seeds them at each
// start, and tests seed their own connections' systems.
var memorySystems registry.MemorySystems

// systemMemory is an in-memory system (tests and simulations use it; the
// demo's CRM is the Salesforce sandbox).
const systemMemory = registry.SystemMemory

// connectors returns the registry of every system this build can sync;
// the hub's own task lists are read from and written to s, and so are
// Salesforce's rotated refresh tokens.
func connectors(s store.Store, log *slog.Logger) *registry.Registry {
	r := registry.New()
	r.Register(systemMemory, memorySystems.Factory)
	r.Register(hubtask.SystemName, hubtask.Factory(s))
	r.Register(caldav.SystemName, caldav.Factory)
	r.Register(msgraph.SystemName, msgraph.Factory)
	r.Register(carddav.SystemName, carddav.Factory)
	r.Register(salesforce.SystemName, salesforce.StoreFactory(s, log.With(slog.String("component", "salesforce"))))
	return r
}

// definitions returns the stream kinds the engine runs.
func definitions() []*syncer.Definition {
	return append([]*syncer.Definition{task.Definition()}, contact.Definitions()...)
}

// mailboxSystems are the systems a user's mailbox contacts sync with.
var mailboxSystems = []string{msgraph.SystemName, carddav.SystemName}

// newContactService is mailbox contact sync over s and the connectors.
func newContactService(s store.Store, reg *registry.Registry, log *slog.Logger) (*contact.Service, error) {
	return contact.New(contact.Config{Store: s, Connectors: reg.Resolve, MailboxSystems: mailboxSystems,
		Logger: log.With(slog.String("component", "contact"))})
}

// preparingRunner readies a contact stream (its CRM scope, categories)
// before the engine runs it; other streams go straight to the engine. A
// failed preparation is logged and the run goes on — nothing it does is
// needed for a run to be safe, and the next run tries again — except a
// user without a CRM seat, whose run stops.
func preparingRunner(engine *syncer.Engine, contacts *contact.Service, log *slog.Logger) job.Runner {
	return job.RunnerFunc(func(ctx context.Context, orgID, streamID, trigger string) error {
		if _, err := contacts.Prepare(ctx, orgID, streamID); err != nil {
			if errors.Is(err, contact.ErrNoSeat) {
				return err
			}
			log.LogAttrs(ctx, slog.LevelWarn, "cli: prepare the contact stream", slog.String("stream", streamID), slog.String("error", err.Error()))
		}
		return engine.RunStream(ctx, orgID, streamID, trigger)
	})
}

// startJobs is serve's (and demo's) backend: the sync engine over the
// connector registry, run by the River queue on the hub's own database.
// It migrates River's tables and starts the workers and the schedule tick.
func startJobs(ctx context.Context, env BackendEnv) (Backend, error) {
	if env.DB == nil {
		return Backend{}, errors.New("cli: start jobs: no database")
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := connectors(env.DB.Store, log)
	engine, err := syncer.New(syncer.Config{
		Store:       env.DB.Store,
		Definitions: definitions(),
		Connectors:  contact.Categorizing(reg.Resolve, salesforce.SystemName),
		Logger:      log.With(slog.String("component", "syncer")),
	})
	if err != nil {
		return Backend{}, fmt.Errorf("cli: start jobs: %w", err)
	}
	jobs, err := mailJobs(env.DB.Store, env.Config.SMTP, log)
	if err != nil {
		return Backend{}, fmt.Errorf("cli: start jobs: %w", err)
	}
	crm, err := crmJobs(env.DB.Store, log)
	if err != nil {
		return Backend{}, fmt.Errorf("cli: start jobs: %w", err)
	}
	jobs = append(jobs, crm...)
	contacts, err := newContactService(env.DB.Store, reg, log)
	if err != nil {
		return Backend{}, fmt.Errorf("cli: start jobs: %w", err)
	}
	q, err := newQueue(env.DB, job.Config{Logger: log, Workers: env.Config.Workers, Runner: preparingRunner(engine, contacts, log),
		Store: env.DB.Store, Jobs: jobs})
	if err != nil {
		return Backend{}, fmt.Errorf("cli: start jobs: %w", err)
	}
	if err := q.Migrate(ctx); err != nil {
		return Backend{}, fmt.Errorf("cli: start jobs: %w", err)
	}
	// Cancelling River's start context would cancel running syncs at once;
	// serve cancels ctx on SIGINT, so River gets a context of its own and
	// Backend.Stop shuts it down gracefully, cancelling runs only when the
	// stop timeout ends.
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return Backend{}, fmt.Errorf("cli: start jobs: %w", err)
	}
	log.LogAttrs(ctx, slog.LevelInfo, "cli: job queue started",
		slog.String("kind", env.DB.Kind), slog.Int("workers", env.Config.Workers),
		slog.Any("systems", reg.Systems()))
	return Backend{Trigger: queueTrigger{q: q}, Stop: q.Stop}, nil
}

// crmJobs is the hourly users sync of every connected org (SPEC A2, A3),
// scheduled by the queue's leader so that several nodes run it once.
func crmJobs(s store.Store, log *slog.Logger) ([]job.Job, error) {
	svc, err := newAdminService(s, log)
	if err != nil {
		return nil, err
	}
	w := &admin.UsersSyncWorker{Service: svc, Logger: log.With(slog.String("component", "crm"))}
	return []job.Job{{
		Queue:    admin.Queue,
		Register: func(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) },
		Every:    admin.UsersSyncEvery,
		Args:     admin.UsersSyncArgs{},
	}}, nil
}

// mailEvery is how often the leader looks for due outbox emails.
const mailEvery = 15 * time.Second

// mailJobs is the outbox's delivery job over the configured SMTP relay;
// without one, emails wait in the outbox (their API answers say so) and
// the log tells the admin once at start.
func mailJobs(s store.Store, smtp config.SMTP, log *slog.Logger) ([]job.Job, error) {
	if smtp.Host == "" {
		log.Info("cli: no SMTP relay configured (CRMSYNC_SMTP_HOST): emails stay in the outbox until one is")
		return nil, nil
	}
	sender, err := mail.NewSMTP(mail.ConfigFrom(smtp))
	if err != nil {
		return nil, err
	}
	d := mail.NewDeliverer(s, sender, mail.DelivererConfig{}, nil, log.With(slog.String("component", "mail")))
	return []job.Job{{
		Queue:    mail.Queue,
		Register: func(w *river.Workers) error { return river.AddWorkerSafely(w, &mail.Worker{Deliverer: d}) },
		Every:    mailEvery,
		Args:     mail.DeliverArgs{},
	}}, nil
}

// newQueue builds the River queue on the database's own driver.
func newQueue(db *hubdb.DB, cfg job.Config) (*job.Queue, error) {
	switch db.Kind {
	case hubdb.KindSQLite:
		// River shares the store's single writer connection: the queue is
		// never called from inside a store transaction.
		return job.NewSQLite(db.SQL, cfg)
	case hubdb.KindPostgres:
		return job.NewPostgres(db.Pool, cfg)
	}
	return nil, fmt.Errorf("unsupported database kind %q", db.Kind)
}

// queueTrigger adapts the queue's SyncNow to the API's SyncTrigger.
type queueTrigger struct {
	q *job.Queue
}

var _ api.SyncTrigger = queueTrigger{}

// SyncNow queues a manual run and returns its River job id. A stream that
// already has a run queued or running is not an error for the caller: the
// answer is that run's id, as pressing the button twice starts one run.
func (t queueTrigger) SyncNow(ctx context.Context, orgID, streamID string) (string, error) {
	id, err := t.q.SyncNow(ctx, orgID, streamID)
	if err != nil && !errors.Is(err, job.ErrAlreadyQueued) {
		return "", err
	}
	return strconv.FormatInt(id, 10), nil
}
