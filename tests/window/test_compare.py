"""The compare view and the Insights view in the real window: facts side by side,
the line diff with its marks and navigation, ANSI colours, marking the winner,
the debate by round, the charts and the board filtered by a figure.

This module has a window and a database of its own (its sessions would change
the other modules' boards). What the page stored is checked through a second
Bridge on the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge

from . import ui
from .conftest import XSS, RemotePage, WindowData, open_window

pytestmark = pytest.mark.window

LINES = 2000  # about 110 KB of output per instance


def base_output() -> list[str]:
    lines = [f"line {k:04d}: the agent reports step {k} of the build, all fine so far"
             for k in range(LINES)]
    lines[0] = "\x1b]0;agent terminal title\x07" + lines[0]  # an OSC title: stripped
    lines[5] = "\x1b[1;31mERROR\x1b[0m: \x1b[32mretrying\x1b[39m the flaky test"
    lines[6] = f"plain text that looks like markup: {XSS}"
    lines[7] = "progress 10%\rprogress 50%\rprogress 100%"
    return lines


def other_output() -> list[str]:
    lines = base_output()
    lines[100] = "line 0100: THIS LINE DIFFERS in instance one"
    for k in (1000, 1001, 1002):
        lines[k] = f"line {k:04d}: changed block"
    del lines[1500]
    lines[1800:1800] = ["an inserted line", "another inserted line"]
    return lines


def inst(i: int, agent: str, output: str, **fields: Any) -> dict[str, Any]:
    return {"instanceId": i, "worktreePath": f"/r/.wt/{i}", "branch": f"feature/{agent}",
            "agentName": agent, "status": "completed", "tmuxSessionId": f"t{i}",
            "output": output, "runtime": "claude", "model": "sonnet",
            "startTime": "2026-01-13T10:00:00Z", "endTime": f"2026-01-13T10:{10 + i:02d}:00Z",
            "filesChanged": 3 + i, "linesAdded": 40 + i, "linesDeleted": 2 + i, **fields}


def sessions() -> list[dict[str, Any]]:
    compare = {
        "id": "cmp-1", "type": "competition", "task": "Implement login", "status": "completed",
        "createdAt": "2026-01-13T10:00:00Z", "updatedAt": "2026-01-13T12:00:00Z",
        "integrationPhase": "merge", "integrationInstanceId": 2,
        "evaluation": {"scores": {"0": 8.5, "1": 6}, "notes": {"0": "clean and tested",
                                                              "1": XSS}},
        "instances": [
            inst(0, "backend-developer", "\n".join(base_output()), testsPassed=True),
            inst(1, "frontend-developer", "\n".join(other_output()), testsPassed=False),
            inst(2, "test-engineer", "short output\nof the third", runtime="codex"),
        ],
    }
    chat = [("user", None, "Should we cache sessions?"), ("assistant", 0, "Yes, in memory."),
            ("assistant", 1, "No: stale data."), ("assistant", 0, "Invalidate on write."),
            ("assistant", 1, "Then it is fine."), ("user", None, "Decide."),
            ("assistant", 0, "Cache with invalidation.")]
    debate = {
        "id": "deb-1", "type": "debate", "task": "Cache or not", "status": "completed",
        "createdAt": "2026-01-20T10:00:00Z", "updatedAt": "2026-01-20T11:00:00Z",
        "winnerId": 0,
        "instances": [inst(0, "backend-developer", "yes"), inst(1, "security-reviewer", "no",
                                                                 runtime="gemini")],
        "chatHistory": [{"id": f"d{k}", "role": role, "content": text,
                         "timestamp": f"2026-01-20T10:{k:02d}:00Z",
                         **({"instanceId": who} if who is not None else {})}
                        for k, (role, who, text) in enumerate(chat)],
    }
    more = [{
        "id": f"ins-{n}", "type": "ensemble", "task": f"Ensemble task {n}", "status": "completed",
        "createdAt": f"2026-01-{5 + n:02d}T10:00:00Z",
        "updatedAt": f"2026-01-{5 + n:02d}T11:00:00Z",
        "winnerId": n % 2,
        "instances": [inst(0, "backend-developer", "a"), inst(1, "frontend-developer", "b")],
    } for n in range(4)]
    return [compare, debate, *more]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WindowData:
    root = tmp_path_factory.mktemp("compare-window")
    home = root / "home"
    home.mkdir()
    ws = root / "repo"
    ws.mkdir()
    db = str(root / "data" / "sessions.db")
    with Bridge.open(db) as bridge:
        for s in sessions():
            bridge.create_session_sqlite(str(ws), s)
    return WindowData(db, str(ws), str(ws), home, [s["id"] for s in sessions()])


@pytest.fixture(scope="module")
def page(data: WindowData) -> Iterator[RemotePage]:
    window = open_window(data)
    try:
        window.run(ui.choose_workspace(data.workspace))
        window.wait_idle()
        yield window
    finally:
        window.close()


@pytest.fixture(scope="module")
def check(data: WindowData) -> Iterator[Bridge]:
    with Bridge.open(data.db) as bridge:
        yield bridge


def open_compare(page: RemotePage, sid: str, ids: list[int]) -> None:
    page.run(ui.open_compare(sid, ids))
    page.wait_for("document.getElementById('view-compare').dataset.loaded === 'true'")
    page.wait_idle()


def rows(page: RemotePage, instance: int) -> list[dict[str, Any]]:
    """The rows drawn in an instance's output column: row index, mark, number, text."""
    result: list[dict[str, Any]] = page.js(
        f"Array.from(document.querySelectorAll('.vscroll[data-instance-id=\"{instance}\"] .vrow'))"
        ".map(r => ({row: Number(r.dataset.row), cls: r.className,"
        " number: r.querySelector('.vgutter').textContent,"
        " text: r.querySelector('.vtext').textContent}))")
    return result


def test_compare_from_the_session_shows_facts_side_by_side(page: RemotePage) -> None:
    page.run(ui.open_session("cmp-1"))
    page.wait_idle()
    assert page.js("document.getElementById('compare-open').disabled") is True
    for i in (0, 1):
        page.click(f'#instances .compare-pick[data-instance-id="{i}"]')
    assert page.js("document.getElementById('compare-open').disabled") is False
    page.click("#compare-open")
    page.wait_for("document.documentElement.dataset.view === 'compare' && "
                  "document.getElementById('view-compare').dataset.loaded === 'true'")
    assert page.js("document.getElementById('view-compare').dataset.instances") == "0,1"
    facts = page.js("Object.fromEntries(Array.from(document.querySelectorAll("
                    "'#compare-facts tbody tr')).map(r => [r.dataset.fact, Array.from("
                    "r.querySelectorAll('td')).map(td => td.textContent)]))")
    assert facts["Agent"] == ["backend-developer", "frontend-developer"]
    assert facts["Tests"] == ["passed", "failed"]
    assert facts["Score"] == ["8.5", "6"]
    assert facts["Evaluation notes"] == ["clean and tested", XSS]  # as text
    assert facts["Duration"] == ["10m 00s", "11m 00s"]
    assert facts["Lines"] == ["+40\u22122", "+41\u22123"]
    assert "Integration" not in facts  # instance 2 is the integration one; not compared
    assert "integration phase: merge" in (page.text("#compare-sub") or "")
    assert page.js("window.__pwned") is None
    assert page.js("document.querySelector('#compare-facts img')") is None


def test_the_diff_marks_changed_lines_and_steps_through_them(page: RemotePage) -> None:
    open_compare(page, "cmp-1", [0, 1, 2])
    view = "document.getElementById('view-compare').dataset"
    assert page.js(f"{view}.diffA") == "0" and page.js(f"{view}.diffB") == "1"
    assert page.js(f"{view}.hunks") == "4"  # line 100, 1000-1002, 1500, 1800
    # virtualized: about 2,000 rows each, a hundred or so drawn
    for i in (0, 1):
        scroller = f"document.querySelector('.vscroll[data-instance-id=\"{i}\"]')"
        assert int(page.js(f"{scroller}.dataset.rows")) >= LINES
        assert int(page.js(f"{scroller}.dataset.drawn")) < 150
    assert page.js("document.querySelectorAll('#compare-outputs .vrow').length") < 450

    page.click("#diff-next")
    assert page.js(f"{view}.hunk") == "0"
    assert page.text("#diff-position") == "1 of 4"
    a = {r["row"]: r for r in rows(page, 0)}
    b = {r["row"]: r for r in rows(page, 1)}
    current = [r for r in a.values() if "diff-current" in r["cls"]]
    assert len(current) == 1 and "diff-change" in current[0]["cls"]
    row = current[0]["row"]
    assert a[row]["number"] == b[row]["number"] == "101"
    assert a[row]["text"].startswith("line 0100: the agent")
    assert b[row]["text"] == "line 0100: THIS LINE DIFFERS in instance one"
    assert "diff-change" in b[row]["cls"] and "diff-current" in b[row]["cls"]
    assert "diff-" not in a[row - 1]["cls"]  # the line before is the same on both sides

    page.click("#diff-next")
    page.click("#diff-next")  # the deleted line 1500: a gap in B
    assert page.text("#diff-position") == "3 of 4"
    a = {r["row"]: r for r in rows(page, 0)}
    b = {r["row"]: r for r in rows(page, 1)}
    gone = [r for r in a.values() if "diff-current" in r["cls"]]
    assert [r["number"] for r in gone] == ["1501"] and "diff-del" in gone[0]["cls"]
    assert "diff-gap" in b[gone[0]["row"]]["cls"] and b[gone[0]["row"]]["text"] == ""
    page.click("#diff-next")
    b = {r["row"]: r for r in rows(page, 1)}
    added = [r["text"] for r in b.values() if "diff-current" in r["cls"]]
    assert added == ["an inserted line", "another inserted line"]
    page.click("#diff-next")  # wraps around
    assert page.text("#diff-position") == "1 of 4"
    page.click("#diff-prev")
    assert page.text("#diff-position") == "4 of 4"


def test_ansi_is_rendered_as_colour_never_as_escape_codes(page: RemotePage) -> None:
    open_compare(page, "cmp-1", [0, 1])
    page.run("const s = document.querySelector('.vscroll[data-instance-id=\"0\"]');"
             " s.scrollTop = 0; s.dispatchEvent(new Event('scroll'));"
             " await new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)));")
    drawn = {r["number"]: r for r in rows(page, 0)}
    assert drawn["1"]["text"].startswith("line 0000")  # the OSC title is gone
    assert drawn["6"]["text"] == "ERROR: retrying the flaky test"
    assert drawn["7"]["text"] == f"plain text that looks like markup: {XSS}"
    assert drawn["8"]["text"] == "progress 100%"  # the carriage returns' last write
    everything = page.js("document.getElementById('compare-outputs').textContent")
    assert "\x1b" not in everything and "[31m" not in everything and "]0;" not in everything
    spans = page.js("Array.from(document.querySelectorAll("
                    "'.vscroll[data-instance-id=\"0\"] .vrow[data-row=\"5\"] span.vtext span'))"
                    ".map(s => [s.className, s.textContent])")
    assert spans == [["ansi-fg-red ansi-bold", "ERROR"], ["ansi-fg-green", "retrying"]]
    red = page.js("getComputedStyle(document.querySelector('.ansi-fg-red')).color")
    assert red not in ("", "rgb(0, 0, 0)")
    assert page.js("window.__pwned") is None
    assert page.js("document.querySelector('#compare-outputs img')") is None
    # colours off: the same text, no spans
    page.click("#compare-colour")
    assert page.js("document.querySelectorAll('#compare-outputs .vtext span').length") == 0
    page.click("#compare-colour")


def test_scrolling_is_linked_across_columns(page: RemotePage) -> None:
    open_compare(page, "cmp-1", [0, 1, 2])
    page.run("const s = document.querySelector('.vscroll[data-instance-id=\"1\"]');"
             " s.scrollTop = 19 * 1200; s.dispatchEvent(new Event('scroll'));"
             " await new Promise(r => requestAnimationFrame(() => setTimeout(r, 80)));")
    tops = page.js("Array.from(document.querySelectorAll('.vscroll')).map(s => s.scrollTop)")
    assert tops[0] == tops[1] == 19 * 1200
    first_a = min(r["row"] for r in rows(page, 0))
    assert 1100 <= first_a <= 1200  # drawn where it scrolled to, not from the top
    page.click("#compare-link")
    page.run("const s = document.querySelector('.vscroll[data-instance-id=\"1\"]');"
             " s.scrollTop = 0; s.dispatchEvent(new Event('scroll'));"
             " await new Promise(r => requestAnimationFrame(() => setTimeout(r, 80)));")
    tops = page.js("Array.from(document.querySelectorAll('.vscroll')).map(s => s.scrollTop)")
    assert tops[1] == 0 and tops[0] == 19 * 1200
    page.click("#compare-link")


def test_mark_the_winner_from_the_compare_view(page: RemotePage, check: Bridge,
                                               data: WindowData) -> None:
    open_compare(page, "cmp-1", [0, 1, 2])
    assert check.get_session_sqlite(data.workspace, "cmp-1").get("winnerId") is None
    page.click('#compare-facts .mark-winner[data-instance-id="2"]')
    page.wait_for("document.getElementById('view-compare').dataset.winnerId === '2'")
    page.wait_idle()
    stored = check.get_session_sqlite(data.workspace, "cmp-1")
    assert stored["winnerId"] == 2
    assert stored["instances"][0]["output"] == "\n".join(base_output())  # nothing else lost
    assert stored["evaluation"]["notes"]["1"] == XSS
    assert page.js("document.querySelectorAll('#compare-facts .winner-badge').length") == 1
    assert page.js("document.querySelectorAll('#compare-facts .mark-winner').length") == 2
    assert page.text('.output-col[data-instance-id="2"] .winner-badge') == "winner"
    page.click("#compare-back")  # the session's page shows it too
    page.wait_for("document.documentElement.dataset.view === 'detail'")
    assert page.text('#instances .instance[data-instance-id="2"] .winner-badge') == "winner"


def test_a_change_made_elsewhere_shows_in_the_open_comparison(
        page: RemotePage, check: Bridge, data: WindowData) -> None:
    """The live change log: another process marks a winner and appends output."""
    open_compare(page, "cmp-1", [0, 1])
    page.run("const s = document.querySelector('.vscroll[data-instance-id=\"0\"]');"
             " s.scrollTop = 19 * 600; s.dispatchEvent(new Event('scroll'));")
    stored = check.get_session_sqlite(data.workspace, "cmp-1")
    check.update_session_sqlite(data.workspace, dict(stored, winnerId=1))
    page.wait_for("document.getElementById('view-compare').dataset.winnerId === '1'", 20)
    assert page.text('.output-col[data-instance-id="1"] .winner-badge') == "winner"
    check.append_instance_output(data.workspace, "cmp-1", 1, "\nappended from elsewhere")
    page.wait_for("document.querySelector('.output-col[data-instance-id=\"1\"]"
                  " .output-head').textContent.includes('2,002 lines')", 20)
    assert page.js("document.querySelector('.vscroll[data-instance-id=\"0\"]').scrollTop") \
        == 19 * 600  # the reader's place is kept
    check.update_session_sqlite(data.workspace, dict(stored, winnerId=None))


def test_debate_chat_grouped_by_instance_and_round(page: RemotePage) -> None:
    open_compare(page, "deb-1", [0, 1])
    assert page.js("document.getElementById('compare-debate-panel').hidden") is False
    heads = page.texts("#compare-debate thead th")
    assert heads == ["Round", "Moderator", "#0 backend-developer", "#1 security-reviewer"]
    table = page.js("Array.from(document.querySelectorAll('#compare-debate tbody tr')).map("
                    "r => Array.from(r.children).map(c => Array.from("
                    "c.querySelectorAll('.message-content')).map(m => m.textContent)))")
    # a round ends when an instance that spoke in it speaks again
    assert table == [
        [[], ["Should we cache sessions?"], ["Yes, in memory."], ["No: stale data."]],
        [[], ["Decide."], ["Invalidate on write."], ["Then it is fine."]],
        [[], [], ["Cache with invalidation."], []],
    ]
    open_compare(page, "cmp-1", [0, 1])
    assert page.js("document.getElementById('compare-debate-panel').hidden") is True


def test_insights_view_charts_and_figures_open_the_board(page: RemotePage, check: Bridge,
                                                         data: WindowData) -> None:
    page.run(ui.show_view("insights"))
    page.wait_for("document.getElementById('view-insights').dataset.loaded === 'true'")
    expected = check.get_insights({"workspacePath": data.workspace})
    assert page.js("document.getElementById('view-insights').dataset.sessions") == \
        str(expected["sessions"])
    assert page.js("document.getElementById('view-insights').dataset.charts") == "2"
    assert page.js("window.Chart && window.Chart.version") == "4.6.1"
    for canvas in ("chart-winrate", "chart-weeks"):  # drawn: not a blank canvas
        assert page.js(f"(function(){{var c=document.getElementById('{canvas}');"
                       "var d=c.getContext('2d').getImageData(0,0,c.width,c.height).data;"
                       "for(var i=3;i<d.length;i+=4)if(d[i])return true;return false;})()")
    agents = page.attr_list("#insights-agentName tbody tr", "data-key")
    assert agents == [g["agentName"] for g in expected["agents"]]
    backend = next(g for g in expected["agents"] if g["agentName"] == "backend-developer")
    cell = '#insights-agentName tr[data-key="backend-developer"] td[data-figure="wins"]'
    assert (page.text(cell) or "").startswith(
        f"{round(100 * backend['wins'] / backend['decided'])}%")
    # the win-rate figure opens the board with the sessions where that agent won
    page.click(f"{cell} a.figure-link")
    page.wait_for("document.documentElement.dataset.view === 'board'")
    page.wait_idle()
    won = {s["id"] for s in check.get_all_sessions_sqlite(data.workspace)
           if any(i["agentName"] == "backend-developer" and i["instanceId"] == s.get("winnerId")
                  for i in s["instances"])}
    assert set(page.attr_list("#board .card", "data-session-id")) == won
    assert page.js("document.getElementById('board-figure').hidden") is False
    page.click("#board-figure-clear")
    page.wait_idle()
    assert len(page.attr_list("#board .card", "data-session-id")) == len(data.session_ids)
    # all workspaces: the same numbers here (one workspace), figures not linked
    page.run(ui.show_view("insights"))
    page.set_value("#insights-scope", "all")
    page.wait_for("document.getElementById('view-insights').dataset.scope === 'all'")
    assert page.js("document.querySelectorAll('#view-insights a.figure-link').length") == 0
    page.set_value("#insights-scope", "workspace")
    page.wait_for("document.getElementById('view-insights').dataset.scope === 'workspace'")
    assert page.js("document.getElementById('errors').childElementCount") == 0


def test_screens_for_the_docs(page: RemotePage, tmp_path: Path) -> None:
    """The two views grab to PNG in both themes (tools/insights_screenshots.py commits them)."""
    for theme in ("light", "dark"):
        page.js(f"(function(){{var s=document.getElementById('theme-select');s.value='{theme}';"
                "s.dispatchEvent(new Event('change'));})()")
        open_compare(page, "cmp-1", [0, 1])
        page.grab(str(tmp_path / f"compare-{theme}.png"))
        assert (tmp_path / f"compare-{theme}.png").stat().st_size > 10_000
