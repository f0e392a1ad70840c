"""Full-text search: every field found, the query language, filters, paging,
hostile input, Japanese, identifiers, ANSI output, highlights; on a real file."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from ait42_session.derived import catchup, search_marks, search_text
from ait42_session.faces.bridge import Bridge
from ait42_session.faces.service import Service
from ait42_session.shape.errors import ValidationError

from .conftest import make_session
from .legacy_files import write_shell_file

Json = dict[str, Any]


def cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line on ``db`` (the worktree's code: PYTHONPATH is inherited)."""
    return subprocess.run([sys.executable, "-m", "ait42_session", "--db", db, *args],
                          capture_output=True, text=True, env={**os.environ}, timeout=120)


def run_import(bridge: Bridge, folder: Path, **options: Any) -> Json:
    """Import a folder through the page's commands; its final status."""
    job = bridge.start_import(str(folder), options or None)["jobId"]
    while (status := bridge.get_import_status(job))["state"] == "running":
        time.sleep(0.02)
    result: Json = status
    return result


class Searcher:
    """Writes and searches through the real bridge (the page's command path)."""

    def __init__(self, bridge: Bridge, db_path: str) -> None:
        self.bridge = bridge
        self.db_path = db_path

    def search(self, query: str, options: Json | None = None) -> Json:
        result: Json = self.bridge.search_sessions(query, options)
        return result

    def ids(self, query: str, options: Json | None = None) -> list[str]:
        return [h["sessionId"] for h in self.search(query, options)["items"]]

    def verify(self) -> list[str]:
        async def run() -> list[str]:
            async with aiosqlite.connect(self.db_path, isolation_level=None) as conn:
                return await catchup.verify(conn)
        return asyncio.run(run())


@pytest.fixture
def s(bridge: Bridge, db_path: str) -> Iterator[Searcher]:
    yield Searcher(bridge, db_path)


def put(s: Searcher, ws: str, sid: str, *, task: str = "a task", output: str = "",
        chat: tuple[str, ...] = (), branch: str | None = None, agent: str = "tester",
        updated: str = "2026-01-13T12:30:00Z", **fields: Any) -> Json:
    session = make_session(sid, instances=1, messages=0, updated=updated, task=task, **fields)
    inst = session["instances"][0]
    inst.update(output=output, agentName=agent, branch=branch or f"feature/{sid}")
    session["chatHistory"] = [
        {"id": f"m{k}", "role": "user", "content": text, "timestamp": f"2026-01-13T10:{k:02d}:00Z"}
        for k, text in enumerate(chat)]
    stored: Json = s.bridge.create_session_sqlite(ws, session)
    return stored


def marked(hit: Json, field: str) -> list[str]:
    """The highlighted substrings of the hit's matches of one field."""
    return [m["text"][a:b] for m in hit["matches"] if m["field"] == field
            for a, b in m["highlights"]]


def test_every_field_is_found_with_its_match(s: Searcher, workspace: str) -> None:
    put(s, workspace, "s1", task="Add zanzibar login", output="building quokka now",
        branch="feature/wombat-auth", agent="narwhal-developer", chat=("consider ocelot", "ok"))
    for word, field in (("zanzibar", "task"), ("quokka", "output"), ("wombat", "branch"),
                        ("narwhal", "agentName"), ("ocelot", "chat")):
        [hit] = s.search(word)["items"]
        assert hit["sessionId"] == "s1"
        [match] = [m for m in hit["matches"] if m["field"] == field]
        assert match["text"][match["highlights"][0][0]:match["highlights"][0][1]].lower() == word
        if field in ("output", "branch", "agentName"):
            assert match["instanceId"] == 0
        if field == "chat":
            assert match["messageId"] == "m0"
    hit = s.search("zanzibar")["items"][0]
    assert set(hit) == {"workspacePath", "workspaceHash", "sessionId", "task", "type", "status",
                        "updatedAt", "archivedAt", "score", "matches"}
    assert hit["workspacePath"] == str(Path(workspace).resolve())
    assert hit["archivedAt"] is None and hit["score"] > 0


def test_update_and_delete_are_reflected_at_once(s: Searcher, workspace: str) -> None:
    stored = put(s, workspace, "s1", task="old pelican task")
    assert s.ids("pelican") == ["s1"]
    stored["task"] = "new flamingo task"
    s.bridge.update_session_sqlite(workspace, stored)
    assert s.ids("pelican") == []
    assert s.ids("flamingo") == ["s1"]
    s.bridge.add_chat_message_sqlite(workspace, "s1", {
        "id": "late", "role": "user", "content": "mention capybara",
        "timestamp": "2026-01-14T00:00:00Z"})
    assert s.ids("capybara") == ["s1"]
    s.bridge.delete_session_sqlite(workspace, "s1")
    assert s.ids("flamingo") == [] and s.ids("capybara") == []
    assert s.verify() == []


def test_all_words_phrase_exclusion_prefix_or(s: Searcher, workspace: str) -> None:
    put(s, workspace, "a", task="refresh the token cache", updated="2026-01-01T00:00:00Z")
    put(s, workspace, "b", task="token refresh failed", updated="2026-01-02T00:00:00Z")
    put(s, workspace, "c", task="cache warmup", output="the token", updated="2026-01-03T00:00:00Z")
    assert sorted(s.ids("token refresh")) == ["a", "b"]
    assert s.ids('"token refresh"') == ["b"]
    assert s.ids('"refresh the token"') == ["a"]
    assert sorted(s.ids("token -refresh")) == ["c"]
    assert sorted(s.ids('token -"refresh failed"')) == ["a", "c"]
    assert sorted(s.ids("warm*")) == ["c"]
    assert sorted(s.ids("failed OR warmup")) == ["b", "c"]
    assert sorted(s.ids("token failed OR warmup")) == ["b", "c"]
    assert sorted(s.ids("-failed")) == ["c", "a"] or s.ids("-failed") == ["c", "a"]
    assert s.ids("TOKEN REFRESH FAILED") == ["b"]  # case-insensitive
    assert s.ids("failed or warmup") == []  # lowercase "or" is a word


@pytest.mark.parametrize("query", ['"unbalanced', "AND OR", "*", "NEAR(", "col:x",
                                   "'; DROP TABLE sessions; --", "a AND", "OR", "(", ")",
                                   '"', "-", "--", "NOT", "^x", "x:", "{a b}", "a\"b", "\\",
                                   "% _", "NEAR(a b, 2)", "\x00", "a OR", "-\"x"])
def test_hostile_queries_are_text_never_errors(s: Searcher, workspace: str, query: str) -> None:
    put(s, workspace, "s1", task="unbalanced AND OR near col x drop table sessions a")
    result = s.search(query)
    assert isinstance(result["items"], list)
    assert s.ids("sessions") == ["s1"]  # the table is still there


def test_hostile_queries_find_their_words(s: Searcher, workspace: str) -> None:
    put(s, workspace, "s1", task="unbalanced quote; NEAR(call); col:x; AND OR")
    put(s, workspace, "s2", task="something else entirely")
    for query in ('"unbalanced', "NEAR(", "col:x", "AND OR"):
        assert s.ids(query) == ["s1"], query


@pytest.mark.parametrize("query", ["", "   ", "x" * 1001])
def test_empty_or_long_query_is_validation(s: Searcher, query: str) -> None:
    with pytest.raises(ValidationError):
        s.search(query)


@pytest.mark.parametrize("options", [
    {"limit": 0}, {"limit": 201}, {"limit": "5"}, {"limit": True}, {"type": "nope"},
    {"status": 3}, {"archived": "all"}, {"updatedAfter": "yesterday"}, {"cursor": "junk"},
    {"workspacePath": ""}, {"colour": "red"}, [],
])
def test_bad_options_are_validation(s: Searcher, options: Any) -> None:
    with pytest.raises(ValidationError):
        s.search("x", options)


def test_japanese_two_characters_and_latin_glued(s: Searcher, workspace: str) -> None:
    put(s, workspace, "ja", task="JWT認証を追加", chat=("ログイン画面のバグを修正した",))
    put(s, workspace, "zh", task="修复数据库连接错误")
    put(s, workspace, "en", task="add JWT auth")
    for query in ("認証", "証を", "認証を追加", "JWT認証", "ログイン", "バグ", "画面"):
        assert s.ids(query) == ["ja"], query
    assert sorted(s.ids("JWT")) == ["en", "ja"]
    assert s.ids("数据库") == ["zh"] and s.ids("错误") == ["zh"]
    assert s.ids("認証 JWT") == ["ja"]
    assert s.ids("追加する") == []  # not a substring
    hit = s.search("認証")["items"][0]
    assert marked(hit, "task") == ["認証"]
    assert marked(s.search("JWT認証")["items"][0], "task") == ["JWT認証"]


@pytest.mark.parametrize(("query", "text", "found"), [
    ("JWT", "認証JWTトークン", ["JWT"]),  # CJK on both sides is no letter of the word
    ("jwt", "JWT認証 jwtx xjwt", ["JWT"]),  # a longer Latin word is another word
    ("migrat*", "migration認証 migrat", ["migration", "migrat"]),  # a prefix stops at CJK
    ('"foo bar"', "foo認bar foo-bar", ["foo-bar"]),  # a phrase never spans a CJK character
    ("JWT認証", "JWT認証 JWT 認証", ["JWT認証", "JWT 認証"]),
    ("café", "CAFÉ認証 cafe", ["CAFÉ", "cafe"]),
])
def test_highlights_beside_cjk_text(query: str, text: str, found: list[str]) -> None:
    """A term without CJK is matched in text whose CJK is masked (a pattern ``re``
    compiles at once); the marks are exactly those of the index's word rules."""
    terms = search_text.parse_query(query).terms()
    spans = search_marks.find(text, terms)
    assert [text[a:b] for a, b, _w in spans] == found


def test_identifiers_paths_and_error_text(s: Searcher, workspace: str) -> None:
    put(s, workspace, "s1", output="set refresh_token_ttl=3600 in parseSessionRow()\n"
        "error TS2345: src/auth/jwt.ts(12,5): Argument of type 'string'")
    put(s, workspace, "s2", output="refresh the token; ttl elsewhere; src auth")
    assert s.ids("refresh_token_ttl") == ["s1"]
    assert s.ids("parseSessionRow") == ["s1"]
    assert s.ids("parseSess*") == ["s1"]
    assert s.ids("src/auth/jwt.ts") == ["s1"]
    assert s.ids("jwt.ts") == ["s1"]
    assert s.ids("TS2345") == ["s1"]
    assert s.ids('"Argument of type"') == ["s1"]
    hit = s.search("src/auth/jwt.ts")["items"][0]
    assert marked(hit, "output") == ["src/auth/jwt.ts"]
    assert marked(s.search("refresh_token_ttl")["items"][0], "output") == ["refresh_token_ttl"]


def test_ansi_colour_codes_are_not_text(s: Searcher, workspace: str) -> None:
    put(s, workspace, "s1", output="\x1b[31merror\x1b[0m: \x1b[1mzan\x1b[22mzibar failed\x1b[0m")
    assert s.ids("error") == ["s1"]
    assert s.ids("zanzibar") == ["s1"]
    assert s.ids("31merror") == [] and s.ids("0m") == []
    hit = s.search("zanzibar failed")["items"][0]
    [match] = [m for m in hit["matches"] if m["field"] == "output"]
    assert "\x1b" not in match["text"]
    assert marked(hit, "output") == ["zanzibar", "failed"]


def test_highlights_point_at_the_words_in_long_output(s: Searcher, workspace: str) -> None:
    filler = "lorem ipsum dolor sit amet " * 400
    put(s, workspace, "s1", output=filler + "the Migration FAILED here " + filler,
        chat=("the migration is fine", "nothing"))
    hit = s.search("migration failed")["items"][0]
    for m in hit["matches"]:
        assert len(m["text"]) <= 310
        for a, b in m["highlights"]:
            assert m["text"][a:b].lower() in ("migration", "failed")
    out = next(m for m in hit["matches"] if m["field"] == "output")
    assert [out["text"][a:b] for a, b in out["highlights"]] == ["Migration", "FAILED"]
    assert out["text"].startswith("…") and out["text"].endswith("…")
    assert [m["messageId"] for m in hit["matches"] if m["field"] == "chat"] == ["m0"]


def test_excerpts_of_long_output_on_every_path(s: Searcher, workspace: str) -> None:
    """Long output: a word past the first chunks, in capitals, with a non-ASCII
    capital (no ASCII folding finds it), or broken by a colour code (only the
    exact path, over the whole field, finds it). Each gets its excerpt."""
    filler = "\x1b[32mok\x1b[0m lorem ipsum dolor\n" * 6000  # ~170 KB
    put(s, workspace, "far", output=filler + "then QUETZAL appeared\n" + filler)
    put(s, workspace, "accent", output=filler + "the ÉCLAIR step failed\n" + filler)
    put(s, workspace, "broken", output=filler + "a mar\x1b[1mmoset\x1b[0m here\n" + filler)
    for query, sid, word in (("quetzal", "far", "QUETZAL"), ("éclair", "accent", "ÉCLAIR"),
                             ("marmoset", "broken", "marmoset")):
        [hit] = s.search(query)["items"]
        assert hit["sessionId"] == sid
        [out] = [m for m in hit["matches"] if m["field"] == "output"]
        assert [out["text"][a:b] for a, b in out["highlights"]] == [word], query
        assert out["text"].startswith("…") and out["text"].endswith("…")
        assert "\x1b" not in out["text"] and len(out["text"]) <= 310


def test_filters(s: Searcher, workspace: str, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    put(s, workspace, "a", task="shared word", type="ensemble", status="failed",
        updated="2026-01-01T00:00:00Z")
    put(s, workspace, "b", task="shared word", updated="2026-02-01T00:00:00Z",
        archivedAt="2026-02-02T00:00:00Z")
    put(s, str(other), "c", task="shared word", updated="2026-03-01T00:00:00Z")
    assert s.ids("shared") == ["c", "a"]
    assert s.ids("shared", {"workspacePath": workspace}) == ["a"]
    assert s.ids("shared", {"workspacePath": None, "archived": "include"}) == ["c", "b", "a"]
    assert s.ids("shared", {"archived": "only"}) == ["b"]
    assert s.ids("shared", {"type": "ensemble"}) == ["a"]
    assert s.ids("shared", {"status": "completed"}) == ["c"]
    assert s.ids("shared", {"updatedAfter": "2026-01-15T00:00:00Z", "archived": "include"}) \
        == ["c", "b"]
    assert s.ids("shared", {"updatedBefore": "2026-02-15T00:00:00+00:00"}) == ["a"]
    assert s.search("shared", {"archived": "only"})["items"][0]["archivedAt"] \
        == "2026-02-02T00:00:00Z"


def test_ranking_best_first_then_newest(s: Searcher, workspace: str) -> None:
    put(s, workspace, "out", task="x", output="lots of words and one heron among many others",
        updated="2026-03-01T00:00:00Z")
    put(s, workspace, "task", task="heron", updated="2026-01-01T00:00:00Z")
    put(s, workspace, "old", task="same", chat=("kite",), updated="2026-01-01T00:00:00Z")
    put(s, workspace, "new", task="same", chat=("kite",), updated="2026-02-01T00:00:00Z")
    assert s.ids("heron") == ["task", "out"]
    hits = s.search("kite")["items"]
    assert [h["sessionId"] for h in hits] == ["new", "old"]
    assert hits[0]["score"] == hits[1]["score"]


def test_paging_has_no_duplicates_or_gaps(s: Searcher, workspace: str) -> None:
    for k in range(23):
        # a few equal scores (ties broken by updatedAt, then id) and varied ones
        put(s, workspace, f"s{k:02d}", task="paging " * (1 + k % 3),
            updated=f"2026-01-{1 + k % 5:02d}T00:00:00Z")
    everything = s.ids("paging", {"limit": 200})
    assert len(everything) == 23
    seen: list[str] = []
    cursor = None
    while True:
        page = s.search("paging", {"limit": 5, "cursor": cursor})
        seen += [h["sessionId"] for h in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == everything
    with pytest.raises(ValidationError):  # a cursor of another search
        first = s.search("paging", {"limit": 5})["nextCursor"]
        s.search("paging", {"limit": 5, "cursor": first, "type": "debate"})


def test_small_pages_agree_with_one_long_page(s: Searcher, workspace: str,
                                              tmp_path: Path) -> None:
    """A page is ranked from the best few index rows first (a few pages' worth);
    with ties at its edge or filters that leave too few, every match is ranked.
    Either way the pages are the long page cut in pieces."""
    other = tmp_path / "other"
    other.mkdir()
    for k in range(40):  # varied scores, many ties (same text, other dates), two workspaces
        put(s, workspace if k % 3 else str(other), f"s{k:02d}",
            task="otter " * (1 + k % 4) + f"n{k}", output="otter" if k % 5 == 0 else "",
            updated=f"2026-01-{1 + k % 9:02d}T00:00:00Z", type=("competition", "ensemble")[k % 2])
    for options in ({}, {"workspacePath": str(other)}, {"type": "ensemble"}):
        everything = s.ids("otter", {**options, "limit": 200})
        assert len(everything) == len(set(everything)) > 10
        for limit in (1, 2, 3, 7):
            seen: list[str] = []
            cursor = None
            while True:
                page = s.search("otter", {**options, "limit": limit, "cursor": cursor})
                seen += [h["sessionId"] for h in page["items"]]
                cursor = page["nextCursor"]
                if cursor is None:
                    break
            assert seen == everything, (options, limit)


def test_default_limit_is_fifty(s: Searcher, workspace: str) -> None:
    for k in range(52):
        put(s, workspace, f"s{k}", task="many")
    page = s.search("many")
    assert len(page["items"]) == 50 and page["nextCursor"] is not None


def test_query_parser_makes_only_quoted_phrases() -> None:
    for text in ('"unbalanced', "AND OR", "*", "NEAR(", "col:x", "a OR", "x -", "a* b"):
        expression = search_text.parse_query(text).expression() or ""
        # every operand is a quoted string: FTS5 can never see a bare operator
        assert all(part.startswith('"') or part in ("AND", "OR", "NOT", "*", "(", ")")
                   for part in expression.replace("(", " ( ").replace(")", " ) ").split()
                   if not part.endswith('"') or part.startswith('"')), expression


def test_index_of_an_existing_database_is_built_with_progress(
        s: Searcher, workspace: str, db_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in range(7):
        put(s, workspace, f"s{k}", task=f"existing {k}")
    s.bridge.close()
    conn = sqlite3.connect(db_path)
    # a database whose history is not indexed yet (as after a bulk import)
    conn.execute("DELETE FROM search_fts")
    conn.execute("DELETE FROM search_docs")
    conn.execute("UPDATE derived_position SET seq = 0")  # nothing derived yet
    conn.commit()
    conn.close()
    monkeypatch.setattr(catchup, "READ_BOUND", 5)  # far behind: answers at once
    monkeypatch.setattr(catchup, "BATCH", 3)
    with Service.open(db_path, derived=False) as svc:
        assert svc.search_sessions("existing", None) == {"items": [], "nextCursor": None,
                                                         "pending": 7}
        steps: list[tuple[int, int]] = []
        done = svc.run(svc.context.derived.run_until_current(
            progress=lambda d, t: steps.append((d, t))))
        assert done == 7 and steps == [(3, 7), (6, 7), (7, 7)]
        assert "pending" not in svc.search_sessions("existing", None)
        assert len(svc.search_sessions("existing", None)["items"]) == 7
        assert svc.verify_database_integrity() is True


def test_the_page_builds_the_index_in_steps(s: Searcher, workspace: str, db_path: str) -> None:
    for k in range(5):
        put(s, workspace, f"s{k}", task=f"older {k}")
    s.bridge.close()
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM search_fts")
    conn.execute("DELETE FROM search_docs")
    conn.execute("UPDATE derived_position SET seq = 0")  # nothing derived yet
    conn.commit()
    conn.close()
    with Service.open(db_path, derived=False) as svc:  # no background catch-up
        assert svc.build_search_index(2) == {"indexed": 2, "pending": 3}
        assert svc.build_search_index(2) == {"indexed": 2, "pending": 1}
        assert svc.build_search_index(2) == {"indexed": 1, "pending": 0}
        assert len(svc.search_sessions("older", None)["items"]) == 5
        with pytest.raises(ValidationError):
            svc.build_search_index(0)


def test_another_programs_writes_are_picked_up(s: Searcher, workspace: str,
                                               db_path: str) -> None:
    put(s, workspace, "s1", task="first words")
    conn = sqlite3.connect(db_path)  # a program without this code: only the triggers run
    conn.execute("UPDATE sessions SET task = 'second words' WHERE id = 's1'")
    conn.commit()
    conn.close()
    # the search itself catches up with the other program's committed write
    assert s.ids("second") == ["s1"] and s.ids("first") == []
    assert s.bridge.build_search_index(100) == {"indexed": 0, "pending": 0}


def test_a_message_added_after_another_programs_change(s: Searcher, workspace: str,
                                                        db_path: str) -> None:
    """Another program's change and this program's message are both in the
    session's index text: it is indexed whole from what is stored."""
    put(s, workspace, "s1", task="first words", chat=("hello",))
    put(s, workspace, "s2", task="other words")
    s.bridge.add_chat_message_sqlite(workspace, "s2", {
        "id": "late", "role": "user", "content": "mention axolotl",
        "timestamp": "2026-01-14T00:00:00Z"})
    assert s.ids("axolotl") == ["s2"] and s.ids("other") == ["s2"]
    conn = sqlite3.connect(db_path)  # a program without this code: only the triggers run
    conn.execute("UPDATE sessions SET task = 'second words' WHERE id = 's1'")
    conn.commit()
    conn.close()
    s.bridge.add_chat_message_sqlite(workspace, "s1", {
        "id": "late", "role": "user", "content": "mention capybara",
        "timestamp": "2026-01-14T00:00:00Z"})
    assert s.ids("capybara") == ["s1"] and s.ids("second") == ["s1"] and s.ids("first") == []
    assert s.bridge.build_search_index(100) == {"indexed": 0, "pending": 0}
    assert s.verify() == []


def test_an_update_that_changes_no_text(s: Searcher, workspace: str) -> None:
    stored = put(s, workspace, "s1", task="steady heron", output="out \x1b[1mtext\x1b[0m",
                 chat=("words",))
    stored["status"] = "failed"
    s.bridge.update_session_sqlite(workspace, stored)
    assert s.ids("heron", {"status": "failed"}) == ["s1"]
    stored["instances"][0]["output"] += " more"
    s.bridge.update_session_sqlite(workspace, stored)
    assert s.ids("text more") == ["s1"]
    assert s.verify() == []


def test_verify_finds_a_broken_index(s: Searcher, workspace: str) -> None:
    put(s, workspace, "s1", task="intact")
    put(s, workspace, "s2", task="intact too")
    assert s.ids("intact") and s.verify() == []
    conn = sqlite3.connect(s.db_path)
    # the stored copy no longer says what the index holds: FTS5's own check sees it
    conn.execute("UPDATE search_fts_content SET c0 = 'altered'")
    conn.commit()
    assert any("search index" in p for p in s.verify())
    conn.execute("DELETE FROM search_docs WHERE session_id = 's1'")
    conn.commit()
    conn.close()
    assert any("sessions are not indexed" in p for p in s.verify())
    assert s.bridge.verify_database_integrity() is False
    s.bridge.optimize_database()  # rebuilds what is out of step
    assert s.ids("intact") == ["s2", "s1"] or sorted(s.ids("intact")) == ["s1", "s2"]
    assert s.verify() == [] and s.bridge.verify_database_integrity() is True


def test_copy_is_not_shared(s: Searcher, workspace: str) -> None:
    stored = put(s, workspace, "s1", task="first")
    clone = copy.deepcopy(stored)
    clone["id"] = "s2"
    s.bridge.create_session_sqlite(workspace, clone)
    assert sorted(s.ids("first")) == ["s1", "s2"]


def test_imported_and_replaced_sessions_are_found(s: Searcher, workspace: str,
                                                  tmp_path: Path) -> None:
    folder = tmp_path / "legacy"
    first = make_session("imp1", task="imported armadillo")
    write_shell_file(folder, workspace, [first])
    assert run_import(s.bridge, folder, noBackup=True)["state"] == "done"
    assert s.ids("armadillo") == ["imp1"]
    write_shell_file(folder, workspace, [dict(first, task="imported pangolin")])
    assert run_import(s.bridge, folder, noBackup=True, overwrite=True)["state"] == "done"
    assert s.ids("armadillo") == [] and s.ids("pangolin") == ["imp1"]
    assert s.verify() == []


def test_dual_storage_writes_are_found(s: Searcher, workspace: str) -> None:
    s.bridge.set_storage_mode("dual")
    s.bridge.create_session(workspace, make_session("d1", task="dual mongoose"))
    assert s.ids("mongoose") == ["d1"]
    s.bridge.delete_session(workspace, "d1")
    assert s.ids("mongoose") == []


def test_command_line_search(s: Searcher, workspace: str, db_path: str) -> None:
    put(s, workspace, "s1", task="cli walrus", output="\x1b[31mwalrus\x1b[0m bell\x07 here")
    s.bridge.close()
    found = cli(db_path, "search", "walrus", "--json")
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert [h["sessionId"] for h in result["items"]] == ["s1"]
    shown = cli(db_path, "search", "walrus", "--workspace", workspace, "--type", "competition")
    assert shown.returncode == 0 and "cli walrus" in shown.stdout
    assert "output #0: walrus bell? here" in shown.stdout  # no escape reaches the terminal
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    missing = cli(db_path, "search", "nothing-like-it")
    assert missing.returncode == 1 and "no session matches" in missing.stdout
    bad = cli(db_path, "search", "x", "--limit", "0")
    assert bad.returncode == 1 and "VALIDATION" in bad.stderr


def test_command_line_builds_the_index_with_progress(s: Searcher, workspace: str,
                                                     db_path: str) -> None:
    for k in range(3):
        put(s, workspace, f"s{k}", task=f"history {k}")
    s.bridge.close()
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM search_fts")
    conn.execute("DELETE FROM search_docs")
    conn.execute("UPDATE derived_position SET seq = 0")  # nothing derived yet
    conn.commit()
    conn.close()
    done = cli(db_path, "migrate", "run")
    assert done.returncode == 0, done.stderr
    assert "indexing the history for search: 3/3 sessions" in done.stderr
    assert len(json.loads(cli(db_path, "search", "history", "--json").stdout)["items"]) == 3


def _utf16(text: str, a: int, b: int) -> str:
    """``text.slice(a, b)`` as JavaScript reads it (UTF-16 code units)."""
    return text.encode("utf-16-le")[2 * a:2 * b].decode("utf-16-le")


def test_highlights_count_utf16_code_units(s: Searcher, workspace: str) -> None:
    """Issue 18, defect 7: after an emoji the page's ``slice`` must land on the word."""
    put(s, workspace, "s1", task="🎉🎉 ship the zanzibar 🚀 release",
        output="done 😀 then quokka 😀 quokka", chat=("\U0001d49c note: ocelot",))
    for word, field in (("zanzibar", "task"), ("quokka", "output"), ("ocelot", "chat")):
        [hit] = s.search(word)["items"]
        [match] = [m for m in hit["matches"] if m["field"] == field]
        assert match["highlights"]
        assert [_utf16(match["text"], a, b).lower() for a, b in match["highlights"]] \
            == [word] * len(match["highlights"])


def test_accent_folded_hits_have_an_excerpt(s: Searcher, workspace: str) -> None:
    """Issue 18, defect 14: "cafe" finds "café" (the index folds accents), and the
    hit shows where; "café" finds "cafe" too."""
    put(s, workspace, "s1", task="Open the Café Noël", output="naïve résumé parser")
    put(s, workspace, "s2", task="plain cafe", output="naive resume")
    for query, field, want in (("cafe", "task", {"s1": "Café", "s2": "cafe"}),
                               ("café", "task", {"s1": "Café", "s2": "cafe"}),
                               ("resume", "output", {"s1": "résumé", "s2": "resume"}),
                               ("noel", "task", {"s1": "Noël"})):
        hits = s.search(query)["items"]
        assert {h["sessionId"] for h in hits} == set(want), query
        for hit in hits:
            assert marked(hit, field) == [want[hit["sessionId"]]], (query, hit)


@pytest.mark.parametrize("query", ["\x00", "foo\x00bar", '"a\x00b"', "-x\x00y zanzibar",
                                   "zanzibar\x00", "\x00zanzibar*"])
def test_nul_in_a_query_is_plain_text(s: Searcher, workspace: str, query: str) -> None:
    """Issue 18, defect 16: a NUL was 'DATABASE unterminated string'."""
    put(s, workspace, "s1", task="zanzibar foo bar")
    result = s.search(query)
    assert isinstance(result["items"], list)
    if "zanzibar" in query and not query.startswith("-"):
        assert [h["sessionId"] for h in result["items"]] == ["s1"]


def test_a_hit_carries_at_most_five_matches_in_field_order(s: Searcher, workspace: str) -> None:
    """Task first, then chat, branch, agent name, outputs; ``moreMatches`` counts
    the matching fields left out, and is absent when none is."""
    session = make_session("s1", instances=3, messages=0, task="fix zebra bug")
    for k, inst in enumerate(session["instances"]):
        inst.update(output=f"zebra output {k}", branch=f"feature/zebra-{k}",
                    agentName=f"zebra-agent-{k}" if k < 2 else "plain")
    session["chatHistory"] = [
        {"id": f"m{k}", "role": "user", "content": f"the zebra {k}",
         "timestamp": f"2026-01-13T10:{k:02d}:00Z"} for k in range(2)]
    s.bridge.create_session_sqlite(workspace, session)
    [hit] = s.search("zebra")["items"]
    assert [(m["field"], m.get("messageId", m.get("instanceId"))) for m in hit["matches"]] == [
        ("task", None), ("chat", "m0"), ("chat", "m1"), ("branch", 0), ("branch", 1)]
    # left out: branch 2, agentName 0 and 1, outputs 0, 1 and 2
    assert hit["moreMatches"] == 6
    put(s, workspace, "s2", task="lonely quagga")
    [hit] = s.search("quagga")["items"]
    assert "moreMatches" not in hit and [m["field"] for m in hit["matches"]] == ["task"]


def test_outputs_come_last_and_are_counted(s: Searcher, workspace: str) -> None:
    """With few short fields matching, outputs fill the hit in instance order."""
    session = make_session("s1", instances=7, messages=0, task="nothing here")
    for k, inst in enumerate(session["instances"]):
        inst.update(output=("x" * 50_000 + f" yak {k}") if k != 3 else "no", agentName="a")
    s.bridge.create_session_sqlite(workspace, session)
    [hit] = s.search("yak")["items"]
    assert [(m["field"], m["instanceId"]) for m in hit["matches"]] == [
        ("output", 0), ("output", 1), ("output", 2), ("output", 4), ("output", 5)]
    assert hit["moreMatches"] == 1
    assert marked(hit, "output") == ["yak"] * 5


def test_identical_excerpts_are_one_match_with_a_count(s: Searcher, workspace: str) -> None:
    """A debate repeats its instruction in every round: one match says how many
    messages hold it, and the other places go to different texts."""
    rounds = ["Round {k}: argue for the okapi design, then answer the other side"] * 6
    put(s, workspace, "d1", task="choose a design", type="debate",
        chat=(*[r.format(k=1) for r in rounds], "the okapi wins on latency",
              "I disagree about the okapi"),
        agent="okapi-agent", output="okapi")
    [hit] = s.search("okapi")["items"]
    fields = [(m["field"], m.get("messageId", m.get("instanceId")), m.get("count"))
              for m in hit["matches"]]
    assert fields == [("chat", "m0", 6), ("chat", "m6", None), ("chat", "m7", None),
                      ("agentName", 0, None), ("output", 0, None)]
    assert len({(m["field"], m["text"]) for m in hit["matches"]}) == 5
    assert "moreMatches" not in hit
    # past the five, a repeat of a shown text still counts there, not in moreMatches
    put(s, workspace, "d2", task="tapir", chat=("tapir one", "tapir two", "tapir three",
                                                "tapir four", "tapir one", "tapir five"))
    [hit] = s.search("tapir")["items"]
    assert [m.get("count") for m in hit["matches"]] == [None, 2, None, None, None]
    assert hit["moreMatches"] == 1  # "tapir five"


def test_accented_forms_are_found_wherever_they_sit_in_long_output() -> None:
    """The fast path's accent check looks only around accented letters: it agrees
    with the exact path on fields with a few or many accents, far from the start."""
    import random

    from ait42_session.derived import search_excerpt

    rng = random.Random(16)
    words = ["plain", "ascii", "build", "error", "データ", "ошибка", "über", "naïve",
             "résumé", "café", "cafe", "resume", "Ärger", "piñata"]
    for query in ("cafe", "resume", "uber", "naive", "pinata", "arger", "ошибка"):
        terms = search_text.parse_query(query).terms()
        for _ in range(60):
            count = rng.choice((5, 300, 3000))
            text = " ".join(rng.choice(words[:6] if rng.random() < 0.5 else words)
                            for _ in range(count))
            fast = search_excerpt.field_excerpt(text.encode(), search_excerpt.Finder(terms))
            exact = search_marks.field_excerpt(text, terms)
            assert (fast is None) == (exact is None), (query, count)
