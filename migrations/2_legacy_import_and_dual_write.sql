-- Phase 2: importing the legacy JSON files, and the dual-write records.

-- One row per real (not dry) run of the importer.
CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    source_dir  TEXT NOT NULL,
    overwrite   INTEGER NOT NULL CHECK (overwrite IN (0, 1)),
    backup_path TEXT,               -- the copy of the folder made before this run, if any
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    summary     TEXT CHECK (summary IS NULL OR json_valid(summary))
);

-- One row per file a run imported, written in the same transaction as the
-- file's sessions, so the record and the data always agree.
CREATE TABLE import_files (
    run_id             INTEGER NOT NULL REFERENCES import_runs(id) ON DELETE CASCADE,
    file_name          TEXT NOT NULL,
    workspace_hash     TEXT NOT NULL,
    sha256             TEXT NOT NULL,
    size_bytes         INTEGER NOT NULL,
    sessions_read      INTEGER NOT NULL,
    sessions_written   INTEGER NOT NULL,
    sessions_unchanged INTEGER NOT NULL,
    sessions_skipped   INTEGER NOT NULL,
    imported_at        TEXT NOT NULL,
    PRIMARY KEY (run_id, file_name)
);

-- In dual storage mode: every write where the two stores did not agree (one
-- failed, or both succeeded with different results). Nothing is dropped
-- silently: each such write leaves a row here (or, when the database itself
-- cannot be written, a line in the fallback log beside it).
CREATE TABLE dual_write_events (
    id               INTEGER PRIMARY KEY,
    at               TEXT NOT NULL,
    command          TEXT NOT NULL,
    workspace_hash   TEXT NOT NULL,
    session_id       TEXT,
    kind             TEXT NOT NULL CHECK (kind IN
                     ('difference', 'json_failed', 'database_failed', 'commit_failed')),
    database_outcome TEXT NOT NULL,  -- 'ok', 'rolled back' or the error
    json_outcome     TEXT NOT NULL,  -- 'ok', 'restored', 'would succeed' or the error
    detail           TEXT CHECK (detail IS NULL OR json_valid(detail))
);

CREATE INDEX idx_dual_write_events_at ON dual_write_events (at);
