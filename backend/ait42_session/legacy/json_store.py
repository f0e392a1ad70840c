"""The legacy JSON session store: the shell's ``{hash}.json`` files behind ``SessionRepository``.

Layout and format are the shell's: one pretty-printed JSON array of sessions
per workspace in ``~/.ait42/sessions/{workspaceHash}.json``, every known
optional field written (``null`` when unset), unknown fields kept. Unlike the
shell, a file is replaced atomically (temporary file, fsync, rename, fsync of
the folder), so a crash leaves the old file or the new one, never half of one;
and a file this store cannot parse is never overwritten.

Sessions of the file that a command does not touch are written back exactly as
they were read (raw JSON values), so a command never rewrites what it did not
change. Reads return the *normalized* session (see ``normalize``), the same
dict the SQLite repository returns for the same data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ait42_session.shape import models
from ait42_session.shape.errors import (
    ConflictError,
    FileError,
    JsonError,
    NotFoundError,
    SessionError,
    ValidationError,
)
from ait42_session.shape.models import (
    ChatMessage,
    Instance,
    Session,
    Shape,
    now_rfc3339,
    timestamp_key,
)
from ait42_session.shape.workspace import Workspace

Json = dict[str, Any]
T = TypeVar("T")

log = logging.getLogger(__name__)

HASH_NAME = re.compile(r"^[0-9a-f]{16}$")


def default_sessions_dir() -> Path:
    """``$AIT42_SESSIONS_DIR``, else ``~/.ait42/sessions``."""
    env = os.environ.get("AIT42_SESSIONS_DIR")
    return Path(env).expanduser() if env else Path.home() / ".ait42" / "sessions"


def spare_log_path(sessions_dir: Path) -> Path:
    """Where dual-write events go when neither the database nor its own log can take them.

    Beside the legacy folder: usually another place than a full database disk.
    """
    return sessions_dir.parent / "dual-write.log"


# --------------------------------------------------------------------------
# Normalization: what "equal to its JSON" means
# --------------------------------------------------------------------------

def _optional_aliases(model: type[Shape]) -> tuple[str, ...]:
    return tuple(
        field.alias or name for name, field in model.model_fields.items()
        if not field.is_required() and field.default is None
    )


SESSION_OPTIONAL = _optional_aliases(Session)
INSTANCE_OPTIONAL = _optional_aliases(Instance)
MESSAGE_OPTIONAL = _optional_aliases(ChatMessage)


def _drop_nulls(value: Json, optional: tuple[str, ...]) -> None:
    for key in optional:
        if key in value and value[key] is None:
            del value[key]


def normalize(raw: Json) -> Json:
    """The documented normalization of a *valid* legacy session (a new dict; ``raw`` is kept).

    1. A known optional field written as ``null`` is the same as an absent one
       (the shell writes ``null`` for every unset optional): it is dropped.
    2. Absent ``instances`` / ``chatHistory`` are empty lists.
    3. ``instances`` are ordered by ``instanceId``; ``chatHistory`` by the
       instant of ``timestamp``, ties in file order.
    4. Everything else is kept exactly, unknown fields (and ``null`` inside or
       as the value of unknown fields) included; timestamps keep their text.
    """
    out = dict(raw)
    out["instances"] = [dict(i) for i in raw.get("instances", ())]
    out["chatHistory"] = [dict(m) for m in raw.get("chatHistory", ())]
    return normalize_owned(out)


def normalize_owned(raw: Json) -> Json:
    """``normalize`` done in place, for a caller that owns the parsed session.

    An import normalizes 140,000 objects per 10,000 sessions: deleting the few
    null keys in place costs half of building every dict again.
    """
    _drop_nulls(raw, SESSION_OPTIONAL)
    insts = raw.setdefault("instances", [])
    for inst in insts:
        _drop_nulls(inst, INSTANCE_OPTIONAL)
    insts.sort(key=lambda i: int(i["instanceId"]))
    msgs = raw.setdefault("chatHistory", [])
    for msg in msgs:
        _drop_nulls(msg, MESSAGE_OPTIONAL)
    msgs.sort(key=lambda m: timestamp_key(m["timestamp"]))
    return raw


def legacy_form(model: Session) -> Json:
    """A validated session as the shell writes it: every known optional, ``null`` when unset."""
    out: Json = model.model_dump(mode="json", by_alias=True)
    return out


def legacy_message(model: ChatMessage) -> Json:
    out: Json = model.model_dump(mode="json", by_alias=True)
    return out


def dumps(sessions: list[Any]) -> bytes:
    """The file text the shell writes (serde_json's ``to_string_pretty``: 2 spaces, UTF-8)."""
    try:
        text = json.dumps(sessions, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise ValidationError(f"the session cannot be written as JSON: {exc}") from None
    return text.encode("utf-8")


def parse(data: bytes, where: str) -> list[Any]:
    """A file's sessions as raw JSON values; an empty file is an empty list (as in the shell)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonError(f"{where} is not UTF-8 text ({exc})") from None
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise JsonError(f"{where} nests too deeply to be read") from None
    if not isinstance(value, list):
        raise JsonError(
            f"{where} has the wrong shape: expected a JSON array of sessions, "
            f"found {_json_type(value)}"
        )
    return value


def _json_type(value: object) -> str:
    return {dict: "an object", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def validate_raw(raw: object, where: str, shape: type[Session] = Session) -> Session:
    """Validate one raw session of a file; ``JsonError`` naming the file and session.

    What the shell itself writes (``round_1``, ``starting``, ...) is valid: the
    models' one rule for every storage mode and command."""
    try:
        model: Session = models.validate(shape, raw, "session")
    except ValidationError as exc:
        sid = raw.get("id") if isinstance(raw, dict) else None
        named = f"session {sid!r}" if isinstance(sid, str) else "a session"
        raise JsonError(f"{where}: {named} is invalid: {exc}") from None
    return model


# --------------------------------------------------------------------------
# Atomic file replacement
# --------------------------------------------------------------------------

def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform opens folders; the rename is done anyway
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temporary file, fsync, rename, fsync of the folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FileError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FileError(
                f"cannot write {path}: {exc.strerror or exc}; the previous file is unchanged"
            ) from exc
        raise
    _fsync_dir(path.parent)


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, ``None`` when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror or exc}") from exc


# --------------------------------------------------------------------------
# Operations on a file's list of raw sessions
# --------------------------------------------------------------------------

Op = Callable[[list[Any], str], Any]  # (raw sessions, file name) -> affected raw session


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
    def run(sessions: list[Any], where: str) -> Any:
        if _index(sessions, model.id) is not None:
            raise ConflictError(
                f"session {model.id!r} already exists; use update_session to change it"
            )
        raw = legacy_form(model)
        sessions.append(raw)
        return raw
    return run


def op_update(ws: Workspace, model: Session) -> Op:
    def run(sessions: list[Any], where: str) -> Any:
        i = _find(sessions, model.id, ws)
        sessions[i] = legacy_form(model)
        return sessions[i]
    return run


def op_delete(ws: Workspace, session_id: str) -> Op:
    def run(sessions: list[Any], where: str) -> Any:
        i = _find(sessions, session_id, ws)
        removed = sessions[i]
        # The shell's delete keeps every session whose id differs: duplicates go too.
        sessions[:] = [s for s in sessions
                       if not (isinstance(s, dict) and s.get("id") == session_id)]
        return removed
    return run


def op_add_message(ws: Workspace, session_id: str, message: ChatMessage,
                   now: str | None = None) -> Op:
    def run(sessions: list[Any], where: str) -> Any:
        i = _find(sessions, session_id, ws)
        raw = sessions[i]
        validate_raw(raw, where)
        history = raw.setdefault("chatHistory", [])
        if any(isinstance(m, dict) and m.get("id") == message.id for m in history):
            raise ConflictError(f"message {message.id!r} already exists in session {session_id!r}")
        history.append(legacy_message(message))
        raw["updatedAt"] = now or now_rfc3339()
        return raw
    return run


def op_update_status(ws: Workspace, session_id: str, instance_id: int, status: str,
                     now: str | None = None) -> Op:
    def run(sessions: list[Any], where: str) -> Any:
        i = _find(sessions, session_id, ws)
        raw = sessions[i]
        validate_raw(raw, where)
        for inst in raw.get("instances", ()):
            if inst.get("instanceId") == instance_id:
                inst["status"] = status
                raw["updatedAt"] = now or now_rfc3339()
                return raw
        raise NotFoundError(f"session {session_id!r} has no instance {instance_id}")
    return run


def op_append_output(ws: Workspace, session_id: str, instance_id: int, text: str,
                     now: str | None = None) -> Op:
    """``text`` added to the end of an instance's output (dual storage's streaming)."""
    def run(sessions: list[Any], where: str) -> Any:
        i = _find(sessions, session_id, ws)
        raw = sessions[i]
        validate_raw(raw, where)
        for inst in raw.get("instances", ()):
            if inst.get("instanceId") == instance_id:
                inst["output"] = (inst.get("output") or "") + text
                raw["updatedAt"] = now or now_rfc3339()
                return raw
        raise NotFoundError(f"session {session_id!r} has no instance {instance_id}")
    return run


def op_put(ws: Workspace, model: Session) -> Op:
    """The session added, or put in place of one with its id (a restore from the trash)."""
    def run(sessions: list[Any], where: str) -> Any:
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
    """``SessionRepository`` on the legacy files; one lock per file within the process."""

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

    def apply(self, ws: Workspace, op: Op, *, write: bool = True) -> tuple[Any, Undo | None]:
        """Load the file, apply ``op``, replace the file; return the affected session and undo.

        With ``write=False`` nothing is written: it tells whether ``op`` would
        succeed.
        """
        path = self.file_for(ws.hash)
        with self._lock(ws.hash):
            previous = read_bytes(path)
            sessions = [] if previous is None else parse(previous, str(path))
            raw = op(sessions, str(path))
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

    # -- SessionRepository ----------------------------------------------------

    async def create_session(self, ws: Workspace, session: Session) -> Json:
        return await _thread(self._written, ws, op_create(ws, session))

    async def update_session(self, ws: Workspace, session: Session) -> Json:
        return await _thread(self._written, ws, op_update(ws, session))

    async def get_session(self, ws: Workspace, session_id: str) -> Json:
        return await _thread(self.read_one, ws, session_id)

    async def get_all_sessions(self, ws: Workspace) -> list[Json]:
        return await _thread(self.read_all, ws)

    async def delete_session(self, ws: Workspace, session_id: str) -> None:
        await _thread(self.apply, ws, op_delete(ws, session_id))

    async def add_chat_message(self, ws: Workspace, session_id: str,
                               message: ChatMessage) -> Json:
        return await _thread(self._written, ws, op_add_message(ws, session_id, message))

    async def update_instance_status(self, ws: Workspace, session_id: str,
                                     instance_id: int, status: str) -> Json:
        return await _thread(self._written, ws,
                             op_update_status(ws, session_id, instance_id, status))

    def _written(self, ws: Workspace, op: Op) -> Json:
        raw, _undo = self.apply(ws, op)
        return normalize(raw)


async def _thread(fn: Callable[..., T], *args: Any) -> T:
    """File work off the event loop thread, so other commands keep running."""
    return await asyncio.to_thread(fn, *args)


def list_files(directory: Path) -> list[Path]:
    """The workspace files of a folder (``{16 hex}.json``), sorted by name."""
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FileError(f"cannot list {directory}: {exc.strerror or exc}") from exc
    return [p for p in entries if p.suffix == ".json" and HASH_NAME.match(p.stem)
            and p.is_file()]
