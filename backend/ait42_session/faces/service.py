"""The store as a plain Python object: the command line, tests and tools call this.

``REGISTRY`` (below) lists every command once, as Tauri's handler list does:
the page may call what it lists and nothing else; the sealed bridge
(``bridge``), the page's command table (``frontend/js/invoke.js``) and the
README's command list are made from it or checked against it by tests
(``command`` makes its rows). ``Service`` runs those commands on its own event
loop thread (``Loop``, below: the one place where callers' threads cross into
async code) over an open ``Database``. Each command is a method of the same
name and arguments as the bridge's; the bridge is only the sealed face of a
``Service`` that pywebview may see.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from ait42_session.derived import catchup, live, search
from ait42_session.faces import commands as c
from ait42_session.faces import keep as k
from ait42_session.faces import logs, sample
from ait42_session.faces import sessions as s
from ait42_session.faces.command import Command, by_mode_rows, read, sqlite_rows, write
from ait42_session.faces.context import Context
from ait42_session.faces.keep import Selection
from ait42_session.faces.metrics import Metrics
from ait42_session.faces.sample import Places
from ait42_session.faces.service_methods import CommandMethods
from ait42_session.keeping import bundle, trash
from ait42_session.legacy import storage
from ait42_session.legacy.importer.jobs import ImportJobs
from ait42_session.legacy.importer.run import Importer
from ait42_session.shape.errors import DatabaseError, FileError, SessionError
from ait42_session.shape.workspace import Workspace
from ait42_session.store.columns import Json
from ait42_session.store.db import BUSY_TIMEOUT_MS, Database, default_path

T = TypeVar("T")
log = logging.getLogger(__name__)

# Every command, listed once: what the page may call (``command`` makes the rows).
_TABLE: tuple[Command, ...] = (
    *sqlite_rows(s.OPERATIONS),
    read(c.get_database_stats),
    write(c.optimize_database),
    read(c.verify_database_integrity),
    read(c.list_workspaces),
    read(c.list_session_summaries),
    read(c.get_metrics),
    read(c.search_sessions),
    write(c.build_search_index),
    *by_mode_rows(s.OPERATIONS),
    read(c.get_storage_mode),
    write(c.set_storage_mode),
    write(c.start_import),
    read(c.get_import_status),
    read(c.cancel_import),
    read(c.check_consistency),
    write(c.bind_workspace),
    read(c.get_insights),
    write(k.archive_session),
    read(k.list_trash),
    write(k.restore_session),
    write(k.purge_trash),
    read(k.create_backup),
    read(k.list_backups),
    write(k.restore_backup),
    read(k.export_sessions),
    write(k.import_bundle),
    read(c.changes_since),
    write(c.append_instance_output),
    write(c.use_sample_history),
)

REGISTRY: dict[str, Command] = {cmd.name: cmd for cmd in _TABLE}
COMMANDS: tuple[str, ...] = tuple(REGISTRY)


# pywebview runs every page call on a new thread and cannot await coroutines, so
# the store's coroutines run on one long-lived loop, and a caller hands each one
# over with ``asyncio.run_coroutine_threadsafe(...).result()``.
class Loop:
    """One asyncio event loop on one daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # A daemon: a store someone forgot to close must not keep the process alive.
        self._thread = threading.Thread(target=self.loop.run_forever,
                                        name="ait42-session-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result (or its exception)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a store call was made from the store's own event loop")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        """Cancel what still runs (its callers get an error), stop the loop, join its thread."""
        async def cancel_the_rest() -> None:
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)
            await asyncio.get_running_loop().shutdown_default_executor()

        asyncio.run_coroutine_threadsafe(cancel_the_rest(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class Service(CommandMethods):
    """Every command of the registry as a method; open with ``Service.open(db_path)``."""

    def __init__(self, loop: Loop, db: Database,
                 sessions_dir: str | os.PathLike[str] | None = None, *,
                 derived: bool = True) -> None:
        self._loop = loop
        self._derived = derived
        self._metrics = Metrics()  # one window's figures, whichever database it shows
        self.places = Places(own_path=db.path, opener=self._open_sample)
        own = self._context(db, sessions_dir)
        self.places.own = self.places.current = own
        loop.run(_started(own.derived))
        self._closed = False
        self._close_lock = threading.Lock()
        self.log_path = logs.attach(db.path)

    @property
    def context(self) -> Context:
        """What commands run against now: the person's database, or the sample history
        while the window shows it (``use_sample_history``)."""
        current = self.places.current
        assert current is not None
        return current

    @property
    def db(self) -> Database:
        """The current context's database."""
        return self.context.db

    def _context(self, db: Database, sessions_dir: str | os.PathLike[str] | None) -> Context:
        jobs = ImportJobs(functools.partial(Importer, db, self._loop.run))
        return Context(db=db, storage=storage.Storage(db, sessions_dir), jobs=jobs,
                       metrics=self._metrics, feed=live.ChangeFeed(db),
                       derived=catchup.CatchUp(db, enabled=self._derived, paused=jobs.running),
                       pages=search.Pages(), places=self.places)

    async def _open_sample(self, db_path: Path, sessions_dir: Path) -> Context:
        """Open the sample history's database (on the loop), filled on first use, with
        its own legacy folder and catch-up."""
        own = self.places.own
        assert own is not None
        db = await Database.open(db_path, busy_timeout_ms=own.db.busy_timeout_ms)
        try:
            await sample.fill(db)
        except BaseException:
            await db.close()
            raise
        ctx = self._context(db, sessions_dir)
        ctx.derived.start()
        return ctx

    @classmethod
    def open(cls, db_path: str | os.PathLike[str] | None = None, *,
             sessions_dir: str | os.PathLike[str] | None = None,
             busy_timeout_ms: int = BUSY_TIMEOUT_MS, derived: bool = True) -> Service:
        """Open the database (creating folders, applying migrations) and start the loop.

        ``sessions_dir``: the legacy JSON files (default ``$AIT42_SESSIONS_DIR``
        or ``~/.ait42/sessions``). ``busy_timeout_ms``: how long a write waits
        for another program holding the database's lock. ``derived=False``: no
        background catch-up of the search index and insights (benchmarks compare
        writes with and without it); searches and insights still catch up first.
        """
        loop = Loop()
        try:
            db = loop.run(Database.open(db_path if db_path is not None else default_path(),
                                        busy_timeout_ms=busy_timeout_ms))
        except BaseException:
            loop.stop()
            raise
        return cls(loop, db, sessions_dir, derived=derived)

    def call(self, name: str, *args: Any) -> Any:
        """Validate ``args`` for the command ``name``, run it, record its figures."""
        cmd = REGISTRY.get(name)
        if cmd is None:
            raise AttributeError(f"no command {name!r}")
        started = time.perf_counter()
        code = None
        ctx = self.context  # the whole call runs against one database, even across a switch
        try:
            if self._closed:
                raise DatabaseError("the store is closed: its database connections are gone; "
                                    "open it again")
            kwargs = cmd.parse(args)
            if cmd.on_loop and cmd.writes:
                return self.run(self._then_wake(ctx, cmd.run(ctx, **kwargs)))
            if cmd.on_loop:
                return self.run(cmd.run(ctx, **kwargs))
            return cmd.run(ctx, **kwargs)
        except SessionError as exc:
            code = exc.code
            raise
        except Exception as exc:
            error = _unexpected(name, exc, self.log_path)
            log.exception("%s failed unexpectedly", name)
            code = error.code
            raise error from exc
        finally:
            ctx.metrics.record(name, time.perf_counter() - started, code)

    async def _then_wake(self, ctx: Context, coro: Coroutine[Any, Any, T]) -> T:
        """Run a writing command, then wake the page's waits: no need to wait for a poll."""
        try:
            return await coro
        finally:
            _wake(ctx)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the store's loop (for Python callers: reports with progress)."""
        try:
            return self._loop.run(coro)
        except concurrent.futures.CancelledError:
            raise DatabaseError("the store closed while this call was running; "
                                "open it again") from None

    # -- long operations with progress, for the command line (not page commands) --------

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Bring search and insights up to date with every stored session now, with
        ``progress(done, total)`` after each batch; how many sessions were re-derived."""
        return self.run(self.context.derived.run_until_current(progress=progress))

    def prune_candidates(self, older_than: str, status: str | None,
                         ws: Workspace | None) -> list[trash.Candidate]:
        """The sessions ``prune`` would move: last updated before ``older_than``."""
        return self.run(self.db.read(trash.prune_candidates, older_than, status, ws))

    def prune(self, found: list[trash.Candidate], older_than: str, status: str | None,
              progress: Callable[[int, int], None] | None = None,
              ) -> tuple[list[trash.Candidate], list[trash.Candidate]]:
        """Move ``found`` to the trash in small batches, each checked again; (moved,
        left because they changed since they were listed)."""
        moved = self.run(trash.prune(self.db, found, older_than, status, progress))
        _wake(self.context)
        return moved

    def export(self, selection: Selection, fmt: str, path: str,
               progress: Callable[[int, int], None] | None = None) -> Json:
        """``export_sessions`` with ``progress(done, total)`` as sessions are written."""
        return self.run(bundle.export(self.db, selection.workspace_path, selection.session_ids,
                                      selection.include_archived, fmt, path, progress))

    def consistency_report(self, progress: Callable[[int, int, int], None] | None = None,
                           ) -> Json:
        """``check_consistency`` with ``progress(done, total, sessions)`` after each
        workspace (the command line's progress line)."""
        return self.run(c.consistency_report(self.context, progress))

    def close(self) -> None:
        """Stop imports, close the database, stop the loop; safe to call more than once."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            try:
                for ctx in (self.places.sample, self.places.own):
                    if ctx is not None:
                        ctx.jobs.shutdown()  # imports stop before the database closes
                        self._loop.run(ctx.derived.stop())
                        self._loop.run(ctx.db.close())
            finally:
                self._loop.stop()
                logs.detach(self.log_path)

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wake(ctx: Context) -> None:
    """After a write: the page's waits and the catch-up look now, not at their next poll."""
    ctx.feed.poke()
    ctx.derived.poke()


async def _started(derived: catchup.CatchUp) -> None:
    derived.start()


def _unexpected(name: str, exc: Exception, log_file: Path | None) -> SessionError:
    """A failure no layer foresaw, as a contract error: the command changed nothing.
    Its traceback is in the log file, which the message names."""
    details = logs.details(log_file)
    if isinstance(exc, OSError):
        return FileError(f"{name}: {exc}{details}")
    return SessionError(f"{name} failed unexpectedly ({type(exc).__name__}: {exc}); "
                        f"nothing was changed{details}")
