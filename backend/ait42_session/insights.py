"""Which agent wins: counts per agent, runtime and model, and sessions per week.

``get_insights`` (``../shared/CONTRACT.md``, "Insights") is answered inside
SQLite: one statement groups the instances of the chosen sessions three ways
(agent, runtime, model) and takes each group's median duration with window
functions; a second one counts the sessions per ISO week. No session is built
as JSON, so 100,000 sessions cost what scanning their narrow columns costs
(``tools/insights_bench.py``). Trashed sessions have left the ``sessions``
table, so they never count.

Durations come from the instances' ``startTime`` / ``endTime`` text, read by
SQLite's ``julianday`` (millisecond precision; offsets and any number of
fraction digits are understood). A few forms that Python's parser accepts
and SQLite's does not (``+0530``, ``,5`` fractions, week dates) would be lost
that way, so the statement also counts the instances whose times SQLite could
not read; when there are any, the medians are taken again in Python from the
exact parse of every instance's times (``_exact_medians``).
"""

# No ``from __future__ import annotations``: the registry resolves the command's
# annotations with ``commands``' globals, which do not hold ``InsightsOptionsArg``.
from collections import defaultdict
from typing import Annotated, Any

import aiosqlite
from pydantic import BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

from . import models, workspace
from .arguments import BoardQuery, Options
from .commands import Context, command
from .repository import Json

DIMENSIONS = ("agents", "runtimes", "models")
KEYS = ("agentName", "runtime", "model")
TYPES = models.SESSION_TYPES
UNKNOWN = "unknown"
_DAY_US = 86_400_000_000


def _blank_is_none(value: object) -> object:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _timestamp_key(value: object) -> object:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"must be an RFC 3339 date-time string, got {value!r}")
    return models.timestamp_key(value)  # ValueError names the expected form


class InsightsOptions(Options):
    """``get_insights`` options: every one optional; a key it does not know is an error.

    ``workspacePath`` null, absent or blank: every workspace. ``updatedAfter``
    is inclusive and ``updatedBefore`` exclusive, as in ``search_sessions``.
    """

    model_config = ConfigDict(alias_generator=to_camel, validate_by_alias=True,
                              validate_by_name=False)

    workspace_path: Annotated[workspace.Workspace | None,
                              BeforeValidator(lambda v: None if _blank_is_none(v) is None
                                              else workspace.resolve(v))] = None
    type: Annotated[models.SessionType | None, BeforeValidator(_blank_is_none)] = None
    updated_after: Annotated[int | None, BeforeValidator(_timestamp_key)] = None
    updated_before: Annotated[int | None, BeforeValidator(_timestamp_key)] = None


InsightsOptionsArg = Annotated[InsightsOptions,
                               BeforeValidator(lambda v: {} if v is None else v)]


# Rows of (agent, runtime, model) groups met among the chosen sessions'
# instances, with the counts and every duration in milliseconds, read through
# the covering indexes of migration 6. Runtime and model come raw (NULL, '' and
# a name); ``insights`` folds them into the contract's names.
_AGGREGATES = """
       count(*), sum(s.winner_id IS NOT NULL AND i.instance_id = s.winner_id),
       sum(s.winner_id IS NOT NULL), sum(i.status = 'completed'), sum(i.status = 'failed'),
       sum(coalesce(i.lines_added, 0)), sum(coalesce(i.lines_deleted, 0)),
       sum(i.start_time IS NOT NULL AND i.end_time IS NOT NULL),
       group_concat(CAST(round((julianday(i.end_time) - julianday(i.start_time))
                               * 86400000.0) AS INTEGER))"""

# One workspace: its sessions, then their instances; SQLite sorts to group.
_BY_SESSION = (
    "SELECT i.agent_name, i.runtime, coalesce(nullif(i.model, ''), s.model)," + _AGGREGATES
    + " FROM sessions s INDEXED BY idx_sessions_insights"
    " JOIN instances i INDEXED BY idx_instances_insights ON i.session_id = s.id"
    " WHERE {where} GROUP BY 1, 2, 3")

# Every workspace: instances in (agent, runtime, model) order, grouped as they
# are read, no sort; only those without a model of their own are sorted, by
# their session's model.
_BY_AGENT = (
    "SELECT i.agent_name, i.runtime, i.model," + _AGGREGATES
    + " FROM instances i INDEXED BY idx_instances_insights_agent"
    " JOIN sessions s INDEXED BY idx_sessions_insights_id ON s.id = i.session_id"
    " WHERE {where} AND i.model <> '' GROUP BY i.agent_name, i.runtime, i.model"
    " UNION ALL SELECT i.agent_name, i.runtime, s.model," + _AGGREGATES
    + " FROM instances i INDEXED BY idx_instances_insights_agent"
    " JOIN sessions s INDEXED BY idx_sessions_insights_id ON s.id = i.session_id"
    " WHERE {where} AND (i.model IS NULL OR i.model = '')"
    " GROUP BY i.agent_name, i.runtime, s.model")

_TIMES = """
SELECT i.agent_name, i.runtime, coalesce(nullif(i.model, ''), s.model), i.start_time, i.end_time
FROM sessions s INDEXED BY idx_sessions_insights
JOIN instances i INDEXED BY idx_instances_insights ON i.session_id = s.id
WHERE {where} AND i.start_time IS NOT NULL AND i.end_time IS NOT NULL
"""

# Days since the epoch, floored (SQLite's integer division truncates toward 0),
# then back to that week's Monday: 1970-01-01 was a Thursday (3 days after one).
_DAY = f"((created_key - (((created_key % {_DAY_US}) + {_DAY_US}) % {_DAY_US})) / {_DAY_US})"
_WEEKS = (
    "SELECT date(monday * 86400, 'unixepoch'), count(*),"
    + ",".join(f" sum(type = '{t}')" for t in TYPES)
    + f" FROM (SELECT {_DAY} - ((({_DAY} + 3) % 7) + 7) % 7 AS monday, type"
    " FROM sessions s INDEXED BY idx_sessions_insights WHERE {where})"
    " GROUP BY monday ORDER BY monday"
)
_COUNTS = ("instances", "wins", "decided", "completed", "failed", "linesAdded", "linesDeleted")


def _where(opts: InsightsOptions) -> tuple[str, list[Any]]:
    where, params = ["1"], []
    for sql, value in (("workspace_hash = ?", opts.workspace_path and opts.workspace_path.hash),
                       ("type = ?", opts.type), ("updated_key >= ?", opts.updated_after),
                       ("updated_key < ?", opts.updated_before)):
        if value is not None:
            where.append(f"s.{sql}")
            params.append(value)
    return " AND ".join(where), params


def _milliseconds(start: str, end: str) -> int | None:
    try:
        delta = models.timestamp_key(end) - models.timestamp_key(start)
    except ValueError:  # stored before validation was this strict: no duration
        return None
    return round(delta / 1000)


async def _exact_durations(conn: aiosqlite.Connection, where: str, params: list[Any],
                           ) -> dict[tuple[str, str, str], list[int]]:
    """Every (agent, runtime, model)'s durations from Python's parse of the times."""
    found: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for agent, runtime, model, start, end in await conn.execute_fetchall(
            _TIMES.format(where=where), params):
        ms = _milliseconds(start, end)
        if ms is not None:
            found[(agent, _name(runtime), _name(model))].append(ms)
    return found


def _median_seconds(runs: list[list[int]]) -> float | None:
    """The median in seconds of sorted runs of milliseconds (timsort merges the runs
    in about linear time); exact to the half millisecond."""
    values = sorted([v for run in runs for v in run]) if len(runs) > 1 else (runs or [[]])[0]
    n = len(values)
    if not n:
        return None
    middle = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    return middle / 1000


def _name(value: str | None) -> str:
    return value if value else UNKNOWN  # none, or blank: "unknown"


async def insights(conn: aiosqlite.Connection, opts: InsightsOptions) -> Json:
    """The contract's insights over the sessions ``opts`` chooses (one read snapshot)."""
    where, params = _where(opts)
    plan = _BY_AGENT if opts.workspace_path is None else _BY_SESSION
    raw = await conn.execute_fetchall(plan.format(where=where),
                                      params * 2 if plan is _BY_AGENT else params)
    # (agent, runtime, model) -> counts, timed instances, sorted runs of durations
    groups: dict[tuple[str, str, str], tuple[list[int], int, list[list[int]]]] = {}
    for r in raw:
        names = (r[0], _name(r[1]), _name(r[2]))
        counts, timed, runs = groups.setdefault(names, ([0] * len(_COUNTS), 0, []))
        for k, value in enumerate(r[3:10]):
            counts[k] += value
        groups[names] = (counts, timed + r[10],
                       runs + ([sorted(map(int, r[11].split(",")))] if r[11] else []))
    if any(timed != sum(map(len, runs)) for _c, timed, runs in groups.values()):
        # times SQLite's date functions could not read: take them all from Python's parse
        exact = await _exact_durations(conn, where, params)
        groups = {k: (c, t, [sorted(exact.get(k, []))]) for k, (c, t, _r) in groups.items()}
    result: Json = {}
    for dim, (name, key) in enumerate(zip(DIMENSIONS, KEYS, strict=True)):
        totals: dict[str, list[int]] = {}
        runs_of: dict[str, list[list[int]]] = defaultdict(list)
        for names, (counts, _timed, runs) in groups.items():
            total = totals.setdefault(names[dim], [0] * len(_COUNTS))
            for k, value in enumerate(counts):
                total[k] += value
            runs_of[names[dim]].extend(runs)
        ordered = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
        result[name] = [{key: g, **dict(zip(_COUNTS, total, strict=True)),
                         "medianDurationSeconds": _median_seconds(runs_of[g])}
                        for g, total in ordered]
    weeks = [{"weekStart": w[0], "sessions": w[1], **dict(zip(TYPES, w[2:], strict=True))}
             for w in await conn.execute_fetchall(_WEEKS.format(where=where), params)]
    return {"sessions": sum(w["sessions"] for w in weeks), **result, "weeks": weeks}


def board_filter(q: BoardQuery) -> list[tuple[str, list[Any]]]:
    """The board's conditions for the sessions behind an Insights figure.

    Sessions with an instance that matches every given part, counted the way
    ``get_insights`` counts: "unknown" runtime is none or blank, the model is
    the instance's, else the session's; ``won``: that instance is the winner.
    """
    found: list[tuple[str, list[Any]]] = []
    inner, params = [], []
    if q.agent is not None:
        inner.append("i.agent_name = ?")
        params.append(q.agent)
    if q.runtime is not None:
        inner.append("coalesce(nullif(i.runtime, ''), 'unknown') = ?")
        params.append(q.runtime)
    if q.model is not None:
        inner.append("coalesce(nullif(i.model, ''), nullif(sessions.model, ''), 'unknown') = ?")
        params.append(q.model)
    if q.instance_status is not None:
        inner.append("i.status = ?")
        params.append(q.instance_status)
    if q.won is not None:
        inner.append(("" if q.won else "NOT ") + "coalesce(i.instance_id = sessions.winner_id, 0)")
    if inner:
        found.append(("EXISTS (SELECT 1 FROM instances i WHERE i.session_id = sessions.id AND "
                      + " AND ".join(inner) + ")", params))
    if q.created_after is not None:
        found.append(("created_key >= ?", [models.timestamp_key(q.created_after)]))
    if q.created_before is not None:
        found.append(("created_key < ?", [models.timestamp_key(q.created_before)]))
    return found


@command(writes=False)
async def get_insights(ctx: Context, options: InsightsOptionsArg) -> Json:
    """Per agent, runtime and model: instances, wins, decided, completed, failed,
    median duration, lines; sessions per ISO week by type.

    ``options`` (or null): ``{workspacePath?, type?, updatedAfter?, updatedBefore?}``.
    """
    return await ctx.db.read(insights, options)


def format_table(result: Json) -> str:
    """The insights as aligned text tables (the command line without ``--json``)."""
    lines = [f"{result['sessions']:,} session(s)"]
    heads = ("instances", "wins", "decided", "win rate", "completed", "failed", "median",
             "+lines", "-lines")
    for name, key in zip(DIMENSIONS, KEYS, strict=True):
        groups = result[name]
        lines.append("")
        width = max([len(key), *(len(str(g[key])) for g in groups)])
        lines.append(f"{key:<{width}}  " + "  ".join(f"{h:>9}" for h in heads))
        for g in groups:
            rate = f"{100 * g['wins'] / g['decided']:.0f}%" if g["decided"] else "-"
            median = g["medianDurationSeconds"]
            cells = (g["instances"], g["wins"], g["decided"], rate, g["completed"], g["failed"],
                     "-" if median is None else f"{median:,.1f}s", g["linesAdded"],
                     g["linesDeleted"])
            lines.append(f"{g[key]:<{width}}  " + "  ".join(
                f"{c:>9,}" if isinstance(c, int) else f"{c:>9}" for c in cells))
        if not groups:
            lines.append("(none)")
    lines.append("")
    lines.append(f"{'week of':<10}  {'sessions':>8}  " + "  ".join(f"{t:>11}" for t in TYPES))
    for w in result["weeks"]:
        lines.append(f"{w['weekStart']:<10}  {w['sessions']:>8,}  "
                     + "  ".join(f"{w[t]:>11,}" for t in TYPES))
    return "\n".join(lines)
