"""Reading written sessions back, and comparing them with what the file holds.

Each session is read back as rows, in the column order ``import_rows``
builds them, and compared with the rows inserted. Those rows were proved to
render, through the reads' own code, to exactly the normalized JSON (see
``reading.prepare``), so equal rows mean the stored session equals its JSON.
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from ait42_session.legacy.diff import field_diff
from ait42_session.store.columns import (
    I_ROW,
    M_ROW,
    S_ROW,
    Rows,
)
from ait42_session.store.rows import assemble_rows

Json = dict[str, Any]

_IDS = "IN (SELECT value FROM json_each(?))"
_SESSIONS = f"SELECT {S_ROW} FROM sessions WHERE id {_IDS}"
_INSTANCES = (f"SELECT {I_ROW} FROM instances WHERE session_id {_IDS}"
              " ORDER BY session_id, instance_id")
_MESSAGES = (f"SELECT {M_ROW} FROM chat_messages WHERE session_id {_IDS}"
             " ORDER BY session_id, ts_key, seq")


async def rows_of(conn: aiosqlite.Connection, ids: list[str]) -> dict[str, Rows]:
    """The stored rows of sessions ``ids`` (those present), three queries for all of them."""
    if not ids:
        return {}
    param = (json.dumps(ids),)
    out: dict[str, Rows] = {str(r[0]): (tuple(r), [], [])
                            for r in await conn.execute_fetchall(_SESSIONS, param)}
    if out:
        for row in await conn.execute_fetchall(_INSTANCES, param):
            out[row[0]][1].append(tuple(row))
        for row in await conn.execute_fetchall(_MESSAGES, param):
            out[row[0]][2].append(tuple(row))
    return out


def same(stored: Rows, new: Rows) -> bool:
    """Whether two sessions' rows are equal (session row, then children in read order)."""
    return stored[0] == new[0] and stored[1] == new[1] and stored[2] == new[2]


def versions(stored: Rows, new: Rows) -> tuple[Json, Json]:
    """The two sessions as JSON: the database's, the file's."""
    return assemble_rows(stored), assemble_rows(new)


_MARKS = ("SELECT (SELECT max(rowid) FROM sessions), (SELECT max(rowid) FROM instances),"
          " (SELECT max(seq) FROM chat_messages)")
_SINCE = (f"SELECT {S_ROW} FROM sessions WHERE rowid > ?"
          " ORDER BY rowid",
          f"SELECT {I_ROW} FROM instances WHERE rowid > ?"
          " ORDER BY rowid",
          f"SELECT {M_ROW} FROM chat_messages WHERE seq > ?"
          " ORDER BY seq")


async def marks(conn: aiosqlite.Connection) -> tuple[int, int, int]:
    """The last row of each table, before a batch is written (see ``read_back``)."""
    row = next(iter(await conn.execute_fetchall(_MARKS)))
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


async def read_back(conn: aiosqlite.Connection, written: list[tuple[str, Rows]],
                    since: tuple[int, int, int]) -> list[tuple[str, list[Json] | None]]:
    """The written sessions that do not read back as inserted: (id, differing fields).

    Inside the batch's transaction (the write lock held), the rows a batch
    added are the rows after ``since`` (``marks`` taken before it), in the
    order inserted: when they equal the rows given, every session is proved
    in three range scans. Otherwise (a row changed or missing, or a replaced
    session's rowid reused) each session is read back by id to say which
    differ and how. ``None`` as fields: the session is not in the database.
    """
    expected: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for _sid, rows in written:
        expected[0].append(rows[0])
        expected[1].extend(rows[1])
        expected[2].extend(rows[2])
    for sql, mark, want in zip(_SINCE, since, expected, strict=True):
        if list(await conn.execute_fetchall(sql, (mark,))) != want:
            return await _each(conn, written)
    return []


async def _each(conn: aiosqlite.Connection,
                written: list[tuple[str, Rows]]) -> list[tuple[str, list[Json] | None]]:
    stored = await rows_of(conn, [sid for sid, _rows in written])
    differ: list[tuple[str, list[Json] | None]] = []
    for sid, rows in written:
        got = stored.get(sid)
        if got is None:
            differ.append((sid, None))
        elif not same(got, rows):
            db_version, file_version = versions(got, rows)
            if db_version != file_version:  # else only the text of unknown fields' key order
                differ.append((sid, field_diff(file_version, db_version)))
    return differ
