"""The welcome's sample history: a made-up history in its own database, never in the person's.

A window of its own on an empty database: the welcome offers the sample; opening
it shows a board of made-up sessions under a banner that stays on every view;
"Back to my database" returns to the (still empty) person's database and its
welcome. What the person's database holds is compared, before and after, through
a second Bridge on the same file; the sample's own file is read the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces import sample
from ait42_session.faces.bridge import Bridge
from tests.conftest import make_session

from . import ui
from .conftest import RemotePage, WindowData, open_window


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

pytestmark = pytest.mark.window

BANNER = """(function(){var b=document.getElementById('sample-banner');
var r=b.getBoundingClientRect();
return {hidden:b.hidden, top:r.top, bottom:r.bottom, left:r.left, right:r.right,
 width:window.innerWidth, text:b.textContent.replace(/\\s+/g,' '),
 shown:!b.hidden && r.height > 0 && getComputedStyle(b).visibility === 'visible'};})()"""


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RemotePage, WindowData]]:
    root = tmp_path_factory.mktemp("sample-history")
    (root / "home" / ".ait42" / "sessions").mkdir(parents=True)
    (root / "data").mkdir()
    data = WindowData(str(root / "data" / "sessions.db"), "", "", root / "home", [])
    page = open_window(data)
    try:
        yield page, data
    finally:
        page.close()


def own_state(data: WindowData) -> dict[str, Any]:
    """Everything of the person's that the sample must leave as it was."""
    with Bridge.open(data.db) as bridge:
        stats = bridge.get_database_stats()
        return {
            "stats": {k: stats.get(k) for k in ("sessionCount", "instanceCount", "messageCount",
                                                "trashedSessionCount", "archivedSessionCount")},
            "workspaces": bridge.list_workspaces(),
            "trash": bridge.list_trash(None),
            "mode": bridge.get_storage_mode(),
            "backups": bridge.list_backups(),
            "legacy": sorted(p.name for p in (data.home / ".ait42" / "sessions").iterdir()),
        }


def test_the_sample_history_opens_from_the_welcome_and_never_touches_the_persons_data(
        empty: tuple[RemotePage, WindowData]) -> None:
    page, data = empty
    assert page.js("document.documentElement.dataset.view") == "welcome"
    assert page.js(BANNER)["hidden"] is True
    before = own_state(data)
    assert before["stats"]["sessionCount"] == 0

    page.click("#welcome-sample")
    page.wait_for("document.documentElement.dataset.sample === 'true'"
                  " && document.documentElement.dataset.ready === 'true'"
                  " && document.documentElement.dataset.view === 'board'", 60)
    page.wait_idle(30)
    # The board shows the sample's busiest workspace, with its made-up sessions.
    assert page.js("document.documentElement.dataset.workspace") == sample.WORKSPACES[0]
    shown = int(page.js("document.getElementById('board').dataset.count"))
    total = int(page.js("document.getElementById('board').dataset.total"))
    assert shown > 50 and total >= shown
    statuses = set(page.attr_list("#board .card", "data-status"))
    assert "round_2" in statuses and "completed" in statuses
    assert page.js("document.getElementById('errors').childElementCount") == 0, \
        page.text("#errors")

    # The live view follows the sample now: a session written into its file by
    # another program shows up on the board (no reload, nothing missed).
    sample_db = str(Path(data.db).parent / "sample" / "sessions.db")
    fresh = make_session("live-in-the-sample", updated=_now())
    with Bridge.open(sample_db) as bridge:
        bridge.create_session_sqlite(sample.WORKSPACES[0], fresh)
    page.wait_for("document.querySelector('#board .card[data-session-id=\"live-in-the-sample\"]')"
                  " !== null", 20)
    total += 1

    # The banner says what this is on every view, in full view under the top bar.
    for view in ("board", "insights", "database", "import", "trash"):
        page.run(ui.show_view(view))
        banner = page.js(BANNER)
        assert banner["shown"], (view, banner)
        assert "Sample history — not your data" in banner["text"]
        assert sample_db in banner["text"]
        assert 0 < banner["top"] < 200 and banner["left"] >= 0
        assert banner["right"] <= banner["width"]
    assert page.text("#db-path") == sample_db  # the Database view is the sample's
    page.run(ui.show_view("board"))
    first = page.attr_list("#board .card", "data-session-id")[0]
    page.run(ui.open_session(first))
    assert page.js(BANNER)["shown"]

    # A change made in the sample stays in the sample's own file.
    workspace = json.dumps(sample.WORKSPACES[0])
    page.run(f"await window.pywebview.api.archive_session({workspace}, {json.dumps(first)}, true);")
    with Bridge.open(sample_db) as bridge:
        assert bridge.get_session_sqlite(sample.WORKSPACES[0], first)["archivedAt"]
    # Its storage mode and legacy folder are its own: no write reaches ~/.ait42/sessions.
    assert page.run("return await window.pywebview.api.get_storage_mode();") == {
        "mode": "sqlite", "sessionsDir": str(Path(data.db).parent / "sample" / "sessions")}
    assert own_state(data) == before

    # Back: the person's database, still empty, so the welcome again; no banner.
    page.run(ui.show_view("board"))
    page.click("#sample-leave")
    page.wait_for("!document.documentElement.dataset.sample"
                  " && document.documentElement.dataset.ready === 'true'"
                  " && document.documentElement.dataset.view === 'welcome'", 60)
    assert page.js(BANNER)["hidden"] is True
    assert own_state(data) == before
    page.wait_for("document.getElementById('welcome-legacy').dataset.state === 'none'", 30)
    # The sample's workspaces are not among the person's remembered ones.
    remembered = page.js("[localStorage.getItem('ait42.workspace'),"
                         " localStorage.getItem('ait42.recentWorkspaces')]")
    assert not any(value and "/sample/" in value for value in remembered), remembered
    assert page.js("document.documentElement.dataset.workspace") is None

    # Opened again, it is the same sample (not made anew), archived session and all.
    page.click("#welcome-sample")
    page.wait_for("document.documentElement.dataset.sample === 'true'"
                  " && document.documentElement.dataset.ready === 'true'", 60)
    page.wait_idle(30)
    assert int(page.js("document.getElementById('board').dataset.total")) == total - 1
    page.click("#sample-leave")
    page.wait_for("!document.documentElement.dataset.sample"
                  " && document.documentElement.dataset.ready === 'true'", 60)
    assert own_state(data) == before
