package mail

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// Queue is the River queue delivery jobs run on.
const Queue = "mail"

// DeliverArgs is the River job that sends due outbox emails; the hub's
// queue inserts it periodically (see internal/job's Config.Jobs).
type DeliverArgs struct{}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "mail_deliver" }

// InsertOpts makes at most one pending delivery job at a time.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: 10 * time.Second}}
}

// Worker runs DeliverArgs jobs through a Deliverer; register it with
// river.AddWorker(workers, &mail.Worker{Deliverer: d}).
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	Deliverer *Deliverer
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, _ *river.Job[DeliverArgs]) error {
	_, err := w.Deliverer.DeliverDue(ctx)
	return err
}
