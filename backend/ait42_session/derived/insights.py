"""Which agent wins: counts per agent, runtime and model, and sessions per week.

``get_insights`` (``../shared/CONTRACT.md``, "Insights") is answered inside
SQLite from ``insight_runs`` (migration 6): one narrow row per instance that
the catch-up (``catchup``) keeps in step with the sessions and instances, already folded
the contract's way (no runtime: "unknown"; no model: the session's, else
"unknown") and kept in (workspace, agent, runtime, model) order. One GROUP BY
reads it in that order without sorting or joining; Python then adds the
workspaces' rows together and takes each group's median from the durations
SQLite listed. A second statement counts the sessions per ISO week. No session
is built as JSON and no output is read, so 100,000 sessions cost what reading
300,000 narrow rows costs (``tools/insights_bench.py``). Trashed sessions have
left the ``sessions`` table (and their runs with them), so they never count.

Durations are ``endTime - startTime`` as SQLite's ``julianday`` reads them,
to the millisecond (offsets and any number of fraction digits are understood).
The GROUP BY lists each group's durations; Python sorts a dimension's lists
together to find its medians. RFC 3339's lowercase ``t``,
which the models accept and SQLite's date functions do not read, leaves a run
timed but without a duration; those few runs' times are read and parsed in
Python (``_unread_durations``).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import aiosqlite

from ait42_session.shape import models, timestamps
from ait42_session.store.columns import Json

if TYPE_CHECKING:  # the options come validated (``shape.arguments``, by the command)
    from ait42_session.shape.arguments import BoardQuery, InsightsOptions

DIMENSIONS = ("agents", "runtimes", "models")
KEYS = ("agentName", "runtime", "model")
TYPES = models.SESSION_TYPES
_DAY_US = 86_400_000_000


# One row per (workspace, agent, runtime, model) of the chosen runs, read from
# migration 6's ``insight_runs`` in its key order (grouped as read, no sort),
# with its durations in milliseconds.
# The sums of a group of runs (columns 3 to 10): also the catch-up's running
# totals of migration 13 (``catchup``), so both paths count alike.
RUN_SUMS = ("count(*)", "sum(won)", "sum(decided)", "sum(status = 'completed')",
            "sum(status = 'failed')", "sum(lines_added)", "sum(lines_deleted)",
            "sum(timed AND duration_ms IS NULL)")
_GROUPS = (f"SELECT agent_name, runtime, model, {', '.join(RUN_SUMS)}, group_concat(duration_ms)"
           " FROM insight_runs r WHERE {where} GROUP BY workspace_hash, agent_name, runtime, model")

# The runs whose times SQLite could not read, with the text to parse in Python.
_UNREAD = """
SELECT r.agent_name, r.runtime, r.model, i.start_time, i.end_time
FROM insight_runs r JOIN instances i ON i.session_id = r.session_id
                                     AND i.instance_id = r.instance_id
WHERE {where} AND r.timed AND r.duration_ms IS NULL
"""

# Days since the epoch, floored (SQLite's integer division truncates toward 0),
# then back to that week's Monday: 1970-01-01 was a Thursday (3 days after one).
_DAY = f"((created_key - (((created_key % {_DAY_US}) + {_DAY_US}) % {_DAY_US})) / {_DAY_US})"
_MONDAY = f"({_DAY} - ((({_DAY} + 3) % 7) + 7) % 7)"
_PER_TYPE = ",".join(f" sum(type = '{t}')" for t in TYPES)
# The sessions' narrow index only, grouped by week with a sort (100,000
# sessions: about 50 ms).
_WEEKS = (f"SELECT date(monday * 86400, 'unixepoch'), count(*),{_PER_TYPE}"
          f" FROM (SELECT {_MONDAY} AS monday, type"
          " FROM sessions r INDEXED BY idx_sessions_insights WHERE {where})"
          " GROUP BY monday ORDER BY monday")
_COUNTS = ("instances", "wins", "decided", "completed", "failed", "linesAdded", "linesDeleted")


def _where(opts: InsightsOptions) -> tuple[str, list[Any]]:
    where, params = ["1"], []
    for sql, value in (("workspace_hash = ?", opts.workspace_path and opts.workspace_path.hash),
                       ("type = ?", opts.type), ("updated_key >= ?", opts.updated_after),
                       ("updated_key < ?", opts.updated_before)):
        if value is not None:
            where.append(f"r.{sql}")  # insight_runs and sessions name them alike
            params.append(value)
    return " AND ".join(where), params


def _milliseconds(start: str, end: str) -> int | None:
    try:
        delta = timestamps.timestamp_key(end) - timestamps.timestamp_key(start)
    except ValueError:  # stored before validation was this strict: no duration
        return None
    return round(delta / 1000)


async def _unread_durations(conn: aiosqlite.Connection, where: str, params: list[Any],
                            ) -> dict[tuple[str, str, str], list[int]]:
    """Durations Python reads where SQLite could not, by (agent, runtime, model)."""
    found: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for agent, runtime, model, start, end in await conn.execute_fetchall(
            _UNREAD.format(where=where), params):
        ms = _milliseconds(start, end)
        if ms is not None:
            found[(agent, runtime, model)].append(ms)
    return found


def _median_seconds(runs: list[list[int]]) -> float | None:
    """The median in seconds of lists of milliseconds (exact to the half
    millisecond), taken from them all sorted together."""
    values = sorted(itertools.chain.from_iterable(runs))
    n = len(values)
    if not n:
        return None
    low, high = values[(n - 1) // 2], values[n // 2]
    return (low + high) / 2 / 1000 if low != high else low / 1000


# Per dimension: each value's seven counts and its median in seconds.
Figures = list[dict[str, tuple[list[int], float | None]]]


async def insights(conn: aiosqlite.Connection, opts: InsightsOptions) -> Json:
    """The contract's insights over the sessions ``opts`` chooses (one read snapshot)."""
    where, params = _where(opts)
    figures = (await _from_groups(conn) if where == "1" else None) or await _from_runs(
        conn, where, params)
    result: Json = {}
    for (name, key), of in zip(zip(DIMENSIONS, KEYS, strict=True), figures, strict=True):
        ordered = sorted(of.items(), key=lambda item: (-item[1][0][0], item[0]))
        result[name] = [{key: g, **dict(zip(_COUNTS, counts, strict=True)),
                         "medianDurationSeconds": median} for g, (counts, median) in ordered]
    weeks = [{"weekStart": w[0], "sessions": w[1], **dict(zip(TYPES, w[2:], strict=True))}
             for w in await conn.execute_fetchall(_WEEKS.format(where=where), params)]
    return {"sessions": sum(w["sessions"] for w in weeks), **result, "weeks": weeks}


async def _from_runs(conn: aiosqlite.Connection, where: str, params: list[Any]) -> Figures:
    """The figures of the runs ``where`` chooses, read run by run."""
    rows = await conn.execute_fetchall(_GROUPS.format(where=where), params)
    runs: list[tuple[tuple[str, str, str], list[int]]] = [
        ((r[0], r[1], r[2]), json.loads(f"[{r[11]}]")) for r in rows if r[11]]
    if any(r[10] for r in rows):  # times in a form SQLite's date functions do not read
        runs += list((await _unread_durations(conn, where, params)).items())
    figures: Figures = []
    for dim in range(len(DIMENSIONS)):
        runs_of: dict[str, list[list[int]]] = defaultdict(list)
        for names, values in runs:
            runs_of[names[dim]].append(values)
        figures.append({g: (sums, _median_seconds(runs_of[g]))
                        for g, sums in _sums_by(rows, dim).items()})
    return figures


def _sums_by(groups: Iterable[Any], dim: int) -> dict[str, list[int]]:
    """Each name of dimension ``dim`` and the sums of its groups' counts (columns
    3 to 9), added in C: thousands of rows of seven counts."""
    counts_of: dict[str, list[Any]] = defaultdict(list)
    for g in groups:
        counts_of[g[dim]].append(g[3:10])
    return {name: list(map(sum, zip(*counts, strict=True)))
            for name, counts in counts_of.items()}


async def _from_groups(conn: aiosqlite.Connection) -> Figures | None:
    """The figures of every run from the catch-up's running totals (migration 13),
    each median a walk to the middle of its dimension's index of durations; None
    when some runs' times need Python to read them (``_from_runs`` does)."""
    groups = list(await conn.execute_fetchall("SELECT * FROM insight_groups"))
    if any(g[10] for g in groups):
        return None
    figures: Figures = []
    for dim, column in enumerate(("agent_name", "runtime", "model")):
        timed: dict[str, int] = defaultdict(int)
        for g in groups:
            timed[g[dim]] += g[11]
        walk = (f"SELECT duration_ms FROM insight_runs INDEXED BY idx_insight_runs_{column}"
                f"_duration WHERE {column} = ? AND duration_ms IS NOT NULL"
                " ORDER BY duration_ms LIMIT 2 OFFSET ?")
        of: dict[str, tuple[list[int], float | None]] = {}
        for value, sums in _sums_by(groups, dim).items():
            n, median = timed[value], None
            if n:
                middle = [r[0] for r in await conn.execute_fetchall(walk, (value, (n - 1) // 2))]
                median = _median_seconds([middle[:1] if n % 2 else middle])
            of[value] = (sums, median)
        figures.append(of)
    return figures


def board_filter(q: BoardQuery) -> list[tuple[str, list[Any]]]:
    """The board's conditions for the sessions behind an Insights figure.

    Sessions with an instance that matches every given part, counted the way
    ``get_insights`` counts: "unknown" runtime is none or blank, the model is
    the instance's, else the session's; ``won``: that instance is the winner.
    """
    found: list[tuple[str, list[Any]]] = []
    inner: list[str] = []
    params: list[Any] = []
    for column, value in (("agent_name", q.agent), ("runtime", q.runtime), ("model", q.model),
                          ("status", q.instance_status)):
        if value is not None:
            inner.append(f"r.{column} = ?")
            params.append(value)
    if q.won is not None:
        inner.append("r.won = ?")
        params.append(int(q.won))
    if inner:
        found.append(("EXISTS (SELECT 1 FROM insight_runs r WHERE r.session_id = sessions.id"
                      " AND " + " AND ".join(inner) + ")", params))
    if q.created_after is not None:
        found.append(("created_key >= ?", [timestamps.timestamp_key(q.created_after)]))
    if q.created_before is not None:
        found.append(("created_key < ?", [timestamps.timestamp_key(q.created_before)]))
    return found


def format_duration(seconds: float | None) -> str:
    """A duration as the window writes it (dom.js formatDuration): 1h 59m, 4m 05s, 12s."""
    if seconds is None:
        return "-"
    s = max(0, round(seconds))
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if h:
        return f"{h}h {m:02d}m"
    if m:
        return f"{m}m {s:02d}s"
    return f"{s}s"


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
                     format_duration(median), g["linesAdded"],
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
