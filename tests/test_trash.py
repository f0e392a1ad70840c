"""Trash and archive: a delete keeps the session whole until a purge, archiving hides it
from the board only, and every refusal changes nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.cli import main
from ait42_session.faces.service import Service
from ait42_session.shape.errors import ConflictError, NotFoundError, ValidationError

from .conftest import make_session, run_threads, wait_until

ROOT = Path(__file__).resolve().parent.parent


def odd_session(session_id: str = "s1") -> dict[str, Any]:
    """A session with unknown fields, nulls and chat ties: what must survive the trash."""
    s = make_session(session_id, instances=2, messages=3, evaluation={"scores": [1, None]},
                     integrationPhase=None, model=None)
    s["chatHistory"].append({"id": "tie", "role": "system", "content": "same instant",
                             "timestamp": s["chatHistory"][0]["timestamp"], "extra": None})
    s["instances"][0]["testsPassed"] = None
    return s


def test_delete_moves_to_trash_and_restore_gives_back_the_same(db_path: str,
                                                               workspace: str) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, odd_session())
        svc.create_session_sqlite(workspace, make_session("s2"))
        stored = svc.get_session_sqlite(workspace, "s1")
        before = svc.get_database_stats()
        svc.delete_session_sqlite(workspace, "s1")
        with pytest.raises(NotFoundError):
            svc.get_session_sqlite(workspace, "s1")
        after = svc.get_database_stats()
        assert after["sessionCount"] == before["sessionCount"] - 1
        assert after["instanceCount"] == before["instanceCount"] - 2
        assert after["messageCount"] == before["messageCount"] - 4
        assert after["trashedSessionCount"] == 1
        [entry] = svc.list_trash(workspace)
        assert entry["sessionId"] == "s1" and entry["workspacePath"] == workspace
        assert set(entry) == {"trashId", "workspacePath", "workspaceHash", "sessionId", "task",
                              "type", "status", "deletedAt"}
        assert svc.list_trash(None) == [entry]
        assert svc.restore_session(workspace, "s1") == stored
        assert svc.get_session_sqlite(workspace, "s1") == stored
        assert svc.list_trash(None) == []
        assert svc.get_database_stats()["instanceCount"] == before["instanceCount"]


def test_the_id_is_free_again_and_restore_then_conflicts(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("s1", task="old"))
        svc.delete_session_sqlite(workspace, "s1")
        svc.create_session_sqlite(workspace, make_session("s1", task="new"))
        with pytest.raises(ConflictError, match="live session"):
            svc.restore_session(workspace, "s1")
        assert svc.get_session_sqlite(workspace, "s1")["task"] == "new"
        assert len(svc.list_trash(workspace)) == 1  # the refused restore changed nothing
        svc.delete_session_sqlite(workspace, "s1")
        assert [e["task"] for e in svc.list_trash(workspace)] == ["new", "old"]
        assert svc.restore_session(workspace, "s1")["task"] == "new"  # the newest copy
        assert [e["task"] for e in svc.list_trash(workspace)] == ["old"]


def _two_copies(svc: Service, workspace: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One id trashed twice, at different times: (older copy, newer copy) as listed."""
    older = make_session("dup", task="older task", instances=1)
    older["instances"][0]["output"] = "older output"
    svc.create_session_sqlite(workspace, older)
    older_stored = svc.get_session_sqlite(workspace, "dup")
    svc.delete_session_sqlite(workspace, "dup")
    newer = make_session("dup", task="newer task", instances=1)
    newer["instances"][0]["output"] = "newer output"
    svc.create_session_sqlite(workspace, newer)
    newer_stored = svc.get_session_sqlite(workspace, "dup")
    svc.delete_session_sqlite(workspace, "dup")
    return older_stored, newer_stored


def _trash_rows(db_path: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT seq, session_id, task, session FROM trash ORDER BY seq"
                            ).fetchall()


def test_each_trashed_copy_of_a_reused_id_has_its_own_trash_id(db_path: str,
                                                               workspace: str) -> None:
    """Defect 15: the older copy of a reused id can be restored, by its trashId."""
    with Service.open(db_path) as svc:
        older, newer = _two_copies(svc, workspace)
        listed = svc.list_trash(workspace)
        assert [e["task"] for e in listed] == ["newer task", "older task"]
        new_id, old_id = (e["trashId"] for e in listed)
        assert isinstance(old_id, int) and isinstance(new_id, int) and old_id != new_id
        assert svc.list_trash(None) == listed
        restored = svc.restore_session(workspace, "dup", old_id)
        assert restored == older  # exactly that copy, its task and output
        assert restored["instances"][0]["output"] == "older output"
        assert svc.get_session_sqlite(workspace, "dup") == older
        [left] = svc.list_trash(workspace)
        assert left["trashId"] == new_id and left["task"] == "newer task"
        svc.delete_session_sqlite(workspace, "dup")  # the restored one goes back
        assert len(svc.list_trash(workspace)) == 2
        back = {e["task"]: e["trashId"] for e in svc.list_trash(workspace)}
        assert svc.restore_session(workspace, "dup", back["newer task"]) == newer


def test_purge_one_copy_by_trash_id_leaves_the_other(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        _older, newer = _two_copies(svc, workspace)
        new_id, old_id = (e["trashId"] for e in svc.list_trash(workspace))
        assert svc.purge_trash(workspace, None, [old_id]) == {"purged": 1}
        assert [e["trashId"] for e in svc.list_trash(None)] == [new_id]
        assert svc.list_backups()[0]["reason"] == "purge"
        assert svc.restore_session(workspace, "dup") == newer
        # the contract's two-argument call still purges every copy of the id
        svc.delete_session_sqlite(workspace, "dup")
        svc.create_session_sqlite(workspace, make_session("dup"))
        svc.delete_session_sqlite(workspace, "dup")
        assert len(svc.list_trash(workspace)) == 2
        assert svc.purge_trash(workspace, ["dup"]) == {"purged": 2}
        assert svc.list_trash(None) == []


def test_a_trash_id_is_never_given_to_another_copy(db_path: str, workspace: str) -> None:
    """The newest copy's number, once it is restored, is not handed to the next copy
    trashed (migration 12): a trashId held by a page means that copy or nothing."""
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("a", task="first"))
        svc.delete_session_sqlite(workspace, "a")
        [first] = svc.list_trash(workspace)
        svc.restore_session(workspace, "a", first["trashId"])
        svc.create_session_sqlite(workspace, make_session("b", task="second"))
        svc.delete_session_sqlite(workspace, "b")
        [second] = svc.list_trash(workspace)
        assert second["trashId"] > first["trashId"]
        with pytest.raises(NotFoundError):
            svc.purge_trash(workspace, None, [first["trashId"]])
        assert [e["sessionId"] for e in svc.list_trash(workspace)] == ["b"]


def test_a_trash_id_of_another_workspace_or_unknown_is_not_found_and_changes_nothing(
        db_path: str, workspace: str, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    with Service.open(db_path) as svc:
        _two_copies(svc, workspace)
        svc.create_session_sqlite(str(other), make_session("dup", task="other ws"))
        svc.delete_session_sqlite(str(other), "dup")
        svc.create_session_sqlite(str(other), make_session("x", task="x"))
        svc.delete_session_sqlite(str(other), "x")
        [other_x, other_dup] = svc.list_trash(str(other))
        new_id, old_id = (e["trashId"] for e in svc.list_trash(workspace))
        unknown = max(e["trashId"] for e in svc.list_trash(None)) + 100
        before_rows = _trash_rows(db_path)
        before_trash = svc.list_trash(None)
        stats = svc.get_database_stats()
        refused: list[tuple[str, tuple[Any, ...]]] = [
            ("restore_session", (workspace, "dup", other_dup["trashId"])),  # another workspace
            ("restore_session", (str(other), "dup", old_id)),
            ("restore_session", (workspace, "dup", unknown)),
            ("restore_session", (workspace, "x", old_id)),  # a copy of another session
            ("purge_trash", (workspace, None, [old_id, other_x["trashId"]])),
            ("purge_trash", (workspace, None, [unknown])),
            ("purge_trash", (None, None, [new_id, unknown])),
            ("purge_trash", (None, ["x"], [old_id])),
        ]
        for name, args in refused:
            with pytest.raises(NotFoundError, match="trash"):
                getattr(svc, name)(*args)
        for bad in ((workspace, "dup", "1"), (workspace, "dup", 0), (workspace, "dup", True),
                    (workspace, "dup", 1.5)):
            with pytest.raises(ValidationError):
                svc.restore_session(*bad)
        for bad_ids in (["1"], [0], [True], 5):
            with pytest.raises(ValidationError):
                svc.purge_trash(workspace, None, bad_ids)
        assert _trash_rows(db_path) == before_rows  # nothing changed
        assert svc.list_trash(None) == before_trash
        assert svc.get_database_stats()["sessionCount"] == stats["sessionCount"]
        assert svc.list_backups() == []  # a refused purge takes no backup either
        with pytest.raises(NotFoundError):
            svc.get_session_sqlite(workspace, "dup")


def test_restore_by_trash_id_in_dual_mode_writes_the_json_file_too(
        db_path: str, workspace: str, sessions_dir: Path) -> None:
    with Service.open(db_path, sessions_dir=sessions_dir) as svc:
        svc.set_storage_mode("dual")
        svc.create_session(workspace, make_session("dup", task="older task"))
        svc.delete_session(workspace, "dup")
        svc.create_session(workspace, make_session("dup", task="newer task"))
        svc.delete_session(workspace, "dup")
        _new_id, old_id = (e["trashId"] for e in svc.list_trash(workspace))
        assert svc.restore_session(workspace, "dup", old_id)["task"] == "older task"
        [file] = sessions_dir.glob("*.json")
        assert [s["task"] for s in json.loads(file.read_text("utf-8"))] == ["older task"]
        assert [e["task"] for e in svc.list_trash(workspace)] == ["newer task"]


def test_restore_and_purge_refusals(db_path: str, workspace: str, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("s1"))
        svc.delete_session_sqlite(workspace, "s1")
        with pytest.raises(NotFoundError):
            svc.restore_session(str(other), "s1")  # trashed under another workspace
        with pytest.raises(NotFoundError):
            svc.restore_session(workspace, "nope")
        with pytest.raises(NotFoundError):
            svc.delete_session_sqlite(workspace, "s1")  # already in the trash
        for bad in (("", None), (workspace, "s1"), (workspace, [""]), (workspace, [1])):
            with pytest.raises(ValidationError):
                svc.purge_trash(*bad)
        with pytest.raises(ValidationError):
            svc.list_trash(5)
        with pytest.raises(ValidationError):
            svc.archive_session(workspace, "s1", "yes")
        assert len(svc.list_trash(None)) == 1


def test_purge_by_workspace_and_ids_backs_up_first(db_path: str, workspace: str,
                                                   tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    with Service.open(db_path) as svc:
        for sid in ("a", "b", "c"):
            svc.create_session_sqlite(workspace, make_session(sid))
            svc.delete_session_sqlite(workspace, sid)
        svc.create_session_sqlite(str(other), make_session("d"))
        svc.delete_session_sqlite(str(other), "d")
        assert svc.purge_trash(workspace, ["a", "zzz"]) == {"purged": 1}
        [backup] = svc.list_backups()
        assert backup["reason"] == "purge"
        with sqlite3.connect(backup["path"]) as copy:  # it holds what was purged
            assert copy.execute("SELECT count(*) FROM trash WHERE session_id = 'a'"
                                ).fetchone() == (1,)
        assert svc.purge_trash(str(other), None) == {"purged": 1}
        assert svc.purge_trash(None, ["nothing"]) == {"purged": 0}
        assert len(svc.list_backups()) == 2  # nothing to purge: no backup
        assert sorted(e["sessionId"] for e in svc.list_trash(None)) == ["b", "c"]
        assert svc.purge_trash(None, None) == {"purged": 2}
        assert svc.get_database_stats()["trashedSessionCount"] == 0


def test_json_era_delete_goes_to_the_trash_in_sqlite_and_dual_modes(
        db_path: str, workspace: str, sessions_dir: Path) -> None:
    with Service.open(db_path, sessions_dir=sessions_dir) as svc:
        for mode in ("sqlite", "dual"):
            svc.set_storage_mode(mode)
            svc.create_session(workspace, make_session(f"{mode}1"))
            svc.delete_session(workspace, f"{mode}1")
            assert svc.list_trash(workspace)[0]["sessionId"] == f"{mode}1"
            assert svc.restore_session(workspace, f"{mode}1")["id"] == f"{mode}1"


def test_archive_hides_from_the_board_only(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        for k in range(3):
            svc.create_session_sqlite(workspace, make_session(f"s{k}"))
        archived = svc.archive_session(workspace, "s1", True)
        at = archived["archivedAt"]
        assert at.endswith("Z") and archived["updatedAt"] == "2026-01-13T12:30:00Z"
        assert svc.archive_session(workspace, "s1", True)["archivedAt"] == at  # kept
        assert svc.get_session_sqlite(workspace, "s1")["archivedAt"] == at

        def ids(archived: str | None) -> list[str]:
            page = svc.list_session_summaries(workspace, {"archived": archived})
            assert page["total"] == len(page["items"])
            return sorted(i["id"] for i in page["items"])

        assert ids(None) == ids("exclude") == ["s0", "s2"]
        assert ids("include") == ["s0", "s1", "s2"]
        assert ids("only") == ["s1"]
        assert svc.list_session_summaries(workspace, {"archived": "only"}
                                          )["items"][0]["archivedAt"] == at
        assert len(svc.get_all_sessions_sqlite(workspace)) == 3  # still a session
        assert svc.get_database_stats()["archivedSessionCount"] == 1
        cleared = svc.archive_session(workspace, "s1", False)
        assert "archivedAt" not in cleared
        assert cleared == svc.get_session_sqlite(workspace, "s1")
        assert ids(None) == ["s0", "s1", "s2"]
        with pytest.raises(NotFoundError):
            svc.archive_session(workspace, "nope", True)
        with pytest.raises(ValidationError, match="archived"):
            svc.list_session_summaries(workspace, {"archived": "yes"})


def test_a_callers_archived_at_round_trips_and_update_decides(db_path: str,
                                                              workspace: str) -> None:
    """update_session_sqlite replaces the session whole: its archivedAt is what the caller
    sends (kept as written), absent un-archives; anything but null or RFC 3339 is refused."""
    with Service.open(db_path) as svc:
        s = make_session("s1", archivedAt="2026-02-01T10:00:00+09:00")
        assert svc.create_session_sqlite(workspace, s)["archivedAt"] == s["archivedAt"]
        assert svc.list_session_summaries(workspace, {"archived": "only"})["total"] == 1
        fetched = svc.get_session_sqlite(workspace, "s1")
        assert svc.update_session_sqlite(workspace, dict(fetched, task="t2")) == \
            dict(fetched, task="t2")
        assert svc.update_session_sqlite(workspace, dict(s, archivedAt=None))["archivedAt"] \
            is None
        assert svc.list_session_summaries(workspace, None)["total"] == 1
        for bad in ("yesterday", 5, {"at": 1}):
            with pytest.raises(ValidationError, match="archivedAt"):
                svc.update_session_sqlite(workspace, dict(s, archivedAt=bad))
        assert svc.get_session_sqlite(workspace, "s1")["archivedAt"] is None


def test_trash_restore_purge_under_concurrent_writes(db_path: str, workspace: str) -> None:
    """Threads of this process and another process write while sessions go to the trash,
    come back and are purged: every session ends where its last command put it."""
    with Service.open(db_path) as svc:
        for k in range(40):
            svc.create_session_sqlite(workspace, make_session(f"t{k}", instances=1))
        writer = subprocess.Popen(
            [sys.executable, "-c", _OTHER_PROCESS, db_path, workspace],
            env=dict(os.environ, PYTHONPATH=f"{ROOT / 'backend'}:{ROOT}"), cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True)

        def churn(k: int) -> None:
            for j in range(k, 40, 4):
                sid = f"t{j}"
                svc.delete_session_sqlite(workspace, sid)
                if j % 2 == 0:
                    svc.restore_session(workspace, sid)
                    svc.add_chat_message_sqlite(workspace, sid, {
                        "id": "after", "role": "user", "content": "back",
                        "timestamp": "2026-01-14T00:00:00Z"})
                else:
                    svc.purge_trash(workspace, [sid])

        assert run_threads(churn, 4) == []
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0, out
        live = {s["id"] for s in svc.get_all_sessions_sqlite(workspace)}
        assert live == {f"t{j}" for j in range(0, 40, 2)} | {f"p{k}" for k in range(30)}
        assert svc.list_trash(workspace) == []
        assert all(len(svc.get_session_sqlite(workspace, f"t{j}")["chatHistory"]) == 3
                   for j in range(0, 40, 2))
        assert svc.verify_database_integrity()


_OTHER_PROCESS = """
import sys
from ait42_session.faces.service import Service
from tests.conftest import make_session
with Service.open(sys.argv[1]) as svc:
    for k in range(30):
        svc.create_session_sqlite(sys.argv[2], make_session(f"p{k}", instances=1))
print("ok")
"""


def test_prune_moves_old_sessions_to_the_trash(db_path: str, workspace: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("old", updated="2020-01-01T00:00:00Z"))
        svc.create_session_sqlite(workspace, make_session(
            "oldrun", updated="2020-01-01T00:00:00Z", status="running"))
        svc.create_session_sqlite(workspace, make_session("new", updated="2999-01-01T00:00:00Z"))
    assert main(["--db", db_path, "prune", "--older-than", "90d", "--dry-run"]) == 0
    assert "2 session(s) would move" in capsys.readouterr().out
    assert main(["--db", db_path, "prune", "--older-than", "90d", "--status", "completed",
                 "--workspace", workspace]) == 0
    out = capsys.readouterr().out
    assert "moved  old " in out and "oldrun" not in out
    assert main(["--db", db_path, "prune", "--older-than", "ninety"]) == 1
    with Service.open(db_path) as svc:
        assert [e["sessionId"] for e in svc.list_trash(None)] == ["old"]
        assert {s["id"] for s in svc.get_all_sessions_sqlite(workspace)} == {"oldrun", "new"}


def test_trash_keeps_the_json_text_whole(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, odd_session())
        stored = svc.get_session_sqlite(workspace, "s1")
        svc.delete_session_sqlite(workspace, "s1")
    with sqlite3.connect(db_path) as conn:
        [(text,)] = conn.execute("SELECT session FROM trash").fetchall()
    assert json.loads(text) == stored


def test_search_leaves_archived_and_trashed_sessions_out_unless_asked(
        db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        for sid in ("live", "filed", "gone"):
            svc.create_session_sqlite(workspace, make_session(sid, task=f"zebra crossing {sid}"))
        svc.archive_session(workspace, "filed", True)
        svc.delete_session_sqlite(workspace, "gone")

        def found(archived: str) -> list[str]:
            hits = svc.search_sessions("zebra", {"archived": archived})["items"]
            return sorted(h["sessionId"] for h in hits)

        assert found("exclude") == ["live"]
        assert found("include") == ["filed", "live"]
        assert found("only") == ["filed"]
        svc.restore_session(workspace, "gone")
        assert found("exclude") == ["gone", "live"]  # indexed again on restore


class _Acts:
    """The command line's output (stdout or stderr) that, at the first write, runs
    ``act`` once: another program working on the database after prune has read
    its candidates (it writes the first line then) and before it moves them."""

    def __init__(self, real: Any, act: list[Any]) -> None:
        self.real, self.act = real, act

    def write(self, text: str) -> int:
        while self.act:
            self.act.pop()()
        return int(self.real.write(text))

    def flush(self) -> None:
        self.real.flush()


def test_prune_rechecks_each_session_before_trashing_it(
        db_path: str, workspace: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18, defect 8: a session updated between prune's reading of candidates
    and its trashing went to the trash with its new output."""
    with Service.open(db_path) as svc:
        for sid in ("a", "b", "c"):
            svc.create_session_sqlite(workspace, make_session(sid, updated="2020-01-01T00:00:00Z"))
    other = Service.open(db_path)  # another program, open throughout

    def work_on_b() -> None:
        other.append_instance_output(workspace, "b", 0, "new output after the listing")

    act = [work_on_b]  # shared: whichever stream prune writes to first runs it
    monkeypatch.setattr(sys, "stdout", _Acts(sys.stdout, act))
    monkeypatch.setattr(sys, "stderr", _Acts(sys.stderr, act))
    try:
        assert main(["--db", db_path, "prune", "--older-than", "90d"]) == 0
    finally:
        monkeypatch.undo()
        other.close()
    printed = capsys.readouterr()
    assert "2 session(s) moved" in printed.out
    assert "1 session(s) changed" in printed.out and "left in place" in printed.out
    with Service.open(db_path) as svc:
        assert sorted(e["sessionId"] for e in svc.list_trash(None)) == ["a", "c"]
        [kept] = svc.get_all_sessions_sqlite(workspace)
        assert kept["id"] == "b"
        assert kept["instances"][0]["output"].endswith("new output after the listing")


_OTHER_WRITER = """
import sys
from ait42_session.faces.service import Service
from ait42_session.shape.errors import SessionError
from tests.conftest import make_session
with Service.open(sys.argv[1], busy_timeout_ms=int(sys.argv[3]), derived=False) as svc:
    k = 0
    while sys.stdin.readline():
        try:
            svc.create_session_sqlite(sys.argv[2], make_session(
                f"other{k}", updated="2999-01-01T00:00:00Z"))
            print("ok", flush=True)
        except SessionError as exc:
            print(f"failed: {exc}", flush=True)
        k += 1
"""


def test_a_big_prune_lets_another_programs_writes_through(db_path: str, workspace: str,
                                                          capsys: pytest.CaptureFixture[str],
                                                          ) -> None:
    """Issue 18, defect 18: pruning 10,000 sessions held the write lock 13 s in one
    transaction and another program's write failed; prune now moves them in small
    transactions, each well inside a busy timeout, with progress on stderr."""
    count = 2500  # the seed and its copies
    with Service.open(db_path, derived=False) as svc:
        svc.create_session_sqlite(workspace, make_session(
            "seed", instances=2, messages=4, updated="2020-01-01T00:00:00Z"))
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:  # many old sessions, quickly: copies of the one stored through the service
        for table, key in (("sessions", "id"), ("instances", "session_id"),
                           ("chat_messages", "session_id")):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_xinfo({table})")
                    if r[6] in (0, 1) and not (table == "sessions" and r[1] == "id")
                    and r[1] not in (key, "seq")]
            picked = ", ".join(cols)
            conn.execute("BEGIN")
            for k in range(count - 1):
                conn.execute(f"INSERT INTO {table} ({key}, {picked}) SELECT ?, {picked}"
                             f" FROM {table} WHERE {key} = 'seed'", (f"old{k}",))
            conn.execute("COMMIT")
    finally:
        conn.close()
    with Service.open(db_path) as svc:  # search and insights caught up before it starts
        svc.run(svc.context.derived.run_until_current())
    writer = subprocess.Popen(
        [sys.executable, "-c", _OTHER_WRITER, db_path, workspace, "2000"],
        env=dict(os.environ, PYTHONPATH=f"{ROOT / 'backend'}:{ROOT}"), cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert writer.stdin is not None and writer.stdout is not None
    results: list[str] = []
    done = threading.Event()

    def keep_writing() -> None:
        assert writer.stdin is not None and writer.stdout is not None
        while not done.is_set():
            writer.stdin.write("go\n")
            writer.stdin.flush()
            results.append(writer.stdout.readline().strip())

    try:
        thread = threading.Thread(target=keep_writing)
        thread.start()
        wait_until(lambda: results, "the other program's first write")
        assert main(["--db", db_path, "prune", "--older-than", "90d"]) == 0
        during = len(results)
        wait_until(lambda: len(results) > during + 2, "writes after the prune")
        done.set()
        thread.join(30)
    finally:
        done.set()
        writer.stdin.close()
        writer.wait(30)
    assert results and all(r == "ok" for r in results), [r for r in results if r != "ok"][:3]
    printed = capsys.readouterr()
    assert f"{count} session(s) moved" in printed.out
    assert f"moved {count}/{count}" in printed.err  # progress, batch by batch
    with Service.open(db_path, derived=False) as svc:
        assert svc.get_database_stats()["trashedSessionCount"] == count
