"""Search in the real window: type a query, see marked excerpts, filter, open a hit at its match."""

from __future__ import annotations

import json

import pytest

from ait42_session.faces.bridge import Bridge

from .conftest import XSS, RemotePage, WindowData, _session

pytestmark = pytest.mark.window

SEARCH_DONE = ("document.getElementById('view-search').dataset.state === 'done' && "
               "document.getElementById('view-search').dataset.query === {query}")


def key(page: RemotePage, target: str, name: str, **mods: bool) -> None:
    page.js(f"{target}.dispatchEvent(new KeyboardEvent('keydown', "
            f"Object.assign({{key: {json.dumps(name)}, bubbles: true, cancelable: true}}, "
            f"{json.dumps(mods)})))")


def search(page: RemotePage, query: str) -> None:
    page.set_value("#search-input", query, "input")
    page.wait_for(SEARCH_DONE.format(query=json.dumps(query)))


def test_search_types_marks_filters_and_opens_a_hit(page: RemotePage, window_data: WindowData,
                                                     check: Bridge) -> None:
    s = _session("s-q1", "debate", "failed", f"Quasar report {XSS}", messages=3)
    s["instances"][1]["output"] = ("step 1 ok\nstep 2 ok\n\x1b[31mthe quasar migration FAILED "
                                   "at step 7\x1b[0m\nstep 8 skipped")
    s["chatHistory"][2]["content"] = "why did the quasar step fail?"
    check.create_session_sqlite(window_data.other_workspace, s)

    # "/" focuses the field from anywhere but a text field; Ctrl+K too
    key(page, "document.body", "/")
    assert page.js("document.activeElement.id") == "search-input"
    page.js("document.activeElement.blur()")
    key(page, "document.body", "k", ctrlKey=True)
    assert page.js("document.activeElement.id") == "search-input"

    # typed quickly: only the last query's answer is shown
    page.set_value("#search-input", "quasar", "input")
    search(page, "quasar fail*")
    assert page.js("document.documentElement.dataset.view") == "search"
    assert page.attr_list("#search-results .hit", "data-session-id") == ["s-q1"]
    hit = "#search-results .hit"
    assert page.text(f"{hit} .hit-task") == f"Quasar report {XSS}"  # text, not markup
    assert page.js("document.querySelector('#search-results img')") is None
    assert page.text(f"{hit} .badge") == "debate"
    assert page.text(f"{hit} .status-pill") == "failed"
    assert page.text(f"{hit} .hit-where") == window_data.other_workspace
    assert page.text(f"{hit} .hit-age")
    fields = page.attr_list(f"{hit} .hit-match", "data-field")
    assert fields == ["task", "chat", "output"]  # the contract's order: task, chat, ..., outputs
    marks = [m.lower() for m in page.texts(f"{hit} mark")]
    assert set(marks) == {"quasar", "failed", "fail"}
    output_text = page.text(f'{hit} .hit-match[data-field="output"] .hit-text') or ""
    assert "\x1b" not in output_text and "the quasar migration FAILED at step 7" in output_text

    # an empty result says so and offers to remove the filter that hid the hits
    page.click('#search-chips .chip[data-group="type"][data-value="ensemble"]')
    page.wait_for("document.querySelector('#search-results .search-empty') !== null")
    assert "No session matches" in (page.text("#search-results .search-empty") or "")
    page.click('#search-results .search-empty .chip[data-clear="type"]')
    page.wait_for("document.querySelector('#search-results .hit') !== null")

    # arrows and Enter open the hit in its workspace, at its output line
    key(page, "document.getElementById('search-input')", "ArrowDown")
    key(page, "document.getElementById('search-input')", "Enter")
    page.wait_for("document.getElementById('view-detail').dataset.loaded === 'true' && "
                  "document.getElementById('view-detail').dataset.revealed === 'output'")
    assert page.js("document.documentElement.dataset.workspace") == window_data.other_workspace
    assert page.js("document.getElementById('view-detail').dataset.sessionId") == "s-q1"
    assert "the quasar migration FAILED" in (page.text("#output mark.search-line") or "")
    assert page.js("document.querySelector('#output mark.search-line')"
                   ".classList.contains('search-target')") is True

    # a chat match opens the session at that message
    page.js("document.getElementById('search-input').focus()")
    search(page, "quasar step")
    page.click('#search-results .hit-match[data-field="chat"]')
    page.wait_for("document.getElementById('view-detail').dataset.revealed === 'chat'")
    assert page.attr_list("#chat .message.search-target", "data-message-id") == ["s-q1-m2"]

    # Escape empties the field and leaves the results
    page.js("document.getElementById('search-input').focus()")
    key(page, "document.getElementById('search-input')", "Escape")
    assert page.js("document.getElementById('search-input').value") == ""
    assert page.js("window.__pwned") is None
    check.delete_session_sqlite(window_data.other_workspace, "s-q1")


CURRENT = ("[Array.from(document.querySelectorAll('.tab[aria-current=\"page\"]')).map(t => t.id),"
           " document.querySelector('.global-search').getAttribute('aria-current')]")


def test_the_results_not_the_sessions_tab_are_the_current_place(
        page: RemotePage, window_data: WindowData) -> None:
    assert page.js(CURRENT) == [["tab-board"], None]
    page.js("document.getElementById('search-input').focus()")
    search(page, "login")
    assert page.js("document.documentElement.dataset.view") == "search"
    assert page.js(CURRENT) == [[], "page"]
    # a session opened from the results still belongs to them (Esc leads back there)
    page.click("#search-results .hit .hit-task")
    page.wait_for("document.getElementById('view-detail').dataset.loaded === 'true'")
    assert page.js(CURRENT) == [[], "page"]
    page.js("document.activeElement.blur()")
    key(page, "document.body", "Escape")
    page.wait_for("document.documentElement.dataset.view === 'search'")
    assert page.js(CURRENT) == [[], "page"]
    # emptied, the search leaves: the board and its tab again
    page.js("document.getElementById('search-input').focus()")
    key(page, "document.getElementById('search-input')", "Escape")
    page.wait_for("document.documentElement.dataset.view === 'board'")
    assert page.js(CURRENT) == [["tab-board"], None]
    # a session opened from the board belongs to the Sessions tab
    page.click("#board .card")
    page.wait_for("document.getElementById('view-detail').dataset.loaded === 'true'")
    assert page.js(CURRENT) == [["tab-board"], None]
