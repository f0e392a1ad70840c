-- Issue 11: a trash that keeps deleted sessions whole, and archiving.

-- A deleted session, kept whole as the JSON `get_session_sqlite` returned just
-- before the delete (unknown fields, nulls and chat order included), so that
-- `restore_session` brings back exactly what was deleted. No foreign key: a
-- trashed session outlives its workspace row and the id is free again.
-- Several copies of one id may be here; the newest (highest seq) is restored.
CREATE TABLE trash (
    seq            INTEGER PRIMARY KEY,
    workspace_hash TEXT NOT NULL CHECK (length(workspace_hash) = 16),
    workspace_path TEXT,               -- the workspace's real path when deleted, if known
    session_id     TEXT NOT NULL,
    task           TEXT NOT NULL,
    type           TEXT NOT NULL,
    status         TEXT NOT NULL,
    deleted_at     TEXT NOT NULL,
    session        TEXT NOT NULL CHECK (json_valid(session))
);

CREATE INDEX idx_trash_session ON trash (workspace_hash, session_id, seq);

-- archivedAt is a field of the session JSON (kept, like every field the
-- columns do not name, in `extra`, so a caller's own archivedAt round-trips
-- unchanged); this column exposes it to SQL. Only a text value counts: the
-- models refuse anything but null or an RFC 3339 date-time. Search (issue 10)
-- and the board filter on `archived_at IS NULL` / `IS NOT NULL`.
ALTER TABLE sessions ADD COLUMN archived_at TEXT GENERATED ALWAYS AS (
    CASE json_type(extra, '$.archivedAt') WHEN 'text' THEN json_extract(extra, '$.archivedAt') END
) VIRTUAL;

-- The board's default listing (not archived, newest first) and its counts.
CREATE INDEX idx_sessions_archived ON sessions (workspace_hash, archived_at, updated_key, id);
