package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// maxParams bounds the parameters of one batch statement.
const maxParams = 500

// tx implements store.Tx over one *sql.Tx.
type tx struct {
	s    *Store
	tx   *sql.Tx
	ro   bool
	done bool
	sp   int // savepoints taken, for unique names
	// hubSeq is the last hub task seq this transaction drew, 0 before the
	// first (see nextHubTaskSeq).
	hubSeq int64
}

var _ store.Tx = (*tx)(nil)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// writable refuses writes through a Read transaction.
func (t *tx) writable(op string) error {
	if t.ro {
		return fmt.Errorf("store: %s: %w", op, store.ErrReadOnly)
	}
	if t.done {
		return fmt.Errorf("store: %s: %w", op, sql.ErrTxDone)
	}
	return nil
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.s.d.rebind(q), args...)
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.s.d.rebind(q), args...)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.s.d.rebind(q), args...)
}

// fail wraps err for op, mapping unique violations to store.ErrConflict and
// keeping the driver's error reachable for errors.As.
func (t *tx) fail(op string, err error) error {
	if t.s.d.IsUniqueViolation(err) {
		return fmt.Errorf("store: %s: %w: %w", op, store.ErrConflict, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

func notFound(op string) error {
	return fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
}

// atomically runs fn inside a savepoint: when fn fails, whatever it wrote is
// undone and the transaction stays usable (PostgreSQL would otherwise abort
// it on the first error).
func (t *tx) atomically(ctx context.Context, fn func() error) error {
	t.sp++
	name := "sp" + strconv.Itoa(t.sp)
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := t.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, rerr)
		}
		_, _ = t.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	_, err := t.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
	return err
}

// insertOne runs a single-row INSERT ... ON CONFLICT DO NOTHING and answers
// ErrConflict when a unique constraint kept the row out. No error is raised
// in the database, so the transaction stays usable.
func (t *tx) insertOne(ctx context.Context, op, q string, args ...any) error {
	if err := t.writable(op); err != nil {
		return err
	}
	res, err := t.exec(ctx, q+" ON CONFLICT DO NOTHING", args...)
	if err != nil {
		return t.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(op, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	return nil
}

// execOne runs a single-row UPDATE or DELETE and answers ErrNotFound when
// it touched no row.
func (t *tx) execOne(ctx context.Context, op, q string, args ...any) error {
	if err := t.writable(op); err != nil {
		return err
	}
	res, err := t.exec(ctx, q, args...)
	if err != nil {
		return t.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(op, err)
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// column names a column of a batch insert and its SQL type on PostgreSQL
// ("text" or "bigint"; the Go values are string or int64).
type column struct{ name, pgType string }

// insertRows writes rows (each len(cols) values, flattened in args) into
// table, followed by tail (an ON CONFLICT clause). SQLite gets multi-row
// VALUES statements of at most maxParams parameters, each shape prepared
// once; PostgreSQL gets one INSERT ... SELECT FROM unnest of one array per
// column, rows kept in order, per maxArray rows.
func (t *tx) insertRows(ctx context.Context, table string, cols []column, tail string, args []any) error {
	ncols := len(cols)
	nrows := len(args) / ncols
	names := make([]string, ncols)
	for j, c := range cols {
		names[j] = c.name
	}
	head := `INSERT INTO ` + table + ` (` + strings.Join(names, ", ") + `)`
	if t.s.d.ArrayParams {
		arrays := make([]string, ncols)
		for j, c := range cols {
			arrays[j] = "?::" + c.pgType + "[]"
		}
		q := head + ` SELECT ` + strings.Join(names, ", ") + ` FROM unnest(` + strings.Join(arrays, ", ") +
			`) WITH ORDINALITY AS u(` + strings.Join(names, ", ") + `, ord) ORDER BY ord ` + tail
		for start := 0; start < nrows; start += maxArray {
			end := min(start+maxArray, nrows)
			params := make([]any, ncols)
			for j, c := range cols {
				if c.pgType == "bigint" {
					col := make([]int64, 0, end-start)
					for i := start; i < end; i++ {
						col = append(col, args[i*ncols+j].(int64))
					}
					params[j] = col
				} else {
					col := make([]string, 0, end-start)
					for i := start; i < end; i++ {
						col = append(col, args[i*ncols+j].(string))
					}
					params[j] = col
				}
			}
			if _, err := t.exec(ctx, q, params...); err != nil {
				return err
			}
		}
		return nil
	}
	per := max(1, maxParams/ncols)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for start := 0; start < nrows; start += per {
		k := min(per, nrows-start)
		chunk := args[start*ncols : (start+k)*ncols]
		var err error
		if k == per {
			if full == nil {
				if full, err = t.tx.PrepareContext(ctx, t.s.d.rebind(valuesSQL(head, ncols, k, tail))); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, chunk...)
		} else {
			_, err = t.exec(ctx, valuesSQL(head, ncols, k, tail), chunk...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func valuesSQL(head string, ncols, nrows int, tail string) string {
	row := "(" + strings.Repeat("?,", ncols-1) + "?)"
	var b strings.Builder
	b.Grow(len(head) + len(tail) + nrows*(len(row)+1) + 8)
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for i := range nrows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteByte(' ')
	b.WriteString(tail)
	return b.String()
}

// maxArray bounds the ids of one array parameter.
const maxArray = 5000

// idChunk is a slice of an id list, ready for SQL in the dialect's form.
type idChunk struct {
	// array is set when the chunk goes as one text[] parameter, arg, to be
	// used as "unnest(?::text[]) AS k(want)"; otherwise list is an IN list
	// "(?,?,...)" of the parameters args.
	array bool
	arg   []string
	list  string
	args  []any
}

// forIDs calls fn with successive chunks of ids (deduplicated), each small
// enough that fixed more parameters fit within maxParams.
func (t *tx) forIDs(ids []string, fixed int, fn func(c idChunk) error) error {
	ids = uniq(ids)
	if t.s.d.ArrayParams {
		for start := 0; start < len(ids); start += maxArray {
			if err := fn(idChunk{array: true, arg: ids[start:min(start+maxArray, len(ids))]}); err != nil {
				return err
			}
		}
		return nil
	}
	per := maxParams - fixed
	for start := 0; start < len(ids); start += per {
		end := min(start+per, len(ids))
		args := make([]any, 0, end-start)
		for _, id := range ids[start:end] {
			args = append(args, id)
		}
		if err := fn(idChunk{list: "(" + strings.Repeat("?,", len(args)-1) + "?)", args: args}); err != nil {
			return err
		}
	}
	return nil
}

// lookupSQL renders "SELECT cols FROM table WHERE cond AND col IN ids" for
// the chunk, with its arguments; cond's own arguments come first.
func (c idChunk) lookupSQL(cols, table, cond, col string, condArgs ...any) (string, []any) {
	if c.array {
		return `SELECT ` + cols + ` FROM unnest(?::text[]) AS k(want) JOIN ` + table + ` ON ` + col + ` = want WHERE ` + cond,
			append([]any{c.arg}, condArgs...)
	}
	return `SELECT ` + cols + ` FROM ` + table + ` WHERE ` + cond + ` AND ` + col + ` IN ` + c.list, append(condArgs, c.args...)
}

// deleteSQL renders "DELETE FROM table WHERE cond AND col IN ids".
func (c idChunk) deleteSQL(table, cond, col string, condArgs ...any) (string, []any) {
	if c.array {
		return `DELETE FROM ` + table + ` USING unnest(?::text[]) AS k(want) WHERE ` + cond + ` AND ` + col + ` = want`,
			append([]any{c.arg}, condArgs...)
	}
	return `DELETE FROM ` + table + ` WHERE ` + cond + ` AND ` + col + ` IN ` + c.list, append(condArgs, c.args...)
}

// uniq drops repeated ids, keeping the first of each.
func uniq(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}

// limitSQL renders a LIMIT clause; n <= 0 means none.
func limitSQL(n int) string {
	if n <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(n)
}

// now is the store's clock at storage precision.
func (t *tx) now() time.Time { return norm(t.s.now()) }

// orNow returns v normalized, or now when v is zero.
func (t *tx) orNow(v time.Time) time.Time {
	if v.IsZero() {
		return t.now()
	}
	return norm(v)
}

// norm is a time as the store returns it: UTC, microseconds.
func norm(v time.Time) time.Time {
	if v.IsZero() {
		return time.Time{}
	}
	return v.UTC().Truncate(time.Microsecond)
}

// micros encodes a time as stored: Unix microseconds, 0 for the zero time.
func micros(v time.Time) int64 {
	if v.IsZero() {
		return 0
	}
	return v.UnixMicro()
}

// fromMicros decodes a stored time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// jsonText encodes a JSON document as stored, "" for none.
func jsonText(j json.RawMessage) string { return string(j) }

// jsonRaw decodes a stored JSON document; "" is nil.
func jsonRaw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
