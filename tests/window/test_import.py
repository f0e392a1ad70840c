"""The "Import & storage" view in the real window: the legacy import with its
progress and summary, the storage mode, the consistency report, and the
per-command metrics of the database panel.

This module has a window and a database of its own (the import adds
workspaces, which the other modules' tests would see), with ``HOME`` and
``AIT42_SESSIONS_DIR`` pointing into a temporary folder. What the page did is
checked through a second Bridge on the same files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.shape.workspace import legacy_hash

from ..legacy_files import shell_form, worktree_session, write_shell_file
from ..legacy_sample import write_legacy_folder
from . import ui
from .conftest import RemotePage, WindowData, _session, open_window

pytestmark = pytest.mark.window

FILES = 5  # valid legacy files (workspaces) in the import folder
PER_FILE = 70  # sessions in each
INVALID = "imp-1-005"  # a session with an invalid status, in the second file


@dataclass
class ImportData:
    window: WindowData
    sessions_dir: Path  # the legacy folder the window's bridge uses (dual mode writes there)
    legacy: Path  # the folder the page imports
    workspaces: list[str]
    bad_file: str  # the malformed file's name
    big: Path  # a larger folder, for the cancel test


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ImportData:
    root = tmp_path_factory.mktemp("import-window")
    home = root / "home"
    home.mkdir()
    main = root / "repo-main"
    main.mkdir()
    db = str(root / "data" / "sessions.db")
    with Bridge.open(db, sessions_dir=home / ".ait42" / "sessions") as bridge:
        bridge.create_session_sqlite(str(main), _session("seed-1", "debate", "completed",
                                                         "A session only the database has"))

    # Legacy files as the shell writes them (pretty-printed, null optionals), one
    # workspace each; one session with an invalid status; one truncated file.
    legacy = root / "legacy"
    workspaces = []
    for k in range(FILES):
        ws = root / f"proj-{k}"
        ws.mkdir()
        workspaces.append(str(ws))
        sessions = [shell_form(worktree_session(f"imp-{k}-{n:03d}", str(ws), instances=2,
                                                messages=3, output="build log line\n" * 40))
                    for n in range(PER_FILE)]
        if k == 1:
            sessions[5]["status"] = "exploded"
        write_shell_file(legacy, str(ws), sessions)
    bad = legacy / f"{legacy_hash(str(root / 'proj-broken'))}.json"
    bad.write_text('[\n  {\n    "id": "broken-1",\n    "type": "compet', encoding="utf-8")

    big = root / "big"
    write_legacy_folder(big, sessions=1500, files=60, instances=2, messages=4,
                        root=str(root / "bench"))

    window = WindowData(db, str(main), str(main), home, ["seed-1"])
    return ImportData(window, home / ".ait42" / "sessions", legacy, workspaces, bad.name, big)


@pytest.fixture(scope="module")
def window(data: ImportData) -> Iterator[RemotePage]:
    page = open_window(data.window, {"AIT42_SESSIONS_DIR": str(data.sessions_dir)})
    try:
        page.run(ui.choose_workspace(data.window.workspace))
        page.wait_idle()
        yield page
    finally:
        page.close()


@pytest.fixture
def page(window: RemotePage) -> RemotePage:
    """The shared window on the Import & storage view, with no banners."""
    window.run("""
        const dialog = document.getElementById('confirm-dialog');
        if (dialog.open) document.getElementById('confirm-cancel').click();
        if (document.getElementById('storage-dialog').open) {
          document.getElementById('storage-keep').click();
        }
        document.getElementById('errors').replaceChildren();
    """)
    window.run(ui.show_view("import"))
    window.wait_idle()
    return window


@pytest.fixture(scope="module")
def check(data: ImportData) -> Iterator[Bridge]:
    """A second bridge on the window's database and legacy folder."""
    with Bridge.open(data.window.db, sessions_dir=data.sessions_dir) as bridge:
        yield bridge


# Records every state the progress view goes through (a MutationObserver sees each
# change the page makes to the panel, even between two of the test's looks).
OBSERVE = """
    const panel = document.getElementById('import-panel');
    window.__seen = [];
    const snap = () => window.__seen.push({
      state: panel.dataset.state || null, percent: Number(panel.dataset.percent || 0),
      polls: Number(panel.dataset.polls || 0), filesDone: Number(panel.dataset.filesDone || 0),
      files: document.getElementById('import-files').textContent,
      sessions: document.getElementById('import-sessions').textContent,
      progressShown: !document.getElementById('import-progress').hidden,
      cancelShown: !document.getElementById('import-cancel').hidden,
    });
    if (window.__observer) window.__observer.disconnect();
    window.__observer = new MutationObserver(snap);
    window.__observer.observe(panel, {attributes: true,
      attributeFilter: ['data-state', 'data-percent', 'data-polls', 'data-files-done']});
"""

FINISHED = ("['done', 'failed'].includes(document.getElementById('import-panel').dataset.state)"
            " && !document.getElementById('import-summary').hidden")


def fill_import_form(page: RemotePage, folder: str, *, dry_run: bool = False,
                     no_backup: bool = True) -> None:
    page.set_value("#import-dir", folder, event="input")
    page.js(f"document.getElementById('import-dry-run').checked = {json.dumps(dry_run)}")
    page.js(f"document.getElementById('import-no-backup').checked = {json.dumps(no_backup)}")


def seen(page: RemotePage) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.js("window.__seen")
    return result


def test_import_from_the_page(page: RemotePage, data: ImportData, check: Bridge) -> None:
    valid = FILES * PER_FILE - 1
    fill_import_form(page, str(data.legacy))
    page.run(OBSERVE)
    page.click("#import-start")
    page.wait_for(FINISHED, timeout=30)
    page.wait_idle()

    states = seen(page)
    running = [s for s in states if s["state"] == "running"]
    assert running and all(s["progressShown"] and s["cancelShown"] for s in running)
    assert states[-1]["state"] == "done" and states[-1]["percent"] == 100
    assert not any(s["state"] == "done" for s in states[: states.index(running[-1])])
    assert page.js("Number(document.getElementById('import-panel').dataset.polls)") >= 1
    # the progress view ends on the final figures; Cancel is gone, the form usable again
    assert page.text("#import-files") == f"{FILES + 1} / {FILES + 1}"
    assert page.text("#import-sessions") == f"{FILES * PER_FILE:,} / {FILES * PER_FILE:,}"
    assert page.text("#import-state-label") == "Import finished"
    assert page.js("document.getElementById('import-cancel').hidden")
    assert not page.js("document.getElementById('import-start').disabled")

    # the summary: totals read vs written, per workspace, and the issues
    assert page.js("document.querySelector('#import-summary .summary').dataset.ok") == "false"
    totals = page.js("""Object.fromEntries(Array.from(document.querySelectorAll(
        '#import-totals tbody tr')).map(tr => [tr.dataset.count, Object.fromEntries(
        Array.from(tr.querySelectorAll('td')).map(td => [td.dataset.column, td.textContent]))]))""")
    assert totals["sessions"] == {"read": f"{FILES * PER_FILE:,}", "written": f"{valid:,}",
                                  "unchanged": "0", "skipped": "1"}
    assert totals["instances"]["written"] == f"{valid * 2:,}"
    assert totals["messages"]["read"] == f"{FILES * PER_FILE * 3:,}"
    rows = page.js("""Array.from(document.querySelectorAll('#import-workspaces-table tr.import-ws'))
        .map(tr => ({file: tr.dataset.file, status: tr.dataset.status,
                     path: tr.querySelector('.ws-path').textContent,
                     read: tr.querySelector('td[data-key=sessions]').dataset.read,
                     written: tr.querySelector('td[data-key=sessions]').dataset.written,
                     shown: tr.querySelector('td[data-key=sessions] .rw').textContent}))""")
    by_file = {r["file"]: r for r in rows}
    assert len(rows) == FILES + 1
    for k, ws in enumerate(data.workspaces):
        row = by_file[f"{legacy_hash(ws)}.json"]
        assert row["path"] == ws and row["status"] == "imported"
        assert row["read"] == str(PER_FILE)
        assert row["written"] == str(PER_FILE - (1 if k == 1 else 0))
        assert row["shown"] == f"{PER_FILE} → {row['written']}"
    assert by_file[data.bad_file]["status"] == "failed"
    issues = page.js("""Array.from(document.querySelectorAll('#import-issues .issue')).map(li => ({
        kind: li.dataset.kind, file: li.querySelector('.issue-file').textContent,
        session: li.dataset.sessionId || null,
        reason: li.querySelector('.issue-reason').textContent}))""")
    assert {(i["kind"], i["file"], i["session"]) for i in issues} == {
        ("invalid", f"{legacy_hash(data.workspaces[1])}.json", INVALID),
        ("file", data.bad_file, None),
    }
    assert any("not valid JSON" in i["reason"] for i in issues)
    summary_text = page.text("#import-summary") or ""
    assert f"{valid:,} sessions read back equal" in summary_text
    assert "Issues (2)" in summary_text
    assert page.js("document.getElementById('errors').childElementCount") == 0

    # the sessions arrived: a second bridge on the same database file
    for k, ws in enumerate(data.workspaces):
        stored = check.get_all_sessions_sqlite(ws)
        expected = {f"imp-{k}-{n:03d}" for n in range(PER_FILE)} - {INVALID}
        assert {s["id"] for s in stored} == expected
        one = check.get_session_sqlite(ws, f"imp-{k}-000")
        assert len(one["instances"]) == 2 and len(one["chatHistory"]) == 3

    # storage mode JSON: the page suggests moving on, and switches nothing by itself
    page.wait_for("document.getElementById('storage-dialog').open")
    text = page.text("#storage-dialog-text") or ""
    assert f"{valid:,} sessions are in the database now" in text and "JSON" in text
    assert [t.strip() for t in page.texts("#storage-dialog .storage-choice .mode-name")] == [
        "Switch to Dual", "Switch to SQLite"]
    assert page.js("document.activeElement.id") == "storage-keep"
    assert check.get_storage_mode()["mode"] == "json"
    page.click("#storage-keep")
    page.wait_for("!document.getElementById('storage-dialog').open")
    assert check.get_storage_mode()["mode"] == "json"

    # a re-run through the page changes nothing and says so
    page.run(OBSERVE)
    page.click("#import-start")
    page.wait_for(FINISHED + " && document.getElementById('import-panel').dataset.state "
                  "=== 'done' && window.__seen.some(s => s.state === 'running')", timeout=30)
    page.wait_idle()
    again = page.js("""Object.fromEntries(Array.from(document.querySelectorAll(
        '#import-totals tr[data-count=sessions] td'))
        .map(td => [td.dataset.column, td.textContent]))""")
    assert again == {"read": f"{FILES * PER_FILE:,}", "written": "0", "unchanged": f"{valid:,}",
                     "skipped": "1"}
    assert sum(len(check.get_all_sessions_sqlite(ws)) for ws in data.workspaces) == valid
    assert not page.js("document.getElementById('storage-dialog').open")  # nothing written


SUGGEST = "const m = await import(new URL('js/storage_suggest.js', document.baseURI).href);"


def test_the_suggestion_switches_only_on_a_click(page: RemotePage, check: Bridge) -> None:
    check.set_storage_mode("json")
    page.run(SUGGEST + " window.__suggested = m.suggestStorageMode({imported: 1});")
    page.wait_for("document.getElementById('storage-dialog').open")
    assert "1 session is in the database now" in (page.text("#storage-dialog-text") or "")
    page.js("document.getElementById('storage-dialog').dispatchEvent("
            "new Event('cancel', {cancelable: true}))")  # Esc
    page.wait_for("!document.getElementById('storage-dialog').open")
    assert page.run("return await window.__suggested;") is None
    assert check.get_storage_mode()["mode"] == "json"
    page.run(SUGGEST + " window.__suggested = m.suggestStorageMode({imported: 1});")
    page.wait_for("document.getElementById('storage-dialog').open")
    page.click('#storage-dialog .storage-choice[data-mode="dual"]')
    page.wait_for("!document.getElementById('storage-dialog').open")
    assert page.run("return (await window.__suggested).mode;") == "dual"
    assert check.get_storage_mode()["mode"] == "dual"
    # another mode already: nothing to suggest
    assert page.run(SUGGEST + " return await m.suggestStorageMode({imported: 5});") is None
    assert not page.js("document.getElementById('storage-dialog').open")
    check.set_storage_mode("json")


def test_import_progress_and_cancel(page: RemotePage, data: ImportData, check: Bridge) -> None:
    fill_import_form(page, str(data.big))
    page.run(OBSERVE)
    page.click("#import-start")
    # a progress value from Python while the import runs, then Cancel
    page.wait_for("window.__seen.some(s => s.state === 'running' && s.polls >= 1 && "
                  "s.filesDone >= 1 && s.percent > 0 && s.percent < 100)", timeout=30)
    page.click("#import-cancel")
    page.wait_for(FINISHED, timeout=30)
    page.wait_idle()
    states = seen(page)
    live = [s for s in states if s["state"] == "running" and s["filesDone"] >= 1]
    assert live and all(s["files"].endswith(" / 60") for s in live)
    assert page.js("document.getElementById('import-panel').dataset.state") == "failed"
    assert page.text("#import-state-label") == "Import cancelled"
    assert "Import cancelled" in (page.text("#import-summary") or "")
    done = int(page.js("document.getElementById('import-panel').dataset.filesDone"))
    assert 1 <= done < 60
    # and the summary of what the cancelled run imported before it stopped
    assert page.js("document.querySelector('#import-summary .summary') !== null")
    # a cancel is what the person asked for: no error banner
    assert page.js("document.getElementById('errors').childElementCount") == 0
    assert not page.js("document.getElementById('import-start').disabled")


def test_a_failed_import_shows_the_error(page: RemotePage, data: ImportData) -> None:
    missing = str(data.legacy.parent / "no-such-folder")
    fill_import_form(page, missing)
    page.click("#import-start")
    page.wait_for(FINISHED, timeout=30)
    page.wait_for("document.querySelector('#errors .error-banner')")
    page.wait_idle()
    assert page.js("document.getElementById('import-panel').dataset.state") == "failed"
    assert page.text("#errors .error-banner .error-code") == "IO"
    assert "no-such-folder" in (page.text("#errors .error-banner .error-message") or "")
    assert page.text("#import-state-label") == "Import failed"
    # a bad option is refused at once, with its code
    started = page.run("""
        const { invoke } = await import(new URL('js/invoke.js', document.baseURI).href);
        try { await invoke('start_import', {dir: null, options: {dryRun: 'yes'}}); return null; }
        catch (e) { return [e.code, e.command]; }
    """)
    assert started == ["VALIDATION", "start_import"]


def test_storage_mode_is_shown_and_switched(page: RemotePage, data: ImportData,
                                            check: Bridge) -> None:
    check.set_storage_mode("json")
    page.run(ui.show_view("import"))
    page.wait_idle()
    assert page.js("document.getElementById('storage-panel').dataset.mode") == "json"
    assert page.attr_list("#storage-modes .mode-option", "aria-checked") == [
        "true", "false", "false"]
    assert all(t.strip() for t in page.texts("#storage-modes .mode-text"))
    assert str(data.sessions_dir) in (page.text("#storage-dir") or "")

    # asks first; cancelling changes nothing
    page.click('#storage-modes .mode-option[data-mode="dual"]')
    page.wait_for("document.getElementById('confirm-dialog').open")
    assert "Dual" in (page.text("#confirm-title") or "")
    page.click("#confirm-cancel")
    page.wait_for("!document.getElementById('confirm-dialog').open")
    page.wait_idle()
    assert check.get_storage_mode()["mode"] == "json"
    assert page.js("document.getElementById('storage-panel').dataset.mode") == "json"

    for mode in ("dual", "sqlite"):
        page.click(f'#storage-modes .mode-option[data-mode="{mode}"]')
        page.wait_for("document.getElementById('confirm-dialog').open")
        page.click("#confirm-ok")
        page.wait_for(f"document.getElementById('storage-panel').dataset.mode === '{mode}'")
        page.wait_idle()
        assert check.get_storage_mode()["mode"] == mode  # a second bridge sees it
        option = f'#storage-modes .mode-option[data-mode="{mode}"]'
        assert page.attr_list(option, "aria-checked") == ["true"]
    assert page.text("#storage-current") == "SQLite"

    # a mode changed elsewhere shows when the view is opened again
    check.set_storage_mode("json")
    page.run(ui.show_view("board"))
    page.run(ui.show_view("import"))
    page.wait_idle()
    assert page.js("document.getElementById('storage-panel').dataset.mode") == "json"
    assert page.js("document.getElementById('errors').childElementCount") == 0


def test_consistency_report_shows_a_planted_difference(page: RemotePage, data: ImportData,
                                                       check: Bridge) -> None:
    ws = data.window.workspace
    ws_hash = legacy_hash(ws)
    check.set_storage_mode("dual")
    for sid in ("dual-1", "dual-2"):
        check.create_session(ws, _session(sid, "competition", "running", f"Dual session {sid}"))
    # edit the JSON file behind the database's back: a changed task, a session the
    # database never saw
    path = data.sessions_dir / f"{ws_hash}.json"
    sessions = json.loads(path.read_text(encoding="utf-8"))
    edited = "Task edited in the JSON file"
    for s in sessions:
        if s["id"] == "dual-1":
            s["task"] = edited
    sessions.append(_session("json-only", "debate", "paused", "Only in the JSON file"))
    path.write_text(json.dumps(sessions, indent=2), encoding="utf-8")
    # a dual write on the edited session finds the difference and records an event
    check.add_chat_message(ws, "dual-1", {"id": "dual-1-new", "role": "user",
                                          "content": "after the edit",
                                          "timestamp": "2026-02-01T10:00:00Z"})

    page.click("#consistency-check")
    page.wait_for("document.getElementById('consistency-panel').dataset.ok !== undefined")
    page.wait_idle()
    assert page.js("document.getElementById('consistency-panel').dataset.ok") == "false"
    card = f'#consistency-report .cons-ws[data-hash="{ws_hash}"]'
    assert page.js(f"document.querySelector('{card}').dataset.ok") == "false"
    row = page.texts(f'{card} .diff[data-session-id="dual-1"] tr[data-field="task"] td')
    assert row == ["task", edited, "Dual session dual-1"]
    assert page.texts(f'{card} [data-part="missingInDatabase"] li .mono') == ["json-only"]
    assert page.attr_list(f'{card} [data-part="missingInJson"] li', "data-session-id") == [
        "seed-1"]
    assert "dual-2" not in (page.text(f"{card} [data-part='different']") or "")
    totals = page.js("""Object.fromEntries(Array.from(document.querySelectorAll(
        '#consistency-totals [data-total]')).map(d => [d.dataset.total,
        d.querySelector('dd').textContent]))""")
    report = check.check_consistency()
    assert totals["different"] == str(report["totals"]["different"]) and totals["different"] != "0"
    assert totals["missingInDatabase"] == str(report["totals"]["missingInDatabase"])
    # the dual-write events, newest first
    events = page.js("""Array.from(document.querySelectorAll('#dual-events tbody tr')).map(tr =>
        [tr.dataset.kind, tr.children[1].textContent, tr.children[2].textContent])""")
    assert events[0] == ["difference", "add_chat_message", "dual-1"]
    assert "task" in page.texts("#dual-events tbody tr td")[6]
    assert page.js("document.getElementById('errors').childElementCount") == 0
    check.set_storage_mode("json")


def test_metrics_table_lists_the_commands_called(page: RemotePage) -> None:
    page.click("#consistency-check")
    page.wait_for("document.getElementById('consistency-panel').dataset.checkedAt")
    page.wait_idle()
    page.run("await window.pywebview.api.verify_database_integrity();")
    page.click("#tab-database")
    page.wait_for("document.getElementById('metrics-panel').dataset.loaded === 'true'")
    page.wait_idle()
    rows = page.js("""Object.fromEntries(Array.from(document.querySelectorAll(
        '#metrics-body tr')).map(tr => [tr.dataset.command, {count: Number(tr.dataset.count),
        errors: Number(tr.dataset.errors),
        cells: Array.from(tr.children).map(c => c.textContent)}]))""")
    # what this page called: the views' loads, the storage mode, the check
    for command in ("get_database_stats", "list_session_summaries", "get_storage_mode",
                    "check_consistency", "verify_database_integrity"):
        assert rows[command]["count"] >= 1, command
        assert rows[command]["cells"][3].endswith(" ms")
    # a failed call is counted under its code
    page.run("""try { await window.pywebview.api.get_session_sqlite('', 'x'); } catch (e) {}""")
    page.click("#metrics-refresh")
    page.wait_for("document.querySelector('#metrics-body tr[data-command=get_session_sqlite]')")
    page.wait_idle()
    assert page.text('#metrics-body tr[data-command="get_session_sqlite"] .error-chip') == \
        "VALIDATION \u00d71"
    assert page.js("document.getElementById('metrics-empty').hidden")


def test_dry_run_and_workspace_paths_from_the_form(page: RemotePage, data: ImportData,
                                                   check: Bridge) -> None:
    # a workspace whose path the sessions do not reveal (worktrees live elsewhere)
    root = data.legacy.parent
    elsewhere = root / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    folder = root / "unmapped-legacy"
    sessions = [shell_form(worktree_session(f"far-{n}", "/mnt/other-disk/x", instances=1,
                                            messages=1)) for n in range(3)]
    write_shell_file(folder, str(elsewhere), sessions)
    ws_hash = legacy_hash(str(elsewhere))

    fill_import_form(page, str(folder), dry_run=True)
    page.set_value("#import-workspaces", "", event="input")
    page.run(OBSERVE)
    page.click("#import-start")
    page.wait_for(FINISHED + " && window.__seen.some(s => s.state === 'running')", timeout=30)
    page.wait_idle()
    assert page.text("#import-state-label") == "Dry run finished"
    assert (page.text("#import-summary .result-title") or "").startswith("Dry run")
    assert page.attr_list("#import-unmapped li", "data-hash") == [ws_hash]
    assert check.get_all_sessions_sqlite(str(elsewhere)) == []  # nothing written

    fill_import_form(page, str(folder), dry_run=False)
    page.set_value("#import-workspaces", f"  {elsewhere}  \n\n", event="input")
    page.run(OBSERVE)
    page.click("#import-start")
    page.wait_for(FINISHED + " && window.__seen.some(s => s.state === 'running')", timeout=30)
    page.wait_idle()
    assert page.text("#import-state-label") == "Import finished"
    row = f'#import-workspaces-table tr[data-hash="{ws_hash}"]'
    assert page.text(f"{row} .ws-path") == str(elsewhere)
    assert "path from argument" in (page.text(f"{row} .ws-cell") or "")
    assert page.js("document.getElementById('import-unmapped')") is None
    assert {s["id"] for s in check.get_all_sessions_sqlite(str(elsewhere))} == {
        "far-0", "far-1", "far-2"}
    page.set_value("#import-workspaces", "", event="input")
