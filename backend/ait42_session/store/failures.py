"""sqlite3's failures as the contract's errors, and files that are not ours refused.

Decided by SQLite's own result code name (``SQLITE_BUSY``, ``SQLITE_FULL``,
...), not by the wording of its message, and worded so a person can act.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from ait42_session.shape.errors import (
    ConflictError,
    DatabaseError,
    SessionError,
    ValidationError,
)

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # result codes a backup step reports

_HEADER = b"SQLite format 3\x00"


def translate(exc: sqlite3.Error, path: str) -> SessionError:
    """A sqlite3 failure as the contract error a person can act on.

    Decided by SQLite's own result code name (``SQLITE_BUSY``, ``SQLITE_FULL``,
    ...), not by the wording of its message.
    """
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return ConflictError(f"already exists ({text})")
    if name.startswith("SQLITE_CONSTRAINT") or isinstance(exc, sqlite3.IntegrityError):
        return ValidationError(f"the database refused the value ({text})")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return locked(path)
    if name == "SQLITE_FULL":
        return DatabaseError(
            f"the disk holding {path} is full (database or disk is full); "
            "free some space and retry: nothing of this change was written"
        )
    if name == "SQLITE_NOTADB":
        return DatabaseError(
            f"{path} is not an ait42 session database (file is not a database); "
            "move it aside or point AIT42_DB / --db at another file"
        )
    if name.startswith("SQLITE_CORRUPT"):
        return DatabaseError(
            f"the database {path} is damaged ({text}); run `ait42-session verify` and restore "
            "a backup, or recover it with the sqlite3 tool's .recover"
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
        return _unwritable(path, text)
    return DatabaseError(f"database error on {path}: {text}")


def locked(path: str) -> DatabaseError:
    return DatabaseError(
        f"the database {path} stayed locked by another program past the busy timeout; "
        "close other ait42 windows or tools using it and retry"
    )


class GaveUp(Exception):
    """A backup step into the database found it locked past the busy timeout."""


def give_up_when_busy(status: int, remaining: int, total: int) -> None:
    """The backup's progress callback: SQLite's backup loop in Python retries a busy
    step for ever (sleeping between tries); each step has already waited the busy
    timeout in the destination's busy handler, so one busy step is the end."""
    if status in (_SQLITE_BUSY, _SQLITE_LOCKED):
        raise GaveUp


def _unwritable(path: str, text: str) -> DatabaseError:
    """Blame what is really at fault: the file, or the folder SQLite must write beside it."""
    folder = os.path.dirname(path) or "."
    if path != ":memory:" and os.path.isdir(folder) and not os.access(folder, os.W_OK):
        return DatabaseError(
            f"the folder {folder} cannot be written ({text}): the database keeps its "
            "-wal and -shm files beside itself; give the folder write permission or point "
            "--db / AIT42_DB elsewhere"
        )
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return DatabaseError(f"the database {path} cannot be written ({text}); "
                             "check its permissions")
    return DatabaseError(f"cannot open the database {path} ({text}); "
                         "check the folder exists and can be written")


def closed_error(path: str) -> DatabaseError:
    return DatabaseError(f"the connection to {path} is closed (the store is closing); "
                         "open it again")


@asynccontextmanager
async def contract_errors(path: str) -> AsyncIterator[None]:
    """Turn failures of the database into the contract's errors."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc
    except UnicodeEncodeError:
        # JSON from the page may hold lone surrogates ("\ud800"): not storable text.
        raise ValidationError(
            "a text value is not valid Unicode (it holds a lone surrogate such as "
            "\\ud800); nothing was changed"
        ) from None


def refuse_foreign_file(path: str) -> None:
    """Refuse a file that is not SQLite before SQLite sees it.

    SQLite itself takes a file shorter than its 100-byte header for an empty
    database and would overwrite it.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(len(_HEADER))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise DatabaseError(f"{path} is a folder, not a database file") from None
    except OSError as exc:
        raise DatabaseError(f"cannot read the database {path}: {exc}") from exc
    if head and head != _HEADER:
        raise DatabaseError(
            f"{path} is not an ait42 session database (file is not a database); "
            "move it aside or point AIT42_DB / --db at another file"
        )
    if head:
        _refuse_foreign_tables(path)


# A database this code made (or the shell's sqlx one) has these; another
# program's SQLite file holds tables and none of them.
_OWN_TABLES = ("migration_metadata", "sessions")


def _refuse_foreign_tables(path: str) -> None:
    """Refuse another program's SQLite file, looked at read-only: migrating it
    would switch it to WAL and add this schema's tables to it. An empty file,
    or one of ours, is migrated as usual."""
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        finally:
            conn.close()
    except sqlite3.Error:
        return  # damaged or unreadable: opening it reports that, with what to do
    if names and not any(n in _OWN_TABLES for n in names):
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise DatabaseError(
            f"{path} is not an ait42 session database (it holds another program's tables: "
            f"{shown}); nothing was changed: point AIT42_DB / --db at another file")
