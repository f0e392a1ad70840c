-- An import run records the process importing it (pid and host), so that the
-- next import can tell a run whose process is gone (killed) from one still
-- going in another process, and close it out as 'interrupted' instead of
-- leaving it 'running' for ever.
--
-- SQLite cannot change a CHECK constraint in place: both import tables are
-- copied aside, dropped (child first, so that no ON DELETE CASCADE fires) and
-- made again with their rows.

CREATE TEMP TABLE import_runs_copy AS SELECT * FROM import_runs;
CREATE TEMP TABLE import_files_copy AS SELECT * FROM import_files;
DROP TABLE import_files;
DROP TABLE import_runs;

CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    source_dir  TEXT NOT NULL,
    overwrite   INTEGER NOT NULL CHECK (overwrite IN (0, 1)),
    backup_path TEXT,               -- the copy of the folder made before this run, if any
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'interrupted')),
    summary     TEXT CHECK (summary IS NULL OR json_valid(summary)),
    pid         INTEGER,            -- the importing process (NULL: runs from before this file)
    host        TEXT
);

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

INSERT INTO import_runs (id, started_at, finished_at, source_dir, overwrite, backup_path, state,
                         summary)
    SELECT id, started_at, finished_at, source_dir, overwrite, backup_path, state, summary
    FROM import_runs_copy;
INSERT INTO import_files SELECT * FROM import_files_copy;
DROP TABLE import_runs_copy;
DROP TABLE import_files_copy;
