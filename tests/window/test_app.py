"""The window's life: it says why it cannot start, it opens, closing it closes the bridge."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ait42_session.faces import app
from ait42_session.faces.bridge import Bridge

from .conftest import WindowData, _session, headless_env, open_window

pytestmark = pytest.mark.window


def no_display_env(home: Path) -> dict[str, str]:
    env = headless_env(home)
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(key, None)
    return env


def test_display_problem() -> None:
    assert app.display_problem({}, "linux")
    assert app.display_problem({"DISPLAY": ":0"}, "linux") is None
    assert app.display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert app.display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert app.display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert app.display_problem({}, "darwin") is None


def test_page_is_served_by_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = Path(app.index_path())
    assert index.is_absolute() and index.name == "index.html" and index.parent.name == "frontend"
    monkeypatch.setenv("AIT42_FRONTEND", str(tmp_path))
    with pytest.raises(app.WindowUnavailable, match=r"index\.html"):
        app.frontend_dir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    assert app.frontend_dir() == tmp_path.resolve()


def test_without_a_display_it_says_so_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    done = subprocess.run([sys.executable, "-m", "ait42_session", "--db", str(db)],
                          env=no_display_env(tmp_path), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no display" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0]
    assert "Xvfb" in lines[0]


def test_without_qt_webengine_it_says_so_in_one_line(tmp_path: Path) -> None:
    script = ("import sys; sys.modules['PyQt6.QtWebEngineWidgets'] = None\n"
              "from ait42_session.faces.cli import main\n"
              f"sys.exit(main(['--db', {str(tmp_path / 's.db')!r}]))\n")
    done = subprocess.run([sys.executable, "-c", script], env=headless_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Qt WebEngine cannot be loaded" in lines[0]


def test_a_window_that_fails_to_start_leaves_its_traceback_in_the_log(tmp_path: Path) -> None:
    """Qt or pywebview failing as the window is made: one line on the terminal
    naming the log file beside the database, which holds the traceback."""
    db = tmp_path / "s.db"
    script = ("import sys\n"
              "from ait42_session.faces import app\n"
              "def broken(*_a, **_k): raise RuntimeError('the web view broke')\n"
              "app.create_window = broken\n"
              f"sys.exit(app.run_window({str(db)!r}))\n")
    done = subprocess.run([sys.executable, "-c", script], env=headless_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    log_file = tmp_path / "logs" / "ait42-session.log"
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "the window failed to start (RuntimeError: the web view broke)" in lines[0]
    assert f"details in {log_file}" in lines[0]
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "the web view broke" in text


def test_the_command_opens_the_window_and_closes_the_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "s.db"
    env = headless_env(tmp_path)
    env["PYWEBVIEW_LOG"] = "debug"
    proc = subprocess.Popen([sys.executable, "-m", "ait42_session", "--db", str(db)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        for line in proc.stderr:
            seen.append(line)
            if "loaded event fired" in line or time.monotonic() > deadline:
                break
        assert any("loaded event fired" in line for line in seen), "".join(seen[-20:])
        assert any("qt" in line.lower() for line in seen)
        proc.send_signal(signal.SIGINT)  # pywebview quits the Qt loop on SIGINT
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert db.exists()
    with Bridge.open(str(db)) as bridge:
        assert bridge.verify_database_integrity() is True


def test_closing_the_window_closes_the_bridge_and_auto_theme_follows_the_system(
        tmp_path: Path) -> None:
    ws = tmp_path / "repo"
    ws.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    db = str(tmp_path / "data" / "s.db")
    with Bridge.open(db) as bridge:
        bridge.create_session_sqlite(str(ws), _session("only", "debate", "running", "One"))
    # Chromium's switch for the system's colour preference (offscreen Qt has no theme)
    dark = {"QTWEBENGINE_CHROMIUM_FLAGS": "--blink-settings=preferredColorScheme=0"}
    page = open_window(WindowData(db, str(ws), str(ws), home, ["only"]), dark)
    try:
        page.wait_idle()
        assert page.attr_list("#board .card", "data-session-id") == ["only"]
        assert page.js("matchMedia('(prefers-color-scheme: dark)').matches") is True
        assert page.js("document.getElementById('theme-select').value") == "auto"
        assert page.js("getComputedStyle(document.body).backgroundColor") == "rgb(17, 19, 24)"
    finally:
        report = page.close()
    assert report == {"bridge_closed": True, "failure": None}
    assert page.proc.returncode == 0
    with Bridge.open(db) as bridge:
        assert bridge.verify_database_integrity() is True
