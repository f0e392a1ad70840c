"""Bookkeeping beside the sessions: settings, workspaces known by hash, the
dual-write events, and a workspace's sessions as rows (used by storage.py,
consistency.py, the command line and the import package)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import aiosqlite

from ait42_session.shape.errors import NotFoundError
from ait42_session.store.columns import I_READ, M_ROW, S_COLS, Json, Rows, qualified
from ait42_session.store.sql import scalar

if TYPE_CHECKING:
    from ait42_session.shape.workspace import Workspace


async def get_setting(conn: aiosqlite.Connection, key: str) -> str | None:
    rows = list(await conn.execute_fetchall("SELECT value FROM settings WHERE key = ?", (key,)))
    return None if not rows else str(rows[0][0])


async def set_setting(conn: aiosqlite.Connection, key: str, value: str) -> str | None:
    """Store a setting; return its previous value."""
    previous = await get_setting(conn, key)
    await conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)"
                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
    return previous


async def workspace_paths(conn: aiosqlite.Connection) -> dict[str, str | None]:
    """Every known workspace: hash -> real path (``None`` while unknown)."""
    return {str(r[0]): r[1]
            for r in await conn.execute_fetchall("SELECT hash, path FROM workspaces")}


async def bind_workspace(conn: aiosqlite.Connection, ws: Workspace) -> Json:
    """Fill in (or correct) the real path of a workspace known by its hash."""
    cur = await conn.execute("UPDATE workspaces SET path = ? WHERE hash = ?", (ws.path, ws.hash))
    if cur.rowcount == 0:
        raise NotFoundError(
            f"no workspace {ws.hash} in the database; import its {ws.hash}.json file first"
        )
    count = await scalar(conn, "SELECT count(*) FROM sessions WHERE workspace_hash = ?",
                         (ws.hash,))
    return {"workspaceHash": ws.hash, "path": ws.path, "sessionCount": count}


async def session_workspaces(conn: aiosqlite.Connection, ids: Iterable[str]) -> dict[str, str]:
    """session id -> workspace hash, for those of ``ids`` the database holds."""
    found: dict[str, str] = {}
    batch = list(ids)
    for start in range(0, len(batch), 500):  # fixed-size lists: within every build's limit
        chunk = batch[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in await conn.execute_fetchall(
            f"SELECT id, workspace_hash FROM sessions WHERE id IN ({marks})", chunk
        ):
            found[str(row[0])] = str(row[1])
    return found



async def record_dual_event(conn: aiosqlite.Connection, at: str, command: str, ws_hash: str,
                            session_id: str | None, kind: str, database_outcome: str,
                            json_outcome: str, detail: Any) -> int:
    cur = await conn.execute(
        "INSERT INTO dual_write_events (at, command, workspace_hash, session_id, kind,"
        " database_outcome, json_outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (at, command, ws_hash, session_id, kind, database_outcome, json_outcome,
         None if detail is None else json.dumps(detail, ensure_ascii=False)),
    )
    return int(cur.lastrowid or 0)


async def dual_events(conn: aiosqlite.Connection, limit: int) -> Json:
    """The latest dual-write events, newest first, and how many there are."""
    total = await scalar(conn, "SELECT count(*) FROM dual_write_events")
    rows = await conn.execute_fetchall(
        "SELECT id, at, command, workspace_hash, session_id, kind, database_outcome,"
        " json_outcome, detail FROM dual_write_events ORDER BY id DESC LIMIT ?", (limit,)
    )
    keys = ("id", "at", "command", "workspaceHash", "sessionId", "kind", "databaseOutcome",
            "jsonOutcome", "detail")
    events = []
    for row in rows:
        event = dict(zip(keys, row, strict=True))
        event["detail"] = None if row[8] is None else json.loads(row[8])
        events.append(event)
    return {"total": total, "events": events}


async def stored_rows(conn: aiosqlite.Connection, ws_hash: str, *,
                      newest_first: bool = False) -> dict[str, Rows]:
    """Every session of a workspace as rows, in the column order ``import_rows`` writes.

    The session row is the first 17 columns (what reads select); instance and
    message rows are whole, in read order. Three queries, whatever the number
    of sessions. ``newest_first``: sessions by ``updatedAt``, newest first.
    """
    order = " ORDER BY s.updated_key DESC, s.id DESC" if newest_first else ""
    return await _rows_where(conn, "s.workspace_hash = ?", (ws_hash,), order)


async def _rows_where(conn: aiosqlite.Connection, where: str, params: tuple[Any, ...],
                      order: str) -> dict[str, Rows]:
    out: dict[str, Rows] = {}
    for row in await conn.execute_fetchall(
            f"SELECT {qualified('s', S_COLS)} FROM sessions s"
            f" WHERE {where}{order}", params):
        out[row[0]] = (row, [], [])
    if not out:
        return out
    for row in await conn.execute_fetchall(
        f"SELECT {I_READ} FROM sessions s"
        f" JOIN instances i ON i.session_id = s.id"
        f" WHERE {where} ORDER BY i.session_id, i.instance_id", params
    ):
        out[row[0]][1].append(row)
    for row in await conn.execute_fetchall(
        f"SELECT {qualified('m', M_ROW)} FROM sessions s"
        f" JOIN chat_messages m ON m.session_id = s.id"
        f" WHERE {where} ORDER BY m.session_id, m.ts_key, m.seq", params
    ):
        out[row[0]][2].append(row)
    return out

