"""The longest chain of module-level imports inside the package (issue 19).

    python -m tools.import_depth            # the depth and the deepest chain
    python -m tools.import_depth faces.cli  # also what these modules import

Counts ``import ait42_session...`` and ``from ait42_session... import ...``
statements at a module's top level, as Python runs them on import. Imports
under ``if TYPE_CHECKING:`` (names used only in annotations) and inside
functions are not counted: neither runs when the module is imported.
"""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "backend" / "ait42_session"


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module (dotted, without the package name) and the modules it imports."""
    names = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "(package)"
        names[name] = path
    edges: dict[str, set[str]] = {}
    for name, path in names.items():
        found: set[str] = set()
        for node in _run_on_import(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.ImportFrom) and node.module:
                base = node.module.removeprefix("ait42_session").lstrip(".")
                if node.module.startswith("ait42_session"):
                    for alias in node.names:
                        whole = f"{base}.{alias.name}" if base else alias.name
                        found.add(whole if whole in names else base or "(package)")
            elif isinstance(node, ast.Import):
                found |= {a.name.removeprefix("ait42_session.") for a in node.names
                          if a.name.startswith("ait42_session.")}
        edges[name] = {m for m in found if m in names and m != name}
    return edges


def _run_on_import(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of ``body`` that run when the module is imported: its own,
    and those of its ``try`` and ``if`` blocks, but not of ``if TYPE_CHECKING:``."""
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else (
                test.attr if isinstance(test, ast.Attribute) else "")
            if name != "TYPE_CHECKING":
                found += _run_on_import(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            found += _run_on_import(node.body + node.orelse + node.finalbody
                                    + [s for h in node.handlers for s in h.body])
        else:
            found.append(node)
    return found


def deepest(edges: dict[str, set[str]]) -> list[str]:
    """The longest chain of modules importing modules (the graph has no circle)."""
    @functools.cache
    def chain(module: str) -> tuple[str, ...]:
        below: tuple[str, ...] = ()
        for m in sorted(edges[module]):
            if len(chain(m)) > len(below):
                below = chain(m)
        return (module, *below)

    longest: tuple[str, ...] = ()
    for module in sorted(edges):
        if len(chain(module)) > len(longest):
            longest = chain(module)
    return list(longest)


def main(argv: list[str] | None = None) -> int:
    edges = graph()
    path = deepest(edges)
    print(f"{len(path)} modules deep: {' -> '.join(path)}")
    for module in argv if argv is not None else sys.argv[1:]:
        print(f"{module} imports {', '.join(sorted(edges.get(module, ()))) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
