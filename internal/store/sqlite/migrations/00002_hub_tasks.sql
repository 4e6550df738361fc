-- The hub's own reminder tasks, one list per user (SPEC T1-T8). Portable
-- rules as in 00001_init.sql.
--
-- seq is the task's place in the change feed: every create, update and
-- delete sets it to MAX(seq) + 1 inside the writing transaction, so seqs
-- follow commit order (SQLite has one writer) and a reader that has seen
-- seq n has seen every change below it. Deletes keep the row as a
-- tombstone (deleted = 1) for the feed. A connector's idempotency key is
-- unique per user among live tasks.

-- +goose Up
CREATE TABLE hub_tasks (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	name         TEXT NOT NULL,
	status       TEXT NOT NULL DEFAULT 'Open',
	priority     TEXT NOT NULL DEFAULT 'Normal',
	due          TEXT NOT NULL DEFAULT '',
	details      TEXT NOT NULL DEFAULT '',
	related_type TEXT NOT NULL DEFAULT '',
	related_id   TEXT NOT NULL DEFAULT '',
	ext_key      TEXT NOT NULL DEFAULT '',
	created      INTEGER NOT NULL DEFAULT 0,
	modified     INTEGER NOT NULL DEFAULT 0,
	deleted      INTEGER NOT NULL DEFAULT 0,
	seq          INTEGER NOT NULL UNIQUE
) STRICT;
CREATE INDEX hub_tasks_feed ON hub_tasks (org_id, user_id, seq);
CREATE INDEX hub_tasks_due ON hub_tasks (org_id, user_id, due);
CREATE UNIQUE INDEX hub_tasks_key ON hub_tasks (org_id, user_id, ext_key) WHERE ext_key <> '' AND deleted = 0;

-- +goose Down
DROP TABLE hub_tasks;
