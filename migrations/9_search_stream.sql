-- Streamed output in the search index (search_stream.py): each chunk that
-- append_instance_output stores is indexed as a row of its own (rowid = its
-- output_appends.seq), prepared like the rest of the index (search_text.py),
-- so it is found as soon as the append returns, without tokenizing the whole
-- session again. When the appends are folded into the output, the session is
-- reindexed whole and its rows here are deleted.
CREATE VIRTUAL TABLE search_stream USING fts5(
    text, session_id UNINDEXED, instance_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- One statement appends: the INSERT into output_appends touches its session
-- (updatedAt, so the change log and the board see it) and indexes the chunk
-- through these triggers, in its own implicit transaction. The chunk is
-- prepared for the index by ait42_stream_text(), a function the writer of
-- this program registers (db.Database.open); only this program appends output.
ALTER TABLE output_appends ADD COLUMN at TEXT;
ALTER TABLE output_appends ADD COLUMN at_key INTEGER;
-- The output's length in characters once this row is added: the next append
-- adds to it instead of counting a long output again.
ALTER TABLE output_appends ADD COLUMN total INTEGER;

CREATE TRIGGER output_appends_touch_session AFTER INSERT ON output_appends BEGIN
    UPDATE sessions SET updated_at = new.at, updated_key = new.at_key
    WHERE id = new.session_id AND new.at IS NOT NULL;
END;

CREATE TRIGGER output_appends_index AFTER INSERT ON output_appends BEGIN
    INSERT INTO search_stream (rowid, text, session_id, instance_id)
    VALUES (new.seq, ait42_stream_text(
        coalesce((SELECT substr(a.text, -80) FROM output_appends a
                  WHERE a.session_id = new.session_id AND a.instance_id = new.instance_id
                  AND a.seq < new.seq ORDER BY a.seq DESC LIMIT 1),
                 (SELECT substr(coalesce(i.output, ''), -80) FROM instances i
                  WHERE i.session_id = new.session_id AND i.instance_id = new.instance_id),
                 ''),
        new.text), new.session_id, new.instance_id);
END;
