"""The types of the commands' arguments, as pydantic validates them.

The registry (``faces.command``) builds one strict pydantic model per command from
its signature, using these annotated types, so each rule is written once and
every command that takes, say, a workspace path checks it the same way. A
validator raises ``ValueError`` for pydantic to report with the argument's
name, or a contract error whose message already names it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict
from pydantic.alias_generators import to_camel

from ait42_session.shape import models, timestamps, workspace
from ait42_session.shape.errors import ValidationError
from ait42_session.shape.workspace import Workspace

MAX_PAGE = 500


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, got {value!r}")
    return value


def _listing(value: object) -> Workspace | None:
    """A blank path lists nothing (the contract's ``get_all_sessions_sqlite``)."""
    if isinstance(value, str) and not value.strip():
        return None
    return workspace.resolve(value)


def _one_of(allowed: tuple[str, ...]) -> BeforeValidator:
    def check(value: object) -> object:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
        return value
    return BeforeValidator(check)


def _instance_status(value: object) -> object:
    """The models' one rule (the shell's own ``starting``, ``timeout``, ``error`` too)."""
    if not models.is_instance_status(value):
        allowed = models.INSTANCE_STATUSES + models.SHELL_INSTANCE_STATUSES
        raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}"[:200])
    return value


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


def _token(value: object) -> str | None:
    if value is not None and not (isinstance(value, str) and value.isascii()
                                  and value.isdigit()):
        raise ValueError(f"must be a token from an earlier answer (or null), got {value!r}")
    return value


def _workspace_hash(value: object) -> str:
    if not isinstance(value, str) or not workspace.HASH_NAME.fullmatch(value):
        raise ValueError(f"must be 16 lowercase hex characters, got {value!r}")
    return value


WorkspaceArg = Annotated[Workspace, BeforeValidator(workspace.resolve)]
ListingArg = Annotated[Workspace | None, BeforeValidator(_listing)]
Text = Annotated[str, BeforeValidator(_text)]
SessionArg = Annotated[
    models.Session, BeforeValidator(lambda v: models.validate(models.Session, v, "session"))]
MessageArg = Annotated[
    models.ChatMessage,
    BeforeValidator(lambda v: models.validate(models.ChatMessage, v, "message"))]
InstanceId = Annotated[int, Strict(), Field(ge=models.INT64_MIN, le=models.INT64_MAX)]
InstanceStatus = Annotated[str, BeforeValidator(_instance_status)]
StorageMode = Annotated[str, _one_of(("json", "dual", "sqlite"))]
WorkspaceHash = Annotated[str, BeforeValidator(_workspace_hash)]
ChangeToken = Annotated[str | None, BeforeValidator(_token)]
WaitMs = Annotated[int, Strict(), Field(ge=0, le=60_000)]
OutputText = Annotated[str, Strict()]
AnyJson = Any  # validated by the command itself (the import's options)


class Options(BaseModel):
    """Base of the option objects: strict, and a key the command does not know is an error."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class BoardQuery(Options):
    """What ``list_session_summaries`` filters, sorts and pages by."""

    status: Annotated[models.SessionStatus | None, BeforeValidator(_blank_is_none)] = None
    type: Annotated[models.SessionType | None, BeforeValidator(_blank_is_none)] = None
    text: str | None = None
    sort: Annotated[Literal["updated", "created", "duration", "filesChanged"],
                    BeforeValidator(lambda v: "updated" if v in (None, "") else v)] = "updated"
    limit: Annotated[int, Field(gt=0, le=MAX_PAGE)] = 50
    cursor: str | None = None
    # The sessions behind a figure of the Insights view (``insights.board_filter``):
    # an instance of this agent / runtime / model ("unknown": none), with this
    # status, that won; created in [createdAfter, createdBefore).
    agent: str | None = None
    runtime: str | None = None
    model: str | None = None
    instance_status: Annotated[models.InstanceStatus | None, BeforeValidator(_blank_is_none),
                               Field(alias="instanceStatus")] = None
    won: bool | None = None
    created_after: Annotated[models.Timestamp | None, Field(alias="createdAfter")] = None
    created_before: Annotated[models.Timestamp | None, Field(alias="createdBefore")] = None
    sessionIds: Annotated[list[str], Field(max_length=MAX_PAGE)] | None = None
    archived: Annotated[Literal["exclude", "include", "only"],
                        BeforeValidator(lambda v: "exclude" if v in (None, "") else v)] = "exclude"


def _null_is_empty(value: object) -> object:
    return {} if value is None else value


# An options object a caller may give as null: the same as {} (every option's default).
NULL_IS_EMPTY = BeforeValidator(_null_is_empty)
BoardQueryArg = Annotated[BoardQuery, NULL_IS_EMPTY]


# -- get_insights' options ----------------------------------------------------------

def _blank_text_is_none(value: object) -> object:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _timestamp_key(value: object) -> object:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"must be an RFC 3339 date-time string, got {value!r}")
    return timestamps.timestamp_key(value)  # ValueError names the expected form


class InsightsOptions(Options):
    """``get_insights`` options: every one optional; a key it does not know is an error.

    ``workspacePath`` null, absent or blank: every workspace. ``updatedAfter``
    is inclusive and ``updatedBefore`` exclusive, as in ``search_sessions``.
    """

    model_config = ConfigDict(alias_generator=to_camel, validate_by_alias=True,
                              validate_by_name=False)

    workspace_path: Annotated[Workspace | None,
                              BeforeValidator(lambda v: None if _blank_text_is_none(v) is None
                                              else workspace.resolve(v))] = None
    type: Annotated[models.SessionType | None, BeforeValidator(_blank_text_is_none)] = None
    updated_after: Annotated[int | None, BeforeValidator(_timestamp_key)] = None
    updated_before: Annotated[int | None, BeforeValidator(_timestamp_key)] = None


InsightsOptionsArg = Annotated[InsightsOptions, NULL_IS_EMPTY]


# -- search_sessions' options --------------------------------------------------------
# Each check raises the contract error with the message the command has always
# given (``options.limit must be ...``), which pydantic passes on unchanged; the
# fields are checked in this order, so the first bad one is the one named.

SEARCH_MAX_LIMIT = 200
SEARCH_DEFAULT_LIMIT = 50
def _search_choice(name: str, allowed: tuple[str, ...], default: str | None = None,
                   ) -> BeforeValidator:
    def check(value: object) -> object:
        if value is None:
            return default
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError(f"options.{name} must be one of {', '.join(allowed)} or "
                                  f"null, got {value!r}")
        return value
    return BeforeValidator(check)


def _search_status(value: object) -> object:
    """A session status to filter on: the contract's four, or one the shell's own
    runner writes (``started``, ``round_<n>``), kept and filterable as written."""
    if value is not None and (not isinstance(value, str) or not value.strip()
                              or len(value) > 100):
        raise ValidationError(f"options.status must be a session status such as "
                              f"{', '.join(models.SESSION_STATUSES)} or null, got {value!r}")
    return value


def _search_time(name: str) -> BeforeValidator:
    def check(value: object) -> int | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValidationError(f"options.{name} must be an RFC 3339 date-time string or null")
        try:
            return timestamps.timestamp_key(value)
        except ValueError as exc:
            raise ValidationError(f"options.{name}: {exc}") from None
    return BeforeValidator(check)


def _search_limit(value: object) -> int:
    if value is None:
        return SEARCH_DEFAULT_LIMIT
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 1 <= value <= SEARCH_MAX_LIMIT:
        raise ValidationError(
            f"options.limit must be a whole number from 1 to {SEARCH_MAX_LIMIT}")
    return value


def _search_cursor(value: object) -> object:
    if value is not None and not isinstance(value, str):
        raise ValidationError("options.cursor must be the nextCursor of the previous page")
    return value


class SearchOptions(Options):
    """``search_sessions``' options (all optional; null or ``{}``: the defaults)."""

    model_config = ConfigDict(validate_by_alias=True, validate_by_name=False)

    workspace_hash: Annotated[
        str | None, BeforeValidator(lambda v: None if v is None else workspace.resolve(v).hash),
        Field(alias="workspacePath")] = None
    limit: Annotated[int, BeforeValidator(_search_limit)] = SEARCH_DEFAULT_LIMIT
    cursor: Annotated[str | None, BeforeValidator(_search_cursor)] = None
    type: Annotated[str | None, _search_choice("type", models.SESSION_TYPES)] = None
    status: Annotated[str | None, BeforeValidator(_search_status)] = None
    archived: Annotated[str, _search_choice("archived", ("exclude", "include", "only"),
                                            "exclude")] = "exclude"
    updated_after: Annotated[int | None, _search_time("updatedAfter"),
                             Field(alias="updatedAfter")] = None
    updated_before: Annotated[int | None, _search_time("updatedBefore"),
                              Field(alias="updatedBefore")] = None
    sort: Annotated[str, _search_choice("sort", ("relevance", "newest"),
                                        "relevance")] = "relevance"

    @pydantic.model_validator(mode="before")
    @classmethod
    def _an_object_of_known_keys(cls, value: object) -> object:
        if not isinstance(value, dict):  # null is {} already (NULL_IS_EMPTY)
            raise ValidationError("options must be an object or null")
        known = [f.alias or name for name, f in cls.model_fields.items()]
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValidationError(f"unknown search option {unknown[0]!r}; known: "
                                  + ", ".join(sorted(known)))
        return value

    def key(self) -> str:
        """What a cursor is bound to besides the query."""
        return repr((self.workspace_hash, self.type, self.status, self.archived,
                     self.updated_after, self.updated_before, self.sort))


SearchOptionsArg = Annotated[SearchOptions, NULL_IS_EMPTY]


def describe_errors(exc: pydantic.ValidationError) -> str:
    """pydantic's errors in one line a person can act on (no URLs, no dumps)."""
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err.get("loc", ()))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "is not an option this command knows"
        problems.append(f"{where} {msg}" if where else msg)
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return "; ".join(problems[:5]) + more
