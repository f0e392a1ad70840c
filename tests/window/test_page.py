"""The real page in the real window: browse, filter, open, change, delete, errors, security."""

from __future__ import annotations

import json
import time

import pytest

from ait42_session.faces.bridge import COMMANDS, Bridge
from ait42_session.shape.errors import NotFoundError

from .conftest import XSS, RemotePage, WindowData
from .driver import JsError

pytestmark = pytest.mark.window

STATUSES = ("running", "completed", "failed", "paused")


def output_text(page: RemotePage) -> str:
    """The drawn lines of the session's output viewer (all of a short output)."""
    return "\n".join(page.texts("#output .vtext"))


def board_ids(page: RemotePage) -> list[str]:
    return page.attr_list("#board .card", "data-session-id")


def open_detail(page: RemotePage, session_id: str) -> None:
    page.click(f'#board .card[data-session-id="{session_id}"]')
    page.wait_for(f"document.getElementById('view-detail').dataset.loaded === 'true' && "
                  f"document.getElementById('view-detail').dataset.sessionId === "
                  f"{json.dumps(session_id)}")
    page.wait_idle()


def test_page_loads_and_lists_sessions(page: RemotePage, window_data: WindowData,
                                       check: Bridge) -> None:
    assert page.js("document.title") == "AIT42 Sessions"
    assert page.js("document.documentElement.dataset.workspace") == window_data.workspace
    ids = board_ids(page)
    live = {s["id"] for s in check.get_all_sessions_sqlite(window_data.workspace)}
    assert set(ids) == live
    assert len(ids) == len(set(ids))
    # one column per status, every card in the column of its status
    assert page.attr_list("#board .column", "data-status") == list(STATUSES)
    for status in STATUSES:
        in_column = page.attr_list(f'#board .column[data-status="{status}"] .card', "data-status")
        assert in_column and set(in_column) == {status}
        count = page.text(f'#board .column[data-status="{status}"] .column-count')
        assert count == str(len(in_column))
    # newest updatedAt first within a column; a card shows type, task, counts and lines
    running = page.attr_list('#board .column[data-status="running"] .card', "data-session-id")
    assert running.index("s-run-1") < running.index("s-run-2")
    card = '#board .card[data-session-id="s-chat"]'
    assert page.text(f"{card} .badge") == "competition"
    assert page.text(f"{card} .card-task") == "Chat target session"
    stats = page.text(f"{card} .card-stats") or ""
    assert "3 instances" in stats and "3 messages" in stats
    assert page.text(f"{card} .lines .add") == "+40"
    assert page.text(f"{card} .lines .del") == "\u22128"  # a real minus sign
    assert page.text(f"{card} .card-time")
    # the page's api lists the commands and nothing else
    assert sorted(page.js("Object.keys(window.pywebview.api)")) == sorted(COMMANDS)
    assert page.js("document.getElementById('errors').childElementCount") == 0


def test_filters_narrow_the_board(page: RemotePage) -> None:
    everything = set(board_ids(page))

    page.set_value("#filter-type", "debate")
    page.wait_for("Array.from(document.querySelectorAll('#board .card'))"
                  ".every(c => c.dataset.type === 'debate')")
    page.wait_idle()
    debate = set(board_ids(page))
    assert debate and debate < everything
    assert set(page.attr_list("#board .card", "data-type")) == {"debate"}

    page.set_value("#filter-status", "failed")
    page.wait_idle()
    assert page.attr_list("#board .column", "data-status") == ["failed"]
    assert set(board_ids(page)) == {"s-delete"}

    page.set_value("#filter-type", "")
    page.set_value("#filter-status", "")
    page.set_value("#filter-text", "LOGIN", event="input")
    page.wait_for("document.querySelectorAll('#board .card').length === 2")
    page.wait_idle()
    assert set(board_ids(page)) == {"s-run-1", "s-done-2"}

    page.set_value("#filter-text", "no session has this text", event="input")
    page.wait_for("document.querySelectorAll('#board .card').length === 0")
    page.wait_idle()
    assert page.js("!document.getElementById('board-empty').hidden")
    assert "No sessions match" in (page.text("#board-empty") or "")

    page.set_value("#filter-text", "", event="input")
    page.wait_for(f"document.querySelectorAll('#board .card').length === {len(everything)}")
    page.wait_idle()

    # sort by files changed: largest first in every column
    page.set_value("#sort", "filesChanged")
    page.wait_idle()
    completed = page.attr_list('#board .column[data-status="completed"] .card',
                               "data-session-id")
    assert completed[0] == "s-done-2"  # 30 files
    assert completed[-1] == "s-done-1"  # 1 file


def test_load_more_pages_with_the_cursor(page: RemotePage) -> None:
    total = len(board_ids(page))
    page.run("localStorage.setItem('ait42.pageSize', '5'); "
             "document.getElementById('refresh').click();")
    page.wait_for("document.querySelectorAll('#board .card').length === 5")
    page.wait_idle()
    assert page.js("!document.getElementById('load-more').hidden")
    seen = board_ids(page)
    for _ in range(total):  # at least one more card a page: a button that stays fails
        if page.js("document.getElementById('load-more').hidden"):
            break
        before = len(seen)
        page.click("#load-more")
        page.wait_for(f"document.querySelectorAll('#board .card').length > {before}")
        page.wait_idle()
        seen = board_ids(page)
    else:
        pytest.fail("'load more' still shown after every session was loaded")
    assert len(seen) == total == len(set(seen))


def test_opening_a_session_shows_instances_output_and_chat(page: RemotePage,
                                                            window_data: WindowData,
                                                            check: Bridge) -> None:
    open_detail(page, "s-chat")
    stored = check.get_session_sqlite(window_data.workspace, "s-chat")
    assert page.text("#detail-task") == "Chat target session"
    assert page.attr_list("#instances .instance", "data-instance-id") == ["0", "1", "2"]
    assert page.texts("#instances .instance-agent") == ["agent-0", "agent-1", "agent-2"]
    branches = page.texts("#instances .instance-meta .chip-value")
    assert "feature/s-chat-1" in branches
    assert page.js("Array.from(document.querySelectorAll('#instances select.instance-status'))"
                   ".map(s => s.value)") == ["running"] * 3
    # the first instance's output, in the monospace viewer
    assert output_text(page) == stored["instances"][0]["output"]
    assert "monospace" in page.js("getComputedStyle(document.getElementById('output')).fontFamily")
    page.click('#instances .instance[data-instance-id="2"]')
    page.wait_for("document.getElementById('output').dataset.instanceId === '2'")
    assert output_text(page) == stored["instances"][2]["output"]
    # chat in stored order
    assert page.texts("#chat .message .message-content") == [
        m["content"] for m in stored["chatHistory"]]
    assert page.texts("#chat .message .message-role") == ["user", "assistant", "user"]


def test_adding_a_message_is_stored(page: RemotePage, window_data: WindowData,
                                    check: Bridge) -> None:
    open_detail(page, "s-chat")
    before = check.get_session_sqlite(window_data.workspace, "s-chat")
    text = "Please also cover the logout path.\nSecond line stays."
    page.set_value("#chat-role", "assistant")
    page.set_value("#chat-instance", "1")
    page.set_value("#chat-input", text, event="input")
    page.click("#chat-send")
    page.wait_for(f"Array.from(document.querySelectorAll('#chat .message-content'))"
                  f".some(e => e.textContent === {json.dumps(text)})")
    page.wait_idle()
    assert page.js("document.getElementById('chat-input').value") == ""

    after = check.get_session_sqlite(window_data.workspace, "s-chat")
    assert len(after["chatHistory"]) == len(before["chatHistory"]) + 1
    added = [m for m in after["chatHistory"] if m["content"] == text]
    assert len(added) == 1
    assert added[0]["role"] == "assistant" and added[0]["instanceId"] == 1
    assert after["updatedAt"] >= before["updatedAt"]
    # the page shows what was stored
    assert page.js("document.getElementById('view-detail').dataset.updatedAt") == \
        after["updatedAt"]
    assert page.texts("#chat .message .message-content") == [
        m["content"] for m in after["chatHistory"]]


def test_changing_an_instance_status_is_stored(page: RemotePage, window_data: WindowData,
                                               check: Bridge) -> None:
    open_detail(page, "s-status")
    select = '#instances select.instance-status[data-instance-id="1"]'
    page.set_value(select, "archived")
    page.wait_for("document.querySelector('#instances .instance[data-instance-id=\"1\"]')"
                  ".dataset.status === 'archived'")
    page.wait_idle()
    stored = check.get_session_sqlite(window_data.workspace, "s-status")
    assert [i["status"] for i in stored["instances"]] == ["running", "archived"]
    assert page.js(f"document.querySelector('{select}').value") == "archived"
    # the change moved the session to the top of the board
    page.click("#detail-back")
    page.wait_idle()
    running = page.attr_list('#board .column[data-status="running"] .card', "data-session-id")
    assert running[0] == "s-status"


def press(page: RemotePage, key: str) -> None:
    """A key pressed where the focus is, as the browser delivers it to the page's
    listeners (keydown, then keyup)."""
    page.js("(function(){var t=document.activeElement||document.body;"
            f"for(var type of ['keydown','keyup'])t.dispatchEvent(new KeyboardEvent(type,"
            f"{{key:{json.dumps(key)},bubbles:true,cancelable:true}}));}})()")


def focused_tab(page: RemotePage) -> str | None:
    result: str | None = page.js(
        "(function(){var e=document.activeElement;"
        "return e&&e.getAttribute('role')==='tab'?e.dataset.instanceId:null;})()")
    return result


def test_instance_tabs_work_from_the_keyboard(page: RemotePage, window_data: WindowData,
                                              check: Bridge) -> None:
    """Issue 9: the instance cards are the output panel's tabs (WAI-ARIA, manual
    activation): one Tab stop, arrows and Home/End move, Enter or Space shows."""
    open_detail(page, "s-chat")
    stored = check.get_session_sqlite(window_data.workspace, "s-chat")
    outputs = {str(i["instanceId"]): i["output"] for i in stored["instances"]}
    assert page.js("document.getElementById('instances').getAttribute('role')") == "tablist"
    tabs = "#instances [role=tab]"
    assert page.attr_list(tabs, "data-instance-id") == ["0", "1", "2"]
    assert page.attr_list(tabs, "aria-controls") == ["output"] * 3
    assert page.attr_list(tabs, "aria-selected") == ["true", "false", "false"]
    assert page.attr_list(tabs, "tabindex") == ["0", "-1", "-1"]  # one Tab stop
    assert page.js("document.getElementById('output').getAttribute('role')") == "tabpanel"
    assert page.js("document.getElementById('output').getAttribute('aria-labelledby')") == \
        "instance-tab-0"
    # the status control is beside its tab, not inside it (a tab's content is hidden
    # from assistive technology), and keeps its own keys
    assert page.js("document.querySelectorAll('#instances [role=tab] select').length") == 0

    page.js("document.querySelector('#instances [tabindex=\"0\"]').focus()")  # Tab arrives
    assert focused_tab(page) == "0"
    press(page, "ArrowRight")
    assert focused_tab(page) == "1"
    assert page.js("document.getElementById('output').dataset.instanceId") == "0"  # not yet
    press(page, "Enter")
    page.wait_for("document.getElementById('output').dataset.instanceId === '1'")
    assert output_text(page) == outputs["1"]
    assert page.attr_list(tabs, "aria-selected") == ["false", "true", "false"]
    assert page.attr_list(tabs, "tabindex") == ["-1", "0", "-1"]
    assert page.js("document.getElementById('output').getAttribute('aria-labelledby')") == \
        "instance-tab-1"
    assert focused_tab(page) == "1"

    for key, expected in [("ArrowRight", "2"), ("ArrowRight", "0"), ("ArrowLeft", "2"),
                          ("ArrowUp", "1"), ("ArrowDown", "2"), ("Home", "0"),
                          ("End", "2")]:
        press(page, key)
        assert focused_tab(page) == expected, key
    press(page, " ")
    page.wait_for("document.getElementById('output').dataset.instanceId === '2'")
    assert output_text(page) == outputs["2"]
    assert page.attr_list(tabs, "aria-selected") == ["false", "false", "true"]
    press(page, "a")  # other keys are left alone
    assert focused_tab(page) == "2"

    select = '#instances select.instance-status[data-instance-id="2"]'
    page.js(f"document.querySelector('{select}').focus()")
    press(page, "ArrowRight")  # the select's own key, not a move between tabs
    assert page.js(f"document.activeElement === document.querySelector('{select}')")
    assert page.js("document.getElementById('output').dataset.instanceId") == "2"


def test_changing_a_status_from_the_keyboard_keeps_the_focus(page: RemotePage,
                                                              window_data: WindowData,
                                                              check: Bridge) -> None:
    """The cards are drawn again after a change; the focus stays on the control."""
    open_detail(page, "s-pause-1")
    select = '#instances select.instance-status[data-instance-id="1"]'
    page.js(f"document.querySelector('{select}').focus()")
    page.set_value(select, "paused")
    page.wait_for("document.querySelector('#instances .instance[data-instance-id=\"1\"]')"
                  ".dataset.status === 'paused'")
    page.wait_idle()
    assert [i["status"] for i in check.get_session_sqlite(
        window_data.workspace, "s-pause-1")["instances"]] == ["running", "paused"]
    assert page.js(f"document.activeElement === document.querySelector('{select}')")


def test_delete_asks_then_removes(page: RemotePage, window_data: WindowData,
                                  check: Bridge) -> None:
    open_detail(page, "s-delete")
    assert page.text("#detail-delete") == "Move to trash"
    page.click("#detail-delete")  # undoable (tests/window/test_keep.py), so not confirmed
    page.wait_for("document.documentElement.dataset.view === 'board'")
    page.wait_idle()
    assert "s-delete" not in board_ids(page)
    with pytest.raises(NotFoundError):
        check.get_session_sqlite(window_data.workspace, "s-delete")


def test_bridge_errors_are_shown(page: RemotePage, window_data: WindowData,
                                 check: Bridge) -> None:
    assert "s-gone" in board_ids(page)
    check.delete_session_sqlite(window_data.workspace, "s-gone")  # behind the page's back
    page.click('#board .card[data-session-id="s-gone"]')
    page.wait_for("document.querySelector('#errors .error-banner')")
    page.wait_idle()
    assert page.text("#errors .error-banner .error-code") == "NOT_FOUND"
    message = page.text("#errors .error-banner .error-message") or ""
    assert "s-gone" in message
    assert page.js("document.querySelector('#errors .error-banner').offsetHeight") > 0
    assert page.js("document.getElementById('view-detail').dataset.failed") == "true"

    # the invoke shim: Tauri-style arguments, errors carry the contract's code
    err = page.run("""
        const { invoke } = await import(new URL('js/invoke.js', document.baseURI).href);
        const outcomes = [];
        for (const [cmd, args] of [
            ['get_session_sqlite', {workspacePath: '', sessionId: 'x'}],
            ['add_chat_message_sqlite', {workspacePath: WS, sessionId: 's-chat',
              message: {id: 's-chat-m0', role: 'user', content: 'dup',
                        timestamp: '2026-01-01T00:00:00Z'}}],
            ['get_session_sqlite', {workspacePath: WS}],
            ['no_such_command', {}],
        ]) {
          try { await invoke(cmd, args); outcomes.push(null); }
          catch (e) { outcomes.push([e.name, e.code, e.command, e instanceof Error]); }
        }
        const ok = await invoke('get_session_sqlite', {workspacePath: WS, sessionId: 's-chat'});
        return {outcomes, ok: ok.id};
    """.replace("WS", json.dumps(window_data.workspace)))
    assert err["outcomes"] == [
        ["ValidationError", "VALIDATION", "get_session_sqlite", True],
        ["ConflictError", "CONFLICT", "add_chat_message_sqlite", True],
        ["ValidationError", "VALIDATION", "get_session_sqlite", True],
        ["UnknownCommand", "UNKNOWN_COMMAND", "no_such_command", True],
    ]
    assert err["ok"] == "s-chat"

    # a failed change keeps the typed text and says why
    open_detail(page, "s-chat")
    check.delete_session_sqlite(window_data.workspace, "s-chat")
    page.set_value("#chat-input", "will not be stored", event="input")
    page.click("#chat-send")
    page.wait_for("Array.from(document.querySelectorAll('#errors .error-banner'))"
                  ".some(b => b.textContent.includes('adding the message'))")
    page.wait_idle()
    assert page.js("document.getElementById('chat-input').value") == "will not be stored"


def test_busy_indicator_shows_while_a_call_runs(page: RemotePage) -> None:
    shown = page.run("""
        const m = await import(new URL('js/feedback.js', document.baseURI).href);
        const busy = document.getElementById('busy');
        const during = m.call('verify_database_integrity', {}, 'checking');
        const bar = document.getElementById('progress');
        const visible = !busy.hidden && bar.classList.contains('active');
        await during;
        return [visible, busy.hidden];
    """)
    assert shown == [True, True]


def test_stored_text_is_shown_as_text(page: RemotePage, window_data: WindowData,
                                      check: Bridge) -> None:
    card = '#board .card[data-session-id="s-xss"]'
    assert page.text(f"{card} .card-task") == XSS
    open_detail(page, "s-xss")
    assert page.text("#detail-task") == XSS
    assert output_text(page) == f"before {XSS} after"
    assert page.texts("#chat .message-content") == [XSS, XSS]
    # typed into the page, stored, shown back literally
    page.set_value("#chat-input", XSS + "<script>window.__pwned=2</script>", event="input")
    page.click("#chat-send")
    page.wait_for("document.querySelectorAll('#chat .message').length === 3")
    page.wait_idle()
    time.sleep(0.3)
    assert page.js("document.querySelectorAll('img, script:not([src])').length") == 0
    assert page.js("typeof window.__pwned") == "undefined"
    stored = check.get_session_sqlite(window_data.workspace, "s-xss")
    assert stored["chatHistory"][-1]["content"] == XSS + "<script>window.__pwned=2</script>"
    # the Content-Security-Policy forbids inline scripts
    csp = page.js("document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')"
                  ".getAttribute('content')")
    assert "script-src 'self' 'unsafe-eval'" in csp and "default-src 'none'" in csp
    page.run("const s = document.createElement('script'); s.textContent = 'window.__inline = 1';"
             "document.body.append(s); await new Promise(r => setTimeout(r, 100)); s.remove();")
    assert page.js("typeof window.__inline") == "undefined"


def test_links_open_in_the_system_browser(page: RemotePage) -> None:
    open_detail(page, "s-link")
    start = page.js("location.href")
    link = "#output a.external"
    assert page.js(f"document.querySelector('{link}').getAttribute('href')") == \
        "https://example.com/docs?q=1"
    page.click(link)
    deadline = time.monotonic() + 10
    while "https://example.com/docs?q=1" not in page.opened_urls():
        assert time.monotonic() < deadline, "the link was not handed to the browser"
        time.sleep(0.05)
    # the main frame is guarded too: a navigation away goes to the browser instead
    page.js("location.href = 'https://example.org/elsewhere'")
    while "https://example.org/elsewhere" not in page.opened_urls():
        assert time.monotonic() < deadline + 10, "the navigation was not handed on"
        time.sleep(0.05)
    time.sleep(0.3)
    assert page.js("location.href") == start
    assert page.js("document.documentElement.dataset.view") == "detail"


PRIVATE_PATHS = [
    "_anything.method",
    "_repo.delete_session",
    "_loop.stop",
    "_run",
    "close",
    "open",
    "__init__",
    "__class__.open",
    "__dict__.clear",
    "create_session_sqlite.__func__.__globals__.clear",
    "create_session_sqlite.__self__.close",
    "get_database_stats.__self__.__class__.close",
    "optimize_database.__call__.__self__.close",
    "list_workspaces.__func__.__call__",
    "list_workspaces.__func__._fn",
]

PROBE = """
    const pv = window.pywebview;
    const settled = {};
    const ask = (path, params) => {
      const id = 'probe' + Math.random().toString(16).slice(2);
      pv._returnValuesCallbacks[path] = pv._returnValuesCallbacks[path] || {};
      pv._returnValuesCallbacks[path][id] = (r) => {
        settled[path] = r.isError ? 'error' : JSON.parse(r.value);
      };
      pv._jsApiCallback(path, params, id);
    };
    for (const [path, params] of PROBES) ask(path, params);
    ask('get_database_stats', []);   // the control: a real command does answer
    const until = Date.now() + 3000;
    while (Date.now() < until && !('get_database_stats' in settled)) {
      await new Promise(r => setTimeout(r, 20));
    }
    await new Promise(r => setTimeout(r, 700));
    return settled;
"""


def probe(page: RemotePage, probes: list[tuple[str, list[object]]]) -> dict[str, object]:
    result: dict[str, object] = page.run(PROBE.replace("PROBES", json.dumps(probes)), timeout=20)
    return result


def test_only_the_commands_are_callable_from_the_page(page: RemotePage,
                                                      window_data: WindowData,
                                                      check: Bridge) -> None:
    before = check.get_database_stats()
    settled = probe(page, [(path, []) for path in PRIVATE_PATHS])
    assert "sessionCount" in settled.pop("get_database_stats")  # type: ignore[operator]
    # pywebview found nothing to call: it only logs, the promise never settles
    assert settled == {}
    # nothing ran: the bridge is open, its module intact, the data unchanged
    assert page.run("return await window.pywebview.api.get_database_stats();")[
        "sessionCount"] == before["sessionCount"]
    again = page.run(f"""
        const {{ invoke }} = await import(new URL('js/invoke.js', document.baseURI).href);
        const s = await invoke('get_session_sqlite',
                               {{workspacePath: {json.dumps(window_data.workspace)},
                                 sessionId: 's-run-1'}});
        return s.id;
    """)
    assert again == "s-run-1"
    page.click("#refresh")
    page.wait_idle()
    assert "s-run-1" in board_ids(page)
    assert page.js("document.getElementById('errors').childElementCount") == 0


def test_command_func_path_is_refused(page: RemotePage, window_data: WindowData,
                                      check: Bridge) -> None:
    settled = probe(page, [("get_database_stats.__func__", [0]),
                           ("list_workspaces.__func__", [])])
    settled.pop("get_database_stats")
    assert all(v == "error" for v in settled.values()), settled
    assert "get_database_stats.__func__" not in settled or \
        settled["get_database_stats.__func__"] == "error"


def test_database_panel(page: RemotePage, check: Bridge) -> None:
    page.click("#tab-database")
    page.wait_for("document.getElementById('view-database').dataset.loaded === 'true'")
    page.wait_idle()
    stats = check.get_database_stats()
    assert page.text('#db-stats [data-stat="sessionCount"] .stat-card-value') == \
        f"{stats['sessionCount']:,}"
    assert page.text("#db-path") == stats["databasePath"]
    page.click("#db-verify")
    page.wait_for("document.getElementById('db-result').dataset.result === 'ok' && "
                  "document.getElementById('db-result').textContent.includes('Integrity')")
    page.wait_idle()
    page.click("#db-optimize")
    page.wait_for("document.getElementById('db-result').textContent.includes('optimized')")
    page.wait_idle()
    assert page.js("document.getElementById('errors').childElementCount") == 0


def test_workspace_picker(page: RemotePage, window_data: WindowData) -> None:
    page.click("#workspace-button")
    page.wait_for("!document.getElementById('workspace-menu').hidden")
    page.wait_idle()
    known = page.attr_list("#workspace-known .workspace-item", "data-path")
    assert set(known) == {window_data.workspace, window_data.other_workspace}
    other = f'#workspace-known .workspace-item[data-path={json.dumps(window_data.other_workspace)}]'
    assert (page.text(f"{other} .workspace-item-meta") or "").startswith("2 sessions")
    page.click(other)
    page.wait_for("document.documentElement.dataset.workspace"
                  f" === {json.dumps(window_data.other_workspace)}")
    page.wait_idle()
    assert sorted(board_ids(page)) == ["w2-a", "w2-b"]
    recent = page.js("JSON.parse(localStorage.getItem('ait42.recentWorkspaces'))")
    assert recent[:2] == [window_data.other_workspace, window_data.workspace]
    # typing a path works too
    page.click("#workspace-button")
    page.set_value("#workspace-input", window_data.workspace, event="input")
    page.js("document.getElementById('workspace-form').requestSubmit()")
    page.wait_for("document.documentElement.dataset.workspace"
                  f" === {json.dumps(window_data.workspace)}")
    page.wait_idle()
    assert "s-run-1" in board_ids(page)


def test_light_and_dark_themes(page: RemotePage) -> None:
    colors = page.run("""
        const select = document.getElementById('theme-select');
        const bg = () => getComputedStyle(document.body).backgroundColor;
        const out = {};
        for (const theme of ['light', 'dark', 'auto']) {
          select.value = theme; select.dispatchEvent(new Event('change'));
          out[theme] = bg();
        }
        out.prefersDark = matchMedia('(prefers-color-scheme: dark)').matches;
        return out;
    """)
    assert colors["light"] != colors["dark"]
    assert colors["auto"] == (colors["dark"] if colors["prefersDark"] else colors["light"])


def test_page_errors_without_a_bridge_call_are_shown(page: RemotePage) -> None:
    with pytest.raises(JsError):
        page.js("(function(){ throw new TypeError('boom'); })()")
    # (Chromium mutes the message of errors thrown by evaluated scripts: "Script error.")
    page.js("setTimeout(() => { throw new Error('late failure'); }, 0)")
    page.wait_for("document.querySelectorAll('#errors .error-banner').length >= 1")
    assert "running the page" in (page.text("#errors .error-banner") or "")
    assert page.texts("#errors .error-banner .error-code") == ["INTERNAL"]
