"""The registry is the one list of commands: the bridge, the page's table and the README
follow it, and its argument models refuse what the contract refuses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic.alias_generators import to_camel

from ait42_session.faces.bridge import Bridge
from ait42_session.faces.service import COMMANDS, REGISTRY, Service
from ait42_session.shape.errors import ValidationError

from .conftest import make_session

ROOT = Path(__file__).resolve().parent.parent


def _table(text: str, start: str) -> dict[str, list[str]]:
    block = text[text.index(start):]
    block = block[:block.index("});")]
    return {m[1]: re.findall(r"'(\w+)'", m[2])
            for m in re.finditer(r"^\s+(\w+): \[(.*)\],$", block, re.M)}


def test_the_pages_command_table_is_the_registry() -> None:
    js = (ROOT / "frontend" / "js" / "invoke.js").read_text(encoding="utf-8")
    expected = {c.name: [to_camel(p) for p in c.params] for c in REGISTRY.values()}
    assert _table(js, "export const COMMANDS") == expected
    optional = _table(js, "const OPTIONAL")
    for name, params in optional.items():
        assert set(params) <= set(expected[name]), name


def test_the_readme_lists_every_command_with_its_arguments() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = {m[1]: [p.strip() for p in m[2].split(",")] if m[2] != "—" else []
              for m in re.finditer(r"^\| `(\w+)` \| ([^|]+?) \| (?:read|write) \|", readme, re.M)}
    expected = {c.name: list(c.params) for c in REGISTRY.values()}
    rows = "\n".join(f"| `{c.name}` | {', '.join(c.params) or '—'} | "
                     f"{'write' if c.writes else 'read'} | ... |" for c in REGISTRY.values())
    assert listed == expected, f"README's command table should be:\n{rows}"


def test_the_bridge_offers_exactly_the_registry(db_path: str) -> None:
    with Bridge.open(db_path) as bridge:
        assert sorted(dir(bridge)) == sorted(COMMANDS)
        for name in COMMANDS:
            assert callable(getattr(bridge, name))


@pytest.mark.parametrize(("name", "args", "says"), [
    ("list_session_summaries", ("/w", {"limit": 5, "colour": "red"}), "colour"),
    ("list_session_summaries", ("/w", {"limit": "5"}), "limit"),
    ("list_session_summaries", ("/w", {"limit": 0}), "limit"),
    ("list_session_summaries", ("/w", {"status": "done"}), "status"),
    ("list_session_summaries", ("/w", []), "query"),
    ("update_instance_status_sqlite", ("/w", "s1", True, "failed"), "instance_id"),
    ("update_instance_status_sqlite", ("/w", "s1", "0", "failed"), "instance_id"),
    ("update_instance_status_sqlite", ("/w", "s1", 2**63, "failed"), "instance_id"),
    ("update_instance_status_sqlite", ("/w", "s1", 0, "done"), "idle, running"),
    ("get_session_sqlite", ("/w", ""), "session_id"),
    ("get_session_sqlite", ("/w", None), "session_id"),
    ("get_session_sqlite", ("", "s1"), "workspace_path"),
    ("set_storage_mode", ("both",), "json, dual, sqlite"),
    ("bind_workspace", ("XYZ", "/w"), "workspace_hash"),
    ("get_import_status", (7,), "job_id"),
    ("get_database_stats", ("extra",), "takes 0 argument"),
    # search_sessions' options: a pydantic model, with the messages they always had
    ("search_sessions", ("x", []), "options must be an object or null"),
    ("search_sessions", ("x", {"limit": 0, "colour": 1}),
     "unknown search option 'colour'; known: archived, cursor, limit, sort, status, type, "
     "updatedAfter, updatedBefore, workspacePath"),
    ("search_sessions", ("x", {"limit": True}), "options.limit must be a whole number from 1 "
     "to 200"),
    ("search_sessions", ("x", {"type": "nope", "status": 3}), "options.type must be one of "
     "competition, ensemble, debate or null, got 'nope'"),
    ("search_sessions", ("x", {"status": ""}), "options.status must be a session status such "
     "as running, completed, failed, paused or null, got ''"),
    ("search_sessions", ("x", {"updatedAfter": 5}), "options.updatedAfter must be an RFC 3339 "
     "date-time string or null"),
    ("search_sessions", ("x", {"updatedBefore": "x"}), "options.updatedBefore: 'x' is not an "
     "RFC 3339"),
    ("search_sessions", ("x", {"cursor": 5}), "options.cursor must be the nextCursor of the "
     "previous page"),
    ("search_sessions", ("x", {"sort": "best"}), "options.sort must be one of relevance, "
     "newest or null, got 'best'"),
    ("search_sessions", ("x", {"workspacePath": ""}), "workspace_path is blank"),
])
def test_arguments_are_refused_by_name_and_nothing_changes(
        db_path: str, workspace: str, name: str, args: tuple[Any, ...], says: str) -> None:
    with Service.open(db_path) as svc:
        svc.create_session_sqlite(workspace, make_session())
        before = svc.get_all_sessions_sqlite(workspace)
        with pytest.raises(ValidationError, match=re.escape(says)):
            svc.call(name, *args)
        assert svc.get_all_sessions_sqlite(workspace) == before


def test_every_commands_object_arguments_are_pydantic_models() -> None:
    """One validation style: an argument that is an object of options is a model."""
    import pydantic

    from ait42_session.shape.arguments import SearchOptions

    options = REGISTRY["search_sessions"].model.model_fields["options"]
    assert options.annotation is SearchOptions
    assert issubclass(SearchOptions, pydantic.BaseModel)
    parsed = REGISTRY["search_sessions"].parse(("x", {"updatedAfter": "2026-01-13T10:00:00Z",
                                                      "sort": None}))["options"]
    assert (parsed.sort, parsed.limit, parsed.archived) == ("relevance", 50, "exclude")
    assert isinstance(parsed.updated_after, int)


def test_every_command_refuses_a_wrong_number_of_arguments(db_path: str) -> None:
    with Service.open(db_path) as svc:
        for cmd in REGISTRY.values():
            with pytest.raises(ValidationError, match=f"takes (.* to )?{len(cmd.params)} arg"):
                svc.call(cmd.name, *([None] * (len(cmd.params) + 1)))


def test_the_service_has_one_typed_method_per_command() -> None:
    """faces/service_methods.py is what tools/service_methods.py makes of the registry
    today (run ``python -m tools.service_methods`` after changing the registry)."""
    from tools import service_methods

    assert service_methods.TARGET.read_text(encoding="utf-8") == service_methods.render()
    from ait42_session.faces.service import Service

    assert {n for n in REGISTRY if callable(getattr(Service, n, None))} == set(REGISTRY)


def test_each_session_operation_is_written_once_and_listed_as_two_commands() -> None:
    """README's recipe, "Adding a session operation", still holds: an operation is
    its SQL (store/repository.py), its legacy-file edit (legacy/json_store.py) and
    one command (faces/sessions.py, in OPERATIONS); the registry makes its two
    names of it, and the page's table and the README list both."""
    import ast

    from ait42_session.faces import sessions

    js = _table((ROOT / "frontend" / "js" / "invoke.js").read_text(encoding="utf-8"),
                "export const COMMANDS")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = set()
    for fn, writes in sessions.OPERATIONS:
        name = fn.__name__
        names |= {name, f"{name}_sqlite"}
        by_db, by_mode = REGISTRY[f"{name}_sqlite"], REGISTRY[name]
        assert by_db.run.__wrapped__ is fn and by_mode.run.__wrapped__ is fn  # type: ignore[attr-defined]
        assert by_db.params == by_mode.params and by_db.writes == by_mode.writes == writes
        assert js[name] == js[f"{name}_sqlite"], name
        assert f"| `{name}` |" in readme and f"| `{name}_sqlite` |" in readme
    recipe = readme[readme.index("**Adding a session operation**"):][:1500]
    for where in ("store/repository.py", "legacy/json_store.py", "faces/sessions.py",
                  "OPERATIONS"):
        assert where in recipe, where
    # Defined once: no store, router or command module writes an operation again.
    package = ROOT / "backend" / "ait42_session"
    defined: dict[str, list[str]] = {}
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names:
                defined.setdefault(str(path.relative_to(package)), []).append(node.name)
    assert {where: sorted(fns) for where, fns in defined.items()} == {
        "store/repository.py": sorted(fn.__name__ for fn, _ in sessions.OPERATIONS),
        "faces/sessions.py": sorted(fn.__name__ for fn, _ in sessions.OPERATIONS),
        "faces/service_methods.py": sorted(names),  # generated from the registry
    }
