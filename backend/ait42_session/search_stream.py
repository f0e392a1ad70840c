"""Streamed output in search: an appended chunk is found as soon as it is stored.

A session's row in the main index (``search``) holds its text as of the write
that last replaced it. Rewriting that row for each chunk an agent streams
would tokenize the whole session again every time (milliseconds for a long
output, more than the append itself). So each chunk ``append_instance_output``
stores is indexed as a row of its own in ``search_stream`` (migration 9, by
a trigger calling :func:`stream_text`),
together with the end of the text before it, so that a word split between two
appends is still one word. When the appends are folded into the output
(``repository.FOLD_AFTER``), the session is reindexed whole and its rows here
are deleted. A search looks in both and merges: a session whose streamed rows
match joins the hits with its best row's score.

Known gap, until the next fold (at most ``FOLD_AFTER`` appends): a query whose
words fall partly in the session's main row and partly in a streamed chunk
does not find it, and a streamed chunk does not exclude (``-word``) a session.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from . import search_text

CARRY = 80  # characters of the text before a chunk indexed with it


def _carry(before: str) -> str:
    """The unfinished last word (or line end) of the text before a chunk."""
    tail = before[-CARRY:]
    cut = max(tail.rfind(" "), tail.rfind("\n"), tail.rfind("\t"))
    return tail[cut + 1:] if cut >= 0 else tail


def stream_text(before: str | None, text: str) -> str:
    """SQL function ``ait42_stream_text``: a chunk as the index holds it, with the
    unfinished word before it (migration 9's trigger calls it on each append)."""
    return search_text.index_text(_carry(before or "") + text)


# Registered on the writer (db.Database.open(functions=...)).
SQL_FUNCTIONS = {"ait42_stream_text": (2, stream_text)}


async def forget(conn: aiosqlite.Connection, session_ids: Sequence[str],
                 instance_id: int | None = None) -> None:
    """Drop the streamed rows of these sessions (replaced or deleted), or of one
    instance of theirs (its appends folded into its output)."""
    await conn.execute(
        "DELETE FROM search_stream WHERE session_id IN (SELECT value FROM json_each(?))"
        + ("" if instance_id is None else " AND instance_id = ?"),
        (json.dumps(list(session_ids)), *(() if instance_id is None else (instance_id,))))


async def any_rows(conn: aiosqlite.Connection) -> bool:
    """Whether anything streams now (almost always false: then searches skip this)."""
    return bool(list(await conn.execute_fetchall("SELECT 1 FROM search_stream LIMIT 1")))


def source(excluded: str | None) -> tuple[str, list[Any]]:
    """A ``(docid, score)`` source of sessions whose streamed rows match the MATCH
    parameter that comes first; rows whose chunk is gone (a session replaced by
    another program) never count. ``excluded``: sessions whose main row holds an
    excluded word are left out."""
    sql = ("(SELECT d.docid AS docid, min(st.score) AS score FROM"
           " (SELECT rowid AS seq, session_id, bm25(search_stream) AS score"
           "  FROM search_stream WHERE search_stream MATCH ? LIMIT -1) st"  # not flattened:
           # bm25 needs its own FTS5 query
           " JOIN output_appends a ON a.seq = st.seq"
           " JOIN search_docs d ON d.session_id = st.session_id")
    params: list[Any] = []
    if excluded is not None:
        sql += " WHERE d.docid NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)"
        params.append(excluded)
    return sql + " GROUP BY d.docid) m", params


def merge(main: list[Any], streamed: list[Any], limit: int) -> list[Any]:
    """Both lists of hit rows (``search._HIT`` shape), one row per session (its best
    score), in the page's order: score, then newest ``updated_key``, then id."""
    best: dict[str, Any] = {}
    for row in [*main, *streamed]:
        kept = best.get(row[0])
        if kept is None or float(row[9]) < float(kept[9]):
            best[row[0]] = row
    ordered = sorted(best.values(), key=lambda r: (float(r[9]), -int(r[7]), str(r[0])))
    return ordered[:limit]
