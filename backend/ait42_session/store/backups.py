"""Backups of the whole database: taken online, listed, restored in place.

A backup is SQLite's online backup API copying every page in one step, on a
reader connection: one read transaction, so the copy is the database as it was
at one instant even while this window or another program writes. It is
written beside its final name and renamed, so a half-written backup is never
listed, then switched to a rollback journal so the file stands alone.

Where: ``backups/`` next to the database (for the default database that is
``~/.ait42/backups/``). Why a backup was taken is part of its file name
(``sessions-20260113T100000123456Z-purge.db``), so the folder alone is the
list: ``manual`` ones are the person's; ``migration``, ``import``, ``purge``
and ``restore`` ones are automatic, and only the newest ten of those are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import aiosqlite

from ait42_session.shape.errors import FileError, ValidationError
from ait42_session.store import migrations

Json = dict[str, Any]
P = ParamSpec("P")
T = TypeVar("T")
_Op = Callable[Concatenate[aiosqlite.Connection, P], Awaitable[T]]


class Database(Protocol):
    """What a backup needs of ``db.Database``. ``db`` imports this module (a backup
    before a migration), so this module names the few methods it calls instead
    of importing ``db`` back."""

    path: str

    async def read(self, fn: _Op[P, T], *args: P.args, **kwargs: P.kwargs) -> T: ...
    async def read_one(self, fn: _Op[P, T], *args: P.args, **kwargs: P.kwargs) -> T: ...
    async def write(self, fn: _Op[P, T], *args: P.args, **kwargs: P.kwargs) -> T: ...
    async def replace_with(self, source: str) -> None: ...

KEEP_AUTOMATIC = 10
REASONS = ("manual", "migration", "import", "purge", "restore")
_NAME = re.compile(r"^(?P<stem>.+)-(?P<at>\d{8}T\d{12}Z)-(?P<reason>[a-z]+)\.db$")
_HEADER = b"SQLite format 3\x00"


def folder_for(db_path: str) -> Path:
    """The backups folder of a database: ``backups/`` beside it."""
    if db_path == ":memory:":
        return Path.home() / ".ait42" / "backups"
    return Path(db_path).parent / "backups"


def _new_path(db_path: str, reason: str) -> Path:
    stem = "memory" if db_path == ":memory:" else Path(db_path).stem
    folder = folder_for(db_path)
    while True:
        at = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"{stem}-{at}-{reason}.db"
        if not path.exists():
            return path


def describe(path: Path) -> Json:
    """``{path, sizeBytes, createdAt, reason, automatic}`` of one backup file."""
    match = _NAME.match(path.name)
    st = path.stat()
    if match:
        at = datetime.strptime(match["at"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
        reason: str | None = match["reason"]
    else:
        at, reason = datetime.fromtimestamp(st.st_mtime, UTC), None
    created = at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return {"path": str(path), "sizeBytes": st.st_size, "createdAt": created,
            "reason": reason, "automatic": reason not in (None, "manual")}


def list_backups(db_path: str) -> list[Json]:
    """The backups of this database in its backups folder, newest first."""
    folder = folder_for(db_path)
    stem = "memory" if db_path == ":memory:" else Path(db_path).stem
    try:
        names = [p for p in folder.iterdir() if p.suffix == ".db" and p.is_file()]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FileError(f"cannot read the backups folder {folder}: {exc}") from exc
    found = []
    for path in names:
        match = _NAME.match(path.name)
        if match is None or match["stem"] == stem:
            with contextlib.suppress(OSError):  # removed meanwhile
                found.append(describe(path))
    found.sort(key=lambda b: (b["createdAt"], b["path"]), reverse=True)
    return found


def _prune(db_path: str, keep: Path | None = None) -> None:
    """Keep the newest ``KEEP_AUTOMATIC`` automatic backups; manual ones are never
    removed, nor ``keep`` (the backup being restored, however old)."""
    automatic = [b for b in list_backups(db_path) if b["automatic"]]
    for old in automatic[KEEP_AUTOMATIC:]:
        if keep is not None and Path(old["path"]).resolve() == keep.resolve():
            continue
        with contextlib.suppress(OSError):
            os.remove(old["path"])


def _finish(partial: Path, dest: Path) -> None:
    """Make the copy stand alone (no -wal beside it) and give it its name."""
    conn = sqlite3.connect(partial, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    os.replace(partial, dest)


def _destination_failed(exc: BaseException, dest: Path) -> FileError | None:
    """A failure of writing the backup ``dest`` as an error naming it (and, when its
    disk is full, that disk's folder, which need not be the database's); None for
    a failure of reading the database, which the caller reports as usual."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return _full(dest, str(exc))
        return FileError(f"cannot write the backup {dest}: {exc}")
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL":
        return _full(dest, str(exc))
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")) or (
            name.startswith("SQLITE_IOERR") and "READ" not in name):
        return FileError(f"cannot write the backup {dest} ({exc}); check that its folder "
                         f"{dest.parent} exists and can be written")
    return None


def _full(dest: Path, text: str) -> FileError:
    return FileError(f"the disk holding {dest.parent} is full ({text}); the backup {dest.name} "
                     "was not written (the database is unchanged): free some space there "
                     "or choose another folder")


def refuse_own_files(db_path: str, dest: Path, what: str) -> None:
    """Refuse ``dest`` when it is the database, its ``-wal``/``-shm``/``-journal``,
    or a file of its backups folder: writing there would replace live data or a
    backup (``what`` names the writer in the message)."""
    if db_path == ":memory:":
        return
    db = Path(db_path).expanduser().absolute()
    own = [db.with_name(db.name + tail) for tail in ("", "-wal", "-shm", "-journal")]
    target = dest.expanduser().absolute()
    for path in own:
        same = target.resolve() == path.resolve()
        if not same and target.exists() and path.exists():
            with contextlib.suppress(OSError):
                same = os.path.samefile(target, path)  # a hard link or another name
        if same:
            raise ValidationError(f"{dest} is the database's own file {path.name}; "
                                  f"{what} never writes over it: choose another file")
    if target.resolve().parent == folder_for(str(db)).resolve():
        raise ValidationError(f"{dest} is in the database's backups folder "
                              f"{target.resolve().parent}; {what} never writes there: "
                              "choose another folder")


def _target(db_path: str, path: str | None, reason: str) -> Path:
    if path is None:
        dest = _new_path(db_path, reason)
    else:
        dest = Path(path).expanduser().absolute()
        if dest.exists():
            raise ValidationError(f"{dest} already exists; a backup never overwrites a file, "
                                  "choose a new name")
        if db_path != ":memory:" and dest.resolve() == Path(db_path).resolve():
            raise ValidationError("the backup cannot be the database itself")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileError(f"cannot create the backups folder {dest.parent}: {exc}") from exc
    return dest


async def create(db: Database, path: str | None, reason: str = "manual",
                 keep: Path | None = None) -> Json:
    """Back the whole database up to ``path`` (None: a new file in the backups folder)."""
    dest = _target(db.path, path, reason)
    partial = dest.with_name(dest.name + ".partial")

    async def copy(conn: aiosqlite.Connection) -> None:
        try:
            target = sqlite3.connect(partial, isolation_level=None, check_same_thread=False)
            try:
                await conn.backup(target)  # every page in one step: one snapshot
            finally:
                target.close()
        except sqlite3.Error as exc:  # the destination's, or else the database's failure
            failed = _destination_failed(exc, dest)
            if failed is None:
                raise
            raise failed from exc

    try:
        await db.read_one(copy)
        await asyncio.to_thread(_finish, partial, dest)
    except (OSError, sqlite3.Error) as exc:
        raise _destination_failed(exc, dest) or FileError(
            f"cannot write the backup {dest}: {exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            os.remove(partial)
    if reason != "manual":
        _prune(db.path, keep)
    return {k: v for k, v in describe(dest).items() if k in ("path", "sizeBytes", "createdAt")}


async def before(db: Database, reason: str, keep: Path | None = None) -> Json | None:
    """The automatic backup taken before ``reason`` ("import", "purge", ...) changes data.

    Call it before the first write, outside a write transaction of ``db`` (it
    reads on a reader). None for an in-memory database, which has no file.
    """
    if reason not in REASONS or reason == "manual":
        raise ValueError(f"not an automatic backup reason: {reason!r}")
    if db.path == ":memory:":
        return None
    return await create(db, None, reason, keep)


def before_migration(conn: sqlite3.Connection, db_path: str,
                     known: list[migrations.Migration]) -> Path | None:
    """Back up an existing database (it has tables) that has pending migrations.

    Runs on the migrating connection before anything is applied; the file a
    migration was about to change is then recoverable whatever the migration does.
    """
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone() \
            is None:
        return None
    if all(s.applied_at is not None for s in migrations.status(conn, known)
           if s.version in {m.version for m in known}):
        return None
    dest = _target(db_path, None, "migration")
    partial = dest.with_name(dest.name + ".partial")
    try:
        target = sqlite3.connect(partial, isolation_level=None)
        try:
            conn.backup(target)
        finally:
            target.close()
        _finish(partial, dest)
    except (OSError, sqlite3.Error) as exc:
        failed = _destination_failed(exc, dest)
        if failed is None:
            raise
        raise FileError(f"{failed} (taken before migrating)") from exc
    finally:
        with contextlib.suppress(OSError):
            os.remove(partial)
    _prune(db_path)
    return dest


def check_file(path: str) -> Path:
    """Refuse a file that is not a sound ait42 database of a schema version this code knows."""
    source = Path(path).expanduser().absolute()
    if not source.is_file():
        raise ValidationError(f"{source} is not a file; pick one of the backups listed")
    try:
        with open(source, "rb") as f:
            head = f.read(len(_HEADER))
    except OSError as exc:
        raise FileError(f"cannot read {source}: {exc}") from exc
    if head != _HEADER:
        raise ValidationError(f"{source} is not an SQLite database; nothing was changed")
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        ok = [tuple(r) for r in conn.execute("PRAGMA integrity_check")]
        if ok != [("ok",)]:
            raise ValidationError(f"{source} is damaged ({ok[0][0]}); nothing was changed")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"migration_metadata", "sessions"} <= tables:
            raise ValidationError(f"{source} is not an ait42 session database; "
                                  "nothing was changed")
        migrations.check(conn, migrations.load())  # MIGRATION: newer, or a changed file
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{source} cannot be read as a database ({exc}); "
                              "nothing was changed") from exc
    finally:
        conn.close()
    return source


async def restore(db: Database, path: str) -> None:
    """Check the file, back the current database up, then replace it in place."""
    source = await asyncio.to_thread(check_file, path)
    if db.path != ":memory:" and source.resolve() == Path(db.path).resolve():
        raise ValidationError("that file is the database itself")
    await before(db, "restore", keep=source)  # its cleanup must not remove ``source``
    was = await db.read(_change_log_state)
    await db.replace_with(str(source))
    await db.write(_relog, was)


# The change log the window follows (migration 5): its sequence must not go back
# when an older database is restored, or a page holding a token of before the
# restore would miss the changes after it. So the restore carries the sequence
# on and logs every session it changed: upserted for those it holds, deleted for
# those only the replaced database had.

async def _change_log_state(conn: aiosqlite.Connection) -> tuple[int, str] | None:
    if not await _has_change_log(conn):
        return None
    rows = list(await conn.execute_fetchall(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'session_changes'),"
        " 0), coalesce((SELECT max(seq) FROM session_changes), 0)),"
        " (SELECT json_group_array(json_array(id, workspace_hash)) FROM sessions)"))
    return int(rows[0][0]), str(rows[0][1])


async def _relog(conn: aiosqlite.Connection, was: tuple[int, str] | None) -> None:
    if was is None or not await _has_change_log(conn):
        return
    last, before = was
    await conn.execute("DELETE FROM sqlite_sequence WHERE name = 'session_changes'")
    await conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('session_changes', ?)",
                       (last,))
    await conn.execute("DELETE FROM session_changes")
    await conn.execute("INSERT INTO session_changes (session_id, workspace_hash, kind)"
                       " SELECT id, workspace_hash, 'upserted' FROM sessions")
    await conn.execute(
        "INSERT INTO session_changes (session_id, workspace_hash, kind)"
        " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'deleted'"
        " FROM json_each(?) WHERE json_extract(value, '$[0]') NOT IN (SELECT id FROM sessions)",
        (before,))


async def _has_change_log(conn: aiosqlite.Connection) -> bool:
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_changes'")
    return bool(list(rows))
