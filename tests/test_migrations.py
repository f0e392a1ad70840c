"""The migration runner on real files: schema, records, refusals, concurrency."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ait42_session.shape.errors import MigrationError
from ait42_session.store import migrations
from ait42_session.store.db import Database

EXPECTED_TABLES = {"migration_metadata", "workspaces", "sessions", "instances",
                   "chat_messages", "settings"}
SEED_INDEXES = {"idx_sessions_workspace", "idx_sessions_status", "idx_sessions_type",
                "idx_sessions_created", "idx_instances_session", "idx_chat_messages_session"}


@pytest.fixture
def mig_dir(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(migrations.default_dir(), target)
    return target


async def open_close(path: Path, mig_dir: Path | None = None) -> None:
    db = await Database.open(path, migrations_dir=mig_dir)
    await db.close()


def names(path: Path, kind: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE"
                            " 'sqlite_%'", (kind,)).fetchall()
    return {r[0] for r in rows}


async def test_fresh_database_has_the_first_migrations_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    await open_close(path)
    assert names(path, "table") >= EXPECTED_TABLES
    assert names(path, "index") >= SEED_INDEXES
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = conn.execute("SELECT version, description, checksum, success, applied_at,"
                            " duration_ms FROM migration_metadata ORDER BY version").fetchall()
    first = migrations.load()[0]
    assert rows[0][:4] == (1, "initial schema", first.checksum, 1)
    assert rows[0][4].endswith("Z") and rows[0][5] >= 0
    assert [r[0] for r in rows] == [m.version for m in migrations.load()]


async def test_listing_newest_first_is_an_index_scan(tmp_path: Path) -> None:
    path = tmp_path / "plan.db"
    await open_close(path)
    with sqlite3.connect(path) as conn:
        plan = " ".join(str(r[-1]) for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM sessions WHERE workspace_hash = ?"
            " ORDER BY updated_key DESC, id DESC", ("0" * 16,)))
    assert "idx_sessions_workspace" in plan and "TEMP B-TREE" not in plan


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    await open_close(path)
    await open_close(path)
    with sqlite3.connect(path) as conn:
        count = conn.execute("SELECT count(*) FROM migration_metadata").fetchone()[0]
    assert count == len(migrations.load())


async def test_changed_applied_file_is_refused_by_name(tmp_path: Path, mig_dir: Path) -> None:
    path = tmp_path / "changed.db"
    await open_close(path, mig_dir)
    first = mig_dir / "1_initial_schema.sql"
    first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(MigrationError, match=r"1_initial_schema\.sql was changed"):
        await open_close(path, mig_dir)


async def test_line_endings_do_not_count_as_a_change(tmp_path: Path, mig_dir: Path) -> None:
    path = tmp_path / "crlf.db"
    await open_close(path, mig_dir)
    first = mig_dir / "1_initial_schema.sql"
    first.write_bytes(first.read_bytes().replace(b"\n", b"\r\n"))
    await open_close(path, mig_dir)


async def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    await open_close(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO migration_metadata VALUES (999, 'future', 'x', 1, 'now', 0)")
    with pytest.raises(MigrationError, match=r"migration 999.*newer version"):
        await open_close(path)


async def test_failing_migration_leaves_no_trace(tmp_path: Path, mig_dir: Path) -> None:
    path = tmp_path / "fail.db"
    await open_close(path, mig_dir)
    (mig_dir / "900_broken.sql").write_text(
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")
    with pytest.raises(MigrationError, match=r"900_broken\.sql failed.*no_such_table"):
        await open_close(path, mig_dir)
    assert "half_done" not in names(path, "table")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM migration_metadata WHERE version = 900"
                            ).fetchone()[0] == 0


async def test_new_migration_with_a_trigger_is_applied(tmp_path: Path, mig_dir: Path) -> None:
    path = tmp_path / "trigger.db"
    await open_close(path, mig_dir)
    (mig_dir / "901_audit.sql").write_text(
        "CREATE TABLE audit (n INTEGER);\n"
        "CREATE TRIGGER count_ws AFTER INSERT ON workspaces BEGIN\n"
        "  INSERT INTO audit VALUES (1);\n"
        "END;\n")
    await open_close(path, mig_dir)
    assert {"audit"} <= names(path, "table")
    states = migrations.info(str(path), mig_dir)
    assert [(s.version, s.applied_at is not None) for s in states][-1] == (901, True)


def test_two_processes_opening_a_new_database_apply_each_migration_once(
        tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    code = ("import sys; from ait42_session.faces.bridge import Bridge; "
            "b = Bridge.open(sys.argv[1]); b.get_database_stats(); b.close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)],
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version FROM migration_metadata").fetchall()
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    assert sorted(r[0] for r in rows) == [m.version for m in migrations.load()]


def test_info_on_a_missing_file_lists_everything_pending(tmp_path: Path) -> None:
    states = migrations.info(str(tmp_path / "none.db"))
    assert states and all(s.applied_at is None for s in states)
    assert not (tmp_path / "none.db").exists()
