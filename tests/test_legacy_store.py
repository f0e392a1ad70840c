"""The legacy JSON store (storage mode ``json``): the shell's files, written atomically."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.legacy.json_files import normalize
from ait42_session.legacy.json_store import JsonSessionStore, op_create, op_update
from ait42_session.shape.errors import (
    ConflictError,
    JsonError,
    NotFoundError,
    SessionError,
    ValidationError,
)
from ait42_session.shape.models import Session
from ait42_session.shape.workspace import legacy_hash, resolve

from .conftest import FIXTURE, make_session, run_threads
from .legacy_files import legacy_read, shell_form, write_shell_file


def _file(sessions_dir: Path, workspace: str) -> Path:
    return sessions_dir / f"{legacy_hash(workspace)}.json"


def test_default_mode_is_json_and_writes_the_shells_file(
        bridge: Bridge, workspace: str, sessions_dir: Path) -> None:
    assert bridge.get_storage_mode() == {"mode": "json", "sessionsDir": str(sessions_dir)}
    stored = bridge.create_session(workspace, make_session("s1", completedAt=None))
    path = _file(sessions_dir, workspace)
    text = path.read_text(encoding="utf-8")
    assert text.startswith('[\n  {\n    "id": "s1",')  # serde's to_string_pretty layout
    on_disk = legacy_read(path)
    assert [s["id"] for s in on_disk] == ["s1"]
    assert on_disk[0]["completedAt"] is None  # every optional written, null when unset
    assert "completedAt" not in stored
    assert bridge.get_session(workspace, "s1") == stored
    assert bridge.get_session_sqlite is not None
    with pytest.raises(NotFoundError):
        bridge.get_session_sqlite(workspace, "s1")  # json mode leaves the database alone


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<now>" if k == "updatedAt" else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def test_every_command_returns_what_its_sqlite_twin_returns(bridge: Bridge,
                                                           workspace: str) -> None:
    s = make_session("s1", evaluation={"score": 3, "notes": None}, integrationPhase=None)
    s["instances"][1]["testsPassed"] = False
    s["chatHistory"].reverse()  # stored in given order, returned in timestamp order
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("create_session", (workspace, s)),
        ("create_session", (workspace, make_session("s2", updated="2026-02-01T00:00:00Z"))),
        ("get_session", (workspace, "s1")),
        ("get_all_sessions", (workspace,)),
        ("add_chat_message", (workspace, "s1", {"id": "m9", "role": "system", "content": "x",
                                                "timestamp": "2026-01-13T09:00:00Z",
                                                "attachments": [1]})),
        ("update_instance_status", (workspace, "s1", 1, "archived")),
        ("update_session", (workspace, make_session("s2", task="changed", instances=0))),
        ("get_all_sessions", (workspace,)),
        ("delete_session", (workspace, "s2")),
        ("get_all_sessions", (workspace,)),
        ("get_all_sessions", ("",)),
    ]
    for name, args in calls:
        legacy = getattr(bridge, name)(*copy.deepcopy(args))
        twin = getattr(bridge, f"{name}_sqlite")(*copy.deepcopy(args))
        assert _mask(legacy) == _mask(twin), name


@pytest.mark.parametrize("call, error", [
    (lambda b, w: b.get_session(w, "nope"), NotFoundError),
    (lambda b, w: b.delete_session(w, "nope"), NotFoundError),
    (lambda b, w: b.update_session(w, make_session("nope")), NotFoundError),
    (lambda b, w: b.update_instance_status(w, "s1", 99, "failed"), NotFoundError),
    (lambda b, w: b.create_session(w, make_session("s1")), ConflictError),
    (lambda b, w: b.add_chat_message(w, "s1", {"id": "msg_0", "role": "user", "content": "x",
                                               "timestamp": "2026-01-13T10:00:00Z"}),
     ConflictError),
    (lambda b, w: b.create_session(" ", make_session("s9")), ValidationError),
    (lambda b, w: b.update_instance_status(w, "s1", 0, "weird"), ValidationError),
])
def test_failures_match_the_twins_and_change_nothing(bridge: Bridge, workspace: str,
                                                     sessions_dir: Path, call: Any,
                                                     error: type[SessionError]) -> None:
    bridge.create_session(workspace, make_session("s1"))
    before = _file(sessions_dir, workspace).read_bytes()
    with pytest.raises(error):
        call(bridge, workspace)
    assert _file(sessions_dir, workspace).read_bytes() == before


def test_sessions_a_command_does_not_touch_are_written_back_as_they_were(
        bridge: Bridge, workspace: str, sessions_dir: Path) -> None:
    odd = shell_form(make_session("odd", instances=1, messages=1))
    odd["futureField"] = {"nested": [None, 1.5, "ü"]}
    odd["instances"][0]["agent_name"] = "kept as an unknown field"
    untouched_raw = copy.deepcopy(odd)
    path = write_shell_file(sessions_dir, workspace,
                            [odd, shell_form(make_session("s2"))])
    bridge.update_instance_status(workspace, "s2", 0, "failed")
    on_disk = legacy_read(path)
    assert on_disk[0] == untouched_raw
    assert on_disk[1]["instances"][0]["status"] == "failed"
    # and the odd one reads back normalized, unknown fields kept
    got = bridge.get_session(workspace, "odd")
    assert got["futureField"] == {"nested": [None, 1.5, "ü"]}
    assert got["instances"][0]["agent_name"] == "kept as an unknown field"
    assert "output" in got["instances"][0] and "completedAt" in got


def test_other_workspaces_files_are_untouched(bridge: Bridge, workspace: str, tmp_path: Path,
                                              sessions_dir: Path) -> None:
    other = str(tmp_path / "other")
    other_file = write_shell_file(sessions_dir, other, [shell_form(make_session("x"))])
    os.utime(other_file, (1_000_000, 1_000_000))
    before = other_file.read_bytes()
    bridge.create_session(workspace, make_session("s1"))
    bridge.delete_session(workspace, "s1")
    assert other_file.read_bytes() == before
    assert other_file.stat().st_mtime == 1_000_000
    assert sorted(p.name for p in sessions_dir.iterdir()) == sorted(
        [other_file.name, _file(sessions_dir, workspace).name])  # no temporary files left


def test_a_file_it_cannot_parse_is_never_overwritten(bridge: Bridge, workspace: str,
                                                     sessions_dir: Path) -> None:
    path = _file(sessions_dir, workspace)
    path.parent.mkdir(parents=True)
    path.write_text('[{"id": "s1", "type": "competition"', encoding="utf-8")  # truncated
    with pytest.raises(JsonError, match=r"not valid JSON \(line 1"):
        bridge.create_session(workspace, make_session("s2"))
    with pytest.raises(JsonError):
        bridge.get_all_sessions(workspace)
    assert path.read_text(encoding="utf-8") == '[{"id": "s1", "type": "competition"'


def test_an_invalid_session_in_the_file_is_named_when_read(bridge: Bridge, workspace: str,
                                                           sessions_dir: Path) -> None:
    bad = shell_form(make_session("bad"))
    bad["status"] = "exploded"
    write_shell_file(sessions_dir, workspace, [shell_form(make_session("good")), bad])
    assert bridge.get_session(workspace, "good")["id"] == "good"
    with pytest.raises(JsonError, match=r"session 'bad' is invalid: .*status"):
        bridge.get_session(workspace, "bad")
    # the list never hides the valid ones for one bad session (issue 18)
    assert [s["id"] for s in bridge.get_all_sessions(workspace)] == ["good"]


def test_blank_or_missing_file_is_no_sessions(bridge: Bridge, workspace: str,
                                             sessions_dir: Path) -> None:
    assert bridge.get_all_sessions(workspace) == []
    path = _file(sessions_dir, workspace)
    path.parent.mkdir(parents=True)
    path.write_text("  \n", encoding="utf-8")
    assert bridge.get_all_sessions(workspace) == []
    bridge.create_session(workspace, make_session("s1"))
    assert [s["id"] for s in legacy_read(path)] == ["s1"]


def test_concurrent_commands_on_one_file_lose_nothing(bridge: Bridge, workspace: str,
                                                      sessions_dir: Path) -> None:
    bridge.create_session(workspace, make_session("s1", messages=0))

    def add(k: int) -> None:
        for j in range(10):
            bridge.add_chat_message(workspace, "s1", {
                "id": f"t{k}-{j}", "role": "user", "content": "x",
                "timestamp": f"2026-01-13T10:{k:02d}:{j:02d}Z"})

    errors = run_threads(add, 8)
    assert not errors
    on_disk = legacy_read(_file(sessions_dir, workspace))
    assert len(on_disk[0]["chatHistory"]) == 80


def test_store_undo_puts_the_previous_file_back(tmp_path: Path, workspace: str) -> None:
    store = JsonSessionStore(tmp_path / "sessions")
    ws = resolve(workspace)
    model = Session.model_validate(FIXTURE)
    store.apply(ws, op_create(ws, model))
    before = store.file_for(ws.hash).read_bytes()
    changed = Session.model_validate({**FIXTURE, "task": "changed"})
    _raw, undo = store.apply(ws, op_update(ws, changed))
    assert undo is not None and store.restore(undo)
    assert store.file_for(ws.hash).read_bytes() == before
    assert normalize(json.loads(before)[0]) == store.read_one(ws, model.id)


_WRITER = """
import sys
import time
from ait42_session.faces.bridge import Bridge
from ait42_session.shape.errors import ConflictError
sys.path.insert(0, sys.argv[3])
from tests.conftest import make_session
ws = sys.argv[2]
with Bridge.open(sys.argv[1]) as b:
    try:
        b.create_session(ws, make_session("big", instances=20, messages=50))
    except ConflictError:
        pass
    print("ready", flush=True)
    n = 0
    give_up = time.monotonic() + 120  # killed long before; never outlive a dead test
    while time.monotonic() < give_up:
        n += 1
        s = make_session("big", instances=20, messages=50, task="round %d" % n)
        for inst in s["instances"]:
            inst["output"] = "y" * 20000
        b.update_session(ws, s)
"""


def test_a_writer_killed_mid_write_leaves_a_whole_file(tmp_path: Path, workspace: str,
                                                       sessions_dir: Path) -> None:
    root = str(Path(__file__).resolve().parents[1])
    path = _file(sessions_dir, workspace)
    for round_ in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path / "k.db"), workspace, root],
            stdout=subprocess.PIPE, env={**os.environ})
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.05 + 0.07 * round_)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        sessions = legacy_read(path)  # parses: the old file or the new one, never half
        assert [s["id"] for s in sessions] == ["big"]
