"""Export and import: the JSON bundle is lossless (hostile values included), the import
merges by id and reports what it could not take, the HTML page holds no markup from
stored text, and each refusal writes nothing."""

from __future__ import annotations

import itertools
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ait42_session.faces.cli import main
from ait42_session.faces.service import Service
from ait42_session.shape.errors import JsonError, NotFoundError, ValidationError

from .conftest import make_session
from .test_properties import same_json, valid_sessions

_run = itertools.count()
GONE = "/nonexistent/ait42/somewhere-else"  # a workspace folder that does not exist here


@settings(deadline=None, max_examples=25,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sessions=st.lists(valid_sessions(), min_size=1, max_size=6,
                         unique_by=lambda s: s["id"]),
       archived=st.lists(st.booleans(), min_size=6, max_size=6))
def test_the_bundle_round_trips_into_an_empty_database(
        tmp_path: Path, workspace: str, sessions: list[dict[str, Any]],
        archived: list[bool]) -> None:
    k = next(_run)
    with Service.open(str(tmp_path / f"src{k}.db")) as src:
        for n, s in enumerate(sessions):
            ws = workspace if n % 2 else GONE
            src.create_session_sqlite(ws, s)
            if archived[n]:
                src.archive_session(ws, s["id"], True)
        expected = {ws: src.get_all_sessions_sqlite(ws) for ws in (workspace, GONE)}
        hashes = {w["path"]: w["workspaceHash"] for w in src.list_workspaces()}
        out = src.export_sessions({"includeArchived": True}, "json",
                                  str(tmp_path / f"b{k}.json"))
        assert out["sessions"] == len(sessions)
    with Service.open(str(tmp_path / f"dst{k}.db")) as dst:
        report = dst.import_bundle(out["path"], None)
        assert (report["read"], report["written"], report["problems"]) == \
            (len(sessions), len(sessions), [])
        for ws, stored in expected.items():
            assert same_json(dst.get_all_sessions_sqlite(ws), stored)
        assert {w["path"]: w["workspaceHash"] for w in dst.list_workspaces()} == hashes
        again = dst.import_bundle(out["path"], {"overwrite": True})
        assert (again["written"], again["unchanged"]) == (0, len(sessions))


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
           "</pre><script>alert(2)</script>", "\"'><svg onload=alert(3)>",
           "<!-- comment --><style>*{}</style>", "javascript:alert(4)", "&lt;b&gt; ```")


def test_html_export_holds_no_markup_from_stored_text(db_path: str, workspace: str,
                                                      tmp_path: Path) -> None:
    s = make_session("x<script>", task=HOSTILE[0], model=HOSTILE[1], extraField=HOSTILE[2])
    s["instances"][0].update(output="\n".join(HOSTILE), agentName=HOSTILE[3],
                             branch=HOSTILE[4])
    s["chatHistory"][0]["content"] = HOSTILE[5] + HOSTILE[6]
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace + "/<b>", s)
        out = svc.export_sessions(None, "html", str(tmp_path / "page.html"))
    page = Path(out["path"]).read_text(encoding="utf-8")
    parser = _Markup()
    parser.feed(page)
    allowed = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3",
               "p", "section", "dl", "dt", "dd", "pre", "div", "span", "time"}
    assert {tag for tag, _ in parser.tags} <= allowed
    for _tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on") and "alert" not in (value or "")
    assert "<script" not in page.lower()
    shown = "".join(parser.text)
    for hostile in HOSTILE:  # every stored string is there, as text
        assert hostile.replace("\n", "") in shown.replace("\n", "") or hostile in shown
    assert "default-src 'none'" in page


def test_markdown_fences_hold_whatever_the_output_holds(db_path: str, workspace: str,
                                                        tmp_path: Path) -> None:
    s = make_session("s1", task="# not a heading\nsecond line")
    s["instances"][0]["output"] = "before\n````\n# escaped?\n```\nafter"
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, s)
        out = svc.export_sessions({"sessionIds": ["s1"]}, "markdown", str(tmp_path / "t.md"))
    text = Path(out["path"]).read_text(encoding="utf-8")
    assert "`````text\nbefore\n````\n# escaped?\n```\nafter\n`````" in text
    assert "## \\# not a heading second line" in text
    assert "### Chat" in text and "message 1" in text


def test_selection_and_refusals(db_path: str, workspace: str, tmp_path: Path) -> None:
    with Service.open(db_path) as svc:
        for sid in ("a", "b", "c"):
            svc.create_session_sqlite(workspace, make_session(sid))
        svc.create_session_sqlite(GONE, make_session("d"))
        svc.archive_session(workspace, "c", True)
        svc.delete_session_sqlite(workspace, "b")

        def exported(selection: Any) -> list[str]:
            out = svc.export_sessions(selection, "json", str(tmp_path / "sel.json"))
            bundle = json.loads(Path(out["path"]).read_text(encoding="utf-8"))
            ids = [s["id"] for w in bundle["workspaces"] for s in w["sessions"]]
            assert out["sessions"] == len(ids)
            return sorted(ids)

        assert exported(None) == ["a", "d"]  # live, unarchived
        assert exported({"includeArchived": True}) == ["a", "c", "d"]
        assert exported({"workspacePath": workspace}) == ["a"]
        assert exported({"sessionIds": ["c"]}) == ["c"]  # named: archived or not
        for sel, fmt, path, error in (
                ({"sessionIds": ["a", "b"]}, "json", "x.json", NotFoundError),  # b: trashed
                ({"colour": 1}, "json", "x.json", ValidationError),
                (None, "pdf", "x.json", ValidationError),
                (None, "json", "", ValidationError),
                (None, "json", str(tmp_path), ValidationError)):
            with pytest.raises(error):
                svc.export_sessions(sel, fmt, str(tmp_path / path) if path else path)
        assert not (tmp_path / "x.json").exists()
        assert not list(tmp_path.glob("*.partial"))


def _bundle(path: Path, entries: list[Any], **head: Any) -> str:
    data = {"format": "ait42-session-bundle", "version": 1,
            "exportedAt": "2026-01-13T10:00:00Z", "workspaces": entries} | head
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_import_merges_reports_and_refuses(db_path: str, workspace: str,
                                           tmp_path: Path) -> None:
    good = [make_session("n1"), make_session("n2")]
    bad_session = make_session("bad")
    del bad_session["task"]
    path = _bundle(tmp_path / "b.json", [
        {"path": workspace, "hash": None, "sessions": [good[0], bad_session, "junk"]},
        ["not a workspace"],
        {"path": None, "hash": "0123456789abcdef", "sessions": [good[1]]},
        {"path": "/x", "hash": "NOTHEX", "sessions": [make_session("lost")]},
    ])
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(str(tmp_path / "elsewhere"), make_session("taken"))
        dry = svc.import_bundle(path, {"dryRun": True})
        assert (dry["written"], svc.get_database_stats()["sessionCount"]) == (2, 1)
        assert svc.list_backups() == []  # a dry run writes nothing, backs nothing up
        report = svc.import_bundle(path, None)
        assert (report["read"], report["written"], report["skipped"]) == (5, 2, 3)
        where = {p["at"]: p["reason"] for p in report["problems"]}
        assert "task" in where["workspaces[0].sessions[1]"]
        assert "workspaces[0].sessions[2]" in where and "workspaces[1]" in where
        assert "hash" in where["workspaces[3]"]
        assert [b["reason"] for b in svc.list_backups()] == ["import"]
        hashes = {w["workspaceHash"]: w["path"] for w in svc.list_workspaces()}
        assert hashes["0123456789abcdef"] is None  # known by its hash alone, as in the bundle
        changed = dict(make_session("n1"), task="edited here")
        svc.update_session_sqlite(workspace, changed)
        again = svc.import_bundle(path, None)
        assert (again["written"], again["unchanged"]) == (0, 1)
        assert any("overwrite" in p["reason"] for p in again["problems"])
        assert svc.get_session_sqlite(workspace, "n1")["task"] == "edited here"
        forced = svc.import_bundle(path, {"overwrite": True})
        assert forced["written"] == 1
        assert svc.get_session_sqlite(workspace, "n1")["task"] == "Implement login"
        conflict = svc.import_bundle(_bundle(tmp_path / "c.json", [
            {"path": workspace, "hash": None, "sessions": [make_session("taken")]}]), None)
        assert conflict["skipped"] == 1 and "another workspace" in \
            conflict["problems"][0]["reason"]
        before = svc.get_database_stats()["sessionCount"]
        (tmp_path / "text.json").write_text("{not json")
        with pytest.raises(JsonError):
            svc.import_bundle(str(tmp_path / "text.json"), None)
        heads: list[dict[str, Any]] = [{"format": "other"}, {"version": 2}, {"workspaces": {}}]
        for head in heads:
            with pytest.raises(ValidationError):
                svc.import_bundle(_bundle(tmp_path / "h.json", [], **head), None)
        with pytest.raises(ValidationError):
            svc.import_bundle(path, {"dry_run": True})
        assert svc.get_database_stats()["sessionCount"] == before


def test_command_line_export_and_import(db_path: str, workspace: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with Service.open(db_path) as svc:
        for k in range(3):
            svc.create_session_sqlite(workspace, make_session(f"s{k}"))
    out = str(tmp_path / "all.json")
    assert main(["--db", db_path, "export", "--workspace", workspace, "--format", "json",
                 "-o", out]) == 0
    printed = capsys.readouterr()
    assert "exported 3/3" in printed.err and "wrote 3 session(s)" in printed.out
    assert main(["--db", db_path, "export", "--session", "s0", "s1", "--format", "html",
                 "-o", str(tmp_path / "two.html")]) == 0
    assert "wrote 2 session(s)" in capsys.readouterr().out
    other = str(tmp_path / "other.db")
    assert main(["--db", other, "import-bundle", out, "--dry-run"]) == 0
    assert "dry run: read 3, written 3" in capsys.readouterr().out
    assert main(["--db", other, "import-bundle", out]) == 0
    assert main(["--db", other, "import-bundle", out]) == 0
    assert "written 0, unchanged 3" in capsys.readouterr().out
    assert main(["--db", other, "export", "--session", "nope", "--format", "json",
                 "-o", str(tmp_path / "n.json")]) == 1
    assert "NOT_FOUND" in capsys.readouterr().err


def test_export_never_writes_over_the_database_or_its_backups(db_path: str, workspace: str,
                                                            tmp_path: Path) -> None:
    """Issue 18, defect 1: ``export -o`` onto the database replaced the live database."""
    from ait42_session.shape.errors import SessionError
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("s1"))
        backup = svc.create_backup(None)["path"]
        before = Path(backup).read_bytes()
        for target in (db_path, db_path + "-wal", db_path + "-shm", backup,
                       str(Path(db_path).parent / "backups" / "new.json")):
            with pytest.raises(SessionError, match=r"database|backup") as err:
                svc.export_sessions(None, "json", target)
            assert err.value.code == "VALIDATION"
        assert svc.get_session_sqlite(workspace, "s1")["id"] == "s1"
        assert svc.verify_database_integrity() is True
        assert Path(backup).read_bytes() == before


def test_export_refuses_a_missing_folder_and_replaces_only_when_asked(
        db_path: str, workspace: str, tmp_path: Path) -> None:
    """Issue 17: the page's save dialog names a file; a missing folder is not created,
    and ``{"replace": false}`` refuses an existing file (CONFLICT)."""
    from ait42_session.shape.errors import ConflictError, FileError
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session("s1"))
        missing = tmp_path / "no" / "such"
        with pytest.raises(FileError, match=str(tmp_path / "no")):
            svc.export_sessions(None, "json", str(missing / "out.json"))
        assert not (tmp_path / "no").exists()
        out = tmp_path / "out.md"
        out.write_text("keep me")
        with pytest.raises(ConflictError, match=f"{out} exists"):
            svc.export_sessions(None, "markdown", str(out), {"replace": False})
        assert out.read_text() == "keep me"
        for options in (None, {"replace": True}):
            assert svc.export_sessions(None, "markdown", str(out), options)["sessions"] == 1
        assert "s1" in out.read_text()
        fresh = tmp_path / "fresh.html"
        assert svc.export_sessions(None, "html", str(fresh), {"replace": False})["sessions"] == 1
        with pytest.raises(ValidationError):
            svc.export_sessions(None, "html", str(fresh), {"replace": "no"})
        with pytest.raises(ValidationError):
            svc.export_sessions(None, "html", str(fresh), {"overwrite": True})
        assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_two_exports_to_one_path_at_once_leave_a_valid_file(db_path: str, workspace: str,
                                                           tmp_path: Path) -> None:
    """Issue 18, defect 13: they shared ``<name>.partial``; one reported success for an
    invalid file."""
    from .conftest import run_threads
    with Service.open(db_path) as svc:
        for k in range(60):
            svc.create_session_sqlite(workspace, make_session(f"s{k}", instances=3,
                                                              messages=5))
        out = tmp_path / "both.json"
        results: list[dict[str, Any]] = []
        errors = run_threads(lambda _k: results.append(
            svc.export_sessions(None, "json", str(out))), 4)
        assert errors == []
        bundle = json.loads(out.read_text())
        assert sum(len(w["sessions"]) for w in bundle["workspaces"]) == 60
        assert all(r["sessions"] == 60 for r in results)
        assert [p.name for p in tmp_path.iterdir() if p.name != "both.json"
                and p.name.startswith("both")] == []


ANSI_OUTPUT = ("\x1b[1m\x1b[36m▶ Step 1\x1b[0m reading files\n"
               "\x1b[32m✔ 12 passed\x1b[0m, \x1b[31;1m1 failed\x1b[0m\n"
               "\x1b]0;title\x07\x1b[2K\rprogress 10%\rprogress 100%\n"
               "\x1b[38;5;208morange\x1b[0m \x1b[48;2;10;20;30mtrue\x1b[m \x1b[?25h<b>done</b>")


def test_exports_render_or_strip_ansi_and_never_carry_escape_bytes(
        db_path: str, workspace: str, tmp_path: Path) -> None:
    s = make_session("ansi", task="\x1b[1mbold task\x1b[0m")
    s["instances"][0].update(output=ANSI_OUTPUT, branch="feat/\x1b[31mred")
    s["chatHistory"][0]["content"] = "\x1b[33mwarning\x1b[0m: look"
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, s)
        page = Path(svc.export_sessions(None, "html", str(tmp_path / "a.html"))["path"])
        md = Path(svc.export_sessions(None, "markdown", str(tmp_path / "a.md"))["path"])
    html_text, md_text = page.read_text(encoding="utf-8"), md.read_text(encoding="utf-8")
    for text in (html_text, md_text):
        assert "\x1b" not in text and "\x9b" not in text and "\u241b" not in text
        assert "[0m" not in text and "[36m" not in text
    parser = _Markup()
    parser.feed(html_text)
    spans = [dict(attrs) for tag, attrs in parser.tags if tag == "span"]
    classes = " ".join(a.get("class") or "" for a in spans)
    assert "ansi-fg-cyan" in classes and "ansi-bold" in classes
    assert "ansi-fg-green" in classes and "ansi-fg-red" in classes
    assert "ansi-fg-yellow" in classes  # the chat message's colour too
    styles = [a["style"] for a in spans if a.get("style")]
    # 256-colour orange, darkened to read on white; dark RGB background, light text
    assert "color:rgb(204, 108, 0)" in styles
    assert "background-color:rgb(10, 20, 30);color:#f0f0f0" in styles
    assert "<script" not in html_text.lower() and "&lt;b&gt;done&lt;/b&gt;" in html_text
    assert "progress 100%" in html_text and "progress 10%\n" not in html_text
    shown = "".join(parser.text)
    assert "▶ Step 1 reading files" in shown and "bold task" in shown
    # Markdown: what a person read on the terminal, no codes
    assert ("▶ Step 1 reading files\n✔ 12 passed, 1 failed\nprogress 100%\n"
            "orange true <b>done</b>") in md_text
    assert "warning: look" in md_text and "bold task" in md_text and "feat/red" in md_text
