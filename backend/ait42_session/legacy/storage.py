"""The storage mode behind the shell's JSON-era commands, chosen in one place.

``json``: the legacy files only (as the shell did). ``dual``: both stores are
written, reads come from the database (``dual``). ``sqlite``: the database
only. The mode is the ``storage_mode`` setting in the database (default
``json``), so the command line and the window see the same one.
"""

from __future__ import annotations

import os
from pathlib import Path

from ait42_session.legacy.dual import DualWriteStore
from ait42_session.legacy.json_store import JsonSessionStore
from ait42_session.shape.errors import ValidationError
from ait42_session.shape.models import ChatMessage, Session
from ait42_session.shape.workspace import Workspace
from ait42_session.store.db import Database
from ait42_session.store.records import get_setting, set_setting
from ait42_session.store.repository import SessionRepository, SqliteSessionRepository
from ait42_session.store.rows import Json

MODES: tuple[str, ...] = ("json", "dual", "sqlite")
DEFAULT_MODE = "json"
MODE_KEY = "storage_mode"


class Storage:
    """The JSON-era commands' store, chosen per command by the storage mode."""

    def __init__(self, db: Database, sessions_dir: str | os.PathLike[str] | None = None) -> None:
        self.db = db
        self.sqlite = SqliteSessionRepository(db)
        self.json = JsonSessionStore(sessions_dir)
        self.dual = DualWriteStore(db, self.json)

    @property
    def sessions_dir(self) -> Path:
        return self.json.directory

    async def mode(self) -> str:
        value = await self.db.read(get_setting, MODE_KEY)
        return value if value in MODES else DEFAULT_MODE

    async def describe(self) -> Json:
        return {"mode": await self.mode(), "sessionsDir": str(self.sessions_dir)}

    async def set_mode(self, mode: object) -> Json:
        if mode not in MODES:
            raise ValidationError(f"storage mode must be one of {', '.join(MODES)}, got {mode!r}")
        previous = await self.db.write(set_setting, MODE_KEY, str(mode))
        return {"mode": mode, "previous": previous if previous in MODES else DEFAULT_MODE,
                "sessionsDir": str(self.sessions_dir)}

    async def store(self) -> SessionRepository:
        mode = await self.mode()
        if mode == "json":
            return self.json
        return self.dual if mode == "dual" else self.sqlite

    # -- SessionRepository, routed ------------------------------------------

    async def create_session(self, ws: Workspace, session: Session) -> Json:
        return await (await self.store()).create_session(ws, session)

    async def update_session(self, ws: Workspace, session: Session) -> Json:
        return await (await self.store()).update_session(ws, session)

    async def get_session(self, ws: Workspace, session_id: str) -> Json:
        return await (await self.store()).get_session(ws, session_id)

    async def get_all_sessions(self, ws: Workspace) -> list[Json]:
        return await (await self.store()).get_all_sessions(ws)

    async def delete_session(self, ws: Workspace, session_id: str) -> None:
        await (await self.store()).delete_session(ws, session_id)

    async def add_chat_message(self, ws: Workspace, session_id: str,
                               message: ChatMessage) -> Json:
        return await (await self.store()).add_chat_message(ws, session_id, message)

    async def update_instance_status(self, ws: Workspace, session_id: str,
                                     instance_id: int, status: str) -> Json:
        return await (await self.store()).update_instance_status(ws, session_id, instance_id,
                                                                  status)
