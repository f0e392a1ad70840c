"""The import against odd folders and odd ends: FIFOs, link loops, empty files, a
backup that cannot follow links, a file broken in its last byte, a killed import."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.legacy.importer import reading
from ait42_session.shape.workspace import legacy_hash

from .conftest import fill_disk, import_finished
from .legacy_files import shell_form, shell_text, worktree_session, write_shell_file
from .legacy_sample import write_legacy_folder
from .test_import import cli, run_import


def hashed(name: str) -> str:
    return f"{legacy_hash('/odd/' + name)}.json"


def test_every_file_found_is_counted_once_with_its_true_reason(
        db_path: str, tmp_path: Path) -> None:
    folder = tmp_path / "legacy"
    write_shell_file(folder, "/w/one", [shell_form(worktree_session("one", "/w/one"))])
    write_shell_file(folder, "/w/two", [shell_form(worktree_session("two", "/w/two"))])
    os.mkfifo(folder / hashed("fifo"))  # opening it would block until someone writes
    os.symlink(hashed("loop"), folder / hashed("loop"))  # a link to itself
    os.symlink("/no/such/file.json", folder / hashed("dangling"))
    (folder / hashed("empty")).write_bytes(b"")
    (folder / hashed("folder")).mkdir()
    (folder / hashed("trunc")).write_text('[{"id": "x"', encoding="utf-8")
    (folder / "notes.json").write_text("[]", encoding="utf-8")
    (folder / "README.txt").write_text("not a json file: not found", encoding="utf-8")

    out = cli(db_path, "import-json", str(folder), "--json", "--no-backup")
    assert out.returncode == 1, out.stderr
    summary = json.loads(out.stdout)
    f = summary["files"]
    assert f == {"found": 9, "read": 4, "imported": 2, "unchanged": 0, "empty": 1,
                 "skipped": 6}
    assert f["found"] == f["imported"] + f["unchanged"] + f["empty"] + f["skipped"]
    reasons = {i["file"]: i["reason"] for i in summary["issues"] if i["kind"] == "file"}
    assert len(reasons) == 6
    assert "FIFO" in reasons[hashed("fifo")] and "without opening it" in reasons[hashed("fifo")]
    assert "loops" in reasons[hashed("loop")]
    assert "does not exist" in reasons[hashed("dangling")]
    assert "a folder, not a regular file" in reasons[hashed("folder")]
    assert "not valid JSON" in reasons[hashed("trunc")]
    assert "not a workspace hash" in reasons["notes.json"]
    for name in (hashed("fifo"), hashed("loop"), hashed("dangling"), hashed("folder")):
        assert "not a workspace hash" not in reasons[name]
    [empty] = [w for w in summary["workspaces"] if w["file"] == hashed("empty")]
    assert empty["status"] == "empty" and empty["read"]["sessions"] == 0
    text = cli(db_path, "import-json", str(folder), "--no-backup").stdout
    assert "9 file(s) found, 0 imported, 2 unchanged, 1 empty, 6 skipped" in text


def test_the_backup_copies_regular_files_and_never_follows_a_link(
        db_path: str, tmp_path: Path) -> None:
    folder = tmp_path / "legacy"
    path = write_shell_file(folder, "/w/one", [shell_form(worktree_session("one", "/w/one"))])
    os.symlink(".", folder / "loop")  # once made the copy recurse forty levels
    os.mkfifo(folder / "pipe")
    (folder / "old").mkdir()
    (folder / "old" / "notes.txt").write_text("kept", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours", encoding="utf-8")
    os.symlink(outside, folder / "link.txt")

    out = cli(db_path, "import-json", str(folder), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    summary = json.loads(out.stdout)
    assert summary["ok"] and summary["totals"]["written"]["sessions"] == 1
    backup = Path(summary["backupPath"])
    copied = sorted(str(p.relative_to(backup)) for p in backup.rglob("*"))
    assert copied == sorted(["old", "old/notes.txt", path.name])
    assert (backup / path.name).read_bytes() == path.read_bytes()
    skipped = summary["backupSkipped"]
    assert len(skipped) == 3 and all(len(line) < 200 for line in skipped)
    assert any(line.startswith("loop: a symbolic link to .") for line in skipped)
    assert any(line.startswith("pipe: a FIFO") for line in skipped)
    assert any(line.startswith("link.txt: a symbolic link") for line in skipped)
    assert len(list(tmp_path.glob("legacy.backup-*"))) == 1
    text = cli(str(tmp_path / "other.db"), "import-json", str(folder)).stdout
    assert "BACKUP: loop: a symbolic link to . (links are not followed), not copied" in text


def test_a_backup_that_cannot_be_written_leaves_no_partial_copy_and_imports_nothing(
        bridge: Bridge, tmpfs: Callable[[str], Path]) -> None:
    small = tmpfs("1m")
    folder = small / "legacy"
    write_shell_file(folder, "/w/one", [shell_form(worktree_session("one", "/w/one"))])
    (folder / "big.bin").write_bytes(b"x" * 300_000)
    fill_disk(small / "filler")
    status = import_finished(bridge, bridge.start_import(str(folder), None)["jobId"])
    assert status["state"] == "failed" and status["error"]["code"] == "IO"
    message = status["error"]["message"]
    assert "partial copy was removed" in message and "\n" not in message and len(message) < 800
    assert sorted(p.name for p in small.iterdir()) == ["filler", "legacy"]
    assert bridge.get_database_stats()["sessionCount"] == 0


def test_a_file_broken_in_its_last_byte_is_skipped_whole_across_batches(
        bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions are parsed and written in batches inside the file's one transaction:
    a syntax error after many batches rolls back every one of them, and only the
    file is reported (not the sessions of it read before the error)."""
    monkeypatch.setattr(reading, "BATCH_SESSIONS", 4)
    folder = tmp_path / "legacy"
    sessions: list[Any] = [shell_form(worktree_session(f"s{i:02d}", "/w/a")) for i in range(30)]
    sessions[2]["status"] = "exploded"  # invalid, in the first batch
    path = write_shell_file(folder, "/w/a", sessions)
    path.write_text(path.read_text(encoding="utf-8") + "\n,", encoding="utf-8")
    good = write_shell_file(folder, "/w/b", [shell_form(worktree_session("b1", "/w/b"))])
    summary = run_import(bridge, folder, noBackup=True)
    [issue] = summary["issues"]
    assert issue["kind"] == "file" and issue["file"] == path.name
    assert "Extra data" in issue["reason"] and "whole file was skipped" in issue["reason"]
    [bad] = [w for w in summary["workspaces"] if w["file"] == path.name]
    assert bad["status"] == "failed" and bad["read"]["sessions"] == 0
    assert summary["files"]["imported"] == 1 and summary["countsMatch"]
    assert bridge.get_database_stats()["sessionCount"] == 1
    with sqlite3.connect(bridge.get_database_stats()["databasePath"]) as conn:
        assert conn.execute("SELECT file_name FROM import_files").fetchall() == [(good.name,)]
    path.write_text(shell_text(sessions), encoding="utf-8")  # repaired
    again = run_import(bridge, folder)
    assert again["totals"]["written"]["sessions"] == 29 and again["verified"] == 29 + 1


def test_a_large_file_is_read_one_batch_at_a_time(
        bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``json.load`` of a whole file builds every session at once (a 287 MB file took
    1.87 GB); the import's Python memory stays near one batch, not the file."""
    monkeypatch.setattr(reading, "BATCH_BYTES", 256 * 1024)
    monkeypatch.setattr(reading, "CHUNK", 64 * 1024)
    folder = tmp_path / "legacy"
    write_legacy_folder(folder, sessions=1500, files=1, messages=10)
    [path] = folder.iterdir()
    size = path.stat().st_size
    tracemalloc.start()
    try:
        json.loads(path.read_text(encoding="utf-8"))
        whole = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        summary = run_import(bridge, folder, noBackup=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert summary["ok"] and summary["verified"] == 1500
    assert whole > 3 * size  # what loading it whole costs
    assert peak < size, (peak, size, whole)


def _group_alive(pgid: int) -> list[int]:
    """Processes of a process group still alive (zombies count as gone)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry))
    return alive


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_killed_import_leaves_no_process_and_is_closed_out_as_interrupted(
        db_path: str, tmp_path: Path) -> None:
    folder = tmp_path / "legacy"
    write_legacy_folder(folder, sessions=6000, files=60, messages=10)
    Path(db_path).parent.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-m", "ait42_session", "--db", db_path,
                             "import-json", str(folder), "--no-backup"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    files = 0
    while files == 0:
        assert proc.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
                files = conn.execute("SELECT count(*) FROM import_files").fetchone()[0]
        except sqlite3.OperationalError:
            pass  # not created yet
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _group_alive(proc.pid):  # no worker, resource tracker or thread lives on
        assert time.monotonic() < deadline, _group_alive(proc.pid)
        time.sleep(0.05)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT state, pid FROM import_runs").fetchall() == \
            [("running", proc.pid)]
        kept = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert kept % 100 == 0  # whole files only
    out = cli(db_path, "import-json", str(folder), "--json", "--no-backup")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["totals"]["unchanged"]["sessions"] == kept
    assert summary["totals"]["written"]["sessions"] == 6000 - kept
    with sqlite3.connect(db_path) as conn:
        runs = conn.execute("SELECT state, json_extract(summary, '$.interrupted')"
                            " FROM import_runs ORDER BY id").fetchall()
    assert runs == [("interrupted", 1), ("done", None)]


def test_a_run_of_another_live_process_is_left_running(bridge: Bridge, tmp_path: Path) -> None:
    """Two processes may import at once: only a run whose process is gone is closed out."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    try:
        path = bridge.get_database_stats()["databasePath"]
        with sqlite3.connect(path) as conn:
            host = socket.gethostname()
            for pid in (sleeper.pid, int(gone)):
                conn.execute("INSERT INTO import_runs (started_at, source_dir, overwrite,"
                             " state, pid, host) VALUES ('2026-01-01T00:00:00Z', '/x', 0,"
                             " 'running', ?, ?)", (pid, host))
        folder = tmp_path / "legacy"
        write_shell_file(folder, "/w/one", [shell_form(worktree_session("one", "/w/one"))])
        assert run_import(bridge, folder, noBackup=True)["ok"]
        with sqlite3.connect(path) as conn:
            states = conn.execute("SELECT pid, state FROM import_runs ORDER BY id").fetchall()
        assert states[:2] == [(sleeper.pid, "running"), (int(gone), "interrupted")]
        assert states[2][1] == "done"
    finally:
        sleeper.kill()
        sleeper.wait()


VALID_ARRAYS = [
    "", " \n", "[]", " [ ] \n",
    '[1, 2.5e3, -0, 12345678901234567890, "a\\"b\\u00e9\\ud83d\\ude00", {"x": [1, {"y": null}]},'
    ' true, false, null]',
    json.dumps([{"k": "é😀", "s": "x" * 300}] * 5, indent=2, ensure_ascii=False),
]
BROKEN_ARRAYS = {
    "[": "not closed", "[1,": "not closed", "[1,]": "trailing comma", "[1 2]": "delimiter",
    "[1] x": "Extra data", "[1]]": "Extra data", '{"a": 1}': "found an object",
    '"s"': "found a string", "x": "Expecting value", '[{"a": tru}]': "Expecting value",
    '["abc': "Unterminated string",
}


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_the_streaming_parser_agrees_with_json_loads_at_every_chunk_size(
        tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Elements cut anywhere by the end of a chunk (inside a string, a number, an
    escape, a multi-byte character) are read whole; a broken file is refused."""
    monkeypatch.setattr(reading, "CHUNK", chunk)

    def parse(text: str) -> list[Any]:
        path = tmp_path / "0123456789abcdef.json"
        path.write_text(text, encoding="utf-8")
        stream = reading.SessionStream.open(path)
        try:
            values = []
            while (item := stream.next())[0]:
                values.append(item[1])
            assert stream.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
            return values
        finally:
            stream.close()

    for text in VALID_ARRAYS:
        assert parse(text) == (json.loads(text) if text.strip() else [])
    for text, reason in BROKEN_ARRAYS.items():
        with pytest.raises(reading.Unreadable, match=reason):
            parse(text)
