"""check-consistency: the JSON files against the database, field by field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.legacy.diff import field_diff
from ait42_session.shape.workspace import legacy_hash

from .conftest import make_session
from .legacy_files import legacy_read, shell_form, shell_text, write_shell_file
from .test_import import cli


@pytest.mark.parametrize("json_value, db_value, expected", [
    ({"a": 1}, {"a": 1}, []),
    ({"a": 1}, {"a": 2}, [{"field": "a", "json": 1, "database": 2}]),
    ({"a": 1}, {}, [{"field": "a", "json": 1, "database": "(absent)"}]),
    ({}, {"b": None}, [{"field": "b", "json": "(absent)", "database": None}]),
    ({"a": True}, {"a": 1}, [{"field": "a", "json": True, "database": 1}]),
    ({"instances": [{"instanceId": 0, "status": "idle"}, {"instanceId": 1, "status": "idle"}]},
     {"instances": [{"instanceId": 0, "status": "idle"}, {"instanceId": 1, "status": "failed"}]},
     [{"field": "instances[instanceId=1].status", "json": "idle", "database": "failed"}]),
    ({"chatHistory": [{"id": "m1", "content": "x"}]},
     {"chatHistory": [{"id": "m1", "content": "x"}, {"id": "m2", "content": "y"}]},
     [{"field": "chatHistory[id=m2]", "json": "(absent)",
       "database": {"id": "m2", "content": "y"}}]),
    ({"chatHistory": [{"id": "m1"}, {"id": "m2"}]}, {"chatHistory": [{"id": "m2"}, {"id": "m1"}]},
     [{"field": "chatHistory (order)", "json": ["m1", "m2"], "database": ["m2", "m1"]}]),
    ({"runtimeMix": ["a", "b"]}, {"runtimeMix": ["a", "c"]},
     [{"field": "runtimeMix[1]", "json": "b", "database": "c"}]),
    ({"output": "x" * 500}, {"output": "y"},
     [{"field": "output", "json": "x" * 200 + "... (500 characters)", "database": "y"}]),
])
def test_field_diff(json_value: Any, db_value: Any, expected: list[dict[str, Any]]) -> None:
    assert field_diff(json_value, db_value) == expected


def _import(db_path: str, folder: Path, *workspaces: str) -> None:
    args = [a for w in workspaces for a in ("--workspace", w)]
    out = cli(db_path, "import-json", str(folder), "--no-backup", *args)
    assert out.returncode == 0, out.stdout + out.stderr


def test_planted_differences_are_found_field_by_field(db_path: str, sessions_dir: Path,
                                                      workspace: str, tmp_path: Path) -> None:
    path = write_shell_file(sessions_dir, workspace,
                            [shell_form(make_session(f"s{i}")) for i in range(4)])
    other = write_shell_file(sessions_dir, str(tmp_path / "other"),
                             [shell_form(make_session("o1"))])
    _import(db_path, sessions_dir, workspace)
    assert cli(db_path, "check-consistency").returncode == 0

    sessions = json.loads(path.read_text(encoding="utf-8"))
    sessions[0]["task"] = "edited"
    sessions[0]["instances"][1]["status"] = "failed"
    sessions[1]["chatHistory"][0]["content"] = "rewritten"
    del sessions[2]  # missing in JSON
    sessions.append(shell_form(make_session("new_in_json")))  # missing in the database
    bad = shell_form(make_session("bad"))
    bad["type"] = "solo"
    sessions.append(bad)
    path.write_text(shell_text(sessions), encoding="utf-8")
    other.write_text("[", encoding="utf-8")

    out = cli(db_path, "check-consistency", "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert not report["ok"]
    ws = {w["workspaceHash"]: w for w in report["workspaces"]}
    mine = ws[legacy_hash(workspace)]
    assert mine["path"] == workspace and mine["same"] == 1
    different = {d["sessionId"]: d["fields"] for d in mine["different"]}
    assert different == {
        "s0": [{"field": "task", "json": "edited", "database": "Implement login"},
               {"field": "instances[instanceId=1].status", "json": "failed",
                "database": "completed"}],
        "s1": [{"field": "chatHistory[id=msg_0].content", "json": "rewritten",
                "database": "message 0"}],
    }
    assert mine["missingInJson"] == ["s2"]
    assert mine["missingInDatabase"] == [{"sessionId": "new_in_json",
                                          "inDatabaseUnderWorkspace": None}]
    [invalid] = mine["invalidInJson"]
    assert invalid["sessionId"] == "bad" and invalid["index"] == 4 and "type" in invalid["reason"]
    broken = ws[legacy_hash(str(tmp_path / "other"))]
    assert "not valid JSON" in broken["fileError"]
    assert broken["missingInJson"] == ["o1"]  # the file cannot show it
    assert report["totals"] == {"workspaces": 2, "sessionsInJson": 4, "sessionsInDatabase": 5,
                                "same": 1, "missingInDatabase": 1, "missingInJson": 2,
                                "different": 2, "invalidInJson": 2}
    text = cli(db_path, "check-consistency").stdout
    assert "    task: json='edited' database='Implement login'" in text
    assert "missing in JSON: s2" in text and "DIFFERENT" in text.splitlines()[-1]


def test_the_page_gets_the_same_report(bridge: Bridge, workspace: str,
                                       sessions_dir: Path, tmp_path: Path) -> None:
    bridge.create_session_sqlite(workspace, make_session("db_only"))
    write_shell_file(sessions_dir, str(tmp_path / "x"), [shell_form(make_session("moved"))])
    bridge.create_session_sqlite(str(tmp_path / "y"), make_session("moved"))
    report = bridge.check_consistency()
    json.dumps(report, allow_nan=False)
    ws = {w["workspaceHash"]: w for w in report["workspaces"]}
    assert ws[legacy_hash(workspace)]["jsonFile"] is None
    assert ws[legacy_hash(workspace)]["missingInJson"] == ["db_only"]
    assert ws[legacy_hash(str(tmp_path / "x"))]["missingInDatabase"] == [
        {"sessionId": "moved", "inDatabaseUnderWorkspace": legacy_hash(str(tmp_path / "y"))}]
    assert report["sessionsDir"] == str(sessions_dir)
    assert report["dualWriteEvents"]["total"] == 0


def test_dual_mode_then_a_hand_edit_is_found(bridge: Bridge, workspace: str,
                                             sessions_dir: Path) -> None:
    bridge.set_storage_mode("dual")
    bridge.create_session(workspace, make_session("s1"))
    bridge.add_chat_message(workspace, "s1", {"id": "m9", "role": "user", "content": "x",
                                              "timestamp": "2026-01-13T11:00:00Z"})
    assert bridge.check_consistency()["ok"]
    path = sessions_dir / f"{legacy_hash(workspace)}.json"
    sessions = legacy_read(path)
    sessions[0]["totalLinesAdded"] = 1
    path.write_text(shell_text(sessions), encoding="utf-8")
    [ws] = bridge.check_consistency()["workspaces"]
    assert ws["different"] == [{"sessionId": "s1", "fieldCount": 1, "fields": [
        {"field": "totalLinesAdded", "json": 1, "database": 320}]}]


def test_the_command_line_shows_progress_per_workspace(db_path: str, sessions_dir: Path,
                                                       tmp_path: Path) -> None:
    for n in range(3):
        write_shell_file(sessions_dir, str(tmp_path / f"ws{n}"),
                         [shell_form(make_session(f"w{n}s{i}")) for i in range(n + 1)])
    _import(db_path, sessions_dir)
    out = cli(db_path, "check-consistency")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stderr.splitlines()[-1].startswith("checked 3/3 workspaces, 6 sessions (")
