-- What a search filters and breaks ties on, beside each index row.
--
-- The relevance window walks the newest 2,000 matching index rows. Joining
-- each to its session to read its workspace, type, status, updatedAt and
-- archivedAt (archived sessions are left out by default) was a third of the
-- ranking's time (two b-tree searches per row, index then table). The
-- catch-up writes these five beside the row it indexes, from the same
-- session in the same transaction, and every change of a session (archiving
-- too) is logged and re-indexed, so they are current whenever a search has
-- caught up. A search answering while far behind (``pending``) filters on
-- what was indexed, as it searches what was indexed.
ALTER TABLE search_docs ADD COLUMN workspace_hash TEXT;
ALTER TABLE search_docs ADD COLUMN type TEXT;
ALTER TABLE search_docs ADD COLUMN status TEXT;
ALTER TABLE search_docs ADD COLUMN updated_key INTEGER;
ALTER TABLE search_docs ADD COLUMN archived_at TEXT;

UPDATE search_docs SET (workspace_hash, type, status, updated_key, archived_at) =
    (SELECT s.workspace_hash, s.type, s.status, s.updated_key, s.archived_at
     FROM sessions s WHERE s.id = search_docs.session_id);
