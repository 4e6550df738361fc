package sqlstore

import (
	"context"
	"fmt"

	"github.com/crmsync/crmsync/internal/store"
)

const recordCols = `conn_id, object, id, ext_key, fields, created, modified, deleted, email_key, name_key, gen`

var recordColumns = []column{{"conn_id", "text"}, {"object", "text"}, {"id", "text"}, {"ext_key", "text"}, {"fields", "text"},
	{"created", "bigint"}, {"modified", "bigint"}, {"deleted", "bigint"}, {"email_key", "text"}, {"name_key", "text"}, {"gen", "bigint"}}

func scanRecord(r scanner) (store.Record, error) {
	var x store.Record
	var fields string
	var created, modified, deleted int64
	err := r.Scan(&x.ConnID, &x.Object, &x.ID, &x.Key, &fields, &created, &modified, &deleted, &x.EmailKey, &x.NameKey, &x.Gen)
	x.Fields = jsonRaw(fields)
	x.Created = fromMicros(created)
	x.Modified = fromMicros(modified)
	x.Deleted = deleted != 0
	return x, err
}

type recordKey struct{ conn, object, id string }

// PutRecords implements store.Tx. A record repeated in the batch is written
// once, with its last value.
func (t *tx) PutRecords(ctx context.Context, recs []store.Record) error {
	const op = "put records"
	if err := t.writable(op); err != nil {
		return err
	}
	if len(recs) == 0 {
		return nil
	}
	last := make(map[recordKey]int, len(recs))
	for i, r := range recs {
		last[recordKey{r.ConnID, r.Object, r.ID}] = i
	}
	args := make([]any, 0, len(last)*len(recordColumns))
	for i, r := range recs {
		if last[recordKey{r.ConnID, r.Object, r.ID}] != i {
			continue
		}
		args = append(args, r.ConnID, r.Object, r.ID, r.Key, jsonText(r.Fields), micros(r.Created), micros(r.Modified),
			boolInt(r.Deleted), r.EmailKey, r.NameKey, r.Gen)
	}
	err := t.atomically(ctx, func() error {
		return t.insertRows(ctx, "records", recordColumns,
			`ON CONFLICT (conn_id, object, id) DO UPDATE SET ext_key = excluded.ext_key, fields = excluded.fields,
			created = excluded.created, modified = excluded.modified, deleted = excluded.deleted,
			email_key = excluded.email_key, name_key = excluded.name_key, gen = excluded.gen`, args)
	})
	if err != nil {
		return t.fail(op, err)
	}
	return nil
}

// GetRecords implements store.Tx.
func (t *tx) GetRecords(ctx context.Context, connID, object string, ids []string) (map[string]store.Record, error) {
	out := make(map[string]store.Record, len(ids))
	err := t.forIDs(ids, 2, func(c idChunk) error {
		q, args := c.lookupSQL(recordCols, "records", "conn_id = ? AND object = ?", "id", connID, object)
		rows, err := t.query(ctx, q, args...)
		recs, err := collect(rows, err, "get records", scanRecord)
		for _, r := range recs {
			out[r.ID] = r
		}
		return err
	})
	return out, err
}

// FindRecords implements store.Tx.
func (t *tx) FindRecords(ctx context.Context, connID, object string, kind store.MatchKind, key string) ([]store.Record, error) {
	var col string
	live := " AND deleted = 0"
	switch kind {
	case store.MatchExternalAny:
		col, live = "ext_key", ""
	case store.MatchExternal:
		col = "ext_key"
	case store.MatchEmail:
		col = "email_key"
	case store.MatchName:
		col = "name_key"
	default:
		return nil, fmt.Errorf("store: find records: unknown match kind %q", kind)
	}
	if key == "" {
		return nil, nil
	}
	rows, err := t.query(ctx, `SELECT `+recordCols+` FROM `+t.s.d.from("records", "records_"+col)+`
		WHERE conn_id = ? AND object = ? AND `+col+` = ? AND `+col+` <> ''`+live+` ORDER BY id`, connID, object, key)
	return collect(rows, err, "find records", scanRecord)
}

// ListRecords implements store.Tx.
func (t *tx) ListRecords(ctx context.Context, connID, object, after string, limit int) ([]store.Record, error) {
	rows, err := t.query(ctx, `SELECT `+recordCols+` FROM records
		WHERE conn_id = ? AND object = ? AND id > ? ORDER BY id`+limitSQL(limit), connID, object, after)
	return collect(rows, err, "list records", scanRecord)
}

// ListStaleRecords implements store.Tx.
func (t *tx) ListStaleRecords(ctx context.Context, connID, object string, gen int64, limit int) ([]store.Record, error) {
	rows, err := t.query(ctx, `SELECT `+recordCols+` FROM records
		WHERE conn_id = ? AND object = ? AND deleted = 0 AND gen < ? ORDER BY id`+limitSQL(limit), connID, object, gen)
	return collect(rows, err, "list stale records", scanRecord)
}

// DeleteRecords implements store.Tx.
func (t *tx) DeleteRecords(ctx context.Context, connID, object string) (int64, error) {
	const op = "delete records"
	if err := t.writable(op); err != nil {
		return 0, err
	}
	q, args := `DELETE FROM records WHERE conn_id = ?`, []any{connID}
	if object != "" {
		q, args = q+` AND object = ?`, append(args, object)
	}
	res, err := t.exec(ctx, q, args...)
	if err != nil {
		return 0, errorf(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, errorf(op, err)
	}
	return n, nil
}
