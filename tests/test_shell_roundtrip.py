"""Issue 18: the shell's own debate runner writes ``{hash}.json`` straight to disk
while a debate runs (``fs::write``, every ``Option`` as ``null``, status
``started``/``round_<n>``, instance statuses such as ``starting``); the page's
``get_all_sessions`` must still list every session of the workspace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge

from .conftest import make_session
from .legacy_files import shell_form, write_shell_file

Json = dict[str, Any]


def debate_runner_session(session_id: str, status: str) -> Json:
    """A session as ``ait42.rs``'s debate runner serializes it mid-run."""
    session = make_session(session_id, instances=3, messages=0, type="debate",
                           task=f"debate {session_id}", status=status)
    for key in ("completedAt", "model", "timeoutSeconds", "preserveWorktrees", "winnerId",
                "runtimeMix", "totalDuration", "totalFilesChanged", "totalLinesAdded",
                "totalLinesDeleted"):
        session[key] = None
    for k, inst in enumerate(session["instances"]):
        inst.update(status=("starting", "timeout", "error")[k], output=None, endTime=None,
                    filesChanged=None, linesAdded=None, linesDeleted=None, runtime=None,
                    model=None, runtimeLabel=None)
    return shell_form(session)


def test_a_debate_written_by_the_shell_is_listed_in_json_mode(
        bridge: Bridge, workspace: str, sessions_dir: Path) -> None:
    """Json mode (the default) was 'JsonError ... got round_1' for the whole workspace."""
    valid = [shell_form(make_session(f"ok{k}", updated=f"2026-01-13T12:3{k}:00Z"))
             for k in range(2)]
    debate = debate_runner_session("debate1", "round_1")
    write_shell_file(sessions_dir, workspace, [*valid, debate])
    listed = bridge.get_all_sessions(workspace)
    assert sorted(s["id"] for s in listed) == ["debate1", "ok0", "ok1"]
    [got] = [s for s in listed if s["id"] == "debate1"]
    assert got["status"] == "round_1"
    assert [i["status"] for i in got["instances"]] == ["starting", "timeout", "error"]
    assert "winnerId" not in got and "completedAt" not in got and "model" not in got
    assert all("output" not in i and "runtime" not in i for i in got["instances"])
    assert bridge.get_session(workspace, "debate1")["status"] == "round_1"
    # the shell goes on writing: started, then round_2; each is read as written
    for status in ("started", "round_2"):
        write_shell_file(sessions_dir, workspace,
                         [*valid, debate_runner_session("debate1", status)])
        assert {s["id"]: s["status"] for s in bridge.get_all_sessions(workspace)}["debate1"] \
            == status


def test_one_invalid_session_never_hides_the_valid_ones(
        bridge: Bridge, workspace: str, sessions_dir: Path) -> None:
    valid = shell_form(make_session("ok"))
    broken = shell_form(make_session("broken"))
    broken["type"] = "tournament"
    no_id = shell_form(make_session("x"))
    del no_id["id"]
    write_shell_file(sessions_dir, workspace, [broken, valid, no_id, "not a session"])
    assert [s["id"] for s in bridge.get_all_sessions(workspace)] == ["ok"]
    problems = bridge.check_consistency()
    text = json.dumps(problems)
    assert "broken" in text and "tournament" in text


@pytest.mark.parametrize("status", ["round_1", "started"])
def test_a_debate_written_by_the_shell_is_listed_in_dual_mode(
        bridge: Bridge, workspace: str, sessions_dir: Path, status: str) -> None:
    """Dual mode: the database never learnt of the shell's write (2 of 3 listed)."""
    bridge.set_storage_mode("dual")
    for k in range(2):
        bridge.create_session(workspace, make_session(f"ok{k}"))
    [path] = sessions_dir.iterdir()
    on_disk = json.loads(path.read_text())
    on_disk.append(debate_runner_session("debate1", status))
    path.write_text(json.dumps(on_disk, indent=2))  # the shell's fs::write
    listed = bridge.get_all_sessions(workspace)
    assert sorted(s["id"] for s in listed) == ["debate1", "ok0", "ok1"]
    [got] = [s for s in listed if s["id"] == "debate1"]
    assert got["status"] == status and "winnerId" not in got


def _events(bridge: Bridge) -> list[Json]:
    report = bridge.check_consistency()
    return [e for e in report["dualWriteEvents"]["events"]
            if e["command"] == "legacy_file_changed"]


def test_dual_mode_picks_up_each_change_and_records_disagreements(
        bridge: Bridge, workspace: str, sessions_dir: Path) -> None:
    bridge.set_storage_mode("dual")
    bridge.create_session(workspace, make_session("ok0"))
    [path] = sessions_dir.iterdir()
    on_disk = json.loads(path.read_text())
    for status in ("started", "round_1", "round_2", "completed"):  # same size, in a row
        path.write_text(json.dumps([*on_disk, debate_runner_session("debate1", status)]))
        assert bridge.get_session(workspace, "debate1")["status"] == status
    # newer in the file: the file's version replaces the database's, and it is recorded
    newer = dict(on_disk[0], task="changed by the shell", updatedAt="2026-02-01T00:00:00Z")
    path.write_text(json.dumps([newer]))
    assert bridge.get_session(workspace, "ok0")["task"] == "changed by the shell"
    [event] = [e for e in _events(bridge) if e["sessionId"] == "ok0"]
    assert event["kind"] == "difference" and event["databaseOutcome"] == "updated from the file"
    assert "task" in json.dumps(event["detail"])
    # older in the file: the database keeps its own, and says so
    older = dict(newer, task="stale", updatedAt="2020-01-01T00:00:00Z")
    path.write_text(json.dumps([older]))
    assert bridge.get_all_sessions(workspace)[0]["task"] == "changed by the shell"
    kept = next(e for e in _events(bridge) if e["sessionId"] == "ok0")
    assert kept["databaseOutcome"].startswith("kept")
    # an unreadable file never hides what the database has
    path.write_text("{not json")
    assert [s["id"] for s in bridge.get_all_sessions(workspace)][:1] == ["ok0"]
