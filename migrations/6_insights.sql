-- Insights (get_insights): one narrow row per agent run, kept by triggers.
--
-- Counting 100,000 sessions' instances per agent, runtime and model through
-- the instances table means a join to each instance's session (its winner,
-- model, workspace, type, time) and a sort to group: most of a second. Here
-- each instance has a row that already holds what the counting needs, with
-- the contract's folding done once (no runtime: 'unknown'; no model: the
-- session's, else 'unknown'), in (workspace, agent, runtime, model) order, so
-- a GROUP BY reads the rows in order and never sorts, and never touches an
-- instance's output. The triggers keep it equal to the sessions and instances
-- tables on every write, whichever command or import makes it; a session
-- deleted (or moved to the trash) takes its rows with it through the
-- instances' ON DELETE CASCADE.
--
-- duration_ms: endTime - startTime as SQLite's julianday reads them (to the
-- millisecond); NULL when either is missing or is a form SQLite cannot read
-- (timed = 1 then tells the reader to parse those two in Python).
CREATE TABLE insight_runs (
    workspace_hash TEXT NOT NULL,
    agent_name     TEXT NOT NULL,
    runtime        TEXT NOT NULL,
    model          TEXT NOT NULL,
    session_id     TEXT NOT NULL,
    instance_id    INTEGER NOT NULL,
    type           TEXT NOT NULL,
    updated_key    INTEGER NOT NULL,
    own_model      INTEGER NOT NULL,   -- 1: model is the instance's own
    won            INTEGER NOT NULL,
    decided        INTEGER NOT NULL,
    status         TEXT NOT NULL,
    lines_added    INTEGER NOT NULL,
    lines_deleted  INTEGER NOT NULL,
    timed          INTEGER NOT NULL,   -- startTime and endTime both set
    duration_ms    INTEGER,
    PRIMARY KEY (workspace_hash, agent_name, runtime, model, session_id, instance_id)
) WITHOUT ROWID;

CREATE INDEX idx_insight_runs_session ON insight_runs (session_id, instance_id);

-- No index per (agent | runtime | model, duration) for the medians: they would
-- make them a walk to the middle, but each is written in random order, and the
-- three together doubled the time of a legacy import. The medians are taken
-- in Python from the durations the GROUP BY lists (insights.py).

-- The weeks are counted from the sessions alone, through this covering index.
-- (An index on the expression of the ISO week's Monday would spare the sort
-- when every workspace is counted, but it made a legacy import 80% slower.)
CREATE INDEX idx_sessions_insights ON sessions (workspace_hash, updated_key, type, created_key);

INSERT INTO insight_runs
SELECT s.workspace_hash, i.agent_name, coalesce(nullif(i.runtime, ''), 'unknown'),
       coalesce(nullif(i.model, ''), nullif(s.model, ''), 'unknown'), i.session_id,
       i.instance_id, s.type, s.updated_key, coalesce(i.model, '') <> '',
       coalesce(s.winner_id = i.instance_id, 0), s.winner_id IS NOT NULL, i.status,
       coalesce(i.lines_added, 0), coalesce(i.lines_deleted, 0),
       i.start_time IS NOT NULL AND i.end_time IS NOT NULL,
       CAST(round((julianday(i.end_time) - julianday(i.start_time)) * 86400000.0) AS INTEGER)
FROM instances i JOIN sessions s ON s.id = i.session_id;

CREATE TRIGGER insight_runs_instance_insert AFTER INSERT ON instances BEGIN
    INSERT INTO insight_runs
    SELECT s.workspace_hash, NEW.agent_name, coalesce(nullif(NEW.runtime, ''), 'unknown'),
           coalesce(nullif(NEW.model, ''), nullif(s.model, ''), 'unknown'), NEW.session_id,
           NEW.instance_id, s.type, s.updated_key, coalesce(NEW.model, '') <> '',
           coalesce(s.winner_id = NEW.instance_id, 0), s.winner_id IS NOT NULL, NEW.status,
           coalesce(NEW.lines_added, 0), coalesce(NEW.lines_deleted, 0),
           NEW.start_time IS NOT NULL AND NEW.end_time IS NOT NULL,
           CAST(round((julianday(NEW.end_time) - julianday(NEW.start_time)) * 86400000.0)
                AS INTEGER)
    FROM sessions s WHERE s.id = NEW.session_id;
END;

CREATE TRIGGER insight_runs_instance_delete AFTER DELETE ON instances BEGIN
    DELETE FROM insight_runs WHERE session_id = OLD.session_id AND instance_id = OLD.instance_id;
END;

CREATE TRIGGER insight_runs_instance_update AFTER UPDATE OF
    session_id, instance_id, agent_name, status, start_time, end_time, lines_added,
    lines_deleted, runtime, model ON instances BEGIN
    DELETE FROM insight_runs WHERE session_id = OLD.session_id AND instance_id = OLD.instance_id;
    INSERT INTO insight_runs
    SELECT s.workspace_hash, NEW.agent_name, coalesce(nullif(NEW.runtime, ''), 'unknown'),
           coalesce(nullif(NEW.model, ''), nullif(s.model, ''), 'unknown'), NEW.session_id,
           NEW.instance_id, s.type, s.updated_key, coalesce(NEW.model, '') <> '',
           coalesce(s.winner_id = NEW.instance_id, 0), s.winner_id IS NOT NULL, NEW.status,
           coalesce(NEW.lines_added, 0), coalesce(NEW.lines_deleted, 0),
           NEW.start_time IS NOT NULL AND NEW.end_time IS NOT NULL,
           CAST(round((julianday(NEW.end_time) - julianday(NEW.start_time)) * 86400000.0)
                AS INTEGER)
    FROM sessions s WHERE s.id = NEW.session_id;
END;

CREATE TRIGGER insight_runs_session_update AFTER UPDATE OF
    workspace_hash, type, updated_key, winner_id, model ON sessions
    WHEN OLD.workspace_hash IS NOT NEW.workspace_hash OR OLD.type IS NOT NEW.type
      OR OLD.updated_key IS NOT NEW.updated_key OR OLD.winner_id IS NOT NEW.winner_id
      OR OLD.model IS NOT NEW.model BEGIN
    UPDATE insight_runs SET
        workspace_hash = NEW.workspace_hash, type = NEW.type, updated_key = NEW.updated_key,
        won = coalesce(NEW.winner_id = instance_id, 0), decided = NEW.winner_id IS NOT NULL,
        model = CASE WHEN own_model THEN model
                     ELSE coalesce(nullif(NEW.model, ''), 'unknown') END
    WHERE session_id = OLD.id;
END;
