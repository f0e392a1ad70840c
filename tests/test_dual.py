"""Storage mode ``dual``: both stores written, the database read, disagreements recorded."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.legacy.json_files import normalize
from ait42_session.shape.errors import (
    ConflictError,
    DatabaseError,
    FileError,
    JsonError,
    NotFoundError,
    ValidationError,
)
from ait42_session.shape.workspace import legacy_hash

from .conftest import fill_disk, make_session
from .legacy_files import legacy_read
from .test_import import cli


@pytest.fixture
def dual(bridge: Bridge) -> Bridge:
    assert bridge.set_storage_mode("dual")["previous"] == "json"
    return bridge


def _events(db_path: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT command, session_id, kind, database_outcome, json_outcome,"
                            " detail FROM dual_write_events ORDER BY id").fetchall()


def test_every_command_keeps_the_json_file_readable_and_equal_to_the_database(
        dual: Bridge, workspace: str, sessions_dir: Path, db_path: str) -> None:
    path = sessions_dir / f"{legacy_hash(workspace)}.json"
    msg = {"id": "m9", "role": "assistant", "content": "done", "timestamp":
           "2026-01-13T11:00:00Z", "reactions": None}
    steps: list[Callable[[], object]] = [
        lambda: dual.create_session(workspace, make_session("s1", evaluation={"a": None})),
        lambda: dual.create_session(workspace, make_session("s2", instances=0, messages=0)),
        lambda: dual.add_chat_message(workspace, "s1", msg),
        lambda: dual.update_instance_status(workspace, "s1", 1, "archived"),
        lambda: dual.update_session(workspace, make_session("s2", task="renamed")),
        lambda: dual.delete_session(workspace, "s1"),
    ]
    for step in steps:
        result = step()
        on_disk = legacy_read(path)  # the shell can still read it after every command
        in_db = dual.get_all_sessions_sqlite(workspace)
        assert sorted((normalize(s) for s in on_disk), key=lambda s: s["id"]) == sorted(
            in_db, key=lambda s: s["id"])
        if isinstance(result, dict):
            assert result == dual.get_session(workspace, result["id"])
    assert [s["id"] for s in dual.get_all_sessions(workspace)] == ["s2"]
    assert dual.check_consistency()["ok"]
    assert _events(db_path) == []


def test_add_message_sets_the_same_updated_at_in_both(dual: Bridge, workspace: str,
                                                      sessions_dir: Path) -> None:
    dual.create_session(workspace, make_session("s1"))
    got = dual.add_chat_message(workspace, "s1", {"id": "m9", "role": "user", "content": "x",
                                                  "timestamp": "2026-01-13T11:00:00Z"})
    on_disk = legacy_read(sessions_dir / f"{legacy_hash(workspace)}.json")
    assert on_disk[0]["updatedAt"] == got["updatedAt"] != "2026-01-13T12:30:00Z"


def test_reads_come_from_the_database(dual: Bridge, workspace: str) -> None:
    dual.create_session_sqlite(workspace, make_session("db_only"))
    assert dual.get_session(workspace, "db_only")["id"] == "db_only"
    dual.set_storage_mode("json")
    with pytest.raises(NotFoundError):
        dual.get_session(workspace, "db_only")


def test_a_json_write_that_fails_rolls_the_database_back_and_is_recorded(
        dual: Bridge, workspace: str, sessions_dir: Path, db_path: str) -> None:
    path = sessions_dir / f"{legacy_hash(workspace)}.json"
    path.parent.mkdir(parents=True)
    path.write_text('[{"id": "x"', encoding="utf-8")  # the shell left half a file
    with pytest.raises(JsonError, match=r"dual storage: the JSON file could not be written.*"
                                        r"recorded as dual-write event #1"):
        dual.create_session(workspace, make_session("s1"))
    with pytest.raises(NotFoundError):
        dual.get_session_sqlite(workspace, "s1")  # a failed command changes nothing
    assert path.read_text(encoding="utf-8") == '[{"id": "x"'
    [(command, sid, kind, db_out, json_out, _detail)] = _events(db_path)
    assert (command, sid, kind, db_out) == ("create_session", "s1", "json_failed",
                                            "rolled back")
    assert json_out.startswith("JSON: ") and "not valid JSON" in json_out
    report = dual.check_consistency()
    assert report["dualWriteEvents"]["total"] == 1
    assert report["dualWriteEvents"]["events"][0]["kind"] == "json_failed"


def test_a_change_the_database_refuses_but_json_would_take_is_recorded(
        dual: Bridge, workspace: str, tmp_path: Path, sessions_dir: Path,
        db_path: str) -> None:
    other = str(tmp_path / "other")
    dual.create_session_sqlite(other, make_session("s1"))  # the id is taken in the database
    with pytest.raises(ConflictError, match="recorded as dual-write event"):
        dual.create_session(workspace, make_session("s1"))
    assert not (sessions_dir / f"{legacy_hash(workspace)}.json").exists()
    [(_c, _s, kind, db_out, json_out, _d)] = _events(db_path)
    assert kind == "database_failed" and db_out.startswith("CONFLICT")
    assert json_out == "would succeed"


def test_failures_both_stores_share_are_ordinary_and_not_recorded(
        dual: Bridge, workspace: str, db_path: str) -> None:
    dual.create_session(workspace, make_session("s1"))
    with pytest.raises(NotFoundError):
        dual.update_instance_status(workspace, "s1", 42, "failed")
    with pytest.raises(ConflictError):
        dual.create_session(workspace, make_session("s1"))
    with pytest.raises(ValidationError):
        dual.create_session(workspace, {"id": "no"})
    assert _events(db_path) == []


def test_a_session_missing_from_json_fails_the_write_and_is_recorded(
        dual: Bridge, workspace: str, db_path: str) -> None:
    dual.create_session_sqlite(workspace, make_session("s1"))  # not in the JSON file
    with pytest.raises(NotFoundError, match="rolled back"):
        dual.update_instance_status(workspace, "s1", 0, "failed")
    assert dual.get_session_sqlite(workspace, "s1")["instances"][0]["status"] == "completed"
    assert [e[2] for e in _events(db_path)] == ["json_failed"]


def test_a_write_on_stores_that_already_differ_records_the_difference(
        dual: Bridge, workspace: str, sessions_dir: Path, db_path: str) -> None:
    dual.create_session(workspace, make_session("s1"))
    path = sessions_dir / f"{legacy_hash(workspace)}.json"
    sessions = json.loads(path.read_text(encoding="utf-8"))
    sessions[0]["task"] = "edited by hand"
    path.write_text(json.dumps(sessions, indent=2), encoding="utf-8")
    got = dual.add_chat_message(workspace, "s1", {"id": "m9", "role": "user", "content": "x",
                                                  "timestamp": "2026-01-13T11:00:00Z"})
    assert got["task"] == "Implement login"  # the command succeeds, reading the database
    [(command, _s, kind, db_out, json_out, detail)] = _events(db_path)
    assert (command, kind, db_out, json_out) == ("add_chat_message", "difference", "ok", "ok")
    assert json.loads(detail)["fields"] == [{"field": "task", "json": "edited by hand",
                                             "database": "Implement login"}]


def test_sqlite_mode_leaves_the_json_files_alone(bridge: Bridge, workspace: str,
                                                 sessions_dir: Path) -> None:
    bridge.set_storage_mode("sqlite")
    bridge.create_session(workspace, make_session("s1"))
    assert bridge.get_session_sqlite(workspace, "s1")["id"] == "s1"
    assert not sessions_dir.exists()


def test_the_mode_is_kept_in_the_database_and_set_from_the_command_line(db_path: str) -> None:
    assert cli(db_path, "storage-mode").stdout.strip() == "json"
    out = cli(db_path, "storage-mode", "dual")
    assert out.returncode == 0 and out.stdout.strip() == "storage mode: dual (was json)"
    with Bridge.open(db_path) as bridge:
        assert bridge.get_storage_mode()["mode"] == "dual"
        with pytest.raises(ValidationError, match="json, dual, sqlite"):
            bridge.set_storage_mode("both")
    assert cli(db_path, "storage-mode", "both").returncode == 2
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT value FROM settings WHERE key = 'storage_mode'"
                            ).fetchone() == ("dual",)


def test_a_mode_another_process_sets_holds_from_this_process_next_command(
        bridge: Bridge, db_path: str, workspace: str, sessions_dir: Path) -> None:
    """The mode is read when each JSON-era command starts, never cached: the
    shell's own scripts may switch it while a window is open."""
    path = sessions_dir / f"{legacy_hash(workspace)}.json"
    bridge.create_session(workspace, make_session("in_file"))  # json: the file alone
    assert [s["id"] for s in legacy_read(path)] == ["in_file"]
    assert cli(db_path, "storage-mode", "sqlite").returncode == 0  # another process
    bridge.create_session(workspace, make_session("in_db"))
    assert [s["id"] for s in legacy_read(path)] == ["in_file"]
    assert [s["id"] for s in bridge.get_all_sessions(workspace)] == ["in_db"]
    assert cli(db_path, "storage-mode", "dual").returncode == 0
    bridge.create_session(workspace, make_session("in_both"))
    assert cli(db_path, "storage-mode", "json").returncode == 0
    assert sorted(s["id"] for s in bridge.get_all_sessions(workspace)) == ["in_both", "in_file"]
    assert sorted(s["id"] for s in bridge.get_all_sessions_sqlite(workspace)) == [
        "in_both", "in_db"]


# ---------------------------------------------------------------------------
# A full disk under the JSON files (a small tmpfs)
# ---------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmpfs: Callable[[str], Path]) -> Path:
    """A 2 MB tmpfs; skipped where mounting is not allowed."""
    return tmpfs("2m")


@pytest.mark.parametrize("mode", ["json", "dual"])
def test_a_full_disk_under_the_json_files_changes_nothing(
        tmp_path: Path, small_disk: Path, workspace: str, mode: str) -> None:
    sessions = small_disk / "sessions"
    db = str(tmp_path / "db" / "s.db")
    with Bridge.open(db, sessions_dir=sessions) as b:
        b.set_storage_mode(mode)
        b.create_session(workspace, make_session("s1"))
        path = sessions / f"{legacy_hash(workspace)}.json"
        before = path.read_bytes()
        filler = small_disk / "filler"
        fill_disk(filler)
        big = make_session("s1", task="bigger")
        big["instances"][0]["output"] = "y" * 300_000
        with pytest.raises(FileError, match=r"No space left|previous file is unchanged"):
            b.update_session(workspace, big)
        assert path.read_bytes() == before  # the old file, whole
        assert sorted(p.name for p in sessions.iterdir()) == [path.name]  # no temporary file
        assert b.get_session(workspace, "s1")["task"] == "Implement login"
        if mode == "dual":
            assert b.get_session_sqlite(workspace, "s1")["task"] == "Implement login"
            [event] = b.check_consistency()["dualWriteEvents"]["events"]
            assert event["kind"] == "json_failed" and event["jsonOutcome"].startswith("IO: ")
        filler.unlink()
        assert b.update_session(workspace, big)["task"] == "bigger"
        assert legacy_read(path)[0]["task"] == "bigger"


def test_a_full_database_disk_in_dual_mode_is_recorded_somewhere(
        tmp_path: Path, small_disk: Path, workspace: str) -> None:
    sessions = tmp_path / "home" / ".ait42" / "sessions"
    db = str(small_disk / "s.db")
    with Bridge.open(db, sessions_dir=sessions) as b:
        b.set_storage_mode("dual")
        b.create_session(workspace, make_session("s1"))
        filler = small_disk / "filler"
        fill_disk(filler)
        big = make_session("big")
        big["instances"][0]["output"] = "y" * 600_000
        with pytest.raises(DatabaseError, match="full") as caught:
            b.create_session(workspace, big)
        message = str(caught.value)
        # Either the insert failed (the JSON file was never written) or the commit
        # failed after the JSON file was written (and the file was put back).
        assert "the JSON store answered otherwise (would succeed); the JSON file was not " \
            "written" in message or "commit failed after the JSON file was written; the " \
            "JSON file was restored" in message
        assert "recorded as dual-write event #" in message or "recorded as a line of" in message
        assert [s["id"] for s in legacy_read(sessions / f"{legacy_hash(workspace)}.json")] == [
            "s1"]
        filler.unlink()
        events = b.check_consistency()["dualWriteEvents"]
    kinds = ("database_failed", "commit_failed")
    in_db = [e for e in events["events"] if e["kind"] in kinds]
    logged = [json.loads(line) for log in events["fallbackLogs"] if log["entries"]
              for line in Path(log["path"]).read_text(encoding="utf-8").splitlines()]
    assert len(in_db) + len(logged) == 1  # recorded exactly once, never dropped
    for event in logged:
        assert event["kind"] in kinds and event["sessionId"] == "big"
