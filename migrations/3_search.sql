-- Full-text search (issue 10): one FTS5 document per session.
--
-- The indexed text is not the stored text: Python (search_text.py) removes ANSI
-- colour codes and turns each run of Japanese or Chinese into overlapping
-- two-character tokens before FTS5's unicode61 tokenizer sees it, so `認証`
-- finds `JWT認証を追加` and `JWT` is a word of it. SQLite cannot run that
-- Python, so no trigger writes this index: the code that writes a session
-- reindexes it in the same transaction.
--
-- One row per session (not per field): "all the words" means anywhere in the
-- session, which FTS5 answers in one MATCH; bm25 weights the columns.
CREATE VIRTUAL TABLE search_fts USING fts5(
    task, output, branch, agent_name, chat,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The FTS row of each session. A session's own rowid may change on VACUUM (its
-- key is TEXT), so the index keeps its own stable number per session.
CREATE TABLE search_docs (
    docid      INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE
);

-- Sessions whose text changed and that are not (re)indexed yet. Plain SQL
-- triggers fill it, so they also work in a process that does not run this
-- code (the shell with its own SQLite); this code empties it in the same
-- transaction as its own writes, and indexes what is left (the history of a
-- database that existed before this migration, or another process's writes)
-- at start-up, with progress.
CREATE TABLE search_pending (
    session_id TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER search_sessions_insert AFTER INSERT ON sessions BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (new.id);
END;
CREATE TRIGGER search_sessions_update AFTER UPDATE OF id, task ON sessions BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (old.id), (new.id);
END;
CREATE TRIGGER search_sessions_delete AFTER DELETE ON sessions BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (old.id);
END;

CREATE TRIGGER search_instances_insert AFTER INSERT ON instances BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (new.session_id);
END;
CREATE TRIGGER search_instances_update
AFTER UPDATE OF session_id, output, branch, agent_name ON instances BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (old.session_id), (new.session_id);
END;
CREATE TRIGGER search_instances_delete AFTER DELETE ON instances BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (old.session_id);
END;

CREATE TRIGGER search_messages_insert AFTER INSERT ON chat_messages BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (new.session_id);
END;
CREATE TRIGGER search_messages_update
AFTER UPDATE OF session_id, content ON chat_messages BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (old.session_id), (new.session_id);
END;
CREATE TRIGGER search_messages_delete AFTER DELETE ON chat_messages BEGIN
    INSERT OR IGNORE INTO search_pending (session_id) VALUES (old.session_id);
END;

-- An existing history is indexed after start-up (Python), not here.
INSERT INTO search_pending (session_id) SELECT id FROM sessions;
