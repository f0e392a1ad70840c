"""The window on a realistic history (tests/realistic.py), at 1400x1000 and 900x700.

One window for the module, on 300 generated sessions (ANSI outputs, 1-6 instances,
a 100,000-line output, long titles, Japanese, archived, trashed, a workspace known
by its hash alone). Each test drives the page as a person would and checks what a
person would see: nothing painted over anything else, no sideways scrolling, the
board's end in view, colour instead of escape codes, the keyboard flows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ait42_session.faces.bridge import Bridge
from tests.realistic import History, build

from . import ui
from .conftest import RemotePage, WindowData, open_window

pytestmark = pytest.mark.window

SIZES = ((1400, 1000), (900, 700))

# Every pair of these boxes in the shown view (and the top bar's parts) must not
# overlap unless one holds the other; nothing may scroll the page sideways.
LAYOUT_CHECK = (Path(__file__).parent / "layout_check.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    root = tmp_path_factory.mktemp("realistic")
    return build(str(root / "data" / "sessions.db"), sessions=300, long_lines=3000,
                 huge_lines=100_000)


@pytest.fixture(scope="module")
def page(history: History, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemotePage]:
    home = tmp_path_factory.mktemp("realistic-home")
    data = WindowData(history.db, history.main, history.workspaces[1], home, [])
    window = open_window(data)
    try:
        window.run(ui.choose_workspace(history.main))
        window.wait_idle()
        yield window
    finally:
        window.close()


def show(page: RemotePage, view: str) -> None:
    page.run(ui.show_view(view), timeout=30)
    page.wait_idle(30)


def open_session(page: RemotePage, session_id: str) -> None:
    page.run(ui.open_session(session_id), timeout=30)
    page.wait_for("document.getElementById('view-detail').dataset.loaded === 'true'", 30)
    page.wait_idle(30)


def layout_problems(page: RemotePage) -> list[str]:
    page.js("document.getElementById('main').scrollTop = 0")
    problems: list[str] = page.run(LAYOUT_CHECK)
    return problems


def test_every_view_lays_out_at_both_sizes(page: RemotePage, history: History) -> None:
    found: list[str] = []
    for width, height in SIZES:
        page.resize(width, height)
        where = f"{width}x{height}"
        show(page, "board")
        found += [f"{where} board: {p}" for p in layout_problems(page)]
        open_session(page, history.long_session)
        found += [f"{where} detail: {p}" for p in layout_problems(page)]
        page.run(ui.open_compare(history.long_session, [0, 1, 2, 3, 4]), timeout=30)
        page.wait_for("document.getElementById('view-compare').dataset.loaded === 'true'", 30)
        found += [f"{where} compare: {p}" for p in layout_problems(page)]
        page.run(ui.search("JWT"), timeout=30)
        page.wait_for("document.getElementById('view-search').dataset.state === 'done'", 30)
        found += [f"{where} search: {p}" for p in layout_problems(page)]
        page.run(ui.search(""), timeout=30)
        for view in ("insights", "database", "import", "trash"):
            show(page, view)
            found += [f"{where} {view}: {p}" for p in layout_problems(page)]
    assert not found, "\n".join(found)


def test_database_view_fits_the_default_height(page: RemotePage) -> None:
    page.resize(1280, 820)
    show(page, "database")
    heights = page.js("Array.from(document.querySelectorAll('#view-database .stat-card, "
                      "#backups-panel, #metrics-panel'))"
                      ".map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 60, heights  # no sliver
    page.js("document.getElementById('backup-now').scrollIntoView({block: 'nearest'})")
    box = page.js("(() => {"
                  " const r = document.getElementById('backup-now').getBoundingClientRect();"
                  " const m = document.getElementById('main').getBoundingClientRect();"
                  " return {top: r.top, bottom: r.bottom, mtop: m.top, mbottom: m.bottom}; })()")
    assert box["top"] >= box["mtop"] and box["bottom"] <= box["mbottom"], box


def test_the_board_says_how_many_and_its_end_is_in_view(page: RemotePage,
                                                        history: History) -> None:
    with Bridge.open(history.db) as bridge:
        total = bridge.list_session_summaries(history.main, None)["total"]
    assert total > 100
    for width, height in SIZES:
        page.resize(width, height)
        show(page, "board")
        assert page.text("#board-count") == f"100 of {total:,}"
        assert page.text("#board-end") == f"Showing 100 of {total:,} sessions"
        # the end of the board (the count and Load more) is on screen, not under the cards
        page.js("document.getElementById('load-more').scrollIntoView({block: 'nearest'})")
        visible = page.js(
            "(() => { const b = document.getElementById('load-more').getBoundingClientRect();"
            " const m = document.getElementById('main').getBoundingClientRect();"
            " const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);"
            " return b.top >= m.top && b.bottom <= m.bottom"
            " && hit && hit.closest('#load-more') !== null;"
            " })()")
        assert visible, f"Load more is hidden at {width}x{height}"
    page.click("#load-more")
    page.wait_for(f"document.getElementById('board').dataset.count === '{min(200, total)}'")
    if total <= 200:
        assert page.text("#board-end") == f"All {total:,} sessions shown"


BOARD_FIT = """(() => {
  const cards = document.querySelector('#board .column[data-status="completed"] .column-cards');
  const box = cards.getBoundingClientRect();
  const whole = Array.from(cards.querySelectorAll('.card')).filter((c) => {
    const r = c.getBoundingClientRect();
    return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  }).length;
  const ages = Array.from(document.querySelectorAll('#board .card-time'))
    .filter((t) => t.scrollWidth > t.clientWidth + 1).length;
  return {whole, ages, toolbar: document.querySelector('#view-board .toolbar')
    .getBoundingClientRect().height};
})()"""


def test_the_board_shows_several_whole_cards_in_a_small_window(page: RemotePage) -> None:
    # 900x700: compact cards, one toolbar row; the busiest column shows 3 whole cards
    # (it showed 1 and part of a second before), and no card's age is cut.
    for (width, height), least in (((900, 700), 3), ((1400, 1000), 4)):
        page.resize(width, height)
        show(page, "board")
        fit = page.js(BOARD_FIT)
        assert fit["whole"] >= least, (width, fit)
        assert fit["toolbar"] < 45, (width, fit)  # one row of filters
        assert fit["ages"] == 0, (width, fit)


FAILED_COLOUR = ("getComputedStyle(document.querySelector({sel})).{prop} === "
                 "getComputedStyle(document.querySelector('#board .column[data-status=\"failed\"]"
                 " .column-header .status-dot')).backgroundColor")


def test_the_shells_timeout_and_error_instances_wear_the_failed_colour(
        page: RemotePage, history: History) -> None:
    with Bridge.open(history.db) as bridge:
        rows = bridge.get_all_sessions_sqlite(history.main)
    found: dict[str, tuple[str, int]] = {}
    for session in rows:
        for inst in session["instances"]:
            if inst["status"] in ("timeout", "error") and len(session["instances"]) > 1:
                found.setdefault(inst["status"], (session["id"], inst["instanceId"]))
    assert set(found) == {"timeout", "error"}, "the realistic history has both"
    page.resize(1400, 1000)
    for status, (session_id, instance_id) in found.items():
        show(page, "board")
        dot = (f'#instances .instance[data-instance-id="{instance_id}"] '
               f'.instance-head .status-dot')
        open_session(page, session_id)
        assert page.js(f"document.querySelector({json.dumps(dot)})"
                       ".classList.contains('status-failed')"), status
        assert page.js(FAILED_COLOUR.format(sel=json.dumps(dot), prop="backgroundColor"))
        select = f'#instances select.instance-status[data-instance-id="{instance_id}"]'
        assert page.js(f"document.querySelector({json.dumps(select)}).value") == status
        other = 0 if instance_id else 1
        page.run(ui.open_compare(session_id, [instance_id, other]), timeout=30)
        page.wait_for("document.getElementById('view-compare').dataset.loaded === 'true'", 30)
        pill = f'#view-compare .status-pill[data-status="{status}"]'
        assert page.text(pill) == status
        assert page.js(f"document.querySelector({json.dumps(pill)})"
                       ".classList.contains('status-failed')")


def test_detail_output_is_coloured_and_has_no_escape_codes(page: RemotePage,
                                                           history: History) -> None:
    page.resize(1400, 1000)
    open_session(page, history.long_session)
    text = page.js("document.getElementById('view-detail').textContent")
    assert "\x1b" not in text and "\u241b" not in text
    coloured = page.js(
        "document.querySelectorAll('#output .vtext span[class*=\"ansi-fg-\"]').length")
    assert coloured > 10
    assert page.js("document.querySelectorAll('#output .vtext span.ansi-bold').length") > 0
    assert page.attr_list("#instances .instance", "data-instance-id") == ["0", "1", "2", "3", "4"]
    # a 100,000-line output opens at once: only what is visible is in the DOM (how
    # long it takes is tools/window_bench's figure, not a timed test)
    open_session(page, history.huge_session)
    assert page.js("document.getElementById('output').dataset.rows") == "100001"
    assert page.js("document.querySelectorAll('#output .vrow').length") < 300
    page.js("const o = document.getElementById('output'); o.scrollTop = o.scrollHeight;")
    page.wait_for("Array.from(document.querySelectorAll('#output .vrow'))"
                  ".some(r => r.dataset.row === '100000')")
    assert "\x1b" not in page.js("document.getElementById('output').textContent")


def test_the_shells_debate_statuses_run_with_the_running_sessions(
        page: RemotePage, history: History) -> None:
    with Bridge.open(history.db) as bridge:
        stored = bridge.get_session_sqlite(history.main, history.debate_session)["status"]
    if stored != "round_2":  # written as "running" by a backend that refuses the shell's
        pytest.skip(f"this database does not keep the shell's statuses yet ({stored})")
    page.resize(1400, 1000)
    show(page, "board")
    card = f'#board .card[data-session-id="{history.debate_session}"]'
    page.wait_for(f"document.querySelector({json.dumps(card)}) !== null")
    assert page.js(f"document.querySelector({json.dumps(card)})"
                   ".closest('.column').dataset.status") == "running"
    assert page.text(f"{card} .badge-round") == "Round 2"
    assert page.js(f"document.querySelector({json.dumps(card)})"
                   ".classList.contains('card-running')")
    # the Running filter holds it too
    page.js("const f = document.getElementById('filter-status'); f.value = 'running';"
            " f.dispatchEvent(new Event('change'));")
    page.wait_idle(30)
    try:
        page.wait_for(f"document.querySelector({json.dumps(card)}) !== null")
    finally:
        page.js("const f = document.getElementById('filter-status'); f.value = '';"
                " f.dispatchEvent(new Event('change'));")
        page.wait_idle(30)
    open_session(page, history.debate_session)
    pill = "#view-detail .status-pill"
    assert page.text(pill) == "Round 2"
    assert page.js(f"document.querySelector({json.dumps(pill)})"
                   ".classList.contains('status-running')")


def test_keyboard_board_detail_search(page: RemotePage, history: History) -> None:
    page.resize(1400, 1000)
    show(page, "board")
    page.js("document.activeElement && document.activeElement.blur()")

    def press(key: str) -> None:
        page.js("(document.activeElement || document.body).dispatchEvent(new KeyboardEvent("
                f"'keydown', {{key: {json.dumps(key)}, bubbles: true, cancelable: true}}))")

    def focused() -> str | None:
        result: str | None = page.js(
            "document.activeElement && document.activeElement.dataset.sessionId || null")
        return result

    press("j")  # from nowhere: the first card
    first = focused()
    assert first is not None
    press("j")
    second = focused()
    assert second and second != first
    press("k")
    assert focused() == first
    press("ArrowDown")
    assert focused() == second
    press("Enter")
    page.wait_for("document.getElementById('view-detail').dataset.sessionId === "
                  f"{json.dumps(second)}"
                  " && document.getElementById('view-detail').dataset.loaded === 'true'")
    assert page.js("document.activeElement.id") == "detail-task"  # focus on the heading
    press("Escape")
    page.wait_for("document.documentElement.dataset.view === 'board'")
    page.wait_for(f"document.activeElement.dataset.sessionId === {json.dumps(second)}")

    # search: arrows through hits, Enter opens, Esc comes back to the results
    page.run(ui.search("JWT"), timeout=30)
    page.wait_for("document.getElementById('view-search').dataset.state === 'done'")
    page.js("document.getElementById('search-input').blur()")
    press("j")  # the first hit is active after a search: j moves to the second
    active = page.js("document.querySelector('#search-results .hit.active').dataset.index")
    assert active == "1"
    press("Enter")
    page.wait_for("document.documentElement.dataset.view === 'detail' && "
                  "document.getElementById('view-detail').dataset.loaded === 'true'")
    assert page.text("#detail-back") == "Search results"
    press("Escape")
    page.wait_for("document.documentElement.dataset.view === 'search'")
    assert page.js("document.querySelector('#search-results .hit.active').dataset.index") == "1"
    assert page.js("document.activeElement.classList.contains('hit')")
    # the back button does the same
    press("Enter")
    page.wait_for("document.documentElement.dataset.view === 'detail'")
    page.click("#detail-back")
    page.wait_for("document.documentElement.dataset.view === 'search'")
    page.run(ui.search(""), timeout=30)


def test_workspace_menu_sorted_filtered_and_binds_an_unknown_folder(
        page: RemotePage, history: History) -> None:
    page.resize(1400, 1000)
    show(page, "board")
    page.click("#workspace-button")
    page.wait_for("document.querySelectorAll('#workspace-known li').length >= 7")
    page.wait_idle()
    order = page.attr_list("#workspace-known .workspace-item", "data-path")
    assert order[0] == history.main  # the most recently active first
    unknown = f'#workspace-known [data-hash="{history.unknown_hash}"] .bind-form'
    assert page.js(f"document.querySelector({json.dumps(unknown)}) !== null")
    page.set_value("#workspace-input", "検索", event="input")
    assert page.attr_list("#workspace-known .workspace-item", "data-path") == [
        w for w in order if "検索" in w]
    page.js("document.getElementById('workspace-menu').hidden = true")

    # a search hit in the unknown workspace asks for its folder, then opens
    page.run(ui.search("Quarterly revenue dashboard"), timeout=30)
    page.wait_for("document.getElementById('view-search').dataset.state === 'done'")
    hit = f'#search-results .hit[data-session-id={json.dumps(history.unknown_session)}]'
    page.wait_for(f"document.querySelector({json.dumps(hit)}) !== null")
    page.click(f"{hit} .hit-task")
    form = f'#workspace-known .bind-form[data-hash="{history.unknown_hash}"]'
    page.wait_for(f"!document.getElementById('workspace-menu').hidden && "
                  "document.activeElement === "
                  f"document.querySelector({json.dumps(form + ' input')})")
    assert page.js("document.getElementById('errors').childElementCount") == 0
    assert not page.js("document.getElementById('workspace-note').hidden")
    page.set_value(f"{form} input", history.unknown_path, event="input")
    page.js(f"document.querySelector({json.dumps(form)}).requestSubmit()")
    page.wait_for(f"document.getElementById('view-detail').dataset.sessionId === "
                  f"{json.dumps(history.unknown_session)} && "
                  "document.getElementById('view-detail').dataset.loaded === 'true'", 30)
    assert page.js("document.documentElement.dataset.workspace") == history.unknown_path
    assert page.js("document.getElementById('errors').childElementCount") == 0
    with Bridge.open(history.db) as bridge:
        known = {w["workspaceHash"]: w["path"] for w in bridge.list_workspaces()}
    assert known[history.unknown_hash] == history.unknown_path
    page.run(ui.search(""), timeout=30)
    page.run(ui.choose_workspace(history.main))
    page.wait_idle()


def test_export_dialog_fits_and_asks_before_replacing(page: RemotePage, history: History,
                                                      tmp_path: Path) -> None:
    page.resize(900, 700)
    open_session(page, history.long_session)
    page.click("#detail-export")
    page.wait_for("document.getElementById('export-dialog').open")
    box = page.js("(() => {"
                  " const d = document.getElementById('export-dialog').getBoundingClientRect();"
                  " const ok = document.getElementById('export-ok').getBoundingClientRect();"
                  " const f = document.getElementById('export-path').getBoundingClientRect();"
                  " return {d: [d.left, d.top, d.right, d.bottom],"
                  " ok: [ok.left, ok.top, ok.right, ok.bottom],"
                  " f: [f.left, f.right], w: innerWidth, h: innerHeight}; })()")
    left, top, right, bottom = box["d"]
    assert left >= 0 and top >= 0 and right <= box["w"] and bottom <= box["h"], box
    assert box["ok"][2] <= right and box["ok"][3] <= bottom, box
    assert box["f"][1] <= right, box
    page.click("#export-cancel")


def test_export_asks_before_replacing_a_file(page: RemotePage, history: History,
                                             tmp_path: Path) -> None:
    target = tmp_path / "existing.json"
    target.write_text("keep me", encoding="utf-8")
    open_session(page, history.long_session)
    page.click("#detail-export")
    page.wait_for("document.getElementById('export-dialog').open")
    page.set_value("#export-path", str(target))
    page.click("#export-ok")
    page.wait_for("document.getElementById('confirm-dialog').open", 10)
    page.click("#confirm-cancel")  # keep the file
    time.sleep(0.3)
    assert target.read_text(encoding="utf-8") == "keep me"
    assert page.js("document.getElementById('export-dialog').open")
    page.click("#export-ok")
    page.wait_for("document.getElementById('confirm-dialog').open", 10)
    page.click("#confirm-ok")
    page.wait_for("!document.getElementById('export-dialog').open", 15)
    assert json.loads(target.read_text(encoding="utf-8"))["format"] == "ait42-session-bundle"
