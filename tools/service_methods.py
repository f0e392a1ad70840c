"""Write ``faces/service_methods.py``: one typed method per command of the registry.

``Service`` inherits them, so ``mypy --strict`` checks every Python caller's
command names, argument counts and result types (the page is checked by
``tests/test_registry.py``). Run ``python -m tools.service_methods`` after
changing the registry; ``tests/test_registry.py`` fails while the file is stale.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
import typing
from pathlib import Path

from ait42_session.faces.service import REGISTRY

TARGET = (Path(__file__).resolve().parents[1] / "backend" / "ait42_session" / "faces"
          / "service_methods.py")

HEADER = '''"""One typed method per command of the registry (generated: do not edit).

Made by ``python -m tools.service_methods`` from ``faces/service.py``'s table; each
method is ``call(name, *args)``, validated there like the page's calls.
Arguments are the JSON the page would send (``Any``); results are typed.
"""

from __future__ import annotations

from typing import Any, cast

Json = dict[str, Any]


class CommandMethods:
    """The registry's commands as methods (``Service`` provides ``call``)."""

    def call(self, name: str, *args: Any) -> Any:
        raise NotImplementedError
'''
Q = '"' * 3


def _returns(fn: typing.Callable[..., typing.Any]) -> str:
    """The command's result type as source text (``Json`` stands for dict[str, Any])."""
    text = str(inspect.signature(fn).return_annotation)
    text = text.replace("dict[str, typing.Any]", "Json").replace("typing.Any", "Any")
    return {"<class 'bool'>": "bool"}.get(text, text)


def render() -> str:
    """The module's text."""
    out = [HEADER]
    for cmd in REGISTRY.values():
        params = [f"{p}: Any" + (" = None" if k >= cmd.required >= 0 else "")
                  for k, p in enumerate(cmd.params)]
        first = " ".join(cmd.doc.split("\n\n")[0].split()) or cmd.name
        doc = textwrap.fill(first.replace(Q, "'''"), 88, initial_indent=" " * 8 + Q,
                            subsequent_indent=" " * 8) + Q
        args = "".join(f", {p}" for p in cmd.params)
        ret = _returns(cmd.run)
        call = f"self.call({cmd.name!r}{args})"
        body = call if ret == "None" else f"return cast({ret!r}, {call})"
        if len(body) + 8 > 99:
            body = body.replace(f"{cmd.name!r}, ", f"{cmd.name!r},\n            ", 1)
        head = f"    def {cmd.name}(self{''.join(', ' + p for p in params)}) -> {ret}:"
        if len(head) > 99:
            head = f"    def {cmd.name}(\n            self, {', '.join(params)},\n    ) -> {ret}:"
        out.append(f"\n{head}\n{doc}\n        {body}\n")
    return "".join(out)


def main() -> int:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
