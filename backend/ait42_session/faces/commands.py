"""The commands, each a plain function of a ``Context`` and its arguments.

Each validates nothing itself (its annotations, ``shape.arguments``, become
its pydantic model in ``command``) and hands its work to the layer that owns
it: the database (``store``), the storage modes (``legacy.storage``), search
and insights (``derived``), the import (``legacy.importer``). ``service``'s
table lists them; ``sessions`` holds the seven session operations, ``keep``
the keeping commands (trash, backups, export).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import Strict

from ait42_session.derived import catchup, insights, search, search_index
from ait42_session.faces.context import Context
from ait42_session.legacy import consistency
from ait42_session.legacy.importer.options import options_from_json
from ait42_session.shape import arguments as a
from ait42_session.shape.errors import ValidationError
from ait42_session.store import board, records, repository
from ait42_session.store.columns import Json

# -- the database (the session operations are in ``sessions``) --------------------

async def get_database_stats(ctx: Context) -> Json:
    """Counts, sizes and the database's path."""
    return await ctx.db.read_one(repository.database_stats, ctx.db.path)


async def optimize_database(ctx: Context) -> None:
    """Rebuild derived data a check finds out of step (in the background), merge
    the search index, refresh statistics, give deleted space back, truncate the WAL."""
    if await ctx.db.write(catchup.verify):
        await ctx.db.write(catchup.rebuild)
        ctx.derived.poke()
    await ctx.db.write(search_index.optimize_index)
    await ctx.db.write_outside_transaction(repository.optimize)


async def verify_database_integrity(ctx: Context) -> bool:
    """True when the integrity and foreign-key checks find nothing and the
    derived data (search index, insights rows) is in step with the sessions."""
    # No read transaction: on a damaged file its COMMIT would fail again.
    if not await ctx.db.read_outside_transaction(repository.verify):
        return False
    # FTS5's own check is an INSERT: it needs the writer (it changes nothing).
    return not await ctx.db.write(catchup.verify)


# -- the board -----------------------------------------------------------------------

async def list_workspaces(ctx: Context) -> list[Json]:
    """The workspaces the database knows, most recently used first, with counts and
    ``lastActivity`` (the newest session's ``updatedAt``, null when none)."""
    return await ctx.db.read_one(board.list_workspaces)


async def list_session_summaries(ctx: Context, workspace_path: a.WorkspaceArg,
                                 query: a.BoardQueryArg) -> Json:
    """A page of the board: summaries (no output, no chat), filtered and sorted.

    ``query`` (or null): ``{status?, type?, text?, sort?, limit?, cursor?, archived?}``;
    ``archived``: ``exclude`` (default), ``include`` or ``only``; and the Insights view's
    ``{agent?, runtime?, model?, instanceStatus?, won?, createdAfter?, createdBefore?}``.
    """
    q = query
    figures = insights.board_filter(q)
    if figures:  # they read the insights rows: derived data, caught up first
        await ctx.derived.before_read()
    return await ctx.db.read(board.list_session_summaries, workspace_path, q.status,
                             q.type, q.text or None, q.sort, q.limit, q.cursor, q.sessionIds,
                             q.archived, figures)


def get_metrics(ctx: Context) -> Json:
    """Per command since start: count, errors by code, p50/p95/p99 latency in ms."""
    return {"commands": ctx.metrics.snapshot()}


# -- search ---------------------------------------------------------------------------

async def search_sessions(ctx: Context, query: search.QueryArg,
                          options: a.SearchOptionsArg) -> Json:
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


async def build_search_index(ctx: Context, batch: search.BatchArg) -> Json:
    """Bring the derived data (search index, insights) up to date with up to
    ``batch`` changed sessions: ``{indexed, pending}``; call until ``pending`` is 0
    (the background does the same by itself)."""
    indexed = await ctx.derived.run_until_current(limit=batch)
    return {"indexed": indexed, "pending": await ctx.db.read_one(catchup.pending)}


# -- the storage mode (json | dual | sqlite) of the JSON-era commands ---------------

async def get_storage_mode(ctx: Context) -> Json:
    """``{mode: json|dual|sqlite, sessionsDir}``: what backs the JSON-era commands."""
    return await ctx.storage.describe()


async def set_storage_mode(ctx: Context, mode: a.StorageMode) -> Json:
    """Switch the storage mode; ``{mode, previous, sessionsDir}``."""
    return await ctx.storage.set_mode(mode)


# -- the legacy import, its consistency check, workspace binding ---------------------

def start_import(ctx: Context, source_dir: a.AnyJson, options: a.AnyJson) -> Json:
    """Start importing a folder of legacy files in the background; ``{jobId}`` at once.

    ``source_dir``: a folder, or null for ``~/.ait42/sessions``. ``options`` (or
    null): ``{workspaces?: [path], mapping?: path, dryRun?, overwrite?, noBackup?}``.
    Poll ``get_import_status(jobId)``.
    """
    return ctx.jobs.start(options_from_json(source_dir, options))


def get_import_status(ctx: Context, job_id: a.Text) -> Json:
    """``{jobId, state: running|done|failed, filesDone, filesTotal, sessionsDone,
    sessionsTotal, rate, etaSeconds, ..., summary? (done), error? (failed)}``."""
    return ctx.jobs.status(job_id)


def cancel_import(ctx: Context, job_id: a.Text) -> Json:
    """Ask a running import to stop after its current file; returns its status."""
    return ctx.jobs.cancel(job_id)


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


async def bind_workspace(ctx: Context, workspace_hash: a.WorkspaceHash,
                         path: a.WorkspaceArg) -> Json:
    """Give a workspace imported under its hash alone its real path (hashes must match)."""
    if path.hash != workspace_hash:
        raise ValidationError(
            f"{path.path} hashes to {path.hash}, not {workspace_hash}: it is not the folder "
            "whose sessions are in that file (the hash is of the folder's path when the "
            "sessions were made)")
    return await ctx.db.write(records.bind_workspace, path)


# -- derived reads and live streaming -----------------------------------------------

async def get_insights(ctx: Context, options: a.InsightsOptionsArg) -> Json:
    """Per agent, runtime and model: instances, wins, decided, completed, failed,
    median duration, lines; sessions per ISO week by type.

    ``options`` (or null): ``{workspacePath?, type?, updatedAfter?, updatedBefore?}``.
    Reflects every write that has returned; ``pending: n`` while a bulk backlog waits.
    """
    waiting = await ctx.derived.before_read()
    found = await ctx.db.read(insights.insights, options)
    if waiting:
        found["pending"] = waiting
    return found


async def changes_since(ctx: Context, token: a.ChangeToken, wait_ms: a.WaitMs) -> Json:
    """Sessions changed after ``token`` (from the last answer; null: just the token).

    Answers at once when something changed, else when something does, else after
    ``wait_ms`` (0 to 60,000) with no changes. ``{token, changes: [{sessionId,
    workspaceHash, kind: upserted|deleted}], reset}``; ``reset``: reload everything.
    """
    return await ctx.feed.since(token, wait_ms / 1000)


async def append_instance_output(ctx: Context, workspace_path: a.WorkspaceArg,
                                 session_id: a.Text, instance_id: a.InstanceId,
                                 text: a.OutputText) -> Json:
    """Append ``text`` to an instance's output; ``{outputLength}`` in characters after it."""
    return await ctx.storage.append_output(workspace_path, session_id, instance_id, text)


#: true, false or null (only JSON's own booleans: "yes" or 1 is a VALIDATION error).
SampleChoice = Annotated[bool | None, Strict()]


async def use_sample_history(ctx: Context, sample: SampleChoice = None) -> Json:
    """Show the sample history (``true``: a made-up history in its own database,
    ``sample/sessions.db`` beside this one, written on first use), go back to this
    database (``false``), or only say which is shown (null); ``{sample, path,
    ownPath, samplePath}``. Nothing of the sample is ever written into this database."""
    return await ctx.places.use(sample)
