package storetest

import (
	"fmt"
	"testing"

	"github.com/crmsync/crmsync/internal/store"
)

// benchBatch is the batch size of the benchmarks: a sync page.
const benchBatch = 2000

// Bench measures the batch operations a sync run leans on, reporting
// records/s. open must return a new, empty, migrated store and close it in
// b.Cleanup.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	recs := make([]store.Record, benchBatch)
	ids := make([]string, benchBatch)
	pend := make([]store.Pending, benchBatch)
	links := make([]store.Link, benchBatch)
	for i := range recs {
		recs[i] = rec("c1", "Contact", i)
		recs[i].EmailKey = fmt.Sprintf("p%d@example.com", i)
		ids[i] = recs[i].ID
		pend[i] = store.Pending{StreamID: "s1", Side: store.SideA, RecordID: ids[i]}
		links[i] = link(i)
	}
	perOp := func(b *testing.B) {
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "records/s")
	}
	must := func(b *testing.B, err error) {
		if err != nil {
			b.Fatal(err)
		}
	}

	b.Run("PutRecords", func(b *testing.B) {
		s := open(b)
		for i := 0; b.Loop(); i++ {
			recs[0].Gen = int64(i)
			must(b, s.InTx(ctx, func(tx store.Tx) error { return tx.PutRecords(ctx, recs) }))
		}
		perOp(b)
	})
	b.Run("GetRecords", func(b *testing.B) {
		s := open(b)
		must(b, s.InTx(ctx, func(tx store.Tx) error { return tx.PutRecords(ctx, recs) }))
		for b.Loop() {
			must(b, s.Read(ctx, func(tx store.Tx) error {
				got, err := tx.GetRecords(ctx, "c1", "Contact", ids)
				if len(got) != benchBatch {
					b.Fatalf("got %d records", len(got))
				}
				return err
			}))
		}
		perOp(b)
	})
	b.Run("PendingCycle", func(b *testing.B) {
		s := open(b)
		for b.Loop() {
			must(b, s.InTx(ctx, func(tx store.Tx) error {
				if err := tx.AddPending(ctx, pend); err != nil {
					return err
				}
				ps, err := tx.ListPending(ctx, "s1", benchBatch)
				if err != nil {
					return err
				}
				return tx.DeletePending(ctx, ps)
			}))
		}
		perOp(b)
	})
	b.Run("Links", func(b *testing.B) {
		s := open(b)
		for b.Loop() {
			must(b, s.InTx(ctx, func(tx store.Tx) error {
				if err := tx.PutLinks(ctx, links); err != nil {
					return err
				}
				got, err := tx.GetLinks(ctx, "s1", store.SideB, ids)
				_ = got
				return err
			}))
		}
		perOp(b)
	})
}
