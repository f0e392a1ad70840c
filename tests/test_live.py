"""Live: every committed change reaches changes_since, from this process or any other;
append_instance_output appends in place."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ait42_session.derived import live
from ait42_session.faces.service import Service
from ait42_session.shape.errors import DatabaseError, NotFoundError, ValidationError

from .conftest import make_session

WRITER = """
import sys
from ait42_session.faces.service import Service
db, ws, sid = sys.argv[1:4]
with Service.open(db) as svc:
    svc.create_session_sqlite(ws, {"id": sid, "type": "debate", "task": "from elsewhere",
        "status": "running", "createdAt": "2026-01-13T10:00:00Z",
        "updatedAt": "2026-01-13T10:00:00Z"})
"""


def _ids(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["sessionId"], c["kind"]) for c in answer["changes"]]


def test_each_write_is_a_change_after_the_token(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        first = svc.changes_since(None, 0)
        assert first["changes"] == [] and first["reset"] is False
        svc.create_session_sqlite(workspace, make_session("a"))
        svc.create_session_sqlite(workspace, make_session("b"))
        got = svc.changes_since(first["token"], 0)
        assert _ids(got) == [("a", "upserted"), ("b", "upserted")]
        assert int(got["token"]) > int(first["token"])
        svc.add_chat_message_sqlite(workspace, "a", {
            "id": "late", "role": "user", "content": "x", "timestamp": "2026-01-13T11:00:00Z"})
        svc.delete_session_sqlite(workspace, "b")
        later = svc.changes_since(got["token"], 0)
        assert _ids(later) == [("a", "upserted"), ("b", "deleted")]
        assert svc.changes_since(later["token"], 0)["changes"] == []


def test_a_failed_write_leaves_no_change(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("a"))
        token = svc.changes_since(None, 0)["token"]
        with pytest.raises(NotFoundError):
            svc.update_instance_status_sqlite(workspace, "a", 99, "failed")
        assert svc.changes_since(token, 0)["changes"] == []


def test_another_process_wakes_a_waiting_call(db_path: str, workspace: str) -> None:
    """A real second process with its own Service commits; the wait here ends with it."""
    with Service.open(db_path) as svc:
        token = svc.changes_since(None, 0)["token"]
        answer: dict[str, Any] = {}

        def wait() -> None:
            answer.update(svc.changes_since(token, 30_000))
            answer["at"] = time.monotonic()

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.3)  # the call is waiting now
        subprocess.run([sys.executable, "-c", WRITER, db_path, workspace, "far"], check=True,
                       timeout=60)
        committed = time.monotonic()
        waiter.join(timeout=30)
        assert not waiter.is_alive()
        assert _ids(answer) == [("far", "upserted")]
        assert answer["at"] - committed < 10  # generous; the figure is in tools/live_bench.py


def test_a_foreign_connection_writing_sql_is_seen_too(db_path: str, workspace: str) -> None:
    """The shell may write with its own SQLite connection: the triggers log that as well,
    even through INSERT OR IGNORE, whose conflict clause would override the trigger's."""
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("a"))
        token = svc.changes_since(None, 0)["token"]
        raw = sqlite3.connect(db_path)
        raw.execute("UPDATE sessions SET status = 'failed' WHERE id = 'a'")
        raw.execute("DELETE FROM sessions WHERE id = 'a'")
        raw.commit()
        mid = svc.changes_since(token, 0)
        assert _ids(mid) == [("a", "deleted")]
        svc.create_session_sqlite(workspace, make_session("b"))
        # (not SELECT *: it includes the generated column archived_at, which no INSERT takes)
        cols = "id, workspace_hash, type, task, status, created_at, created_key, updated_at," \
               " updated_key"
        raw.execute(f"INSERT OR IGNORE INTO sessions ({cols}) SELECT {cols} FROM sessions"
                    " WHERE id = 'b'")
        raw.commit()
        raw.close()
        assert _ids(svc.changes_since(mid["token"], 0)) == [("b", "upserted")]


def test_an_empty_wait_ends_with_the_same_token(db_path: str) -> None:
    with Service.open(db_path) as svc:
        token = svc.changes_since(None, 0)["token"]
        started = time.monotonic()
        answer = svc.changes_since(token, 300)
        assert answer == {"token": token, "changes": [], "reset": False}
        assert time.monotonic() - started >= 0.25


def test_too_many_changes_or_a_foreign_token_ask_for_a_reload(
        db_path: str, workspace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "MAX_CHANGES", 3)
    with Service.open(db_path) as svc:
        token = svc.changes_since(None, 0)["token"]
        for n in range(4):
            svc.create_session_sqlite(workspace, make_session(f"s{n}"))
        answer = svc.changes_since(token, 0)
        assert answer["reset"] is True and answer["changes"] == []
        assert svc.changes_since(answer["token"], 0)["changes"] == []
        assert svc.changes_since("999999", 0)["reset"] is True


@pytest.mark.parametrize(("token", "wait"), [("abc", 0), (7, 0), ("1", -1), ("1", 60_001),
                                             ("1", 1.5), ("-1", 0)])
def test_bad_tokens_and_waits_are_refused(db_path: str, token: Any, wait: Any) -> None:
    with Service.open(db_path) as svc, pytest.raises(ValidationError):
        svc.changes_since(token, wait)


def test_closing_ends_a_waiting_call_and_leaves_no_thread(db_path: str) -> None:
    before = set(threading.enumerate())
    svc = Service.open(db_path)
    token = svc.changes_since(None, 0)["token"]
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            svc.changes_since(token, 60_000)
        except BaseException as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    svc.close()
    waiter.join(timeout=10)
    assert not waiter.is_alive(), "the waiting call outlived the store"
    assert len(outcome) == 1 and isinstance(outcome[0], DatabaseError)
    assert [t for t in threading.enumerate() if t not in before] == []


def test_append_instance_output_appends_in_place(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        before = svc.create_session_sqlite(workspace, make_session("a"))
        old = before["instances"][0].get("output", "")
        assert svc.append_instance_output(workspace, "a", 0, "第一\n") == {
            "outputLength": len(old) + 3}
        assert svc.append_instance_output(workspace, "a", 0, "more") == {
            "outputLength": len(old) + 7}
        after = svc.get_session_sqlite(workspace, "a")
        assert after["instances"][0]["output"] == old + "第一\nmore"
        assert after["instances"][1] == before["instances"][1]
        assert after["updatedAt"] > before["updatedAt"]
        assert after["chatHistory"] == before["chatHistory"]


def test_append_to_an_instance_without_output_starts_it(db_path: str, workspace: str) -> None:
    session = make_session("a")
    session["instances"][0].pop("output", None)
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, session)
        assert svc.append_instance_output(workspace, "a", 0, "go") == {"outputLength": 2}
        assert svc.get_session_sqlite(workspace, "a")["instances"][0]["output"] == "go"


@pytest.mark.parametrize(("sid", "iid", "text", "error"), [
    ("a", 9, "x", NotFoundError), ("zz", 0, "x", NotFoundError),
    ("a", 0, 5, ValidationError), ("a", "0", "x", ValidationError)])
def test_a_refused_append_changes_nothing(db_path: str, workspace: str, sid: str, iid: Any,
                                          text: Any, error: type[Exception]) -> None:
    with Service.open(db_path) as svc:
        before = svc.create_session_sqlite(workspace, make_session("a"))
        with pytest.raises(error):
            svc.append_instance_output(workspace, sid, iid, text)
        assert svc.get_session_sqlite(workspace, "a") == before


def test_the_board_can_ask_for_just_the_changed_sessions(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        for n in range(5):
            svc.create_session_sqlite(workspace, make_session(f"s{n}"))
        page = svc.list_session_summaries(workspace, {"sessionIds": ["s1", "s3", "gone"]})
        assert sorted(item["id"] for item in page["items"]) == ["s1", "s3"]
        assert json.dumps(page)  # plain JSON


def test_the_contract_example_keeps_its_shape_after_many_appends(
        db_path: str, workspace: str, tmp_path: Path) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("a"))
        for n in range(200):
            svc.append_instance_output(workspace, "a", 1, f"line {n}\n")
        out = svc.get_session_sqlite(workspace, "a")["instances"][1]["output"]
        assert out.endswith("line 198\nline 199\n")
        assert svc.verify_database_integrity() is True


def test_appended_output_is_whole_in_every_read_and_goes_with_its_instance(
        db_path: str, workspace: str) -> None:
    """Appends are kept apart, and the catch-up merges long runs of them into the output:
    every read sees one output, before and after the merge, and a replace or delete of
    the session takes them along."""
    from ait42_session.derived.catchup import FOLD_AFTER

    with Service.open(db_path, derived=False) as svc:
        base = svc.create_session_sqlite(workspace, make_session("a"))
        old = base["instances"][0].get("output", "")
        expected = old
        for n in range(FOLD_AFTER + 3):
            expected += f"[{n}]"
            svc.append_instance_output(workspace, "a", 0, f"[{n}]")
            if n in (0, FOLD_AFTER - 2, FOLD_AFTER + 2):
                got = svc.get_session_sqlite(workspace, "a")["instances"][0]["output"]
                assert got == expected
                listed = svc.get_all_sessions_sqlite(workspace)[0]["instances"][0]["output"]
                assert listed == expected
        raw = sqlite3.connect(db_path)
        assert raw.execute("SELECT count(*) FROM output_appends").fetchone()[0] == FOLD_AFTER + 3
        before = svc.get_session_sqlite(workspace, "a")
        assert svc.build_search_index(100) == {"indexed": 1, "pending": 0}  # merged here
        assert raw.execute("SELECT count(*) FROM output_appends").fetchone()[0] == 0
        assert svc.get_session_sqlite(workspace, "a") == before  # the same, updatedAt too
        svc.append_instance_output(workspace, "a", 0, "+")
        assert svc.get_session_sqlite(workspace, "a")["instances"][0]["output"] == expected + "+"
        replaced = dict(base, task="replaced whole")
        svc.update_session_sqlite(workspace, replaced)
        assert svc.get_session_sqlite(workspace, "a")["instances"][0].get("output", "") == old
        assert raw.execute("SELECT count(*) FROM output_appends").fetchone()[0] == 0
        svc.append_instance_output(workspace, "a", 1, "tail")
        svc.delete_session_sqlite(workspace, "a")
        assert raw.execute("SELECT count(*) FROM output_appends").fetchone()[0] == 0
        raw.close()
        assert svc.verify_database_integrity() is True


def _found(svc: Service, query: str) -> list[str]:
    return [hit["sessionId"] for hit in svc.search_sessions(query, None)["items"]]


def test_streamed_output_is_searchable_when_the_append_returns(
        db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        base = svc.create_session_sqlite(workspace, make_session("a"))
        svc.create_session_sqlite(workspace, make_session("b"))
        svc.append_instance_output(workspace, "a", 0, "\nbuild failed: quuxerror in mod")
        assert _found(svc, "quuxerror") == ["a"]
        hit = svc.search_sessions("quuxerror", None)["items"][0]
        output = [m for m in hit["matches"] if m["field"] == "output"]
        assert output and output[0]["instanceId"] == 0
        start, end = output[0]["highlights"][0]
        assert output[0]["text"][start:end].lower() == "quuxerror"
        # a word cut between appends is one word; Japanese is found by two characters
        svc.append_instance_output(workspace, "a", 1, " zorbl")
        svc.append_instance_output(workspace, "a", 1, "ification 認証を追加")
        assert _found(svc, "zorblification") == ["a"]
        assert _found(svc, "認証") == ["a"]
        assert _found(svc, "quuxerror -zorblification") == []  # the whole session excludes
        # a word streamed one character per append is found when the last returns
        for ch in " flumpwiggle ":
            svc.append_instance_output(workspace, "a", 1, ch)
        assert _found(svc, "flumpwiggle") == ["a"]
        assert _found(svc, "zorblification flumpwiggle quuxerror") == ["a"]
        assert len(svc.search_sessions("flumpwiggle", {"limit": 1})["items"]) == 1
        raw = sqlite3.connect(db_path)
        # replaced whole, then deleted: never found again
        svc.update_session_sqlite(workspace, base)
        assert _found(svc, "quuxerror") == []
        svc.append_instance_output(workspace, "b", 0, " plonkword")
        assert _found(svc, "plonkword") == ["b"]
        svc.delete_session_sqlite(workspace, "b")
        assert _found(svc, "plonkword") == []
        raw.close()
        assert svc.verify_database_integrity() is True


def test_an_append_change_carries_the_appended_text_and_where_it_goes(
        db_path: str, workspace: str) -> None:
    """A page can append streamed output in place from the change alone: each
    chunk with its instance, offset and length (characters, as outputLength),
    and the facts to compare; a change that is not an append carries none."""
    with Service.open(db_path) as svc, Service.open(db_path) as other:  # another program
        svc.create_session_sqlite(workspace, make_session("s1"))  # outputs "all tests pass"
        token = svc.changes_since(None, 0)["token"]
        assert other.append_instance_output(workspace, "s1", 1, "dé") == {"outputLength": 16}
        assert other.append_instance_output(workspace, "s1", 1, "😀f") == {"outputLength": 18}
        answer = svc.changes_since(token, 0)
        (change,) = answer["changes"]
        appends = change["appends"]
        assert [(a["instanceId"], a["offset"], a["length"], a["text"]) for a in appends] == [
            (1, 14, 2, "dé"), (1, 16, 2, "😀f")]
        stored = svc.get_session_sqlite(workspace, "s1")
        assert change["updatedAt"] == stored["updatedAt"] == appends[-1]["at"]
        assert change["status"] == stored["status"]
        assert change["messageCount"] == len(stored["chatHistory"])
        assert change["instanceStatuses"] == [
            {"instanceId": i["instanceId"], "status": i["status"]} for i in stored["instances"]]
        # the next answer carries only what was appended after it
        other.append_instance_output(workspace, "s1", 0, "zz")
        (change,) = svc.changes_since(answer["token"], 0)["changes"]
        assert [(a["instanceId"], a["text"]) for a in change["appends"]] == [(0, "zz")]
        # a write that is not an append: nothing to append, the page fetches
        token = svc.changes_since(None, 0)["token"]
        other.update_instance_status_sqlite(workspace, "s1", 0, "failed")
        (change,) = svc.changes_since(token, 0)["changes"]
        assert "appends" not in change and change["kind"] == "upserted"
        # a token this feed never gave (another window's): no appended text either
        token = svc.changes_since(None, 0)["token"]
        svc.append_instance_output(workspace, "s1", 0, "y")
        (change,) = other.changes_since(token, 0)["changes"]
        assert "appends" not in change
        assert [a["text"] for a in svc.changes_since(token, 0)["changes"][0]["appends"]] == ["y"]
