"""Shared fixtures: a temporary home, a migrated database, sample sessions."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ait42_session.faces.bridge import Bridge

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], what: str, *, timeout: float = 60.0,
               interval: float = 0.01) -> T:
    """Call ``check`` until it returns something true and return that; fail the
    test, naming ``what`` was awaited, once ``timeout`` seconds have passed.

    Every polling loop of the tests goes through here, so none can spin forever
    (pytest-timeout is the backstop, this the clear message).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def import_finished(bridge: Bridge, job_id: str, *, timeout: float = 120.0,
                    seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Poll ``get_import_status`` until the job stops running; its last status.

    ``seen`` collects the statuses read while it was still running.
    """
    def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = bridge.get_import_status(job_id)
        if status["state"] != "running":
            return status
        if seen is not None:
            seen.append(status)
        return None

    return wait_until(finished, f"import job {job_id} to finish", timeout=timeout,
                      interval=0.005)


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test ever touches the real user's ~/.ait42."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("AIT42_DB", raising=False)
    return home


@pytest.fixture
def sessions_dir(_private_home: Path) -> Path:
    """The legacy JSON folder under the temporary home."""
    return _private_home / ".ait42" / "sessions"


def fill_disk(path: Path) -> None:
    """Write zeros to ``path`` until its file system is full to the last block."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def run_threads(target: Callable[[int], object], count: int) -> list[BaseException]:
    """Run ``target(k)`` on ``count`` threads at once; what they raised."""
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            target(k)
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount a small tmpfs (``tmpfs("2m")``) for a full-disk test; skip where not allowed."""
    mounts: list[Path] = []

    def mount(size: str) -> Path:
        target = tmp_path / f"small{len(mounts)}"
        target.mkdir()
        if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("a full disk needs a tmpfs mount, which needs root")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounts.append(target)
        return target

    yield mount
    for target in mounts:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "data" / "sessions.db")


@pytest.fixture
def bridge(db_path: str) -> Iterator[Bridge]:
    with Bridge.open(db_path) as b:
        yield b


@pytest.fixture
def workspace(tmp_path: Path) -> str:
    path = tmp_path / "repo"
    path.mkdir()
    return str(path)


FIXTURE: dict[str, Any] = {
    "id": "fixture_session_1", "type": "competition", "task": "Implement login",
    "status": "completed", "createdAt": "2026-01-13T10:00:00Z",
    "updatedAt": "2026-01-13T12:30:00Z", "completedAt": "2026-01-13T12:30:00Z",
    "model": "sonnet", "timeoutSeconds": 1800, "preserveWorktrees": False,
    "winnerId": 0, "runtimeMix": ["claude", "codex"], "totalDuration": 9000,
    "totalFilesChanged": 15, "totalLinesAdded": 320, "totalLinesDeleted": 85,
    "instances": [{
        "instanceId": 0, "worktreePath": "/repo/.worktrees/a0", "branch": "feature/a0",
        "agentName": "backend-developer", "status": "completed", "tmuxSessionId": "ait42-a0",
        "output": "all tests pass", "startTime": "2026-01-13T10:00:00Z",
        "endTime": "2026-01-13T12:00:00Z", "filesChanged": 8, "linesAdded": 180,
        "linesDeleted": 45, "runtime": "claude", "model": "sonnet", "runtimeLabel": "Claude",
    }],
    "chatHistory": [{"id": "msg_1", "role": "user", "content": "Use JWT",
                     "timestamp": "2026-01-13T10:00:00Z", "instanceId": 0}],
}


def make_session(session_id: str = "s1", *, instances: int = 2, messages: int = 2,
                 updated: str = "2026-01-13T12:30:00Z", **fields: Any) -> dict[str, Any]:
    """A valid session in the legacy shape, with the given number of children."""
    s = copy.deepcopy(FIXTURE)
    s.update(id=session_id, updatedAt=updated)
    base_inst = s["instances"][0]
    s["instances"] = [dict(base_inst, instanceId=i, branch=f"feature/{session_id}-{i}",
                           tmuxSessionId=f"ait42-{session_id}-{i}") for i in range(instances)]
    s["chatHistory"] = [{"id": f"msg_{i}", "role": "user" if i % 2 == 0 else "assistant",
                         "content": f"message {i}", "timestamp": f"2026-01-13T10:{i:02d}:00Z"}
                        for i in range(messages)]
    s.update(fields)
    return s


@pytest.fixture
def session() -> dict[str, Any]:
    return make_session()


def file_size(path: str) -> int:
    return os.path.getsize(path) if os.path.exists(path) else 0
