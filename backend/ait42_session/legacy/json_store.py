"""The legacy JSON session store: the shell's ``{hash}.json`` files behind ``SessionStore``.

The files' format and their safe writing are in ``json_files``; a file this
store cannot parse is never overwritten.

Sessions of the file that a command does not touch are written back exactly as
they were read (raw JSON values), so a command never rewrites what it did not
change. Reads return the *normalized* session (see ``normalize``), the same
dict the SQLite repository returns for the same data.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from ait42_session.legacy.json_files import (
    default_sessions_dir,
    dumps,
    legacy_form,
    legacy_message,
    normalize,
    parse,
    read_bytes,
    validate_raw,
    write_atomic,
)
from ait42_session.shape.errors import (
    ConflictError,
    JsonError,
    NotFoundError,
    SessionError,
)
from ait42_session.shape.models import ChatMessage, Session
from ait42_session.shape.timestamps import now_rfc3339, timestamp_key
from ait42_session.shape.workspace import Workspace

Json = dict[str, Any]
T = TypeVar("T")

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------
# Operations on a file's list of raw sessions
# --------------------------------------------------------------------------

# (raw sessions, file name, now) -> the affected raw session. ``now`` is the time a
# change that touches ``updatedAt`` stamps (dual storage passes the database's).
Op = Callable[[list[Any], str, str], Any]


def _index(sessions: list[Any], session_id: str) -> int | None:
    for i, raw in enumerate(sessions):
        if isinstance(raw, dict) and raw.get("id") == session_id:
            return i
    return None


def _find(sessions: list[Any], session_id: str, ws: Workspace) -> int:
    i = _index(sessions, session_id)
    if i is None:
        raise NotFoundError(f"no session {session_id!r} in workspace {ws.path}")
    return i


def op_create(ws: Workspace, model: Session) -> Op:
    def run(sessions: list[Any], where: str, now: str) -> Any:
        if _index(sessions, model.id) is not None:
            raise ConflictError(
                f"session {model.id!r} already exists; use update_session to change it"
            )
        raw = legacy_form(model)
        sessions.append(raw)
        return raw
    return run


def op_update(ws: Workspace, model: Session) -> Op:
    def run(sessions: list[Any], where: str, now: str) -> Any:
        i = _find(sessions, model.id, ws)
        sessions[i] = legacy_form(model)
        return sessions[i]
    return run


def op_delete(ws: Workspace, session_id: str) -> Op:
    def run(sessions: list[Any], where: str, now: str) -> Any:
        i = _find(sessions, session_id, ws)
        removed = sessions[i]
        # The shell's delete keeps every session whose id differs: duplicates go too.
        sessions[:] = [s for s in sessions
                       if not (isinstance(s, dict) and s.get("id") == session_id)]
        return removed
    return run


def op_add_message(ws: Workspace, session_id: str, message: ChatMessage) -> Op:
    def run(sessions: list[Any], where: str, now: str) -> Any:
        i = _find(sessions, session_id, ws)
        raw = sessions[i]
        validate_raw(raw, where)
        history = raw.setdefault("chatHistory", [])
        if any(isinstance(m, dict) and m.get("id") == message.id for m in history):
            raise ConflictError(f"message {message.id!r} already exists in session {session_id!r}")
        history.append(legacy_message(message))
        raw["updatedAt"] = now
        return raw
    return run


def _op_instance(ws: Workspace, session_id: str, instance_id: int,
                 change: Callable[[Json], None]) -> Op:
    """``change`` applied to one instance of the session, its ``updatedAt`` now."""
    def run(sessions: list[Any], where: str, now: str) -> Any:
        raw = sessions[_find(sessions, session_id, ws)]
        validate_raw(raw, where)
        for inst in raw.get("instances", ()):
            if inst.get("instanceId") == instance_id:
                change(inst)
                raw["updatedAt"] = now
                return raw
        raise NotFoundError(f"session {session_id!r} has no instance {instance_id}")
    return run


def op_update_status(ws: Workspace, session_id: str, instance_id: int, status: str) -> Op:
    return _op_instance(ws, session_id, instance_id,
                        lambda inst: inst.__setitem__("status", status))


def op_append_output(ws: Workspace, session_id: str, instance_id: int, text: str) -> Op:
    """``text`` added to the end of an instance's output (dual storage's streaming)."""
    return _op_instance(
        ws, session_id, instance_id,
        lambda inst: inst.__setitem__("output", (inst.get("output") or "") + text))


def op_put(ws: Workspace, model: Session) -> Op:
    """The session added, or put in place of one with its id (a restore from the trash)."""
    def run(sessions: list[Any], where: str, now: str) -> Any:
        raw = legacy_form(model)
        i = _index(sessions, model.id)
        if i is None:
            sessions.append(raw)
        else:
            sessions[i] = raw
        return raw
    return run


class Undo:
    """What a write replaced, so a caller can put it back (dual write)."""

    __slots__ = ("path", "previous", "written")

    def __init__(self, path: Path, previous: bytes | None, written: bytes) -> None:
        self.path = path
        self.previous = previous
        self.written = written


# --------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------

class JsonSessionStore:
    """``SessionStore`` on the legacy files; one lock per file within the process."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory is not None \
            else default_sessions_dir()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def file_for(self, ws_hash: str) -> Path:
        return self.directory / f"{ws_hash}.json"

    def _lock(self, ws_hash: str) -> threading.Lock:
        with self._locks_lock:
            lock = self._locks.get(ws_hash)
            if lock is None:
                lock = self._locks[ws_hash] = threading.Lock()
            return lock

    # -- synchronous core (any thread) --------------------------------------

    def load(self, ws_hash: str) -> list[Any]:
        """The raw sessions of a workspace's file (``[]`` when there is none)."""
        path = self.file_for(ws_hash)
        data = read_bytes(path)
        return [] if data is None else parse(data, str(path))

    def apply(self, ws: Workspace, op: Op, *, write: bool = True,
              now: str | None = None) -> tuple[Any, Undo | None]:
        """Load the file, apply ``op``, replace the file; return the affected session and undo.

        With ``write=False`` nothing is written: it tells whether ``op`` would
        succeed. ``now``: the ``updatedAt`` a stamping change sets (default: now).
        """
        path = self.file_for(ws.hash)
        with self._lock(ws.hash):
            previous = read_bytes(path)
            sessions = [] if previous is None else parse(previous, str(path))
            raw = op(sessions, str(path), now or now_rfc3339())
            if not write:
                return raw, None
            data = dumps(sessions)
            write_atomic(path, data)
            return raw, Undo(path, previous, data)

    def restore(self, undo: Undo) -> bool:
        """Put back what a write replaced, unless the file changed since; true when done."""
        ws_hash = undo.path.stem
        with self._lock(ws_hash):
            if read_bytes(undo.path) != undo.written:
                return False
            if undo.previous is None:
                try:
                    undo.path.unlink()
                except OSError:
                    return False
            else:
                try:
                    write_atomic(undo.path, undo.previous)
                except SessionError:
                    return False
            return True

    def read_one(self, ws: Workspace, session_id: str) -> Json:
        path = self.file_for(ws.hash)
        with self._lock(ws.hash):
            sessions = self.load(ws.hash)
        i = _find(sessions, session_id, ws)
        validate_raw(sessions[i], str(path))
        return normalize(sessions[i])

    def read_all(self, ws: Workspace) -> list[Json]:
        """Every valid session of the workspace's file. An invalid one never
        hides the others: it is left out, logged, and reported with its reason
        by ``check_consistency`` (the database page shows it)."""
        path = self.file_for(ws.hash)
        with self._lock(ws.hash):
            sessions = self.load(ws.hash)
        out: dict[str, Json] = {}
        rejected: list[str] = []
        for raw in sessions:
            try:
                validate_raw(raw, str(path))
            except JsonError as exc:
                rejected.append(str(exc))
                continue
            out.setdefault(raw["id"], raw)  # the shell finds the first of duplicates
        if rejected:
            log.warning("%s: %d invalid session(s) left out of the list; first: %s",
                        path, len(rejected), rejected[0])
        result = [normalize(raw) for raw in out.values()]
        result.sort(key=lambda s: (timestamp_key(s["updatedAt"]), s["id"]), reverse=True)
        return result

    # -- the session operations (legacy.modes.SessionStore) -------------------

    async def read(self, sql: Callable[..., Awaitable[T]], from_file: Callable[..., T],
                   ws: Workspace, *args: Any, single: bool = False) -> T:
        """A read: ``from_file(self, ws, *args)`` (``read_one``, ``read_all``),
        off the event loop's thread."""
        return await asyncio.to_thread(from_file, self, ws, *args)

    async def write(self, sql: Callable[..., Awaitable[T]], edit: Callable[..., Op],
                    ws: Workspace, *args: Any) -> T:
        """A write: ``edit(ws, *args)`` applied to the file, off the event loop's
        thread; the affected session, normalized (a delete's command drops it)."""
        raw, _undo = await asyncio.to_thread(self.apply, ws, edit(ws, *args))
        return cast(T, normalize(raw))
