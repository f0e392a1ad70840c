"""The legacy workspace hash: files named by it must map to the same workspace."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.shape.errors import ValidationError
from ait42_session.shape.workspace import canonical_path, legacy_hash, resolve

from .conftest import make_session


@pytest.mark.parametrize(("path", "expected"), [
    # sha256(b"/home/user/projects/ait42").hexdigest()[:16], computed by hand once
    ("/home/user/projects/ait42", "b7ef7a8537aa72ee"),
    ("/home/user/projects/ait42/", "b7ef7a8537aa72ee"),
    ("/home/user/projects/ait42///", "b7ef7a8537aa72ee"),
    ("/a/b", "662b7b62a798bb2d"),
])
def test_hash_vector_for_paths_that_do_not_exist(path: str, expected: str) -> None:
    assert legacy_hash(path) == expected


def test_symlink_and_target_are_one_workspace(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    assert canonical_path(str(link)) == os.path.realpath(target)
    assert legacy_hash(str(link)) == legacy_hash(str(target)) == legacy_hash(f"{target}/")


@pytest.mark.parametrize("bad", ["", "   ", None, 42, ["/a"], "/a\x00b"])
def test_bad_workspace_paths_are_validation_errors(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        resolve(bad)
    assert err.value.code == "VALIDATION"
    assert "workspace_path" in str(err.value)


def test_a_relinked_symlink_is_resolved_again(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    link = tmp_path / "current"
    link.symlink_to(first)
    assert canonical_path(str(link)) == os.path.realpath(first)
    link.unlink()
    link.symlink_to(second)
    assert canonical_path(str(link)) == os.path.realpath(second)
    link.unlink()
    assert canonical_path(str(link) + "/") == str(link)  # gone: only slashes dropped


def test_a_moved_folder_replaced_by_a_symlink_is_its_target_workspace(tmp_path: Path) -> None:
    """Issue 9, defect 1: after ``mv proj proj-moved; ln -s proj-moved proj`` a
    session created through ``proj`` belongs to the target's workspace (the
    target keeps the inode the old ``proj`` had, so nothing keyed by it may
    remember the old path), also across reopening the store."""
    proj, moved = tmp_path / "proj", tmp_path / "proj-moved"
    proj.mkdir()
    db_path = str(tmp_path / "sessions.db")
    with Bridge.open(db_path) as bridge:
        bridge.create_session_sqlite(str(proj), make_session("before"))
    proj.rename(moved)
    proj.symlink_to(moved)
    with Bridge.open(db_path) as bridge:
        bridge.create_session_sqlite(str(proj), make_session("after"))
        moved_hash = hashlib.sha256(os.path.realpath(moved).encode("utf-8")).hexdigest()[:16]
        old_hash = hashlib.sha256(os.path.realpath(tmp_path).encode("utf-8")
                                  + b"/proj").hexdigest()[:16]
        by_hash = {w["workspaceHash"]: w for w in bridge.list_workspaces()}
        assert by_hash[moved_hash]["path"] == os.path.realpath(moved)
        assert by_hash[moved_hash]["sessionCount"] == 1
        assert by_hash[old_hash]["sessionCount"] == 1
        assert [s["id"] for s in bridge.get_all_sessions_sqlite(str(proj))] == ["after"]
        assert [s["id"] for s in bridge.get_all_sessions_sqlite(str(moved))] == ["after"]
