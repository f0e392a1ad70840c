"""Backups on real files: consistent while another process writes, taken by themselves
before a migration, an import or a purge, restored in place with the store still open."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ait42_session.faces.cli import main
from ait42_session.faces.service import Service
from ait42_session.shape.errors import FileError, MigrationError, ValidationError
from ait42_session.store import backups, migrations

from .conftest import make_session

ROOT = Path(__file__).resolve().parent.parent


def test_create_and_list(db_path: str, workspace: str, tmp_path: Path) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("s1"))
        first = svc.create_backup(None)
        assert Path(first["path"]).parent == Path(db_path).parent / "backups"
        assert set(first) == {"path", "sizeBytes", "createdAt"}
        svc.create_session_sqlite(workspace, make_session("s2"))
        second = svc.create_backup(None)
        own = svc.create_backup(str(tmp_path / "mine.db"))
        assert own["sizeBytes"] == Path(own["path"]).stat().st_size
        listed = svc.list_backups()
        assert [b["path"] for b in listed] == [second["path"], first["path"]]  # newest first
        assert {b["reason"] for b in listed} == {"manual"}
        with pytest.raises(ValidationError, match="already exists"):
            svc.create_backup(own["path"])
        with pytest.raises(ValidationError):
            svc.create_backup("")
        with pytest.raises(ValidationError):
            svc.create_backup(db_path)
    with sqlite3.connect(first["path"]) as conn:
        assert conn.execute("SELECT id FROM sessions").fetchall() == [("s1",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert not list(Path(first["path"]).parent.glob("*.partial"))


def test_the_default_database_backs_up_into_home(_private_home: Path) -> None:
    with Service.open() as svc:
        made = svc.create_backup(None)
    assert Path(made["path"]).parent == _private_home / ".ait42" / "backups"


_WRITER = """
import sys
from ait42_session.faces.service import Service
from tests.conftest import make_session
with Service.open(sys.argv[1]) as svc:
    k = 0
    while True:
        svc.create_session_sqlite(sys.argv[2], make_session(f"w{k}", instances=3, messages=5))
        print(f"w{k}", flush=True)
        k += 1
"""


def test_a_backup_while_another_process_writes_is_consistent(db_path: str, workspace: str,
                                                             tmp_path: Path) -> None:
    Service.open(db_path).close()
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, db_path, workspace],
                              env=dict(os.environ, PYTHONPATH=f"{ROOT / 'backend'}:{ROOT}"),
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    try:
        committed = [writer.stdout.readline().strip() for _ in range(60)]
        with Service.open(db_path) as svc:
            made = svc.create_backup(str(tmp_path / "during.db"))
        more = writer.stdout.readline().strip()  # the writer was still writing
        assert more.startswith("w")
    finally:
        writer.kill()
        writer.wait()
    with Service.open(made["path"]) as copy:
        assert copy.verify_database_integrity()
        held = {s["id"] for s in copy.get_all_sessions_sqlite(workspace)}
        assert set(committed) <= held
        for sid in held:  # each session whole: every create was all or nothing
            s = copy.get_session_sqlite(workspace, sid)
            assert (len(s["instances"]), len(s["chatHistory"])) == (3, 5)


def test_automatic_backups_keep_the_newest_ten(db_path: str) -> None:
    with Service.open(db_path) as svc:
        manual = svc.create_backup(None)
        made = [svc.run(backups.before(svc.db, "import")) for _ in range(12)]
        listed = svc.list_backups()
    automatic = [b["path"] for b in listed if b["automatic"]]
    assert automatic == [m["path"] for m in reversed(made[2:])]  # type: ignore[index]
    assert manual["path"] in [b["path"] for b in listed]


def _old_schema(path: Path, tmp_path: Path) -> None:
    """A database of the migrations before 4 only: what an earlier version left."""
    old = tmp_path / "old-migrations"
    old.mkdir(exist_ok=True)
    for f in migrations.default_dir().iterdir():
        if f.suffix == ".sql" and int(f.name.split("_")[0]) < 4:
            shutil.copy(f, old / f.name)
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.apply_pending(conn, migrations.load(old))
    conn.execute("INSERT INTO workspaces VALUES ('0123456789abcdef', '/w', 'x', 'x')")
    conn.execute("INSERT INTO sessions (id, workspace_hash, type, task, status, created_at,"
                 " created_key, updated_at, updated_key) VALUES ('old', '0123456789abcdef',"
                 " 'debate', 't', 'running', '2026-01-01T00:00:00Z', 0,"
                 " '2026-01-01T00:00:00Z', 0)")
    conn.close()


def test_a_migration_of_an_existing_database_is_backed_up_first(tmp_path: Path) -> None:
    path = tmp_path / "db" / "s.db"
    path.parent.mkdir()
    _old_schema(path, tmp_path)
    with Service.open(str(path)) as svc:
        [made] = svc.list_backups()
        assert made["reason"] == "migration"
        assert svc.get_database_stats()["schemaVersion"] >= 4
    with sqlite3.connect(made["path"]) as conn:  # the database as it was before
        assert conn.execute("SELECT max(version) FROM migration_metadata").fetchone() == (
            max(m.version for m in migrations.load() if m.version < 4),)
        assert conn.execute("SELECT id FROM sessions").fetchall() == [("old",)]
    Service.open(str(path)).close()  # nothing pending: no new backup
    fresh = tmp_path / "fresh.db"
    Service.open(str(fresh)).close()  # a new file: nothing to lose
    assert not (tmp_path / "backups").exists()
    with Service.open(str(path)) as svc:
        assert len(svc.list_backups()) == 1


def test_restore_replaces_in_place_and_the_store_carries_on(db_path: str, workspace: str,
                                                           tmp_path: Path) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("kept"))
        made = svc.create_backup(None)
        svc.create_session_sqlite(workspace, make_session("later"))
        svc.delete_session_sqlite(workspace, "kept")
        other = Service.open(db_path)  # a second store on the same file, open throughout
        try:
            stats = svc.restore_backup(made["path"])
            assert stats["sessionCount"] == 1 and stats["trashedSessionCount"] == 0
            assert [s["id"] for s in svc.get_all_sessions_sqlite(workspace)] == ["kept"]
            assert [s["id"] for s in other.get_all_sessions_sqlite(workspace)] == ["kept"]
            svc.create_session_sqlite(workspace, make_session("after"))  # still writable
            assert other.get_session_sqlite(workspace, "after")["id"] == "after"
        finally:
            other.close()
        [before_restore] = [b for b in svc.list_backups() if b["reason"] == "restore"]
        with sqlite3.connect(before_restore["path"]) as conn:
            assert conn.execute("SELECT id FROM sessions").fetchall() == [("later",)]
        assert svc.verify_database_integrity()


def test_restore_of_an_older_schema_migrates_it(db_path: str, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    _old_schema(old, tmp_path)
    with Service.open(db_path) as svc:
        stats = svc.restore_backup(str(old))
        assert stats["sessionCount"] == 1
        assert stats["schemaVersion"] == max(m.version for m in migrations.load())
        assert svc.list_trash(None) == []


def test_restore_refuses_what_is_not_a_sound_known_database(db_path: str, workspace: str,
                                                            tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello, not a database")
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE things (x)")
    newer = tmp_path / "newer.db"
    damaged = tmp_path / "damaged.db"
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("mine", instances=30))
        svc.create_backup(str(newer))
        svc.create_backup(str(damaged))
    with sqlite3.connect(newer) as conn:
        conn.execute("INSERT INTO migration_metadata VALUES (999, 'future', 'x', 1, 'x', 0)")
    data = bytearray(damaged.read_bytes())
    data[4096 * 3:4096 * 3 + 200] = b"\xff" * 200
    damaged.write_bytes(bytes(data))
    with Service.open(db_path) as svc:
        before = (svc.get_all_sessions_sqlite(workspace), svc.list_backups())
        for bad, error in ((tmp_path / "missing.db", ValidationError),
                           (text, ValidationError), (foreign, ValidationError),
                           (damaged, ValidationError), (newer, MigrationError),
                           (Path(db_path), ValidationError)):
            with pytest.raises(error):
                svc.restore_backup(str(bad))
            assert (svc.get_all_sessions_sqlite(workspace), svc.list_backups()) == before


def test_command_line(db_path: str, workspace: str, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("s1"))
    assert main(["--db", db_path, "backup"]) == 0
    assert main(["--db", db_path, "backup", str(tmp_path / "b.db")]) == 0
    assert main(["--db", db_path, "backups"]) == 0
    out = capsys.readouterr().out
    assert "manual" in out and "backed up to" in out
    assert main(["--db", db_path, "restore", str(tmp_path / "b.db")]) == 0
    assert "restored" in capsys.readouterr().out
    assert main(["--db", db_path, "restore", str(tmp_path / "nope.db")]) == 1
    assert "VALIDATION" in capsys.readouterr().err


def test_a_legacy_import_backs_the_database_up_first(db_path: str, workspace: str,
                                                     tmp_path: Path) -> None:
    from ait42_session.shape.workspace import legacy_hash

    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / f"{legacy_hash(workspace)}.json").write_text(
        json.dumps([make_session("legacy1")]), encoding="utf-8")
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("before"))
        assert main(["--db", db_path, "import-json", str(folder), "--dry-run"]) == 0
        assert svc.list_backups() == []
    assert main(["--db", db_path, "import-json", str(folder), "--no-backup"]) == 0
    with Service.open(db_path) as svc:
        [made] = svc.list_backups()
        assert made["reason"] == "import"
        assert svc.get_session_sqlite(workspace, "legacy1")["id"] == "legacy1"
    with sqlite3.connect(made["path"]) as conn:  # the database before the import wrote
        assert conn.execute("SELECT id FROM sessions").fetchall() == [("before",)]


def test_a_restore_moves_the_change_log_on_never_back(db_path: str, workspace: str) -> None:
    """A page following changes_since before the restore sees what the restore changed."""
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("kept"))
        made = svc.create_backup(None)
        for k in range(5):
            svc.create_session_sqlite(workspace, make_session(f"later{k}"))
        token = svc.changes_since(None, 0)["token"]
        svc.restore_backup(made["path"])
        seen = svc.changes_since(token, 0)
        assert int(seen["token"]) > int(token) and not seen["reset"]
        kinds = {c["sessionId"]: c["kind"] for c in seen["changes"]}
        assert kinds == {"kept": "upserted"} | {f"later{k}": "deleted" for k in range(5)}
        svc.create_session_sqlite(workspace, make_session("new"))
        assert [c["sessionId"] for c in svc.changes_since(seen["token"], 0)["changes"]] == ["new"]


def test_restoring_the_oldest_kept_backup_never_deletes_it(db_path: str, workspace: str) -> None:
    """Issue 18, defect 2: the restore's own backup pruned the file being restored."""
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("old"))
        made = [svc.run(backups.before(svc.db, "import")) for _ in range(backups.KEEP_AUTOMATIC)]
        oldest = made[0]["path"]  # type: ignore[index]
        svc.create_session_sqlite(workspace, make_session("new"))
        stats = svc.restore_backup(oldest)
        assert stats["sessionCount"] == 1
        assert [s["id"] for s in svc.get_all_sessions_sqlite(workspace)] == ["old"]
        assert Path(oldest).exists()
        assert len([b for b in svc.list_backups() if b["automatic"]]) <= backups.KEEP_AUTOMATIC + 1


def test_a_restore_gives_up_at_the_busy_timeout_like_every_write(db_path: str,
                                                                  workspace: str) -> None:
    """Issue 18, defect 17: the restore waited as long as another program held the
    lock (SQLite's backup loop retries a busy step for ever) and an append of the
    same process waited behind it; now it gives up at the busy timeout, DATABASE."""
    import threading

    from ait42_session.shape.errors import DatabaseError
    with Service.open(db_path, busy_timeout_ms=300) as svc:
        svc.create_session_sqlite(workspace, make_session("kept"))
        made = svc.create_backup(None)
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        outcome: list[BaseException | None] = []

        def restore() -> None:
            try:
                svc.restore_backup(made["path"])
                outcome.append(None)
            except BaseException as exc:  # reported to the test
                outcome.append(exc)

        thread = threading.Thread(target=restore, daemon=True)
        thread.start()
        thread.join(20)  # far past the 0.3 s timeout; before the fix it waited for ever
        other.execute("ROLLBACK")
        other.close()
        thread.join(20)
        assert len(outcome) == 1 and isinstance(outcome[0], DatabaseError), outcome
        assert outcome[0].code == "DATABASE"
        assert "locked by another program" in str(outcome[0])
        # nothing changed, and the store carries on
        assert [s["id"] for s in svc.get_all_sessions_sqlite(workspace)] == ["kept"]
        svc.create_session_sqlite(workspace, make_session("after"))
        assert svc.verify_database_integrity()


def test_a_backup_of_another_page_size_is_restored(db_path: str, workspace: str,
                                                   tmp_path: Path) -> None:
    """Issue 18, defect 20: a sound backup with page size 8192 failed to restore with
    "readonly database" (SQLite cannot copy pages of another size into a WAL database)."""
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("kept"))
        made = svc.create_backup(str(tmp_path / "big-pages.db"))
        with sqlite3.connect(made["path"], isolation_level=None) as conn:
            conn.execute("PRAGMA page_size = 8192")
            conn.execute("VACUUM")
            assert conn.execute("PRAGMA page_size").fetchone() == (8192,)
        conn.close()
        svc.create_session_sqlite(workspace, make_session("later"))
        stats = svc.restore_backup(made["path"])
        assert stats["sessionCount"] == 1
        assert [s["id"] for s in svc.get_all_sessions_sqlite(workspace)] == ["kept"]
        svc.create_session_sqlite(workspace, make_session("after"))
        assert svc.verify_database_integrity()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (2,)
    conn.close()
    assert not [p for p in Path(db_path).parent.iterdir() if p.name.endswith(".partial")]
    with sqlite3.connect(made["path"]) as conn:  # the backup itself is left as it was
        assert conn.execute("PRAGMA page_size").fetchone() == (8192,)
    conn.close()


def test_a_backup_to_a_full_disk_names_that_disk(db_path: str, workspace: str,
                                                 tmpfs: Callable[[str], Path]) -> None:
    """Issue 18, defect 21: a backup to another, full disk blamed the database's disk."""
    from .conftest import fill_disk
    small = tmpfs("1m")
    fill_disk(small / "filler")
    with Service.open(db_path) as svc:
        for k in range(20):
            svc.create_session_sqlite(workspace, make_session(f"s{k}", instances=5, messages=20))
        with pytest.raises(FileError) as err:
            svc.create_backup(str(small / "copy.db"))
        assert err.value.code == "IO"
        text = str(err.value)
        assert f"the disk holding {small} is full" in text, text
        assert db_path not in text and str(Path(db_path).parent) not in text
        assert not list(small.glob("copy.db*"))  # nothing half-written is left
        assert svc.get_database_stats()["sessionCount"] == 20
