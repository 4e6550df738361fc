package job

import (
	"context"
	"fmt"
	"github.com/riverqueue/river"
	"log/slog"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// Defaults of Config's fields.
const (
	DefaultWorkers      = 4
	DefaultTickInterval = 30 * time.Second
	DefaultRunTimeout   = time.Hour
	DefaultMaxAttempts  = 5
)

// Runner runs one stream once; the sync engine implements it. Before calling
// it, the queue records the run's start in Stream.LastRun (and the following
// run in NextRun), so a Runner only reports its outcome. An error makes River
// retry the run with backoff.
type Runner interface {
	// RunStream syncs the stream; trigger says why it runs (TriggerSchedule,
	// TriggerManual, ...). It must return when ctx is done.
	RunStream(ctx context.Context, orgID, streamID, trigger string) error
}

// Job is one more kind of River job a Queue runs: Register adds its worker,
// whose args name Queue in their InsertOpts; when Every is set the elected
// leader also inserts Args that often, so several nodes enqueue it once.
type Job struct {
	// Queue is the River queue the job's args go to. Required; not one of
	// the queue's own (QueueSync, QueueSchedule).
	Queue string
	// Workers is how many of its jobs run at once on this node. Default: 1.
	Workers int
	// Register adds the worker to River's workers. Required.
	Register func(*river.Workers) error
	// Every is the period of Args; zero inserts none.
	Every time.Duration
	// Args is what the leader inserts every Every.
	Args river.JobArgs
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, orgID, streamID, trigger string) error

// RunStream calls f.
func (f RunnerFunc) RunStream(ctx context.Context, orgID, streamID, trigger string) error {
	return f(ctx, orgID, streamID, trigger)
}

// Config configures a Queue. Zero fields take the default stated beside them.
type Config struct {
	// Logger receives the queue's and River's logs. Default: slog.Default().
	Logger *slog.Logger
	// Workers is how many sync runs this node executes at once. Default: 4.
	Workers int
	// TickInterval is how often the leader checks which streams are due.
	// Default: 30s.
	TickInterval time.Duration
	// RunTimeout bounds one sync run: its context is cancelled after it.
	// River rescues a run still marked running an hour after that, so the
	// two never overlap. Default: 1h.
	RunTimeout time.Duration
	// MaxAttempts is how many times a failing sync run is tried before River
	// discards it; the schedule brings the next one. Default: 5.
	MaxAttempts int
	// Runner executes sync runs. Required.
	Runner Runner
	// Store holds the streams and orgs the tick reads. Required.
	Store store.Store
	// Clock returns the current time for schedule decisions and
	// Stream.LastRun. Default: time.Now.
	Clock func() time.Time

	// Jobs are the hub's other River jobs (mail delivery, …), run by the
	// same client beside the sync runs.
	Jobs []Job

	// testOnly makes River start and poll quickly, for this package's tests.
	testOnly bool
}

// withDefaults validates c and returns it with the defaults filled in.
func (c Config) withDefaults() (Config, error) {
	var errs []string
	if c.Runner == nil {
		errs = append(errs, "Runner is required")
	}
	if c.Store == nil {
		errs = append(errs, "Store is required")
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Sprintf("Workers must be 0 (default %d) or more, got %d", DefaultWorkers, c.Workers))
	}
	if c.TickInterval < 0 {
		errs = append(errs, fmt.Sprintf("TickInterval must be 0 (default %s) or more, got %s", DefaultTickInterval, c.TickInterval))
	}
	if c.RunTimeout < 0 {
		errs = append(errs, fmt.Sprintf("RunTimeout must be 0 (default %s) or more, got %s", DefaultRunTimeout, c.RunTimeout))
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Sprintf("MaxAttempts must be 0 (default %d) or more, got %d", DefaultMaxAttempts, c.MaxAttempts))
	}
	for i, j := range c.Jobs {
		switch {
		case j.Queue == "" || j.Queue == QueueSync || j.Queue == QueueSchedule:
			errs = append(errs, fmt.Sprintf("Jobs[%d]: Queue must name a queue of its own, got %q", i, j.Queue))
		case j.Register == nil:
			errs = append(errs, fmt.Sprintf("Jobs[%d] (queue %s): Register is required", i, j.Queue))
		case j.Every > 0 && j.Args == nil:
			errs = append(errs, fmt.Sprintf("Jobs[%d] (queue %s): Every needs Args", i, j.Queue))
		case j.Workers < 0:
			errs = append(errs, fmt.Sprintf("Jobs[%d] (queue %s): Workers must be 0 (default 1) or more, got %d", i, j.Queue, j.Workers))
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("job: config: %s", strings.Join(errs, "; "))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.TickInterval == 0 {
		c.TickInterval = DefaultTickInterval
	}
	if c.RunTimeout == 0 {
		c.RunTimeout = DefaultRunTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c, nil
}
