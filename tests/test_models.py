"""Validation messages name the field and the allowed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest

from ait42_session.faces.bridge import Bridge
from ait42_session.shape import models, timestamps
from ait42_session.shape.errors import ValidationError

from .conftest import make_session


def invalid(**changes: Any) -> str:
    s = make_session()
    for key, value in changes.items():
        if value is ...:
            del s[key]
        else:
            s[key] = value
    with pytest.raises(ValidationError) as err:
        models.validate(models.Session, s, "session")
    return str(err.value)


def test_missing_required_field_is_named() -> None:
    assert "task: required field is missing" in invalid(task=...)


def test_value_outside_the_set_lists_the_allowed_values() -> None:
    msg = invalid(status="done")
    assert "status" in msg and "'running'" in msg and "'paused'" in msg and "'done'" in msg


def test_nested_field_path_is_named() -> None:
    s = make_session()
    s["instances"][1]["status"] = "sleeping"
    with pytest.raises(ValidationError, match=r"instances\[1\]\.status"):
        models.validate(models.Session, s, "session")


@pytest.mark.parametrize(("field", "value"), [
    ("id", ""), ("task", "  "), ("timeoutSeconds", "1800"), ("preserveWorktrees", 1),
    ("createdAt", "yesterday"), ("createdAt", "2026-01-13"), ("runtimeMix", "claude"),
    ("type", "solo"), ("instances", {}), ("chatHistory", None),
])
def test_wrong_values_are_refused(field: str, value: Any) -> None:
    assert field in invalid(**{field: value})


def test_duplicate_instance_id_is_refused() -> None:
    s = make_session(instances=2)
    s["instances"][1]["instanceId"] = 0
    with pytest.raises(ValidationError, match="instanceId 0 appears twice"):
        models.validate(models.Session, s, "session")


def test_unknown_fields_are_kept_at_every_level() -> None:
    s = make_session(instances=1, messages=1, evaluation={"winner": 0, "notes": None})
    s["instances"][0]["testsPassed"] = True
    s["chatHistory"][0]["agent_name"] = "snake case stays unknown"
    model = models.validate(models.Session, s, "session")
    assert model.__pydantic_extra__ == {"evaluation": {"winner": 0, "notes": None}}
    assert model.instances[0].__pydantic_extra__ == {"testsPassed": True}
    assert model.chat_history[0].__pydantic_extra__ == {"agent_name": "snake case stays unknown"}


def test_not_an_object() -> None:
    with pytest.raises(ValidationError, match="session must be a JSON object, got list"):
        models.validate(models.Session, [], "session")


def test_timestamp_keys_order_instants_not_strings() -> None:
    earlier = timestamps.timestamp_key("2026-01-13T10:00:00+02:00")
    later = timestamps.timestamp_key("2026-01-13T09:00:00Z")
    assert earlier < later
    assert timestamps.timestamp_key("2026-01-13T09:00:00") == later  # naive means UTC
    assert timestamps.timestamp_key(timestamps.now_rfc3339()) > later


def test_not_blank_means_what_str_strip_means_for_every_code_point() -> None:
    """The regex that refuses blank text agrees with Python's ``str.strip`` (which the
    JSON-era shell semantics follow) on every character, so moving the check into
    pydantic's Rust regex changed nothing that is accepted or refused."""
    check = pydantic.TypeAdapter(models.NonEmpty)
    disagree = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue  # lone surrogates are refused elsewhere (not storable text)
        c = chr(cp)
        try:
            check.validate_python(c)
            accepted = True
        except pydantic.ValidationError:
            accepted = False
        if accepted != bool(c.strip()):
            disagree.append(hex(cp))
    assert disagree == []


def _nested(levels: int) -> Any:
    """``levels`` arrays and objects, alternating, around one number."""
    value: Any = 1
    for k in range(levels):
        value = {"k": value} if k % 2 else [value]
    return value


def _with_deep_field(where: str, levels: int) -> dict[str, Any]:
    s = make_session("deep", instances=1, messages=1)
    target = {"session": s, "instance": s["instances"][0], "message": s["chatHistory"][0]}
    target[where]["deepField"] = {"outer": _nested(levels - 1)}
    return s


@pytest.mark.parametrize("where", ["session", "instance", "message"])
@pytest.mark.parametrize("mode", ["sqlite", "json", "dual"])
def test_one_nesting_limit_in_every_storage_mode(bridge: Bridge, workspace: str,
                                                 sessions_dir: Path, mode: str,
                                                 where: str) -> None:
    """Issue 9, defect 3: an unknown field nested past the limit (260 levels made
    the JSON store's serializer raise a raw ValueError) is refused as VALIDATION,
    naming the field, by every mode; at the limit it is stored and read back."""
    bridge.set_storage_mode(mode)
    for levels in (models.MAX_NESTING + 1, 260, 5000):
        with pytest.raises(ValidationError) as err:
            bridge.create_session(workspace, _with_deep_field(where, levels))
        assert err.value.code == "VALIDATION"
        assert f"'deepField' nests deeper than {models.MAX_NESTING} levels" in str(err.value)
    assert bridge.get_all_sessions_sqlite(workspace) == []
    assert not sessions_dir.exists() or list(sessions_dir.iterdir()) == []
    at_limit = _with_deep_field(where, models.MAX_NESTING)
    stored = bridge.create_session(workspace, at_limit)
    got = bridge.get_session(workspace, "deep")
    assert stored == got
    if mode != "json":
        assert bridge.get_session_sqlite(workspace, "deep") == got
    holder = {"session": got, "instance": got["instances"][0],
              "message": got["chatHistory"][0]}[where]
    assert holder["deepField"] == {"outer": _nested(models.MAX_NESTING - 1)}


def test_a_deep_chat_message_is_refused_like_a_deep_session(bridge: Bridge,
                                                            workspace: str) -> None:
    bridge.create_session_sqlite(workspace, make_session("s1"))
    msg = {"id": "m9", "role": "user", "content": "hi", "timestamp": "2026-01-13T11:00:00Z",
           "deepField": _nested(models.MAX_NESTING + 1)}
    for add in (bridge.add_chat_message, bridge.add_chat_message_sqlite):
        with pytest.raises(ValidationError, match="'deepField' nests deeper"):
            add(workspace, "s1", msg)
    assert len(bridge.get_session_sqlite(workspace, "s1")["chatHistory"]) == 2


@pytest.mark.parametrize("value", [
    "2026-W03-2T10:00:00Z",          # ISO week date
    "2026-013T10:00:00Z",            # ISO ordinal date
    "2026-01-13T10:00Z",             # no seconds
    "2026-01-13T10Z",
    "2026-01-13T10:00:00,5Z",        # decimal comma
    "2026-01-13T10:00:00.Z",         # a point without digits
    "2026-01-13T10:00:00+0530",      # offset without a colon
    "2026-01-13T10:00:00+05",
    "2026-01-13T10:00:00+05:30:15",  # offset with seconds
    "2026-01-13T10:00:00+24:00",
    "20260113T100000Z",              # ISO basic format
    "2026-01-13T24:00:00Z",
    "2026-01-13T10:00:00Z ",
    "2026-01-13T10:00:00UTC",
    "2026-02-30T10:00:00Z",
    "\uff12\uff10\uff12\uff16-01-13T10:00:00Z",  # full-width digits
])
def test_timestamps_outside_rfc_3339_are_refused(value: str) -> None:
    """Issue 9, defect 8: what ``datetime.fromisoformat`` takes beyond RFC 3339 is refused."""
    with pytest.raises(ValueError, match="is not an RFC 3339 date-time"):
        timestamps.parse_timestamp(value)
    assert "createdAt" in invalid(createdAt=value)


@pytest.mark.parametrize(("value", "key"), [
    # keys as the parser before the fix computed them: stored sort keys stay right
    ("2026-01-13T10:00:00Z", 1768298400000000),
    ("2026-01-13T10:00:00.123456789Z", 1768298400123456),  # the shell's nanoseconds
    ("2026-01-13T10:00:00.1234569Z", 1768298400123456),    # truncated, not rounded
    ("2026-01-13T10:00:00.5+05:30", 1768278600500000),
    ("2026-01-13T10:00:00-00:00", 1768298400000000),
    ("2026-01-13T10:00:00+23:59", 1768212060000000),
    ("2026-01-13 10:00:00Z", 1768298400000000),            # RFC 3339's note allows a space
    ("2026-01-13T10:00:00", 1768298400000000),             # naive: read as UTC, as before
    ("2026-01-13t10:00:00z", 1768298400000000),            # RFC 3339 allows lowercase
    ("2026-01-13t10:00:00.25+01:00", 1768294800250000),
])
def test_rfc_3339_timestamps_are_accepted_with_their_sort_key(value: str, key: int) -> None:
    assert timestamps.timestamp_key(value) == key
    s = make_session(createdAt=value)
    assert models.validate(models.Session, s, "session").created_at == value
