package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crmsync/crmsync/internal/store"
)

// RawCredentialer is implemented by stores that can show a connection's
// credentials as they rest in the database. When the opened store
// implements it, the suite checks that no plaintext is stored.
type RawCredentialer interface {
	RawCredentials(ctx context.Context, id string) ([]byte, error)
}

// Run runs the suite. open must return a new, empty, migrated store for the
// test it is given, and close it in t.Cleanup. Subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Orgs", testOrgs},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"Connections", testConnections},
		{"Streams", testStreams},
		{"Runs", testRuns},
		{"Records", testRecords},
		{"RecordsBatch", testRecordsBatch},
		{"FindRecords", testFindRecords},
		{"StaleAndDeleteRecords", testStaleAndDeleteRecords},
		{"Pending", testPending},
		{"Links", testLinks},
		{"LinkConflict", testLinkConflict},
		{"Cursors", testCursors},
		{"Tombstones", testTombstones},
		{"DeleteStreamState", testDeleteStreamState},
		{"Conflicts", testConflicts},
		{"Quarantine", testQuarantine},
		{"Audit", testAudit},
		{"Outbox", testOutbox},
		{"Settings", testSettings},
		{"HubTasks", testHubTasks},
		{"ListHubTasks", testListHubTasks},
		{"HubTaskChanges", testHubTaskChanges},
		{"HubTaskValidation", testHubTaskValidation},
		{"HubTaskKeys", testHubTaskKeys},
		{"HubTaskConcurrentSeq", testHubTaskConcurrentSeq},
		{"TimeRoundTrip", testTimeRoundTrip},
		{"JSONRoundTrip", testJSONRoundTrip},
		{"RollbackOnError", testRollback},
		{"ConflictKeepsTxUsable", testConflictKeepsTxUsable},
		{"ReadRejectsWrites", testReadRejectsWrites},
		{"ConcurrentIncrements", testConcurrentIncrements},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// ctx is the context of every call in the suite.
var ctx = context.Background()

// write runs fn in InTx and fails the test on error.
func write(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.InTx(ctx, fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

// read runs fn in Read and fails the test on error.
func read(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Read(ctx, fn); err != nil {
		t.Fatalf("Read: %v", err)
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// diff fails the test when want and got differ. Nil and empty slices and
// maps are equal, times compare with Equal.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return // the fast path for big batches; cmp decides otherwise
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// newOrg creates an org for a test.
func newOrg(t *testing.T, s store.Store, name string) store.Org {
	t.Helper()
	o := store.Org{Name: name}
	write(t, s, func(tx store.Tx) error { return tx.CreateOrg(ctx, &o) })
	return o
}

// newStream creates a stream in a new org.
func newStream(t *testing.T, s store.Store) store.Stream {
	t.Helper()
	o := newOrg(t, s, "acme")
	st := store.Stream{OrgID: o.ID, Name: "tasks", Kind: "tasks", ConnA: "ca", ObjectA: "Task", ConnB: "cb", ObjectB: "todo"}
	write(t, s, func(tx store.Tx) error { return tx.CreateStream(ctx, &st) })
	return st
}

// ts is a fixed instant, at microsecond precision in UTC, plus d.
func ts(d time.Duration) time.Time {
	return time.Date(2025, 6, 1, 9, 30, 0, 123456000, time.UTC).Add(d)
}

// joinErr returns the first non-nil error.
func joinErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
