"""Issue 18, defects 10, 12 and 19: import_bundle keeps a known workspace's path,
counts a duplicate id in a dry run as the real run does, and refuses a deeply
nested bundle with the contract's JSON error and the one nesting limit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.shape.errors import SessionError
from ait42_session.shape.models import MAX_NESTING
from ait42_session.shape.workspace import legacy_hash

from .conftest import make_session


def _bundle(path: Path, workspaces: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps({"format": "ait42-session-bundle", "version": 1,
                                "exportedAt": "2026-01-13T10:00:00Z",
                                "workspaces": workspaces}))
    return str(path)


def test_import_never_changes_a_known_workspaces_path(
        bridge: Bridge, db_path: str, workspace: str, tmp_path: Path) -> None:
    bridge.create_session_sqlite(workspace, make_session("mine"))
    ws_hash = legacy_hash(workspace)
    bundle = _bundle(tmp_path / "b.json", [{"path": "/elsewhere/other", "hash": ws_hash,
                                            "sessions": [make_session("theirs")]}])
    assert bridge.import_bundle(bundle, None)["written"] == 1
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT path FROM workspaces WHERE hash = ?",
                            (ws_hash,)).fetchone()[0] == workspace
    assert {s["id"] for s in bridge.get_all_sessions_sqlite(workspace)} == {"mine", "theirs"}


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_dry_run_counts_a_duplicate_id_as_the_real_run_does(
        bridge: Bridge, workspace: str, tmp_path: Path, overwrite: bool) -> None:
    same = make_session("dup")
    other = make_session("dup", task="another task")
    bundle = _bundle(tmp_path / "b.json", [
        {"path": workspace, "sessions": [same, same, other]},
        {"path": str(tmp_path / "elsewhere"), "sessions": [same]}])
    options = {"overwrite": overwrite}
    dry = bridge.import_bundle(bundle, dict(options, dryRun=True))
    real = bridge.import_bundle(bundle, options)
    keys = ("read", "written", "unchanged", "skipped")
    assert {k: dry[k] for k in keys} == {k: real[k] for k in keys}
    assert [p["reason"] for p in dry["problems"]] == [p["reason"] for p in real["problems"]]
    assert dry["written"] == (2 if overwrite else 1)


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 5_000, 200_000])
def test_a_deeply_nested_bundle_is_a_json_or_validation_error(
        bridge: Bridge, workspace: str, tmp_path: Path, depth: int) -> None:
    session = json.dumps(make_session("deep"))[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    path = tmp_path / "deep.json"
    path.write_text('{"format": "ait42-session-bundle", "version": 1, "exportedAt": '
                    f'"2026-01-13T10:00:00Z", "workspaces": [{{"path": {json.dumps(workspace)},'
                    f' "sessions": [{session}]}}]}}')
    for dry_run in (True, False):
        try:
            report = bridge.import_bundle(str(path), {"dryRun": dry_run})
        except SessionError as exc:
            assert exc.code == "JSON", exc
            assert str(MAX_NESTING) in str(exc)
        else:
            assert report["skipped"] == 1 and report["written"] == 0
            assert str(MAX_NESTING) in report["problems"][0]["reason"]
