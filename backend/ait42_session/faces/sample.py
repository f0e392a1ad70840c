"""The sample history: a first look at the window without mixing into a person's data.

On a first launch the welcome offers a made-up history (``sample_data``) to try
the board, search, compare and insights on. It lives in a database of its own,
``sample/sessions.db`` beside the person's database: that folder also holds its
backups and its legacy JSON folder (``sample/sessions/``), so nothing
the sample does (a backup, an automatic backup's pruning, a dual-mode write) can
reach the person's files. The sample's storage mode starts as ``sqlite``.

``Places`` is which of the two databases the commands run against. A window
holds one ``Service``; ``use_sample_history`` switches that Service's current
``Context`` to the sample's (opened, and filled on first use) and back. Commands
already running finish against the database they started on; the page starts
over after a switch, so everything it shows comes from one database.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from ait42_session.faces.sample_data import Json, make_session
from ait42_session.keeping.trash import archive_session
from ait42_session.legacy.modes import MODE_KEY
from ait42_session.shape.errors import ConflictError, ValidationError
from ait42_session.shape.models import Session
from ait42_session.shape.workspace import resolve
from ait42_session.store import repository
from ait42_session.store.records import set_setting
from ait42_session.store.sql import scalar

if TYPE_CHECKING:
    from ait42_session.faces.context import Context
    from ait42_session.store.db import Database

FOLDER = "sample"
SESSIONS = 240
SEED = 42
#: Paths that say "sample" wherever a workspace is shown (menu, search hits).
WORKSPACES = (
    "/sample/acme/customer-portal",
    "/sample/acme/payments-service",
    "/sample/クライアント/検索エンジン-v2",
    "/sample/playground/rust-tui",
)


def place_of(db_path: str) -> tuple[Path, Path]:
    """The sample's database and legacy folder for the person's database at ``db_path``."""
    if db_path == ":memory:" or db_path.startswith("file:"):
        raise ValidationError("an in-memory database has no folder to keep a sample history "
                              "beside it; open a database file")
    folder = Path(db_path).resolve().parent / FOLDER
    return folder / "sessions.db", folder / "sessions"


def sessions(count: int = SESSIONS, seed: int = SEED) -> list[tuple[str, Json]]:
    """``count`` made-up sessions as (workspace, session): the newest a competition of
    5 instances with long output and a debate in its second round, then months of use
    spread over the workspaces (most in the first)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    main = WORKSPACES[0]
    out = [(main, make_session(rng, 0, main, now, age_hours=0.05, instances=5, lines=1500,
                               type_="competition", status="completed")),
           (main, make_session(rng, 1, main, now, age_hours=0.1, instances=3,
                               type_="debate", status="round_2"))]
    for n in range(2, count):
        ws = rng.choices(WORKSPACES, (55, 20, 15, 10))[0]
        out.append((ws, make_session(rng, n, ws, now, age_hours=rng.expovariate(1 / 300) + 0.5,
                                     lines=rng.randrange(15, 160))))
    return out


async def _held(conn: aiosqlite.Connection) -> int:
    """Sessions and trashed copies the database holds."""
    return int(await scalar(conn, "SELECT (SELECT count(*) FROM sessions)"
                                  " + (SELECT count(*) FROM trash)") or 0)


async def _write(conn: aiosqlite.Connection, items: list[tuple[str, Json]]) -> int:
    """Write the sample in this one transaction unless the database holds anything."""
    if await _held(conn):
        return 0
    await set_setting(conn, MODE_KEY, "sqlite")
    for ws, session in items:
        await repository.create_session(conn, resolve(ws), Session.model_validate(session))
    # A few archived and trashed, as in a history of months (not the newest ones).
    older = [(ws, s["id"]) for ws, s in items[20:]]
    for ws, sid in older[::19]:
        await archive_session(conn, resolve(ws), sid, True)
    for ws, sid in older[7::29]:
        await repository.delete_session(conn, resolve(ws), sid)
    return len(items)


async def fill(db: Database, count: int = SESSIONS) -> int:
    """Write the sample history into ``db`` when it holds nothing (a new file, or one
    whose first filling did not finish); how many sessions were written."""
    if await db.read_one(_held):  # filled before: nothing to make
        return 0
    items = await asyncio.to_thread(sessions, count)  # made off the loop: about 0.2 s
    return await db.write(_write, items)  # which looks again, in its transaction


#: Opens the sample's Context: (database path, legacy folder) -> Context.
Opener = Callable[[Path, Path], Awaitable["Context"]]


@dataclass
class Places:
    """The person's own database and, once opened, the sample; ``current`` is the one
    the commands run against. Owned by the Service; every Context points to it."""

    own_path: str
    opener: Opener
    own: Context | None = None
    sample: Context | None = None
    current: Context | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def describe(self) -> Json:
        """Which database is open: ``{sample, path, ownPath, samplePath}``."""
        assert self.current is not None and self.own is not None
        try:
            sample_path: str | None = str(place_of(self.own_path)[0])
        except ValidationError:
            sample_path = None
        return {"sample": self.current is not self.own, "path": self.current.db.path,
                "ownPath": self.own.db.path, "samplePath": sample_path}

    async def use(self, sample: bool | None) -> Json:
        """Switch to the sample (``True``, made on first use), back to the person's
        own database (``False``), or only say which is open (``None``)."""
        async with self._lock:
            assert self.own is not None
            before = self.current
            if sample and self.current is self.own:
                if self.own.jobs.running():
                    raise ConflictError("an import is writing into your database; open the "
                                        "sample history when it has finished")
                if self.sample is None:
                    self.sample = await self.opener(*place_of(self.own_path))
                self.current = self.sample
            elif sample is False:
                self.current = self.own
            if before is not None and before is not self.current:
                before.feed.release()  # the page's live wait moves to this database
            return self.describe()
