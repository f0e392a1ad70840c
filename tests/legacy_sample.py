"""Legacy files as the shell writes them, generated: for tests, benchmarks and screenshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ait42_session.shape.workspace import legacy_hash

Json = dict[str, Any]


def legacy_session(n: int, ws_path: str, *, instances: int, messages: int,
                   output_chars: int = 200) -> Json:
    """A session as the shell writes it: every optional present, ``null`` when unset."""
    sid = f"session_{n:06d}"
    return {
        "id": sid, "type": ("competition", "ensemble", "debate")[n % 3],
        "task": f"Task {n}: implement feature {n % 97}", "status": "completed",
        "createdAt": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00Z",
        "updatedAt": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T12:{n % 60:02d}:00.{n % 1000:03d}Z",
        "completedAt": None if n % 5 == 0 else "2025-06-01T12:00:00Z",
        "instances": [{
            "instanceId": i, "worktreePath": f"{ws_path}/.worktrees/{sid}-{i}",
            "branch": f"feature/{sid}-{i}", "agentName": "backend-developer",
            "status": "completed", "tmuxSessionId": f"ait42-{sid}-{i}",
            "output": ("x" * output_chars) if i % 2 == 0 else None,
            "startTime": "2025-06-01T10:00:00Z", "endTime": None,
            "filesChanged": i + 1, "linesAdded": 10 * i, "linesDeleted": None,
            "runtime": "claude", "model": "sonnet", "runtimeLabel": "Claude",
            **({"testsPassed": True} if i == 0 else {}),
        } for i in range(instances)],
        "chatHistory": [{
            "id": f"msg_{j}", "role": ("user", "assistant", "system")[j % 3],
            "content": f"message {j} of session {n}", "timestamp":
                f"2025-06-01T10:{j // 60 % 60:02d}:{j % 60:02d}Z",
            "instanceId": None if j % 4 else 0,
        } for j in range(messages)],
        "model": "sonnet", "timeoutSeconds": 1800, "preserveWorktrees": False,
        "winnerId": 0 if n % 2 else None, "runtimeMix": ["claude", "codex"],
        "totalDuration": 9000 + n, "totalFilesChanged": 15, "totalLinesAdded": 320,
        "totalLinesDeleted": 85, "evaluation": {"score": n % 10, "notes": None},
    }


def write_legacy_folder(folder: Path, *, sessions: int, files: int, instances: int = 3,
                        messages: int = 10, root: str = "/bench") -> list[str]:
    """Write ``files`` workspace files holding ``sessions`` sessions; return the workspaces."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [f"{root}/workspace-{k:03d}" for k in range(files)]
    per = -(-sessions // files)
    for k, ws_path in enumerate(paths):
        chunk = [legacy_session(n, ws_path, instances=instances, messages=messages)
                 for n in range(k * per, min(sessions, (k + 1) * per))]
        (folder / f"{legacy_hash(ws_path)}.json").write_text(
            json.dumps(chunk, indent=2, ensure_ascii=False), encoding="utf-8")
    return paths


