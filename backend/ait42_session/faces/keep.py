"""The commands of issue 11: archive, trash, backups, export and import.

Listed in the one registry (``service``'s ``REGISTRY``) like every other
command; the work itself is in ``keeping`` (trash, bundle) and ``store.backups``.
"""

from typing import Annotated, Literal

import pydantic
from pydantic import BeforeValidator, Field, Strict

from ait42_session.faces.context import Context
from ait42_session.keeping import bundle, trash
from ait42_session.legacy.json_store import op_put
from ait42_session.shape import arguments as a
from ait42_session.shape import workspace
from ait42_session.shape.arguments import describe_errors
from ait42_session.shape.errors import ValidationError
from ait42_session.shape.workspace import Workspace
from ait42_session.store import backups, repository
from ait42_session.store.columns import Json


def _any_workspace(value: object) -> Workspace | None:
    return None if value is None else workspace.resolve(value)


def _path(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise ValueError(f"must be a file path, got {value!r}")
    return value


AnyWorkspace = Annotated[Workspace | None, BeforeValidator(_any_workspace)]
SessionIds = Annotated[list[a.Text] | None, Field(max_length=100_000)]
TrashId = Annotated[int, Strict(), Field(ge=1)]
TrashIds = Annotated[list[TrashId] | None, Field(max_length=100_000)]
FilePath = Annotated[str, BeforeValidator(_path)]
OptionalFilePath = Annotated[str | None, BeforeValidator(lambda v: v if v is None else _path(v))]
Flag = Annotated[bool, Strict()]
Format = Literal["json", "markdown", "html"]


class Selection(a.Options):
    """What ``export_sessions`` writes: empty is every live, unarchived session."""

    workspace_path: Annotated[AnyWorkspace, Field(alias="workspacePath")] = None
    session_ids: Annotated[SessionIds, Field(alias="sessionIds")] = None
    include_archived: Annotated[bool, Field(alias="includeArchived")] = False


class ImportOptions(a.Options):
    """How ``import_bundle`` merges."""

    overwrite: bool = False
    dry_run: Annotated[bool, Field(alias="dryRun")] = False


class ExportOptions(a.Options):
    """How ``export_sessions`` treats an existing file (absent or null: replace it)."""

    replace: Flag = True


SelectionArg = Annotated[Selection, a.NULL_IS_EMPTY]
ImportOptionsArg = Annotated[ImportOptions, a.NULL_IS_EMPTY]


# -- archive and trash ---------------------------------------------------------------

async def archive_session(ctx: Context, workspace_path: a.WorkspaceArg, session_id: a.Text,
                          archived: Flag) -> Json:
    """Set (true) or clear (false) the session's ``archivedAt``; returns the session."""
    return await ctx.db.write(trash.archive_session, workspace_path, session_id, archived)


async def list_trash(ctx: Context, workspace_path: AnyWorkspace) -> list[Json]:
    """Trashed sessions of the workspace (null: every workspace), newest first."""
    return await ctx.db.read_one(trash.list_trash, workspace_path)


async def restore_session(ctx: Context, workspace_path: a.WorkspaceArg,
                          session_id: a.Text, trash_id: TrashId | None = None) -> Json:
    """Bring a trashed copy back whole: the one ``trash_id`` names (from ``list_trash``;
    absent or null: the newest); CONFLICT when a live session has the id."""
    return await ctx.storage.restore_session(trash.restore_session, op_put, workspace_path,
                                             session_id, trash_id)


async def purge_trash(ctx: Context, workspace_path: AnyWorkspace,
                      session_ids: SessionIds, trash_ids: TrashIds = None) -> Json:
    """Destroy trashed sessions for good (nulls: everything); ``trash_ids`` (absent or
    null: every copy) names single copies, NOT_FOUND unless all are there; backs up
    first; ``{purged}``."""
    async with ctx.db.writing() as conn:
        if await trash.count_purgeable(conn, workspace_path, session_ids, trash_ids) == 0:
            return {"purged": 0}
        # Taken on a reader while this transaction holds the write lock: the
        # backup has exactly what is about to be purged.
        await backups.before(ctx.db, "purge")
        return await trash.purge(conn, workspace_path, session_ids, trash_ids)


# -- backups -------------------------------------------------------------------------

async def create_backup(ctx: Context, path: OptionalFilePath) -> Json:
    """A consistent copy of the whole database; ``{path, sizeBytes, createdAt}``."""
    return await backups.create(ctx.db, path)


def list_backups(ctx: Context) -> list[Json]:
    """Backups in the backups folder, newest first: ``{path, sizeBytes, createdAt, reason,
    automatic}``."""
    return backups.list_backups(ctx.db.path)


async def restore_backup(ctx: Context, path: FilePath) -> Json:
    """Check the file, back the current database up, replace it; the restored stats."""
    await backups.restore(ctx.db, path)
    return await ctx.db.read_one(repository.database_stats, ctx.db.path)


# -- export and import ---------------------------------------------------------------

async def export_sessions(ctx: Context, selection: SelectionArg, format: Format,
                          path: FilePath, options: ExportOptions | None = None) -> Json:
    """Write sessions to one file (json bundle, markdown, html); ``{path, format, sessions,
    bytes}``. ``options`` (or null): ``{replace?}``; false: CONFLICT when the file exists."""
    sel = selection
    return await bundle.export(ctx.db, sel.workspace_path, sel.session_ids,
                               sel.include_archived, format, path,
                               replace=options is None or options.replace)


async def import_bundle(ctx: Context, path: FilePath, options: ImportOptionsArg) -> Json:
    """Merge a JSON bundle by session id; ``{read, written, unchanged, skipped, problems}``."""
    return await bundle.import_bundle(ctx.db, path, options.overwrite, options.dry_run)


def selection(value: object) -> Selection:
    """A selection from a caller other than the bridge (the command line), validated alike."""
    try:
        return Selection.model_validate(value)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"selection: {describe_errors(exc)}") from None
