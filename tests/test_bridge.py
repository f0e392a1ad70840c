"""The contract's commands through the real Bridge on a real SQLite file."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import COMMANDS, Bridge
from ait42_session.shape.errors import (
    ConflictError,
    DatabaseError,
    NotFoundError,
    ValidationError,
)
from ait42_session.shape.timestamps import parse_timestamp

from .conftest import FIXTURE, make_session


def test_fixture_round_trips_exactly(bridge: Bridge, workspace: str) -> None:
    stored = bridge.create_session_sqlite(workspace, copy.deepcopy(FIXTURE))
    assert stored == FIXTURE
    assert bridge.get_session_sqlite(workspace, FIXTURE["id"]) == FIXTURE


def test_unknown_fields_and_nulls_inside_them_come_back(bridge: Bridge, workspace: str) -> None:
    s = make_session(evaluation={"scores": [1, 2], "notes": None}, integrationPhase="merge",
                     integrationInstanceId=None)
    s["instances"][0]["testsPassed"] = False
    s["chatHistory"][1]["attachments"] = [{"kind": "diff", "size": 3}]
    bridge.create_session_sqlite(workspace, s)
    got = bridge.get_session_sqlite(workspace, "s1")
    assert got["evaluation"] == {"scores": [1, 2], "notes": None}
    assert got["integrationPhase"] == "merge"
    assert "integrationInstanceId" in got and got["integrationInstanceId"] is None
    assert got["instances"][0]["testsPassed"] is False
    assert got["chatHistory"][1]["attachments"] == [{"kind": "diff", "size": 3}]
    assert got == s


def test_absent_and_null_optionals_come_back_absent(bridge: Bridge, workspace: str) -> None:
    s = make_session(instances=1, messages=1)
    for key in ("completedAt", "model", "winnerId", "runtimeMix", "totalDuration"):
        del s[key]
    s["timeoutSeconds"] = None
    s["instances"][0]["output"] = None
    got = bridge.create_session_sqlite(workspace, s)
    for key in ("completedAt", "model", "winnerId", "runtimeMix", "totalDuration",
                "timeoutSeconds"):
        assert got.get(key) is None
    assert got["instances"][0].get("output") is None
    assert bridge.get_session_sqlite(workspace, "s1") == got


def test_children_are_ordered(bridge: Bridge, workspace: str) -> None:
    s = make_session(instances=0, messages=0)
    base = FIXTURE["instances"][0]
    s["instances"] = [dict(base, instanceId=i) for i in (2, 0, 1)]
    s["chatHistory"] = [
        {"id": "late", "role": "user", "content": "c", "timestamp": "2026-01-13T11:00:00Z"},
        {"id": "tie-a", "role": "user", "content": "a", "timestamp": "2026-01-13T10:00:00Z"},
        # same instant written another way: ties keep the order added
        {"id": "tie-b", "role": "user", "content": "b",
         "timestamp": "2026-01-13T12:00:00+02:00"},
        {"id": "early", "role": "system", "content": "e", "timestamp": "2026-01-13T09:00:00Z"},
    ]
    created = bridge.create_session_sqlite(workspace, s)
    got = bridge.get_session_sqlite(workspace, "s1")
    assert created == got
    assert [i["instanceId"] for i in got["instances"]] == [0, 1, 2]
    assert [m["id"] for m in got["chatHistory"]] == ["early", "tie-a", "tie-b", "late"]


def test_get_all_is_newest_updated_first(bridge: Bridge, workspace: str) -> None:
    stamps = ["2026-01-10T00:00:00Z", "2026-01-12T00:00:00Z", "2026-01-11T23:00:00-05:00"]
    for i, stamp in enumerate(stamps):
        bridge.create_session_sqlite(workspace, make_session(f"s{i}", updated=stamp))
    assert [s["id"] for s in bridge.get_all_sessions_sqlite(workspace)] == ["s2", "s1", "s0"]
    bridge.add_chat_message_sqlite(workspace, "s0", {
        "id": "new", "role": "user", "content": "bump", "timestamp": "2026-01-01T00:00:00Z"})
    all_sessions = bridge.get_all_sessions_sqlite(workspace)
    assert [s["id"] for s in all_sessions] == ["s0", "s2", "s1"]
    assert all_sessions[0]["chatHistory"][0]["id"] == "new"
    assert len(all_sessions[1]["instances"]) == 2


def test_blank_path_lists_nothing_but_other_commands_refuse_it(bridge: Bridge) -> None:
    assert bridge.get_all_sessions_sqlite("") == []
    assert bridge.get_all_sessions_sqlite("   ") == []
    calls: list[Callable[[], object]] = [
        lambda: bridge.get_session_sqlite("", "s1"),
        lambda: bridge.create_session_sqlite("", make_session()),
        lambda: bridge.delete_session_sqlite(" ", "s1")]
    for call in calls:
        with pytest.raises(ValidationError):
            call()


def test_workspaces_are_separate(bridge: Bridge, workspace: str, tmp_path: Any) -> None:
    bridge.create_session_sqlite(workspace, make_session())
    other = str(tmp_path / "other")
    with pytest.raises(NotFoundError):
        bridge.get_session_sqlite(other, "s1")
    with pytest.raises(NotFoundError):
        bridge.delete_session_sqlite(other, "s1")
    with pytest.raises(NotFoundError):
        bridge.update_session_sqlite(other, make_session())
    assert bridge.get_all_sessions_sqlite(other) == []
    # trailing slash and a symlink name the same workspace
    link = tmp_path / "link"
    link.symlink_to(workspace)
    assert bridge.get_session_sqlite(workspace + "/", "s1")["id"] == "s1"
    assert bridge.get_session_sqlite(str(link), "s1")["id"] == "s1"


def test_update_replaces_whole_session(bridge: Bridge, workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session(instances=3, messages=4))
    changed = make_session(instances=1, messages=1, status="failed", task="Renamed")
    changed["instances"][0]["output"] = "new output"
    stored = bridge.update_session_sqlite(workspace, changed)
    assert stored == bridge.get_session_sqlite(workspace, "s1") == changed
    stats = bridge.get_database_stats()
    assert (stats["instanceCount"], stats["messageCount"]) == (1, 1)


def test_update_of_missing_session_is_not_found(bridge: Bridge, workspace: str) -> None:
    with pytest.raises(NotFoundError, match="no session 's1'"):
        bridge.update_session_sqlite(workspace, make_session())


def test_create_twice_is_conflict_and_changes_nothing(bridge: Bridge, workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session())
    again = make_session(task="Other task", instances=5)
    with pytest.raises(ConflictError) as err:
        bridge.create_session_sqlite(workspace, again)
    assert err.value.code == "CONFLICT"
    assert bridge.get_session_sqlite(workspace, "s1") == make_session()
    assert bridge.get_database_stats()["instanceCount"] == 2


def test_an_id_taken_in_another_workspace_says_so(bridge: Bridge, workspace: str,
                                                  tmp_path: Path) -> None:
    """Issue 9, defect 10: 'use update_session_sqlite' would answer NOT_FOUND there."""
    other = tmp_path / "other"
    other.mkdir()
    bridge.create_session_sqlite(workspace, make_session())
    with pytest.raises(ConflictError, match="another workspace") as err:
        bridge.create_session_sqlite(str(other), make_session())
    assert workspace in str(err.value) and "update_session_sqlite" not in str(err.value)
    with pytest.raises(ConflictError, match="use update_session_sqlite"):
        bridge.create_session_sqlite(workspace, make_session())
    assert bridge.get_all_sessions_sqlite(str(other)) == []


def test_add_chat_message(bridge: Bridge, workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session(messages=2))
    msg = {"id": "m9", "role": "assistant", "content": "Done", "timestamp":
           "2026-01-13T10:00:30Z", "instanceId": 1, "tokens": 12}
    after = bridge.add_chat_message_sqlite(workspace, "s1", msg)
    assert [m["id"] for m in after["chatHistory"]] == ["msg_0", "m9", "msg_1"]
    assert after["chatHistory"][1] == msg
    assert after == bridge.get_session_sqlite(workspace, "s1")
    updated = parse_timestamp(after["updatedAt"])
    assert updated > parse_timestamp("2026-06-01T00:00:00Z")
    assert after["updatedAt"].endswith("Z")
    with pytest.raises(ConflictError, match="m9"):
        bridge.add_chat_message_sqlite(workspace, "s1", msg)
    with pytest.raises(NotFoundError):
        bridge.add_chat_message_sqlite(workspace, "nope", dict(msg, id="m10"))
    with pytest.raises(ValidationError, match="role"):
        bridge.add_chat_message_sqlite(workspace, "s1", dict(msg, id="m11", role="bot"))
    assert len(bridge.get_session_sqlite(workspace, "s1")["chatHistory"]) == 3


def test_message_ids_are_per_session(bridge: Bridge, workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session("a"))
    bridge.create_session_sqlite(workspace, make_session("b"))  # both hold msg_0, msg_1
    assert bridge.get_database_stats()["messageCount"] == 4


def test_update_instance_status(bridge: Bridge, workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session(instances=2))
    after = bridge.update_instance_status_sqlite(workspace, "s1", 1, "archived")
    assert [i["status"] for i in after["instances"]] == ["completed", "archived"]
    assert parse_timestamp(after["updatedAt"]) > parse_timestamp("2026-06-01T00:00:00Z")
    before = bridge.get_session_sqlite(workspace, "s1")
    with pytest.raises(NotFoundError, match="no instance 7"):
        bridge.update_instance_status_sqlite(workspace, "s1", 7, "idle")
    with pytest.raises(ValidationError, match="idle, running"):
        bridge.update_instance_status_sqlite(workspace, "s1", 1, "sleeping")
    with pytest.raises(ValidationError):
        bridge.update_instance_status_sqlite(workspace, "s1", "1", "idle")
    with pytest.raises(NotFoundError):
        bridge.update_instance_status_sqlite(workspace, "missing", 1, "idle")
    assert bridge.get_session_sqlite(workspace, "s1") == before  # failed calls changed nothing


def test_delete_removes_children(bridge: Bridge, workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session("a", instances=3, messages=5))
    bridge.create_session_sqlite(workspace, make_session("b", instances=1, messages=1))
    assert bridge.delete_session_sqlite(workspace, "a") is None
    stats = bridge.get_database_stats()
    assert (stats["sessionCount"], stats["instanceCount"], stats["messageCount"]) == (1, 1, 1)
    with pytest.raises(NotFoundError):
        bridge.get_session_sqlite(workspace, "a")
    with pytest.raises(NotFoundError):
        bridge.delete_session_sqlite(workspace, "a")


def test_stats_optimize_verify(bridge: Bridge, workspace: str, db_path: str) -> None:
    big = "x" * 200_000
    for i in range(20):
        s = make_session(f"s{i}")
        s["instances"][0]["output"] = big
        bridge.create_session_sqlite(workspace, s)
    full = bridge.get_database_stats()
    assert full["sessionCount"] == 20 and full["instanceCount"] == 40
    assert full["messageCount"] == 40 and full["databasePath"] == os.path.realpath(db_path)
    for i in range(20):
        bridge.delete_session_sqlite(workspace, f"s{i}")
    bridge.purge_trash(None, None)  # the trash keeps them until purged
    assert bridge.optimize_database() is None
    after = bridge.get_database_stats()
    # incremental auto-vacuum gives the deleted outputs' pages back to the file system
    assert after["databaseSizeBytes"] < full["databaseSizeBytes"] // 4
    assert os.path.getsize(db_path) < 1_000_000
    assert after["walSizeBytes"] == 0
    assert bridge.verify_database_integrity() is True


def test_list_workspaces(bridge: Bridge, workspace: str, tmp_path: Any) -> None:
    other = str(tmp_path / "other-repo")
    bridge.create_session_sqlite(workspace, make_session("a"))
    bridge.create_session_sqlite(workspace, make_session("b"))
    bridge.create_session_sqlite(other, make_session("c"))
    listed = bridge.list_workspaces()
    assert [(w["path"], w["sessionCount"]) for w in listed] == [(other, 1), (workspace, 2)]
    assert all(len(w["workspaceHash"]) == 16 for w in listed)


def test_list_workspaces_says_each_ones_last_activity(bridge: Bridge, workspace: str,
                                                      tmp_path: Any) -> None:
    """``lastActivity``: the newest session's updatedAt by time, not by text (an
    offset's text sorts after a UTC time it precedes), archived ones included."""
    other, empty = str(tmp_path / "other-repo"), str(tmp_path / "emptied")
    bridge.create_session_sqlite(workspace, make_session("a", updated="2026-01-13T10:00:00Z"))
    bridge.create_session_sqlite(workspace, make_session(
        "b", updated="2026-01-13T12:00:00+09:00"))  # 03:00Z: older
    bridge.create_session_sqlite(other, make_session("c", updated="2026-02-01T08:00:00Z"))
    bridge.archive_session(other, "c", True)
    bridge.create_session_sqlite(empty, make_session("d"))
    bridge.delete_session_sqlite(empty, "d")
    listed = {w["path"]: w for w in bridge.list_workspaces()}
    assert listed[workspace]["lastActivity"] == "2026-01-13T10:00:00Z"
    assert listed[other]["lastActivity"] == "2026-02-01T08:00:00Z"
    if empty in listed:
        assert listed[empty]["lastActivity"] is None


def test_summaries_filter_sort_and_page(bridge: Bridge, workspace: str) -> None:
    for i in range(25):
        s = make_session(f"s{i:02d}", updated=f"2026-01-13T10:{i:02d}:00Z",
                         status="running" if i % 2 else "completed",
                         type="debate" if i % 5 == 0 else "competition",
                         task=f"Task number {i}" + (" with 100% effort" if i == 7 else ""),
                         totalDuration=None if i % 4 == 0 else 1000 + (i * 37) % 11)
        s["instances"][0]["output"] = "secret output " * 100
        bridge.create_session_sqlite(workspace, s)
    page = bridge.list_session_summaries(workspace, {"limit": 10})
    assert page["total"] == 25
    assert [x["id"] for x in page["items"]] == [f"s{i:02d}" for i in range(24, 14, -1)]
    first = page["items"][0]
    assert first["instanceCount"] == 2 and first["messageCount"] == 2
    assert "instances" not in first and "chatHistory" not in first
    assert "secret output" not in repr(page)
    ids = [x["id"] for x in page["items"]]
    for _ in range(10):  # 25 sessions, 10 a page: a cursor that never ends fails
        if not page["nextCursor"]:
            break
        page = bridge.list_session_summaries(workspace, {"limit": 10,
                                                         "cursor": page["nextCursor"]})
        ids += [x["id"] for x in page["items"]]
    assert ids == [f"s{i:02d}" for i in range(24, -1, -1)]

    running = bridge.list_session_summaries(workspace, {"status": "running", "limit": 500})
    assert running["total"] == 12 and all(x["status"] == "running" for x in running["items"])
    debates = bridge.list_session_summaries(workspace, {"type": "debate"})
    assert sorted(x["id"] for x in debates["items"]) == ["s00", "s05", "s10", "s15", "s20"]
    assert [x["id"] for x in bridge.list_session_summaries(
        workspace, {"text": "100%"})["items"]] == ["s07"]
    assert bridge.list_session_summaries(workspace, {"text": "number 1"})["total"] == 11

    # duration sort with NULLs last, paged one by one, loses and repeats nothing
    seen, cursor = [], None
    for _ in range(30):  # 25 sessions, 3 a page: a cursor that never ends fails
        page = bridge.list_session_summaries(workspace, {"sort": "duration", "limit": 3,
                                                         "cursor": cursor})
        seen += [(x.get("totalDuration"), x["id"]) for x in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == 25 and len({i for _d, i in seen}) == 25
    durations = [d for d, _i in seen]
    assert durations[-7:] == [None] * 7
    assert durations[:18] == sorted(durations[:18], reverse=True)


@pytest.mark.parametrize("query", [
    {"status": "done"}, {"sort": "name"}, {"limit": 0}, {"limit": 501}, {"limit": "10"},
    {"cursor": "not-a-cursor"}, {"text": 5}, [1],
])
def test_summaries_reject_bad_queries(bridge: Bridge, workspace: str, query: Any) -> None:
    with pytest.raises(ValidationError):
        bridge.list_session_summaries(workspace, query)


def test_wrong_argument_count_is_a_validation_error(bridge: Bridge, workspace: str) -> None:
    with pytest.raises(ValidationError, match=r"takes 2 argument\(s\) \(workspace_path, "
                                               r"session_id\), got 1"):
        bridge.get_session_sqlite(workspace)


def test_metrics_count_calls_and_errors(bridge: Bridge, workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session())
    for _ in range(3):
        bridge.get_session_sqlite(workspace, "s1")
    with pytest.raises(NotFoundError):
        bridge.get_session_sqlite(workspace, "nope")
    with pytest.raises(ValidationError):
        bridge.get_session_sqlite(workspace, "")
    figures = bridge.get_metrics()["commands"]["get_session_sqlite"]
    assert figures["count"] == 5
    assert figures["errors"] == {"NOT_FOUND": 1, "VALIDATION": 1}
    assert 0 <= figures["p50Ms"] <= figures["p95Ms"] <= figures["p99Ms"]


def test_close_is_idempotent_and_then_commands_fail(db_path: str, workspace: str) -> None:
    bridge = Bridge.open(db_path)
    bridge.create_session_sqlite(workspace, make_session())
    bridge.close()
    assert not os.path.exists(db_path + "-wal")  # checkpointed and removed on close
    bridge.close()
    with pytest.raises(DatabaseError, match="closed"):
        bridge.get_session_sqlite(workspace, "s1")
    with Bridge.open(db_path) as again:
        assert again.get_session_sqlite(workspace, "s1")["id"] == "s1"
    assert not [t for t in threading.enumerate() if t.name == "ait42-session-loop"]


def test_public_surface_is_the_commands(bridge: Bridge) -> None:
    assert sorted(dir(bridge)) == sorted(COMMANDS)
    assert all(callable(getattr(bridge, c)) for c in COMMANDS)


def test_memory_database_works(workspace: str) -> None:
    with Bridge.open(":memory:") as b:
        b.create_session_sqlite(workspace, make_session())
        assert b.get_all_sessions_sqlite(workspace)[0]["id"] == "s1"
        assert b.verify_database_integrity()


def test_locked_past_the_busy_timeout_is_a_database_error(db_path: str, workspace: str) -> None:
    import sqlite3
    with Bridge.open(db_path, busy_timeout_ms=200) as bridge:
        bridge.create_session_sqlite(workspace, make_session("kept"))
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            with pytest.raises(DatabaseError, match="locked by another program") as err:
                bridge.create_session_sqlite(workspace, make_session("blocked"))
            assert err.value.code == "DATABASE"
            # reads go on while the other program writes (WAL)
            assert bridge.get_session_sqlite(workspace, "kept")["id"] == "kept"
        finally:
            other.execute("ROLLBACK")
            other.close()
        with pytest.raises(NotFoundError):
            bridge.get_session_sqlite(workspace, "blocked")
        assert bridge.create_session_sqlite(workspace, make_session("blocked"))["id"] == "blocked"


@pytest.mark.parametrize("content", [b"x", b"SQLite format 2\x00", b"\x00" * 50])
def test_short_or_foreign_file_is_refused_untouched(tmp_path: Any, content: bytes) -> None:
    path = tmp_path / "short.db"
    path.write_bytes(content)
    with pytest.raises(DatabaseError, match="not an ait42 session database"):
        Bridge.open(str(path))
    assert path.read_bytes() == content


def test_keyword_arguments_are_refused_clearly(bridge: Bridge, workspace: str) -> None:
    with pytest.raises(ValidationError, match="positional arguments only"):
        bridge.get_session_sqlite(workspace_path=workspace, session_id="s1")
