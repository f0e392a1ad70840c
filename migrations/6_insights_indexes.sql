-- Insights (get_insights): covering indexes, so that counting the instances
-- of every session per agent, runtime and model reads only these narrow
-- entries, never the instance rows with their large outputs or the sessions'
-- task and JSON extras.
--
-- One workspace: its sessions by workspace (also the weeks' count), then
-- each session's instances.
CREATE INDEX idx_sessions_insights ON sessions
    (workspace_hash, updated_key, type, created_key, winner_id, model, id);
CREATE INDEX idx_instances_insights ON instances
    (session_id, agent_name, runtime, model, status, instance_id, lines_added, lines_deleted,
     start_time, end_time);
-- Every workspace: the instances already in (agent, runtime, model) order, so
-- SQLite groups them as it reads them instead of sorting 100,000s of rows,
-- each looking its session up by id.
CREATE INDEX idx_instances_insights_agent ON instances
    (agent_name, runtime, model, session_id, instance_id, status, lines_added, lines_deleted,
     start_time, end_time);
CREATE INDEX idx_sessions_insights_id ON sessions
    (id, winner_id, model, workspace_hash, type, updated_key);
