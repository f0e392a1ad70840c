"""The sample history (``use_sample_history``): its own database, folder and legacy
files, and what it holds. The window's flow is tests/window/test_sample_history.py."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ait42_session.faces import sample
from ait42_session.faces.bridge import Bridge
from ait42_session.faces.service import Service
from ait42_session.shape.errors import SessionError

from .conftest import make_session, wait_until


def test_writes_while_the_sample_is_shown_reach_only_the_samples_files(
        bridge: Bridge, db_path: str, workspace: str, sessions_dir: Path) -> None:
    assert bridge.use_sample_history(None)["sample"] is False
    shown = bridge.use_sample_history(True)
    folder = Path(db_path).parent / "sample"
    assert shown == {"sample": True, "path": str(folder / "sessions.db"), "ownPath": db_path,
                     "samplePath": str(folder / "sessions.db")}
    assert bridge.get_database_stats()["databasePath"] == str(folder / "sessions.db")
    assert bridge.get_storage_mode() == {"mode": "sqlite", "sessionsDir": str(folder / "sessions")}
    # Every kind of write, routed or not, stays in the sample's files.
    bridge.create_session(workspace, make_session("mine-1"))
    bridge.create_session_sqlite(workspace, make_session("mine-2"))
    bridge.set_storage_mode("dual")
    bridge.create_session(workspace, make_session("mine-3"))
    bridge.create_backup(None)
    assert len(list((folder / "sessions").glob("*.json"))) == 1
    assert not sessions_dir.exists() or not list(sessions_dir.iterdir())
    assert list((folder / "backups").iterdir())
    assert not (Path(db_path).parent / "backups").exists()

    back = bridge.use_sample_history(False)
    assert back["sample"] is False and back["path"] == db_path
    stats = bridge.get_database_stats()
    assert stats["sessionCount"] == 0 and not stats["trashedSessionCount"]
    assert bridge.list_workspaces() == [] and bridge.get_storage_mode()["mode"] == "json"
    with pytest.raises(SessionError) as missing:
        bridge.get_session_sqlite(workspace, "mine-2")
    assert missing.value.code == "NOT_FOUND"

    # Shown again: the same sample, with what was written into it (not made anew).
    bridge.use_sample_history(True)
    assert bridge.get_session_sqlite(workspace, "mine-2")["id"] == "mine-2"


def test_the_sample_looks_like_a_real_history(bridge: Bridge) -> None:
    bridge.use_sample_history(True)
    stats = bridge.get_database_stats()
    assert stats["sessionCount"] + stats["trashedSessionCount"] == sample.SESSIONS
    assert stats["archivedSessionCount"] > 0 and stats["trashedSessionCount"] > 0
    assert {w["path"] for w in bridge.list_workspaces()} == set(sample.WORKSPACES)
    sessions = [s for ws in sample.WORKSPACES for s in bridge.get_all_sessions_sqlite(ws)]
    statuses = {s["status"] for s in sessions}
    assert {"completed", "failed", "paused"} <= statuses
    assert any(s.startswith("round_") for s in statuses)
    instance_statuses = {i["status"] for s in sessions for i in s["instances"]}
    assert {"completed", "failed", "timeout", "error", "running"} <= instance_statuses
    outputs = "".join(i["output"] for s in sessions[:20] for i in s["instances"])
    assert "\x1b[" in outputs and "認証" in outputs
    assert max(len(s["instances"]) for s in sessions) >= 5
    assert any(len(s["chatHistory"]) == 16 for s in sessions if s["type"] == "debate")


def test_the_choice_is_a_json_boolean_or_null(bridge: Bridge) -> None:
    wrong: object
    for wrong in ("yes", 1, {}):
        with pytest.raises(SessionError) as refused:
            bridge.use_sample_history(wrong)
        assert refused.value.code == "VALIDATION"
    assert bridge.use_sample_history(None)["sample"] is False


def test_an_in_memory_database_has_no_sample() -> None:
    with Bridge.open(":memory:") as memory:
        with pytest.raises(SessionError) as refused:
            memory.use_sample_history(True)
        assert refused.value.code == "VALIDATION"
        assert memory.use_sample_history(None) == {
            "sample": False, "path": ":memory:", "ownPath": ":memory:", "samplePath": None}


def test_a_switch_ends_the_live_wait_on_the_database_left(db_path: str) -> None:
    # The page's live view waits up to a minute on the database it shows; after a
    # switch it must wait on the other one, so the switch ends the old wait at once.
    with Service.open(db_path) as service:
        own = service.context
        token = service.changes_since(None, 0)["token"]
        answers: list[dict[str, object]] = []
        waiting = threading.Thread(
            target=lambda: answers.append(service.changes_since(token, 60_000)))
        waiting.start()
        # (the feed's count of waits: the switch must come once this one is waiting)
        wait_until(lambda: own.feed._waiting == 1 or None, "the wait to begin", timeout=10)
        service.use_sample_history(True)
        waiting.join(30)  # far below the wait's minute
        assert not waiting.is_alive()
        assert answers == [{"token": token, "changes": [], "reset": False}]
