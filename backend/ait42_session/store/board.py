"""The board's queries: a page of session summaries (filtered, sorted, paged by
cursor) and the known workspaces with their counts and last activity.

Summaries never read an output or a message; every sort has an index led by
``workspace_hash`` (migrations 1 and 4).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from ait42_session.shape.errors import ValidationError
from ait42_session.shape.workspace import Workspace
from ait42_session.store.columns import Json, status_condition
from ait42_session.store.sql import scalar

_SUMMARY_COLS = ("id, type, task, status, created_at, updated_at, completed_at, model, "
                 "total_duration, total_files_changed, total_lines_added, total_lines_deleted, "
                 "runtime_mix, winner_id, instance_count, message_count, archived_at")


_SUMMARY_KEYS = ("id", "type", "task", "status", "createdAt", "updatedAt", "completedAt",
                 "model", "totalDuration", "totalFilesChanged", "totalLinesAdded",
                 "totalLinesDeleted", "runtimeMix", "winnerId", "instanceCount", "messageCount",
                 "archivedAt")


_SORTS = {  # board sort name -> column (each has an index led by workspace_hash)
    "updated": "updated_key",
    "created": "created_key",
    "duration": "total_duration",
    "filesChanged": "total_files_changed",
}


def _encode_cursor(value: Any, session_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, session_id]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        value, session_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error):
        raise ValidationError("cursor is not one this command returned") from None
    if not isinstance(session_id, str) or not (value is None or isinstance(value, int)):
        raise ValidationError("cursor is not one this command returned")
    return value, session_id


_ARCHIVED = {"exclude": "archived_at IS NULL", "only": "archived_at IS NOT NULL"}


async def list_session_summaries(conn: aiosqlite.Connection, ws: Workspace, status: str | None,
                                 type_: str | None, text: str | None, sort: str, limit: int,
                                 cursor: str | None, session_ids: list[str] | None = None,
                                 archived: str = "exclude",
                                 more: Sequence[tuple[str, Sequence[Any]]] = ()) -> Json:
    """``archived``: ``exclude`` (archived sessions hidden), ``include`` or ``only``.
    ``more``: further (condition, parameters) on ``sessions`` (``insights.board_filter``).
    """
    col = _SORTS[sort]
    where = ["workspace_hash = ?"]
    params: list[Any] = [ws.hash]
    if session_ids is not None:  # the live board asks which changed sessions it shows
        where.append("id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(session_ids))
    if archived in _ARCHIVED:
        where.append(_ARCHIVED[archived])
    for sql, values in more:
        where.append(sql)
        params.extend(values)
    if status is not None:
        sql, values = status_condition("status", status)
        where.append(sql)
        params.extend(values)
    if type_ is not None:
        where.append("type = ?")
        params.append(type_)
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("task LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    count_sql = f"SELECT count(*) FROM sessions WHERE {' AND '.join(where)}"
    total = await scalar(conn, count_sql, params)
    if cursor is not None:
        value, after_id = _decode_cursor(cursor)
        if value is None:  # NULLs sort last when descending
            where.append(f"({col} IS NULL AND id < ?)")
            params.append(after_id)
        else:
            where.append(f"({col} < ? OR ({col} = ? AND id < ?) OR {col} IS NULL)")
            params.extend((value, value, after_id))
    rows = list(await conn.execute_fetchall(
        f"SELECT {_SUMMARY_COLS}, {col} FROM sessions WHERE {' AND '.join(where)}"
        f" ORDER BY {col} DESC, id DESC LIMIT ?", (*params, limit + 1)
    ))
    items = []
    for row in rows[:limit]:
        item = {k: v for k, v in zip(_SUMMARY_KEYS, row, strict=False) if v is not None}
        if "runtimeMix" in item:
            item["runtimeMix"] = json.loads(item["runtimeMix"])
        items.append(item)
    next_cursor = _encode_cursor(rows[limit - 1][-1], rows[limit - 1][0]) \
        if len(rows) > limit else None
    return {"items": items, "nextCursor": next_cursor, "total": total}


async def list_workspaces(conn: aiosqlite.Connection) -> list[Json]:
    """Each workspace with its session count and last activity (the ``updatedAt`` of
    its newest session, archived ones included; null when it has none), in one
    statement: the newest is one step down ``idx_sessions_workspace``."""
    rows = await conn.execute_fetchall(
        "SELECT w.hash, w.path, w.last_accessed,"
        " (SELECT count(*) FROM sessions s WHERE s.workspace_hash = w.hash),"
        " (SELECT s.updated_at FROM sessions s WHERE s.workspace_hash = w.hash"
        "  ORDER BY s.updated_key DESC, s.id DESC LIMIT 1)"
        " FROM workspaces w ORDER BY w.last_accessed DESC, w.hash"
    )
    return [{"workspaceHash": r[0], "path": r[1], "lastAccessed": r[2], "sessionCount": r[3],
             "lastActivity": r[4]} for r in rows]
