"""The bridge: the registry's commands as the sealed ``js_api`` object pywebview sees.

pywebview calls each method on a new thread and resolves any dotted path from
the ``js_api`` object with ``getattr`` (``shared/notes/pywebview.md``): a public
attribute, or a private one such as ``_service.close``, would be callable from
the page. So a ``Bridge`` is sealed. Each command reached by name is a bound
method whose ``__func__`` and ``__self__`` yield nothing and refuse calls
without a private token, and pywebview's own code can read no other attribute.
Everything else (validation, the event loop, metrics) is the ``Service``'s.
"""

from __future__ import annotations

import inspect
import os
import types
from typing import TYPE_CHECKING, Any

from ait42_session.faces.service import COMMANDS, REGISTRY, Service
from ait42_session.shape.errors import ValidationError
from ait42_session.store.db import BUSY_TIMEOUT_MS

__all__ = ["COMMANDS", "Bridge"]


class _Sealed:
    """A callable whose attributes cannot be read: pywebview's paths stop here."""

    __slots__ = ("_call", "_name")

    def __init__(self, name: str, call: Any) -> None:
        object.__setattr__(self, "_call", call)
        object.__setattr__(self, "_name", name)

    def __getattribute__(self, name: str) -> Any:
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(name)

    def __call__(self, *token_and_args: Any, **kwargs: Any) -> Any:
        get = object.__getattribute__
        if not token_and_args or token_and_args[0] is not _TOKEN:
            # Reached as `command.__func__` by a dotted path: the page can send
            # only JSON, never the token, so this refuses every such call.
            raise AttributeError("not a command")
        if kwargs:
            raise ValidationError(
                f"{get(self, '_name')} takes positional arguments only, in the contract's order")
        return get(self, "_call")(get(self, "_name"), *token_and_args[1:])


class _Token:
    """The ``__self__`` of a sealed command: nothing to read, nothing to call."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        raise AttributeError(name)


_TOKEN = _Token()


def _asked_by_webview() -> bool:
    """Whether the attribute read two frames up comes from pywebview's code."""
    frame = inspect.currentframe()
    asker = frame.f_back.f_back if frame is not None and frame.f_back is not None else None
    name = str(asker.f_globals.get("__name__", "")) if asker is not None else ""
    return name.split(".")[0] == "webview"


class Bridge:
    """The commands of ``shared/CONTRACT.md``; open with ``Bridge.open(db_path)``."""

    _service: Service
    _sealed: dict[str, Any]

    def __init__(self, service: Service) -> None:
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_sealed", {
            name: types.MethodType(_Sealed(name, service.call), _TOKEN) for name in REGISTRY
        })

    @classmethod
    def open(cls, db_path: str | os.PathLike[str] | None = None, *,
             sessions_dir: str | os.PathLike[str] | None = None,
             busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Bridge:
        """Open a ``Service`` (see ``Service.open``) behind a sealed bridge."""
        return cls(Service.open(db_path, sessions_dir=sessions_dir,
                                busy_timeout_ms=busy_timeout_ms))

    def close(self) -> None:
        """Close the service behind the bridge; safe to call more than once."""
        self._service.close()

    def __enter__(self) -> Bridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    if TYPE_CHECKING:  # the commands are made from the registry; each returns JSON
        def __getattr__(self, name: str) -> Any: ...
    else:

        def __getattribute__(self, name: str) -> Any:
            if name in REGISTRY:
                return object.__getattribute__(self, "_sealed")[name]
            if _asked_by_webview():
                raise AttributeError(name)
            return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Bridge attributes are read-only ({name})")

    def __dir__(self) -> list[str]:
        return list(COMMANDS)
