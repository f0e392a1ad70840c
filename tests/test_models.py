"""Validation messages name the field and the allowed values."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from ait42_session import models
from ait42_session.errors import ValidationError

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
    earlier = models.timestamp_key("2026-01-13T10:00:00+02:00")
    later = models.timestamp_key("2026-01-13T09:00:00Z")
    assert earlier < later
    assert models.timestamp_key("2026-01-13T09:00:00") == later  # naive means UTC
    assert models.timestamp_key(models.now_rfc3339()) > later


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
