"""Property-based tests: malformed input never gets through, valid input round-trips.

Malformed sessions, messages and arguments thrown at every command must raise
``ValidationError`` (code VALIDATION) or ``NotFoundError`` (NOT_FOUND), never any
other exception type, and must leave the database exactly as it was.

The round-trip property fixes the normalization a caller can rely on:

- a known optional field given as ``null`` comes back absent (as one not given);
- ``instances`` and ``chatHistory`` are always present, ``[]`` when not given;
- ``instances`` come back sorted by ``instanceId``;
- ``chatHistory`` comes back sorted by the instant of ``timestamp`` (not its text:
  ``12:00:00+02:00`` equals ``10:00:00Z``), ties in the order given;
- every other given field, unknown ones included (at session, instance and
  message level, with any JSON value, ``null`` too), comes back equal.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ait42_session.faces.bridge import COMMANDS, Bridge
from ait42_session.shape.errors import NotFoundError, SessionError, ValidationError

from .conftest import make_session

SETTINGS = settings(deadline=None, max_examples=100,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

SESSION_TYPES = ("competition", "ensemble", "debate")
SESSION_STATUSES = ("running", "completed", "failed", "paused", "started", "round_1")
INSTANCE_STATUSES = ("idle", "running", "completed", "failed", "paused", "archived",
                     "starting", "timeout", "error")
ROLES = ("user", "assistant", "system")
INT64 = (-(2**63), 2**63 - 1)

SESSION_REQUIRED = ("id", "type", "task", "status", "createdAt", "updatedAt")
INSTANCE_REQUIRED = ("instanceId", "worktreePath", "branch", "agentName", "status",
                     "tmuxSessionId")
MESSAGE_REQUIRED = ("id", "role", "content", "timestamp")

# Known fields by kind, per level (camelCase, as the caller sends them).
SESSION_FIELDS = {
    "id": "id", "type": "enum_session_type", "task": "nonblank", "status": "enum_session_status",
    "createdAt": "ts", "updatedAt": "ts", "completedAt": "ts?", "model": "str?",
    "timeoutSeconds": "int?", "preserveWorktrees": "bool?", "winnerId": "int?",
    "runtimeMix": "strlist?", "totalDuration": "int?", "totalFilesChanged": "int?",
    "totalLinesAdded": "int?", "totalLinesDeleted": "int?",
}
INSTANCE_FIELDS = {
    "instanceId": "int", "worktreePath": "str", "branch": "str", "agentName": "str",
    "status": "enum_instance_status", "tmuxSessionId": "str", "output": "str?",
    "startTime": "ts?", "endTime": "ts?", "filesChanged": "int?", "linesAdded": "int?",
    "linesDeleted": "int?", "runtime": "str?", "model": "str?", "runtimeLabel": "str?",
}
MESSAGE_FIELDS = {
    "id": "id", "role": "enum_role", "content": "nonblank", "timestamp": "ts",
    "instanceId": "int?",
}
OPTIONAL_SESSION = {k for k, v in SESSION_FIELDS.items() if v.endswith("?")}
OPTIONAL_INSTANCE = {k for k, v in INSTANCE_FIELDS.items() if v.endswith("?")}
OPTIONAL_MESSAGE = {k for k, v in MESSAGE_FIELDS.items() if v.endswith("?")}


# ---------------------------------------------------------------------------
# The database under test: one bridge for the module, a small fixed content
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("props")
    ws_a, ws_b, ws_rt = root / "a", root / "b", root / "roundtrip"
    for ws in (ws_a, ws_b, ws_rt):
        ws.mkdir()
    with Bridge.open(str(root / "props.db")) as b:
        for i in range(3):
            b.create_session_sqlite(str(ws_a), make_session(f"s{i}", instances=3, messages=3))
        b.create_session_sqlite(str(ws_b), make_session("b0", instances=1, messages=1))
        yield {"bridge": b, "a": str(ws_a), "b": str(ws_b), "rt": str(ws_rt)}


def snapshot(store: dict[str, Any]) -> tuple[Any, ...]:
    b: Bridge = store["bridge"]
    stats = b.get_database_stats()
    return (b.get_all_sessions_sqlite(store["a"]), b.get_all_sessions_sqlite(store["b"]),
            b.get_all_sessions_sqlite(store["rt"]),
            tuple(stats[k] for k in ("sessionCount", "instanceCount", "messageCount",
                                     "workspaceCount")))


def rejected(store: dict[str, Any], call: Callable[[], object],
             allowed: tuple[type[SessionError], ...] = (ValidationError, NotFoundError)) -> str:
    """Run ``call``: it must raise one of ``allowed`` and change nothing. Returns the code."""
    before = snapshot(store)
    try:
        result = call()
    except allowed as exc:
        assert exc.code in {"VALIDATION", "NOT_FOUND"}
        assert str(exc).strip(), "an error without a message"
        code = str(exc.code)
    except Exception as exc:
        raise AssertionError(
            f"expected VALIDATION or NOT_FOUND, got {type(exc).__name__}: {exc}") from exc
    else:
        raise AssertionError(f"accepted malformed input, returned {result!r:.300}")
    assert snapshot(store) == before, "a rejected command changed the database"
    return code


# ---------------------------------------------------------------------------
# Strategies: valid values
# ---------------------------------------------------------------------------

text = st.text(max_size=40)
nonblank = text.filter(lambda s: bool(s.strip()))
ids = nonblank
ints = st.integers(*INT64)
small_ints = st.integers(-5, 50)


@st.composite
def timestamps(draw: st.DrawFn, base: datetime | None = None) -> str:
    """RFC 3339 text: Z or a numeric offset, with or without fractions."""
    if base is None:
        moment = draw(st.datetimes(min_value=datetime(1971, 1, 1),
                                   max_value=datetime(2099, 12, 31)))
    else:
        moment = base.replace(tzinfo=None) + timedelta(minutes=draw(st.integers(0, 3)))
    offset = draw(st.sampled_from((0, 0, 60, -300, 330, 840, -720)))
    local = moment + timedelta(minutes=offset)
    fraction = draw(st.sampled_from(("", ".5", ".123", ".123456")))
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + fraction
    if offset == 0 and draw(st.booleans()):
        return stamp + "Z"
    sign = "+" if offset >= 0 else "-"
    return f"{stamp}{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def extras(known: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    """Unknown fields: any key that is not a known camelCase field, any JSON value."""
    reserved = set(known) | {"instances", "chatHistory"}
    tricky = st.sampled_from(("type_", "created_at", "instance_id", "chat_history",
                              "model_config", "model_fields", "__class__", "__dict__",
                              "__proto__", "constructor", "", "extra", "ID", "Type"))
    return st.dictionaries((tricky | text).filter(lambda k: k not in reserved), json_values,
                           max_size=3)


def value_of(kind: str) -> st.SearchStrategy[Any]:
    base = kind.rstrip("?")
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "id": ids, "nonblank": nonblank, "str": text, "int": ints, "bool": st.booleans(),
        "ts": timestamps(), "strlist": st.lists(text, max_size=3),
        "enum_session_type": st.sampled_from(SESSION_TYPES),
        "enum_session_status": st.sampled_from(SESSION_STATUSES),
        "enum_instance_status": st.sampled_from(INSTANCE_STATUSES),
        "enum_role": st.sampled_from(ROLES),
    }
    return strategies[base]


@st.composite
def shape(draw: st.DrawFn, fields: dict[str, str],
          overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid object: required fields set, optional ones absent, null or set, extras."""
    out: dict[str, Any] = {}
    for key, kind in fields.items():
        if overrides and key in overrides:
            out[key] = overrides[key]
        elif kind.endswith("?"):
            choice = draw(st.sampled_from(("absent", "null", "value", "value")))
            if choice == "null":
                out[key] = None
            elif choice == "value":
                out[key] = draw(value_of(kind))
        else:
            out[key] = draw(value_of(kind))
    out.update(draw(extras(fields)))
    return out


@st.composite
def valid_sessions(draw: st.DrawFn) -> dict[str, Any]:
    session = draw(shape(SESSION_FIELDS))
    n_inst = draw(st.integers(0, 4))
    inst_ids = draw(st.lists(small_ints, min_size=n_inst, max_size=n_inst, unique=True))
    instances = [draw(shape(INSTANCE_FIELDS, {"instanceId": i})) for i in inst_ids]
    # Messages share a few instants (written with different offsets) so ties happen.
    base = datetime(2026, 1, 13, 10, tzinfo=UTC)
    n_msg = draw(st.integers(0, 6))
    msg_ids = draw(st.lists(ids, min_size=n_msg, max_size=n_msg, unique=True))
    messages = [draw(shape(MESSAGE_FIELDS, {"id": m, "timestamp": draw(timestamps(base))}))
                for m in msg_ids]
    if draw(st.booleans()) or instances:
        session["instances"] = instances
    if draw(st.booleans()) or messages:
        session["chatHistory"] = messages
    return session


def valid_message(message_id: str = "fresh") -> dict[str, Any]:
    return {"id": message_id, "role": "user", "content": "hello",
            "timestamp": "2026-01-13T11:00:00Z"}


# ---------------------------------------------------------------------------
# Strategies: malformed values
# ---------------------------------------------------------------------------

huge_free_ints = st.integers(-(10**6), 10**6)  # huge ints: see the xfail tests below
junk = st.recursive(
    st.none() | st.booleans() | huge_free_ints | text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
non_dicts = st.one_of(st.none(), st.booleans(), huge_free_ints, st.floats(allow_nan=False),
                      text, st.lists(junk, max_size=3))
blank = st.sampled_from(("", " ", "   ", "\t", "\n", " \r\n "))
bad_timestamps = st.one_of(
    st.sampled_from(("", "yesterday", "2026-01-13", "2026-13-01T00:00:00Z",
                     "2026-01-32T10:00:00Z", "2026-01-13T25:00:00Z", "13/01/2026 10:00",
                     "2026-01-13T10:00:00+25:00", "T10:00:00Z", "now")),
    huge_free_ints, st.booleans(), st.lists(text, max_size=2), st.dictionaries(text, text,
                                                                               max_size=2),
)


def wrong_value(kind: str) -> st.SearchStrategy[Any]:
    """A value of the wrong type or outside the allowed set for a field of ``kind``."""
    base = kind.rstrip("?")
    not_str = st.one_of(huge_free_ints, st.booleans(), st.floats(allow_nan=False),
                        st.lists(text, max_size=2), st.dictionaries(text, text, max_size=2))
    not_int = st.one_of(text, st.booleans(),
                        st.floats(allow_nan=False).filter(lambda f: not f.is_integer()),
                        st.lists(huge_free_ints, max_size=2), st.dictionaries(text, text,
                                                                              max_size=2))
    outside = text.filter(lambda s: s not in set(SESSION_TYPES) | set(SESSION_STATUSES)
                          | set(INSTANCE_STATUSES) | set(ROLES)
                          and not re.fullmatch(r"round_[0-9]{1,9}", s))
    choices: dict[str, st.SearchStrategy[Any]] = {
        "id": not_str | blank, "nonblank": not_str | blank, "str": not_str, "int": not_int,
        "bool": not_str.filter(lambda v: not isinstance(v, bool)) | text,
        "ts": bad_timestamps,
        "strlist": text | huge_free_ints | st.lists(huge_free_ints, min_size=1, max_size=3),
        "enum_session_type": outside | not_str, "enum_session_status": outside | not_str,
        "enum_instance_status": outside | not_str, "enum_role": outside | not_str,
    }
    strategy = choices[base]
    return strategy if kind.endswith("?") else strategy | st.none()


@st.composite
def break_object(draw: st.DrawFn, obj: dict[str, Any], fields: dict[str, str],
                 required: tuple[str, ...]) -> dict[str, Any]:
    """``obj`` with one definite fault: a required field gone, or a field made wrong."""
    broken = copy.deepcopy(obj)
    if draw(st.booleans()):
        del broken[draw(st.sampled_from(required))]
    else:
        key = draw(st.sampled_from(sorted(fields)))
        broken[key] = draw(wrong_value(fields[key]))
    return broken


@st.composite
def malformed_messages(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 5)) == 0:
        return draw(non_dicts)
    msg = draw(shape(MESSAGE_FIELDS))
    return draw(break_object(msg, MESSAGE_FIELDS, MESSAGE_REQUIRED))


@st.composite
def malformed_sessions(draw: st.DrawFn, session_id: str | None = None) -> Any:
    """A session with at least one definite fault, at any level (its id may be given)."""
    if draw(st.integers(0, 7)) == 0:
        return draw(non_dicts)
    session = draw(valid_sessions())
    if session_id is not None:
        session["id"] = session_id  # before the fault: the fault may be in the id itself
    session.setdefault("instances", [])
    session.setdefault("chatHistory", [])
    fault = draw(st.sampled_from((
        "session", "session", "instance", "message", "duplicate_instance",
        "duplicate_message", "child_not_dict", "list_not_list")))
    if fault == "session":
        return draw(break_object(session, SESSION_FIELDS, SESSION_REQUIRED))
    if fault == "instance":
        inst = draw(shape(INSTANCE_FIELDS, {"instanceId": 1000}))
        session["instances"].append(draw(break_object(inst, INSTANCE_FIELDS,
                                                      INSTANCE_REQUIRED)))
    elif fault == "message":
        session["chatHistory"].append(draw(malformed_messages().filter(
            lambda m: isinstance(m, dict))))
    elif fault == "duplicate_instance":
        inst = draw(shape(INSTANCE_FIELDS, {"instanceId": 7}))
        session["instances"] += [inst, dict(inst, branch="other")]
    elif fault == "duplicate_message":
        msg = draw(shape(MESSAGE_FIELDS, {"id": "dup"}))
        session["chatHistory"] += [msg, dict(msg, content="again")]
    elif fault == "child_not_dict":
        key = draw(st.sampled_from(("instances", "chatHistory")))
        session[key].insert(draw(st.integers(0, len(session[key]))),
                            draw(non_dicts.filter(lambda v: not isinstance(v, dict))))
    else:
        key = draw(st.sampled_from(("instances", "chatHistory")))
        session[key] = draw(st.one_of(text, huge_free_ints, st.booleans(),
                                      st.dictionaries(text, junk, max_size=2)))
    return session


bad_paths = st.one_of(non_dicts.filter(lambda v: not isinstance(v, str)), blank,
                      st.dictionaries(text, junk, max_size=2),
                      text.map(lambda s: f"/tmp/x\x00{s}"))
bad_session_ids = st.one_of(non_dicts.filter(lambda v: not isinstance(v, str)), blank,
                            st.dictionaries(text, junk, max_size=2))
bad_instance_ids = st.one_of(text, st.none(), st.booleans(), st.lists(small_ints, max_size=2),
                             st.floats(allow_nan=False), st.dictionaries(text, text,
                                                                         max_size=2))
bad_statuses = st.one_of(text.filter(lambda s: s not in INSTANCE_STATUSES), st.none(),
                         huge_free_ints, st.lists(st.sampled_from(INSTANCE_STATUSES),
                                                  max_size=2),
                         st.sampled_from(("Running", "IDLE", " idle", "done", "")))
missing_ids = ids.filter(lambda s: s not in {"s0", "s1", "s2", "b0"})


def good_path(store: dict[str, Any]) -> st.SearchStrategy[str]:
    return st.sampled_from((store["a"], store["a"] + "/", store["b"]))


# ---------------------------------------------------------------------------
# Every command refuses malformed input and changes nothing
# ---------------------------------------------------------------------------

@SETTINGS
@given(data=st.data())
def test_create_refuses_malformed(store: dict[str, Any], data: st.DataObject) -> None:
    b: Bridge = store["bridge"]
    if data.draw(st.booleans()):
        ws, session = data.draw(bad_paths), data.draw(valid_sessions() | malformed_sessions())
    else:
        ws, session = data.draw(good_path(store)), data.draw(malformed_sessions())
    assert rejected(store, lambda: b.create_session_sqlite(ws, session)) == "VALIDATION"


@SETTINGS
@given(data=st.data())
def test_update_refuses_malformed_or_missing(store: dict[str, Any],
                                             data: st.DataObject) -> None:
    b: Bridge = store["bridge"]
    case = data.draw(st.sampled_from(("path", "session", "missing", "other_workspace")))
    expect = "NOT_FOUND" if case in ("missing", "other_workspace") else "VALIDATION"
    if case == "path":
        ws, session = data.draw(bad_paths), data.draw(valid_sessions() | malformed_sessions())
    elif case == "session":
        existing = data.draw(st.sampled_from((None, "s0")))  # s0: an existing one, broken
        ws, session = data.draw(good_path(store)), data.draw(malformed_sessions(existing))
    elif case == "missing":
        ws, session = store["a"], data.draw(valid_sessions())
        session["id"] = data.draw(missing_ids)
    else:
        ws, session = store["b"], data.draw(valid_sessions())
        session["id"] = "s0"  # exists, but in workspace a
    assert rejected(store, lambda: b.update_session_sqlite(ws, session)) == expect


@SETTINGS
@given(data=st.data())
def test_get_and_delete_refuse_malformed_or_missing(store: dict[str, Any],
                                                    data: st.DataObject) -> None:
    b: Bridge = store["bridge"]
    command = data.draw(st.sampled_from((b.get_session_sqlite, b.delete_session_sqlite)))
    case = data.draw(st.sampled_from(("path", "id", "missing", "other_workspace")))
    if case == "path":
        ws, sid = data.draw(bad_paths), data.draw(st.sampled_from(("s0", "b0")) | ids)
    elif case == "id":
        ws, sid = data.draw(good_path(store)), data.draw(bad_session_ids)
    elif case == "missing":
        ws, sid = data.draw(good_path(store)), data.draw(missing_ids)
    else:
        ws, sid = store["b"], data.draw(st.sampled_from(("s0", "s1", "s2")))
    expect = "VALIDATION" if case in ("path", "id") else "NOT_FOUND"
    assert rejected(store, lambda: command(ws, sid)) == expect


@SETTINGS
@given(ws=bad_paths)
def test_get_all_refuses_non_string_paths(store: dict[str, Any], ws: Any) -> None:
    b: Bridge = store["bridge"]
    if isinstance(ws, str) and not ws.strip():
        assert b.get_all_sessions_sqlite(ws) == []  # the contract's one exception
    else:
        assert rejected(store, lambda: b.get_all_sessions_sqlite(ws)) == "VALIDATION"


@SETTINGS
@given(data=st.data())
def test_add_chat_message_refuses_malformed_or_missing(store: dict[str, Any],
                                                       data: st.DataObject) -> None:
    b: Bridge = store["bridge"]
    case = data.draw(st.sampled_from(("path", "id", "message", "missing", "other_workspace")))
    ws, sid, msg = store["a"], "s0", valid_message()
    if case == "path":
        ws, msg = data.draw(bad_paths), data.draw(st.just(msg) | malformed_messages())
    elif case == "id":
        sid = data.draw(bad_session_ids)
    elif case == "message":
        ws = data.draw(good_path(store))
        sid = data.draw(st.sampled_from(("s0", "s1", "s2")) | missing_ids)
        msg = data.draw(malformed_messages())
    elif case == "missing":
        sid = data.draw(missing_ids)
    else:
        ws = store["b"]
    expect = "NOT_FOUND" if case in ("missing", "other_workspace") else "VALIDATION"
    assert rejected(store, lambda: b.add_chat_message_sqlite(ws, sid, msg)) == expect


@SETTINGS
@given(data=st.data())
def test_update_instance_status_refuses_malformed_or_missing(store: dict[str, Any],
                                                             data: st.DataObject) -> None:
    b: Bridge = store["bridge"]
    case = data.draw(st.sampled_from(("path", "id", "instance", "status", "missing",
                                      "no_instance", "other_workspace")))
    # Any: each case puts a wrong type in one of them.
    ws: Any = store["a"]
    sid: Any = "s1"
    iid: Any = 0
    status: Any = "failed"
    if case == "path":
        ws = data.draw(bad_paths)
    elif case == "id":
        sid = data.draw(bad_session_ids)
    elif case == "instance":
        iid = data.draw(bad_instance_ids)
    elif case == "status":
        status = data.draw(bad_statuses)
    elif case == "missing":
        sid = data.draw(missing_ids)
    elif case == "no_instance":
        iid = data.draw(st.integers(-(10**6), 10**6).filter(lambda i: i not in (0, 1, 2)))
    else:
        ws = store["b"]
    expect = "NOT_FOUND" if case in ("missing", "no_instance", "other_workspace") \
        else "VALIDATION"
    code = rejected(store, lambda: b.update_instance_status_sqlite(ws, sid, iid, status))
    assert code == expect


ARITY = {"create_session_sqlite": 2, "update_session_sqlite": 2, "get_session_sqlite": 2,
         "get_all_sessions_sqlite": 1, "delete_session_sqlite": 2,
         "add_chat_message_sqlite": 3, "update_instance_status_sqlite": 4,
         "get_database_stats": 0, "optimize_database": 0, "verify_database_integrity": 0}


@SETTINGS
@given(data=st.data())
def test_wrong_number_of_arguments_is_refused(store: dict[str, Any],
                                              data: st.DataObject) -> None:
    b: Bridge = store["bridge"]
    name = data.draw(st.sampled_from(sorted(ARITY)))
    assert name in COMMANDS
    count = data.draw(st.integers(0, 6).filter(lambda n: n != ARITY[name]))
    args = data.draw(st.lists(junk | st.just(store["a"]) | st.just("s0"),
                              min_size=count, max_size=count))
    command = getattr(b, name)
    assert rejected(store, lambda: command(*args), (ValidationError,)) == "VALIDATION"


# ---------------------------------------------------------------------------
# Any valid session round-trips
# ---------------------------------------------------------------------------

def _instant(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _drop_null(obj: dict[str, Any], optional: set[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not (k in optional and v is None)}


def normalized(session: dict[str, Any]) -> dict[str, Any]:
    """What the store gives back for ``session`` (see the module docstring)."""
    out = _drop_null(session, OPTIONAL_SESSION)
    out["instances"] = sorted((_drop_null(i, OPTIONAL_INSTANCE)
                               for i in session.get("instances", [])),
                              key=lambda i: i["instanceId"])
    out["chatHistory"] = sorted((_drop_null(m, OPTIONAL_MESSAGE)
                                 for m in session.get("chatHistory", [])),
                                key=lambda m: _instant(m["timestamp"]))  # stable
    return out


def same_json(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 from True (JSON keeps them apart)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


_counter = itertools.count()


@SETTINGS
@given(session=valid_sessions())
def test_any_valid_session_round_trips(store: dict[str, Any], session: dict[str, Any]) -> None:
    b: Bridge = store["bridge"]
    ws = store["rt"]
    session["id"] = f"{session['id']}#{next(_counter)}"  # unique across examples
    sent = copy.deepcopy(session)
    expected = normalized(session)
    try:
        created = b.create_session_sqlite(ws, session)
        assert session == sent, "the command changed the caller's dict"
        assert same_json(created, expected), (created, expected)
        got = b.get_session_sqlite(ws, session["id"])
        assert same_json(got, expected), (got, expected)
        listed = [s for s in b.get_all_sessions_sqlite(ws) if s["id"] == session["id"]]
        assert len(listed) == 1 and same_json(listed[0], expected)
        again = b.update_session_sqlite(ws, sent)
        assert same_json(again, expected)
    finally:
        with contextlib.suppress(NotFoundError):
            b.delete_session_sqlite(ws, session["id"])


@SETTINGS
@given(session=valid_sessions())
def test_normalize_matches_the_documented_rule_and_keeps_its_input(
        session: dict[str, Any]) -> None:
    """``normalize`` copies; ``normalize_owned`` (the import's) changes its input in place.
    Both give what the rule above says, with the same value types."""
    from ait42_session.legacy.json_files import normalize, normalize_owned

    sent = copy.deepcopy(session)
    expected = normalized(session)
    assert same_json(normalize(session), expected)
    assert session == sent, "normalize changed its input"
    assert same_json(normalize_owned(copy.deepcopy(session)), expected)


# ---------------------------------------------------------------------------
# Known gaps, each pinned by one test (xfail until the lead fixes them)
# ---------------------------------------------------------------------------

BIG = 2**63  # one past SQLite's largest INTEGER


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    s = make_session("big", instances=1, messages=1)
    target: Any = s
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return s


@pytest.mark.parametrize("path", [
    ("timeoutSeconds",), ("winnerId",), ("totalDuration",), ("totalLinesDeleted",),
    ("instances", 0, "instanceId"), ("instances", 0, "filesChanged"),
    ("chatHistory", 0, "instanceId"),
], ids=lambda p: ".".join(map(str, p)))
@pytest.mark.parametrize("value", [BIG, -BIG - 1, 10**30], ids=["2**63", "-2**63-1", "1e30"])
def test_integers_too_big_for_sqlite_are_validation_errors(
        store: dict[str, Any], path: tuple[Any, ...], value: int) -> None:
    b: Bridge = store["bridge"]
    assert rejected(store, lambda: b.create_session_sqlite(store["a"], _with(path, value)),
                    (ValidationError,)) == "VALIDATION"


@pytest.mark.parametrize("value", [BIG, -BIG - 1])
def test_instance_id_argument_too_big(store: dict[str, Any], value: int) -> None:
    b: Bridge = store["bridge"]
    rejected(store, lambda: b.update_instance_status_sqlite(store["a"], "s0", value, "idle"))


def test_message_instance_id_too_big(store: dict[str, Any]) -> None:
    b: Bridge = store["bridge"]
    msg = dict(valid_message(), instanceId=BIG)
    rejected(store, lambda: b.add_chat_message_sqlite(store["a"], "s0", msg))


LONE = "\ud800"  # JSON.stringify sends lone surrogates as "\ud800"; json.loads keeps them


@pytest.mark.parametrize("where", ["workspace", "session_id"])
def test_lone_surrogates_in_arguments(store: dict[str, Any], where: str) -> None:
    b: Bridge = store["bridge"]
    ws = store["a"] + "/x" + LONE if where == "workspace" else store["a"]
    sid = "s0" + LONE if where == "session_id" else "s0"
    rejected(store, lambda: b.get_session_sqlite(ws, sid))


@pytest.mark.parametrize("where", ["session", "instance", "message"])
def test_lone_surrogates_in_unknown_fields(store: dict[str, Any], where: str) -> None:
    b: Bridge = store["bridge"]
    if where == "session":
        s = make_session("sur", notes="a" + LONE)
    elif where == "instance":
        s = make_session("sur", instances=1)
        s["instances"][0]["testsPassed"] = LONE
    else:
        s = make_session("sur", messages=1)
        s["chatHistory"][0]["meta"] = {"x": [LONE]}
    assert rejected(store, lambda: b.create_session_sqlite(store["a"], s),
                    (ValidationError,)) == "VALIDATION"


def test_lone_surrogate_in_an_unknown_field_name(store: dict[str, Any]) -> None:
    b: Bridge = store["bridge"]
    unknown: dict[str, Any] = {"key" + LONE: 1}
    s = make_session("sur", **unknown)
    assert rejected(store, lambda: b.create_session_sqlite(store["a"], s),
                    (ValidationError,)) == "VALIDATION"


def _deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("value", [
    float("nan"), float("inf"), {1, 2}, b"bytes", object(), _deep(5000),
], ids=["nan", "inf", "set", "bytes", "object", "deep"])
def test_unknown_fields_json_cannot_hold(store: dict[str, Any], value: Any) -> None:
    b: Bridge = store["bridge"]
    s = make_session("nan", evaluation={"score": value})
    assert rejected(store, lambda: b.create_session_sqlite(store["a"], s),
                    (ValidationError,)) == "VALIDATION"
