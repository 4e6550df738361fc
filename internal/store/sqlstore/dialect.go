package sqlstore

import (
	"database/sql"
	"strconv"
	"strings"
)

// Dialect is what differs between the databases sqlstore runs on.
type Dialect struct {
	// Name names the database in messages, e.g. "sqlite".
	Name string
	// NumberedParams selects $1, $2, ... placeholders (PostgreSQL) instead
	// of ? (SQLite). Queries are written with ? and rewritten.
	NumberedParams bool
	// ArrayParams passes a list of ids as one text[] parameter, joined
	// with unnest (PostgreSQL), instead of chunked IN lists (SQLite). On
	// PostgreSQL an IN list of parameters turns, in a generic plan, into a
	// filter over every row of the connection: quadratic on a large table
	// not yet analyzed, such as during a first import. A join with unnest
	// stays a nested loop of index lookups.
	ArrayParams bool
	// IndexedBy makes lookups that must use one index say so (SQLite's
	// INDEXED BY). SQLite plans without statistics and, given an equality
	// on a primary key's first column, scans that range rather than use a
	// secondary index that matches more columns: a lookup by b_id or by a
	// match key would read every link or record of the stream.
	IndexedBy bool
	// WriteTx and ReadTx are the options InTx and Read begin with.
	WriteTx, ReadTx sql.TxOptions
	// IsUniqueViolation reports whether err is a unique or primary key
	// constraint failure.
	IsUniqueViolation func(err error) bool
	// IsRetryable reports whether a transaction that failed with err may
	// succeed if run again: a serialization failure, a deadlock, a busy
	// database. Nil means never.
	IsRetryable func(err error) bool
}

// from returns table, with an index hint where the dialect takes one.
func (d *Dialect) from(table, index string) string {
	if d.IndexedBy {
		return table + " INDEXED BY " + index
	}
	return table
}

// rebind rewrites the ? placeholders of q for the dialect. Queries in this
// package never hold a ? inside a literal.
func (d *Dialect) rebind(q string) string {
	if !d.NumberedParams || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/4)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
