"""Workspace identity: the legacy hash that names `{hash}.json` files.

The shell hashes the canonical path, so the database must hash exactly the
same way or imported files would land under a different workspace.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from .errors import ValidationError


@dataclass(frozen=True, slots=True)
class Workspace:
    """A workspace as the store keys it: canonical path and its legacy hash."""

    path: str
    hash: str


def canonical_path(path: str) -> str:
    """Resolve symlinks when the path exists, else only drop trailing slashes."""
    if os.path.exists(path):
        return os.path.realpath(path)
    stripped = path.rstrip("/")
    return stripped or "/"


def legacy_hash(path: str) -> str:
    """First 16 hex characters of SHA-256 over the canonical path's UTF-8 bytes."""
    return hashlib.sha256(canonical_path(path).encode("utf-8")).hexdigest()[:16]


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
    canon = canonical_path(path)
    return Workspace(path=canon, hash=hashlib.sha256(canon.encode("utf-8")).hexdigest()[:16])
