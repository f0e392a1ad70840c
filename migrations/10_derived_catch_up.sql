-- Derived data off the write path (issue 16).
--
-- A write now writes the session's rows and one line of the change log
-- (`session_changes`, migration 5, kept by its triggers on `sessions`), nothing
-- more. The search index (`search_fts`, `search_docs`) and the insights rows
-- (`insight_runs`) are derived from the sessions by one catch-up step
-- (backend/ait42_session/catchup.py) that reads the log from its saved
-- position, brings every derived table up to date in one transaction per
-- batch, and moves the position in that same transaction: a kill at any point
-- leaves the derived data current or behind, never wrong.
--
-- So the per-row upkeep triggers go: the search pending list (9 triggers), the
-- insights rows (4), and the per-chunk index of streamed output with the
-- Python function it called.

DROP TRIGGER search_sessions_insert;
DROP TRIGGER search_sessions_update;
DROP TRIGGER search_sessions_delete;
DROP TRIGGER search_instances_insert;
DROP TRIGGER search_instances_update;
DROP TRIGGER search_instances_delete;
DROP TRIGGER search_messages_insert;
DROP TRIGGER search_messages_update;
DROP TRIGGER search_messages_delete;

DROP TRIGGER insight_runs_instance_insert;
DROP TRIGGER insight_runs_instance_delete;
DROP TRIGGER insight_runs_instance_update;
DROP TRIGGER insight_runs_session_update;

DROP TRIGGER output_appends_index;
DROP TABLE search_stream;

-- How far the catch-up has read the change log (one row, name 'catchup'):
-- every change with seq <= this is reflected in every derived table.
CREATE TABLE derived_position (
    name TEXT PRIMARY KEY NOT NULL,
    seq  INTEGER NOT NULL
) WITHOUT ROWID;

-- The derived data was current when this migration ran, except for the
-- sessions still waiting in the old pending list (and those a database made
-- before migration 5 never logged): the position starts at the log's end and
-- those sessions get fresh lines past it. Deleted sessions still indexed leave
-- the index here.
INSERT INTO derived_position (name, seq)
SELECT 'catchup', coalesce(max(seq), 0) FROM session_changes;

DELETE FROM search_fts WHERE rowid IN (
    SELECT docid FROM search_docs WHERE session_id NOT IN (SELECT id FROM sessions));
DELETE FROM search_docs WHERE session_id NOT IN (SELECT id FROM sessions);

DELETE FROM session_changes WHERE kind = 'upserted' AND (
    session_id IN (SELECT session_id FROM search_pending)
    OR session_id NOT IN (SELECT session_id FROM search_docs));
INSERT INTO session_changes (session_id, workspace_hash, kind)
SELECT s.id, s.workspace_hash, 'upserted' FROM sessions s
WHERE NOT EXISTS (SELECT 1 FROM session_changes c WHERE c.session_id = s.id);

DROP TABLE search_pending;
