-- The change log the window follows: one row per session, the latest change to it.
-- Written by triggers, so every program that writes sessions (this one, another
-- window, the command line, the shell with its own SQLite connection) leaves
-- its mark in the same transaction as the change itself. `seq` only grows
-- (AUTOINCREMENT never reuses a value), so "changes after seq N" is exact.
-- Instance and chat writes always touch their session's row (updatedAt, counts).

CREATE TABLE session_changes (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id     TEXT NOT NULL UNIQUE,
    workspace_hash TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('upserted', 'deleted'))
);

-- DELETE then INSERT rather than INSERT OR REPLACE: a conflict clause on the
-- statement that fires a trigger (an import's INSERT OR IGNORE) would override
-- the trigger's own.
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

-- Streaming output: append_instance_output adds a row here instead of rewriting
-- the instance's whole output (a 100 KB value spans many pages); reads join the
-- rows to the output in order, and the writer folds them into the output now
-- and then (repository.append_instance_output), so the list stays short.
CREATE TABLE output_appends (
    seq         INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL,
    instance_id INTEGER NOT NULL,
    text        TEXT NOT NULL,
    FOREIGN KEY (session_id, instance_id) REFERENCES instances (session_id, instance_id)
        ON DELETE CASCADE
);

CREATE INDEX idx_output_appends ON output_appends (session_id, instance_id, seq);
