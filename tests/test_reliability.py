"""Reliability: many threads, two processes, SIGKILL, bad files, a full disk.

Everything here runs against real SQLite files in ``tmp_path`` through the real
``Bridge``; nothing is mocked. Child processes run ``tests/helpers/writer.py``.
"""

from __future__ import annotations

import functools
import itertools
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.shape.errors import DatabaseError, NotFoundError, SessionError

from .conftest import fill_disk, make_session
from .helpers import writer

WRITER = str(Path(writer.__file__).resolve())
CHILD_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def wait_for_line(path: Path, text: str, child: subprocess.Popen[bytes],
                  timeout: float = 60.0) -> None:
    """Wait until the child's log holds ``text`` (fail early if the child died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        if child.poll() is not None:
            pytest.fail(f"child exited with {child.returncode}: {path.read_text()!r}")
        time.sleep(0.005)
    child.kill()
    pytest.fail(f"child never printed {text!r}")


def totals(states: list[writer.State]) -> tuple[int, int, int]:
    """(sessions, instances, messages) held by the given states."""
    sessions = sum(len(s) for s in states)
    instances = sum(len(v["statuses"]) for s in states for v in s.values())
    messages = sum(len(v["messages"]) for s in states for v in s.values())
    return sessions, instances, messages


def counts(bridge: Bridge) -> tuple[int, int, int]:
    stats = bridge.get_database_stats()
    return stats["sessionCount"], stats["instanceCount"], stats["messageCount"]


# ---------------------------------------------------------------------------
# 16 threads, 500 mixed commands each
# ---------------------------------------------------------------------------

THREADS = 16
COMMANDS = 500
# (operation, weight): creates slightly outnumber deletes so the store grows.
MIX = (("create", 20), ("update", 8), ("get", 18), ("get_missing", 3), ("get_all", 3),
       ("chat", 22), ("status", 16), ("delete", 10))
STATUSES = writer.STATUSES


def _project(session: dict[str, Any]) -> dict[str, Any]:
    return {"task": session["task"], "status": session["status"],
            "statuses": {i["instanceId"]: i["status"] for i in session["instances"]},
            "messages": [m["id"] for m in session["chatHistory"]]}


class ThreadWorkload:
    """One thread's commands and its exact model of the sessions it owns."""

    def __init__(self, tid: int, bridge: Bridge, workspaces: list[str]) -> None:
        self.tid = tid
        self.bridge = bridge
        self.workspaces = workspaces
        self.rng = random.Random(tid)
        self.live: dict[str, tuple[str, dict[str, Any]]] = {}  # sid -> (workspace, projection)
        self.gone: list[tuple[str, str]] = []
        self.counter = itertools.count()
        self.errors: list[str] = []
        self.done: dict[str, int] = {}

    def new_session(self, sid: str) -> dict[str, Any]:
        n = self.rng.randint(1, 3)
        s = make_session(sid, instances=n, messages=self.rng.randint(0, 3),
                         task=f"task {sid} {self.rng.random():.6f}",
                         status=self.rng.choice(("running", "completed", "failed", "paused")))
        for inst in s["instances"]:
            inst["output"] = "o" * self.rng.choice((0, 200, 2000))
            inst["status"] = self.rng.choice(STATUSES)
        return s

    def expect(self, sid: str, got: dict[str, Any]) -> None:
        want = self.live[sid][1]
        if _project(got) != want:
            raise AssertionError(f"{sid}: got {_project(got)}, model says {want}")

    def step(self) -> str:
        b, rng = self.bridge, self.rng
        ops, weights = zip(*MIX, strict=True)
        op: str = rng.choices(ops, weights)[0]
        if op != "create" and not self.live:
            op = "create"
        if op == "get_missing" and not self.gone:
            op = "get"
        sid = rng.choice(sorted(self.live)) if self.live and op != "create" else ""
        ws = self.live[sid][0] if sid else rng.choice(self.workspaces)
        if op == "create":
            sid = f"t{self.tid}_{next(self.counter)}"
            s = self.new_session(sid)
            self.live[sid] = (ws, _project(s))
            self.expect(sid, b.create_session_sqlite(ws, s))
        elif op == "update":
            s = self.new_session(sid)
            self.live[sid] = (ws, _project(s))
            self.expect(sid, b.update_session_sqlite(ws, s))
        elif op == "get":
            self.expect(sid, b.get_session_sqlite(ws, sid))
        elif op == "get_missing":
            ws, sid = rng.choice(self.gone)
            try:
                b.get_session_sqlite(ws, sid)
            except NotFoundError:
                pass
            else:
                raise AssertionError(f"deleted session {sid} is still there")
        elif op == "get_all":
            ws = rng.choice(self.workspaces)
            listed = b.get_all_sessions_sqlite(ws)
            ids = [s["id"] for s in listed]
            assert len(ids) == len(set(ids)), "a session is listed twice"
            stamps = [instant(s["updatedAt"]) for s in listed]
            assert stamps == sorted(stamps, reverse=True), "not newest first"
            by_id = {s["id"]: s for s in listed}
            for own, (own_ws, _p) in self.live.items():
                if own_ws == ws:
                    assert own in by_id, f"{own} missing from get_all"
                    self.expect(own, by_id[own])
            for gone_ws, gone in self.gone:
                assert gone_ws != ws or gone not in by_id, f"deleted {gone} listed"
        elif op == "chat":
            msg_id = f"c{next(self.counter)}"
            self.live[sid][1]["messages"].append(msg_id)
            got = b.add_chat_message_sqlite(ws, sid, {
                "id": msg_id, "role": "user", "content": f"hello {msg_id}",
                "timestamp": "2026-01-13T11:00:00Z"})  # later than every given message
            self.expect(sid, got)
        elif op == "status":
            iid = rng.choice(sorted(self.live[sid][1]["statuses"]))
            status = rng.choice(STATUSES)
            self.live[sid][1]["statuses"][iid] = status
            self.expect(sid, b.update_instance_status_sqlite(ws, sid, iid, status))
        elif op == "delete":
            assert b.delete_session_sqlite(ws, sid) is None
            del self.live[sid]
            self.gone.append((ws, sid))
        return op

    def run(self, start: threading.Barrier) -> None:
        start.wait()
        for i in range(COMMANDS):
            try:
                op = self.step()
                self.done[op] = self.done.get(op, 0) + 1
            except Exception as exc:  # collected, reported by the test
                self.errors.append(f"thread {self.tid} command {i}: {type(exc).__name__}: {exc}")
                if len(self.errors) > 5:
                    return


def test_sixteen_threads_mixed_commands_exact_counts(
        bridge: Bridge, tmp_path: Path) -> None:
    workspaces = []
    for name in ("alpha", "beta", "gamma"):
        (tmp_path / name).mkdir()
        workspaces.append(str(tmp_path / name))
    loads = [ThreadWorkload(t, bridge, workspaces) for t in range(THREADS)]
    start = threading.Barrier(THREADS)
    threads = [threading.Thread(target=w.run, args=(start,)) for w in loads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"

    errors = [e for w in loads for e in w.errors]
    assert not errors, "\n".join(errors[:10])
    assert not any("locked" in e for e in errors)
    for w in loads:
        assert sum(w.done.values()) == COMMANDS
        assert all(w.done.get(op, 0) > 0 for op, _ in MIX), w.done

    live = {sid: v for w in loads for sid, v in w.live.items()}
    n_sessions = len(live)
    n_instances = sum(len(p["statuses"]) for _ws, p in live.values())
    n_messages = sum(len(p["messages"]) for _ws, p in live.values())
    assert counts(bridge) == (n_sessions, n_instances, n_messages)

    listed: dict[str, dict[str, Any]] = {}
    for ws in workspaces:
        for s in bridge.get_all_sessions_sqlite(ws):
            assert live[s["id"]][0] == ws, f"{s['id']} listed under the wrong workspace"
            listed[s["id"]] = _project(s)
    assert listed == {sid: p for sid, (_ws, p) in live.items()}
    assert sum(len(p["statuses"]) for p in listed.values()) == n_instances
    assert sum(len(p["messages"]) for p in listed.values()) == n_messages
    assert bridge.verify_database_integrity() is True
    metrics = bridge.get_metrics()["commands"]
    assert not any(
        code != "NOT_FOUND" for m in metrics.values() for code in m["errors"]
    ), metrics


def test_close_while_threads_are_calling(tmp_path: Path) -> None:
    """Commands racing close() either work or raise a SessionError; nothing hangs."""
    ws = str(tmp_path)
    b = Bridge.open(str(tmp_path / "race.db"))
    b.create_session_sqlite(ws, make_session("s1"))
    stop = threading.Event()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def hammer(k: int) -> None:
        for n in itertools.count():
            if stop.is_set():
                return
            try:
                if k % 2:
                    b.get_session_sqlite(ws, "s1")
                else:
                    b.add_chat_message_sqlite(ws, "s1", {
                        "id": f"m{k}-{n}", "role": "user", "content": "x",
                        "timestamp": "2026-01-13T10:00:00Z"})
                key = "ok"
            except SessionError:
                key = "SessionError"
            except Exception as exc:
                key = f"{type(exc).__name__}: {exc}"
            with lock:
                outcomes[key] = outcomes.get(key, 0) + 1

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    b.close()
    time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads), "a command hung after close()"
    assert set(outcomes) <= {"ok", "SessionError"}, outcomes
    assert outcomes.get("ok", 0) > 0 and outcomes.get("SessionError", 0) > 0
    with Bridge.open(str(tmp_path / "race.db")) as again:
        assert again.verify_database_integrity() is True


# ---------------------------------------------------------------------------
# Two processes, each with its own Bridge on the same file
# ---------------------------------------------------------------------------

def test_two_processes_write_at_once(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.db")
    ws = tmp_path / "repo"
    ws.mkdir()
    with Bridge.open(db):
        pass  # the schema exists before both writers start
    per_child = 300
    children, logs = [], []
    for k in range(2):
        log = tmp_path / f"writer{k}.log"
        logs.append(log)
        with log.open("wb") as out:
            children.append(subprocess.Popen(
                [sys.executable, WRITER, "burst", db, str(ws), f"p{k}", str(k), str(per_child)],
                stdout=out, stderr=subprocess.STDOUT, env=CHILD_ENV))
    for child, log in zip(children, logs, strict=True):
        wait_for_line(log, "ready", child)
    Path(db + ".go").touch()
    for child in children:
        child.wait(timeout=120)
    for child, log in zip(children, logs, strict=True):
        text = log.read_text()
        assert child.returncode == 0, text
        assert "locked" not in text
        assert f'"done": {per_child}' in text

    expected: writer.State = {}
    for k in range(2):
        state: writer.State = {}
        for op in itertools.islice(writer.operations(f"p{k}", k), per_child):
            state = writer.apply(state, op)
        expected.update(state)
    with Bridge.open(db) as b:
        assert writer.project(b.get_all_sessions_sqlite(str(ws))) == expected
        assert counts(b) == totals([expected])
        assert b.verify_database_integrity() is True


# ---------------------------------------------------------------------------
# SIGKILL in the middle of writing, 20 times
# ---------------------------------------------------------------------------

KILLS = 20


def test_sigkill_mid_write_loses_nothing_that_returned(tmp_path: Path) -> None:
    db = str(tmp_path / "killed.db")
    with Bridge.open(db):
        pass
    rng = random.Random(20)
    finals: dict[str, writer.State] = {}
    completed = 0
    for round_ in range(KILLS):
        ws = tmp_path / f"ws{round_}"
        ws.mkdir()
        prefix = f"k{round_}"
        log = tmp_path / f"kill{round_}.log"
        with log.open("wb") as out:
            child = subprocess.Popen(
                [sys.executable, WRITER, "forever", db, str(ws), prefix, str(round_)],
                stdout=out, stderr=subprocess.STDOUT, env=CHILD_ENV)
        wait_for_line(log, "ready", child)
        time.sleep(rng.uniform(0.02, 0.4))
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL

        # Only complete lines count: a command whose line is cut was not reported.
        lines = log.read_text().split("\n")[:-1]
        done = [line for line in lines if line.startswith("done ")]
        reported = int(done[-1].split()[1]) if done else 0
        completed += reported
        ops = list(itertools.islice(writer.operations(prefix, round_), reported + 1))
        before: writer.State = {}
        for op in ops[:reported]:
            before = writer.apply(before, op)
        after = writer.apply(before, ops[reported])  # the command maybe in flight

        with Bridge.open(db) as b:
            assert b.verify_database_integrity() is True, f"round {round_}"
            actual = writer.project(b.get_all_sessions_sqlite(str(ws)))
            assert actual in (before, after), (
                f"round {round_}: {reported} commands reported; the database holds "
                f"something else than their result (with or without the next one)"
            )
            finals[str(ws)] = actual
            assert counts(b) == totals(list(finals.values())), f"round {round_}"
    assert completed > KILLS  # the children really wrote before they died

    with Bridge.open(db) as b:
        assert b.verify_database_integrity() is True
        for ws_path, state in finals.items():
            assert writer.project(b.get_all_sessions_sqlite(ws_path)) == state


# ---------------------------------------------------------------------------
# Files that are not a database, damaged databases
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("content", [
    pytest.param(b"Just some notes, not a database at all.\n" * 40, id="text"),
    pytest.param(random.Random(1).randbytes(4096), id="random-page"),
    pytest.param(random.Random(2).randbytes(150_000), id="random-150k"),
    pytest.param(b"SQLite format 3\x00" + random.Random(3).randbytes(8000), id="bad-header"),
])
def test_a_file_that_is_not_a_database(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "sessions.db"
    path.write_bytes(content)
    with pytest.raises(DatabaseError) as caught:
        Bridge.open(str(path))
    err = caught.value
    assert err.code == "DATABASE"
    message = str(err)
    assert str(path) in message
    assert "not" in message and "database" in message  # what is wrong
    assert "move it aside" in message or "another file" in message  # what to do
    assert path.read_bytes() == content, "the file was changed"


def _damaged_copy(tmp_path: Path, *, pages: slice | None = None,
                  header_page: bool = False) -> tuple[Path, dict[str, Any]]:
    """A real database of 150 sessions, then garbage written over some of its pages."""
    path = tmp_path / "damaged.db"
    ws = tmp_path / "repo"
    ws.mkdir(exist_ok=True)
    with Bridge.open(str(path)) as b:
        for i in range(150):
            b.create_session_sqlite(str(ws), make_session(f"s{i}", instances=3, messages=5,
                                                          task="t" * 3000))
        stats = b.get_database_stats()
    raw = sqlite3.connect(path)  # fold the WAL in: the damage must hit the main file
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    assert not Path(str(path) + "-wal").exists()
    data = bytearray(path.read_bytes())
    page = stats["pageSize"]
    n_pages = len(data) // page
    garbage = random.Random(7)
    if header_page:
        data[100:page] = garbage.randbytes(page - 100)  # schema root, header intact
    for p in range(n_pages)[pages or slice(0)]:
        data[p * page:(p + 1) * page] = garbage.randbytes(page)
    path.write_bytes(bytes(data))
    return path, {"workspace": str(ws), "pages": n_pages}


def _assert_damage_message(err: SessionError, path: Path) -> None:
    assert isinstance(err, DatabaseError) and err.code == "DATABASE"
    message = str(err)
    assert str(path) in message
    assert "damaged" in message or "malformed" in message  # what is wrong
    assert "backup" in message or "recover" in message  # what to do


def test_a_damaged_database_reports_database_errors(tmp_path: Path) -> None:
    # Twelve pages in the middle (table, index and overflow pages live there).
    path, info = _damaged_copy(tmp_path, pages=slice(60, 72))
    assert info["pages"] > 100
    ws = info["workspace"]
    with Bridge.open(str(path)) as b:
        with pytest.raises(DatabaseError) as caught:
            b.get_all_sessions_sqlite(ws)
        _assert_damage_message(caught.value, path)
        # Every command either works on what is still sound or says DATABASE.
        outcomes: dict[str, int] = {}
        calls: list[tuple[str, Callable[[], object]]] = [
            (f"get s{i}", functools.partial(b.get_session_sqlite, ws, f"s{i}"))
            for i in range(150)]
        calls += [
            ("create", lambda: b.create_session_sqlite(ws, make_session("new"))),
            ("chat", lambda: b.add_chat_message_sqlite(ws, "s75", {
                "id": "late", "role": "user", "content": "x",
                "timestamp": "2026-01-13T10:00:00Z"})),
            ("status", lambda: b.update_instance_status_sqlite(ws, "s75", 0, "failed")),
            ("delete", lambda: b.delete_session_sqlite(ws, "s75")),
            ("stats", b.get_database_stats),
        ]
        for _name, call in calls:
            try:
                call()
                outcome = "ok"
            except (DatabaseError, NotFoundError) as exc:
                outcome = exc.code
                if isinstance(exc, DatabaseError):
                    _assert_damage_message(exc, path)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert outcomes.get("DATABASE", 0) >= 1, outcomes


def test_a_damaged_schema_page_fails_at_open(tmp_path: Path) -> None:
    path, _info = _damaged_copy(tmp_path, header_page=True)
    before = path.read_bytes()
    with pytest.raises(DatabaseError) as caught:
        Bridge.open(str(path))
    _assert_damage_message(caught.value, path)
    assert path.read_bytes() == before


def test_verify_reports_damage_as_false(tmp_path: Path) -> None:
    path, _info = _damaged_copy(tmp_path, pages=slice(60, 72))
    with Bridge.open(str(path)) as b:
        assert b.verify_database_integrity() is False


def test_close_leaves_everything_in_the_main_file(tmp_path: Path) -> None:
    """The last connection to close folds the WAL in; it must be the writer, not a reader."""
    path = tmp_path / "s.db"
    with Bridge.open(str(path)) as b:
        b.create_session_sqlite(str(tmp_path), make_session("s1"))
    assert not Path(str(path) + "-wal").exists()
    copy = tmp_path / "copy.db"
    shutil.copyfile(path, copy)  # what a person backing up "the database" does
    with Bridge.open(str(copy)) as b:
        assert b.get_session_sqlite(str(tmp_path), "s1")["id"] == "s1"


# ---------------------------------------------------------------------------
# A full disk (a small tmpfs)
# ---------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmpfs: Callable[[str], Path]) -> Path:
    """A 4 MB tmpfs; skipped where mounting is not allowed."""
    return tmpfs("4m")


def _assert_full_message(err: DatabaseError) -> None:
    assert err.code == "DATABASE"
    message = str(err)
    assert "full" in message  # what is wrong
    assert "free" in message  # what to do


def test_a_full_disk_gives_database_error_and_writes_nothing(small_disk: Path) -> None:
    db = str(small_disk / "sessions.db")
    ws = str(small_disk)
    b = Bridge.open(db)
    try:
        for i in range(5):
            b.create_session_sqlite(ws, make_session(f"s{i}"))
        before_all = b.get_all_sessions_sqlite(ws)
        before_counts = counts(b)
        filler = small_disk / "filler"
        fill_disk(filler)

        big = make_session("big")
        big["instances"][0]["output"] = "y" * 600_000
        with pytest.raises(DatabaseError) as caught:
            b.create_session_sqlite(ws, big)
        _assert_full_message(caught.value)
        with pytest.raises(DatabaseError) as caught:
            b.add_chat_message_sqlite(ws, "s1", {"id": "long", "role": "user",
                                                 "content": "z" * 600_000,
                                                 "timestamp": "2026-01-13T13:00:00Z"})
        _assert_full_message(caught.value)

        # Nothing of the failed commands is there; reads still work on the full disk.
        with pytest.raises(NotFoundError):
            b.get_session_sqlite(ws, "big")
        assert b.get_all_sessions_sqlite(ws) == before_all
        assert counts(b) == before_counts
        assert b.verify_database_integrity() is True

        filler.unlink()  # space again: the same commands now succeed
        assert b.create_session_sqlite(ws, big)["instances"][0]["output"] == "y" * 600_000
        got = b.add_chat_message_sqlite(ws, "s1", {"id": "long", "role": "user",
                                                   "content": "z" * 600_000,
                                                   "timestamp": "2026-01-13T13:00:00Z"})
        assert [m["id"] for m in got["chatHistory"]][-1] == "long"
    finally:
        b.close()
    with Bridge.open(db) as b:
        assert b.verify_database_integrity() is True
        assert counts(b) == (before_counts[0] + 1, before_counts[1] + 2,
                             before_counts[2] + 3)
        kept = {s["id"]: s for s in b.get_all_sessions_sqlite(ws)}
        for s in before_all:
            if s["id"] != "s1":
                assert kept[s["id"]] == s
