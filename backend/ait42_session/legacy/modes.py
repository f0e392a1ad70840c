"""The storage modes' names and what each mode's store offers (``SessionStore``).

``legacy.storage.Storage`` picks one of these stores per command; a session
operation (``faces.sessions``) is written once over any of them. Imports nothing
of the package at run time, so a command needs only this to name its store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from ait42_session.legacy.json_store import Op
    from ait42_session.shape.workspace import Workspace

MODES: tuple[str, ...] = ("json", "dual", "sqlite")
DEFAULT_MODE = "json"
MODE_KEY = "storage_mode"

T = TypeVar("T")
Sql = Callable[..., Awaitable[T]]  # a store.repository operation: (conn, ws, *args)


class SessionStore(Protocol):
    """What each storage mode offers: a session operation, given its SQL and its
    legacy-file form, run the way this store keeps sessions."""

    async def read(self, sql: Sql[T], from_file: Callable[..., T], ws: Workspace,
                   *args: Any, single: bool = False) -> T: ...

    async def write(self, sql: Sql[T], edit: Callable[..., Op], ws: Workspace,
                    *args: Any) -> T: ...
