"""The search index's rows: what the catch-up (``catchup``) writes.

One FTS5 row per session (``migrations/3_search.sql``), made from text
prepared in Python (``search_text``: ANSI removed, CJK as overlapping pairs),
numbered in ``search_docs``. A session re-indexed gets a new, higher number, so
the index's row order is the order sessions were last written in, which the
relevance window of ``search`` walks backwards.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import aiosqlite

from ait42_session.derived import search_text
from ait42_session.shape.errors import DatabaseError
from ait42_session.store.columns import OUTPUT_OF_I

_CHUNK = 500  # sessions per statement when (re)indexing

_TEXTS = f"""
SELECT s.id, s.task,
       (SELECT group_concat(coalesce({OUTPUT_OF_I}, ''), char(10)) FROM instances i
         WHERE i.session_id = s.id),
       (SELECT group_concat(i.branch, char(10)) FROM instances i WHERE i.session_id = s.id),
       (SELECT group_concat(i.agent_name, char(10)) FROM instances i
         WHERE i.session_id = s.id),
       (SELECT group_concat(m.content, char(10)) FROM chat_messages m
         WHERE m.session_id = s.id)
FROM json_each(?) j JOIN sessions s ON s.id = j.value
"""


_DROP_ROWS = ("DELETE FROM search_fts WHERE rowid IN (SELECT d.docid FROM search_docs d"
              " WHERE d.session_id IN (SELECT value FROM json_each(?)))")
_DROP_DOCS = "DELETE FROM search_docs WHERE session_id IN (SELECT value FROM json_each(?))"
# What a search filters and breaks ties on, beside the row (migration 14).
_FILTERED = "workspace_hash, type, status, updated_key, archived_at"
_ADD_DOC = (f"INSERT INTO search_docs (session_id, {_FILTERED})"
            f" SELECT id, {_FILTERED} FROM sessions WHERE id = ?")
_ADD_ROW = ("INSERT INTO search_fts (rowid, task, output, branch, agent_name, chat)"
            " SELECT docid, ?, ?, ?, ?, ? FROM search_docs WHERE session_id = ?")


def _fts_rows(rows: Iterable[Any]) -> list[tuple[str, ...]]:
    """The prepared text of each session (``_TEXTS`` rows), then its id."""
    return [(*(search_text.index_text(v or "") for v in r[1:]), r[0]) for r in rows]


# The indexed text of each of some sessions, as FTS5 keeps it.
_STORED = ("SELECT d.session_id, f.task, f.output, f.branch, f.agent_name, f.chat"
           " FROM json_each(?) j JOIN search_docs d ON d.session_id = j.value"
           " JOIN search_fts f ON f.rowid = d.docid")
_REFILTER = (f"UPDATE search_docs SET ({_FILTERED}) = (SELECT {_FILTERED} FROM sessions s"
             " WHERE s.id = search_docs.session_id)"
             " WHERE session_id IN (SELECT value FROM json_each(?))")


async def index_sessions(conn: aiosqlite.Connection, session_ids: Iterable[str]) -> None:
    """Bring these sessions' index rows in line with their stored text (inside
    the catch-up's write transaction); a session that no longer exists leaves
    the index. A session whose text changed gets a new, higher row number, so
    the index's row order is the order texts were last written in (the
    relevance window walks it backwards). One whose searchable text is as
    indexed (a status set, an archive flag, a winner) keeps its row and place,
    and only the row's filters are brought up to date: FTS5 deletes a row by
    re-reading its text, so re-indexing it would cost two passes over the
    whole session to change nothing. Preparing the text is CPU work: it runs
    on a worker thread, leaving the event loop to other callers."""
    ids = list(dict.fromkeys(session_ids))
    for k in range(0, len(ids), _CHUNK):
        batch = ids[k:k + _CHUNK]
        chunk = json.dumps(batch)
        rows = list(await conn.execute_fetchall(_TEXTS, (chunk,)))
        prepared = await asyncio.to_thread(_fts_rows, rows)
        stored = {str(r[0]): tuple(r[1:]) for r in await conn.execute_fetchall(_STORED, (chunk,))}
        kept = {p[-1] for p in prepared if stored.get(p[-1]) == p[:-1]}
        if kept:
            await conn.execute(_REFILTER, (json.dumps(sorted(kept)),))
        redo = json.dumps([sid for sid in batch if sid not in kept])
        await conn.execute(_DROP_ROWS, (redo,))
        await conn.execute(_DROP_DOCS, (redo,))
        fresh = [p for p in prepared if p[-1] not in kept]
        if fresh:
            await conn.executemany(_ADD_DOC, [(p[-1],) for p in fresh])
            await conn.executemany(_ADD_ROW, fresh)


async def verify_index(conn: aiosqlite.Connection, upto: int) -> list[str]:
    """Problems of the index (empty when sound): FTS5's own integrity check
    (it needs the writer's connection), and each session the catch-up has
    reached (its change at or before ``upto``) indexed exactly once, and no
    index row without its session."""
    problems: list[str] = []
    try:
        await conn.execute("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")
    except (aiosqlite.Error, DatabaseError) as exc:
        problems.append(f"search index: {exc}")
    rows = await conn.execute_fetchall(
        "SELECT"
        " (SELECT count(*) FROM sessions s JOIN session_changes c ON c.session_id = s.id"
        "   WHERE c.seq <= ? AND NOT EXISTS (SELECT 1 FROM search_docs d"
        "   WHERE d.session_id = s.id)),"
        " (SELECT count(*) FROM search_docs d JOIN session_changes c"
        "   ON c.session_id = d.session_id WHERE c.seq <= ? AND NOT EXISTS"
        "   (SELECT 1 FROM sessions s WHERE s.id = d.session_id)),"
        " (SELECT count(*) FROM search_docs) - (SELECT count(*) FROM search_fts),"
        " (SELECT count(*) FROM (SELECT d.session_id, d.workspace_hash, d.type, d.status,"
        "   d.updated_key, d.archived_at FROM search_docs d"
        "   JOIN session_changes c ON c.session_id = d.session_id WHERE c.seq <= ?"
        f"   EXCEPT SELECT id, {_FILTERED} FROM sessions))",
        (upto, upto, upto))
    missing, stale, rows_off, filters_off = next(iter(rows))
    if missing:
        problems.append(f"search index: {missing} sessions are not indexed")
    if stale:
        problems.append(f"search index: {stale} index rows belong to no session")
    if rows_off:
        problems.append("search index: its rows and their sessions do not match in number")
    if filters_off:
        problems.append(f"search index: {filters_off} rows filter on what their sessions"
                        " no longer say")
    return problems


async def optimize_index(conn: aiosqlite.Connection) -> None:
    """Merge the index's segments into one (faster queries after many writes)."""
    await conn.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
