"""The trash and the archive: nothing a person deletes is lost until they purge it.

``repository.delete_session`` moves a session into the ``trash`` table
(migration 4) as the JSON ``get_session`` returned, in the delete's own
transaction; this module lists, restores and purges those copies, archives
sessions, and selects what ``ait42-session prune`` moves to the trash.

Archiving sets the session's ``archivedAt`` field (kept in ``extra`` like any
field the columns do not name, so the session JSON carries it everywhere); the
generated column ``sessions.archived_at`` exposes it to the board and search.
Archiving does not touch ``updatedAt``: it files a session away, it is not
work on it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiosqlite

from ait42_session.shape import models
from ait42_session.shape.errors import ConflictError, NotFoundError
from ait42_session.shape.models import Session
from ait42_session.shape.timestamps import now_rfc3339, timestamp_key
from ait42_session.shape.workspace import Workspace
from ait42_session.store import repository
from ait42_session.store.columns import Json
from ait42_session.store.sql import scalar

if TYPE_CHECKING:
    from ait42_session.store.db import Database

_TRASH_KEYS = ("trashId", "workspacePath", "workspaceHash", "sessionId", "task", "type",
               "status", "deletedAt")


async def list_trash(conn: aiosqlite.Connection, ws: Workspace | None) -> list[Json]:
    """Trashed sessions (of one workspace, or all), newest first. Each copy carries its
    ``trashId`` (the trash row's seq): several copies of one id may be here (defect 15)."""
    where, params = ("WHERE workspace_hash = ?", (ws.hash,)) if ws else ("", ())
    rows = await conn.execute_fetchall(
        "SELECT seq, workspace_path, workspace_hash, session_id, task, type, status,"
        f" deleted_at FROM trash {where} ORDER BY seq DESC", params)
    return [dict(zip(_TRASH_KEYS, row, strict=True)) for row in rows]


async def restore_session(conn: aiosqlite.Connection, ws: Workspace, session_id: str,
                          trash_id: int | None = None) -> Json:
    """Bring a trashed copy of the session back whole: the one ``trash_id`` names (a copy
    of this session in this workspace's trash), else the newest; CONFLICT when the id
    is taken."""
    if trash_id is None:
        rows = list(await conn.execute_fetchall(
            "SELECT seq, session FROM trash WHERE workspace_hash = ? AND session_id = ?"
            " ORDER BY seq DESC LIMIT 1", (ws.hash, session_id)))
    else:
        rows = list(await conn.execute_fetchall(
            "SELECT seq, session FROM trash WHERE seq = ? AND workspace_hash = ?"
            " AND session_id = ?", (trash_id, ws.hash, session_id)))
    if not rows:
        copy = "" if trash_id is None else f" (trashId {trash_id})"
        raise NotFoundError(
            f"no session {session_id!r}{copy} in the trash of workspace {ws.path}")
    seq, text = rows[0]
    owner = await scalar(
        conn, "SELECT coalesce(w.path, s.workspace_hash) FROM sessions s"
        " JOIN workspaces w ON w.hash = s.workspace_hash WHERE s.id = ?", (session_id,))
    if owner is not None:
        raise ConflictError(
            f"a live session now has the id {session_id!r} (in workspace {owner}); move it "
            "to the trash or give it another id, then restore this one")
    session: Session = models.validate(Session, json.loads(text), "trashed session")
    await repository.create_session(conn, ws, session)
    await conn.execute("DELETE FROM trash WHERE seq = ?", (seq,))
    return await repository.get_session(conn, ws, session_id)


async def count_purgeable(conn: aiosqlite.Connection, ws: Workspace | None,
                          session_ids: list[str] | None,
                          trash_ids: list[int] | None = None) -> int:
    """How many trashed copies ``purge`` would destroy. With ``trash_ids``, every one of
    them must name a copy the other filters (workspace, ids) also select: NOT_FOUND
    otherwise, before anything is destroyed."""
    where, params = _purge_where(ws, session_ids, trash_ids)
    if trash_ids is not None:
        found = {int(r[0]) for r in await conn.execute_fetchall(
            f"SELECT seq FROM trash{where}", params)}
        missing = sorted(set(trash_ids) - found)
        if missing:
            scope = "the trash" if ws is None else f"the trash of workspace {ws.path}"
            ids = "" if session_ids is None else " among the given session ids"
            raise NotFoundError(
                f"no trashId {', '.join(map(str, missing[:10]))}"
                f"{' ...' if len(missing) > 10 else ''} in {scope}{ids}")
        return len(found)
    return int(await scalar(conn, f"SELECT count(*) FROM trash{where}", params) or 0)


async def purge(conn: aiosqlite.Connection, ws: Workspace | None,
                session_ids: list[str] | None, trash_ids: list[int] | None = None) -> Json:
    """Destroy trashed copies: of one workspace or all, these ids or all, these copies
    (``trash_ids``) or all; ``{purged}``."""
    where, params = _purge_where(ws, session_ids, trash_ids)
    cur = await conn.execute(f"DELETE FROM trash{where}", params)
    return {"purged": cur.rowcount}


def _purge_where(ws: Workspace | None, session_ids: list[str] | None,
                 trash_ids: list[int] | None = None) -> tuple[str, tuple[Any, ...]]:
    parts: list[str] = []
    params: list[Any] = []
    if ws is not None:
        parts.append("workspace_hash = ?")
        params.append(ws.hash)
    if session_ids is not None:
        parts.append("session_id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(session_ids))
    if trash_ids is not None:
        parts.append("seq IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(trash_ids))
    return (" WHERE " + " AND ".join(parts) if parts else ""), tuple(params)


async def archive_session(conn: aiosqlite.Connection, ws: Workspace, session_id: str,
                          archived: bool) -> Json:
    """Set (keeping an earlier date) or clear ``archivedAt``; ``updatedAt`` is untouched."""
    if archived:
        cur = await conn.execute(
            "UPDATE sessions SET extra = CASE WHEN archived_at IS NULL"
            " THEN json_set(coalesce(extra, '{}'), '$.archivedAt', ?) ELSE extra END"
            " WHERE id = ? AND workspace_hash = ?", (now_rfc3339(), session_id, ws.hash))
    else:
        cur = await conn.execute(
            "UPDATE sessions SET extra = nullif(json_remove(extra, '$.archivedAt'), '{}')"
            " WHERE id = ? AND workspace_hash = ?", (session_id, ws.hash))
    if cur.rowcount == 0:
        raise NotFoundError(f"no session {session_id!r} in workspace {ws.path}")
    return await repository.get_session(conn, ws, session_id)


async def prune_candidates(conn: aiosqlite.Connection, older_than: str, status: str | None,
                           ws: Workspace | None) -> list[tuple[str, str, str, str, str]]:
    """Sessions last updated before ``older_than``: (path, hash, id, updatedAt, task)."""
    where = ["s.updated_key < ?"]
    params: list[Any] = [timestamp_key(older_than)]
    if status is not None:
        where.append("s.status = ?")
        params.append(status)
    if ws is not None:
        where.append("s.workspace_hash = ?")
        params.append(ws.hash)
    rows = await conn.execute_fetchall(
        "SELECT coalesce(w.path, s.workspace_hash), s.workspace_hash, s.id, s.updated_at,"
        " s.task FROM sessions s JOIN workspaces w ON w.hash = s.workspace_hash"
        f" WHERE {' AND '.join(where)} ORDER BY s.updated_key, s.id", params)
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]


Candidate = tuple[str, str, str, str, str]  # path, hash, id, updatedAt, task
# One write transaction of prune moves at most this many sessions, and stops
# early once it has held the write lock this long: well inside any program's
# busy timeout (10 s here) however slow the machine. Between two, a pause longer
# than SQLite's longest busy-handler sleep (100 ms), so a program waiting for the
# lock gets it rather than polling against the next batch.
PRUNE_BATCH = 200
PRUNE_BATCH_SECONDS = 0.25
PRUNE_PAUSE_SECONDS = 0.15


async def prune(db: Database, sessions: list[Candidate], older_than: str,
                status: str | None, progress: Callable[[int, int], None] | None = None,
                batch: int = PRUNE_BATCH) -> tuple[list[Candidate], list[Candidate]]:
    """Move ``sessions`` to the trash in small write transactions (``batch`` sessions,
    or ``PRUNE_BATCH_SECONDS``), so other programs' writes go through between them;
    ``progress(done, total)`` after each. Each is re-checked as it is moved
    (``move_unchanged_to_trash``). Returns (moved, changed).
    """
    moved: list[Candidate] = []
    changed: list[Candidate] = []
    done = 0
    while done < len(sessions):
        took, left, seen = await db.write(move_unchanged_to_trash,
                                          sessions[done:done + batch], older_than, status,
                                          PRUNE_BATCH_SECONDS)
        moved += took
        changed += left
        done += seen
        if progress is not None:
            progress(done, len(sessions))
        if done < len(sessions):
            await asyncio.sleep(PRUNE_PAUSE_SECONDS)
    return moved, changed


async def move_unchanged_to_trash(conn: aiosqlite.Connection, sessions: list[Candidate],
                                  older_than: str, status: str | None,
                                  budget_seconds: float | None = None,
                                  ) -> tuple[list[Candidate], list[Candidate], int]:
    """Move the given sessions (from ``prune_candidates``) to the trash, each only if it
    still is as it was read: the same ``updatedAt``, still older than ``older_than``
    and of ``status``. Checked in the caller's write transaction, so nothing written
    since the candidates were read goes to the trash. Stops early (at least one
    done) once ``budget_seconds`` have passed. Returns (moved, changed, how many
    of ``sessions`` were looked at); a session gone meanwhile (another program
    deleted it) is in neither list.
    """
    key = timestamp_key(older_than)
    moved: list[Candidate] = []
    changed: list[Candidate] = []
    start = time.monotonic()
    seen = 0
    for found in sessions:
        if seen and budget_seconds is not None and time.monotonic() - start > budget_seconds:
            break
        seen += 1
        path, ws_hash, session_id, updated, _task = found
        rows = list(await conn.execute_fetchall(
            "SELECT updated_at, updated_key, status FROM sessions"
            " WHERE id = ? AND workspace_hash = ?", (session_id, ws_hash)))
        if not rows:
            continue
        now_updated, now_key, now_status = rows[0]
        if now_updated != updated or not now_key < key or (
                status is not None and now_status != status):
            changed.append(found)
            continue
        await repository.delete_session(conn, Workspace(path=path, hash=ws_hash), session_id)
        moved.append(found)
    return moved, changed, seen
