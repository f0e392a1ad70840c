"""The legacy workspace hash: files named by it must map to the same workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ait42_session.errors import ValidationError
from ait42_session.workspace import canonical_path, legacy_hash, resolve


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
