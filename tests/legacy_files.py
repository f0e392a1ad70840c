"""Legacy session files as the shell writes and reads them (for the phase 2 tests).

``write_shell_file`` writes what the shell's ``save_sessions`` writes
(serde_json's ``to_string_pretty``: a JSON array, two-space indent, every
optional field present, ``null`` when unset). ``legacy_read`` is the shell's
``load_sessions``: a missing or blank file is no sessions, anything else must
deserialize into its structs (required fields present with the right types,
optionals ``null`` or typed, ``instances`` and ``chatHistory`` present, unsigned
integers non-negative); unknown fields are ignored.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from ait42_session.shape.workspace import legacy_hash

from .conftest import make_session

_U32 = (0, 2**32 - 1)
_U64 = (0, 2**64 - 1)

SESSION_FIELDS: dict[str, tuple[str, bool]] = {  # name: (type, required)
    "id": ("str", True), "type": ("str", True), "task": ("str", True),
    "status": ("str", True), "createdAt": ("str", True), "updatedAt": ("str", True),
    "completedAt": ("str", False), "instances": ("list", True), "chatHistory": ("list", True),
    "model": ("str", False), "timeoutSeconds": ("u32", False),
    "preserveWorktrees": ("bool", False), "winnerId": ("u32", False),
    "runtimeMix": ("strlist", False), "totalDuration": ("u64", False),
    "totalFilesChanged": ("u32", False), "totalLinesAdded": ("u32", False),
    "totalLinesDeleted": ("u32", False),
}
INSTANCE_FIELDS: dict[str, tuple[str, bool]] = {
    "instanceId": ("u32", True), "worktreePath": ("str", True), "branch": ("str", True),
    "agentName": ("str", True), "status": ("str", True), "tmuxSessionId": ("str", True),
    "output": ("str", False), "startTime": ("str", False), "endTime": ("str", False),
    "filesChanged": ("u32", False), "linesAdded": ("u32", False),
    "linesDeleted": ("u32", False), "runtime": ("str", False), "model": ("str", False),
    "runtimeLabel": ("str", False),
}
MESSAGE_FIELDS: dict[str, tuple[str, bool]] = {
    "id": ("str", True), "role": ("str", True), "content": ("str", True),
    "timestamp": ("str", True), "instanceId": ("u32", False),
}


def _check(value: Any, fields: dict[str, tuple[str, bool]], where: str) -> None:
    assert isinstance(value, dict), f"{where}: not an object"
    for name, (kind, required) in fields.items():
        if name not in value:
            assert not required, f"{where}: missing field `{name}`"
            continue
        v = value[name]
        if v is None:
            assert not required, f"{where}: `{name}` is null"
            continue
        if kind == "str":
            ok = isinstance(v, str)
        elif kind == "bool":
            ok = isinstance(v, bool)
        elif kind == "list":
            ok = isinstance(v, list)
        elif kind == "strlist":
            ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
        else:
            lo, hi = _U32 if kind == "u32" else _U64
            ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        assert ok, f"{where}: `{name}` = {v!r} is not a {kind}"


def legacy_read(path: Path) -> list[dict[str, Any]]:
    """The shell's load_sessions: the file's sessions, or an AssertionError saying why not."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return []
    sessions = json.loads(text)
    assert isinstance(sessions, list), f"{path}: not a JSON array"
    for i, s in enumerate(sessions):
        _check(s, SESSION_FIELDS, f"{path.name}[{i}]")
        for j, inst in enumerate(s["instances"]):
            _check(inst, INSTANCE_FIELDS, f"{path.name}[{i}].instances[{j}]")
        for j, msg in enumerate(s["chatHistory"]):
            _check(msg, MESSAGE_FIELDS, f"{path.name}[{i}].chatHistory[{j}]")
    return sessions


def shell_form(session: dict[str, Any]) -> dict[str, Any]:
    """The session with every optional field present (``null`` when unset), as serde writes."""
    out = copy.deepcopy(session)
    for name in SESSION_FIELDS:
        out.setdefault(name, [] if name in ("instances", "chatHistory") else None)
    for inst in out["instances"]:
        for name in INSTANCE_FIELDS:
            inst.setdefault(name, None)
    for msg in out["chatHistory"]:
        for name in MESSAGE_FIELDS:
            msg.setdefault(name, None)
    return out


def shell_text(sessions: list[dict[str, Any]]) -> str:
    """serde_json::to_string_pretty of the sessions."""
    return json.dumps(sessions, indent=2, ensure_ascii=False)


def write_shell_file(folder: Path, workspace_path: str, sessions: list[Any]) -> Path:
    """Write a workspace's file the way the shell does; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{legacy_hash(workspace_path)}.json"
    path.write_text(shell_text(sessions), encoding="utf-8")
    return path


def worktree_session(session_id: str, workspace_path: str, **fields: Any) -> dict[str, Any]:
    """A valid session whose instances live in ``workspace_path``/.worktrees."""
    s = make_session(session_id, **fields)
    for inst in s["instances"]:
        inst["worktreePath"] = f"{workspace_path}/.worktrees/{session_id}-{inst['instanceId']}"
    return s
