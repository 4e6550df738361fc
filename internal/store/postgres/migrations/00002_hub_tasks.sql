-- The hub's own reminder tasks, one list per user (SPEC T1-T8). Portable
-- rules as in 00001_init.sql.
--
-- seq is the task's place in the change feed: every create, update and
-- delete sets it to MAX(seq) + 1 inside the writing transaction. Write
-- transactions are SERIALIZABLE, so two writers that read the same MAX
-- cannot both commit: seqs follow commit order and a reader that has seen
-- seq n has seen every change below it. (A sequence would not: a
-- transaction holding n could commit after one holding n + 1, and a
-- reader between the two commits would skip n for good.) Deletes keep the
-- row as a tombstone (deleted = 1) for the feed. A connector's idempotency
-- key is unique per user among live tasks.

-- +goose Up
CREATE TABLE hub_tasks (
	id           TEXT COLLATE "C" PRIMARY KEY,
	org_id       TEXT COLLATE "C" NOT NULL,
	user_id      TEXT COLLATE "C" NOT NULL,
	name         TEXT COLLATE "C" NOT NULL,
	status       TEXT COLLATE "C" NOT NULL DEFAULT 'Open',
	priority     TEXT COLLATE "C" NOT NULL DEFAULT 'Normal',
	due          TEXT COLLATE "C" NOT NULL DEFAULT '',
	details      TEXT COLLATE "C" NOT NULL DEFAULT '',
	related_type TEXT COLLATE "C" NOT NULL DEFAULT '',
	related_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
	ext_key      TEXT COLLATE "C" NOT NULL DEFAULT '',
	created      BIGINT NOT NULL DEFAULT 0,
	modified     BIGINT NOT NULL DEFAULT 0,
	deleted      BIGINT NOT NULL DEFAULT 0,
	seq          BIGINT NOT NULL UNIQUE
);
CREATE INDEX hub_tasks_feed ON hub_tasks (org_id, user_id, seq);
CREATE INDEX hub_tasks_due ON hub_tasks (org_id, user_id, due);
CREATE UNIQUE INDEX hub_tasks_key ON hub_tasks (org_id, user_id, ext_key) WHERE ext_key <> '' AND deleted = 0;

-- +goose Down
DROP TABLE hub_tasks;
