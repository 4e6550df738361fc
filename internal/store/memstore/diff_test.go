package memstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crmsync/crmsync/internal/secret"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/memstore"
	"github.com/crmsync/crmsync/internal/store/sqlite"
)

// TestMatchesSQLite runs random transactions of sync-state operations on a
// memstore and on SQLite side by side and requires the same answer to
// every call, so that a simulation on memstore tells the truth about SQLite.
// Some transactions fail at the end and must leave no trace on either.
func TestMatchesSQLite(t *testing.T) {
	t.Parallel()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			box, err := secret.NewBox(make([]byte, secret.KeySize))
			if err != nil {
				t.Fatal(err)
			}
			sq, err := sqlite.Open(ctx, sqlite.Memory, box)
			if err != nil {
				t.Fatal(err)
			}
			defer sq.Close()
			if err := sq.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			mem := memstore.New(memstore.Config{})
			r := rand.New(rand.NewPCG(seed, 42))
			for step := range 250 {
				ops := make([]op, 1+r.IntN(6))
				for i := range ops {
					ops[i] = randomOp(r)
				}
				fail := r.IntN(5) == 0
				a := run(ctx, mem, ops, fail)
				b := run(ctx, sq, ops, fail)
				if d := cmp.Diff(b, a, cmpopts.EquateEmpty()); d != "" {
					t.Fatalf("step %d (fail=%v): memstore differs from sqlite (-sqlite +memstore):\n%s\nops: %s", step, fail, d, describe(ops))
				}
			}
		})
	}
}

// op is one store call; it returns what the caller would observe.
type op struct {
	name string
	fn   func(ctx context.Context, tx store.Tx) any
}

func describe(ops []op) string {
	var b bytes.Buffer
	for _, o := range ops {
		b.WriteString(o.name + "; ")
	}
	return b.String()
}

var errRollback = errors.New("rollback")

// run applies ops in one InTx and returns each result, then a snapshot.
func run(ctx context.Context, s store.Store, ops []op, fail bool) []any {
	var out []any
	err := s.InTx(ctx, func(tx store.Tx) error {
		for _, o := range ops {
			out = append(out, o.fn(ctx, tx))
		}
		if fail {
			return errRollback
		}
		return nil
	})
	out = append(out, errClass(err))
	_ = s.Read(ctx, func(tx store.Tx) error {
		for _, sid := range streams {
			p, err := tx.ListPending(ctx, sid, 0)
			out = append(out, p, errClass(err))
			n, err := tx.CountLinks(ctx, sid)
			out = append(out, n, errClass(err))
		}
		recs, err := tx.ListRecords(ctx, "c1", "Task", "", 0)
		out = append(out, recs, errClass(err))
		return nil
	})
	return out
}

func errClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, store.ErrNotFound):
		return "not found"
	case errors.Is(err, store.ErrConflict):
		return "conflict"
	case errors.Is(err, errRollback):
		return "rolled back"
	default:
		return "error: " + err.Error()
	}
}

var (
	streams = []string{"s1", "s2"}
	conns   = []string{"c1", "c2"}
	objects = []string{"Task", "Event"}
	sides   = []store.Side{store.SideA, store.SideB}
	base    = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func ids(r *rand.Rand, prefix string, max int) []string {
	out := make([]string, r.IntN(12))
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, r.IntN(max))
	}
	return out
}

func randomOp(r *rand.Rand) op {
	sid, side, conn, obj := pick(r, streams), pick(r, sides), pick(r, conns), pick(r, objects)
	at := base.Add(time.Duration(r.IntN(1e6)) * time.Microsecond)
	switch r.IntN(17) {
	case 0:
		var recs []store.Record
		for _, id := range ids(r, "r", 30) {
			recs = append(recs, store.Record{ConnID: conn, Object: obj, ID: id, Key: pick(r, []string{"", "k1", "k2"}),
				EmailKey: pick(r, []string{"", "a@x", "b@x"}), NameKey: pick(r, []string{"", "ann"}),
				Fields: json.RawMessage(fmt.Sprintf(`{"n":%d}`, r.IntN(9))), Created: at, Modified: at,
				Deleted: r.IntN(4) == 0, Gen: int64(r.IntN(4))})
		}
		return op{"PutRecords", func(ctx context.Context, tx store.Tx) any { return errClass(tx.PutRecords(ctx, recs)) }}
	case 1:
		want := ids(r, "r", 30)
		return op{"GetRecords", func(ctx context.Context, tx store.Tx) any {
			m, err := tx.GetRecords(ctx, conn, obj, want)
			return []any{m, errClass(err)}
		}}
	case 2:
		kind, key := pick(r, []store.MatchKind{store.MatchExternal, store.MatchEmail, store.MatchName}), pick(r, []string{"", "k1", "a@x", "ann"})
		return op{"FindRecords", func(ctx context.Context, tx store.Tx) any {
			recs, err := tx.FindRecords(ctx, conn, obj, kind, key)
			return []any{recs, errClass(err)}
		}}
	case 3:
		after, limit := fmt.Sprintf("r%02d", r.IntN(30)), r.IntN(8)
		return op{"ListRecords", func(ctx context.Context, tx store.Tx) any {
			recs, err := tx.ListRecords(ctx, conn, obj, after, limit)
			return []any{recs, errClass(err)}
		}}
	case 4:
		gen, limit := int64(r.IntN(5)), r.IntN(8)
		return op{"ListStaleRecords", func(ctx context.Context, tx store.Tx) any {
			recs, err := tx.ListStaleRecords(ctx, conn, obj, gen, limit)
			return []any{recs, errClass(err)}
		}}
	case 5:
		o := pick(r, []string{"", obj})
		return op{"DeleteRecords", func(ctx context.Context, tx store.Tx) any {
			n, err := tx.DeleteRecords(ctx, conn, o)
			return []any{n, errClass(err)}
		}}
	case 6, 7:
		var ps []store.Pending
		for _, id := range ids(r, "r", 20) {
			ps = append(ps, store.Pending{StreamID: sid, Side: pick(r, sides), RecordID: id})
		}
		return op{"AddPending", func(ctx context.Context, tx store.Tx) any { return errClass(tx.AddPending(ctx, ps)) }}
	case 8:
		limit := r.IntN(6)
		return op{"ListAndDeletePending", func(ctx context.Context, tx store.Tx) any {
			ps, err := tx.ListPending(ctx, sid, limit)
			if err != nil {
				return errClass(err)
			}
			err = tx.DeletePending(ctx, ps)
			n, err2 := tx.CountPending(ctx, sid)
			return []any{ps, errClass(err), n, errClass(err2)}
		}}
	case 9, 10:
		var ls []store.Link
		for range r.IntN(6) {
			ls = append(ls, store.Link{StreamID: sid, AID: fmt.Sprintf("a%d", r.IntN(10)), BID: fmt.Sprintf("b%d", r.IntN(10)),
				Base: json.RawMessage(`{}`), Created: at, Updated: at})
		}
		return op{"PutLinks", func(ctx context.Context, tx store.Tx) any { return errClass(tx.PutLinks(ctx, ls)) }}
	case 11:
		want := ids(r, string(side), 10)
		return op{"GetLinks", func(ctx context.Context, tx store.Tx) any {
			m, err := tx.GetLinks(ctx, sid, side, want)
			return []any{m, errClass(err)}
		}}
	case 12:
		del := ids(r, "a", 10)
		return op{"DeleteLinks", func(ctx context.Context, tx store.Tx) any { return errClass(tx.DeleteLinks(ctx, sid, del)) }}
	case 13:
		var ts []store.Tombstone
		for _, id := range ids(r, "r", 20) {
			ts = append(ts, store.Tombstone{StreamID: sid, Side: side, RecordID: id, Deleted: at, Reason: "x"})
		}
		want := ids(r, "r", 20)
		return op{"Tombstones", func(ctx context.Context, tx store.Tx) any {
			err := tx.PutTombstones(ctx, ts)
			m, err2 := tx.GetTombstones(ctx, sid, side, want)
			return []any{errClass(err), m, errClass(err2)}
		}}
	case 14:
		c := store.Cursor{StreamID: sid, Side: side, Value: fmt.Sprint(r.IntN(100)), Gen: int64(r.IntN(3)), Updated: at}
		return op{"Cursor", func(ctx context.Context, tx store.Tx) any {
			before, err := tx.GetCursor(ctx, sid, side)
			err2 := tx.PutCursor(ctx, c)
			return []any{before, errClass(err), errClass(err2)}
		}}
	case 15:
		return op{"DeleteStreamState", func(ctx context.Context, tx store.Tx) any { return errClass(tx.DeleteStreamState(ctx, sid)) }}
	default:
		key := fmt.Sprintf("m%d", r.IntN(8))
		return op{"AddOutbox", func(ctx context.Context, tx store.Tx) any {
			m := store.OutboxMessage{ID: "id-" + key, Key: key, NextTry: at, Created: at}
			err := tx.AddOutbox(ctx, &m)
			due, err2 := tx.ListOutboxDue(ctx, base.Add(time.Second), 0)
			return []any{errClass(err), due, errClass(err2)}
		}}
	}
}
