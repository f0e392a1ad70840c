"""Connections to the session database: one writer, a few readers, WAL.

Every operation is a plain function over a ``sqlite3.Connection`` (see
``repository``); this module hands it to a connection's aiosqlite worker thread
in one round trip, inside a transaction, and turns sqlite3 failures into the
contract's errors. It is the only place that crosses into those threads.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

import aiosqlite

from . import migrations
from .errors import ConflictError, DatabaseError, SessionError, ValidationError
from .loop import DIRECT_ANSWER

P = ParamSpec("P")
T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000  # how long a write waits for another program's lock
READERS = 4
_HEADER = b"SQLite format 3\x00"

_PRAGMAS = (
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA cache_size = -16000",  # 16 MB per connection
    "PRAGMA temp_store = MEMORY",
)


def translate(exc: sqlite3.Error, path: str) -> SessionError:
    """A sqlite3 failure as the contract error a person can act on."""
    text = str(exc)
    low = text.lower()
    if isinstance(exc, sqlite3.IntegrityError):
        if "unique" in low or "primary key" in low:
            return ConflictError(f"already exists ({text})")
        return ValidationError(f"the database refused the value ({text})")
    if "locked" in low or "busy" in low:
        return DatabaseError(
            f"the database {path} stayed locked by another program past the busy timeout; "
            "close other ait42 windows or tools using it and retry"
        )
    if "full" in low:
        return DatabaseError(
            f"the disk holding {path} is full (database or disk is full); "
            "free some space and retry: nothing of this change was written"
        )
    if "not a database" in low:
        return DatabaseError(
            f"{path} is not an ait42 session database (file is not a database); "
            "move it aside or point AIT42_DB / --db at another file"
        )
    if "malformed" in low or "corrupt" in low:
        return DatabaseError(
            f"the database {path} is damaged ({text}); run `ait42-session verify` and restore "
            "a backup, or recover it with the sqlite3 tool's .recover"
        )
    if "readonly" in low or "read-only" in low:
        return DatabaseError(
            f"the database {path} cannot be written ({text}); check its permissions"
        )
    if "unable to open" in low:
        return DatabaseError(f"cannot open the database {path} ({text}); check the folder exists")
    return DatabaseError(f"database error on {path}: {text}")


def _configure(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    for pragma in _PRAGMAS:
        conn.execute(pragma)


def _refuse_foreign_file(path: str) -> None:
    """Refuse a file that is not SQLite before SQLite sees it.

    SQLite itself takes a file shorter than its 100-byte header for an empty
    database and would overwrite it.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(len(_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DatabaseError(f"cannot read the database {path}: {exc}") from exc
    if head and head != _HEADER:
        raise translate(sqlite3.DatabaseError("file is not a database"), path)


def _in_transaction(
    fn: Callable[Concatenate[sqlite3.Connection, P], T], begin: str
) -> Callable[Concatenate[sqlite3.Connection, P], T]:
    def run(conn: sqlite3.Connection, /, *args: P.args, **kwargs: P.kwargs) -> T:
        conn.execute(begin)
        try:
            result = fn(conn, *args, **kwargs)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    return run


def _attached(staged: str, fn: Callable[Concatenate[sqlite3.Connection, P], T],
              ) -> Callable[Concatenate[sqlite3.Connection, P], T]:
    """``fn`` with another database file attached as ``staged`` (outside any transaction)."""
    def run(conn: sqlite3.Connection, /, *args: P.args, **kwargs: P.kwargs) -> T:
        conn.execute("ATTACH DATABASE ? AS staged", (staged,))
        try:
            return fn(conn, *args, **kwargs)
        finally:
            conn.execute("DETACH DATABASE staged")

    return run


class Database:
    """The open database: a writer connection, reader connections, applied migrations."""

    def __init__(self, path: str, writer: aiosqlite.Connection,
                 readers: list[aiosqlite.Connection]) -> None:
        self.path = path
        self._writer = _Conn(writer)
        self._write_lock = asyncio.Lock()
        # Reads go to the least busy reader; among idle ones the first, whose
        # page cache is warmest.
        self._readers = [_Conn(reader) for reader in readers]
        self._all = [writer, *readers]
        self._closed = False

    @classmethod
    async def open(cls, path: str | os.PathLike[str], readers: int = READERS,
                   migrations_dir: Path | None = None,
                   busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        """Open (creating) the file, apply pending migrations, start the readers."""
        text = os.fspath(path)
        memory = text == ":memory:"
        if not memory:
            try:
                Path(text).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create the folder for {text}: {exc}") from exc
            text = str(Path(text).expanduser().resolve())
            _refuse_foreign_file(text)
        mig = migrations.load(migrations_dir)
        writer = await aiosqlite.connect(text, isolation_level=None, check_same_thread=False)
        opened = [writer]
        try:
            await _run(writer, text, _open_writer, memory, mig, busy_timeout_ms)
            if not memory:
                uri = f"file:{quote(text)}?mode=ro"
                for _ in range(readers):
                    reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
                    opened.append(reader)
                    await _run(reader, text, _configure, busy_timeout_ms)
        except BaseException:
            for conn in opened:
                await conn.close()
            raise
        return cls(text, writer, opened[1:])

    async def write(self, fn: Callable[Concatenate[sqlite3.Connection, P], T],
                    *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction on the writer."""
        async with self._write_lock:
            return await _run(self._writer, self.path,
                              _in_transaction(fn, "BEGIN IMMEDIATE"), *args, **kwargs)

    async def write_attached(self, staged: str,
                             fn: Callable[Concatenate[sqlite3.Connection, P], T],
                             *args: P.args, **kwargs: P.kwargs) -> T:
        """``write`` with the database file ``staged`` attached under that name, to read."""
        async with self._write_lock:
            return await _run(self._writer, self.path,
                              _attached(staged, _in_transaction(fn, "BEGIN IMMEDIATE")),
                              *args, **kwargs)

    async def read_attached(self, staged: str,
                            fn: Callable[Concatenate[sqlite3.Connection, P], T],
                            *args: P.args, **kwargs: P.kwargs) -> T:
        """``read`` with the database file ``staged`` attached under that name."""
        if not self._readers:
            return await self.write_attached(staged, fn, *args, **kwargs)
        return await _run(self._reader(), self.path,
                          _attached(staged, _in_transaction(fn, "BEGIN")), *args, **kwargs)

    async def write_outside_transaction(
        self, fn: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args, **kwargs: P.kwargs,
    ) -> T:
        """Run ``fn`` on the writer with no transaction (checkpoint, vacuum)."""
        async with self._write_lock:
            return await _run(self._writer, self.path, fn, *args, **kwargs)

    async def read(self, fn: Callable[Concatenate[sqlite3.Connection, P], T],
                   *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in one read transaction (a consistent snapshot) on a reader."""
        if not self._readers:  # :memory: cannot be shared with readers
            return await self.write(fn, *args, **kwargs)
        return await _run(self._reader(), self.path, _in_transaction(fn, "BEGIN"),
                          *args, **kwargs)

    async def read_outside_transaction(
        self, fn: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args, **kwargs: P.kwargs,
    ) -> T:
        """Run a single-statement check on a reader with no transaction around it."""
        if not self._readers:
            return await self.write_outside_transaction(fn, *args, **kwargs)
        return await _run(self._reader(), self.path, fn, *args, **kwargs)

    def _reader(self) -> _Conn:
        """The first idle reader, else the one with the fewest calls queued."""
        best = self._readers[0]
        for conn in self._readers:
            if conn.queued() == 0:
                return conn
            if conn.queued() < best.queued():
                best = conn
        return best

    async def close(self) -> None:
        """Run ``PRAGMA optimize`` and close every connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            async with self._write_lock:
                await _run(self._writer, self.path, lambda c: c.execute("PRAGMA optimize"))
        except SessionError:
            pass  # a damaged or full database must still close
        finally:
            # Readers first: the last connection to close checkpoints and removes
            # the -wal file, and a read-only connection cannot.
            for conn in reversed(self._all):
                await conn.close()


def _open_writer(conn: sqlite3.Connection, memory: bool,
                 mig: list[migrations.Migration], busy_timeout_ms: int) -> None:
    _configure(conn, busy_timeout_ms)
    migrations.prepare_new_file(conn)
    if not memory:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise DatabaseError(f"could not switch the database to WAL (journal_mode={mode})")
    migrations.apply_pending(conn, mig)


class _Conn:
    """An aiosqlite connection and how many calls are queued on its thread.

    Each connection's worker thread runs its queue in order, and every call is
    a whole transaction, so a call can be queued while earlier ones still run.
    ``sent`` is counted on the loop thread, ``done`` on the worker thread: each
    counter has one writer, so no lock is needed.
    """

    __slots__ = ("conn", "done", "sent")

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.sent = 0
        self.done = 0

    def queued(self) -> int:
        return self.sent - self.done


async def _run(target: _Conn | aiosqlite.Connection, path: str,
               fn: Callable[Concatenate[sqlite3.Connection, P], T],
               *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(raw_connection, ...)`` on the connection's worker thread, in one hop.

    aiosqlite offers a call per statement; a command of several statements
    would pay one thread round trip each. Its worker runs any function queued
    on it, which is what we need. aiosqlite is pinned below 0.23 for this.

    A direct command (see ``loop``) waits for its first database call's result
    on its own thread: the worker hands the result (or error) straight to it,
    and this coroutine returns ``None`` at once without waiting, so the loop is
    not woken again when the call finishes.
    """
    answer = DIRECT_ANSWER.get()
    if answer is not None:
        DIRECT_ANSWER.set(None)  # only a command's first database call answers it
    counted = target if isinstance(target, _Conn) else None
    conn = target.conn if isinstance(target, _Conn) else target

    def call() -> T:
        try:
            raw = conn._connection  # the worker thread's own sqlite3 connection
            if raw is None:  # closed while this call waited in the queue
                raise _closed(path)
            result = fn(raw, *args, **kwargs)
        except sqlite3.Error as exc:
            error: BaseException = translate(exc, path)
            error.__cause__ = exc
        except UnicodeEncodeError:
            # JSON from the page may hold lone surrogates ("\ud800"): not storable text.
            error = ValidationError(
                "a text value is not valid Unicode (it holds a lone surrogate such as "
                "\\ud800); nothing was changed"
            )
        except BaseException as exc:
            error = exc
        else:
            if counted is not None:
                counted.done += 1
            if answer is not None:
                answer.give(result)
            return result
        if counted is not None:
            counted.done += 1
        if answer is not None:
            answer.fail(error)
        raise error

    if not conn._running or conn._connection is None:
        raise _closed(path)  # a call queued now would never run, and its caller never wake
    if counted is not None:
        counted.sent += 1
    if answer is not None:
        answer.handed = True
        conn._tx.put_nowait((None, call))  # no future: the worker answers the caller
        return None  # type: ignore[return-value]
    result: T = await conn._execute(call)  # type: ignore[no-untyped-call]
    return result


def _closed(path: str) -> DatabaseError:
    return DatabaseError(f"the connection to {path} is closed (the bridge is closing); "
                         "open it again")


def default_path() -> str:
    """``$AIT42_DB``, else ``~/.ait42/sessions.db``."""
    return os.environ.get("AIT42_DB") or str(Path.home() / ".ait42" / "sessions.db")
