"""The session operations and their SQL.

Each operation is an ``async def op(conn, ...)`` over an aiosqlite connection,
which ``db.Database`` runs inside one transaction, so a failure rolls the whole
command back. Every await is a trip to the connection's thread, so reads ask
for what they need in as few statements as SQLite allows (a whole session is
one statement) and build the JSON dicts straight from the rows.
"""

from __future__ import annotations

import json
import operator
import os
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

import aiosqlite

from ait42_session.shape.errors import ConflictError, NotFoundError
from ait42_session.shape.models import ChatMessage, Session
from ait42_session.shape.timestamps import now_rfc3339, timestamp_key
from ait42_session.shape.workspace import Workspace
from ait42_session.store.columns import (
    I_READ,
    INSERT_INSTANCE,
    INSERT_MESSAGE,
    INSERT_SESSION,
    M_ROW,
    S_COLS,
    UPDATE_SESSION,
    Json,
    Rows,
    qualified,
)
from ait42_session.store.records import get_setting, stored_rows
from ait42_session.store.rows import JSON_TEXT, assemble_rows, import_rows, message_row
from ait42_session.store.sql import scalar, transaction

if TYPE_CHECKING:
    from ait42_session.store.db import Database

T = TypeVar("T")


async def _touch_workspace(conn: aiosqlite.Connection, ws: Workspace, now: str) -> None:
    await conn.execute(
        "INSERT INTO workspaces (hash, path, created_at, last_accessed) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (hash) DO UPDATE SET last_accessed = excluded.last_accessed,"
        " path = excluded.path",
        (ws.hash, ws.path, now, now),
    )


async def _write_children(conn: aiosqlite.Connection, rows: Rows) -> None:
    """Insert a session's instance and message rows (from ``import_rows``)."""
    _srow, inst_rows, msg_rows = rows
    if inst_rows:
        await conn.executemany(INSERT_INSTANCE, inst_rows)
    if msg_rows:
        await conn.executemany(INSERT_MESSAGE, msg_rows)


# --------------------------------------------------------------------------
# The operations (each runs inside one transaction, see Database)
# --------------------------------------------------------------------------

# One statement renders a whole session: its row, and its instances and
# messages each as one JSON array of rows. SQLite before 3.44 does not promise
# the order rows reach json_group_array, so the rows carry their sort keys.
_SESSION_WHOLE = (
    f"SELECT {qualified('s', S_COLS)},"
    f" (SELECT json_group_array(json_array({I_READ})) FROM instances i"
    "   WHERE i.session_id = s.id),"
    f" (SELECT json_group_array(json_array({M_ROW}, seq)) FROM chat_messages"
    "   WHERE session_id = s.id)"
    " FROM sessions s WHERE s.id = ? AND s.workspace_hash = ?"
)
_INSTANCE_ORDER = operator.itemgetter(1)  # instance_id
_MESSAGE_ORDER = operator.itemgetter(1, 8)  # ts_key, seq


async def _conflict(conn: aiosqlite.Connection, ws: Workspace, session_id: str) -> ConflictError:
    """What is true about an id that is taken: in this workspace, or in another."""
    rows = list(await conn.execute_fetchall(
        "SELECT s.workspace_hash, coalesce(w.path, s.workspace_hash) FROM sessions s"
        " JOIN workspaces w ON w.hash = s.workspace_hash WHERE s.id = ?", (session_id,)))
    if not rows or rows[0][0] == ws.hash:
        return ConflictError(f"session {session_id!r} already exists in workspace {ws.path}; "
                             "use update_session_sqlite to change it")
    return ConflictError(f"session id {session_id!r} is already taken by a session of another "
                         f"workspace ({rows[0][1]}); session ids are unique across workspaces, "
                         "so give this session another id")


async def create_session(conn: aiosqlite.Connection, ws: Workspace, s: Session) -> Json:
    rows = import_rows(ws.hash, s)
    await _touch_workspace(conn, ws, now_rfc3339())
    try:
        await conn.execute(INSERT_SESSION, rows[0])
    except sqlite3.IntegrityError as exc:
        if getattr(exc, "sqlite_errorname", "") != "SQLITE_CONSTRAINT_PRIMARYKEY":
            raise
        raise await _conflict(conn, ws, s.id) from None
    await _write_children(conn, rows)
    return assemble_rows(rows)


async def update_session(conn: aiosqlite.Connection, ws: Workspace, s: Session) -> Json:
    rows = import_rows(ws.hash, s)
    srow = rows[0]  # S_COLS, workspace_hash, created_key, updated_key, counts
    cur = await conn.execute(UPDATE_SESSION, (*srow[1:17], *srow[18:], s.id, ws.hash))
    if cur.rowcount == 0:
        raise NotFoundError(f"no session {s.id!r} in workspace {ws.path}")
    await _touch_workspace(conn, ws, now_rfc3339())
    await conn.execute("DELETE FROM instances WHERE session_id = ?", (s.id,))
    await conn.execute("DELETE FROM chat_messages WHERE session_id = ?", (s.id,))
    await _write_children(conn, rows)
    return assemble_rows(rows)


async def get_session(conn: aiosqlite.Connection, ws: Workspace, session_id: str) -> Json:
    """One whole session, read with a single statement."""
    rows = list(await conn.execute_fetchall(_SESSION_WHOLE, (session_id, ws.hash)))
    if not rows:
        raise NotFoundError(f"no session {session_id!r} in workspace {ws.path}")
    row = rows[0]
    insts = json.loads(row[17])
    insts.sort(key=_INSTANCE_ORDER)
    msgs = json.loads(row[18])
    msgs.sort(key=_MESSAGE_ORDER)
    return assemble_rows((row, insts, msgs))


async def get_all_sessions(conn: aiosqlite.Connection, ws: Workspace) -> list[Json]:
    return [assemble_rows(rows)
            for rows in (await stored_rows(conn, ws.hash, newest_first=True)).values()]


async def delete_session(conn: aiosqlite.Connection, ws: Workspace, session_id: str) -> None:
    """Move the session to the trash, whole, in this transaction (see ``trash``).

    The trash keeps the JSON ``get_session`` returns, so a restore gives back
    exactly what was deleted; only ``purge_trash`` destroys.
    """
    session = await get_session(conn, ws, session_id)  # NOT_FOUND
    await conn.execute(
        "INSERT INTO trash (workspace_hash, workspace_path, session_id, task, type, status,"
        " deleted_at, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (ws.hash, ws.path, session_id, session["task"], session["type"], session["status"],
         now_rfc3339(), JSON_TEXT(session)))
    await conn.execute("DELETE FROM sessions WHERE id = ? AND workspace_hash = ?",
                       (session_id, ws.hash))


async def _bump(conn: aiosqlite.Connection, ws: Workspace, session_id: str,
                messages: int) -> None:
    now = now_rfc3339()
    cur = await conn.execute(
        "UPDATE sessions SET updated_at = ?, updated_key = ?,"
        " message_count = message_count + ? WHERE id = ? AND workspace_hash = ?",
        (now, timestamp_key(now), messages, session_id, ws.hash),
    )
    if cur.rowcount == 0:
        raise NotFoundError(f"no session {session_id!r} in workspace {ws.path}")


async def add_chat_message(conn: aiosqlite.Connection, ws: Workspace, session_id: str,
                           m: ChatMessage) -> Json:
    await _bump(conn, ws, session_id, 1)
    try:
        await conn.execute(INSERT_MESSAGE, message_row(session_id, m))
    except sqlite3.IntegrityError as exc:
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_CONSTRAINT_UNIQUE":
            raise ConflictError(
                f"message {m.id!r} already exists in session {session_id!r}"
            ) from None
        raise
    return await get_session(conn, ws, session_id)


async def update_instance_status(conn: aiosqlite.Connection, ws: Workspace, session_id: str,
                                 instance_id: int, status: str) -> Json:
    await _bump(conn, ws, session_id, 0)
    cur = await conn.execute(
        "UPDATE instances SET status = ? WHERE session_id = ? AND instance_id = ?",
        (status, session_id, instance_id))
    if cur.rowcount == 0:
        raise NotFoundError(f"session {session_id!r} has no instance {instance_id}")
    return await get_session(conn, ws, session_id)


async def append_instance_output(conn: aiosqlite.Connection, ws: Workspace, session_id: str,
                                 instance_id: int, text: str,
                                 unless_setting: tuple[str, str] | None = None) -> Json | None:
    """Append to one instance's output as a row of its own: nothing is rewritten.

    ``unless_setting`` (key, value): store nothing and return None while that
    setting has that value (the ``dual`` storage mode, whose JSON file must be
    written in the same transaction); the INSERT reads it itself, so a streamed
    chunk costs one statement, not a read of the mode before it.

    Runs on the writer outside a transaction: the one INSERT is its own (an
    output holding NUL, first appended to, is counted in a short transaction of
    its own), and its trigger (migration 9) touches the session's ``updatedAt``, which logs
    the change (migration 5). So a call that fails stored nothing, and one that
    returns is stored whole; the catch-up indexes the session's whole current
    text (a word split over any number of appends is one word) and merges long
    runs of chunks into the output (``catchup``).
    """
    now = now_rfc3339()
    at = (session_id, instance_id, text, now, timestamp_key(now))
    where = (session_id, instance_id, ws.hash)
    # The output's new length: the last append's total, else the stored output's
    # length (SQLite's length() stops at a NUL: such an output is counted here
    # instead, below), plus this text's length in characters.
    rows = list(await conn.execute_fetchall(
        "INSERT INTO output_appends (session_id, instance_id, text, at, at_key, total)"
        " SELECT ?, ?, ?, ?, ?, base + ? FROM (SELECT coalesce("
        "   (SELECT a.total FROM output_appends a WHERE a.session_id = i.session_id"
        "    AND a.instance_id = i.instance_id ORDER BY a.seq DESC LIMIT 1),"
        "   CASE WHEN instr(CAST(coalesce(i.output, '') AS BLOB), x'00') = 0"
        "   THEN length(coalesce(i.output, '')) END) AS base"
        "   FROM instances i JOIN sessions s ON s.id = i.session_id"
        "   WHERE i.session_id = ? AND i.instance_id = ? AND s.workspace_hash = ?)"
        " WHERE base IS NOT NULL" + ("" if unless_setting is None else
                                     " AND NOT EXISTS (SELECT 1 FROM settings"
                                     " WHERE key = ? AND value = ?)")
        + " RETURNING total", (*at, len(text), *where, *(unless_setting or ()))))
    if rows:
        return {"outputLength": int(rows[0][0])}
    if unless_setting is not None and await get_setting(conn, unless_setting[0]) == \
            unless_setting[1]:
        return None  # one read, no write transaction, before the caller's own path
    # Inside a caller's transaction (dual storage writes the JSON file in it): its own.
    async with (nullcontext() if conn.in_transaction else transaction(conn)):
        stored = list(await conn.execute_fetchall(
            "SELECT coalesce(i.output, '') FROM instances i JOIN sessions s"
            " ON s.id = i.session_id WHERE i.session_id = ? AND i.instance_id = ?"
            " AND s.workspace_hash = ?", where))
        if not stored:
            if await scalar(conn, "SELECT 1 FROM sessions WHERE id = ? AND workspace_hash = ?",
                            (session_id, ws.hash)) is None:
                raise NotFoundError(f"no session {session_id!r} in workspace {ws.path}")
            raise NotFoundError(f"session {session_id!r} has no instance {instance_id}")
        total = len(stored[0][0]) + len(text)
        await conn.execute("INSERT INTO output_appends (session_id, instance_id, text, at,"
                           " at_key, total) VALUES (?, ?, ?, ?, ?, ?)", (*at, total))
    return {"outputLength": total}


# --------------------------------------------------------------------------
# The change log (migration 5): what changed after a point
# --------------------------------------------------------------------------

async def change_token(conn: aiosqlite.Connection) -> int:
    """The newest change's number; 0 before any change."""
    return int(await scalar(conn, "SELECT coalesce(max(seq), 0) FROM session_changes"))


async def changes_after(conn: aiosqlite.Connection, seq: int, limit: int) -> list[Json]:
    """Sessions changed after change ``seq``, oldest change first, at most ``limit``."""
    rows = await conn.execute_fetchall(
        "SELECT seq, session_id, workspace_hash, kind FROM session_changes"
        " WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
    return [{"seq": r[0], "sessionId": r[1], "workspaceHash": r[2], "kind": r[3]} for r in rows]


MAX_APPENDED_CHARS = 1_000_000  # appended text one live answer carries, at most


async def appends_after(conn: aiosqlite.Connection, seq: int | None,
                        session_ids: list[str]) -> tuple[int, dict[str, Json]]:
    """The newest output append's number, and what the live feed tells of each of
    ``session_ids`` that had appends after append ``seq`` (None: just the number).

    Per session: its appends in order (``{instanceId, offset, length, text, at}``,
    ``offset`` and ``length`` in characters of the output, as ``outputLength``),
    and the facts a page compares with what it shows before it appends them in
    place (``updatedAt``, ``status``, ``messageCount``, ``instanceStatuses``).
    Run in the same read transaction as ``changes_after``.
    """
    newest = int(await scalar(conn, "SELECT coalesce(max(seq), 0) FROM output_appends"))
    if seq is None or not session_ids:
        return newest, {}
    marks = ",".join("?" * len(session_ids))
    out: dict[str, Json] = {}
    unknown: set[str] = set()  # too much text, or rows from before lengths were kept
    budget = MAX_APPENDED_CHARS
    for sid, iid, total, text, at in await conn.execute_fetchall(
            "SELECT session_id, instance_id, total, text, at FROM output_appends"
            f" WHERE seq > ? AND session_id IN ({marks}) ORDER BY seq", (seq, *session_ids)):
        budget -= len(text)
        if total is None or budget < 0:
            unknown.add(sid)
            continue
        out.setdefault(sid, {"appends": []})["appends"].append(
            {"instanceId": iid, "offset": total - len(text), "length": len(text), "text": text,
             "at": at})
    for sid in unknown:  # the page fetches these sessions instead
        out.pop(sid, None)
    if out:
        found = list(out)
        marks = ",".join("?" * len(found))
        for sid, updated, status, messages in await conn.execute_fetchall(
                "SELECT id, updated_at, status, message_count FROM sessions"
                f" WHERE id IN ({marks})", found):
            out[sid].update(updatedAt=updated, status=status, messageCount=messages,
                            instanceStatuses=[])
        for sid, iid, status in await conn.execute_fetchall(
                "SELECT session_id, instance_id, status FROM instances"
                f" WHERE session_id IN ({marks}) ORDER BY session_id, instance_id", found):
            out[sid]["instanceStatuses"].append({"instanceId": iid, "status": status})
    return newest, out


# --------------------------------------------------------------------------
# Maintenance
# --------------------------------------------------------------------------

async def database_stats(conn: aiosqlite.Connection, path: str) -> Json:
    counts, pages = list(await conn.execute_fetchall(
        "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM instances),"
        " (SELECT count(*) FROM chat_messages), (SELECT count(*) FROM workspaces),"
        " (SELECT max(version) FROM migration_metadata), (SELECT count(*) FROM trash),"
        " (SELECT count(*) FROM sessions WHERE archived_at IS NOT NULL)"
        " UNION ALL SELECT page_size, page_count, freelist_count, 0, 0, 0, 0"
        " FROM pragma_page_size, pragma_page_count, pragma_freelist_count"
    ))
    page_size, page_count, freelist = pages[0], pages[1], pages[2]
    wal = 0
    if path != ":memory:":
        try:
            wal = os.path.getsize(path + "-wal")
        except OSError:
            wal = 0
    return {
        "sessionCount": counts[0], "instanceCount": counts[1], "messageCount": counts[2],
        "workspaceCount": counts[3], "schemaVersion": counts[4],
        "trashedSessionCount": counts[5], "archivedSessionCount": counts[6],
        "databaseSizeBytes": page_size * page_count + wal, "walSizeBytes": wal,
        "pageSize": page_size, "pageCount": page_count, "freePages": freelist,
        "databasePath": path,
    }


async def optimize(conn: aiosqlite.Connection) -> None:
    """Refresh planner statistics, give free pages back, truncate the WAL."""
    await conn.execute("PRAGMA optimize")
    # execute() steps a statement once, and incremental_vacuum frees one page
    # per step; executescript() runs it to the end.
    await conn.executescript("PRAGMA incremental_vacuum;")
    await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def verify(conn: aiosqlite.Connection) -> bool:
    """Integrity and foreign-key checks; true when both find nothing."""
    try:
        ok = [tuple(r) for r in await conn.execute_fetchall("PRAGMA integrity_check")]
        if ok != [("ok",)]:
            return False
        return not list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
    except sqlite3.DatabaseError:  # too damaged to check at all
        return False


# --------------------------------------------------------------------------
# The operations above over a Database: the storage mode ``sqlite``
# --------------------------------------------------------------------------

class SqliteStore:
    """The database alone, as a ``legacy.modes.SessionStore``: a session
    operation's SQL in one transaction (``single``: a read of one statement,
    consistent by itself, needs none); its legacy-file form is not used."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def read(self, sql: Callable[..., Awaitable[T]], from_file: Callable[..., T],
                   ws: Workspace, *args: Any, single: bool = False) -> T:
        return await (self.db.read_one if single else self.db.read)(sql, ws, *args)

    async def write(self, sql: Callable[..., Awaitable[T]], edit: Callable[..., Any],
                    ws: Workspace, *args: Any) -> T:
        return await self.db.write(sql, ws, *args)
