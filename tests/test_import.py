"""Importing real legacy files (the shell's format) into a real database file."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.legacy.json_files import normalize
from ait42_session.shape.errors import ConflictError, NotFoundError, ValidationError
from ait42_session.shape.workspace import legacy_hash

from .conftest import import_finished, make_session
from .legacy_files import shell_form, shell_text, worktree_session, write_shell_file
from .legacy_sample import write_legacy_folder


def run_import(bridge: Bridge, folder: Path | None, **options: Any) -> dict[str, Any]:
    job = bridge.start_import(None if folder is None else str(folder), options or None)
    assert set(job) == {"jobId"}
    status = import_finished(bridge, job["jobId"])
    assert status["state"] == "done", status.get("error")
    summary: dict[str, Any] = status["summary"]
    return summary


def cli(db: str, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "ait42_session", "--db", db, *args],
                          capture_output=True, text=True, env=env, timeout=120)


def digest(folder: Path) -> dict[str, tuple[str, float]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
            for p in sorted(folder.iterdir())}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "legacy"


def test_shell_files_import_losslessly(bridge: Bridge, folder: Path, workspace: str) -> None:
    full = shell_form(worktree_session("full", workspace, completedAt=None, winnerId=None))
    full["evaluation"] = {"winner": 0, "scores": [9.5, 7], "notes": None}
    full["integrationPhase"] = None  # unknown field set to null: kept as null
    full["instances"][0]["testsPassed"] = True
    full["instances"][1]["output"] = "ünïcödé ✓\n" * 1000
    full["chatHistory"][0]["attachments"] = [{"kind": "diff"}]
    sparse = worktree_session("sparse", workspace, instances=1, messages=1)
    for key in ("completedAt", "model", "timeoutSeconds", "preserveWorktrees", "winnerId",
                "runtimeMix", "totalDuration", "totalFilesChanged", "totalLinesAdded",
                "totalLinesDeleted"):
        del sparse[key]  # absent optionals
    for key in ("output", "startTime", "endTime", "runtime", "model", "runtimeLabel"):
        del sparse["instances"][0][key]
    no_lists = {k: v for k, v in sparse.items() if k not in ("instances", "chatHistory")}
    no_lists["id"] = "no_lists"
    unordered = worktree_session("unordered", workspace, instances=3, messages=4)
    unordered["instances"].reverse()
    unordered["chatHistory"].reverse()
    unordered["chatHistory"][0]["timestamp"] = unordered["chatHistory"][1]["timestamp"]  # a tie
    originals = [full, sparse, no_lists, unordered]
    write_shell_file(folder, workspace, originals)

    summary = run_import(bridge, folder, noBackup=True)
    assert summary["ok"], summary["issues"]
    assert summary["verified"] == 4
    ws = summary["workspaces"][0]
    assert ws["path"] == workspace and ws["pathSource"] == "derived"
    assert ws["read"] == ws["written"] == {"sessions": 4, "instances": 6, "messages": 7}
    for raw in originals:
        got = bridge.get_session_sqlite(workspace, raw["id"])
        assert got == normalize(raw)
    got = bridge.get_session_sqlite(workspace, "full")
    assert got["integrationPhase"] is None and got["evaluation"]["notes"] is None
    assert "completedAt" not in got  # a known optional's null is the same as absent
    assert [i["instanceId"] for i in bridge.get_session_sqlite(workspace, "unordered")[
        "instances"]] == [0, 1, 2]
    tied = [m["id"] for m in bridge.get_session_sqlite(workspace, "unordered")["chatHistory"]]
    assert tied == ["msg_0", "msg_1", "msg_3", "msg_2"]  # ties keep file order


def test_a_messy_folder_reports_every_case_and_imports_everything_valid(
        db_path: str, folder: Path, tmp_path: Path) -> None:
    ws_a, ws_b, ws_c = (str(tmp_path / n) for n in ("a", "b", "c"))
    write_shell_file(folder, ws_a, [shell_form(worktree_session("a1", ws_a)),
                                    shell_form(worktree_session("dup", ws_a))])
    bad_status = shell_form(worktree_session("b_bad", ws_b))
    bad_status["status"] = "exploded"
    write_shell_file(folder, ws_b, [shell_form(worktree_session("b1", ws_b)), bad_status,
                                    "not a session", shell_form(worktree_session("dup", ws_b)),
                                    shell_form(worktree_session("b2", ws_b))])
    truncated = folder / f"{legacy_hash(str(tmp_path / 'trunc'))}.json"
    truncated.write_text(shell_text([shell_form(make_session("t1"))])[:300], encoding="utf-8")
    wrong_shape = folder / f"{legacy_hash(str(tmp_path / 'shape'))}.json"
    wrong_shape.write_text(json.dumps({"sessions": [make_session("w1")]}), encoding="utf-8")
    unmapped = make_session("u1")  # worktrees under /repo: nothing hashes to the file name
    write_shell_file(folder, "/nowhere/known", [unmapped])
    (folder / "sessions.json").write_text("[]", encoding="utf-8")
    before = digest(folder)

    out = cli(db_path, "import-json", str(folder), "--workspace", ws_c, "--json")
    assert out.returncode == 1, out.stderr
    summary = json.loads(out.stdout)
    assert digest(folder) == before  # the originals are untouched
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for issue in summary["issues"]:
        by_kind.setdefault(issue["kind"], []).append(issue)
    files = {i["file"]: i["reason"] for i in by_kind["file"]}
    assert "not valid JSON" in files[truncated.name]
    assert "wrong shape" in files[wrong_shape.name] and "an object" in files[wrong_shape.name]
    assert "not a workspace hash" in files["sessions.json"]
    invalid = {i["index"]: i for i in by_kind["invalid"]}
    assert invalid[1]["sessionId"] == "b_bad" and "status" in invalid[1]["reason"]
    assert invalid[1]["file"] == f"{legacy_hash(ws_b)}.json"
    assert invalid[2]["sessionId"] is None and "JSON object" in invalid[2]["reason"]
    [conflict] = by_kind["conflict"]
    first, second = sorted((ws_a, ws_b), key=lambda w: legacy_hash(w))  # files go by name
    assert conflict["sessionId"] == "dup" and conflict["file"] == f"{legacy_hash(second)}.json"
    assert f"{legacy_hash(first)}.json" in conflict["reason"]
    assert summary["unmapped"] == [{"workspaceHash": legacy_hash("/nowhere/known"),
                                    "file": f"{legacy_hash('/nowhere/known')}.json"}]
    assert summary["rejectedPaths"] == []
    assert summary["countsMatch"] and not summary["ok"]
    t = summary["totals"]
    assert t["read"]["sessions"] == 2 + 5 + 1
    assert t["written"]["sessions"] == 2 + 2 + 1
    assert t["skipped"]["sessions"] == 3
    assert summary["files"] == {"found": 6, "read": 5, "imported": 3, "unchanged": 0,
                                "empty": 0, "skipped": 3}
    with Bridge.open(db_path) as bridge:
        assert {s["id"] for s in bridge.get_all_sessions_sqlite(ws_a)} == \
            {"a1"} | ({"dup"} if first == ws_a else set())
        assert {s["id"] for s in bridge.get_all_sessions_sqlite(ws_b)} == \
            {"b1", "b2"} | ({"dup"} if first == ws_b else set())
        assert bridge.get_session_sqlite("/nowhere/known", "u1") == normalize(unmapped)
        paths = {w["workspaceHash"]: w["path"] for w in bridge.list_workspaces()}
        assert paths[legacy_hash("/nowhere/known")] is None
        assert paths[legacy_hash(ws_a)] == ws_a
    assert "INVALID" in cli(db_path, "import-json", str(folder)).stdout


def test_workspace_paths_come_from_each_source_and_only_when_the_hash_matches(
        db_path: str, folder: Path, tmp_path: Path) -> None:
    known, given, mapped, lines = (str(tmp_path / n) for n in ("known", "given", "mapped",
                                                               "lines"))
    for path in (known, given, mapped, lines):
        os.makedirs(path)
        write_shell_file(folder, path, [make_session(f"s-{Path(path).name}")])  # /repo worktrees
    with Bridge.open(db_path) as bridge:
        bridge.create_session_sqlite(known, make_session("already"))
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({legacy_hash(mapped): mapped,
                                   legacy_hash(given): str(tmp_path)}), encoding="utf-8")
    line_file = tmp_path / "paths.txt"
    line_file.write_text(f"# workspaces\n{lines}\n", encoding="utf-8")
    out = cli(db_path, "import-json", str(folder), "--workspace", given, "--mapping",
              str(mapping), "--json", "--no-backup")
    summary = json.loads(out.stdout)
    sources = {w["path"]: w["pathSource"] for w in summary["workspaces"]}
    assert sources == {known: "database", given: "argument", mapped: "mapping", None: None}
    assert summary["rejectedPaths"] == [{
        "path": str(tmp_path), "source": "mapping",
        "reason": f"its legacy hash is {legacy_hash(str(tmp_path))}, not {legacy_hash(given)}"}]
    out = cli(db_path, "import-json", str(folder), "--mapping", str(line_file), "--json",
              "--no-backup")
    assert out.returncode == 0, out.stdout
    with Bridge.open(db_path) as bridge:
        paths = {w["workspaceHash"]: w["path"] for w in bridge.list_workspaces()}
    assert paths[legacy_hash(lines)] == lines  # a later run fills the path in


def test_an_unknown_workspace_is_bound_later(db_path: str, folder: Path, tmp_path: Path) -> None:
    real = tmp_path / "moved-repo"
    real.mkdir()
    write_shell_file(folder, str(real), [make_session("s1")])
    assert cli(db_path, "import-json", str(folder), "--no-backup").returncode == 0
    with Bridge.open(db_path) as bridge:
        with pytest.raises(NotFoundError):
            bridge.bind_workspace(legacy_hash(str(tmp_path)), str(tmp_path))
        with pytest.raises(ValidationError, match="hashes to"):
            bridge.bind_workspace(legacy_hash(str(real)), str(tmp_path))
        with pytest.raises(ValidationError, match="16 lowercase hex"):
            bridge.bind_workspace("XYZ", str(real))
    out = cli(db_path, "workspace", "bind", legacy_hash(str(real)), str(real) + "/")
    assert out.returncode == 0 and "1 session(s)" in out.stdout
    listed = cli(db_path, "workspace", "list").stdout
    assert f"{legacy_hash(str(real))}       1  {real}" in listed
    with Bridge.open(db_path) as bridge:
        assert bridge.get_session_sqlite(str(real), "s1")["id"] == "s1"
        assert bridge.list_workspaces()[0]["path"] == str(real)


def test_rerun_skips_identical_reports_changed_and_overwrite_replaces(
        bridge: Bridge, folder: Path, workspace: str) -> None:
    sessions = [shell_form(worktree_session(f"s{i}", workspace)) for i in range(3)]
    path = write_shell_file(folder, workspace, sessions)
    first = run_import(bridge, folder, noBackup=True)
    assert first["totals"]["written"]["sessions"] == 3
    again = run_import(bridge, folder)
    assert again["ok"] and again["totals"]["unchanged"]["sessions"] == 3
    assert again["totals"]["written"]["sessions"] == 0
    assert again["files"]["unchanged"] == 1
    assert bridge.get_database_stats()["sessionCount"] == 3

    sessions[1]["task"] = "edited in the shell"
    sessions[1]["instances"][0]["status"] = "failed"
    path.write_text(shell_text(sessions), encoding="utf-8")
    changed = run_import(bridge, folder)
    assert not changed["ok"]
    [issue] = changed["issues"]
    assert issue["kind"] == "changed" and issue["sessionId"] == "s1"
    assert {f["field"] for f in issue["fields"]} == {"task", "instances[instanceId=0].status"}
    assert bridge.get_session_sqlite(workspace, "s1")["task"] == "Implement login"
    replaced = run_import(bridge, folder, overwrite=True)
    assert replaced["ok"] and replaced["totals"]["written"]["sessions"] == 1
    assert bridge.get_session_sqlite(workspace, "s1") == normalize(sessions[1])
    stats = bridge.get_database_stats()
    assert (stats["sessionCount"], stats["instanceCount"], stats["messageCount"]) == (3, 6, 6)


def test_a_session_id_held_by_another_workspace_is_a_conflict(
        bridge: Bridge, folder: Path, workspace: str, tmp_path: Path) -> None:
    bridge.create_session_sqlite(str(tmp_path), make_session("taken"))
    write_shell_file(folder, workspace, [worktree_session("taken", workspace),
                                         worktree_session("free", workspace)])
    summary = run_import(bridge, folder, noBackup=True, overwrite=True)
    [issue] = summary["issues"]
    assert issue["kind"] == "conflict" and legacy_hash(str(tmp_path)) in issue["reason"]
    assert bridge.get_session_sqlite(str(tmp_path), "taken")["task"] == "Implement login"
    assert [s["id"] for s in bridge.get_all_sessions_sqlite(workspace)] == ["free"]


def test_dry_run_writes_nothing(db_path: str, folder: Path, workspace: str) -> None:
    write_shell_file(folder, workspace, [worktree_session("s1", workspace)])
    out = cli(db_path, "import-json", str(folder), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "[dry run: nothing was written]" in out.stdout
    assert not Path(db_path).exists()  # not even the database file
    assert not list(folder.parent.glob("legacy.backup-*"))  # no backup either
    with Bridge.open(db_path) as bridge:
        bridge.create_session_sqlite(workspace, worktree_session("s0", workspace))
    size = os.path.getsize(db_path)
    out = cli(db_path, "import-json", str(folder), "--dry-run", "--json")
    summary = json.loads(out.stdout)
    assert summary["dryRun"] and summary["totals"]["written"]["sessions"] == 1  # would write
    assert summary["verified"] == 0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM import_runs").fetchone()[0] == 0
    assert os.path.getsize(db_path) == size


def test_a_backup_is_made_before_the_first_real_import_only(
        db_path: str, folder: Path, workspace: str) -> None:
    write_shell_file(folder, workspace, [worktree_session("s1", workspace)])
    before = digest(folder)
    out = cli(db_path, "import-json", str(folder), "--json")
    summary = json.loads(out.stdout)
    backup = Path(summary["backupPath"])
    assert backup.parent == folder.parent and backup.name.startswith("legacy.backup-")
    assert {k: v[0] for k, v in digest(backup).items()} == {k: v[0] for k, v in before.items()}
    second = json.loads(cli(db_path, "import-json", str(folder), "--json").stdout)
    assert second["backupPath"] is None
    other_db = str(Path(db_path).with_name("other.db"))
    third = json.loads(cli(other_db, "import-json", str(folder), "--json",
                           "--no-backup").stdout)
    assert third["backupPath"] is None
    assert len(list(folder.parent.glob("legacy.backup-*"))) == 1
    with sqlite3.connect(db_path) as conn:
        runs = conn.execute("SELECT state, backup_path FROM import_runs ORDER BY id").fetchall()
        files = conn.execute("SELECT file_name, sessions_read, sessions_written,"
                             " sessions_unchanged FROM import_files ORDER BY run_id").fetchall()
    assert runs == [("done", str(backup)), ("done", None)]
    name = f"{legacy_hash(workspace)}.json"
    assert files == [(name, 1, 1, 0), (name, 1, 0, 1)]


def test_default_folder_and_progress_bar(db_path: str, _private_home: Path,
                                         workspace: str) -> None:
    folder = _private_home / ".ait42" / "sessions"
    write_legacy_folder(folder, sessions=300, files=6, messages=3)
    out = cli(db_path, "import-json", "--no-backup", home=_private_home)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.strip().splitlines()
    # first the sessions stored and proven, then made searchable, each with its progress
    assert lines[-2].startswith("[########################] 6/6 files  300/300 sessions")
    assert lines[-1].startswith("indexing the history for search: 300/300 sessions")
    assert "ok: 6 file(s) found, 6 imported" in out.stdout
    assert "searchable: 300 session(s) indexed for search and insights in" in out.stdout
    assert "session(s) read back equal to their JSON" in out.stdout
    assert "/bench/workspace-005" in out.stdout  # found from the worktrees' parents


def test_import_status_shape_and_errors(bridge: Bridge, folder: Path) -> None:
    write_legacy_folder(folder, sessions=2000, files=20, messages=5)
    job = bridge.start_import(str(folder), {"noBackup": True})["jobId"]
    with pytest.raises(ConflictError, match="still running"):
        bridge.start_import(str(folder), None)
    seen: list[dict[str, Any]] = []
    status = import_finished(bridge, job, seen=seen)
    for s in seen:
        assert {"state", "filesDone", "filesTotal", "sessionsDone", "sessionsTotal", "rate",
                "etaSeconds"} <= set(s)
        assert s["filesTotal"] in (0, 20) and 0 <= s["filesDone"] <= 20  # 0: not listed yet
    assert status["filesDone"] == 20 and status["sessionsDone"] == status["sessionsTotal"] == 2000
    assert status["summary"]["ok"] and status["etaSeconds"] == 0
    json.dumps(status, allow_nan=False)  # what pywebview must be able to send
    with pytest.raises(NotFoundError):
        bridge.get_import_status("import-0-000000")
    with pytest.raises(ValidationError, match="unknown import option"):
        bridge.start_import(str(folder), {"dry_run": True})
    with pytest.raises(ValidationError, match="dryRun must be true or false"):
        bridge.start_import(str(folder), {"dryRun": "yes"})
    failed = bridge.start_import(str(folder / "missing"), None)["jobId"]
    status = import_finished(bridge, failed)
    assert status["state"] == "failed"
    assert status["error"]["code"] == "IO" and "missing" in status["error"]["message"]
    metrics = bridge.get_metrics()["commands"]
    assert metrics["start_import"]["count"] == 5 and metrics["get_import_status"]["count"] >= 3


def test_cancel_stops_between_files(bridge: Bridge, folder: Path) -> None:
    write_legacy_folder(folder, sessions=3000, files=30, messages=5)
    job = bridge.start_import(str(folder), {"noBackup": True})["jobId"]
    bridge.cancel_import(job)
    status = import_finished(bridge, job)
    assert status["state"] == "failed" and status["error"]["name"] == "Cancelled"
    done = status["filesDone"]
    assert done < 30
    assert bridge.get_database_stats()["sessionCount"] == done * 100  # whole files only
    partial = status["summary"]  # what the cancelled run did, counted
    assert partial["totals"]["written"]["sessions"] == done * 100
    assert partial["files"]["imported"] == done


def _peak_import_memory(tmp: Path, files: int) -> int:
    folder = tmp / f"f{files}"
    write_legacy_folder(folder, sessions=files * 100, files=files, messages=10)
    with Bridge.open(str(tmp / f"m{files}.db")) as bridge:
        tracemalloc.start()
        try:
            summary = run_import(bridge, folder, noBackup=True)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert summary["ok"] and summary["totals"]["written"]["sessions"] == files * 100
    return peak


def test_memory_is_bounded_by_the_largest_file_not_the_folder(tmp_path: Path) -> None:
    small = _peak_import_memory(tmp_path, 4)
    large = _peak_import_memory(tmp_path, 24)  # six times the data, same file size
    assert large < small * 1.6, (small, large)


def test_int_too_large_for_sqlite_is_reported_not_fatal(bridge: Bridge, folder: Path,
                                                       workspace: str) -> None:
    big = copy.deepcopy(worktree_session("big", workspace))
    big["totalDuration"] = 2**70
    write_shell_file(folder, workspace, [big, worktree_session("fine", workspace)])
    summary = run_import(bridge, folder, noBackup=True)
    [issue] = summary["issues"]
    assert issue["sessionId"] == "big" and issue["kind"] == "invalid"
    assert "64-bit" in issue["reason"] or "9223372036854775807" in issue["reason"]
    assert [s["id"] for s in bridge.get_all_sessions_sqlite(workspace)] == ["fine"]


def test_a_broken_file_beside_valid_ones_leaves_them_whole(
        bridge: Bridge, folder: Path) -> None:
    write_legacy_folder(folder, sessions=300, files=3, messages=4)
    (folder / f"{legacy_hash('/broken')}.json").write_text("[{", encoding="utf-8")
    summary = run_import(bridge, folder, noBackup=True)
    assert summary["verified"] == 300 and summary["countsMatch"]
    [issue] = summary["issues"]
    assert issue["kind"] == "file" and "not valid JSON" in issue["reason"]
    again = run_import(bridge, folder)
    assert again["totals"]["unchanged"]["sessions"] == 300 and again["verified"] == 300


def test_rerun_of_a_large_file_compares_rows_then_dicts(bridge: Bridge, folder: Path,
                                                        workspace: str) -> None:
    sessions = [shell_form(worktree_session(f"s{i:02d}", workspace,
                                            evaluation={"a": i, "b": [i, None]}))
                for i in range(30)]  # present: SQL finds the two that differ as rows
    path = write_shell_file(folder, workspace, sessions)
    assert run_import(bridge, folder, noBackup=True)["verified"] == 30
    sessions[3]["evaluation"] = {"b": [3, None], "a": 3}  # same value, other key order
    sessions[7]["instances"][1]["linesAdded"] = 7
    path.write_text(shell_text(sessions), encoding="utf-8")
    again = run_import(bridge, folder)
    [issue] = again["issues"]
    assert issue["sessionId"] == "s07" and issue["kind"] == "changed"
    assert issue["fields"] == [{"field": "instances[instanceId=1].linesAdded", "json": 7,
                                "database": 180}]
    assert again["totals"]["unchanged"]["sessions"] == 29
    replaced = run_import(bridge, folder, overwrite=True)
    assert replaced["ok"] and replaced["totals"]["written"]["sessions"] == 1
    assert replaced["verified"] == 30
    assert bridge.get_session_sqlite(workspace, "s07")["instances"][1]["linesAdded"] == 7


def test_a_row_the_database_changed_after_insert_fails_the_read_back_check(
        bridge: Bridge, db_path: str, folder: Path) -> None:
    """The read-back check reads the written rows from the database.

    A trigger (a real one, in the database) rewrites one message as it is
    inserted: that session, and only it, is reported as read back different,
    in the file's own report.
    """
    write_legacy_folder(folder, sessions=60, files=3, messages=3)
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TRIGGER tamper AFTER INSERT ON chat_messages"
                     " WHEN NEW.session_id = 'session_000031' AND NEW.id = 'msg_1'"
                     " BEGIN UPDATE chat_messages SET content = 'tampered'"
                     " WHERE rowid = NEW.rowid; END")
    summary = run_import(bridge, folder, noBackup=True)
    assert not summary["ok"] and summary["verified"] == 59
    [issue] = summary["issues"]
    assert issue["kind"] == "readback" and issue["sessionId"] == "session_000031"
    assert issue["fields"] == [{"field": "chatHistory[id=msg_1].content",
                                "json": issue["fields"][0]["json"], "database": "tampered"}]
    [report] = [w for w in summary["workspaces"] if w["verified"] == 19]
    assert issue["file"] == report["file"]


def test_odd_values_pass_the_import_and_the_read_back_unchanged(
        bridge: Bridge, folder: Path, workspace: str) -> None:
    """Control characters, NUL, quotes, non-ASCII, emoji and unknown fields with
    nulls arrive exactly (through the streaming parser too), and the read-back
    check finds them equal."""
    odd = worktree_session("odd", workspace)
    odd["task"] = 'tab\t nl\n quote" bs\\ nul\x00 ctl\x01\x1f del\x7f é 😀 \u2028 </script>'
    odd["instances"][0]["output"] = "\x00\x00\x08\x0c\r"
    odd["chatHistory"][0]["content"] = "👩‍👩‍👧 \ufeff"
    odd["evaluation"] = {"b": [1, None, "\x00", 2**63, -0.0, 1e-300], "a": "x"}
    write_shell_file(folder, workspace, [shell_form(odd)])
    summary = run_import(bridge, folder, noBackup=True)
    assert summary["ok"] and summary["verified"] == 1
    assert bridge.get_session_sqlite(workspace, "odd") == normalize(shell_form(odd))


def test_a_row_sqlite_refuses_is_reported_and_the_rest_of_the_file_imported(
        bridge: Bridge, folder: Path) -> None:
    """A session whose rows SQLite refuses to store (an unknown field holding a lone
    surrogate, which is not UTF-8) is reported, the file's others imported."""
    paths = write_legacy_folder(folder, sessions=30, files=3, messages=2)
    first = folder / f"{legacy_hash(paths[0])}.json"
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace('"notes": null', '"notes": "bad \\ud800 text"', 1),
                     encoding="utf-8")
    summary = run_import(bridge, folder, noBackup=True)
    [issue] = summary["issues"]
    assert issue["kind"] == "failed" and issue["file"] == first.name
    assert "the database refused it" in issue["reason"] and issue["sessionId"] == "session_000000"
    assert summary["totals"]["written"]["sessions"] == 29 and summary["verified"] == 29
    assert summary["countsMatch"] and not summary["ok"]


def refuse(db_path: str, table: str, when: str) -> None:
    """A real trigger that makes the database refuse some rows of ``table``."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} WHEN {when}"
                     " BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")


def test_a_session_the_database_refuses_is_reported_and_an_old_copy_stays(
        bridge: Bridge, db_path: str, folder: Path) -> None:
    """A file's sessions are written per batch; when the database refuses
    one session (here a real trigger), it is copied again one session at a time:
    that one is reported as failed, the rest of the file arrives, and a session it
    was to replace (--overwrite) keeps its old version, children included."""
    [ws] = write_legacy_folder(folder, sessions=20, files=1, messages=2)
    [path] = folder.iterdir()
    refuse(db_path, "chat_messages", "NEW.session_id = 'session_000007'")
    summary = run_import(bridge, folder, noBackup=True)
    [issue] = summary["issues"]
    assert issue["kind"] == "failed" and issue["sessionId"] == "session_000007"
    assert "refused by a trigger" in issue["reason"]
    assert summary["totals"]["written"]["sessions"] == 19 and summary["verified"] == 19
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM instances WHERE session_id = 'session_000007'"
                            ).fetchone() == (0,)
        conn.execute("DROP TRIGGER refuse")
    assert run_import(bridge, folder)["totals"]["written"]["sessions"] == 1
    before = bridge.get_session_sqlite(ws, "session_000008")
    sessions = json.loads(path.read_text(encoding="utf-8"))
    sessions[8]["task"] = "changed in the file"
    path.write_text(json.dumps(sessions, indent=2), encoding="utf-8")
    refuse(db_path, "sessions", "NEW.id = 'session_000008'")
    again = run_import(bridge, folder, overwrite=True)
    [issue] = again["issues"]
    assert issue["kind"] == "failed" and issue["sessionId"] == "session_000008"
    assert bridge.get_session_sqlite(ws, "session_000008") == before


def test_a_full_disk_under_the_database_stops_the_import_with_whole_files_only(
        folder: Path, tmpfs: Callable[[str], Path]) -> None:
    """Each file is one transaction: when the database's disk fills up, the import
    stops with a DATABASE error and the files imported before it stay whole."""
    small = tmpfs("3m")
    write_legacy_folder(folder, sessions=2000, files=20, messages=10)
    with Bridge.open(str(small / "sessions.db")) as bridge:
        job = bridge.start_import(str(folder), {"noBackup": True})
        status = import_finished(bridge, job["jobId"])
        assert status["state"] == "failed" and status["error"]["code"] == "DATABASE"
        assert "full" in status["error"]["message"]
        count = bridge.get_database_stats()["sessionCount"]
    assert count % 100 == 0 and count < 2000
