"""The migration runner: numbered SQL files applied in order, each with its record.

Each file runs inside one ``BEGIN IMMEDIATE`` transaction together with the row
that records it, so a crash leaves either both or neither, and two processes
opening a new database at once apply each file once (the second waits for the
lock, then sees the record).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ait42_session.shape.errors import MigrationError
from ait42_session.shape.timestamps import now_rfc3339

_NAME = re.compile(r"^(\d+)_([A-Za-z0-9_\-]+)\.sql$")

FOREIGN_KEYS_OFF = "-- migrate: foreign_keys off"

_METADATA = """
CREATE TABLE IF NOT EXISTS migration_metadata (
    version     INTEGER PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    success     INTEGER NOT NULL DEFAULT 1,
    applied_at  TEXT NOT NULL,
    duration_ms REAL NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Migration:
    """One SQL file of ``migrations/``."""

    version: int
    description: str
    path: Path
    sql: str

    @property
    def foreign_keys_off(self) -> bool:
        """A file that rebuilds tables (sqlite.org's 12-step ALTER procedure) starts
        with the line ``-- migrate: foreign_keys off``: the runner applies it with
        foreign keys off (dropping a parent table must not cascade) and checks
        ``PRAGMA foreign_key_check`` before it commits."""
        return self.sql.lstrip().startswith(FOREIGN_KEYS_OFF)

    @property
    def checksum(self) -> str:
        # Line endings normalized: a checkout with CRLF must not look "changed".
        text = self.sql.replace("\r\n", "\n")
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class MigrationState:
    """A migration as ``migrate info`` shows it."""

    version: int
    description: str
    applied_at: str | None
    duration_ms: float | None
    checksum_ok: bool | None


def default_dir() -> Path:
    """The package's own copy (in a built wheel, see ``setup.py``), else
    ``migrations/`` at the repository root, beside ``backend/``."""
    package = Path(__file__).resolve().parents[1]  # ait42_session/
    shipped = package / "migrations"
    return shipped if shipped.is_dir() else package.parents[1] / "migrations"


def load(directory: Path | None = None) -> list[Migration]:
    """Read every migration file in version order."""
    folder = directory or default_dir()
    if not folder.is_dir():
        raise MigrationError(f"migrations folder {folder} is missing; reinstall ait42-session")
    found: dict[int, Migration] = {}
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"two migration files share version {version}: "
                f"{found[version].path.name} and {path.name}"
            )
        try:
            sql = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MigrationError(f"cannot read migration {path.name}: {exc}") from exc
        found[version] = Migration(version, match.group(2).replace("_", " "), path, sql)
    return [found[v] for v in sorted(found)]


def _statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers' BEGIN...END stay whole)."""
    statements: list[str] = []
    pending = ""
    for line in sql.replace("\r\n", "\n").splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                statements.append(pending)
            pending = ""
    if pending.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in pending.splitlines()
    ):
        raise MigrationError(f"incomplete SQL statement at the end: {pending.strip()[:80]!r}")
    return statements


def _applied(conn: sqlite3.Connection) -> dict[int, tuple[str, str, float]]:
    rows = conn.execute(
        "SELECT version, checksum, applied_at, duration_ms FROM migration_metadata"
    ).fetchall()
    return {int(r[0]): (str(r[1]), str(r[2]), float(r[3])) for r in rows}


def _has_metadata(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='migration_metadata'"
    ).fetchone()
    return row is not None


def check(conn: sqlite3.Connection, migrations: list[Migration]) -> None:
    """Refuse a database whose applied files changed or that is newer than the code."""
    if not _has_metadata(conn):
        return
    known = {m.version: m for m in migrations}
    for version, (checksum, _at, _ms) in sorted(_applied(conn).items()):
        if version not in known:
            raise MigrationError(
                f"the database has migration {version}, which this version of ait42-session "
                "does not know: it was written by a newer version; upgrade ait42-session"
            )
        if known[version].checksum != checksum:
            raise MigrationError(
                f"migration file {known[version].path.name} was changed after it was applied "
                "to this database; restore the original file (applied files are never edited, "
                "add a new migration instead)"
            )


def status(conn: sqlite3.Connection, migrations: list[Migration]) -> list[MigrationState]:
    """Every known or applied migration, applied or pending."""
    applied = _applied(conn) if _has_metadata(conn) else {}
    known = {m.version: m for m in migrations}
    states = []
    for version in sorted(set(applied) | set(known)):
        mig = known.get(version)
        rec = applied.get(version)
        states.append(
            MigrationState(
                version=version,
                description=mig.description if mig else "(unknown to this version)",
                applied_at=rec[1] if rec else None,
                duration_ms=rec[2] if rec else None,
                checksum_ok=(mig.checksum == rec[0]) if (mig and rec) else None,
            )
        )
    return states


def prepare_new_file(conn: sqlite3.Connection) -> None:
    """Set what must be set before the first table exists (auto_vacuum)."""
    if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")


def apply_pending(conn: sqlite3.Connection, migrations: list[Migration]) -> list[Migration]:
    """Apply each pending migration in its own transaction; return those applied."""
    check(conn, migrations)
    done: list[Migration] = []
    for mig in migrations:
        fk_was_on = False
        if mig.foreign_keys_off:  # a no-op inside a transaction: set it before BEGIN
            fk_was_on = bool(conn.execute("PRAGMA foreign_keys").fetchone()[0])
            conn.execute("PRAGMA foreign_keys = OFF")
        try:
            if _apply_one(conn, mig):
                done.append(mig)
        finally:
            if fk_was_on:
                conn.execute("PRAGMA foreign_keys = ON")
    return done


def _violations(conn: sqlite3.Connection) -> set[tuple[object, ...]]:
    return {tuple(r) for r in conn.execute("PRAGMA foreign_key_check").fetchall()}


def _apply_one(conn: sqlite3.Connection, mig: Migration) -> bool:
    """Apply ``mig`` in one transaction with its record; False when it was applied already."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_METADATA)
        row = conn.execute(
            "SELECT checksum FROM migration_metadata WHERE version = ?", (mig.version,)
        ).fetchone()
        if row is not None:  # applied already, maybe by another process meanwhile
            conn.execute("COMMIT")
            return False
        started = time.perf_counter()
        before = _violations(conn) if mig.foreign_keys_off else set()
        for statement in _statements(mig.sql):
            conn.execute(statement)
        if mig.foreign_keys_off:
            new = _violations(conn) - before
            if new:
                raise sqlite3.IntegrityError(
                    f"it would leave {len(new)} broken foreign key reference(s), "
                    f"the first in table {next(iter(sorted(map(str, new))))}")
        conn.execute(
            "INSERT INTO migration_metadata"
            " (version, description, checksum, success, applied_at, duration_ms)"
            " VALUES (?, ?, ?, 1, ?, ?)",
            (mig.version, mig.description, mig.checksum, now_rfc3339(),
             (time.perf_counter() - started) * 1000),
        )
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise MigrationError(f"migration {mig.path.name} failed: {exc}") from exc
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True


def info(db_path: str, directory: Path | None = None) -> list[MigrationState]:
    """Applied and pending migrations of a database file, without changing it."""
    known = load(directory)
    if not Path(db_path).exists():
        return status_of_nothing(known)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return status(conn, known)
    except sqlite3.DatabaseError as exc:
        raise MigrationError(f"cannot read {db_path}: {exc}") from exc
    finally:
        conn.close()


def status_of_nothing(known: list[Migration]) -> list[MigrationState]:
    """Every known migration, pending."""
    return [MigrationState(m.version, m.description, None, None, None) for m in known]
