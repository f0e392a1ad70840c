-- Insights of the whole history without reading every run: a running total
-- per (agent, runtime, model), and the durations in order per dimension.
--
-- get_insights over every workspace read all of insight_runs per call: at
-- 100,000 sessions (300,000 runs) a GROUP BY with twelve aggregates and the
-- durations listed for Python's medians, about 0.6 s. The catch-up now keeps
-- insight_groups, the sums of those runs per (agent, runtime, model), in step
-- with insight_runs in the same transaction (it subtracts a batch's old runs
-- and adds its new ones), and each dimension's median is a walk to the middle
-- of one of the three indexes below, whose lengths insight_groups counts
-- (timed_runs). A filtered call (a workspace, a type, dates) reads the runs as
-- before. The indexes are written by the catch-up only, after an import has
-- stored its sessions (migration 6 left them out when triggers wrote these
-- rows inside the import itself).
CREATE TABLE insight_groups (
    agent_name    TEXT NOT NULL,
    runtime       TEXT NOT NULL,
    model         TEXT NOT NULL,
    instances     INTEGER NOT NULL,
    wins          INTEGER NOT NULL,
    decided       INTEGER NOT NULL,
    completed     INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    lines_added   INTEGER NOT NULL,
    lines_deleted INTEGER NOT NULL,
    unread        INTEGER NOT NULL,   -- timed runs whose times SQLite could not read
    timed_runs    INTEGER NOT NULL,   -- runs with a duration (in the indexes below)
    PRIMARY KEY (agent_name, runtime, model)
) WITHOUT ROWID;

INSERT INTO insight_groups
SELECT agent_name, runtime, model, count(*), sum(won), sum(decided),
       sum(status = 'completed'), sum(status = 'failed'), sum(lines_added),
       sum(lines_deleted), sum(timed AND duration_ms IS NULL), count(duration_ms)
FROM insight_runs GROUP BY agent_name, runtime, model;

CREATE INDEX idx_insight_runs_agent_name_duration ON insight_runs (agent_name, duration_ms)
    WHERE duration_ms IS NOT NULL;
CREATE INDEX idx_insight_runs_runtime_duration ON insight_runs (runtime, duration_ms)
    WHERE duration_ms IS NOT NULL;
CREATE INDEX idx_insight_runs_model_duration ON insight_runs (model, duration_ms)
    WHERE duration_ms IS NOT NULL;
