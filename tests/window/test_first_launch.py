"""First launch: an empty database, the shell's legacy files in ~/.ait42/sessions.

A window of its own (an empty database, a HOME holding legacy files written by
tests/realistic.py): the welcome says what this is and how much legacy history
it found, its Import brings it in, and the board opens on the most recently
active workspace with its sessions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from ait42_session.faces.bridge import Bridge
from tests.realistic import WORKSPACES, write_legacy_folder

from .conftest import RemotePage, WindowData, open_window

pytestmark = pytest.mark.window


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RemotePage, WindowData]]:
    root = tmp_path_factory.mktemp("first-launch")
    home = root / "home"
    size = write_legacy_folder(home / ".ait42" / "sessions", sessions=120)
    assert size > 0
    (root / "data").mkdir()
    data = WindowData(str(root / "data" / "sessions.db"), "", "", home, [])
    page = open_window(data)
    try:
        yield page, data
    finally:
        page.close()


def test_welcome_then_import_lands_on_a_board(first: tuple[RemotePage, WindowData]) -> None:
    page, data = first
    assert page.js("document.documentElement.dataset.view") == "welcome"
    assert page.js("document.activeElement.id") == "welcome-title"
    assert "history of the AIT42 shell" in (page.text(".welcome-lead") or "").replace("\n", " ")
    page.wait_for("document.getElementById('welcome-legacy').dataset.state === 'found'", 30)
    text = page.text("#welcome-legacy-text") or ""
    assert "Found 120 sessions" in text and ".ait42/sessions" in text
    assert re.search(r"\(\d[\d.,]* (KB|MB)\)", text), text  # with its size
    assert page.text("#welcome-import") == "Import 120 sessions"
    with Bridge.open(data.db) as bridge:  # the look was a dry run: nothing written
        assert bridge.get_database_stats()["sessionCount"] == 0
    page.click("#welcome-import")
    page.wait_for("document.documentElement.dataset.view === 'board'"
                  " && document.documentElement.dataset.workspace", 60)
    page.wait_idle(30)
    with Bridge.open(data.db) as bridge:
        assert bridge.get_database_stats()["sessionCount"] == 120
        newest = {w: bridge.list_session_summaries(w, {"limit": 1})["items"]
                  for w in WORKSPACES}
    most_recent = max((items[0]["updatedAt"], w) for w, items in newest.items() if items)[1]
    assert page.js("document.documentElement.dataset.workspace") == most_recent
    assert int(page.js("document.getElementById('board').dataset.count")) > 0
    assert page.js("document.getElementById('errors').childElementCount") == 0
    # the shell still uses its JSON files: the page suggests moving on, switching nothing
    page.wait_for("document.getElementById('storage-dialog').open")
    assert "120 sessions are in the database now" in (page.text("#storage-dialog-text") or "")
    with Bridge.open(data.db) as bridge:
        assert bridge.get_storage_mode()["mode"] == "json"
    page.click("#storage-keep")
    page.wait_for("!document.getElementById('storage-dialog').open")
