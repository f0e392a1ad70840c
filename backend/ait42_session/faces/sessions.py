"""The seven session operations, each one command over any store.

Each function is a command of two names in the registry (``service``):
``<name>_sqlite`` runs it on the database alone (the contract's commands), and
``<name>`` (the shell's JSON-era commands) on the store the storage mode picks
when the command starts (``legacy.storage.Storage.store``): the legacy files,
both (dual write), or the database. A store is handed both forms of the
operation, its SQL (``store.repository``) and its edit of a legacy file
(``legacy.json_store``), and uses the one it keeps sessions in.

Adding an eighth operation (README, "Adding a session operation"): its SQL, its
file edit, and one function here listed in ``OPERATIONS``;
``tests/test_registry.py`` then names the rows the page's table and the
README need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ait42_session.legacy.json_store import (
    JsonSessionStore,
    op_add_message,
    op_create,
    op_delete,
    op_update,
    op_update_status,
)
from ait42_session.legacy.modes import SessionStore
from ait42_session.shape import arguments as a
from ait42_session.store import repository
from ait42_session.store.columns import Json


async def create_session(store: SessionStore, workspace_path: a.WorkspaceArg,
                         session: a.SessionArg) -> Json:
    """Store a new session; CONFLICT when its id exists."""
    return await store.write(repository.create_session, op_create, workspace_path, session)


async def update_session(store: SessionStore, workspace_path: a.WorkspaceArg,
                         session: a.SessionArg) -> Json:
    """Replace a stored session whole (instances and chat included)."""
    return await store.write(repository.update_session, op_update, workspace_path, session)


async def get_session(store: SessionStore, workspace_path: a.WorkspaceArg,
                      session_id: a.Text) -> Json:
    """One whole session of the workspace."""
    return await store.read(repository.get_session, JsonSessionStore.read_one,
                            workspace_path, session_id, single=True)


async def get_all_sessions(store: SessionStore, workspace_path: a.ListingArg) -> list[Json]:
    """Every session of the workspace, newest ``updatedAt`` first; [] for a blank path."""
    if workspace_path is None:
        return []
    return await store.read(repository.get_all_sessions, JsonSessionStore.read_all,
                            workspace_path)


async def delete_session(store: SessionStore, workspace_path: a.WorkspaceArg,
                         session_id: a.Text) -> None:
    """Delete a session: the database moves it to the trash (``restore_session``
    brings it back); the legacy file drops it."""
    await store.write(repository.delete_session, op_delete, workspace_path, session_id)


async def add_chat_message(store: SessionStore, workspace_path: a.WorkspaceArg,
                           session_id: a.Text, message: a.MessageArg) -> Json:
    """Append a chat message; the session's ``updatedAt`` becomes now."""
    return await store.write(repository.add_chat_message, op_add_message, workspace_path,
                             session_id, message)


async def update_instance_status(store: SessionStore, workspace_path: a.WorkspaceArg,
                                 session_id: a.Text, instance_id: a.InstanceId,
                                 new_status: a.InstanceStatus) -> Json:
    """Set one instance's status; the session's ``updatedAt`` becomes now."""
    return await store.write(repository.update_instance_status, op_update_status,
                             workspace_path, session_id, instance_id, new_status)


WRITES, READS = True, False

# Each operation and whether it writes (the page's live view is woken after a write).
OPERATIONS: tuple[tuple[Callable[..., Any], bool], ...] = (
    (create_session, WRITES),
    (update_session, WRITES),
    (get_session, READS),
    (get_all_sessions, READS),
    (delete_session, WRITES),
    (add_chat_message, WRITES),
    (update_instance_status, WRITES),
)
