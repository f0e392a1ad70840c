"""Issue 18, defect 29: each database's page state lands in ``window-profile/`` beside
it. pywebview's Qt backend reads its storage path when it is imported, so the
window's pre-flight (``load_qt``) and ``create_window`` must leave that import to
``webview.start``, which sets the path first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PyQt6.QtWebEngineWidgets")

_SCRIPT = r"""
import sys
from ait42_session.faces import app
from ait42_session.faces.bridge import Bridge
app.load_qt()
bridge = Bridge.open(sys.argv[1])
window = app.create_window(bridge, hidden=True)
assert "webview.platforms.qt" not in sys.modules, "the Qt backend was imported too early"
# What webview.start(storage_path=...) does before it imports the backend:
import webview
webview._state["storage_path"] = sys.argv[2]
import webview.platforms.qt as qt
print(qt._profile_storage_path)
bridge.close()
"""


def test_the_window_profile_lands_beside_the_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "sessions.db"
    profile = db.parent / "window-profile"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QTWEBENGINE_DISABLE_SANDBOX="1",
               QT_API="pyqt6")
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(db), str(profile)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == str(profile)
