-- Sessions of AI agents, their instances (one git worktree each) and chat.
-- Each table keeps the fields this code does not know in a JSON `extra` column,
-- so nothing a caller stored is ever dropped.
-- Timestamps are kept as the caller wrote them; the *_key columns hold the same
-- instant as microseconds since the epoch so that sorting is exact.

-- Also created by the runner before it applies anything: it records this file.
CREATE TABLE IF NOT EXISTS migration_metadata (
    version     INTEGER PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    success     INTEGER NOT NULL DEFAULT 1,
    applied_at  TEXT NOT NULL,
    duration_ms REAL NOT NULL
);

CREATE TABLE workspaces (
    hash          TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 16),
    path          TEXT,              -- real path; NULL while only the hash is known
    created_at    TEXT NOT NULL,
    last_accessed TEXT NOT NULL
);

CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
    workspace_hash      TEXT NOT NULL REFERENCES workspaces(hash) ON DELETE CASCADE,
    type                TEXT NOT NULL CHECK (type IN ('competition', 'ensemble', 'debate')),
    task                TEXT NOT NULL CHECK (task <> ''),
    status              TEXT NOT NULL
                        CHECK (status IN ('running', 'completed', 'failed', 'paused')),
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
    extra               TEXT CHECK (extra IS NULL OR json_valid(extra))
);

-- The seed's indexes, each leading with the workspace because every query is
-- scoped to one workspace, and ending with the sort key and id so that lists
-- newest first are a (backward) index scan and cursors are exact.
CREATE INDEX idx_sessions_workspace ON sessions (workspace_hash, updated_key, id);
CREATE INDEX idx_sessions_status    ON sessions (workspace_hash, status, updated_key, id);
CREATE INDEX idx_sessions_type      ON sessions (workspace_hash, type, updated_key, id);
CREATE INDEX idx_sessions_created   ON sessions (workspace_hash, created_key, id);
CREATE INDEX idx_sessions_duration  ON sessions (workspace_hash, total_duration, id);
CREATE INDEX idx_sessions_files     ON sessions (workspace_hash, total_files_changed, id);

CREATE TABLE instances (
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    instance_id     INTEGER NOT NULL,
    worktree_path   TEXT NOT NULL,
    branch          TEXT NOT NULL,
    agent_name      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN
                    ('idle', 'running', 'completed', 'failed', 'paused', 'archived')),
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

CREATE UNIQUE INDEX idx_instances_session ON instances (session_id, instance_id);

CREATE TABLE chat_messages (
    seq         INTEGER PRIMARY KEY,  -- order added, breaks timestamp ties
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id          TEXT NOT NULL CHECK (id <> ''),
    role        TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content     TEXT NOT NULL CHECK (content <> ''),
    timestamp   TEXT NOT NULL,
    ts_key      INTEGER NOT NULL,
    instance_id INTEGER,
    extra       TEXT CHECK (extra IS NULL OR json_valid(extra)),
    UNIQUE (session_id, id)
);

CREATE INDEX idx_chat_messages_session ON chat_messages (session_id, ts_key, seq);

-- Settings the application keeps in the database (storage mode, ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
