"""Issue 18: every subcommand given hostile arguments (empty, huge, a folder, a
missing file, overflowing numbers, control characters) says why in one line on
stderr and exits non-zero; never a traceback. And stored text is printed safe."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ait42_session.faces.cli import main
from ait42_session.faces.service import Service

from .conftest import make_session

HUGE = "x" * 5000
LONG_NAME = "n" * 300
CONTROL = "bad\x1b]0;pwned\x07\x1b[2J\x9b31m\x00name"


def hostile_cases(tmp: Path) -> list[list[str]]:
    """argv (after --db) that must each be refused. A workspace needs not exist
    (its sessions may outlive the folder), so only blank or impossible ones are."""
    folder = str(tmp)
    missing = str(tmp / "missing" / "file")
    out = str(tmp / "e.json")
    cases: list[list[str]] = []
    for value in ("", " ", CONTROL):  # no path, and no text, can be these
        cases += [
            ["search", "zebra", "--workspace", value], ["insights", "--workspace", value],
            ["import-json", value], ["import-json", "--mapping", value],
            ["import-json", "--workspace", value], ["workspace", "bind", "0" * 16, value],
            ["check-consistency", "--sessions-dir", value],
            ["prune", "--older-than", "1d", "--workspace", value],
            ["restore", value], ["import-bundle", value], ["backup", value],
            ["export", "--format", "json", "-o", value],
            ["export", "--format", "json", "--session", value, "-o", out],
            ["export", "--format", "json", "--workspace", value, "-o", out],
            ["prune", "--older-than", value], ["storage-mode", value],
        ]
    for value in (HUGE, folder, missing, str(tmp / LONG_NAME)):  # not a file to read
        cases += [["restore", value], ["import-bundle", value],
                  ["import-json", "--mapping", value]]
    for value in (HUGE, folder, str(tmp / LONG_NAME), missing):  # not a file to write
        cases += [["export", "--format", "json", "-o", value]]
    cases += [
        ["search", ""], ["search", HUGE], ["import-json", missing],
        ["workspace", "bind", "nothex", folder], ["workspace", "bind", HUGE, folder],
        ["prune", "--older-than", "999999999d"], ["prune", "--older-than", "9" * 40 + "w"],
        ["prune", "--older-than", "-5d"], ["prune", "--older-than", "0d"],
        ["backup", str(tmp / LONG_NAME)], ["backup", folder],
        ["storage-mode", "bogus"], ["migrate", "bogus"], ["nosuchcommand"],
        ["export", "--format", "pdf", "-o", out], ["search"], ["export", "-o", out],
    ]
    return cases


def _error_lines(err: str) -> list[str]:
    """stderr without progress lines (``[....] 3/9 files``, ``checked ...``)."""
    return [line for line in err.replace("\r", "\n").splitlines()
            if line.strip() and not line.startswith(("[", "checked "))]


def test_hostile_arguments_give_one_line_and_a_failure(
        tmp_path: Path, workspace: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "data" / "s.db")
    with Service.open(db) as svc:
        svc.create_session_sqlite(workspace, make_session("s1"))
    capsys.readouterr()
    wrong: list[str] = []
    for argv in hostile_cases(tmp_path):
        try:
            code: object = main(["--db", db, *argv])
        except SystemExit as exit_:  # argparse's own refusals
            code = exit_.code
        except Exception as exc:  # a traceback, in a subprocess
            code, err = "raised", f"{type(exc).__name__}: {exc}"
            wrong.append(f"{repr(argv)[:100]}: {code} {err[:200]}")
            continue
        out, err = capsys.readouterr()
        if (code in (0, None) or len(_error_lines(err)) != 1
                or "\x1b" in err + out or "\x9b" in err + out):
            wrong.append(f"{repr(argv)[:100]}: exit {code}, stderr {err[:300]!r}")
        elif "http" in err or "pydantic" in err:  # defect 27: a dump with a URL
            wrong.append(f"{repr(argv)[:100]}: {err[:300]!r}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("target", ["folder", "foreign", "missing-folder"])
@pytest.mark.parametrize("argv", [["migrate", "info"], ["migrate", "run"], ["stats"],
                                  ["verify"], ["optimize"], ["backups"]])
def test_a_bad_database_path_is_one_line(tmp_path: Path, target: str, argv: list[str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 24 (``migrate info --db FOLDER`` was a traceback) and defect 28 (another
    program's SQLite file was switched to WAL and given 28 tables)."""
    path = tmp_path / "x.db"
    if target == "folder":
        path.mkdir()
    elif target == "foreign":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
        conn.commit()
        conn.close()
    else:
        path = tmp_path / "missing" / "deeper" / "x.db"
        path.parent.parent.mkdir()
        path.parent.parent.chmod(0o500)
    before = path.read_bytes() if path.is_file() else None
    try:
        code = main(["--db", str(path), *argv])
    finally:
        path.parent.parent.chmod(0o700) if target == "missing-folder" else None
    err = capsys.readouterr().err
    if target == "missing-folder" and code == 0:
        pytest.skip("running as root: the folder could be created")
    assert code != 0
    assert len(err.strip().splitlines()) == 1, err
    if target == "foreign":
        assert "not an ait42" in err
        assert path.read_bytes() == before
        assert not Path(str(path) + "-wal").exists()
        conn = sqlite3.connect(path)
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
        conn.close()


def test_an_empty_sqlite_file_is_still_migrated(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    assert main(["--db", str(path), "stats"]) == 0


def test_prune_refuses_a_blank_workspace(tmp_path: Path, workspace: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 26: ``--workspace "$UNSET"`` pruned every workspace."""
    db = str(tmp_path / "s.db")
    with Service.open(db) as svc:
        svc.create_session_sqlite(workspace, make_session("s1", updated="2020-01-01T00:00:00Z"))
    with pytest.raises(SystemExit) as refused:
        main(["--db", db, "prune", "--older-than", "1d", "--workspace", " "])
    assert refused.value.code == 2
    assert "workspace" in capsys.readouterr().err
    with Service.open(db) as svc:
        assert [s["id"] for s in svc.get_all_sessions_sqlite(workspace)] == ["s1"]


def test_stored_text_is_printed_safe(tmp_path: Path, workspace: str) -> None:
    """Defect 25: ids, paths and tasks with terminal escapes were printed raw."""
    db = str(tmp_path / "s.db")
    evil_ws = tmp_path / "ws\x1b]0;title\x07"
    evil_ws.mkdir()
    with Service.open(db) as svc:
        svc.create_session_sqlite(str(evil_ws), make_session(
            "id\x1b[2J", task="zebra \x1b]8;;http://x\x07link\x1b]8;;\x07 \x9b1m\x07",
            updated="2020-01-01T00:00:00Z"))
    for argv in (["search", "zebra"], ["workspace", "list"],
                 ["prune", "--older-than", "1d", "--dry-run"], ["backups"]):
        done = subprocess.run([sys.executable, "-m", "ait42_session", "--db", db, *argv],
                              capture_output=True, timeout=120)
        for stream in (done.stdout, done.stderr):
            assert b"\x1b" not in stream and b"\x07" not in stream, (argv, stream[:300])
            assert "\x9b" not in stream.decode("utf-8", "replace"), argv
        assert b"zebra" in done.stdout or argv[0] != "search", done
