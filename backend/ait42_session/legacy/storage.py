"""The storage mode behind the shell's JSON-era commands, chosen in one place.

``json``: the legacy files only (as the shell did). ``dual``: both stores are
written, reads come from the database (``dual``). ``sqlite``: the database
only. The mode is the ``storage_mode`` setting in the database (default
``json``), so the command line, the window and any other process see the same
one.

A session operation is written once per store, not once per store *and* mode:
its SQL (``store.repository``) and its edit of a legacy file
(``legacy.json_store``). Each store below is a strategy with two generic
methods, ``read`` and ``write``, that take both and use the one it needs
(``store.repository.SqliteStore``, ``json_store.JsonSessionStore``,
``dual.DualWriteStore``); the
command (``faces.sessions``) is one function over any of them. ``Storage.store``
picks the strategy for a command, once: the mode is read with one statement at
the start of each JSON-era command and not cached, because another process
(``ait42-session storage-mode``) may change it at any time, and that change
must hold from its next command on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ait42_session.legacy.dual import DualWriteStore
from ait42_session.legacy.json_store import JsonSessionStore, op_append_output
from ait42_session.legacy.modes import DEFAULT_MODE, MODE_KEY, MODES, SessionStore
from ait42_session.shape.errors import ValidationError
from ait42_session.store import repository
from ait42_session.store.columns import Json
from ait42_session.store.records import get_setting, set_setting
from ait42_session.store.repository import SqliteStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ait42_session.legacy.json_store import Op
    from ait42_session.shape.workspace import Workspace
    from ait42_session.store.db import Database


class Storage:
    """The three stores over one database and one folder of legacy files, and the
    mode that picks among them."""

    def __init__(self, db: Database, sessions_dir: str | os.PathLike[str] | None = None) -> None:
        self.db = db
        self.sqlite = SqliteStore(db)
        self.json = JsonSessionStore(sessions_dir)
        self.dual = DualWriteStore(db, self.json)

    @property
    def sessions_dir(self) -> Path:
        return self.json.directory

    async def mode(self) -> str:
        """The mode now: one indexed lookup, outside any transaction."""
        value = await self.db.read_one(get_setting, MODE_KEY)
        return value if value in MODES else DEFAULT_MODE

    async def store(self) -> SessionStore:
        """The store the storage mode picks now, for one whole command."""
        mode = await self.mode()
        if mode == "json":
            return self.json
        return self.dual if mode == "dual" else self.sqlite

    async def append_output(self, ws: Workspace, session_id: str, instance_id: int,
                            text: str) -> Json:
        """``append_instance_output`` in the mode now. A chunk may be streamed many
        times a second, so the mode is not read first: the one INSERT checks it
        itself and stores nothing when it is ``dual``, where the dual store then
        appends to the database and the JSON file in one transaction."""
        done = await self.db.write_outside_transaction(
            repository.append_instance_output, ws, session_id, instance_id, text,
            unless_setting=(MODE_KEY, "dual"))
        if done is not None:
            return done
        return await self.dual.append_instance_output(
            op_append_output, ws, session_id, instance_id, text)

    async def restore_session(self, sql: Callable[..., Awaitable[Json]],
                              put: Callable[..., Op], ws: Workspace, session_id: str,
                              trash_id: int | None) -> Json:
        """A restore from the trash (``sql``, the trash's own) in the mode now: in
        ``dual`` mode the restored session is also put back in the JSON file
        (``put``), in one transaction; otherwise the database alone."""
        if await self.mode() == "dual":
            return await self.dual.restore_session(sql, put, ws, session_id, trash_id)
        return await self.db.write(sql, ws, session_id, trash_id)

    async def describe(self) -> Json:
        return {"mode": await self.mode(), "sessionsDir": str(self.sessions_dir)}

    async def set_mode(self, mode: object) -> Json:
        if mode not in MODES:
            raise ValidationError(f"storage mode must be one of {', '.join(MODES)}, got {mode!r}")
        previous = await self.db.write(set_setting, MODE_KEY, str(mode))
        return {"mode": mode, "previous": previous if previous in MODES else DEFAULT_MODE,
                "sessionsDir": str(self.sessions_dir)}
