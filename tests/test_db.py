"""The connection layer: pooled readers, whole transactions, the loop crossing, closing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import aiosqlite
import pytest

from ait42_session.faces.service import Service
from ait42_session.shape.errors import DatabaseError, NotFoundError, SessionError, ValidationError
from ait42_session.store.db import READERS, Database
from ait42_session.store.sql import scalar

from .conftest import make_session, run_threads


async def test_concurrent_reads_hold_different_readers_at_once(tmp_path: Path) -> None:
    """READERS reads can be inside their transactions together, each on its own connection.

    Each read waits inside its transaction until all have started: were they
    sharing one connection, the later ones could never start and this would time out.
    """
    db = await Database.open(tmp_path / "s.db")
    started = 0
    everyone = asyncio.Event()
    seen: list[aiosqlite.Connection] = []

    async def meet(conn: aiosqlite.Connection) -> int:
        nonlocal started
        seen.append(conn)
        started += 1
        if started == READERS:
            everyone.set()
        await asyncio.wait_for(everyone.wait(), timeout=10)
        return int(await scalar(conn, "SELECT count(*) FROM sessions"))

    try:
        counts = await asyncio.gather(*(db.read(meet) for _ in range(READERS)))
        assert counts == [0] * READERS
        assert len({id(c) for c in seen}) == READERS
    finally:
        await db.close()


async def test_a_read_sees_one_snapshot_while_a_write_commits(tmp_path: Path) -> None:
    """Inside a read transaction, a write committed meanwhile is not seen; after it, it is."""
    db = await Database.open(tmp_path / "s.db")
    try:
        await db.write(_set, "k", "before")
        async with db.reading() as conn:
            assert await _get(conn, "k") == "before"
            await db.write(_set, "k", "after")
            assert await _get(conn, "k") == "before"
        assert await db.read(_get, "k") == "after"
    finally:
        await db.close()


async def _set(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                       " DO UPDATE SET value = excluded.value", (key, value))


async def _get(conn: aiosqlite.Connection, key: str) -> str:
    return str(await scalar(conn, "SELECT value FROM settings WHERE key = ?", (key,)))


async def test_a_failure_inside_a_write_rolls_back_its_earlier_statements(
        tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.db")

    async def half(conn: aiosqlite.Connection) -> None:
        await _set(conn, "k", "half")
        await conn.execute("INSERT INTO no_such_table VALUES (1)")

    try:
        with pytest.raises(DatabaseError, match="no such table"):
            await db.write(half)
        assert list(await db.read(lambda c: c.execute_fetchall("SELECT * FROM settings"))) == []
    finally:
        await db.close()


def test_an_error_after_a_commands_first_database_step_is_a_session_error(
        tmp_path: Path) -> None:
    """``add_chat_message_sqlite`` bumps the session, then its insert fails in SQLite (a
    trigger refuses it): the caller gets a contract error and the bump is undone."""
    ws = str(tmp_path)
    with Service.open(tmp_path / "s.db") as svc:
        before = svc.create_session_sqlite(ws, make_session())
        raw = sqlite3.connect(tmp_path / "s.db")
        raw.execute("CREATE TRIGGER refuse BEFORE INSERT ON chat_messages"
                    " BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END")
        raw.commit()
        raw.close()
        message = {"id": "m9", "role": "user", "content": "hi",
                   "timestamp": "2026-01-13T10:00:00Z"}
        with pytest.raises(SessionError, match="refused by a test trigger") as caught:
            svc.add_chat_message_sqlite(ws, "s1", message)
        assert isinstance(caught.value, ValidationError)
        after = svc.get_session_sqlite(ws, "s1")
        assert after["updatedAt"] == before["updatedAt"]
        assert after["chatHistory"] == before["chatHistory"]
        with pytest.raises(NotFoundError, match="no instance 7"):
            svc.update_instance_status_sqlite(ws, "s1", 7, "failed")
        assert svc.get_session_sqlite(ws, "s1")["updatedAt"] == before["updatedAt"]


def test_many_threads_get_their_own_answers(tmp_path: Path) -> None:
    ws = str(tmp_path)
    with Service.open(tmp_path / "s.db") as svc:
        for n in range(8):
            svc.create_session_sqlite(ws, make_session(f"s{n}"))

        def reader(n: int) -> None:
            for _ in range(50):
                assert svc.get_session_sqlite(ws, f"s{n}")["id"] == f"s{n}"
                with pytest.raises(NotFoundError):
                    svc.get_session_sqlite(ws, f"missing{n}")

        assert run_threads(reader, 8) == []


async def test_a_closed_database_refuses_reads_and_writes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.db")
    await db.close()
    await db.close()  # twice is fine
    with pytest.raises(DatabaseError, match="closed"):
        await db.read(_get, "k")
    with pytest.raises(DatabaseError, match="closed"):
        await db.write(_set, "k", "v")


async def test_a_read_waiting_for_a_reader_when_the_database_closes_is_refused(
        tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.db", readers=1)
    release = asyncio.Event()

    async def hold(conn: aiosqlite.Connection) -> None:
        await release.wait()

    holder = asyncio.ensure_future(db.read(hold))
    await asyncio.sleep(0.05)
    waiter = asyncio.ensure_future(db.read(_get, "k"))
    await asyncio.sleep(0.05)
    closing = asyncio.ensure_future(db.close())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, closing), timeout=10)
    with pytest.raises(DatabaseError, match="closed"):
        await asyncio.wait_for(waiter, timeout=10)


def test_closing_while_commands_run_answers_every_caller(tmp_path: Path) -> None:
    """Callers in flight when the store closes get a result or a DATABASE error, never a hang,
    and no thread of the store is left behind."""
    ws = str(tmp_path)
    before = {t.ident for t in threading.enumerate()}
    svc = Service.open(tmp_path / "s.db")
    svc.create_session_sqlite(ws, make_session())
    stop = threading.Event()
    outcomes: list[str] = []

    def caller(n: int) -> None:
        while not stop.is_set():
            try:
                svc.get_session_sqlite(ws, "s1")
                outcomes.append("ok")
            except DatabaseError:
                outcomes.append("closed")
                return

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(outcomes) < 20:
        assert time.monotonic() < deadline, "the callers never got going"
        time.sleep(0.01)
    svc.close()
    for t in threads:
        t.join(timeout=10)
        assert not t.is_alive(), "a caller hung after close"
    stop.set()
    assert outcomes.count("closed") == 4
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == []
