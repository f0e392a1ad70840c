"""Issue 18: the shell's own statuses (`started`, `round_<n>`; instances `starting`,
`timeout`, `error`) in the database: migration 11 relaxes the CHECK constraints by
rebuilding `sessions` and `instances`, keeping every row, index, trigger and key;
the commands accept those statuses under the models' one rule."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.faces.service import Service
from ait42_session.shape.errors import SessionError
from ait42_session.store import migrations

from .conftest import make_session


def _snapshot(path: Path) -> dict[str, Any]:
    """Every table's row count and content digest; every index and trigger's SQL."""
    with sqlite3.connect(path) as conn:
        objects = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"
            " WHERE type IN ('index', 'trigger') ORDER BY name").fetchall()
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_fts_%'"
            " AND name <> 'migration_metadata' ORDER BY name")]
        rows = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1, 2').fetchall()
                for t in tables}
        sessions = conn.execute("SELECT rowid, * FROM sessions ORDER BY rowid").fetchall()
        instances = conn.execute("SELECT rowid, * FROM instances ORDER BY rowid").fetchall()
    return {
        "objects": [(t, n, tb, re.sub(r"\s+", " ", s or "")) for t, n, tb, s in objects],
        "rows": rows, "sessions": sessions, "instances": instances,
    }


def test_migration_11_keeps_every_row_index_trigger_and_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workspace: str) -> None:
    def up_to(version: int) -> Path:
        folder = tmp_path / f"migrations-{version}"
        shutil.copytree(migrations.default_dir(), folder, ignore=lambda _d, names: [
            n for n in names if n.split("_")[0].isdigit() and int(n.split("_")[0]) > version])
        return folder

    up_to_10, up_to_11 = up_to(10), up_to(11)
    monkeypatch.setattr(migrations, "default_dir", lambda: up_to_10)
    db = tmp_path / "sessions.db"
    # derived=False: today's catch-up writes tables of later migrations
    with Service.open(db, derived=False) as b:
        for k in range(40):
            b.create_session_sqlite(workspace, make_session(
                f"s{k}", instances=3, messages=2, updated=f"2026-01-13T12:{k:02d}:00Z"))
        b.append_instance_output(workspace, "s1", 0, "streamed chunk")
        b.archive_session(workspace, "s2", True)
        b.delete_session_sqlite(workspace, "s3")
        assert len(b.get_all_sessions_sqlite(workspace)) == 39
        with pytest.raises(SessionError):  # version 10 refuses it
            b.create_session_sqlite(workspace, make_session("d", status="round_1"))
    before = _snapshot(db)
    assert before["rows"]["output_appends"] and before["rows"]["trash"]
    monkeypatch.setattr(migrations, "default_dir", lambda: up_to_11)

    with Service.open(db, derived=False):
        pass
    monkeypatch.undo()
    after = _snapshot(db)
    assert after == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT max(version) FROM migration_metadata").fetchone() == (11,)

    with Bridge.open(db) as opened:
        # the keys still cascade, the triggers still fire
        opened.purge_trash(None, None)
        opened.delete_session_sqlite(workspace, "s1")
        opened.purge_trash(None, None)
        opened.append_instance_output(workspace, "s4", 1, "more")
        assert opened.get_session_sqlite(workspace, "s4")["instances"][1]["output"].endswith("more")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM instances WHERE session_id = 's1'"
                            ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM output_appends WHERE session_id = 's1'"
                            ).fetchone() == (0,)
        assert conn.execute("SELECT kind FROM session_changes WHERE session_id = 's1'"
                            ).fetchone() == ("deleted",)


def test_the_database_keeps_a_status_a_short_word(bridge: Bridge, db_path: str,
                                                  workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session("s"))
    with sqlite3.connect(db_path) as conn:
        for status in ("round_12", "started", "x" * 100):
            conn.execute("UPDATE sessions SET status = ?", (status,))
            conn.execute("UPDATE instances SET status = ?", (status,))
        for bad in ("", "x" * 101, "Round 1", "round-1", "a\nb", None):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute("UPDATE sessions SET status = ?", (bad,))
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute("UPDATE instances SET status = ?", (bad,))
        conn.rollback()


@pytest.mark.parametrize("status", ["started", "round_1", "round_3"])
def test_the_commands_take_the_shells_statuses(bridge: Bridge, workspace: str,
                                               status: str) -> None:
    session = make_session("d", type="debate", status=status, instances=3)
    for k, inst_status in enumerate(("starting", "timeout", "error")):
        session["instances"][k]["status"] = inst_status
    stored = bridge.create_session_sqlite(workspace, session)
    assert stored["status"] == status
    assert [i["status"] for i in stored["instances"]] == ["starting", "timeout", "error"]
    stored = bridge.update_session_sqlite(workspace, dict(session, status="round_4"))
    assert stored["status"] == "round_4"
    after = bridge.update_instance_status_sqlite(workspace, "d", 0, "timeout")
    assert after["instances"][0]["status"] == "timeout"
    listed = bridge.search_sessions("login", {"status": "round_4"})["items"]
    assert [h["sessionId"] for h in listed] == ["d"]


@pytest.mark.parametrize("bad", ["Round_1", "round_", "round_x", "done", "", " running",
                                 "round_1234567890"])
def test_anything_else_is_still_refused(bridge: Bridge, workspace: str, bad: str) -> None:
    with pytest.raises(SessionError) as caught:
        bridge.create_session_sqlite(workspace, make_session("x", status=bad))
    assert caught.value.code == "VALIDATION"
    with pytest.raises(SessionError):
        bridge.create_session_sqlite(workspace, make_session("y"))  # fine
        bridge.update_instance_status_sqlite(workspace, "y", 0, bad)
