"""Every command, declared once: its name, arguments, what it runs, read or write.

As Tauri's handler list, this registry is both the list of what the page may
call and the allow-list: the sealed bridge (``bridge``), the plain Python
service (``service``), the page's command table (``frontend/js/invoke.js``) and
the README's command list are made from it or checked against it by tests.

A command is a function of a ``Context`` and its arguments; the argument
annotations (``arguments``) become one strict pydantic model, so validation
happens once, on the caller's thread, before anything runs. ``async`` commands
run on the store's event loop; plain ones (the import's job table, metrics)
answer on the caller's thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

import pydantic

from . import arguments as a
from . import catchup, consistency, importer, records, repository, search, storage
from .db import Database
from .errors import ValidationError
from .metrics import Metrics
from .rows import Json

if TYPE_CHECKING:
    from . import live

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Context:
    """What commands run against; one per open store."""

    db: Database
    storage: storage.Storage
    jobs: importer.ImportJobs
    metrics: Metrics
    feed: live.ChangeFeed
    derived: catchup.CatchUp
    pages: search.Pages


@dataclass(frozen=True, slots=True)
class Command:
    """One command of the registry."""

    name: str
    params: tuple[str, ...]
    model: type[pydantic.BaseModel]
    run: Callable[..., Any]
    writes: bool
    on_loop: bool  # a coroutine function, run on the event loop
    doc: str
    required: int = -1  # the leading params a caller must give (-1: all); the rest default

    def parse(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """The arguments, positional as the page sends them, validated. Trailing
        ones added to a command later may be left out (older callers)."""
        least = len(self.params) if self.required < 0 else self.required
        if not least <= len(args) <= len(self.params):
            shown = ", ".join(self.params) or "no arguments"
            count = (str(len(self.params)) if least == len(self.params)
                     else f"{least} to {len(self.params)}")
            raise ValidationError(f"{self.name} takes {count} argument(s) "
                                  f"({shown}), got {len(args)}")
        try:
            parsed = self.model.model_validate(dict(zip(self.params, args, strict=False)))
        except pydantic.ValidationError as exc:
            raise ValidationError(f"{self.name}: {describe_errors(exc)}") from None
        return {p: getattr(parsed, p) for p in self.params}


def describe_errors(exc: pydantic.ValidationError) -> str:
    """pydantic's errors in one line a person can act on (no URLs, no dumps)."""
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err.get("loc", ()))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "is not an option this command knows"
        problems.append(f"{where} {msg}" if where else msg)
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return "; ".join(problems[:5]) + more


REGISTRY: dict[str, Command] = {}


def command(*, writes: bool) -> Callable[[F], F]:
    """Register ``fn`` under its own name; its annotations type its arguments."""
    def register(fn: F) -> F:
        hints = get_type_hints(fn, globalns=vars(a) | globals(), include_extras=True)
        signature = inspect.signature(fn).parameters
        params = tuple(signature)[1:]  # after the Context
        defaults = {p: signature[p].default for p in params
                    if signature[p].default is not inspect.Parameter.empty}
        fields: dict[str, Any] = {
            p: (hints[p], pydantic.Field(defaults[p], validate_default=True) if p in defaults
                else ...) for p in params}
        model = pydantic.create_model(
            f"{fn.__name__}_arguments",
            __config__=pydantic.ConfigDict(arbitrary_types_allowed=True, extra="forbid"),
            **fields)
        REGISTRY[fn.__name__] = Command(
            name=fn.__name__, params=params, model=model, run=fn, writes=writes,
            on_loop=inspect.iscoroutinefunction(fn), doc=inspect.getdoc(fn) or "",
            required=len(params) - len(defaults))
        return fn
    return register


# -- the contract's commands ------------------------------------------------------

@command(writes=True)
async def create_session_sqlite(ctx: Context, workspace_path: a.WorkspaceArg,
                                session: a.SessionArg) -> Json:
    """Store a new session; CONFLICT when its id exists."""
    return await ctx.db.write(repository.create_session, workspace_path, session)


@command(writes=True)
async def update_session_sqlite(ctx: Context, workspace_path: a.WorkspaceArg,
                                session: a.SessionArg) -> Json:
    """Replace a stored session whole (instances and chat included)."""
    return await ctx.db.write(repository.update_session, workspace_path, session)


@command(writes=False)
async def get_session_sqlite(ctx: Context, workspace_path: a.WorkspaceArg,
                             session_id: a.Text) -> Json:
    """One whole session of the workspace."""
    return await ctx.db.read_one(repository.get_session, workspace_path, session_id)


@command(writes=False)
async def get_all_sessions_sqlite(ctx: Context, workspace_path: a.ListingArg) -> list[Json]:
    """Every session of the workspace, newest ``updatedAt`` first; [] for a blank path."""
    if workspace_path is None:
        return []
    return await ctx.db.read(repository.get_all_sessions, workspace_path)


@command(writes=True)
async def delete_session_sqlite(ctx: Context, workspace_path: a.WorkspaceArg,
                                session_id: a.Text) -> None:
    """Move a session to the trash (``restore_session`` brings it back)."""
    await ctx.db.write(repository.delete_session, workspace_path, session_id)


@command(writes=True)
async def add_chat_message_sqlite(ctx: Context, workspace_path: a.WorkspaceArg,
                                  session_id: a.Text, message: a.MessageArg) -> Json:
    """Append a chat message; the session's ``updatedAt`` becomes now."""
    return await ctx.db.write(repository.add_chat_message, workspace_path, session_id, message)


@command(writes=True)
async def update_instance_status_sqlite(ctx: Context, workspace_path: a.WorkspaceArg,
                                        session_id: a.Text, instance_id: a.InstanceId,
                                        new_status: a.InstanceStatus) -> Json:
    """Set one instance's status; the session's ``updatedAt`` becomes now."""
    return await ctx.db.write(repository.update_instance_status, workspace_path, session_id,
                              instance_id, new_status)


@command(writes=False)
async def get_database_stats(ctx: Context) -> Json:
    """Counts, sizes and the database's path."""
    return await ctx.db.read_one(repository.database_stats, ctx.db.path)


@command(writes=True)
async def optimize_database(ctx: Context) -> None:
    """Rebuild derived data a check finds out of step (in the background), merge
    the search index, refresh statistics, give deleted space back, truncate the WAL."""
    if await ctx.db.write(catchup.verify):
        await ctx.db.write(catchup.rebuild)
        ctx.derived.poke()
    await ctx.db.write(search.optimize_index)
    await ctx.db.write_outside_transaction(repository.optimize)


@command(writes=False)
async def verify_database_integrity(ctx: Context) -> bool:
    """True when the integrity and foreign-key checks find nothing and the
    derived data (search index, insights rows) is in step with the sessions."""
    # No read transaction: on a damaged file its COMMIT would fail again.
    if not await ctx.db.read_outside_transaction(repository.verify):
        return False
    # FTS5's own check is an INSERT: it needs the writer (it changes nothing).
    return not await ctx.db.write(catchup.verify)


# -- the board -----------------------------------------------------------------------

@command(writes=False)
async def list_workspaces(ctx: Context) -> list[Json]:
    """The workspaces the database knows, most recently used first, with counts and
    ``lastActivity`` (the newest session's ``updatedAt``, null when none)."""
    return await ctx.db.read_one(repository.list_workspaces)


@command(writes=False)
async def list_session_summaries(ctx: Context, workspace_path: a.WorkspaceArg,
                                 query: a.BoardQueryArg) -> Json:
    """A page of the board: summaries (no output, no chat), filtered and sorted.

    ``query`` (or null): ``{status?, type?, text?, sort?, limit?, cursor?, archived?}``;
    ``archived``: ``exclude`` (default), ``include`` or ``only``; and the Insights view's
    ``{agent?, runtime?, model?, instanceStatus?, won?, createdAfter?, createdBefore?}``.
    """
    q = query
    figures = _insights.board_filter(q)  # imported below (it imports this)
    if figures:  # they read the insights rows: derived data, caught up first
        await ctx.derived.before_read()
    return await ctx.db.read(repository.list_session_summaries, workspace_path, q.status,
                             q.type, q.text or None, q.sort, q.limit, q.cursor, q.sessionIds,
                             q.archived, figures)


@command(writes=False)
def get_metrics(ctx: Context) -> Json:
    """Per command since start: count, errors by code, p50/p95/p99 latency in ms."""
    return {"commands": ctx.metrics.snapshot()}


# -- search ---------------------------------------------------------------------------

@command(writes=False)
async def search_sessions(ctx: Context, query: search.QueryArg,
                          options: search.OptionsArg) -> Json:
    """Ranked full-text search in every workspace (or one): ``{items: [hit], nextCursor}``.

    ``query``: words (all required), ``"a phrase"``, ``-excluded``, ``prefix*``,
    ``a OR b``. ``options`` (or null): ``{workspacePath?, type?, status?,
    archived?: exclude|include|only, updatedAfter?, updatedBefore?, limit?, cursor?,
    sort?: relevance|newest}``. Reflects every write that has returned; carries
    ``pending: n`` when it answered while a bulk backlog is being indexed.
    """
    waiting = await ctx.derived.before_read()
    found = await ctx.db.read(search.run, query, options, ctx.pages, ctx.db.generation)
    if waiting:
        found["pending"] = waiting
    return found


@command(writes=True)
async def build_search_index(ctx: Context, batch: search.BatchArg) -> Json:
    """Bring the derived data (search index, insights) up to date with up to
    ``batch`` changed sessions: ``{indexed, pending}``; call until ``pending`` is 0
    (the background does the same by itself)."""
    indexed = await ctx.derived.run_until_current(limit=batch)
    return {"indexed": indexed, "pending": await ctx.db.read_one(catchup.pending)}


# -- the shell's JSON-era commands, routed by the storage mode (json | dual | sqlite) --

@command(writes=True)
async def create_session(ctx: Context, workspace_path: a.WorkspaceArg,
                         session: a.SessionArg) -> Json:
    """Store a new session in the storage mode's store(s); CONFLICT when its id exists."""
    return await ctx.storage.create_session(workspace_path, session)


@command(writes=True)
async def update_session(ctx: Context, workspace_path: a.WorkspaceArg,
                         session: a.SessionArg) -> Json:
    """Replace a stored session whole (instances and chat included)."""
    return await ctx.storage.update_session(workspace_path, session)


@command(writes=False)
async def get_session(ctx: Context, workspace_path: a.WorkspaceArg,
                      session_id: a.Text) -> Json:
    """One whole session of the workspace."""
    return await ctx.storage.get_session(workspace_path, session_id)


@command(writes=False)
async def get_all_sessions(ctx: Context, workspace_path: a.ListingArg) -> list[Json]:
    """Every session of the workspace, newest ``updatedAt`` first; [] for a blank path."""
    if workspace_path is None:
        return []
    return await ctx.storage.get_all_sessions(workspace_path)


@command(writes=True)
async def delete_session(ctx: Context, workspace_path: a.WorkspaceArg,
                         session_id: a.Text) -> None:
    """Delete a session with its instances and chat."""
    await ctx.storage.delete_session(workspace_path, session_id)


@command(writes=True)
async def add_chat_message(ctx: Context, workspace_path: a.WorkspaceArg, session_id: a.Text,
                           message: a.MessageArg) -> Json:
    """Append a chat message; the session's ``updatedAt`` becomes now."""
    return await ctx.storage.add_chat_message(workspace_path, session_id, message)


@command(writes=True)
async def update_instance_status(ctx: Context, workspace_path: a.WorkspaceArg,
                                 session_id: a.Text, instance_id: a.InstanceId,
                                 new_status: a.InstanceStatus) -> Json:
    """Set one instance's status; the session's ``updatedAt`` becomes now."""
    return await ctx.storage.update_instance_status(workspace_path, session_id, instance_id,
                                                    new_status)


@command(writes=False)
async def get_storage_mode(ctx: Context) -> Json:
    """``{mode: json|dual|sqlite, sessionsDir}``: what backs the JSON-era commands."""
    return await ctx.storage.describe()


@command(writes=True)
async def set_storage_mode(ctx: Context, mode: a.StorageMode) -> Json:
    """Switch the storage mode; ``{mode, previous, sessionsDir}``."""
    return await ctx.storage.set_mode(mode)


# -- the legacy import, its consistency check, workspace binding ---------------------

@command(writes=True)
def start_import(ctx: Context, source_dir: a.AnyJson, options: a.AnyJson) -> Json:
    """Start importing a folder of legacy files in the background; ``{jobId}`` at once.

    ``source_dir``: a folder, or null for ``~/.ait42/sessions``. ``options`` (or
    null): ``{workspaces?: [path], mapping?: path, dryRun?, overwrite?, noBackup?}``.
    Poll ``get_import_status(jobId)``.
    """
    return ctx.jobs.start(importer.options_from_json(source_dir, options))


@command(writes=False)
def get_import_status(ctx: Context, job_id: a.Text) -> Json:
    """``{jobId, state: running|done|failed, filesDone, filesTotal, sessionsDone,
    sessionsTotal, rate, etaSeconds, ..., summary? (done), error? (failed)}``."""
    return ctx.jobs.status(job_id)


@command(writes=False)
def cancel_import(ctx: Context, job_id: a.Text) -> Json:
    """Ask a running import to stop after its current file; returns its status."""
    return ctx.jobs.cancel(job_id)


@command(writes=False)
async def check_consistency(ctx: Context) -> Json:
    """Compare every workspace's JSON file with the database, field by field."""
    return await consistency_report(ctx)


async def consistency_report(ctx: Context,
                             progress: Callable[[int, int, int], None] | None = None) -> Json:
    """``check_consistency``, with ``progress(done, total, sessions)`` after each
    workspace for Python callers (the command line's progress line)."""
    st = ctx.storage
    return await consistency.check(st.db, st.sessions_dir, fallback_log=st.dual.fallback_log,
                                   progress=progress)


@command(writes=True)
async def bind_workspace(ctx: Context, workspace_hash: a.WorkspaceHash,
                         path: a.WorkspaceArg) -> Json:
    """Give a workspace imported under its hash alone its real path (hashes must match)."""
    if path.hash != workspace_hash:
        raise ValidationError(
            f"{path.path} hashes to {path.hash}, not {workspace_hash}: it is not the folder "
            "whose sessions are in that file (the hash is of the folder's path when the "
            "sessions were made)")
    return await ctx.db.write(records.bind_workspace, path)


# Commands declared beside the code they need, registered by importing them.
from . import insights as _insights  # noqa: E402  (get_insights; the board's figure filters)
from . import (  # noqa: E402
    keep,  # noqa: F401  (trash, archive, backups, export and import: issue 11)
    live,  # live streaming: changes_since, append_instance_output
)

COMMANDS: tuple[str, ...] = tuple(REGISTRY)
