"""Derived data off the write path (issue 16): a write stores its rows and one
change-log line; the catch-up brings the search index and insights up to date,
and every read of derived data sees every write that has returned, whichever
process made it. On real database files."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ait42_session.derived import catchup
from ait42_session.faces.service import Service
from ait42_session.shape.errors import DatabaseError, ValidationError

from .conftest import make_session

Json = dict[str, Any]


def ids(svc: Service, query: str, options: Json | None = None) -> list[str]:
    return [h["sessionId"] for h in svc.search_sessions(query, options)["items"]]


def agents(svc: Service) -> dict[str, int]:
    return {a["agentName"]: a["instances"] for a in svc.get_insights(None)["agents"]}


def with_words(sid: str, words: str, agent: str = "tester") -> Json:
    s = make_session(sid, instances=1, messages=0, task=f"task {words}")
    s["instances"][0]["agentName"] = agent
    return s


def other_process(db: str, script: str) -> None:
    """Run ``script`` (with ``svc``, ``ws`` and ``json`` at hand) in a process of its own,
    with no background catch-up: its writes are only logged."""
    code = textwrap.dedent("""
        import json, sys
        from ait42_session.faces.service import Service
        svc = Service.open(sys.argv[1], derived=False)
        ws = sys.argv[2]
        try:
        {body}
        finally:
            svc.close()
    """).format(body=textwrap.indent(textwrap.dedent(script), "    "))
    done = subprocess.run([sys.executable, "-c", code, db, WS[0]], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


WS: list[str] = [""]


@pytest.fixture
def ws(workspace: str) -> str:
    WS[0] = workspace
    return workspace


def test_a_write_touches_no_derived_table(db_path: str, ws: str) -> None:
    """Inside a command's transaction only the sessions' tables and the log change."""
    with Service.open(db_path, derived=False) as svc:
        svc.create_session_sqlite(ws, with_words("s1", "alpha"))
        svc.add_chat_message_sqlite(ws, "s1", {"id": "m", "role": "user", "content": "beta",
                                               "timestamp": "2026-01-14T00:00:00Z"})
        svc.update_instance_status_sqlite(ws, "s1", 0, "failed")
        svc.append_instance_output(ws, "s1", 0, " gamma")
        raw = sqlite3.connect(db_path)
        assert raw.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM insight_runs").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM session_changes WHERE seq > "
                           "(SELECT seq FROM derived_position)").fetchone()[0] == 1
        triggers = {r[0] for r in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        raw.close()
        # the ones left: the change log's three and the append's touch of its session
        assert triggers == {"session_changes_on_insert", "session_changes_on_update",
                            "session_changes_on_delete", "output_appends_touch_session"}
        assert ids(svc, "gamma") == ["s1"] and agents(svc) == {"tester": 1}


WRITES: dict[str, Callable[[Service, str], object]] = {
    "create": lambda svc, ws: svc.create_session_sqlite(ws, with_words("w", "kiwi", "ann")),
    "update": lambda svc, ws: svc.update_session_sqlite(ws, with_words("s1", "kiwi", "ann")),
    "chat": lambda svc, ws: svc.add_chat_message_sqlite(ws, "s1", {
        "id": "k", "role": "user", "content": "kiwi", "timestamp": "2026-01-14T00:00:00Z"}),
    "status": lambda svc, ws: svc.update_instance_status_sqlite(ws, "s1", 0, "completed"),
    "append": lambda svc, ws: svc.append_instance_output(ws, "s1", 0, " kiwi"),
    "delete": lambda svc, ws: svc.delete_session_sqlite(ws, "s1"),
}


@pytest.mark.parametrize("kind", sorted(WRITES))
@pytest.mark.parametrize("where", ["own", "other"])
def test_search_and_insights_see_each_write_at_once(db_path: str, ws: str, kind: str,
                                                    where: str) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(ws, with_words("s1", "plum", "bob"))
        assert ids(svc, "plum") == ["s1"]
        if where == "own":
            WRITES[kind](svc, ws)
        else:
            other_process(db_path, f"""
                from tests.test_catchup import WRITES
                WRITES[{kind!r}](svc, ws)
            """)
        found = ids(svc, "kiwi")
        runs = {a["agentName"]: a for a in svc.get_insights(None)["agents"]}
        if kind == "delete":
            assert ids(svc, "plum") == [] and runs == {}
        elif kind == "create":
            assert found == ["w"] and set(runs) == {"ann", "bob"}
        elif kind == "update":
            assert found == ["s1"] and ids(svc, "plum") == [] and set(runs) == {"ann"}
        elif kind == "status":
            assert runs["bob"]["completed"] == 1
        else:
            assert found == ["s1"] and ids(svc, "plum kiwi") == ["s1"]


def test_a_failed_append_stored_nothing(db_path: str, ws: str) -> None:
    """A lock held past the busy timeout: the append reports an error, and nothing of
    it is stored, so the retry is the only copy."""
    with Service.open(db_path, busy_timeout_ms=100) as svc:
        svc.create_session_sqlite(ws, with_words("s1", "x"))
        svc.update_session_sqlite(ws, dict(with_words("s1", "x"), instances=[
            dict(with_words("s1", "x")["instances"][0], output="ab\x00cd")]))
        assert svc.append_instance_output(ws, "s1", 0, "e") == {"outputLength": 6}
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseError):
            svc.append_instance_output(ws, "s1", 0, "LOST")
        holder.execute("ROLLBACK")
        holder.close()
        assert svc.append_instance_output(ws, "s1", 0, "f") == {"outputLength": 7}
        out = svc.get_session_sqlite(ws, "s1")["instances"][0]["output"]
        assert out == "ab\x00cdef" and ids(svc, "LOST") == []


def test_a_failed_append_on_a_full_disk_stored_nothing(
        tmpfs: Callable[[str], Path], ws: str) -> None:
    from .conftest import fill_disk

    folder = tmpfs("4m")
    db = str(folder / "s.db")
    with Service.open(db) as svc:
        svc.create_session_sqlite(ws, with_words("s1", "x"))
        before = svc.get_session_sqlite(ws, "s1")
        fill_disk(folder / "filler")
        failed = 0
        for _ in range(50):  # the WAL takes a few appends before a page is refused
            try:
                svc.append_instance_output(ws, "s1", 0, "y" * 20_000)
            except DatabaseError:
                failed += 1
                break
        assert failed == 1
        os.remove(folder / "filler")
        after = svc.get_session_sqlite(ws, "s1")["instances"][0]["output"]
        got = svc.append_instance_output(ws, "s1", 0, "z")
        assert got == {"outputLength": len(after) + 1}
        assert after == before["instances"][0].get("output", "") + "y" * (len(after) - len(
            before["instances"][0].get("output", "")))


def test_paging_lists_each_match_once_while_another_process_writes(
        db_path: str, ws: str) -> None:
    with Service.open(db_path) as svc:
        for k in range(60):
            svc.create_session_sqlite(ws, with_words(f"m{k:02}", "walrus " * (1 + k % 7)))
        seen: list[str] = []
        page = svc.search_sessions("walrus", {"limit": 7})
        first = {h["sessionId"] for h in page["items"]}
        seen += [h["sessionId"] for h in page["items"]]
        round_ = 0
        while page["nextCursor"]:
            round_ += 1
            other_process(db_path, f"""
                for k in range(5):
                    s = {{"id": f"u{round_}-{{k}}", "type": "debate", "task": "unrelated words",
                         "status": "running", "createdAt": "2026-01-13T10:00:00Z",
                         "updatedAt": "2026-01-13T10:00:00Z"}}
                    svc.create_session_sqlite(ws, s)
                s = dict(svc.get_session_sqlite(ws, "m{59 - round_:02}"))
                s["task"] = s["task"] + " walrus walrus"
                svc.update_session_sqlite(ws, s)
                n = {{"id": "new{round_}", "type": "debate", "task": "walrus newcomer",
                     "status": "running", "createdAt": "2026-01-13T10:00:00Z",
                     "updatedAt": "2026-01-13T10:00:00Z"}}
                svc.create_session_sqlite(ws, n)
            """)
            page = svc.search_sessions("walrus", {"limit": 7, "cursor": page["nextCursor"]})
            seen += [h["sessionId"] for h in page["items"]]
        assert len(seen) == len(set(seen)) == 60  # every first-page match, once
        assert first <= set(seen) and all(s.startswith("m") for s in seen)
        # newest first pages by (updatedAt, id): also once each
        seen = []
        page = svc.search_sessions("walrus", {"limit": 9, "sort": "newest"})
        while True:
            seen += [h["sessionId"] for h in page["items"]]
            if not page["nextCursor"]:
                break
            other_process(db_path, """
                svc.create_session_sqlite(ws, {"id": "late" + str(id(svc)), "type": "debate",
                    "task": "walrus late", "status": "running",
                    "createdAt": "2026-01-13T10:00:00Z", "updatedAt": "2026-01-01T10:00:00Z"})
            """)
            page = svc.search_sessions("walrus", {"limit": 9, "sort": "newest",
                                                  "cursor": page["nextCursor"]})
        assert len(seen) == len(set(seen)) and {f"m{k:02}" for k in range(60)} <= set(seen)


def test_a_cursor_from_before_a_restore_is_refused(db_path: str, ws: str) -> None:
    with Service.open(db_path) as svc:
        for k in range(5):
            svc.create_session_sqlite(ws, with_words(f"s{k}", "otter"))
        backup = svc.create_backup(None)["path"]
        page = svc.search_sessions("otter", {"limit": 2})
        newest = svc.search_sessions("otter", {"limit": 2, "sort": "newest"})
        svc.restore_backup(backup)
        with pytest.raises(ValidationError, match="search again"):
            svc.search_sessions("otter", {"limit": 2, "cursor": page["nextCursor"]})
        with pytest.raises(ValidationError, match="search again"):
            svc.search_sessions("otter", {"limit": 2, "sort": "newest",
                                          "cursor": newest["nextCursor"]})
        assert len(ids(svc, "otter")) == 5  # a new search works


def test_relevance_ranks_within_the_newest_matches(db_path: str, ws: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Over ``WINDOW`` matches, only the most recently written are ranked: an old
    session that says the word most is left out, a rare word is ranked over all."""
    from ait42_session.derived import search

    monkeypatch.setattr(search, "WINDOW", 5)
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(ws, with_words("old", "moose " * 20 + "rareword"))
        for k in range(8):
            svc.create_session_sqlite(ws, with_words(f"n{k}", "moose"))
        assert set(ids(svc, "moose")) == {"n3", "n4", "n5", "n6", "n7"}
        assert ids(svc, "rareword") == ["old"]
        assert len(ids(svc, "moose", {"sort": "newest"})) == 9  # newest lists them all


def _derived(db: str) -> tuple[list[Any], list[Any]]:
    conn = sqlite3.connect(db)
    try:
        index = sorted(conn.execute(
            "SELECT d.session_id, f.task, f.output, f.branch, f.agent_name, f.chat"
            " FROM search_docs d JOIN search_fts f ON f.rowid = d.docid").fetchall())
        runs = sorted(conn.execute("SELECT * FROM insight_runs").fetchall())
        return index, runs
    finally:
        conn.close()


def test_the_catch_up_resumes_after_a_kill_at_any_point(db_path: str, ws: str,
                                                         tmp_path: Path) -> None:
    """Killed while it works through a backlog, again and again: the next process
    resumes, and the result equals a fresh rebuild (nothing missed, nothing twice)."""
    with Service.open(db_path, derived=False) as svc:
        rng = random.Random(7)
        for k in range(400):
            s = with_words(f"s{k}", " ".join(rng.choice(["ant", "bee", "cat", "dog"])
                                            for _ in range(30)), agent=f"a{k % 5}")
            svc.create_session_sqlite(ws, s)
        for k in range(0, 400, 3):
            svc.delete_session_sqlite(ws, f"s{k}")
    code = ("import sys; from ait42_session.faces.service import Service\n"
            "svc = Service.open(sys.argv[1], derived=False)\n"
            "print('go', flush=True)\n"
            "svc.run(svc.context.derived.run_until_current())\n")
    for delay in (0.05, 0.15, 0.3, 0.02, 0.4):
        child = subprocess.Popen([sys.executable, "-c", code, db_path],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert child.stdout is not None
        child.stdout.readline()
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    with Service.open(db_path, derived=False) as svc:
        svc.run(svc.context.derived.run_until_current())
        assert svc.verify_database_integrity() is True
    resumed = _derived(db_path)
    fresh = str(tmp_path / "fresh.db")
    shutil.copy(db_path, fresh)
    conn = sqlite3.connect(fresh)
    conn.execute("DELETE FROM search_fts")
    conn.execute("DELETE FROM search_docs")
    conn.execute("DELETE FROM insight_runs")
    conn.execute("UPDATE derived_position SET seq = 0")
    conn.commit()
    conn.close()
    with Service.open(fresh, derived=False) as svc:
        svc.run(svc.context.derived.run_until_current())
    rebuilt = _derived(fresh)
    assert len(resumed[0]) == 400 - 134 and len(resumed[1]) == 400 - 134
    assert resumed == rebuilt


@pytest.mark.parametrize(("damage", "found"), [
    ("UPDATE insight_runs SET lines_added = lines_added + 7 WHERE agent_name = 'a1'",
     ["s0", "s1", "s2"]),
    # the running totals (migration 13) out of step with the rows they sum
    ("UPDATE insight_groups SET wins = wins + 1 WHERE agent_name = 'a2'", ["s0", "s1", "s2"]),
    # an index row that says its session is archived when it is not (migration 14):
    # the search filters on the row
    ("UPDATE search_docs SET archived_at = '2026-01-01T00:00:00Z' WHERE session_id = 's1'",
     ["s0", "s2"]),
])
def test_verify_finds_derived_rows_out_of_step_and_optimize_rebuilds(
        db_path: str, ws: str, damage: str, found: list[str]) -> None:
    with Service.open(db_path) as svc:
        for k in range(3):
            svc.create_session_sqlite(ws, with_words(f"s{k}", "yak", agent=f"a{k}"))
        assert agents(svc) == {"a0": 1, "a1": 1, "a2": 1}
        with sqlite3.connect(db_path) as raw:
            raw.execute(damage)
        assert sorted(ids(svc, "yak")) == found
        assert svc.verify_database_integrity() is False
        svc.optimize_database()
        svc.build_search_index(1000)
        assert svc.verify_database_integrity() is True
        with sqlite3.connect(db_path) as raw:
            for derived, source in (
                    ("SELECT sum(lines_added) FROM insight_runs",
                     "SELECT sum(coalesce(lines_added, 0)) FROM instances"),
                    ("SELECT sum(wins) FROM insight_groups", "SELECT sum(won) FROM insight_runs"),
                    ("SELECT count(*) FROM search_docs WHERE archived_at IS NOT NULL", "SELECT 0")):
                assert raw.execute(derived).fetchone() == raw.execute(source).fetchone()
        assert sorted(ids(svc, "yak")) == ["s0", "s1", "s2"]
        assert agents(svc) == {"a0": 1, "a1": 1, "a2": 1}


def test_a_change_that_keeps_the_text_keeps_the_index_row(db_path: str, ws: str) -> None:
    """A status, an archive flag or updatedAt leaves the searchable text as it was:
    the catch-up updates the row's filters and keeps its number (no re-index);
    a change of the text gives the session a new, higher number."""
    def docid(sid: str) -> int:
        with sqlite3.connect(db_path) as raw:
            return int(raw.execute("SELECT docid FROM search_docs WHERE session_id = ?",
                                   (sid,)).fetchone()[0])

    with Service.open(db_path) as svc:
        svc.create_session_sqlite(ws, with_words("s1", "falcon"))
        svc.create_session_sqlite(ws, with_words("s2", "falcon"))
        assert ids(svc, "falcon") and docid("s1") < docid("s2")
        first = docid("s1")
        svc.update_instance_status_sqlite(ws, "s1", 0, "failed")
        session = svc.get_session_sqlite(ws, "s1")
        svc.update_session_sqlite(ws, dict(session, status="failed"))
        assert ids(svc, "falcon", {"status": "failed"}) == ["s1"]  # the row's filter moved
        assert docid("s1") == first
        svc.archive_session(ws, "s1", True)
        assert ids(svc, "falcon") == ["s2"]
        assert ids(svc, "falcon", {"archived": "only"}) == ["s1"] and docid("s1") == first
        svc.add_chat_message_sqlite(ws, "s1", {"id": "m", "role": "user", "content": "osprey",
                                               "timestamp": "2026-01-02T00:00:00Z"})
        assert ids(svc, "osprey", {"archived": "include"}) == ["s1"]
        assert docid("s1") > docid("s2")  # new text: a new, higher number
        assert svc.verify_database_integrity() is True


def test_a_bulk_backlog_answers_at_once_with_pending(db_path: str, ws: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catchup, "READ_BOUND", 10)
    with Service.open(db_path, derived=False) as svc:
        for k in range(25):
            svc.create_session_sqlite(ws, with_words(f"s{k}", "heron"))
        found = svc.search_sessions("heron", None)
        assert found["items"] == [] and found["pending"] == 25
        assert svc.get_insights(None)["pending"] == 25
        assert svc.build_search_index(20) == {"indexed": 20, "pending": 5}
        found = svc.search_sessions("heron", None)  # 5 left: caught up first
        assert len(found["items"]) == 25 and "pending" not in found


def test_the_background_catches_up_with_another_process(db_path: str, ws: str) -> None:
    """Nobody reads: the background alone brings the derived data up to date."""
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(ws, with_words("s0", "lynx"))
        other_process(db_path, """
            for k in range(1, 40):
                svc.create_session_sqlite(ws, {"id": f"s{k}", "type": "debate",
                    "task": "lynx", "status": "running",
                    "createdAt": "2026-01-13T10:00:00Z", "updatedAt": "2026-01-13T10:00:00Z"})
        """)
        raw = sqlite3.connect(db_path)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            behind = raw.execute("SELECT count(*) FROM session_changes WHERE seq >"
                                 " (SELECT seq FROM derived_position)").fetchone()[0]
            if behind == 0:
                break
            time.sleep(0.05)
        assert behind == 0
        assert raw.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 40
        raw.close()
        assert json.dumps(svc.get_insights(None)).count("pending") == 0
