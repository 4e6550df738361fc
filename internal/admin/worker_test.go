package admin_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/crmsync/crmsync/internal/admin"
	"github.com/crmsync/crmsync/internal/job"
)

// SPEC A2 and X1: the users sync runs on the hub's River queue, scheduled
// by the leader, so a user deactivated in the CRM loses the seat without
// anyone asking, and an org not connected to the CRM is passed over.
func TestA2UsersSyncRunsOnTheQueue(t *testing.T) {
	r := newRig(t)
	r.connect(false)
	if _, err := r.svc.GrantSeat(t.Context(), r.actor(), r.sam.ID, samCRM); err != nil {
		t.Fatal(err)
	}
	users, err := r.svc.CRMUsers(t.Context(), r.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(users, func(u admin.CRMUser) bool { return u.Username == samCRM })
	if i < 0 {
		t.Fatalf("Sam is not among the CRM users %+v", users)
	}
	if err := r.sb.Update("User", users[i].ID, "", map[string]any{"IsActive": false}); err != nil {
		t.Fatal(err)
	}

	db, ok := r.s.(interface{ DB() *sql.DB })
	if !ok {
		t.Fatalf("the SQLite test store %T does not expose its database", r.s)
	}
	w := &admin.UsersSyncWorker{Service: r.svc}
	q, err := job.NewSQLite(db.DB(), job.Config{
		Runner: job.RunnerFunc(func(context.Context, string, string, string) error { return nil }),
		Store:  r.s,
		Jobs: []job.Job{{Queue: admin.Queue, Every: time.Second, Args: admin.UsersSyncArgs{},
			Register: func(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := q.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for r.getUser(r.sam.ID).CRMUserID != "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := r.getUser(r.sam.ID); got.CRMUserID != "" || got.SyncEnabled {
		t.Fatalf("Sam after the scheduled users sync: %+v, want the seat revoked", got)
	}
	if !slices.Contains(r.auditActions(), "crm.seat.revoke "+admin.SystemActor) {
		t.Errorf("audit = %q, want the revocation by the system (SPEC A7)", r.auditActions())
	}
}
