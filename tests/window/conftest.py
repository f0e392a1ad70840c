"""Fixtures that open the real window headless and drive the real page.

One window serves a whole test module (Qt WebEngine starts in about a second,
but pywebview can start only once per process): ``tests/window/host.py`` holds
it in a child process on a temporary database seeded through the Bridge, and
each test sends JavaScript to it, which the host's driver thread runs in the
page with ``window.evaluate_js``. Changes the page makes are checked through a
second Bridge on the same file.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge

from . import ui
from .driver import JsError

ROOT = Path(__file__).resolve().parents[2]
XSS = '<img src=x onerror="window.__pwned=1">'
START_TIMEOUT = 90.0
# A window test's limit (pytest-timeout): the first test of a module also pays
# for starting the window (twice START_TIMEOUT at worst) and seeding its data.
WINDOW_TEST_TIMEOUT = 2 * START_TIMEOUT + 120


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Window tests get WINDOW_TEST_TIMEOUT unless they set their own."""
    for item in items:
        if item.get_closest_marker("window") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(WINDOW_TEST_TIMEOUT))


def headless_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", QTWEBENGINE_DISABLE_SANDBOX="1", QT_API="pyqt6",
               HOME=str(home))
    env.pop("AIT42_DB", None)
    return env


def _session(sid: str, type_: str, status: str, task: str, *, instances: int = 2,
             messages: int = 2, files: int = 5, minutes_ago: int = 10,
             output: str | None = None, content: str | None = None) -> dict[str, Any]:
    t = time.time() - minutes_ago * 60
    updated = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t - 3600))
    return {
        "id": sid, "type": type_, "task": task, "status": status,
        "createdAt": created, "updatedAt": updated, "model": "sonnet",
        "totalDuration": 600 + files * 60, "totalFilesChanged": files,
        "totalLinesAdded": files * 10, "totalLinesDeleted": files * 2,
        "runtimeMix": ["claude"], "evaluation": {"kept": True},
        "instances": [{
            "instanceId": i, "worktreePath": f"/repo/.worktrees/{sid}-{i}",
            "branch": f"feature/{sid}-{i}", "agentName": f"agent-{i}", "status": "running",
            "tmuxSessionId": f"ait42-{sid}-{i}",
            "output": output if output is not None else f"output of {sid} instance {i}\nline 2",
            "filesChanged": i + 1, "linesAdded": 10 * (i + 1), "linesDeleted": i,
            "runtime": "claude", "runtimeLabel": "Claude", "testsPassed": True,
        } for i in range(instances)],
        "chatHistory": [{
            "id": f"{sid}-m{k}", "role": "user" if k % 2 == 0 else "assistant",
            "content": content if content is not None else f"message {k} of {sid}",
            "timestamp": f"2026-01-13T10:{k:02d}:00Z",
        } for k in range(messages)],
    }


def seed_sessions() -> list[dict[str, Any]]:
    """The main workspace's sessions; each mutating test has a session of its own."""
    return [
        _session("s-run-1", "competition", "running", "Implement login flow", files=3,
                 minutes_ago=1),
        _session("s-run-2", "ensemble", "running", "Refactor database layer", files=12,
                 minutes_ago=2),
        _session("s-done-1", "debate", "completed", "Write release notes", files=1,
                 minutes_ago=3),
        _session("s-done-2", "competition", "completed", "Add search to the login page",
                 files=30, minutes_ago=4),
        _session("s-fail-1", "ensemble", "failed", "Port legacy store", files=8, minutes_ago=5),
        _session("s-pause-1", "debate", "paused", "Evaluate caching strategies", files=2,
                 minutes_ago=6),
        _session("s-chat", "competition", "completed", "Chat target session", instances=3,
                 messages=3, files=4, minutes_ago=7),
        _session("s-status", "ensemble", "running", "Status target session", files=6,
                 minutes_ago=8),
        _session("s-delete", "debate", "failed", "Session to delete", files=7, minutes_ago=9),
        _session("s-gone", "debate", "paused", "Session deleted behind the page's back",
                 files=9, minutes_ago=10),
        _session("s-xss", "competition", "failed", XSS, output=f"before {XSS} after",
                 content=XSS, files=11, minutes_ago=11),
        _session("s-link", "ensemble", "completed", "Session with a link",
                 output="docs at https://example.com/docs?q=1 for details", files=13,
                 minutes_ago=12),
    ]


@dataclass
class WindowData:
    db: str
    workspace: str
    other_workspace: str
    home: Path
    session_ids: list[str]


@pytest.fixture(scope="session")
def window_data(tmp_path_factory: pytest.TempPathFactory) -> WindowData:
    root = tmp_path_factory.mktemp("window")
    ws = root / "repo-main"
    ws2 = root / "repo-other"
    ws.mkdir()
    ws2.mkdir()
    home = root / "home"
    home.mkdir()
    db = str(root / "data" / "sessions.db")
    sessions = seed_sessions()
    with Bridge.open(db) as bridge:
        for s in (_session("w2-a", "debate", "completed", "Other workspace session", files=1),
                  _session("w2-b", "ensemble", "running", "Another one elsewhere", files=2)):
            bridge.create_session_sqlite(str(ws2), s)
        for s in sessions:
            bridge.create_session_sqlite(str(ws), s)
    return WindowData(db, str(ws), str(ws2), home, [s["id"] for s in sessions])


class RemotePage:
    """The page in the host's window; the same calls as ``driver.Page``."""

    def __init__(self, conn: Connection, proc: subprocess.Popen[bytes]) -> None:
        self.conn = conn
        self.proc = proc
        self.report: dict[str, Any] | None = None

    def _ask(self, *request: Any, timeout: float = 60.0) -> Any:
        self.conn.send(request)
        if not self.conn.poll(timeout):
            raise TimeoutError(f"the window host did not answer {request[0]!r}")
        reply = self.conn.recv()
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "js-error":
            raise JsError(reply[1], reply[2], reply[3])
        raise RuntimeError(f"window host: {reply[1]}: {reply[2]}")

    def js(self, script: str) -> Any:
        return self._ask("js", script)

    def run(self, body: str, timeout: float = 15.0) -> Any:
        return self._ask("run", body, timeout, timeout=timeout + 30)

    def wait_for(self, condition: str, timeout: float = 15.0) -> Any:
        return self._ask("wait", condition, timeout, timeout=timeout + 30)

    def wait_idle(self, timeout: float = 15.0) -> None:
        self.wait_for("document.documentElement.dataset.ready === 'true'"
                      " && (document.documentElement.dataset.busy || '0') === '0'", timeout)

    def opened_urls(self) -> list[str]:
        result: list[str] = self._ask("opened")
        return result

    def grab(self, path: str) -> None:
        self._ask("grab", path)

    def resize(self, width: int, height: int) -> None:
        """Resize the window; returns once the page sees about that size."""
        self._ask("resize", width, height)

    # conveniences for the DOM

    def click(self, selector: str) -> None:
        found = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                        f"if(!e)return false;e.click();return true;}})()")
        assert found, f"nothing to click at {selector}"

    def set_value(self, selector: str, value: str, event: str = "change") -> None:
        found = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                        f"if(!e)return false;e.value={json.dumps(value)};"
                        f"e.dispatchEvent(new Event({json.dumps(event)},{{bubbles:true}}));"
                        f"return true;}})()")
        assert found, f"no field at {selector}"

    def text(self, selector: str) -> str | None:
        result: str | None = self.js(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});"
            f"return e?e.textContent:null;}})()")
        return result

    def texts(self, selector: str) -> list[str]:
        result: list[str] = self.js(
            f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
            f".map(function(e){{return e.textContent;}})")
        return result

    def attr_list(self, selector: str, attribute: str) -> list[str]:
        result: list[str] = self.js(
            f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
            f".map(function(e){{return e.getAttribute({json.dumps(attribute)});}})")
        return result

    def close(self, timeout: float = 30.0) -> dict[str, Any]:
        """Close the window; the host's report of how it went."""
        if self.report is not None:
            return self.report
        self.conn.send(("quit",))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.conn.poll(deadline - time.monotonic()):
            reply = self.conn.recv()
            if reply[0] == "closed":
                self.report = reply[1]
                break
        self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        self.conn.close()
        return self.report or {}


def open_window(data: WindowData, extra_env: dict[str, str] | None = None) -> RemotePage:
    """Start the host process with the real window on ``data.db``; wait for the page."""
    authkey = secrets.token_bytes(16)
    listener = Listener(("127.0.0.1", 0), authkey=authkey)
    host, port = listener.address
    env = headless_env(data.home)
    env.update(extra_env or {})
    env["AIT42_TEST_AUTHKEY"] = authkey.hex()
    log = open(Path(data.db).parent / f"host-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "tests.window.host", host, str(port), data.db],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    accepted: list[Connection] = []
    acceptor = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    acceptor.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not accepted and proc.poll() is None and time.monotonic() < deadline:
        acceptor.join(0.05)
    listener.close()
    if not accepted:
        proc.kill()
        raise RuntimeError("the window host did not connect; see " + log.name)
    conn = accepted[0]
    if not conn.poll(START_TIMEOUT):
        proc.kill()
        raise RuntimeError("the window did not come up; see " + log.name)
    first = conn.recv()
    if first[0] != "ready":
        proc.wait(10)
        raise RuntimeError(f"the window failed to start: {first}; see {log.name}")
    return RemotePage(conn, proc)


@pytest.fixture(scope="module")
def window(window_data: WindowData) -> Iterator[RemotePage]:
    page = open_window(window_data)
    try:
        page.run(ui.choose_workspace(window_data.workspace))
        page.wait_idle()
        yield page
    finally:
        page.close()


RESET = """
const dialog = document.getElementById('confirm-dialog');
if (dialog.open) document.getElementById('confirm-cancel').click();
document.getElementById('workspace-menu').hidden = true;
document.getElementById('errors').replaceChildren();
localStorage.removeItem('ait42.pageSize');
for (const [id, value] of [['filter-text', ''], ['filter-type', ''], ['filter-status', ''],
                           ['sort', 'updated'], ['filter-archived', 'exclude']]) {
  document.getElementById(id).value = value;
}
"""


@pytest.fixture
def page(window: RemotePage, window_data: WindowData) -> RemotePage:
    """The shared window, back on the board of the main workspace with no filters."""
    window.run(RESET)
    window.run(ui.choose_workspace(window_data.workspace))
    window.run(ui.show_view("board"))
    window.wait_idle()
    return window


@pytest.fixture(scope="session")
def check(window_data: WindowData) -> Iterator[Bridge]:
    """A second bridge on the window's database, to see what the page stored."""
    with Bridge.open(window_data.db) as bridge:
        yield bridge
