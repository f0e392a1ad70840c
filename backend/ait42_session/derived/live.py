"""Following the database: wait for the next committed change to any session.

Every write to a session, by any program, leaves a row in ``session_changes``
(migration 5, triggers) in its own transaction. A page asks ``changes_since``
with the token of its last answer; the answer comes at once when something
changed since, else when something does or the wait runs out (a long poll).

While callers wait, one watcher task on the event loop reads the log's newest
number every ``POLL_SECONDS``: one indexed ``max()`` on a pooled reader, so
another process's commit is seen within that time. Nobody waiting: no polling
(an idle window costs nothing). A command of this process that writes wakes
the waiters at once (``poke``). A waiting caller holds no database connection
and no thread of the loop: it awaits an ``asyncio.Event``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING

import aiosqlite

from ait42_session.shape.errors import SessionError
from ait42_session.store import repository
from ait42_session.store.columns import Json

if TYPE_CHECKING:
    from ait42_session.store.db import Database

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2
MAX_CHANGES = 500  # more than this since the token: the page reloads instead
TOKENS_KEPT = 256  # tokens answered lately, each with the newest append then


class ChangeFeed:
    """The waiters on the change log and the one watcher that wakes them."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._moved = asyncio.Event()  # replaced by a fresh one each time it is set
        self._waiting = 0
        self._watcher: asyncio.Task[None] | None = None
        # token given -> the newest output append in the same snapshot, so the next
        # answer can carry the text appended since (``repository.appends_after``).
        self._appended: OrderedDict[str, int] = OrderedDict()
        self._released = 0  # how many times every wait was ended early (``release``)

    def poke(self) -> None:
        """Wake every waiter to look at the log (a write of this process committed)."""
        self._moved.set()
        self._moved = asyncio.Event()

    def release(self) -> None:
        """End every wait now, with no changes: the window has switched to another
        database (the sample history and back), and its page waits on that one now."""
        self._released += 1
        self.poke()

    async def since(self, token: str | None, wait_seconds: float) -> Json:
        """Changes after ``token``, waiting up to ``wait_seconds`` for the first.

        Answer: ``{token, changes: [{sessionId, workspaceHash, kind}], reset}``;
        ``reset`` means the page should reload what it shows (too many changes,
        or a token from another database). A change to a session whose output
        grew since ``token`` also carries the appended text and what the page
        needs to append it in place (``repository.appends_after``): so a
        streaming output costs the page no fetch of the whole session.
        """
        if token is None:
            return self._answer(*await self._db.read(_newest), [], False)
        after = int(token)
        latest = await self._db.read_one(repository.change_token)
        if after > latest:  # the database was replaced (restored) under the page
            return self._answer(*await self._db.read(_newest), [], True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        released = self._released
        while True:
            moved = self._moved  # taken before reading, so no wake-up is missed
            rows, appended = await self._db.read(_look, after, self._appended.get(token))
            if rows:
                if len(rows) > MAX_CHANGES:
                    return self._answer(*await self._db.read(_newest), [], True)
                return self._answer(str(rows[-1]["seq"]), appended, rows, False)
            left = deadline - loop.time()
            if left <= 0 or self._released != released:
                return {"token": str(after), "changes": [], "reset": False}
            self._waiting += 1
            if self._watcher is None:
                self._watcher = asyncio.create_task(self._watch(latest))
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(moved.wait(), left)
            finally:
                self._waiting -= 1

    def _answer(self, token: str, appended: int, changes: list[Json], reset: bool) -> Json:
        """The answer, its token remembered with the newest append it had seen."""
        self._appended[token] = appended
        self._appended.move_to_end(token)
        while len(self._appended) > TOKENS_KEPT:
            self._appended.popitem(last=False)
        for change in changes:
            del change["seq"]
        return {"token": token, "changes": changes, "reset": reset}

    async def _watch(self, seen: int) -> None:
        """Poll the log's newest number while anyone waits; wake them when it moves."""
        try:
            while self._waiting > 0:
                await asyncio.sleep(POLL_SECONDS)
                latest = await self._db.read_one(repository.change_token)
                if latest != seen:
                    seen = latest
                    self.poke()
        except SessionError:
            self.poke()  # the database closed or failed: waiters look and get the error
        except Exception:
            log.exception("the live watcher stopped")
            self.poke()
        finally:
            self._watcher = None


async def _newest(conn: aiosqlite.Connection) -> tuple[str, int]:
    """The change log's newest number (a token) and the output appends', in one snapshot."""
    return (str(await repository.change_token(conn)),
            (await repository.appends_after(conn, None, []))[0])


async def _look(conn: aiosqlite.Connection, after: int, appended: int | None,
                ) -> tuple[list[Json], int]:
    """The changes after ``after``, and (one snapshot) the newest append; the
    sessions changed are told the text appended after append ``appended`` (None:
    the token is not one this feed gave, so nothing is told)."""
    rows = await repository.changes_after(conn, after, MAX_CHANGES + 1)
    ids = [r["sessionId"] for r in rows if r["kind"] == "upserted"] \
        if len(rows) <= MAX_CHANGES else []
    newest, told = await repository.appends_after(conn, appended, ids)
    for row in rows:
        row.update(told.get(row["sessionId"], {}))
    return rows, newest
