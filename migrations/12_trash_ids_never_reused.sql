-- A trashed copy is addressed by its trashId (the trash row's seq: list_trash,
-- restore_session, purge_trash). A plain INTEGER PRIMARY KEY may hand the
-- number of the newest row, once restored or purged, to the next copy trashed;
-- with AUTOINCREMENT a number is never given twice, so a trashId a caller holds
-- can only ever mean the copy it was given for. Rows keep their numbers.
CREATE TABLE trash_numbered (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_hash TEXT NOT NULL CHECK (length(workspace_hash) = 16),
    workspace_path TEXT,
    session_id     TEXT NOT NULL,
    task           TEXT NOT NULL,
    type           TEXT NOT NULL,
    status         TEXT NOT NULL,
    deleted_at     TEXT NOT NULL,
    session        TEXT NOT NULL CHECK (json_valid(session))
);

INSERT INTO trash_numbered (seq, workspace_hash, workspace_path, session_id, task, type,
                            status, deleted_at, session)
SELECT seq, workspace_hash, workspace_path, session_id, task, type, status, deleted_at, session
FROM trash;

DROP TABLE trash;
ALTER TABLE trash_numbered RENAME TO trash;
CREATE INDEX idx_trash_session ON trash (workspace_hash, session_id, seq);
