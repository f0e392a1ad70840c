"""The command line, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ait42_session.faces.bridge import Bridge

from .conftest import make_session


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ait42_session", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def test_migrate_info_then_run(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    info = cli("--db", db, "migrate", "info")
    assert info.returncode == 0 and "pending   initial schema" in info.stdout
    assert not os.path.exists(db)
    run = cli("--db", db, "migrate", "run")
    assert run.returncode == 0 and "applied 1 initial schema" in run.stdout
    again = cli("--db", db, "migrate", "info")
    assert "applied   initial schema" in again.stdout
    assert "0 migration(s) applied" in cli("--db", db, "migrate", "run").stdout


def test_stats_verify_optimize_use_ait42_db(tmp_path: Path, workspace: str) -> None:
    db = str(tmp_path / "env.db")
    with Bridge.open(db) as bridge:
        bridge.create_session_sqlite(workspace, make_session())
    env = {"AIT42_DB": db}
    stats = cli("stats", env=env)
    assert stats.returncode == 0 and '"sessionCount": 1' in stats.stdout
    assert cli("verify", env=env).returncode == 0
    assert "optimized" in cli("optimize", env=env).stdout


def test_default_database_is_under_home(_private_home: Path) -> None:
    result = cli("stats")
    assert result.returncode == 0
    assert (_private_home / ".ait42" / "sessions.db").exists()


def test_not_a_database_fails_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("these are my notes, not a database\n" * 100)
    result = cli("--db", str(bad), "stats")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE" in lines[0] and "not an ait42 session database" in \
        lines[0]
    assert bad.read_text().startswith("these are my notes")


def test_verify_reports_damage(tmp_path: Path, workspace: str) -> None:
    db = tmp_path / "damaged.db"
    with Bridge.open(db) as bridge:
        for i in range(50):
            bridge.create_session_sqlite(workspace, make_session(f"s{i}", instances=3))
        bridge.optimize_database()
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(page * 3, len(data) - page, page * 2):
        data[offset + 8: offset + 200] = os.urandom(192)
    db.write_bytes(bytes(data))
    result = cli("--db", str(db), "verify")
    assert result.returncode == 1
    assert "FAILED" in result.stdout or "DATABASE" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["migrate", "--help"], ["stats", "--help"]])
def test_help_has_examples(args: list[str]) -> None:
    result = cli(*args)
    assert result.returncode == 0 and "example" in result.stdout


@pytest.mark.parametrize(("args", "env"), [
    (["--db", "", "verify"], {}),
    (["--db=", "stats"], {}),
    (["--db", "  ", "stats"], {}),
    (["--db", "", "import-json", "--dry-run"], {}),
    (["stats"], {"AIT42_DB": "   "}),
], ids=["empty", "empty-equals", "spaces", "import", "blank-env"])
def test_a_blank_database_path_is_refused(_private_home: Path, tmp_path: Path,
                                          args: list[str], env: dict[str, str]) -> None:
    """Issue 9, defect 6: ``--db "$UNSET"`` must not fall back to ~/.ait42/sessions.db
    (a script's sessions would land in the person's own history)."""
    result = subprocess.run([sys.executable, "-m", "ait42_session", *args],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, **env})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is blank" in lines[0], result.stderr
    assert not (_private_home / ".ait42").exists()
    assert list(tmp_path.iterdir()) == []  # no file named "  " either


def test_an_empty_ait42_db_counts_as_unset(_private_home: Path) -> None:
    result = cli("stats", env={"AIT42_DB": ""})
    assert result.returncode == 0
    assert (_private_home / ".ait42" / "sessions.db").exists()
