"""The bridge: the contract's commands as plain synchronous methods.

``Bridge`` is handed to pywebview as ``js_api``. pywebview calls each method on
a new thread and resolves any dotted path with ``getattr`` (see
``shared/notes/pywebview.md``), so the object is sealed: a command reached by
name is a bound method whose ``__func__`` and ``__self__`` expose nothing, and
pywebview's code can read no other attribute. Every command validates its
arguments on the caller's thread, then runs one repository coroutine on the
bridge's own event loop thread.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import types
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from . import consistency, importer, models, repository, storage, workspace
from .db import Database, default_path
from .errors import SessionError, ValidationError
from .loop import Loop as _Loop
from .metrics import Metrics
from .repository import Json, SqliteSessionRepository

T = TypeVar("T")

COMMANDS: tuple[str, ...] = (
    "create_session_sqlite",
    "update_session_sqlite",
    "get_session_sqlite",
    "get_all_sessions_sqlite",
    "delete_session_sqlite",
    "add_chat_message_sqlite",
    "update_instance_status_sqlite",
    "get_database_stats",
    "optimize_database",
    "verify_database_integrity",
    "list_workspaces",
    "list_session_summaries",
    "get_metrics",
    # phase 2: the shell's JSON-era commands (routed by the storage mode), the
    # storage mode, the legacy import and the consistency check
    "create_session",
    "update_session",
    "get_session",
    "get_all_sessions",
    "delete_session",
    "add_chat_message",
    "update_instance_status",
    "get_storage_mode",
    "set_storage_mode",
    "start_import",
    "get_import_status",
    "cancel_import",
    "check_consistency",
    "bind_workspace",
)
_COMMAND_SET = frozenset(COMMANDS)

SORTS = ("updated", "created", "duration", "filesChanged")
MAX_PAGE = 500


class _Sealed:
    """A callable whose attributes cannot be read: pywebview's paths stop here."""

    __slots__ = ("_arity", "_fn", "_name", "_params")

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        code = fn.__code__
        params = code.co_varnames[1:code.co_argcount]
        object.__setattr__(self, "_fn", fn)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_arity", len(params))
        object.__setattr__(self, "_params", params)

    def __getattribute__(self, name: str) -> Any:
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(name)

    def __call__(self, *token_and_args: Any) -> Any:
        get = object.__getattribute__
        if not token_and_args or token_and_args[0] is not _TOKEN:
            # Reached as `command.__func__` by a dotted path: the page can send
            # only JSON, never the token, so this refuses every such call.
            raise AttributeError("not a command")
        args = token_and_args[1:]
        if len(args) != get(self, "_arity"):
            params = ", ".join(get(self, "_params")) or "no arguments"
            raise ValidationError(
                f"{get(self, '_name')} takes {get(self, '_arity')} argument(s) ({params}), "
                f"got {len(args)}"
            )
        return get(self, "_fn")(*args)


class _Token:
    """The ``__self__`` of a sealed command: nothing to read, nothing to call."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        raise AttributeError(name)


_TOKEN = _Token()


def _called_by_pywebview() -> bool:
    frame = sys._getframe(2)  # 0: this, 1: __getattribute__, 2: whoever asked
    return str(frame.f_globals.get("__name__", "")).split(".")[0] == "webview"


def _text_arg(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _optional_choice(query: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = query.get(key)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise ValidationError(f"query.{key} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


class Bridge:
    """The commands of ``shared/CONTRACT.md``; open with ``Bridge.open(db_path)``."""

    def __init__(self, loop: _Loop, db: Database,
                 sessions_dir: str | os.PathLike[str] | None = None) -> None:
        object.__setattr__(self, "_loop", loop)
        object.__setattr__(self, "_repo", SqliteSessionRepository(db))
        object.__setattr__(self, "_storage", storage.Storage(db, sessions_dir))  # phase 2
        object.__setattr__(self, "_jobs", importer.ImportJobs(db, loop.run))  # phase 2
        object.__setattr__(self, "_metrics", Metrics())
        object.__setattr__(self, "_closed", False)
        object.__setattr__(self, "_close_lock", threading.Lock())
        object.__setattr__(self, "_sealed", {
            name: types.MethodType(_Sealed(name, object.__getattribute__(self, name)), _TOKEN)
            for name in COMMANDS
        })

    # -- life cycle (Python only; pywebview cannot reach these) -------------

    @classmethod
    def open(cls, db_path: str | os.PathLike[str] | None = None, *,
             sessions_dir: str | os.PathLike[str] | None = None) -> Bridge:
        """Open the database (creating folders, applying migrations) and start the loop.

        ``sessions_dir``: the legacy JSON files (default ``$AIT42_SESSIONS_DIR``
        or ``~/.ait42/sessions``).
        """
        loop = _Loop()
        try:
            db = loop.run(Database.open(db_path if db_path is not None else default_path()))
        except BaseException:
            loop.stop()
            raise
        bridge = cls(loop, db, sessions_dir)
        _register_exit(bridge)
        return bridge

    def close(self) -> None:
        """Close the database and stop the loop; safe to call more than once."""
        with self._close_lock:
            if self._closed:
                return
            object.__setattr__(self, "_closed", True)
            try:
                self._jobs.shutdown()  # phase 2: imports stop before the database closes
                self._loop.run(self._repo.db.close())
            finally:
                self._loop.stop()

    def __enter__(self) -> Bridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattribute__(self, name: str) -> Any:
        if name in _COMMAND_SET:
            return object.__getattribute__(self, "_sealed")[name]
        if _called_by_pywebview():
            raise AttributeError(name)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Bridge attributes are read-only ({name})")

    def __dir__(self) -> list[str]:
        return list(COMMANDS)

    def _run(self, command: str, coro: Coroutine[Any, Any, T], *, direct: bool = False) -> T:
        """Run a command's coroutine on the loop; record its figures.

        ``direct``: the coroutine is one repository call, whose database result
        is the answer (see ``loop``).
        """
        started = time.perf_counter()
        code = None
        try:
            if self._closed:
                coro.close()
                raise SessionError("the bridge is closed")
            result: T = self._loop.run(coro, direct=direct)
            return result
        except SessionError as exc:
            code = exc.code
            raise
        finally:
            self._metrics.record(command, time.perf_counter() - started, code)

    def _invalid(self, command: str, exc: SessionError) -> SessionError:
        self._metrics.record(command, 0.0, exc.code)
        return exc

    # -- the commands --------------------------------------------------------

    def create_session_sqlite(self, workspace_path: Any, session: Any) -> Json:
        """Store a new session; CONFLICT when its id exists."""
        try:
            ws = workspace.resolve(workspace_path)
            model = models.validate(models.Session, session, "session")
        except SessionError as exc:
            raise self._invalid("create_session_sqlite", exc) from None
        return self._run("create_session_sqlite", self._repo.create_session(ws, model), direct=True)

    def update_session_sqlite(self, workspace_path: Any, session: Any) -> Json:
        """Replace a stored session whole (instances and chat included)."""
        try:
            ws = workspace.resolve(workspace_path)
            model = models.validate(models.Session, session, "session")
        except SessionError as exc:
            raise self._invalid("update_session_sqlite", exc) from None
        return self._run("update_session_sqlite", self._repo.update_session(ws, model), direct=True)

    def get_session_sqlite(self, workspace_path: Any, session_id: Any) -> Json:
        """One whole session of the workspace."""
        try:
            ws = workspace.resolve(workspace_path)
            sid = _text_arg(session_id, "session_id")
        except SessionError as exc:
            raise self._invalid("get_session_sqlite", exc) from None
        return self._run("get_session_sqlite", self._repo.get_session(ws, sid), direct=True)

    def get_all_sessions_sqlite(self, workspace_path: Any) -> list[Json]:
        """Every session of the workspace, newest ``updatedAt`` first."""
        if isinstance(workspace_path, str) and not workspace_path.strip():
            return []
        try:
            ws = workspace.resolve(workspace_path)
        except SessionError as exc:
            raise self._invalid("get_all_sessions_sqlite", exc) from None
        return self._run("get_all_sessions_sqlite", self._repo.get_all_sessions(ws), direct=True)

    def delete_session_sqlite(self, workspace_path: Any, session_id: Any) -> None:
        """Delete a session with its instances and chat."""
        try:
            ws = workspace.resolve(workspace_path)
            sid = _text_arg(session_id, "session_id")
        except SessionError as exc:
            raise self._invalid("delete_session_sqlite", exc) from None
        self._run("delete_session_sqlite", self._repo.delete_session(ws, sid), direct=True)

    def add_chat_message_sqlite(self, workspace_path: Any, session_id: Any,
                                message: Any) -> Json:
        """Append a chat message; the session's ``updatedAt`` becomes now."""
        try:
            ws = workspace.resolve(workspace_path)
            sid = _text_arg(session_id, "session_id")
            msg = models.validate(models.ChatMessage, message, "message")
        except SessionError as exc:
            raise self._invalid("add_chat_message_sqlite", exc) from None
        return self._run("add_chat_message_sqlite", self._repo.add_chat_message(ws, sid, msg),
                         direct=True)

    def update_instance_status_sqlite(self, workspace_path: Any, session_id: Any,
                                      instance_id: Any, new_status: Any) -> Json:
        """Set one instance's status; the session's ``updatedAt`` becomes now."""
        try:
            ws = workspace.resolve(workspace_path)
            sid = _text_arg(session_id, "session_id")
            if not isinstance(instance_id, int) or isinstance(instance_id, bool) or not (
                    models.INT64_MIN <= instance_id <= models.INT64_MAX):
                raise ValidationError(
                    f"instance_id must be a 64-bit integer, got {instance_id!r}")
            if new_status not in models.INSTANCE_STATUSES:
                raise ValidationError(
                    f"new_status must be one of {', '.join(models.INSTANCE_STATUSES)}, "
                    f"got {new_status!r}"
                )
        except SessionError as exc:
            raise self._invalid("update_instance_status_sqlite", exc) from None
        return self._run("update_instance_status_sqlite",
                         self._repo.update_instance_status(ws, sid, instance_id, new_status),
                         direct=True)

    def get_database_stats(self) -> Json:
        """Counts, sizes and the database's path."""
        return self._run("get_database_stats", self._repo.stats(), direct=True)

    def optimize_database(self) -> None:
        """Refresh statistics, give deleted space back, truncate the WAL."""
        self._run("optimize_database", self._repo.optimize())

    def verify_database_integrity(self) -> bool:
        """True when the integrity and foreign-key checks find nothing."""
        return bool(self._run("verify_database_integrity", self._repo.verify()))

    def list_workspaces(self) -> list[Json]:
        """The workspaces the database knows, most recently used first, with counts."""
        return self._run("list_workspaces", self._repo.list_workspaces(), direct=True)

    def list_session_summaries(self, workspace_path: Any, query: Any) -> Json:
        """A page of the board: summaries (no output, no chat), filtered and sorted."""
        try:
            ws = workspace.resolve(workspace_path)
            q: dict[str, Any] = {} if query is None else query
            if not isinstance(q, dict):
                raise ValidationError(f"query must be an object, got {type(q).__name__}")
            status = _optional_choice(q, "status", models.SESSION_STATUSES)
            type_ = _optional_choice(q, "type", models.SESSION_TYPES)
            sort = _optional_choice(q, "sort", SORTS) or "updated"
            text = q.get("text")
            if text is not None and not isinstance(text, str):
                raise ValidationError(f"query.text must be a string, got {text!r}")
            limit = q.get("limit", 50)
            if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_PAGE:
                raise ValidationError(
                    f"query.limit must be an integer 1..{MAX_PAGE}, got {limit!r}"
                )
            cursor = q.get("cursor")
            if cursor is not None and not isinstance(cursor, str):
                raise ValidationError("query.cursor must be a string from nextCursor")
        except SessionError as exc:
            raise self._invalid("list_session_summaries", exc) from None
        return self._run("list_session_summaries", self._repo.list_session_summaries(
            ws, status=status, type_=type_, text=text or None, sort=sort, limit=limit,
            cursor=cursor), direct=True)

    def get_metrics(self) -> Json:
        """Per command since start: count, errors by code, p50/p95/p99 latency in ms."""
        return {"commands": self._metrics.snapshot()}

    # -- phase 2: JSON-era commands, storage mode, import, consistency ---------
    # The JSON-era commands take the arguments and return what their _sqlite
    # twins do; the storage mode (json | dual | sqlite) picks the store.

    def create_session(self, workspace_path: Any, session: Any) -> Json:
        """Store a new session in the storage mode's store(s); CONFLICT when its id exists."""
        try:
            ws = workspace.resolve(workspace_path)
            model = models.validate(models.Session, session, "session")
        except SessionError as exc:
            raise self._invalid("create_session", exc) from None
        return self._run("create_session", self._storage.create_session(ws, model))

    def update_session(self, workspace_path: Any, session: Any) -> Json:
        """Replace a stored session whole (instances and chat included)."""
        try:
            ws = workspace.resolve(workspace_path)
            model = models.validate(models.Session, session, "session")
        except SessionError as exc:
            raise self._invalid("update_session", exc) from None
        return self._run("update_session", self._storage.update_session(ws, model))

    def get_session(self, workspace_path: Any, session_id: Any) -> Json:
        """One whole session of the workspace."""
        try:
            ws = workspace.resolve(workspace_path)
            sid = _text_arg(session_id, "session_id")
        except SessionError as exc:
            raise self._invalid("get_session", exc) from None
        return self._run("get_session", self._storage.get_session(ws, sid))

    def get_all_sessions(self, workspace_path: Any) -> list[Json]:
        """Every session of the workspace, newest ``updatedAt`` first."""
        if isinstance(workspace_path, str) and not workspace_path.strip():
            return []
        try:
            ws = workspace.resolve(workspace_path)
        except SessionError as exc:
            raise self._invalid("get_all_sessions", exc) from None
        return self._run("get_all_sessions", self._storage.get_all_sessions(ws))

    def delete_session(self, workspace_path: Any, session_id: Any) -> None:
        """Delete a session with its instances and chat."""
        try:
            ws = workspace.resolve(workspace_path)
            sid = _text_arg(session_id, "session_id")
        except SessionError as exc:
            raise self._invalid("delete_session", exc) from None
        self._run("delete_session", self._storage.delete_session(ws, sid))

    def add_chat_message(self, workspace_path: Any, session_id: Any, message: Any) -> Json:
        """Append a chat message; the session's ``updatedAt`` becomes now."""
        try:
            ws = workspace.resolve(workspace_path)
            sid = _text_arg(session_id, "session_id")
            msg = models.validate(models.ChatMessage, message, "message")
        except SessionError as exc:
            raise self._invalid("add_chat_message", exc) from None
        return self._run("add_chat_message", self._storage.add_chat_message(ws, sid, msg))

    def update_instance_status(self, workspace_path: Any, session_id: Any,
                               instance_id: Any, new_status: Any) -> Json:
        """Set one instance's status; the session's ``updatedAt`` becomes now."""
        try:
            ws = workspace.resolve(workspace_path)
            sid = _text_arg(session_id, "session_id")
            if not isinstance(instance_id, int) or isinstance(instance_id, bool) or not (
                    models.INT64_MIN <= instance_id <= models.INT64_MAX):
                raise ValidationError(
                    f"instance_id must be a 64-bit integer, got {instance_id!r}")
            if new_status not in models.INSTANCE_STATUSES:
                raise ValidationError(
                    f"new_status must be one of {', '.join(models.INSTANCE_STATUSES)}, "
                    f"got {new_status!r}"
                )
        except SessionError as exc:
            raise self._invalid("update_instance_status", exc) from None
        return self._run("update_instance_status",
                         self._storage.update_instance_status(ws, sid, instance_id, new_status))

    def get_storage_mode(self) -> Json:
        """``{mode: json|dual|sqlite, sessionsDir}``: what backs the JSON-era commands."""
        return self._run("get_storage_mode", self._storage.describe())

    def set_storage_mode(self, mode: Any) -> Json:
        """Switch the storage mode; ``{mode, previous, sessionsDir}``."""
        return self._run("set_storage_mode", self._storage.set_mode(mode))

    def start_import(self, source_dir: Any, options: Any) -> Json:
        """Start importing a folder of legacy files in the background; ``{jobId}`` at once.

        ``source_dir``: a folder, or null for ``~/.ait42/sessions``. ``options``
        (or null): ``{workspaces?: [path], mapping?: path, dryRun?, overwrite?,
        noBackup?}``. Poll ``get_import_status(jobId)``.
        """
        try:
            opts = importer.options_from_json(source_dir, options)
        except SessionError as exc:
            raise self._invalid("start_import", exc) from None
        return self._sync("start_import", lambda: self._jobs.start(opts))

    def get_import_status(self, job_id: Any) -> Json:
        """``{jobId, state: running|done|failed, filesDone, filesTotal, sessionsDone,
        sessionsTotal, rate, etaSeconds, ..., summary? (done), error? (failed)}``."""
        try:
            jid = _text_arg(job_id, "job_id")
        except SessionError as exc:
            raise self._invalid("get_import_status", exc) from None
        return self._sync("get_import_status", lambda: self._jobs.status(jid))

    def cancel_import(self, job_id: Any) -> Json:
        """Ask a running import to stop after its current file; returns its status."""
        try:
            jid = _text_arg(job_id, "job_id")
        except SessionError as exc:
            raise self._invalid("cancel_import", exc) from None
        return self._sync("cancel_import", lambda: self._jobs.cancel(jid))

    def check_consistency(self) -> Json:
        """Compare every workspace's JSON file with the database, field by field."""
        st = self._storage
        return self._run("check_consistency", consistency.check(
            st.db, st.sessions_dir, fallback_log=st.dual.fallback_log))

    def bind_workspace(self, workspace_hash: Any, path: Any) -> Json:
        """Give a workspace imported under its hash alone its real path (hashes must match)."""
        try:
            ws = _bind_target(workspace_hash, path)
        except SessionError as exc:
            raise self._invalid("bind_workspace", exc) from None
        return self._run("bind_workspace", self._storage.db.write(repository.bind_workspace, ws))

    def _sync(self, command: str, fn: Callable[[], T]) -> T:
        """Run a command that needs no database round trip; record its figures."""
        started = time.perf_counter()
        code = None
        try:
            if self._closed:
                raise SessionError("the bridge is closed")
            return fn()
        except SessionError as exc:
            code = exc.code
            raise
        finally:
            self._metrics.record(command, time.perf_counter() - started, code)


def _bind_target(workspace_hash: object, path: object) -> workspace.Workspace:
    """Phase 2: validate ``bind_workspace``'s arguments; the workspace to bind."""
    if not isinstance(workspace_hash, str) or not re.fullmatch(r"[0-9a-f]{16}", workspace_hash):
        raise ValidationError(
            f"workspace_hash must be 16 lowercase hex characters, got {workspace_hash!r}")
    ws = workspace.resolve(path)
    if ws.hash != workspace_hash:
        raise ValidationError(
            f"{ws.path} hashes to {ws.hash}, not {workspace_hash}: it is not the folder whose "
            "sessions are in that file (the hash is of the folder's path when the sessions "
            "were made)")
    return ws


def _register_exit(bridge: Bridge) -> None:
    """Close a forgotten bridge before the interpreter joins aiosqlite's threads.

    aiosqlite's worker threads are not daemons: an unclosed connection would
    make the process hang at exit, and ``atexit`` runs only after that join.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        import weakref

        ref = weakref.ref(bridge)

        def close() -> None:
            live = ref()
            if live is not None:
                live.close()

        register(close)
