"""The dual-write store: the storage mode ``dual`` writes the database and the
shell's legacy files together, and picks up what the shell writes into them.

Dual write, per command, in one database transaction on the writer:

1. the database operation runs;
2. the JSON file is written (atomically) with the same change and the same
   ``updatedAt``;
3. the two results are compared; a difference is recorded (kind
   ``difference``) in the same transaction and the command succeeds;
4. the transaction commits.

When the JSON write fails, the database change is rolled back: the command
fails with the JSON store's error and nothing changed (kind ``json_failed``).
When the database refuses the change, the JSON file is not written; if the JSON
store would have accepted it, the stores disagree (kind ``database_failed``).
When the commit fails after the file was written, the file is put back (kind
``commit_failed``). Each case is recorded in ``dual_write_events`` and named in
the error's message; when the database cannot record it, a JSON line goes to
``<database>.dual-write.log`` instead. Nothing is dropped silently.

Another program (the shell's own debate runner) writes sessions straight into
the legacy files. Before the database answers a read for a workspace, the
workspace's file is looked at (``_pick_up``): when it changed since this store
last saw it (size and modification time, then its SHA-256), its sessions are
read again and what differs is written to the database: a session the database
lacks is created; one whose ``updatedAt`` in the file is newer replaces the
database's; one that differs otherwise is left as the database has it. Each
such disagreement is recorded as a dual-write event (kind ``difference``,
command ``legacy_file_changed``) in the same transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import aiosqlite

from ait42_session.legacy.diff import field_diff
from ait42_session.legacy.json_files import (
    normalize,
    parse,
    read_bytes,
    spare_log_path,
    validate_raw,
)
from ait42_session.shape import models
from ait42_session.shape.errors import JsonError, NotFoundError, SessionError
from ait42_session.shape.models import Session
from ait42_session.shape.timestamps import now_rfc3339, timestamp_key
from ait42_session.shape.workspace import Workspace
from ait42_session.store import repository
from ait42_session.store.columns import Json
from ait42_session.store.records import record_dual_event

if TYPE_CHECKING:
    from ait42_session.legacy.json_store import JsonSessionStore, Op, Undo
    from ait42_session.store.db import Database

T = TypeVar("T")

log = logging.getLogger(__name__)

# A file whose size and mtime look unchanged is hashed anyway when it was
# modified this recently: file times move in clock ticks of several
# milliseconds, so two writes of one size may share one.
_RECENT_NS = 2_000_000_000

def fallback_log_path(db_path: str) -> Path | None:
    return None if db_path == ":memory:" else Path(db_path + ".dual-write.log")


class _Attempt:
    """What a dual write got to before it failed."""

    __slots__ = ("db_ok", "undo")

    def __init__(self) -> None:
        self.db_ok = False
        self.undo: Undo | None = None


class DualWriteStore:
    """``SessionStore`` writing the database and the JSON files; reads the database."""

    def __init__(self, db: Database, json_store: JsonSessionStore) -> None:
        self.db = db
        self.sqlite = repository.SqliteStore(db)  # what it reads from, once the file is in
        self.json = json_store
        self.fallback_log = fallback_log_path(db.path)
        self.spare_log = spare_log_path(json_store.directory)
        # Per workspace hash: the file as last seen (mtime_ns, size, sha256) and
        # the sha256 of each of its sessions' JSON then, by id.
        self._seen: dict[str, tuple[int, int, str]] = {}
        self._seen_sessions: dict[str, dict[str, str]] = {}
        self._pick_up_lock = asyncio.Lock()

    # -- reads: the database, after the legacy file's changes ------------------

    async def read(self, sql: Callable[..., Awaitable[T]], from_file: Callable[..., T],
                   ws: Workspace, *args: Any, single: bool = False) -> T:
        """The database's answer, once what the shell wrote into the file is in it."""
        await self.pick_up(ws)
        return await self.sqlite.read(sql, from_file, ws, *args, single=single)

    async def pick_up(self, ws: Workspace) -> None:
        """Bring into the database what another program wrote into ``ws``'s legacy file.

        A file that cannot be read or parsed is left to ``check_consistency``
        (which names it); the database then answers with what it has.
        """
        path = self.json.file_for(ws.hash)
        async with self._pick_up_lock:
            try:
                st = await asyncio.to_thread(os.stat, path)
            except OSError:
                return  # no file (or none readable): nothing written beside us
            seen = self._seen.get(ws.hash)
            recent = time.time_ns() - st.st_mtime_ns < _RECENT_NS
            if seen is not None and seen[:2] == (st.st_mtime_ns, st.st_size) and not recent:
                return
            try:
                data = await asyncio.to_thread(read_bytes, path)
            except SessionError:
                return
            if data is None:
                return
            digest = hashlib.sha256(data).hexdigest()
            if seen is not None and seen[2] == digest:
                self._seen[ws.hash] = (st.st_mtime_ns, st.st_size, digest)
                return
            try:
                raws = parse(data, str(path))
            except JsonError as exc:
                log.warning("dual storage: %s", exc)
                return
            changed = self._changed_sessions(ws.hash, raws, str(path))
            if changed:
                await self.db.write(self._upsert, ws, changed, ws.hash in self._seen_sessions)
            self._seen[ws.hash] = (st.st_mtime_ns, st.st_size, digest)
            self._seen_sessions[ws.hash] = {
                sid: h for sid, h in ((r.get("id"), _digest(r)) for r in raws
                                      if isinstance(r, dict)) if isinstance(sid, str)}

    def _changed_sessions(self, ws_hash: str, raws: list[Any], where: str) -> list[Session]:
        """The file's valid sessions that changed since it was last seen (all, the
        first time), the first of each id (as the shell reads them)."""
        before = self._seen_sessions.get(ws_hash, {})
        out: dict[str, Session] = {}
        for raw in raws:
            if not isinstance(raw, dict) or raw.get("id") in out:
                continue
            sid = raw.get("id")
            if isinstance(sid, str) and before.get(sid) == _digest(raw):
                continue
            try:
                out[str(sid)] = validate_raw(raw, where)
            except JsonError:
                continue  # reported by check_consistency; never hides the others
        return list(out.values())

    async def _upsert(self, conn: aiosqlite.Connection, ws: Workspace,
                      sessions: list[Session], seen_before: bool) -> None:
        """Write the file's changed ``sessions`` the database lacks or has older.

        ``seen_before``: this store saw an earlier version of the file, so each of
        these sessions was rewritten there since: one whose ``updatedAt`` equals
        the database's is taken too (a writer may keep ``updatedAt``). The first
        time, only a strictly newer one is (the database may hold changes the
        files never get, such as ``archivedAt``)."""
        at = now_rfc3339()
        for session in sessions:
            file_value = normalize(json.loads(json.dumps(
                session.model_dump(mode="json", by_alias=True))))
            try:
                current: Json | None = await repository.get_session(conn, ws, session.id)
            except NotFoundError:
                current = None
            if current is not None:
                diffs = field_diff(file_value, current)
                if not diffs:
                    continue
                file_key = timestamp_key(session.updated_at)
                db_key = timestamp_key(current["updatedAt"])
                newer = file_key > db_key or (seen_before and file_key == db_key)
                outcome = "updated from the file" if newer else \
                    "kept (the file's updatedAt is not newer)"
            else:
                diffs, newer, outcome = [], True, "created from the file"
            if newer:
                await conn.execute("SAVEPOINT pick_up")
                try:
                    if current is None:
                        await repository.create_session(conn, ws, session)
                    else:
                        await repository.update_session(conn, ws, session)
                except SessionError as exc:
                    await conn.execute("ROLLBACK TO pick_up")
                    outcome = f"refused: {exc.code}: {exc}"
                await conn.execute("RELEASE pick_up")
            await record_dual_event(
                conn, at, "legacy_file_changed", ws.hash, session.id, "difference", outcome,
                "written by another program",
                {"fields": diffs[:50], "fieldCount": len(diffs)} if diffs else None)

    # -- writes: both --------------------------------------------------------

    async def write(self, sql: Callable[..., Awaitable[T]], edit: Callable[..., Op],
                    ws: Workspace, *args: Any) -> T:
        """Any session operation in both stores: ``sql(conn, ws, *args)``, then
        ``edit(ws, *args)`` of the file, in one transaction (see the module)."""
        first = args[0]  # every operation's first argument is its session or its id
        session_id = first.id if isinstance(first, Session) else str(first)
        return await self._write(sql.__name__, ws, session_id,
                                 lambda c: sql(c, ws, *args), lambda _r: edit(ws, *args))

    async def append_instance_output(self, edit: Callable[..., Op], ws: Workspace,
                                     session_id: str, instance_id: int, text: str) -> Json:
        """The append in the database and ``edit(ws, session_id, instance_id, text)`` of
        the JSON file (defect 9): one transaction."""
        length: list[Json] = []

        async def db_fn(conn: aiosqlite.Connection) -> Json:
            appended = await repository.append_instance_output(
                conn, ws, session_id, instance_id, text)
            assert appended is not None  # None only when a setting is named to stop it
            length.append(appended)
            return await repository.get_session(conn, ws, session_id)

        await self._write(
            "append_instance_output", ws, session_id, db_fn,
            lambda _r: edit(ws, session_id, instance_id, text))
        return length[-1]

    async def restore_session(self, sql: Callable[..., Awaitable[Json]],
                              put: Callable[[Workspace, Session], Op], ws: Workspace,
                              session_id: str, trash_id: int | None = None) -> Json:
        """A restore from the trash, ``sql(conn, ws, session_id, trash_id)``, put back
        in the JSON file too with ``put(ws, session)`` (defect 9)."""
        return await self._write(
            "restore_session", ws, session_id,
            lambda c: sql(c, ws, session_id, trash_id),
            lambda r: put(ws, models.validate(Session, r, "restored session")),
            json_alone=False)

    async def _write(self, command: str, ws: Workspace, session_id: str,
                     db_fn: Callable[[aiosqlite.Connection], Awaitable[T]],
                     json_op: Callable[[Any], Op], json_alone: bool = True) -> T:
        """``json_alone``: whether the JSON store can do the command by itself (a
        restore from the trash is the database's alone: its refusal is final)."""
        attempt = _Attempt()

        async def both(conn: aiosqlite.Connection) -> T:
            result = await db_fn(conn)
            attempt.db_ok = True
            # The file is written while the transaction is open, off the loop's thread.
            # Stamped with the database's updatedAt, so both stores hold the same time.
            stamp = result.get("updatedAt") if isinstance(result, dict) else None
            raw, attempt.undo = await asyncio.to_thread(self.json.apply, ws, json_op(result),
                                                        now=stamp)
            if result is not None:
                diffs = field_diff(normalize(raw), result)
                if diffs:
                    await record_dual_event(
                        conn, now_rfc3339(), command, ws.hash, session_id, "difference",
                        "ok", "ok", {"fields": diffs[:50], "fieldCount": len(diffs)})
            return result

        try:
            result = await self.db.write(both)
        except SessionError as exc:
            if not json_alone and not attempt.db_ok:
                raise
            raise await self._failed(command, ws, session_id, exc, attempt, json_op) from exc
        if attempt.undo is not None:  # our own write: the next read need not parse it
            seen = self._seen.get(ws.hash)
            if seen is not None:
                self._seen[ws.hash] = (-1, -1, hashlib.sha256(attempt.undo.written).hexdigest())
        return result

    async def _failed(self, command: str, ws: Workspace, session_id: str, exc: SessionError,
                      attempt: _Attempt, json_op: Callable[[Any], Op]) -> SessionError:
        """Record a write the two stores did not both take; the error to raise."""
        error = f"{exc.code}: {exc}"
        if attempt.undo is not None:  # the file was written, then the commit failed
            restored = await asyncio.to_thread(self.json.restore, attempt.undo)
            kind, db_out = "commit_failed", error
            json_out = "restored" if restored else "written, could not be restored"
        elif attempt.db_ok:  # the database took it, the JSON file did not: rolled back
            kind, db_out, json_out = "json_failed", "rolled back", error
        else:  # the database refused it; would the JSON store have taken it?
            try:
                await asyncio.to_thread(self.json.apply, ws, json_op(None), write=False)
            except SessionError as json_exc:
                if json_exc.code == exc.code:
                    return exc  # both refuse alike: an ordinary failed command
                json_out = f"{json_exc.code}: {json_exc}"
            else:
                json_out = "would succeed"
            kind, db_out = "database_failed", error
        where = await self._record(command, ws, session_id, kind, db_out, json_out)
        note = {
            "commit_failed": "the database commit failed after the JSON file was written; "
                             f"the JSON file was {json_out}",
            "json_failed": "the JSON file could not be written, so the database change was "
                           "rolled back; nothing changed",
            "database_failed": "the database refused the change but the JSON store "
                               f"answered otherwise ({json_out}); the JSON file was not "
                               "written",
        }[kind]
        wrapped = type(exc)(f"{exc} [dual storage: {note}; recorded as {where}; "
                            "see `ait42-session check-consistency`]")
        return wrapped

    async def _record(self, command: str, ws: Workspace, session_id: str, kind: str,
                      db_out: str, json_out: str) -> str:
        at = now_rfc3339()
        try:
            event_id = await self.db.write(record_dual_event, at, command, ws.hash,
                                           session_id, kind, db_out, json_out, None)
            return f"dual-write event #{event_id}"
        except SessionError as record_exc:
            line = json.dumps({"at": at, "command": command, "workspaceHash": ws.hash,
                               "sessionId": session_id, "kind": kind,
                               "databaseOutcome": db_out, "jsonOutcome": json_out,
                               "recordError": str(record_exc)}, ensure_ascii=False)
            failures = [f"the database ({record_exc})"]
            for log in (self.fallback_log, self.spare_log):
                if log is None:
                    continue
                try:
                    await asyncio.to_thread(_append_line, log, line)
                except OSError as log_exc:
                    failures.append(f"{log} ({log_exc.strerror or log_exc})")
                    continue
                return f"a line of {log}"
            return "nowhere: " + ", ".join(failures) + " all failed"


def _digest(raw: object) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False,
                                     default=str).encode("utf-8", "surrogatepass")).hexdigest()


def _append_line(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
