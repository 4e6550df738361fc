-- The hub store, SQLite flavour. Portable rules (see package sqlstore):
-- ids TEXT, times INTEGER Unix microseconds (0 = zero time), JSON TEXT
-- ('' = none), booleans INTEGER 0/1, insertion order by an AUTOINCREMENT seq.
-- Tables are STRICT so that a value of the wrong type is refused.

-- +goose Up
CREATE TABLE orgs (
	id        TEXT PRIMARY KEY,
	name      TEXT NOT NULL DEFAULT '',
	time_zone TEXT NOT NULL DEFAULT 'UTC',
	created   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX orgs_created ON orgs (created, id);

CREATE TABLE users (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	email        TEXT NOT NULL,
	name         TEXT NOT NULL DEFAULT '',
	role         TEXT NOT NULL DEFAULT 'member',
	time_zone    TEXT NOT NULL DEFAULT '',
	crm_user_id  TEXT NOT NULL DEFAULT '',
	sync_enabled INTEGER NOT NULL DEFAULT 0,
	disabled     INTEGER NOT NULL DEFAULT 0,
	created      INTEGER NOT NULL DEFAULT 0,
	UNIQUE (org_id, email)
) STRICT;

CREATE TABLE tokens (
	id        TEXT PRIMARY KEY,
	user_id   TEXT NOT NULL,
	org_id    TEXT NOT NULL,
	hash      TEXT NOT NULL UNIQUE,
	name      TEXT NOT NULL DEFAULT '',
	created   INTEGER NOT NULL DEFAULT 0,
	last_used INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE connections (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	sys         TEXT NOT NULL,
	user_id     TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL DEFAULT 'active',
	config      TEXT NOT NULL DEFAULT '',
	credentials BLOB, -- sealed with secret.Box, NULL for none
	error       TEXT NOT NULL DEFAULT '',
	created     INTEGER NOT NULL DEFAULT 0,
	updated     INTEGER NOT NULL DEFAULT 0,
	UNIQUE (org_id, sys, user_id)
) STRICT;
CREATE INDEX connections_org ON connections (org_id, created, id);

CREATE TABLE streams (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL,
	user_id    TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL DEFAULT '',
	conn_a     TEXT NOT NULL DEFAULT '',
	object_a   TEXT NOT NULL DEFAULT '',
	conn_b     TEXT NOT NULL DEFAULT '',
	object_b   TEXT NOT NULL DEFAULT '',
	enabled    INTEGER NOT NULL DEFAULT 0,
	enabled_at INTEGER NOT NULL DEFAULT 0,
	settings   TEXT NOT NULL DEFAULT '',
	schedule   TEXT NOT NULL DEFAULT '',
	last_run   INTEGER NOT NULL DEFAULT 0,
	next_run   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX streams_org ON streams (org_id, created, id);
CREATE INDEX streams_created ON streams (created, id);

CREATE TABLE runs (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	org_id      TEXT NOT NULL,
	stream_id   TEXT NOT NULL,
	run_trigger TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL DEFAULT 'queued',
	started     INTEGER NOT NULL DEFAULT 0,
	finished    INTEGER NOT NULL DEFAULT 0,
	done        INTEGER NOT NULL DEFAULT 0,
	total       INTEGER NOT NULL DEFAULT 0,
	counts      TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX runs_stream ON runs (stream_id, seq);

CREATE TABLE records (
	conn_id   TEXT NOT NULL,
	object    TEXT NOT NULL,
	id        TEXT NOT NULL,
	ext_key   TEXT NOT NULL DEFAULT '',
	fields    TEXT NOT NULL DEFAULT '',
	created   INTEGER NOT NULL DEFAULT 0,
	modified  INTEGER NOT NULL DEFAULT 0,
	deleted   INTEGER NOT NULL DEFAULT 0,
	email_key TEXT NOT NULL DEFAULT '',
	name_key  TEXT NOT NULL DEFAULT '',
	gen       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (conn_id, object, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX records_ext_key ON records (conn_id, object, ext_key) WHERE ext_key <> '';
CREATE INDEX records_email_key ON records (conn_id, object, email_key) WHERE email_key <> '';
CREATE INDEX records_name_key ON records (conn_id, object, name_key) WHERE name_key <> '';
-- No index on gen: the sweep after a full reconciliation (rare) scans the
-- object's primary-key range instead of every import paying for an index.

CREATE TABLE pending (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	stream_id TEXT NOT NULL,
	side      TEXT NOT NULL,
	record_id TEXT NOT NULL,
	UNIQUE (stream_id, side, record_id)
) STRICT;
CREATE INDEX pending_order ON pending (stream_id, seq);

CREATE TABLE links (
	stream_id TEXT NOT NULL,
	a_id      TEXT NOT NULL,
	b_id      TEXT NOT NULL,
	base      TEXT NOT NULL DEFAULT '',
	created   INTEGER NOT NULL DEFAULT 0,
	updated   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (stream_id, a_id)
) STRICT, WITHOUT ROWID;
-- Named, so that lookups by b_id can insist on it (INDEXED BY): without
-- statistics the planner would scan the stream's primary-key range.
CREATE UNIQUE INDEX links_b ON links (stream_id, b_id);

CREATE TABLE cursors (
	stream_id TEXT NOT NULL,
	side      TEXT NOT NULL,
	value     TEXT NOT NULL DEFAULT '',
	gen       INTEGER NOT NULL DEFAULT 0,
	updated   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (stream_id, side)
) STRICT, WITHOUT ROWID;

CREATE TABLE tombstones (
	stream_id TEXT NOT NULL,
	side      TEXT NOT NULL,
	record_id TEXT NOT NULL,
	deleted   INTEGER NOT NULL DEFAULT 0,
	reason    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (stream_id, side, record_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE conflicts (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	id        TEXT NOT NULL UNIQUE,
	org_id    TEXT NOT NULL,
	stream_id TEXT NOT NULL DEFAULT '',
	a_id      TEXT NOT NULL DEFAULT '',
	b_id      TEXT NOT NULL DEFAULT '',
	field     TEXT NOT NULL DEFAULT '',
	a_value   TEXT NOT NULL DEFAULT '',
	b_value   TEXT NOT NULL DEFAULT '',
	winner    TEXT NOT NULL DEFAULT '',
	reason    TEXT NOT NULL DEFAULT '',
	created   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX conflicts_org ON conflicts (org_id, seq);
CREATE INDEX conflicts_stream ON conflicts (stream_id, a_id, seq);

CREATE TABLE quarantine (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	id        TEXT NOT NULL UNIQUE,
	org_id    TEXT NOT NULL,
	stream_id TEXT NOT NULL DEFAULT '',
	side      TEXT NOT NULL DEFAULT '',
	record_id TEXT NOT NULL DEFAULT '',
	field     TEXT NOT NULL DEFAULT '',
	error     TEXT NOT NULL DEFAULT '',
	payload   TEXT NOT NULL DEFAULT '',
	status    TEXT NOT NULL DEFAULT 'open',
	created   INTEGER NOT NULL DEFAULT 0,
	updated   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX quarantine_org ON quarantine (org_id, status, seq);
CREATE INDEX quarantine_stream ON quarantine (stream_id, status, seq);

CREATE TABLE audit (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	id       TEXT NOT NULL UNIQUE,
	org_id   TEXT NOT NULL,
	actor_id TEXT NOT NULL DEFAULT '',
	action   TEXT NOT NULL DEFAULT '',
	target   TEXT NOT NULL DEFAULT '',
	detail   TEXT NOT NULL DEFAULT '',
	created  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX audit_org ON audit (org_id, seq);

CREATE TABLE outbox (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	org_id     TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL DEFAULT '',
	msg_key    TEXT NOT NULL UNIQUE,
	payload    TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL DEFAULT 'pending',
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_try   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created    INTEGER NOT NULL DEFAULT 0,
	sent       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX outbox_due ON outbox (status, next_try, seq);

CREATE TABLE settings (
	org_id  TEXT NOT NULL,
	user_id TEXT NOT NULL DEFAULT '',
	name    TEXT NOT NULL,
	value   TEXT NOT NULL,
	PRIMARY KEY (org_id, user_id, name)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE settings;
DROP TABLE outbox;
DROP TABLE audit;
DROP TABLE quarantine;
DROP TABLE conflicts;
DROP TABLE tombstones;
DROP TABLE cursors;
DROP TABLE links;
DROP TABLE pending;
DROP TABLE records;
DROP TABLE runs;
DROP TABLE streams;
DROP TABLE connections;
DROP TABLE tokens;
DROP TABLE users;
DROP TABLE orgs;
