"""The session shape of the contract, validated with pydantic.

Models validate what callers send; reads are built straight from rows (see
``repository``), because what the database holds was validated on the way in.
Unknown fields are kept (``extra="allow"``) and stored as JSON, so nothing a
caller stored is dropped; their values may nest at most ``MAX_NESTING`` levels
of arrays and objects, in every storage mode alike.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from ait42_session.shape.errors import ValidationError
from ait42_session.shape.timestamps import timestamp_key

SessionType = Literal["competition", "ensemble", "debate"]
_SessionStatus = Literal["running", "completed", "failed", "paused"]
_InstanceStatus = Literal["idle", "running", "completed", "failed", "paused", "archived"]
MessageRole = Literal["user", "assistant", "system"]

SESSION_TYPES: tuple[str, ...] = SessionType.__args__  # type: ignore[attr-defined]
SESSION_STATUSES: tuple[str, ...] = _SessionStatus.__args__  # type: ignore[attr-defined]
INSTANCE_STATUSES: tuple[str, ...] = _InstanceStatus.__args__  # type: ignore[attr-defined]

# Not blank: holds a character that ``str.strip`` keeps. Checked by pydantic's
# own regex (no Python call per field: an import checks 300,000 of them). Rust's
# ``\s`` is Unicode White_Space; Python's ``isspace`` also counts \x1c-\x1f.
_NOT_BLANK = r"[^\s\x1c-\x1f]"
NonEmpty = Annotated[str, StringConstraints(min_length=1, pattern=_NOT_BLANK)]


def _check_timestamp(value: str) -> str:
    timestamp_key(value)  # parses it; the import's sort keys then come from the cache
    return value


Timestamp = Annotated[str, AfterValidator(_check_timestamp)]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# SQLite stores 64-bit integers; a larger one must be refused here, not fail mid-insert.
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]


# How deep an unknown field's value may nest (arrays and objects). Checked here,
# once for every storage mode: the JSON store's serializer (pydantic) gives up
# near 255 levels and the SQLite store's (json) near 1,000, each with its own
# error, so without one limit in front the modes disagreed on the same session.
MAX_NESTING = 64


def _nests_deeper_than(value: object, limit: int) -> bool:
    """Whether ``value`` holds more than ``limit`` levels of lists/dicts.

    A loop with its own stack, not recursion: the value may be thousands of
    levels deep, which is what is being refused.
    """
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class Shape(BaseModel):
    """Base of the stored shapes: camelCase aliases, strict types, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,  # `agent_name` is an unknown field, kept as sent
        serialize_by_alias=True,
        extra="allow",
        strict=True,
        frozen=True,
    )

    @pydantic.model_validator(mode="after")
    def _unknown_fields_nest_within_the_limit(self) -> Shape:
        for name, value in (self.model_extra or {}).items():
            if _nests_deeper_than(value, MAX_NESTING):
                raise ValueError(f"unknown field {name!r} nests deeper than {MAX_NESTING}"
                                 " levels of arrays and objects")
        return self


class ChatMessage(Shape):
    id: NonEmpty
    role: MessageRole
    content: NonEmpty
    timestamp: Timestamp
    instance_id: Int64 | None = None


# What the shell's own Rust side writes straight into the legacy files (its
# debate runner; status is a plain String there). The contract keeps such values
# as written, in every storage mode and through every command: one rule, here.
# (The database only checks that a status is a short word: migration 11.)
SHELL_SESSION_STATUS = re.compile(r"started|round_[0-9]{1,9}")
SHELL_INSTANCE_STATUSES = ("starting", "timeout", "error")


def is_session_status(value: object) -> bool:
    return isinstance(value, str) and (
        value in SESSION_STATUSES or SHELL_SESSION_STATUS.fullmatch(value) is not None)


def is_instance_status(value: object) -> bool:
    return isinstance(value, str) and (
        value in INSTANCE_STATUSES or value in SHELL_INSTANCE_STATUSES)


def _session_status(value: str) -> str:
    if is_session_status(value):
        return value
    raise ValueError("Input should be " + ", ".join(map(repr, SESSION_STATUSES))
                     + ", 'started' or 'round_<n>'")


def _instance_status(value: str) -> str:
    if is_instance_status(value):
        return value
    raise ValueError("Input should be "
                     + ", ".join(map(repr, INSTANCE_STATUSES + SHELL_INSTANCE_STATUSES)))


SessionStatus = Annotated[str, AfterValidator(_session_status)]
InstanceStatus = Annotated[str, AfterValidator(_instance_status)]


class Instance(Shape):
    instance_id: Int64
    worktree_path: str
    branch: str
    agent_name: str
    status: InstanceStatus
    tmux_session_id: str
    output: str | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    files_changed: Int64 | None = None
    lines_added: Int64 | None = None
    lines_deleted: Int64 | None = None
    runtime: str | None = None
    model: str | None = None
    runtime_label: str | None = None


class Session(Shape):
    id: NonEmpty
    type_: SessionType = Field(alias="type")
    task: NonEmpty
    status: SessionStatus
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp | None = None
    model: str | None = None
    timeout_seconds: Int64 | None = None
    preserve_worktrees: bool | None = None
    winner_id: Int64 | None = None
    runtime_mix: list[str] | None = None
    total_duration: Int64 | None = None
    total_files_changed: Int64 | None = None
    total_lines_added: Int64 | None = None
    total_lines_deleted: Int64 | None = None
    instances: list[Instance] = Field(default_factory=list)
    chat_history: list[ChatMessage] = Field(default_factory=list)

    @pydantic.model_validator(mode="after")
    def _unique_instance_ids(self) -> Session:
        seen: set[int] = set()
        for inst in self.instances:
            if inst.instance_id in seen:
                raise ValueError(f"instanceId {inst.instance_id} appears twice in instances")
            seen.add(inst.instance_id)
        seen_msgs: set[str] = set()
        for msg in self.chat_history:
            if msg.id in seen_msgs:
                raise ValueError(f"message id {msg.id!r} appears twice in chatHistory")
            seen_msgs.add(msg.id)
        return self

    @pydantic.model_validator(mode="after")
    def _archived_at(self) -> Session:
        """``archivedAt`` stays a field of the JSON (kept with the unknown ones), but the
        board and search read it as a column: null or an RFC 3339 date-time only."""
        value = (self.__pydantic_extra__ or {}).get("archivedAt")
        if value is not None:
            if not isinstance(value, str):
                raise ValueError(f"archivedAt must be an RFC 3339 date-time or null, "
                                 f"got {type(value).__name__}")
            try:
                timestamp_key(value)
            except ValueError as exc:
                raise ValueError(f"archivedAt: {exc}") from None
        return self


def _describe(err: Any) -> str:
    where = ".".join(
        f"[{p}]" if isinstance(p, int) else str(p) for p in err.get("loc", ())
    ).replace(".[", "[")
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if err.get("type") in ("string_pattern_mismatch", "string_too_short"):
        msg = "must not be blank"
    if err.get("type") == "missing":
        return f"{where}: required field is missing"
    got = err.get("input")
    shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{where}: {msg} (got {shown})" if where else msg


def validate(model: type[Shape], value: object, what: str) -> Any:
    """Validate ``value`` as ``model``; raise our ValidationError naming each bad field."""
    if not isinstance(value, dict):
        raise ValidationError(f"{what} must be a JSON object, got {type(value).__name__}")
    try:
        return model.model_validate(value)
    except pydantic.ValidationError as exc:
        problems = [_describe(e) for e in exc.errors(include_url=False)]
        head = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ValidationError(f"invalid {what}: {head}{more}") from None


def dump(model: Shape) -> dict[str, Any]:
    """JSON-ready camelCase dict; unset optional fields are left out."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)
