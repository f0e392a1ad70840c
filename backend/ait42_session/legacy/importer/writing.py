"""The import's SQL: one file's sessions written inside its one transaction, and the
``import_runs`` / ``import_files`` records.

Every function takes the ``aiosqlite.Connection`` of a transaction the caller
holds (``Database.writing()``; ``reading()`` for a dry run, which only asks).
A batch's sessions go in with one ``executemany`` per table; when the database
refuses a row (a trigger, a value SQLite cannot store), the batch is undone to
its savepoint and written again one session at a time, so one bad session
never costs the others.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiosqlite

from ait42_session.legacy.importer.checking import rows_of, same, versions
from ait42_session.store.columns import INSERT_INSTANCE, INSERT_MESSAGE, INSERT_SESSION

if TYPE_CHECKING:
    from ait42_session.legacy.importer.reading import Ready

Json = dict[str, Any]
# (status, reason, (the database's version, the file's) when they differ)
Outcome = tuple[str, str | None, tuple[Json, Json] | None]

# A row the database refuses; infrastructure errors (a full disk, a lock) propagate.
_ROW_ERRORS = (sqlite3.IntegrityError, sqlite3.InterfaceError, OverflowError, ValueError,
               TypeError)
_DELETE = "DELETE FROM sessions WHERE id = ? AND workspace_hash = ?"


async def owners(conn: aiosqlite.Connection, ids: list[str]) -> dict[str, str]:
    """session id -> the workspace hash that holds it, for those of ``ids`` present."""
    rows = await conn.execute_fetchall(
        "SELECT id, workspace_hash FROM sessions WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),))
    return {str(r[0]): str(r[1]) for r in rows}


async def upsert_workspace(conn: aiosqlite.Connection, ws_hash: str, path: str | None,
                           now: str) -> None:
    """Make the workspace known; fill in its path if it had none (a later run may know it)."""
    await conn.execute(
        "INSERT INTO workspaces (hash, path, created_at, last_accessed) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (hash) DO UPDATE SET path = coalesce(workspaces.path, excluded.path)",
        (ws_hash, path, now, now))


async def decide(conn: aiosqlite.Connection, ws_hash: str, batch: list[Ready], *,
                 overwrite: bool) -> list[Outcome]:
    """What becomes of each session: ``inserted``, ``unchanged``, ``changed`` (there and
    different: left alone), ``replaced`` (the same, with ``overwrite``) or ``conflict``
    (the id belongs to another workspace). Reads only."""
    held = await owners(conn, [r.sid for r in batch])
    stored = await rows_of(conn, [r.sid for r in batch if held.get(r.sid) == ws_hash])
    outcomes: list[Outcome] = []
    for ready in batch:
        owner = held.get(ready.sid)
        if owner is None:
            outcomes.append(("inserted", None, None))
        elif owner != ws_hash:
            outcomes.append(("conflict", f"the database already has this session id under "
                                         f"workspace {owner}", None))
        elif same(stored[ready.sid], ready.rows):
            outcomes.append(("unchanged", None, None))
        else:  # rows differ; the JSON may not (unknown fields' keys in another order)
            both = versions(stored[ready.sid], ready.rows)
            if both[0] == both[1]:
                outcomes.append(("unchanged", None, None))
            elif overwrite:
                outcomes.append(("replaced", None, both))
            else:
                outcomes.append(("changed", "differs from the database; rerun with --overwrite "
                                            "to replace it", both))
    return outcomes


async def insert(conn: aiosqlite.Connection, ws_hash: str, batch: list[Ready],
                 outcomes: list[Outcome]) -> list[Outcome]:
    """Write the batch's inserted and replaced sessions; the outcomes, refused ones ``failed``."""
    new = [r for r, o in zip(batch, outcomes, strict=True) if o[0] in ("inserted", "replaced")]
    if not new:
        return outcomes
    replace = {r.sid for r, o in zip(batch, outcomes, strict=True) if o[0] == "replaced"}

    async def write(sessions: list[Ready]) -> None:
        gone = [(r.sid, ws_hash) for r in sessions if r.sid in replace]
        if gone:  # its instances and messages go with it (ON DELETE CASCADE)
            await conn.executemany(_DELETE, gone)
        await conn.executemany(INSERT_SESSION, [r.rows[0] for r in sessions])
        await conn.executemany(INSERT_INSTANCE,
                               [row for r in sessions for row in r.rows[1]])
        await conn.executemany(INSERT_MESSAGE,
                               [row for r in sessions for row in r.rows[2]])

    if await _refused(conn, lambda: write(new)) is None:
        return outcomes
    refused: dict[str, str] = {}
    for ready in new:  # one at a time, each in its own savepoint
        reason = await _refused(conn, lambda r=ready: write([r]))  # type: ignore[misc]
        if reason is not None:
            refused[ready.sid] = reason
    return [("failed", refused[r.sid], o[2]) if r.sid in refused else o
            for r, o in zip(batch, outcomes, strict=True)]


async def _refused(conn: aiosqlite.Connection,
                   fn: Callable[[], Awaitable[None]]) -> str | None:
    """Run ``fn`` in a savepoint; why the database refused it, or ``None``."""
    await conn.execute("SAVEPOINT import_batch")
    try:
        await fn()
    except _ROW_ERRORS as exc:
        await conn.execute("ROLLBACK TO import_batch")
        await conn.execute("RELEASE import_batch")
        return f"the database refused it ({type(exc).__name__}: {exc})"
    await conn.execute("RELEASE import_batch")
    return None


async def record_file(conn: aiosqlite.Connection, run_id: int, name: str, ws_hash: str,
                      sha256: str, size: int, counts: tuple[int, int, int], now: str) -> None:
    """The ``import_files`` row, written in the file's own transaction with its sessions."""
    read, written, unchanged = counts
    await conn.execute(
        "INSERT INTO import_files (run_id, file_name, workspace_hash, sha256, size_bytes,"
        " sessions_read, sessions_written, sessions_unchanged, sessions_skipped,"
        " imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, name, ws_hash, sha256, size, read, written, unchanged,
         read - written - unchanged, now))


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, under another user
    return True


async def close_interrupted(conn: aiosqlite.Connection, now: str) -> list[int]:
    """Close out the runs left ``running`` by a process that is gone (killed, crashed).

    A run records the process importing it (pid and host); a run of a process
    still alive on this host, or of another host, is left alone: two processes
    may import at once. Returns the runs closed.
    """
    host = socket.gethostname()
    rows = await conn.execute_fetchall(
        "SELECT id, pid, host FROM import_runs WHERE state = 'running'")
    gone = [int(r[0]) for r in rows
            if r[1] is None or (r[2] == host and int(r[1]) != os.getpid()
                                and not _alive(int(r[1])))]
    for run_id in gone:
        pid = next(r[1] for r in rows if r[0] == run_id)
        note = {"interrupted": True, "reason": "the importing process "
                + (f"({pid}) " if pid is not None else "") + "ended before the run did; "
                "the files recorded in import_files for this run were imported whole"}
        await conn.execute(
            "UPDATE import_runs SET state = 'interrupted', finished_at = ?, summary = ?"
            " WHERE id = ? AND state = 'running'", (now, json.dumps(note), run_id))
    return gone


async def start_run(conn: aiosqlite.Connection, started_at: str, source_dir: str,
                    overwrite: bool, backup_path: str | None) -> int:
    """Record a new run (closing out interrupted ones first); its id."""
    await close_interrupted(conn, started_at)
    cur = await conn.execute(
        "INSERT INTO import_runs (started_at, source_dir, overwrite, backup_path, state, pid,"
        " host) VALUES (?, ?, ?, ?, 'running', ?, ?)",
        (started_at, source_dir, int(overwrite), backup_path, os.getpid(),
         socket.gethostname()))
    return int(cur.lastrowid or 0)


async def finish_run(conn: aiosqlite.Connection, run_id: int, finished_at: str, state: str,
                     summary: Json) -> None:
    await conn.execute(
        "UPDATE import_runs SET finished_at = ?, state = ?, summary = ? WHERE id = ?",
        (finished_at, state, json.dumps(summary, ensure_ascii=False), run_id))


async def last_backup(conn: aiosqlite.Connection, source_dir: str) -> str | None:
    """The backup made before an earlier real import of ``source_dir``, if any."""
    rows = await conn.execute_fetchall(
        "SELECT backup_path FROM import_runs WHERE source_dir = ? AND backup_path IS NOT NULL"
        " ORDER BY id DESC LIMIT 1", (source_dir,))
    return None if not rows else str(next(iter(rows))[0])
