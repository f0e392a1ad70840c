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
from typing import TYPE_CHECKING, Any, TypeVar

from . import arguments as args
from . import consistency, importer, repository, storage, workspace
from .db import BUSY_TIMEOUT_MS, Database, default_path
from .errors import DatabaseError, SessionError, ValidationError
from .loop import Loop as _Loop
from .metrics import Metrics
from .repository import Json, SqliteSessionRepository

T = TypeVar("T")
A = TypeVar("A")

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

    def __call__(self, *token_and_args: Any, **kwargs: Any) -> Any:
        get = object.__getattribute__
        if kwargs:
            raise ValidationError(
                f"{get(self, '_name')} takes positional arguments only, in the contract's order"
            )
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


def _from_webview(module_globals: dict[str, Any]) -> bool:
    return str(module_globals.get("__name__", "")).split(".")[0] == "webview"


class Bridge:
    """The commands of ``shared/CONTRACT.md``; open with ``Bridge.open(db_path)``."""

    # Set once in __init__ (through object.__setattr__: the bridge is read-only).
    _loop: _Loop
    _repo: SqliteSessionRepository
    _storage: storage.Storage
    _jobs: importer.ImportJobs
    _metrics: Metrics
    _closed: bool
    _close_lock: threading.Lock
    _sealed: dict[str, Any]

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
             sessions_dir: str | os.PathLike[str] | None = None,
             busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Bridge:
        """Open the database (creating folders, applying migrations) and start the loop.

        ``sessions_dir``: the legacy JSON files (default ``$AIT42_SESSIONS_DIR``
        or ``~/.ait42/sessions``). ``busy_timeout_ms``: how long a write waits
        for another program holding the database's lock.
        """
        loop = _Loop()
        try:
            db = loop.run(Database.open(db_path if db_path is not None else default_path(),
                                        busy_timeout_ms=busy_timeout_ms))
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

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise allow any attribute

        def __getattribute__(self, name: str) -> Any:
            if name in _COMMAND_SET:
                return object.__getattribute__(self, "_sealed")[name]
            asker = sys._getframe(1).f_globals  # the module of whoever asked
            # This module's own reads (every command makes several) skip the check.
            if asker is not _GLOBALS and _from_webview(asker):
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
        if self._closed:
            coro.close()  # never awaited: _sync refuses the closed bridge
        return self._sync(command, lambda: self._loop.run(coro, direct=direct))

    def _parse(self, command: str, parser: Callable[..., A], *args: Any) -> A:
        """Validate a command's arguments with ``parser``; count a refusal."""
        try:
            return parser(*args)
        except SessionError as exc:
            self._metrics.record(command, 0.0, exc.code)
            raise

    def _sync(self, command: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` for ``command`` unless the bridge is closed; record its figures."""
        started = time.perf_counter()
        code = None
        try:
            if self._closed:
                raise DatabaseError("the bridge is closed: its database connections are gone; "
                                    "open it again")
            return fn()
        except SessionError as exc:
            code = exc.code
            raise
        finally:
            self._metrics.record(command, time.perf_counter() - started, code)

    # -- the contract's commands -------------------------------------------------
    # Each: parse the arguments (arguments.py), run one repository operation.

    def create_session_sqlite(self, workspace_path: Any, session: Any) -> Json:
        """Store a new session; CONFLICT when its id exists."""
        ws, model = self._parse("create_session_sqlite", args.session, workspace_path, session)
        return self._run("create_session_sqlite", self._repo.create_session(ws, model),
                         direct=True)

    def update_session_sqlite(self, workspace_path: Any, session: Any) -> Json:
        """Replace a stored session whole (instances and chat included)."""
        ws, model = self._parse("update_session_sqlite", args.session, workspace_path, session)
        return self._run("update_session_sqlite", self._repo.update_session(ws, model),
                         direct=True)

    def get_session_sqlite(self, workspace_path: Any, session_id: Any) -> Json:
        """One whole session of the workspace."""
        ws, sid = self._parse("get_session_sqlite", args.lookup, workspace_path, session_id)
        return self._run("get_session_sqlite", self._repo.get_session(ws, sid), direct=True)

    def get_all_sessions_sqlite(self, workspace_path: Any) -> list[Json]:
        """Every session of the workspace, newest ``updatedAt`` first; [] for a blank path."""
        ws = self._parse("get_all_sessions_sqlite", args.listing, workspace_path)
        if ws is None:
            return []
        return self._run("get_all_sessions_sqlite", self._repo.get_all_sessions(ws),
                         direct=True)

    def delete_session_sqlite(self, workspace_path: Any, session_id: Any) -> None:
        """Delete a session with its instances and chat."""
        ws, sid = self._parse("delete_session_sqlite", args.lookup, workspace_path, session_id)
        self._run("delete_session_sqlite", self._repo.delete_session(ws, sid), direct=True)

    def add_chat_message_sqlite(self, workspace_path: Any, session_id: Any,
                                message: Any) -> Json:
        """Append a chat message; the session's ``updatedAt`` becomes now."""
        ws, sid, msg = self._parse("add_chat_message_sqlite", args.message, workspace_path,
                                   session_id, message)
        return self._run("add_chat_message_sqlite", self._repo.add_chat_message(ws, sid, msg),
                         direct=True)

    def update_instance_status_sqlite(self, workspace_path: Any, session_id: Any,
                                      instance_id: Any, new_status: Any) -> Json:
        """Set one instance's status; the session's ``updatedAt`` becomes now."""
        ws, sid, iid, status = self._parse("update_instance_status_sqlite", args.instance_status,
                                           workspace_path, session_id, instance_id, new_status)
        return self._run("update_instance_status_sqlite",
                         self._repo.update_instance_status(ws, sid, iid, status), direct=True)

    def get_database_stats(self) -> Json:
        """Counts, sizes and the database's path."""
        return self._run("get_database_stats", self._repo.stats(), direct=True)

    def optimize_database(self) -> None:
        """Refresh statistics, give deleted space back, truncate the WAL."""
        self._run("optimize_database", self._repo.optimize())

    def verify_database_integrity(self) -> bool:
        """True when the integrity and foreign-key checks find nothing."""
        return bool(self._run("verify_database_integrity", self._repo.verify()))

    # -- the board (issue 3) -------------------------------------------------------

    def list_workspaces(self) -> list[Json]:
        """The workspaces the database knows, most recently used first, with counts."""
        return self._run("list_workspaces", self._repo.list_workspaces(), direct=True)

    def list_session_summaries(self, workspace_path: Any, query: Any) -> Json:
        """A page of the board: summaries (no output, no chat), filtered and sorted."""
        ws, q = self._parse("list_session_summaries", args.board_query, workspace_path, query)
        return self._run("list_session_summaries", self._repo.list_session_summaries(
            ws, status=q.status, type_=q.type_, text=q.text, sort=q.sort, limit=q.limit,
            cursor=q.cursor), direct=True)

    def get_metrics(self) -> Json:
        """Per command since start: count, errors by code, p50/p95/p99 latency in ms."""
        return self._sync("get_metrics", lambda: {"commands": self._metrics.snapshot()})

    # -- phase 2: JSON-era commands, storage mode, import, consistency ---------
    # The JSON-era commands take the arguments and return what their _sqlite
    # twins do; the storage mode (json | dual | sqlite) picks the store.

    def create_session(self, workspace_path: Any, session: Any) -> Json:
        """Store a new session in the storage mode's store(s); CONFLICT when its id exists."""
        ws, model = self._parse("create_session", args.session, workspace_path, session)
        return self._run("create_session", self._storage.create_session(ws, model))

    def update_session(self, workspace_path: Any, session: Any) -> Json:
        """Replace a stored session whole (instances and chat included)."""
        ws, model = self._parse("update_session", args.session, workspace_path, session)
        return self._run("update_session", self._storage.update_session(ws, model))

    def get_session(self, workspace_path: Any, session_id: Any) -> Json:
        """One whole session of the workspace."""
        ws, sid = self._parse("get_session", args.lookup, workspace_path, session_id)
        return self._run("get_session", self._storage.get_session(ws, sid))

    def get_all_sessions(self, workspace_path: Any) -> list[Json]:
        """Every session of the workspace, newest ``updatedAt`` first; [] for a blank path."""
        ws = self._parse("get_all_sessions", args.listing, workspace_path)
        if ws is None:
            return []
        return self._run("get_all_sessions", self._storage.get_all_sessions(ws))

    def delete_session(self, workspace_path: Any, session_id: Any) -> None:
        """Delete a session with its instances and chat."""
        ws, sid = self._parse("delete_session", args.lookup, workspace_path, session_id)
        self._run("delete_session", self._storage.delete_session(ws, sid))

    def add_chat_message(self, workspace_path: Any, session_id: Any, message: Any) -> Json:
        """Append a chat message; the session's ``updatedAt`` becomes now."""
        ws, sid, msg = self._parse("add_chat_message", args.message, workspace_path,
                                   session_id, message)
        return self._run("add_chat_message", self._storage.add_chat_message(ws, sid, msg))

    def update_instance_status(self, workspace_path: Any, session_id: Any,
                               instance_id: Any, new_status: Any) -> Json:
        """Set one instance's status; the session's ``updatedAt`` becomes now."""
        ws, sid, iid, status = self._parse("update_instance_status", args.instance_status,
                                           workspace_path, session_id, instance_id, new_status)
        return self._run("update_instance_status",
                         self._storage.update_instance_status(ws, sid, iid, status))

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
        opts = self._parse("start_import", importer.options_from_json, source_dir, options)
        return self._sync("start_import", lambda: self._jobs.start(opts))

    def get_import_status(self, job_id: Any) -> Json:
        """``{jobId, state: running|done|failed, filesDone, filesTotal, sessionsDone,
        sessionsTotal, rate, etaSeconds, ..., summary? (done), error? (failed)}``."""
        jid = self._parse("get_import_status", args.text, job_id, "job_id")
        return self._sync("get_import_status", lambda: self._jobs.status(jid))

    def cancel_import(self, job_id: Any) -> Json:
        """Ask a running import to stop after its current file; returns its status."""
        jid = self._parse("cancel_import", args.text, job_id, "job_id")
        return self._sync("cancel_import", lambda: self._jobs.cancel(jid))

    def check_consistency(self) -> Json:
        """Compare every workspace's JSON file with the database, field by field."""
        return self.consistency_report()

    def consistency_report(self, progress: Callable[[int, int, int], None] | None = None,
                           ) -> Json:
        """``check_consistency`` for Python callers, with ``progress(done, total, sessions)``
        after each workspace (the command line's progress line). Not a command:
        pywebview cannot reach it."""
        st = self._storage
        return self._run("check_consistency", consistency.check(
            st.db, st.sessions_dir, fallback_log=st.dual.fallback_log, progress=progress))

    def bind_workspace(self, workspace_hash: Any, path: Any) -> Json:
        """Give a workspace imported under its hash alone its real path (hashes must match)."""
        ws = self._parse("bind_workspace", _bind_target, workspace_hash, path)
        return self._run("bind_workspace", self._storage.db.write(repository.bind_workspace, ws))


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


_GLOBALS = globals()
