-- The hub store, PostgreSQL flavour. Portable rules (see package sqlstore):
-- ids TEXT, times BIGINT Unix microseconds (0 = zero time), JSON TEXT
-- ('' = none), booleans BIGINT 0/1, insertion order by an identity seq.
-- Text is COLLATE "C" so that ORDER BY and id > $1 compare bytes, as SQLite
-- and the in-memory store do. Tables are created in the first schema of
-- search_path.

-- +goose Up
CREATE TABLE orgs (
	id        TEXT COLLATE "C" PRIMARY KEY,
	name      TEXT COLLATE "C" NOT NULL DEFAULT '',
	time_zone TEXT COLLATE "C" NOT NULL DEFAULT 'UTC',
	created   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX orgs_created ON orgs (created, id);

CREATE TABLE users (
	id           TEXT COLLATE "C" PRIMARY KEY,
	org_id       TEXT COLLATE "C" NOT NULL,
	email        TEXT COLLATE "C" NOT NULL,
	name         TEXT COLLATE "C" NOT NULL DEFAULT '',
	role         TEXT COLLATE "C" NOT NULL DEFAULT 'member',
	time_zone    TEXT COLLATE "C" NOT NULL DEFAULT '',
	crm_user_id  TEXT COLLATE "C" NOT NULL DEFAULT '',
	sync_enabled BIGINT NOT NULL DEFAULT 0,
	disabled     BIGINT NOT NULL DEFAULT 0,
	created      BIGINT NOT NULL DEFAULT 0,
	UNIQUE (org_id, email)
);

CREATE TABLE tokens (
	id        TEXT COLLATE "C" PRIMARY KEY,
	user_id   TEXT COLLATE "C" NOT NULL,
	org_id    TEXT COLLATE "C" NOT NULL,
	hash      TEXT COLLATE "C" NOT NULL UNIQUE,
	name      TEXT COLLATE "C" NOT NULL DEFAULT '',
	created   BIGINT NOT NULL DEFAULT 0,
	last_used BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE connections (
	id          TEXT COLLATE "C" PRIMARY KEY,
	org_id      TEXT COLLATE "C" NOT NULL,
	sys         TEXT COLLATE "C" NOT NULL,
	user_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
	name        TEXT COLLATE "C" NOT NULL DEFAULT '',
	status      TEXT COLLATE "C" NOT NULL DEFAULT 'active',
	config      TEXT COLLATE "C" NOT NULL DEFAULT '',
	credentials BYTEA, -- sealed with secret.Box, NULL for none
	error       TEXT COLLATE "C" NOT NULL DEFAULT '',
	created     BIGINT NOT NULL DEFAULT 0,
	updated     BIGINT NOT NULL DEFAULT 0,
	UNIQUE (org_id, sys, user_id)
);
CREATE INDEX connections_org ON connections (org_id, created, id);

CREATE TABLE streams (
	id         TEXT COLLATE "C" PRIMARY KEY,
	org_id     TEXT COLLATE "C" NOT NULL,
	user_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
	name       TEXT COLLATE "C" NOT NULL DEFAULT '',
	kind       TEXT COLLATE "C" NOT NULL DEFAULT '',
	conn_a     TEXT COLLATE "C" NOT NULL DEFAULT '',
	object_a   TEXT COLLATE "C" NOT NULL DEFAULT '',
	conn_b     TEXT COLLATE "C" NOT NULL DEFAULT '',
	object_b   TEXT COLLATE "C" NOT NULL DEFAULT '',
	enabled    BIGINT NOT NULL DEFAULT 0,
	enabled_at BIGINT NOT NULL DEFAULT 0,
	settings   TEXT COLLATE "C" NOT NULL DEFAULT '',
	schedule   TEXT COLLATE "C" NOT NULL DEFAULT '',
	last_run   BIGINT NOT NULL DEFAULT 0,
	next_run   BIGINT NOT NULL DEFAULT 0,
	last_error TEXT COLLATE "C" NOT NULL DEFAULT '',
	created    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX streams_org ON streams (org_id, created, id);
CREATE INDEX streams_created ON streams (created, id);

CREATE TABLE runs (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY,
	id          TEXT COLLATE "C" PRIMARY KEY,
	org_id      TEXT COLLATE "C" NOT NULL,
	stream_id   TEXT COLLATE "C" NOT NULL,
	run_trigger TEXT COLLATE "C" NOT NULL DEFAULT '',
	status      TEXT COLLATE "C" NOT NULL DEFAULT 'queued',
	started     BIGINT NOT NULL DEFAULT 0,
	finished    BIGINT NOT NULL DEFAULT 0,
	done        BIGINT NOT NULL DEFAULT 0,
	total       BIGINT NOT NULL DEFAULT 0,
	counts      TEXT COLLATE "C" NOT NULL DEFAULT '',
	error       TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX runs_stream ON runs (stream_id, seq);

CREATE TABLE records (
	conn_id   TEXT COLLATE "C" NOT NULL,
	object    TEXT COLLATE "C" NOT NULL,
	id        TEXT COLLATE "C" NOT NULL,
	ext_key   TEXT COLLATE "C" NOT NULL DEFAULT '',
	fields    TEXT COLLATE "C" NOT NULL DEFAULT '',
	created   BIGINT NOT NULL DEFAULT 0,
	modified  BIGINT NOT NULL DEFAULT 0,
	deleted   BIGINT NOT NULL DEFAULT 0,
	email_key TEXT COLLATE "C" NOT NULL DEFAULT '',
	name_key  TEXT COLLATE "C" NOT NULL DEFAULT '',
	gen       BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (conn_id, object, id)
);
CREATE INDEX records_ext_key ON records (conn_id, object, ext_key) WHERE ext_key <> '';
CREATE INDEX records_email_key ON records (conn_id, object, email_key) WHERE email_key <> '';
CREATE INDEX records_name_key ON records (conn_id, object, name_key) WHERE name_key <> '';
CREATE INDEX records_gen ON records (conn_id, object, gen);

CREATE TABLE pending (
	seq       BIGINT GENERATED ALWAYS AS IDENTITY,
	stream_id TEXT COLLATE "C" NOT NULL,
	side      TEXT COLLATE "C" NOT NULL,
	record_id TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (stream_id, side, record_id)
);
CREATE INDEX pending_order ON pending (stream_id, seq);

CREATE TABLE links (
	stream_id TEXT COLLATE "C" NOT NULL,
	a_id      TEXT COLLATE "C" NOT NULL,
	b_id      TEXT COLLATE "C" NOT NULL,
	base      TEXT COLLATE "C" NOT NULL DEFAULT '',
	created   BIGINT NOT NULL DEFAULT 0,
	updated   BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (stream_id, a_id),
	UNIQUE (stream_id, b_id)
);

CREATE TABLE cursors (
	stream_id TEXT COLLATE "C" NOT NULL,
	side      TEXT COLLATE "C" NOT NULL,
	value     TEXT COLLATE "C" NOT NULL DEFAULT '',
	gen       BIGINT NOT NULL DEFAULT 0,
	updated   BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (stream_id, side)
);

CREATE TABLE tombstones (
	stream_id TEXT COLLATE "C" NOT NULL,
	side      TEXT COLLATE "C" NOT NULL,
	record_id TEXT COLLATE "C" NOT NULL,
	deleted   BIGINT NOT NULL DEFAULT 0,
	reason    TEXT COLLATE "C" NOT NULL DEFAULT '',
	PRIMARY KEY (stream_id, side, record_id)
);

CREATE TABLE conflicts (
	seq       BIGINT GENERATED ALWAYS AS IDENTITY,
	id        TEXT COLLATE "C" PRIMARY KEY,
	org_id    TEXT COLLATE "C" NOT NULL,
	stream_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	a_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
	b_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
	field     TEXT COLLATE "C" NOT NULL DEFAULT '',
	a_value   TEXT COLLATE "C" NOT NULL DEFAULT '',
	b_value   TEXT COLLATE "C" NOT NULL DEFAULT '',
	winner    TEXT COLLATE "C" NOT NULL DEFAULT '',
	reason    TEXT COLLATE "C" NOT NULL DEFAULT '',
	created   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX conflicts_org ON conflicts (org_id, seq);
CREATE INDEX conflicts_stream ON conflicts (stream_id, a_id, seq);

CREATE TABLE quarantine (
	seq       BIGINT GENERATED ALWAYS AS IDENTITY,
	id        TEXT COLLATE "C" PRIMARY KEY,
	org_id    TEXT COLLATE "C" NOT NULL,
	stream_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	side      TEXT COLLATE "C" NOT NULL DEFAULT '',
	record_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	field     TEXT COLLATE "C" NOT NULL DEFAULT '',
	error     TEXT COLLATE "C" NOT NULL DEFAULT '',
	payload   TEXT COLLATE "C" NOT NULL DEFAULT '',
	status    TEXT COLLATE "C" NOT NULL DEFAULT 'open',
	created   BIGINT NOT NULL DEFAULT 0,
	updated   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX quarantine_org ON quarantine (org_id, status, seq);
CREATE INDEX quarantine_stream ON quarantine (stream_id, status, seq);

CREATE TABLE audit (
	seq      BIGINT GENERATED ALWAYS AS IDENTITY,
	id       TEXT COLLATE "C" PRIMARY KEY,
	org_id   TEXT COLLATE "C" NOT NULL,
	actor_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	action   TEXT COLLATE "C" NOT NULL DEFAULT '',
	target   TEXT COLLATE "C" NOT NULL DEFAULT '',
	detail   TEXT COLLATE "C" NOT NULL DEFAULT '',
	created  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX audit_org ON audit (org_id, seq);

CREATE TABLE outbox (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY,
	id         TEXT COLLATE "C" PRIMARY KEY,
	org_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
	kind       TEXT COLLATE "C" NOT NULL DEFAULT '',
	msg_key    TEXT COLLATE "C" NOT NULL UNIQUE,
	payload    TEXT COLLATE "C" NOT NULL DEFAULT '',
	status     TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
	attempts   BIGINT NOT NULL DEFAULT 0,
	next_try   BIGINT NOT NULL DEFAULT 0,
	last_error TEXT COLLATE "C" NOT NULL DEFAULT '',
	created    BIGINT NOT NULL DEFAULT 0,
	sent       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (status, next_try, seq);

CREATE TABLE settings (
	org_id  TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	name    TEXT COLLATE "C" NOT NULL,
	value   TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (org_id, user_id, name)
);

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
