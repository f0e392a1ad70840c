"""Workspace identity: the legacy hash that names `{hash}.json` files.

The shell hashes the canonical path, so the database must hash exactly the
same way or imported files would land under a different workspace.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

from ait42_session.shape.errors import ValidationError

# The name a legacy hash has: 16 lowercase hex digits (see ``legacy_hash``).
HASH_NAME = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True, slots=True)
class Workspace:
    """A workspace as the store keys it: canonical path and its legacy hash."""

    path: str
    hash: str


def canonical_path(path: str) -> str:
    """Resolve symlinks when the path exists, else only drop trailing slashes."""
    return identify(path).path


def identify(path: str) -> Workspace:
    """The workspace a path names now (canonical path and legacy hash, resolved
    together).

    Derived afresh on every call, never cached: a folder can be moved and a
    symlink put in its place between two commands, and a cache keyed by the
    path (or by device and inode) would then hand back the old hash. One
    ``realpath`` and one SHA-256 cost about 20 µs, well under a command's
    round trip.
    """
    if not os.path.exists(path):
        return _workspace(path.rstrip("/") or "/")
    return _workspace(os.path.realpath(path))


def _workspace(canonical: str) -> Workspace:
    return Workspace(path=canonical,
                     hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16])


def legacy_hash(path: str) -> str:
    """First 16 hex characters of SHA-256 over the canonical path's UTF-8 bytes."""
    return identify(path).hash


def resolve(path: object) -> Workspace:
    """Validate a workspace path argument and return its identity."""
    if not isinstance(path, str):
        raise ValidationError(
            f"workspace_path must be a string, got {type(path).__name__}"
        )
    if not path.strip():
        raise ValidationError("workspace_path is blank: pass the workspace folder's path")
    if "\x00" in path:
        raise ValidationError("workspace_path contains a NUL character")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("workspace_path is not valid Unicode (a lone surrogate)") from None
    return identify(path)
