"""Validation of command arguments: the JSON values the page sends, parsed.

Each parser takes a command's raw arguments and returns them validated (or
raises ``ValidationError`` naming the argument), so the commands themselves are
one line of parsing and one line of work. The ``_sqlite`` commands and their
JSON-era twins share these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import models, workspace
from .errors import ValidationError
from .workspace import Workspace

SORTS = ("updated", "created", "duration", "filesChanged")
MAX_PAGE = 500


def text(value: object, name: str) -> str:
    """A non-empty string argument."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string, got {value!r}")
    return value


def session(workspace_path: object, value: object) -> tuple[Workspace, models.Session]:
    return workspace.resolve(workspace_path), models.validate(models.Session, value, "session")


def lookup(workspace_path: object, session_id: object) -> tuple[Workspace, str]:
    return workspace.resolve(workspace_path), text(session_id, "session_id")


def message(workspace_path: object, session_id: object,
            value: object) -> tuple[Workspace, str, models.ChatMessage]:
    ws, sid = lookup(workspace_path, session_id)
    return ws, sid, models.validate(models.ChatMessage, value, "message")


def instance_status(workspace_path: object, session_id: object, instance_id: object,
                    new_status: object) -> tuple[Workspace, str, int, str]:
    ws, sid = lookup(workspace_path, session_id)
    if not isinstance(instance_id, int) or isinstance(instance_id, bool) or not (
            models.INT64_MIN <= instance_id <= models.INT64_MAX):
        raise ValidationError(f"instance_id must be a 64-bit integer, got {instance_id!r}")
    if new_status not in models.INSTANCE_STATUSES:
        raise ValidationError(
            f"new_status must be one of {', '.join(models.INSTANCE_STATUSES)}, "
            f"got {new_status!r}"
        )
    return ws, sid, instance_id, str(new_status)


def listing(workspace_path: object) -> Workspace | None:
    """The workspace of a whole-list command; None for a blank path (an empty list)."""
    if isinstance(workspace_path, str) and not workspace_path.strip():
        return None
    return workspace.resolve(workspace_path)


@dataclass(frozen=True, slots=True)
class BoardQuery:
    """What ``list_session_summaries`` filters, sorts and pages by."""

    status: str | None
    type_: str | None
    text: str | None
    sort: str
    limit: int
    cursor: str | None


def _choice(query: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = query.get(key)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise ValidationError(f"query.{key} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def board_query(workspace_path: object, query: object) -> tuple[Workspace, BoardQuery]:
    ws = workspace.resolve(workspace_path)
    q: Any = {} if query is None else query
    if not isinstance(q, dict):
        raise ValidationError(f"query must be an object, got {type(q).__name__}")
    search = q.get("text")
    if search is not None and not isinstance(search, str):
        raise ValidationError(f"query.text must be a string, got {search!r}")
    limit = q.get("limit", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_PAGE:
        raise ValidationError(f"query.limit must be an integer 1..{MAX_PAGE}, got {limit!r}")
    cursor = q.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ValidationError("query.cursor must be a string from nextCursor")
    return ws, BoardQuery(
        status=_choice(q, "status", models.SESSION_STATUSES),
        type_=_choice(q, "type", models.SESSION_TYPES),
        text=search or None,
        sort=_choice(q, "sort", SORTS) or "updated",
        limit=limit,
        cursor=cursor,
    )
