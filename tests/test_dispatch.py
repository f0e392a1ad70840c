"""What pywebview's dispatcher can reach on a Bridge: the commands, nothing else.

These tests drive pywebview's own dispatch code (``webview.util``) against a
real Bridge and a real ``webview.Window`` that is never shown; only the page
side (``evaluate_js``/``run_js``) is replaced by a recorder, since there is no
page here. The real-window suite repeats the check from page JavaScript.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import webview
from webview import util

from ait42_session.faces.bridge import COMMANDS, Bridge

from .conftest import make_session, wait_until

ATTACKS = [
    "_anything.method",
    "_repo.db.close",
    "_loop.stop",
    "_metrics.record",
    "_sealed.clear",
    "close",
    "open",
    "consistency_report",
    "__class__.open",
    "__init__",
    "__getattribute__",
    "__setattr__",
    "__dict__.clear",
    "__class__.__init__",
    "create_session_sqlite.__func__.__globals__.clear",
    "create_session_sqlite.__self__.close",
    "create_session_sqlite.__func__._fn.__self__.close",
    "get_metrics.__func__.__call__",
    "get_database_stats.__func__",
    "verify_database_integrity.__func__",
    "delete_session_sqlite.__self__.__class__",
    "verify_database_integrity.__globals__.clear",
]


class Page:
    """Records what pywebview would run in the page."""

    def __init__(self) -> None:
        self.scripts: list[str] = []
        self.event = threading.Event()

    def evaluate_js(self, script: str, *args: Any, **kwargs: Any) -> None:
        self.scripts.append(script)
        self.event.set()


@pytest.fixture
def window(bridge: Bridge) -> Iterator[tuple[Any, Page]]:
    win = webview.create_window("dispatch test", html="<p></p>", js_api=bridge)
    assert win is not None
    page = Page()
    win.evaluate_js = page.evaluate_js  # type: ignore[method-assign]
    win.run_js = page.evaluate_js  # type: ignore[method-assign]
    try:
        yield win, page
    finally:
        webview.windows.remove(win)


def dispatch(win: Any, page: Page, name: str, params: list[Any]) -> dict[str, Any] | None:
    """Call like page JS does; return the settled value, or None if nothing settled."""
    page.scripts.clear()
    page.event.clear()
    util.js_bridge_call(win, name, params, "id1")
    if not page.event.wait(5 if name in COMMANDS else 0.3):
        return None
    script = page.scripts[-1]
    payload = script[script.index("]({") + 2: script.rindex(")")]
    value = payload[payload.index("'") + 1: payload.rindex("'")]
    decoded: Any = json.loads(value.replace("\\'", "'").replace("\\\\", "\\"))
    return {"isError": "isError: true" in payload, "value": decoded}


def test_listing_is_exactly_the_commands(window: tuple[Any, Page]) -> None:
    win, page = window
    win.js_api_endpoint = None  # set by a started GUI; this window never starts
    util.inject_pywebview("qt", win)
    # pywebview runs its own script first, then the one listing the functions
    # ('"func"' entries): wait for that one, not for the first.
    wait_until(lambda: any('"func"' in s for s in page.scripts),
               "pywebview to list the commands", timeout=30, interval=0.05)
    finish = next(s for s in page.scripts if '"func"' in s)
    listed = json.loads(finish[finish.index("[{"): finish.rindex("}]") + 2])
    assert sorted(f["func"] for f in listed) == sorted(COMMANDS)


@pytest.mark.parametrize("path", ATTACKS)
def test_private_and_dunder_paths_are_refused(window: tuple[Any, Page], bridge: Bridge,
                                              workspace: str, path: str) -> None:
    win, page = window
    bridge.create_session_sqlite(workspace, make_session())
    for params in ([], ["x"], [workspace, "s1"]):
        settled = dispatch(win, page, path, params)
        # Either pywebview finds nothing ("does not exist", never settles), or it
        # finds a command's sealed callable, which refuses a call without its token.
        refused = settled is None or (
            settled["isError"] and settled["value"]["message"] == "not a command")
        assert refused, f"{path} reached Python: {settled}"
    # the bridge still works and lost nothing
    settled = dispatch(win, page, "get_session_sqlite", [workspace, "s1"])
    assert settled is not None and not settled["isError"]
    assert settled["value"]["id"] == "s1"
    assert bridge.get_database_stats()["sessionCount"] == 1


def test_commands_settle_with_results_and_named_errors(window: tuple[Any, Page],
                                                       workspace: str) -> None:
    win, page = window
    created = dispatch(win, page, "create_session_sqlite", [workspace, make_session()])
    assert created is not None and created["value"]["id"] == "s1"
    missing = dispatch(win, page, "get_session_sqlite", [workspace, "nope"])
    assert missing is not None and missing["isError"]
    assert missing["value"]["name"] == "NotFoundError"
    assert "no session 'nope'" in missing["value"]["message"]
    short = dispatch(win, page, "get_session_sqlite", [workspace])
    assert short is not None and short["value"]["name"] == "ValidationError"
