"""Connections to the session database: one writer, a few readers, WAL.

Operations are ``async def op(conn, ...)`` functions (see ``repository``) that
await aiosqlite's public calls. This module hands them a connection inside a
transaction: the writer under a lock for the whole transaction (SQLite allows
one writer at a time anyway), or a reader from a pool, each reader seeing one
consistent snapshot. sqlite3 failures leave here as the contract's errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

import aiosqlite

from ait42_session.shape.errors import (
    DatabaseError,
    FileError,
    ValidationError,
)
from ait42_session.store import backups, migrations
from ait42_session.store.failures import (
    GaveUp,
    closed_error,
    contract_errors,
    give_up_when_busy,
    locked,
    refuse_foreign_file,
)
from ait42_session.store.sql import scalar, transaction

P = ParamSpec("P")
T = TypeVar("T")
Op = Callable[Concatenate[aiosqlite.Connection, P], Awaitable[T]]

BUSY_TIMEOUT_MS = 10_000  # how long a write waits for another program's lock
READERS = 4

_PRAGMAS = (
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA cache_size = -16000",  # 16 MB per connection
    "PRAGMA temp_store = MEMORY",
)


class Database:
    """The open database: a writer connection, a pool of readers, applied migrations."""

    def __init__(self, path: str, writer: aiosqlite.Connection,
                 readers: list[aiosqlite.Connection],
                 busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._readers = readers
        # Last in, first out: the reader used last has the warmest thread and
        # page cache. None is the closing signal: a waiting read then gives up.
        self._idle: asyncio.Queue[aiosqlite.Connection | None] = asyncio.LifoQueue()
        for reader in readers:
            self._idle.put_nowait(reader)
        self._closed = False
        # Bumped each time the whole database is replaced (a restore): what a
        # caller remembers of the old one (a search's later pages) is void.
        self.generation = 0

    @classmethod
    async def open(cls, path: str | os.PathLike[str], readers: int = READERS,
                   migrations_dir: Path | None = None,
                   busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        """Open (creating) the file, apply pending migrations, open the readers."""
        text = os.fspath(path)
        if not text.strip():
            raise ValidationError("the database path is empty; give a file name")
        memory = text == ":memory:"
        mig = migrations.load(migrations_dir)
        if memory:
            # One private in-memory database that the migrating connection and
            # the writer share; it has no readers (they would not see it).
            text = f"file:ait42-{uuid.uuid4().hex}?mode=memory&cache=shared"
            readers = 0
        else:
            try:
                Path(text).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create the folder for {text}: {exc}") from exc
            text = str(Path(text).expanduser().resolve())
            refuse_foreign_file(text)
        shown = ":memory:" if memory else text
        opened: list[aiosqlite.Connection] = []
        try:
            async with contract_errors(shown):
                keeper = await asyncio.to_thread(_migrate, text, memory, mig, busy_timeout_ms)
                try:
                    opened.append(await _connect(text, memory, busy_timeout_ms))
                finally:
                    keeper.close()  # for :memory:, the writer now keeps it alive
                for _ in range(readers):
                    uri = f"file:{quote(text)}?mode=ro"
                    opened.append(await _connect(uri, True, busy_timeout_ms))
        except BaseException:
            for conn in opened:
                await conn.close()
            raise
        return cls(shown, opened[0], opened[1:], busy_timeout_ms)

    @property
    def closed(self) -> bool:
        """Whether ``close`` has begun: background work then ends quietly."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise closed_error(self.path)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer inside one ``BEGIN IMMEDIATE`` transaction, held for the whole block."""
        self._check_open()
        async with self._write_lock:
            self._check_open()
            async with contract_errors(self.path), transaction(self._writer, "BEGIN IMMEDIATE"):
                yield self._writer

    @asynccontextmanager
    async def reading(self, snapshot: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        """A reader, inside one read transaction unless ``snapshot`` is off.

        ``snapshot=False`` suits a single statement, which is consistent by itself.
        """
        if not self._readers:  # :memory: has only the writer
            async with self.writing() as writer:
                yield writer
            return
        self._check_open()
        conn = await self._idle.get()
        if conn is None or self._closed:  # closing: hand the reader (or signal) on
            self._idle.put_nowait(conn)
            raise closed_error(self.path)
        try:
            async with contract_errors(self.path):
                if snapshot:
                    async with transaction(conn, "BEGIN"):
                        yield conn
                else:
                    yield conn
        finally:
            self._idle.put_nowait(conn)

    async def write(self, fn: Op[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(conn, ...)`` in one write transaction."""
        async with self.writing() as conn:
            return await fn(conn, *args, **kwargs)

    async def read(self, fn: Op[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(conn, ...)`` in one read transaction (a consistent snapshot)."""
        async with self.reading() as conn:
            return await fn(conn, *args, **kwargs)

    async def read_one(self, fn: Op[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn``, which reads with a single statement, on a reader without a transaction."""
        async with self.reading(snapshot=False) as conn:
            return await fn(conn, *args, **kwargs)

    async def write_outside_transaction(self, fn: Op[P, T], *args: P.args,
                                        **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the writer with no transaction (checkpoint, vacuum)."""
        self._check_open()
        async with self._write_lock:
            self._check_open()
            async with contract_errors(self.path):
                return await fn(self._writer, *args, **kwargs)

    async def read_outside_transaction(self, fn: Op[P, T], *args: P.args,
                                       **kwargs: P.kwargs) -> T:
        """Run a check on a reader with no transaction around it (its COMMIT could fail)."""
        if not self._readers:
            return await self.write_outside_transaction(fn, *args, **kwargs)
        return await self.read_one(fn, *args, **kwargs)

    async def replace_with(self, source: str) -> None:
        """Replace the whole database with the database file ``source``, in place.

        SQLite's backup API copies ``source`` into this database through the
        open writer, as one write transaction: this process's readers, and
        other programs with the file open, see the old database or the new
        one, never a file swapped under an open connection, and no connection
        needs reopening. Pending migrations are then applied to the restored
        data, as on open. The caller checks ``source`` first (``backups``).

        Like every write it gives up at the busy timeout when another program
        holds the lock (``DATABASE``), with nothing changed.
        """
        self._check_open()
        async with self._write_lock:
            self._check_open()
            if not os.path.isfile(source):  # else SQLite's error would name this database
                raise FileError(f"the backup {source} is gone (moved or deleted); "
                                "nothing was changed")
            async with contract_errors(self.path):
                size = int(await scalar(self._writer, "PRAGMA page_size"))
                copy = await asyncio.to_thread(_with_page_size, source, size, self.path)
                try:
                    src = await aiosqlite.connect(f"file:{quote(copy or source)}?mode=ro",
                                                  uri=True)
                    try:
                        await src.backup(self._writer, progress=give_up_when_busy)
                    except GaveUp:
                        raise locked(self.path) from None
                    finally:
                        await src.close()
                finally:
                    if copy is not None:
                        with contextlib.suppress(OSError):
                            os.remove(copy)
                if self.path != ":memory:":
                    keeper = await asyncio.to_thread(_migrate, self.path, False,
                                                     migrations.load(), self.busy_timeout_ms)
                    keeper.close()
                self.generation += 1

    async def close(self) -> None:
        """Wait for running work, run ``PRAGMA optimize``, close every connection."""
        if self._closed:
            return
        self._closed = True
        async with self._write_lock:
            with contextlib.suppress(sqlite3.Error):  # a damaged database must still close
                await self._writer.execute("PRAGMA optimize")
            # Each reader is closed once no read holds it; readers first, since the
            # last connection to close checkpoints and removes the -wal file.
            for _ in self._readers:
                reader = await self._idle.get()
                if reader is not None:
                    await reader.close()
            self._idle.put_nowait(None)
            await self._writer.close()


def _with_page_size(source: str, size: int, db_path: str) -> str | None:
    """A copy of ``source`` with pages of ``size`` bytes, beside the database, when
    its own differ (None when they agree): SQLite's backup API cannot copy pages
    of another size into a WAL database ("readonly database"). The copy is taken
    with the backup API into a new file (which takes the source's page size),
    then rebuilt by ``VACUUM`` with the wanted one (``VACUUM INTO`` fails on
    tables with generated columns); the caller removes it."""
    conn = sqlite3.connect(f"file:{quote(source)}?mode=ro", uri=True, isolation_level=None)
    try:
        if int(conn.execute("PRAGMA page_size").fetchone()[0]) == size:
            return None
        folder = tempfile.gettempdir() if db_path == ":memory:" else os.path.dirname(db_path)
        fd, copy = tempfile.mkstemp(prefix=".restore-", suffix=".partial", dir=folder)
        os.close(fd)
        try:
            target = sqlite3.connect(copy, isolation_level=None)
            try:
                conn.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")
                target.execute(f"PRAGMA page_size = {int(size)}")
                target.execute("VACUUM")
            finally:
                target.close()
        except BaseException:
            for leftover in (copy, copy + "-journal"):
                with contextlib.suppress(OSError):
                    os.remove(leftover)
            raise
        return copy
    finally:
        conn.close()


async def _connect(target: str, uri: bool, busy_timeout_ms: int) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(target, uri=uri, isolation_level=None)
    try:
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


def _migrate(target: str, memory: bool, mig: list[migrations.Migration],
             busy_timeout_ms: int) -> sqlite3.Connection:
    """Switch the file to WAL and apply pending migrations, on a plain connection.

    Returns the connection still open: a shared in-memory database lives only
    while a connection to it is open, so the caller closes it once the writer is.
    """
    conn = sqlite3.connect(target, uri=memory, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        for pragma in _PRAGMAS:
            conn.execute(pragma)
        migrations.prepare_new_file(conn)
        if not memory:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise DatabaseError(
                    f"could not switch the database to WAL (journal_mode={mode})")
        if not memory:
            backups.before_migration(conn, target, mig)
        migrations.apply_pending(conn, mig)
    except BaseException:
        conn.close()
        raise
    return conn


def default_path() -> str:
    """``$AIT42_DB``, else ``~/.ait42/sessions.db``."""
    return os.environ.get("AIT42_DB") or str(Path.home() / ".ait42" / "sessions.db")

