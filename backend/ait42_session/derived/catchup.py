"""Derived data catches up from the change log, here and nowhere else.

A command writes a session's rows, and the triggers of migration 5 add one
line per changed session to ``session_changes`` in the same transaction,
whoever writes (this program, another window, the shell's own SQLite). Nothing
else happens on the write path. The derived tables (the search index, the
insights rows) are brought up to date by :func:`step`: it reads the log after
the saved position (``derived_position``), re-derives each changed session
once however often it changed, and moves the position, all in one write
transaction. A kill at any point leaves the derived data current or behind,
never wrong, and the next step (in this process or the next) resumes.

Who runs it: :class:`CatchUp` in the background shortly after writes (a short
debounce, then batches until the log's end), and before every read of derived
data (``search_sessions``, ``get_insights``), so a search right after a write
finds it. When far behind (a bulk import, a restore), a read answers at once
from what is derived and says how many sessions are ``pending``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiosqlite

from ait42_session.derived import insights, search_index
from ait42_session.store import repository
from ait42_session.store.columns import OUTPUT_OF_I
from ait42_session.store.sql import scalar

if TYPE_CHECKING:
    from ait42_session.store.db import Database

log = logging.getLogger(__name__)

BATCH = 100  # sessions per transaction: well inside another writer's busy timeout
DEBOUNCE_SECONDS = 0.05  # after a local write, before the background catch-up starts
POLL_SECONDS = 0.25  # how often the background looks for other programs' writes
READ_BOUND = 500  # a read catches up first when at most this many sessions wait
FOLD_AFTER = 128  # streamed chunks of one instance merged into its output by the catch-up


async def position(conn: aiosqlite.Connection) -> int:
    """The last change reflected in every derived table."""
    return int(await scalar(conn, "SELECT seq FROM derived_position WHERE name = 'catchup'")
               or 0)


async def pending(conn: aiosqlite.Connection) -> int:
    """How many sessions changed after the position (each counted once)."""
    return int(await scalar(
        conn, "SELECT count(*) FROM session_changes WHERE seq >"
              " (SELECT seq FROM derived_position WHERE name = 'catchup')") or 0)


async def step(conn: aiosqlite.Connection, batch: int = BATCH) -> int:
    """Bring the derived tables up to date with the next ``batch`` logged
    changes, inside the caller's write transaction; how many were taken."""
    at = await position(conn)
    rows = list(await conn.execute_fetchall(
        "SELECT seq, session_id FROM session_changes WHERE seq > ? ORDER BY seq LIMIT ?",
        (at, batch)))
    if not rows:
        return 0
    ids = [str(r[1]) for r in rows]
    await _fold_appends(conn, ids)
    await search_index.index_sessions(conn, ids)
    await _rederive_insights(conn, ids)
    await conn.execute("UPDATE derived_position SET seq = ? WHERE name = 'catchup'",
                       (int(rows[-1][0]),))
    return len(rows)


async def _fold_appends(conn: aiosqlite.Connection, ids: list[str]) -> None:
    """Merge long runs of streamed chunks into their instance's output, so reads
    join a short list. The output reads the same before and after; no session
    row changes, so this writes no line to the log."""
    keys = list(await conn.execute_fetchall(
        "SELECT session_id, instance_id FROM output_appends"
        " WHERE session_id IN (SELECT value FROM json_each(?))"
        " GROUP BY session_id, instance_id HAVING count(*) >= ?",
        (_json(ids), FOLD_AFTER)))
    for key in keys:
        await conn.execute(f"UPDATE instances AS i SET output = {OUTPUT_OF_I}"
                           " WHERE i.session_id = ? AND i.instance_id = ?", tuple(key))
        await conn.execute("DELETE FROM output_appends WHERE session_id = ? AND instance_id = ?",
                           tuple(key))


# One narrow row per instance for get_insights (migration 6 says why), with the
# contract's folding done once: no runtime is 'unknown'; no model is the
# session's, else 'unknown'.
_INSIGHT_ROWS = """
INSERT INTO insight_runs
SELECT s.workspace_hash, i.agent_name, coalesce(nullif(i.runtime, ''), 'unknown'),
       coalesce(nullif(i.model, ''), nullif(s.model, ''), 'unknown'), i.session_id,
       i.instance_id, s.type, s.updated_key, coalesce(i.model, '') <> '',
       coalesce(s.winner_id = i.instance_id, 0), s.winner_id IS NOT NULL, i.status,
       coalesce(i.lines_added, 0), coalesce(i.lines_deleted, 0),
       i.start_time IS NOT NULL AND i.end_time IS NOT NULL,
       CAST(round((julianday(i.end_time) - julianday(i.start_time)) * 86400000.0) AS INTEGER)
FROM instances i JOIN sessions s ON s.id = i.session_id
WHERE i.session_id IN (SELECT value FROM json_each(?))
"""


# The sums per (agent, runtime, model) of the runs ``where`` chooses: the running
# totals of migration 13 (``sign`` "-": to take them away).
def _sums(where: str = "", sign: str = "") -> str:
    sums = ", ".join(sign + column for column in (*insights.RUN_SUMS, "count(duration_ms)"))
    return (f"SELECT agent_name, runtime, model, {sums}"
            f" FROM insight_runs {where} GROUP BY agent_name, runtime, model")


_BATCH_RUNS = "WHERE session_id IN (SELECT value FROM json_each(?))"
_ADD_TO_TOTALS = (
    "INSERT INTO insight_groups {sums} ON CONFLICT DO UPDATE SET"
    " instances = instances + excluded.instances, wins = wins + excluded.wins,"
    " decided = decided + excluded.decided, completed = completed + excluded.completed,"
    " failed = failed + excluded.failed, lines_added = lines_added + excluded.lines_added,"
    " lines_deleted = lines_deleted + excluded.lines_deleted,"
    " unread = unread + excluded.unread, timed_runs = timed_runs + excluded.timed_runs")


async def _rederive_insights(conn: aiosqlite.Connection, ids: list[str]) -> None:
    """These sessions' insights rows, afresh (none for a deleted session), and
    the running totals moved by the difference."""
    chunk = json.dumps(ids)
    await conn.execute(_ADD_TO_TOTALS.format(sums=_sums(_BATCH_RUNS, "-")), (chunk,))
    await conn.execute(f"DELETE FROM insight_runs {_BATCH_RUNS}", (chunk,))
    await conn.execute(_INSIGHT_ROWS, (chunk,))
    await conn.execute(_ADD_TO_TOTALS.format(sums=_sums(_BATCH_RUNS)), (chunk,))
    await conn.execute("DELETE FROM insight_groups WHERE instances = 0")


def _json(ids: list[str]) -> str:
    return json.dumps(ids)


async def rebuild(conn: aiosqlite.Connection) -> None:
    """Forget every derived row and start the log over: the catch-up then
    re-derives every session (``optimize_database`` when a check failed).
    FTS5 deletes a row by its stored text: 'rebuild' first makes the index agree
    with that text, however damaged, so the delete cannot trip over it."""
    await conn.execute("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
    await conn.execute("DELETE FROM search_fts")
    await conn.execute("DELETE FROM search_docs")
    await conn.execute("DELETE FROM insight_runs")
    await conn.execute("DELETE FROM insight_groups")
    await conn.execute("UPDATE derived_position SET seq = 0 WHERE name = 'catchup'")


async def verify(conn: aiosqlite.Connection) -> list[str]:
    """Derived tables out of step with the sessions the catch-up has reached
    (empty when sound): the search index's checks, and the insights rows
    compared with a fresh computation of them."""
    upto = await position(conn)
    problems = await search_index.verify_index(conn, upto)
    reached = ("SELECT session_id FROM session_changes WHERE seq <= ?")
    fresh = _INSIGHT_ROWS.replace("INSERT INTO insight_runs\n", "").replace(
        "IN (SELECT value FROM json_each(?))", f"IN ({reached})")
    stored = f"SELECT * FROM insight_runs WHERE session_id IN ({reached})"
    differ = await scalar(conn, f"SELECT (SELECT count(*) FROM ({fresh} EXCEPT {stored}))"
                                f" + (SELECT count(*) FROM ({stored} EXCEPT {fresh}))",
                          (upto, upto, upto, upto))
    if differ:
        problems.append(f"insights: {differ} rows differ from the sessions they come from")
    totals = "SELECT * FROM insight_groups"
    differ = await scalar(conn, f"SELECT (SELECT count(*) FROM ({_sums()} EXCEPT {totals}))"
                                f" + (SELECT count(*) FROM ({totals} EXCEPT {_sums()}))")
    if differ:
        problems.append(f"insights: {differ} running totals differ from the rows they sum")
    return problems


class CatchUp:
    """The background catch-up of one open database, and the reads' wait for it.

    One task per database: after a local write (``poke``) it waits
    ``DEBOUNCE_SECONDS`` so a burst becomes one batch, then steps until the log's
    end; every ``POLL_SECONDS`` it reads the log's newest number (one indexed
    ``max``) to notice other programs' writes. ``enabled=False`` (a supported
    setting for benchmarks that compare writes with and without derived data)
    leaves every derived table as it is until a read asks for it. While
    ``paused()`` (an import is storing sessions) the background waits: bulk
    paths store first and derive after, in batches.
    """

    def __init__(self, db: Database, *, enabled: bool = True,
                 paused: Callable[[], bool] = lambda: False) -> None:
        self._db = db
        self.enabled = enabled
        self._paused = paused  # a bulk write runs (an import): derive after it
        self._lock = asyncio.Lock()  # one catch-up at a time in this process
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._seen = -1  # the log's newest number when this process last caught up
        self._stopping = False

    def start(self) -> None:
        """Start the background task (on the loop's thread)."""
        if self.enabled and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def poke(self) -> None:
        """A write of this process committed: catch up soon."""
        self._wake.set()

    async def stop(self) -> None:
        """End the background task (before the database closes), between two
        batches: it is never cancelled inside a write transaction, whose COMMIT
        or ROLLBACK would then race the cancellation on the connection's thread."""
        task, self._task = self._task, None
        self._stopping = True
        self._wake.set()
        if task is not None:
            await task

    async def run_until_current(self, limit: int | None = None,
                                progress: Callable[[int, int], None] | None = None) -> int:
        """Step until the log's end (or ``limit`` sessions); ``progress(done, total)``
        after each batch. Returns how many sessions were re-derived."""
        done = 0
        async with self._lock:
            total = await self._db.read_one(pending)
            while (limit is None or done < limit) and not self._stopping:
                asked = BATCH if limit is None else min(BATCH, limit - done)
                took = await self._db.write(step, asked)
                if not took:
                    break
                done += took
                total = max(total, done)
                if progress is not None:
                    progress(done, total)
                if took < asked:  # the log's end, as of that transaction: no empty
                    break  # one more (later writes poke the background or a read)
        return done

    async def before_read(self) -> int:
        """Bring derived data up to every write that has returned, unless that is
        a bulk backlog; how many sessions are still pending (0 when current)."""
        waiting = await self._db.read_one(pending)
        if waiting == 0:
            return 0
        if waiting <= READ_BOUND:
            await self.run_until_current()
            return int(await self._db.read_one(pending))
        self.poke()
        return int(waiting)

    async def _run(self) -> None:
        """Catch up after local writes (debounced) and other programs' (polled),
        until ``stop``."""
        while not self._stopping:
            try:
                newest = None
                try:
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                    await asyncio.sleep(DEBOUNCE_SECONDS)
                except TimeoutError:
                    newest = await self._db.read_one(repository.change_token)
                    if newest == self._seen:
                        continue
                if self._stopping or self._paused():
                    continue
                self._wake.clear()
                if newest is None:
                    newest = await self._db.read_one(repository.change_token)
                await self.run_until_current()
                self._seen = newest
            except Exception:
                if self._db.closed or self._stopping:
                    return
                log.exception("catch-up of derived data failed; retrying shortly")
                await asyncio.sleep(POLL_SECONDS)
