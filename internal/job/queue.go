package job

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/crmsync/crmsync/internal/store"
)

// River queue names: sync runs have Config.Workers slots; ticks have their
// own single slot so that long runs never hold the schedule up.
const (
	QueueSync     = "sync"
	QueueSchedule = "schedule"
)

// Errors of Queue.SyncNow and Queue.Enqueue; test with errors.Is.
var (
	// ErrAlreadyQueued means the stream already has a run queued, running or
	// waiting to retry; the job id returned beside it is that run's.
	ErrAlreadyQueued = errors.New("job: stream already has a run queued or running")
	// ErrDisabled means the stream's sync is switched off.
	ErrDisabled = errors.New("job: stream is disabled")
)

// stopGrace is how long Stop waits for cancelled runs to return once its
// context has ended.
const stopGrace = 10 * time.Second

// riverClient is the part of river.Client the queue uses; it hides the
// driver's transaction type so that Queue needs no type parameter.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

var (
	_ riverClient = (*river.Client[*sql.Tx])(nil)
	_ riverClient = (*river.Client[pgx.Tx])(nil)
)

// Queue runs the hub's jobs on River: scheduled and manual sync runs, and the
// tick that schedules them.
type Queue struct {
	cfg      Config
	log      *slog.Logger
	riverLog *slog.Logger
	client   riverClient
	migrate  func(ctx context.Context) (*rivermigrate.MigrateResult, error)
	zones    sync.Map // IANA name -> *time.Location
}

// NewSQLite returns a Queue over a SQLite database, normally the hub store's
// writer (one connection, as riversqlite advises); River's tables go beside
// the hub's own. With one connection, never call the Queue from inside a
// store transaction on the same database: it would wait for itself.
func NewSQLite(db *sql.DB, cfg Config) (*Queue, error) {
	driver := riversqlite.New(db)
	q, err := New(cfg, driver)
	if err != nil {
		return nil, err
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: q.riverLog})
	if err != nil {
		return nil, fmt.Errorf("job: new: river migrator: %w", err)
	}
	// Step by step, two migrators on one file both apply step 1 and one
	// fails. One transaction for all steps holds the write lock throughout
	// (BEGIN IMMEDIATE with the store's _txlock=immediate), so the second
	// waits and then finds nothing to do.
	q.migrate = func(ctx context.Context) (res *rivermigrate.MigrateResult, err error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				_ = tx.Rollback()
			}
		}()
		// Deprecated because some PostgreSQL steps cannot share a
		// transaction; every SQLite step can.
		//lint:ignore SA1019 see above
		if res, err = migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
			return nil, err
		}
		return res, tx.Commit()
	}
	return q, nil
}

// NewPostgres returns a Queue over PostgreSQL. River's tables live in the
// schema the pool's search_path selects, normally the hub store's.
func NewPostgres(pool *pgxpool.Pool, cfg Config) (*Queue, error) {
	driver := riverpgxv5.New(pool)
	q, err := New(cfg, driver)
	if err != nil {
		return nil, err
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: q.riverLog})
	if err != nil {
		return nil, fmt.Errorf("job: new: river migrator: %w", err)
	}
	// Nodes starting together migrate one after the other, under a session
	// advisory lock named after the schema. (One transaction for all steps
	// would not do: a step adds an enum value that a later one uses, which
	// PostgreSQL refuses within one transaction.)
	q.migrate = func(ctx context.Context) (*rivermigrate.MigrateResult, error) {
		pc, err := pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		// Closing the session, rather than returning it to the pool, is what
		// releases the lock, whatever happens below.
		conn := pc.Hijack()
		defer conn.Close(context.WithoutCancel(ctx))
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('crmsync/river-migrate:' || current_schema(), 0))`); err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		return migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	return q, nil
}

// New returns a Queue over any River driver; NewSQLite and NewPostgres are
// the two the hub uses.
func New[TTx any](cfg Config, driver riverdriver.Driver[TTx]) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	q := &Queue{
		cfg:      cfg,
		log:      cfg.Logger.With(slog.String("component", "job")),
		riverLog: cfg.Logger.With(slog.String("component", "river")),
	}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &syncWorker{q: q}); err != nil {
		return nil, fmt.Errorf("job: new: add sync worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &tickWorker{q: q}); err != nil {
		return nil, fmt.Errorf("job: new: add tick worker: %w", err)
	}
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(cfg.TickInterval),
			func() (river.JobArgs, *river.InsertOpts) { return TickArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
	queues := map[string]river.QueueConfig{
		QueueSync:     {MaxWorkers: cfg.Workers},
		QueueSchedule: {MaxWorkers: 1},
	}
	for _, j := range cfg.Jobs {
		if err := j.Register(workers); err != nil {
			return nil, fmt.Errorf("job: new: add %s worker: %w", j.Queue, err)
		}
		queues[j.Queue] = river.QueueConfig{MaxWorkers: max(j.Workers, 1)}
		if j.Every > 0 {
			args := j.Args
			periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(j.Every),
				func() (river.JobArgs, *river.InsertOpts) { return args, nil },
				&river.PeriodicJobOpts{RunOnStart: true}))
		}
	}
	rc := &river.Config{
		ErrorHandler: &errorHandler{log: q.log},
		// Every job's timeout; River rescues a job still running an hour
		// after it, so a slow run is never started twice.
		JobTimeout:   cfg.RunTimeout,
		Logger:       q.riverLog,
		MaxAttempts:  cfg.MaxAttempts,
		PeriodicJobs: periodic,
		Queues:       queues,
		Workers:      workers,
	}
	if cfg.testOnly {
		rc.TestOnly = true
		rc.FetchCooldown = 5 * time.Millisecond
		rc.FetchPollInterval = 20 * time.Millisecond
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("job: new: river client: %w", err)
	}
	q.client = client

	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: q.riverLog})
	if err != nil {
		return nil, fmt.Errorf("job: new: river migrator: %w", err)
	}
	q.migrate = func(ctx context.Context) (*rivermigrate.MigrateResult, error) {
		return migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	return q, nil
}

// Migrate brings River's own tables up to date. It is idempotent: once they
// are current it changes nothing.
func (q *Queue) Migrate(ctx context.Context) error {
	res, err := q.migrate(ctx)
	if err != nil {
		return fmt.Errorf("job: migrate river: %w", err)
	}
	for _, v := range res.Versions {
		q.log.LogAttrs(ctx, slog.LevelInfo, "river migration applied",
			slog.Int("version", v.Version), slog.String("name", v.Name))
	}
	return nil
}

// Start runs the workers and the schedule tick until Stop or until ctx is
// done. Migrate must have run first.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("job: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running syncs to finish. When ctx
// ends first, it cancels their contexts and waits a little longer for them
// to return; River makes the interrupted runs available again.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("job: stop: %w", err)
	}
	q.log.LogAttrs(ctx, slog.LevelWarn, "stop context ended before the running jobs; cancelling them")
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopGrace)
	defer cancel()
	if err := q.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("job: stop: cancel running jobs: %w", err)
	}
	return fmt.Errorf("job: stop: running jobs cancelled: %w", ctx.Err())
}

// SyncNow queues a manual run of the stream and returns its job id. When
// the stream already has a run queued or running, it returns that run's id
// and ErrAlreadyQueued; a run waiting out a retry backoff is brought forward
// to run now.
func (q *Queue) SyncNow(ctx context.Context, orgID, streamID string) (int64, error) {
	return q.Enqueue(ctx, orgID, streamID, TriggerManual)
}

// Enqueue queues a run of an enabled stream for the given trigger (a
// webhook, a settings change); otherwise it behaves as SyncNow.
func (q *Queue) Enqueue(ctx context.Context, orgID, streamID, trigger string) (int64, error) {
	err := q.cfg.Store.Read(ctx, func(tx store.Tx) error {
		s, err := tx.GetStream(ctx, orgID, streamID)
		if err != nil {
			return err
		}
		if !s.Enabled {
			return ErrDisabled
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("job: queue sync of stream %s: %w", streamID, err)
	}
	res, err := q.insertSync(ctx, orgID, streamID, trigger)
	if err != nil {
		return 0, err
	}
	if !res.UniqueSkippedAsDuplicate {
		return res.Job.ID, nil
	}
	existing := res.Job
	// A failed run waits out its backoff in state retryable, or available
	// with a future scheduled_at when the backoff is short.
	if existing.State != rivertype.JobStateRunning && existing.ScheduledAt.After(time.Now()) {
		if _, err := q.client.JobRetry(ctx, existing.ID); err != nil {
			return existing.ID, fmt.Errorf("job: queue sync of stream %s: bring job %d forward: %w", streamID, existing.ID, err)
		}
		q.log.LogAttrs(ctx, slog.LevelInfo, "waiting sync run brought forward",
			slog.String("org", orgID), slog.String("stream", streamID), slog.Int64("job", existing.ID))
	}
	return existing.ID, fmt.Errorf("job: queue sync of stream %s: %w (job %d, %s)", streamID, ErrAlreadyQueued, existing.ID, existing.State)
}

// insertSync inserts a SyncArgs job; River's unique index refuses a second
// one for the same stream and answers with the first.
func (q *Queue) insertSync(ctx context.Context, orgID, streamID, trigger string) (*rivertype.JobInsertResult, error) {
	res, err := q.client.Insert(ctx, SyncArgs{OrgID: orgID, StreamID: streamID, Trigger: trigger}, nil)
	if err != nil {
		return nil, fmt.Errorf("job: insert sync of stream %s: %w", streamID, err)
	}
	if !res.UniqueSkippedAsDuplicate {
		q.log.LogAttrs(ctx, slog.LevelInfo, "sync run queued",
			slog.String("org", orgID), slog.String("stream", streamID),
			slog.String("trigger", trigger), slog.Int64("job", res.Job.ID))
	}
	return res, nil
}

// errorHandler logs failed and panicking jobs; River itself retries them
// with backoff, and a panic fails only the attempt, never the process.
type errorHandler struct {
	log *slog.Logger
}

var _ river.ErrorHandler = (*errorHandler)(nil)

// HandleError logs a job's failed attempt.
func (h *errorHandler) HandleError(ctx context.Context, j *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	level, msg := slog.LevelWarn, "job attempt failed; River retries it"
	if j.Attempt >= j.MaxAttempts {
		level, msg = slog.LevelError, "job failed its last attempt; River discards it"
	}
	h.log.LogAttrs(ctx, level, msg, append(jobAttrs(j), slog.String("error", err.Error()))...)
	return nil
}

// HandlePanic logs a job's panic with its stack.
func (h *errorHandler) HandlePanic(ctx context.Context, j *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.log.LogAttrs(ctx, slog.LevelError, "job panicked; River retries it",
		append(jobAttrs(j), slog.String("panic", fmt.Sprint(panicVal)), slog.String("trace", trace))...)
	return nil
}

func jobAttrs(j *rivertype.JobRow) []slog.Attr {
	return []slog.Attr{
		slog.String("kind", j.Kind),
		slog.Int64("job", j.ID),
		slog.Int("attempt", j.Attempt),
		slog.Int("max_attempts", j.MaxAttempts),
		// Job args hold ids only, never secrets.
		slog.String("args", string(j.EncodedArgs)),
	}
}
