"""The differences between two sessions, field by field: ``field_diff``.

What the consistency check, the dual write's pick-up and the import's read-back
report when a session's two forms disagree. Imports nothing of the package.
"""

from __future__ import annotations

import json
from typing import Any

Json = dict[str, Any]

MAX_SHOWN = 200  # characters of a value shown in a difference


def _shown(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_SHOWN:
        return value[:MAX_SHOWN] + f"... ({len(value)} characters)"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        if len(text) > MAX_SHOWN:
            return text[:MAX_SHOWN] + f"... ({len(text)} characters)"
    return value


_MISSING = object()


def _keyed(items: list[Any], key: str) -> dict[Any, Any] | None:
    """Index a list of objects by ``key`` when every item has a distinct one."""
    out: dict[Any, Any] = {}
    for item in items:
        if not isinstance(item, dict) or key not in item or item[key] in out:
            return None
        out[item[key]] = item
    return out


def field_diff(json_value: Any, db_value: Any, path: str = "") -> list[Json]:
    """The differences between two normalized sessions, as ``{field, json, database}``.

    Instances are matched by ``instanceId`` and chat messages by ``id``, so a
    changed status names ``instances[instanceId=1].status``, not a shifted index.
    """
    out: list[Json] = []
    _diff(json_value, db_value, path, out)
    return out


def _diff(a: Any, b: Any, path: str, out: list[Json]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            _diff(a.get(key, _MISSING), b.get(key, _MISSING), sub, out)
        return
    if isinstance(a, list) and isinstance(b, list):
        for key in ("instanceId", "id"):
            ka, kb = _keyed(a, key), _keyed(b, key)
            if ka is not None and kb is not None and (a or b):
                for k in list(ka) + [k for k in kb if k not in ka]:
                    _diff(ka.get(k, _MISSING), kb.get(k, _MISSING), f"{path}[{key}={k}]", out)
                if [x[key] for x in a] != [x[key] for x in b] and set(ka) == set(kb):
                    out.append({"field": f"{path} (order)", "json": [x[key] for x in a],
                                "database": [x[key] for x in b]})
                return
        if len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                _diff(x, y, f"{path}[{i}]", out)
            return
    if a is _MISSING or b is _MISSING or a != b or type(a) is not type(b):
        out.append({
            "field": path,
            "json": "(absent)" if a is _MISSING else _shown(a),
            "database": "(absent)" if b is _MISSING else _shown(b),
        })
