"""An unforeseen error leaves its traceback in the log file beside the database."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ait42_session.derived import catchup
from ait42_session.faces import logs
from ait42_session.faces.service import Service
from ait42_session.shape.errors import SessionError

from .conftest import make_session


def test_an_internal_error_names_the_log_file_that_holds_its_traceback(
        db_path: str, workspace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_args: object) -> int:
        raise RuntimeError("a failure nobody foresaw")

    with Service.open(db_path, derived=False) as svc:
        svc.create_session_sqlite(workspace, make_session("s1"))
        monkeypatch.setattr(catchup, "step", broken)  # the search's catch-up fails
        with pytest.raises(SessionError) as caught:
            svc.search_sessions("anything", None)
        log_file = Path(db_path).parent / "logs" / "ait42-session.log"
        assert caught.value.code == "INTERNAL"
        assert f"details in {log_file}" in str(caught.value)
    text = log_file.read_text(encoding="utf-8")
    assert "search_sessions failed unexpectedly" in text
    assert "Traceback (most recent call last)" in text and "a failure nobody foresaw" in text
    # the store closed: its file is no longer attached to the package's logger
    assert not [h for h in logs.LOGGER.handlers if isinstance(h, logging.FileHandler)]


def test_a_background_failure_is_logged(db_path: str, workspace: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_args: object) -> int:
        raise RuntimeError("the catch-up broke")

    monkeypatch.setattr(catchup, "step", broken)
    monkeypatch.setattr(catchup, "DEBOUNCE_SECONDS", 0.0)
    log_file = Path(db_path).parent / "logs" / "ait42-session.log"
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("s1"))
        for _ in range(200):
            if log_file.exists() and "the catch-up broke" in log_file.read_text("utf-8"):
                break
            time.sleep(0.05)
    assert "catch-up of derived data failed" in log_file.read_text("utf-8")


def test_a_defect_in_the_command_line_leaves_its_traceback(
        db_path: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A failure outside any command (the command line's own code) is one line on
    the terminal that names the log file, and the file holds the traceback."""
    from ait42_session.faces import cli

    def broken(_stats: object) -> None:
        raise RuntimeError("the stats table broke")

    monkeypatch.setattr(cli, "_show_stats", broken)
    assert cli.main(["--db", db_path, "stats"]) == 1
    log_file = Path(db_path).parent / "logs" / "ait42-session.log"
    err = capsys.readouterr().err
    assert "unexpected RuntimeError: the stats table broke" in err
    assert f"details in {log_file}" in err and "Traceback" not in err
    text = log_file.read_text(encoding="utf-8")
    assert "ait42-session --db" in text and "stats" in text
    assert "Traceback (most recent call last)" in text and "the stats table broke" in text
    assert not [h for h in logs.LOGGER.handlers if isinstance(h, logging.FileHandler)]


def test_without_a_log_file_the_command_line_still_says_one_line() -> None:
    """A database in memory has no folder for a log: the defect is one line, and
    no traceback reaches the terminal through Python's last-resort handler (a
    process of its own: pytest's log capture would stand in for that handler)."""
    script = ("import sys\n"
              "from ait42_session.faces import cli\n"
              "def broken(_stats): raise RuntimeError('the stats table broke')\n"
              "cli._show_stats = broken\n"
              "sys.exit(cli.main(['--db', ':memory:', 'stats']))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == "ait42-session: unexpected RuntimeError: the stats table broke"
