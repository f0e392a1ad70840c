"""The connection layer: reads spread over the readers, direct answers, the loop crossing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from ait42_session.bridge import Bridge
from ait42_session.db import READERS, Database
from ait42_session.errors import DatabaseError, NotFoundError
from ait42_session.loop import Loop

from .conftest import make_session, run_threads


async def test_concurrent_reads_run_on_different_readers_at_once(tmp_path: Path) -> None:
    """Reads are queued on the least busy reader, so READERS reads run side by side.

    Each read waits inside its transaction until all of them have started: if
    two were queued on the same reader thread, the barrier would break.
    """
    db = await Database.open(tmp_path / "s.db")
    barrier = threading.Barrier(READERS, timeout=10)
    threads: set[int] = set()

    def meet(conn: sqlite3.Connection) -> int:
        threads.add(threading.get_ident())
        barrier.wait()
        return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])

    try:
        counts = await asyncio.gather(*(db.read(meet) for _ in range(READERS)))
        assert counts == [0] * READERS
        assert len(threads) == READERS
    finally:
        await db.close()


async def test_an_idle_database_reuses_its_first_reader(tmp_path: Path) -> None:
    """One read after another lands on the same reader thread (warm page cache)."""
    db = await Database.open(tmp_path / "s.db")
    threads = [await db.read(lambda conn: threading.get_ident()) for _ in range(5)]
    await db.close()
    assert len(set(threads)) == 1


def test_direct_answers_reach_their_own_callers_from_many_threads(tmp_path: Path) -> None:
    """Direct commands are answered by the connection's worker: each caller gets its own."""
    ws = str(tmp_path)
    with Bridge.open(tmp_path / "s.db") as bridge:
        for n in range(8):
            bridge.create_session_sqlite(ws, make_session(f"s{n}"))

        def reader(n: int) -> None:
            for _ in range(50):
                assert bridge.get_session_sqlite(ws, f"s{n}")["id"] == f"s{n}"
                with pytest.raises(NotFoundError):
                    bridge.get_session_sqlite(ws, f"missing{n}")

        errors = run_threads(reader, 8)
        assert errors == []


def test_a_direct_coroutine_that_never_reaches_the_database_still_answers() -> None:
    """``direct`` is a hint: a coroutine that returns without a database call answers itself."""
    loop = Loop()

    async def no_database() -> str:
        await asyncio.sleep(0)
        return "answered"

    try:
        assert loop.run(no_database(), direct=True) == "answered"
    finally:
        loop.stop()


def test_a_direct_call_on_a_closed_database_fails_instead_of_waiting_forever(
        tmp_path: Path) -> None:
    """A direct call is queued without a future; on a closed connection nothing would
    ever run it, so it must be refused before it is queued."""
    loop = Loop()
    try:
        db = loop.run(Database.open(tmp_path / "s.db"))
        loop.run(db.close())
        with pytest.raises(DatabaseError, match="closed"):
            loop.run(db.read(lambda conn: 1), direct=True)
        with pytest.raises(DatabaseError, match="closed"):
            loop.run(db.write(lambda conn: 1), direct=True)
    finally:
        loop.stop()
