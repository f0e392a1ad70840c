"""Issue 18, defect 9: in dual storage, streamed output and a restore from the trash
reach the JSON file too, so the two stores stay in step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.shape.errors import SessionError

from .conftest import make_session


def _in_file(sessions_dir: Path, session_id: str) -> dict[str, Any] | None:
    [path] = sessions_dir.iterdir()
    found = [s for s in json.loads(path.read_text()) if s["id"] == session_id]
    return found[0] if found else None


def _in_step(bridge: Bridge) -> None:
    report = bridge.check_consistency()
    assert report["totals"]["different"] == 0, report
    assert report["totals"]["missingInJson"] == 0, report
    assert report["totals"]["missingInDatabase"] == 0, report


def test_appended_output_reaches_the_json_file(bridge: Bridge, workspace: str,
                                               sessions_dir: Path) -> None:
    bridge.set_storage_mode("dual")
    bridge.create_session(workspace, make_session("s1"))
    before = bridge.get_session(workspace, "s1")["instances"][1].get("output", "")
    assert bridge.append_instance_output(workspace, "s1", 1, "héllo ")["outputLength"] \
        == len(before) + 6
    bridge.append_instance_output(workspace, "s1", 1, "wörld\x00!")
    stored = bridge.get_session(workspace, "s1")
    on_disk = _in_file(sessions_dir, "s1")
    assert on_disk is not None
    assert on_disk["instances"][1]["output"] == stored["instances"][1]["output"] \
        == before + "héllo wörld\x00!"
    assert on_disk["updatedAt"] == stored["updatedAt"]
    _in_step(bridge)


def test_a_failed_append_writes_neither_store(bridge: Bridge, workspace: str,
                                              sessions_dir: Path) -> None:
    bridge.set_storage_mode("dual")
    bridge.create_session(workspace, make_session("s1"))
    [path] = sessions_dir.iterdir()
    text = path.read_text()
    with pytest.raises(SessionError) as caught:
        bridge.append_instance_output(workspace, "s1", 99, "x")
    assert caught.value.code == "NOT_FOUND"
    assert path.read_text() == text


def test_a_restored_session_reaches_the_json_file(bridge: Bridge, workspace: str,
                                                  sessions_dir: Path) -> None:
    bridge.set_storage_mode("dual")
    bridge.create_session(workspace, make_session("s1"))
    bridge.create_session(workspace, make_session("s2"))
    bridge.delete_session(workspace, "s1")
    assert _in_file(sessions_dir, "s1") is None
    restored = bridge.restore_session(workspace, "s1")
    on_disk = _in_file(sessions_dir, "s1")
    assert on_disk is not None and on_disk["task"] == restored["task"]
    _in_step(bridge)
    with pytest.raises(SessionError) as caught:
        bridge.restore_session(workspace, "s1")  # nothing left in the trash
    assert caught.value.code == "NOT_FOUND"
    assert bridge.check_consistency()["dualWriteEvents"]["total"] == 0
