-- migrate: foreign_keys off
-- Issue 18: the shell's own Rust side writes statuses of its own into the legacy
-- files (a debate's session `started`, `round_1`, `round_2`, ...; instances
-- `starting`, `timeout`, `error`), and the contract keeps them as written. The
-- CHECK constraints of migration 1 allowed only the seed's sets, so dual and
-- sqlite modes refused them. The models decide which values are accepted (one
-- rule, models.py); the database keeps a status a short word: 1 to 100 of
-- a-z, 0-9 and `_`, text only.
--
-- SQLite cannot change a CHECK constraint in place: both tables are rebuilt by
-- the procedure of sqlite.org/lang_altertable.html ("Making Other Kinds Of
-- Table Schema Changes", the 12 steps). The runner applies this file with
-- foreign keys off (the line at its top), in one transaction, and checks
-- `PRAGMA foreign_key_check` before it commits. Rows keep their rowids; every
-- index and trigger is made again as it was; the copies fire no trigger, so
-- the change log and the derived data stay as they were.

-- Names `sessions` in its body: a rename would refuse to run while it points
-- at a table that has been dropped.
DROP TRIGGER output_appends_touch_session;

CREATE TABLE sessions_new (
    id                  TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
    workspace_hash      TEXT NOT NULL REFERENCES workspaces(hash) ON DELETE CASCADE,
    type                TEXT NOT NULL CHECK (type IN ('competition', 'ensemble', 'debate')),
    task                TEXT NOT NULL CHECK (task <> ''),
    status              TEXT NOT NULL
                        CHECK (typeof(status) = 'text' AND length(status) BETWEEN 1 AND 100
                               AND status NOT GLOB '*[^a-z0-9_]*'),
    created_at          TEXT NOT NULL,
    created_key         INTEGER NOT NULL,
    updated_at          TEXT NOT NULL,
    updated_key         INTEGER NOT NULL,
    completed_at        TEXT,
    model               TEXT,
    timeout_seconds     INTEGER,
    preserve_worktrees  INTEGER CHECK (preserve_worktrees IN (0, 1)),
    winner_id           INTEGER,
    runtime_mix         TEXT CHECK (runtime_mix IS NULL OR json_valid(runtime_mix)),
    total_duration      INTEGER,
    total_files_changed INTEGER,
    total_lines_added   INTEGER,
    total_lines_deleted INTEGER,
    -- counts kept by the repository so the board never touches instances or chat
    instance_count      INTEGER NOT NULL DEFAULT 0,
    message_count       INTEGER NOT NULL DEFAULT 0,
    extra               TEXT CHECK (extra IS NULL OR json_valid(extra)),
    archived_at TEXT GENERATED ALWAYS AS (
        CASE json_type(extra, '$.archivedAt') WHEN 'text'
        THEN json_extract(extra, '$.archivedAt') END
    ) VIRTUAL
);

INSERT INTO sessions_new (rowid, id, workspace_hash, type, task, status, created_at,
    created_key, updated_at, updated_key, completed_at, model, timeout_seconds,
    preserve_worktrees, winner_id, runtime_mix, total_duration, total_files_changed,
    total_lines_added, total_lines_deleted, instance_count, message_count, extra)
SELECT rowid, id, workspace_hash, type, task, status, created_at,
    created_key, updated_at, updated_key, completed_at, model, timeout_seconds,
    preserve_worktrees, winner_id, runtime_mix, total_duration, total_files_changed,
    total_lines_added, total_lines_deleted, instance_count, message_count, extra
FROM sessions;

DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;

CREATE INDEX idx_sessions_workspace ON sessions (workspace_hash, updated_key, id);
CREATE INDEX idx_sessions_status    ON sessions (workspace_hash, status, updated_key, id);
CREATE INDEX idx_sessions_type      ON sessions (workspace_hash, type, updated_key, id);
CREATE INDEX idx_sessions_created   ON sessions (workspace_hash, created_key, id);
CREATE INDEX idx_sessions_duration  ON sessions (workspace_hash, total_duration, id);
CREATE INDEX idx_sessions_files     ON sessions (workspace_hash, total_files_changed, id);
CREATE INDEX idx_sessions_archived  ON sessions (workspace_hash, archived_at, updated_key, id);
CREATE INDEX idx_sessions_insights  ON sessions (workspace_hash, updated_key, type, created_key);

CREATE TRIGGER session_changes_on_insert AFTER INSERT ON sessions BEGIN
    DELETE FROM session_changes WHERE session_id = new.id;
    INSERT INTO session_changes (session_id, workspace_hash, kind)
    VALUES (new.id, new.workspace_hash, 'upserted');
END;

CREATE TRIGGER session_changes_on_update AFTER UPDATE ON sessions BEGIN
    DELETE FROM session_changes WHERE session_id IN (old.id, new.id);
    INSERT INTO session_changes (session_id, workspace_hash, kind)
    VALUES (new.id, new.workspace_hash, 'upserted');
END;

CREATE TRIGGER session_changes_on_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM session_changes WHERE session_id = old.id;
    INSERT INTO session_changes (session_id, workspace_hash, kind)
    VALUES (old.id, old.workspace_hash, 'deleted');
END;

CREATE TABLE instances_new (
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    instance_id     INTEGER NOT NULL,
    worktree_path   TEXT NOT NULL,
    branch          TEXT NOT NULL,
    agent_name      TEXT NOT NULL,
    status          TEXT NOT NULL
                    CHECK (typeof(status) = 'text' AND length(status) BETWEEN 1 AND 100
                           AND status NOT GLOB '*[^a-z0-9_]*'),
    tmux_session_id TEXT NOT NULL,
    start_time      TEXT,
    end_time        TEXT,
    files_changed   INTEGER,
    lines_added     INTEGER,
    lines_deleted   INTEGER,
    runtime         TEXT,
    model           TEXT,
    runtime_label   TEXT,
    extra           TEXT CHECK (extra IS NULL OR json_valid(extra)),
    output          TEXT             -- last: large, so narrow reads stop before it
);

INSERT INTO instances_new (rowid, session_id, instance_id, worktree_path, branch, agent_name,
    status, tmux_session_id, start_time, end_time, files_changed, lines_added, lines_deleted,
    runtime, model, runtime_label, extra, output)
SELECT rowid, session_id, instance_id, worktree_path, branch, agent_name,
    status, tmux_session_id, start_time, end_time, files_changed, lines_added, lines_deleted,
    runtime, model, runtime_label, extra, output
FROM instances;

DROP TABLE instances;
ALTER TABLE instances_new RENAME TO instances;

CREATE UNIQUE INDEX idx_instances_session ON instances (session_id, instance_id);

CREATE TRIGGER output_appends_touch_session AFTER INSERT ON output_appends BEGIN
    UPDATE sessions SET updated_at = new.at, updated_key = new.at_key
    WHERE id = new.session_id AND new.at IS NOT NULL;
END;
