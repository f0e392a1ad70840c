"""The real page: Move to trash with Undo, the Trash view, Archive and the archived filter,
backups restored while the window is open, Export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.shape.errors import NotFoundError

from . import ui
from .conftest import XSS, RemotePage, WindowData, _session, seed_sessions

pytestmark = pytest.mark.window


@pytest.fixture(scope="module")
def window_data(tmp_path_factory: pytest.TempPathFactory) -> WindowData:
    """A database of this module's own: its restore must not roll back what the other
    window modules' shared database holds."""
    root = tmp_path_factory.mktemp("keep-window")
    ws, ws2, home = root / "repo-main", root / "repo-other", root / "home"
    for folder in (ws, ws2, home):
        folder.mkdir()
    db = str(root / "data" / "sessions.db")
    sessions = seed_sessions()
    with Bridge.open(db) as bridge:
        bridge.create_session_sqlite(str(ws2), _session("w2-a", "debate", "completed",
                                                        "Other workspace session"))
        for s in sessions:
            bridge.create_session_sqlite(str(ws), s)
    return WindowData(db, str(ws), str(ws2), home, [s["id"] for s in sessions])


@pytest.fixture(scope="module")
def check(window_data: WindowData) -> Iterator[Bridge]:
    """A second bridge on this module's database."""
    with Bridge.open(window_data.db) as bridge:
        yield bridge


def board_ids(page: RemotePage) -> list[str]:
    return page.attr_list("#board .card", "data-session-id")


def open_detail(page: RemotePage, session_id: str) -> None:
    page.run(ui.open_session(session_id))
    page.wait_for(f"document.getElementById('view-detail').dataset.sessionId === "
                  f"{json.dumps(session_id)} && "
                  "document.getElementById('view-detail').dataset.loaded === 'true'")
    page.wait_idle()


def reload_board(page: RemotePage) -> None:
    page.run(ui.show_view("board"))
    page.wait_idle()


def test_move_to_trash_and_undo(page: RemotePage, window_data: WindowData,
                                check: Bridge) -> None:
    ws = window_data.workspace
    check.create_session_sqlite(ws, _session("k-undo", "debate", "failed", "Trash me, then undo"))
    stored = check.get_session_sqlite(ws, "k-undo")
    reload_board(page)
    open_detail(page, "k-undo")
    page.click("#detail-delete")
    page.wait_for("document.documentElement.dataset.view === 'board' && "
                  "document.querySelector('#toasts .toast-undo button') !== null")
    page.wait_idle()
    assert "k-undo" not in board_ids(page)
    with pytest.raises(NotFoundError):
        check.get_session_sqlite(ws, "k-undo")
    assert check.list_trash(ws)[0]["sessionId"] == "k-undo"
    assert "Trash me, then undo" in (page.text("#toasts .toast-undo") or "")
    page.click("#toasts .toast-undo button")
    page.wait_for("Array.from(document.querySelectorAll('#board .card'))"
                  ".some(function(c){return c.dataset.sessionId === 'k-undo';})")
    page.wait_idle()
    assert check.get_session_sqlite(ws, "k-undo") == stored  # back whole
    assert [t for t in check.list_trash(ws) if t["sessionId"] == "k-undo"] == []
    check.delete_session_sqlite(ws, "k-undo")
    check.purge_trash(ws, ["k-undo"])


def test_trash_view_restores_and_purges_after_naming_what_goes(
        page: RemotePage, window_data: WindowData, check: Bridge) -> None:
    ws = window_data.workspace
    for sid, task in (("k-t1", "First trashed"), ("k-t2", XSS)):
        check.create_session_sqlite(ws, _session(sid, "ensemble", "completed", task))
        check.delete_session_sqlite(ws, sid)
    page.click("#tab-trash")
    page.wait_for("document.getElementById('view-trash').dataset.loaded === 'true'")
    page.wait_idle()
    rows = page.attr_list("#trash-body tr", "data-session-id")
    assert rows[:2] == ["k-t2", "k-t1"]  # newest first
    assert XSS in page.texts("#trash-body td")  # shown as text
    assert page.js("window.__pwned") is None
    page.click('#trash-body tr[data-session-id="k-t1"] button[data-restore]')
    page.wait_for("!Array.from(document.querySelectorAll('#trash-body tr'))"
                  ".some(function(r){return r.dataset.sessionId === 'k-t1';})")
    page.wait_idle()
    assert check.get_session_sqlite(ws, "k-t1")["task"] == "First trashed"
    page.click("#trash-purge")
    page.wait_for("document.getElementById('confirm-dialog').open")
    assert XSS in (page.text("#confirm-text") or "")  # names what goes
    page.click("#confirm-cancel")
    page.wait_idle()
    assert check.list_trash(ws)[0]["sessionId"] == "k-t2"
    page.click("#trash-purge")
    page.wait_for("document.getElementById('confirm-dialog').open")
    page.click("#confirm-ok")
    page.wait_for("document.getElementById('view-trash').dataset.count === '0'")
    page.wait_idle()
    assert check.list_trash(ws) == []
    assert any(b["reason"] == "purge" for b in check.list_backups())
    check.delete_session_sqlite(ws, "k-t1")
    check.purge_trash(ws, None)


def _row_gone(trash_id: int) -> str:
    return f"!document.querySelector('#trash-body tr[data-trash-id=\"{trash_id}\"]')"


def test_trash_rows_of_a_reused_id_restore_and_delete_their_own_copy(
        page: RemotePage, window_data: WindowData, check: Bridge) -> None:
    """Defect 15: one id trashed twice is two rows; each row's buttons act on its copy."""
    ws = window_data.workspace
    for task in ("Older copy", "Newer copy"):
        check.create_session_sqlite(ws, _session("k-dup", "debate", "completed", task))
        check.delete_session_sqlite(ws, "k-dup")
    newer, older = (t for t in check.list_trash(ws) if t["sessionId"] == "k-dup")
    page.click("#tab-trash")
    page.wait_for("document.getElementById('view-trash').dataset.loaded === 'true'")
    page.wait_idle()
    rows = page.attr_list('#trash-body tr[data-session-id="k-dup"]', "data-trash-id")
    assert rows == [str(newer["trashId"]), str(older["trashId"])]
    page.click(f'#trash-body tr[data-trash-id="{older["trashId"]}"] button[data-restore]')
    page.wait_for(_row_gone(older["trashId"]))
    page.wait_idle()
    assert check.get_session_sqlite(ws, "k-dup")["task"] == "Older copy"  # the row's own copy
    assert [t["trashId"] for t in check.list_trash(ws) if t["sessionId"] == "k-dup"] == [
        newer["trashId"]]
    check.delete_session_sqlite(ws, "k-dup")  # a third copy: Delete for good must spare it
    page.run(ui.show_view("trash"))
    page.wait_idle()
    page.click(f'#trash-body tr[data-trash-id="{newer["trashId"]}"] button[data-purge]')
    page.wait_for("document.getElementById('confirm-dialog').open")
    assert "Newer copy" in (page.text("#confirm-text") or "")
    page.click("#confirm-ok")
    page.wait_for(_row_gone(newer["trashId"]))
    page.wait_idle()
    [left] = [t for t in check.list_trash(ws) if t["sessionId"] == "k-dup"]
    assert left["task"] == "Older copy" and left["trashId"] not in (newer["trashId"],
                                                                   older["trashId"])
    check.purge_trash(ws, ["k-dup"])


def test_archive_button_and_the_archived_filter(page: RemotePage, window_data: WindowData,
                                                check: Bridge) -> None:
    ws = window_data.workspace
    check.create_session_sqlite(ws, _session("k-arch", "debate", "paused", "Archive me"))
    reload_board(page)
    open_detail(page, "k-arch")
    assert page.text("#detail-archive") == "Archive"
    page.click("#detail-archive")
    page.wait_for("document.getElementById('view-detail').dataset.archived === 'true'")
    page.wait_idle()
    assert check.get_session_sqlite(ws, "k-arch")["archivedAt"]
    assert page.text("#detail-archive") == "Unarchive"
    reload_board(page)
    assert "k-arch" not in board_ids(page)
    page.set_value("#filter-archived", "only")
    page.wait_idle()
    assert board_ids(page) == ["k-arch"]
    assert page.attr_list("#board .card", "data-archived") == ["true"]
    page.set_value("#filter-archived", "include")
    page.wait_idle()
    assert "k-arch" in board_ids(page) and len(board_ids(page)) > 1
    check.delete_session_sqlite(ws, "k-arch")
    check.purge_trash(ws, ["k-arch"])


def test_export_from_a_session_and_from_the_board(page: RemotePage, window_data: WindowData,
                                                  check: Bridge, tmp_path: Path) -> None:
    open_detail(page, "s-xss")
    page.click("#detail-export")
    page.wait_for("document.getElementById('export-dialog').open")
    target = tmp_path / "one.html"
    page.set_value("#export-format", "html")
    page.set_value("#export-path", str(target), event="input")
    page.click("#export-ok")
    page.wait_for("!document.getElementById('export-dialog').open")
    page.wait_idle()
    assert "<img" not in target.read_text(encoding="utf-8")
    reload_board(page)
    page.set_value("#filter-status", "failed")
    page.wait_idle()
    shown = set(board_ids(page))
    page.click("#board-export")
    page.wait_for("document.getElementById('export-dialog').open")
    bundle = tmp_path / "failed.json"
    page.set_value("#export-format", "json")
    page.set_value("#export-path", str(bundle), event="input")
    page.click("#export-ok")
    page.wait_for("!document.getElementById('export-dialog').open")
    page.wait_idle()
    data = json.loads(bundle.read_text(encoding="utf-8"))
    assert {s["id"] for w in data["workspaces"] for s in w["sessions"]} == shown


def test_restore_a_backup_while_the_window_is_open(page: RemotePage, window_data: WindowData,
                                                   check: Bridge) -> None:
    ws = window_data.workspace
    check.create_session_sqlite(ws, _session("k-write", "debate", "running", "Write after"))
    made = check.create_backup(None)
    check.create_session_sqlite(ws, _session("k-after", "debate", "running", "After the backup"))
    reload_board(page)
    assert "k-after" in board_ids(page)
    page.run(ui.show_view("database"))
    page.wait_for("document.getElementById('backups-panel').dataset.loaded === 'true'")
    page.wait_idle()
    paths = page.attr_list("#backups-body tr", "data-path")
    assert made["path"] in paths
    index = paths.index(made["path"])
    page.click(f"#backups-body tr:nth-child({index + 1}) button[data-restore]")
    page.wait_for("document.getElementById('confirm-dialog').open")
    page.click("#confirm-ok")
    page.wait_for("Array.from(document.querySelectorAll('#backups-body tr'))"
                  ".some(function(r){return r.dataset.reason === 'restore';})")
    page.wait_idle()
    assert page.js("document.getElementById('errors').childElementCount") == 0
    with pytest.raises(NotFoundError):
        check.get_session_sqlite(ws, "k-after")  # the other bridge sees the restored data
    reload_board(page)
    assert "k-after" not in board_ids(page) and "s-run-1" in board_ids(page)
    open_detail(page, "k-write")  # the window's bridge carries on: reads and writes
    page.set_value("#chat-input", "after the restore", event="input")
    page.click("#chat-send")
    page.wait_for("document.getElementById('chat-input').value === ''")
    page.wait_idle()
    assert check.get_session_sqlite(ws, "k-write")["chatHistory"][-1]["content"] == \
        "after the restore"
    check.delete_session_sqlite(ws, "k-write")
    check.purge_trash(ws, ["k-write"])
