"""Full-text search: the index's upkeep and the ``search_sessions`` command.

The index (``migrations/3_search.sql``) holds one FTS5 row per session, made
from text prepared in Python (``search_text``). Every write path calls
:func:`index_sessions` in its own transaction, so a command's change is
searchable when it returns. SQL triggers list changed sessions in
``search_pending``; whatever a write path did not index itself (the history of
a database that existed before the migration, another process's writes) is
indexed by :func:`backfill` at start-up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar

import aiosqlite
from pydantic import BeforeValidator, Field, Strict

from . import search_excerpt, search_stream, search_text
from .errors import DatabaseError, ValidationError
from .models import Session, timestamp_key
from .rows import OUTPUT_OF_I
from .workspace import resolve

Json = dict[str, Any]
T = TypeVar("T")

MAX_QUERY = 1000
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# bm25 weights of task, output, branch, agent_name, chat: a word in the task
# says more about the session than the same word in pages of output.
_WEIGHTS = "5.0, 1.0, 3.0, 2.0, 2.0"
_CHUNK = 500  # sessions per statement when (re)indexing
_TYPES = ("competition", "ensemble", "debate")
_STATUSES = ("running", "completed", "failed", "paused")
_ARCHIVED = ("exclude", "include", "only")
# The index upkeep the writes call (the benchmark turns them off to compare).
UPKEEP = ("index_sessions", "unindex_sessions", "index_session", "index_message",
          "is_pending")
_OPTIONS = {"workspacePath", "type", "status", "archived", "updatedAfter", "updatedBefore",
            "limit", "cursor"}


# --- the index -------------------------------------------------------------------

_TEXTS = f"""
SELECT s.id, s.task,
       (SELECT group_concat(coalesce({OUTPUT_OF_I}, ''), char(10)) FROM instances i
         WHERE i.session_id = s.id),
       (SELECT group_concat(i.branch, char(10)) FROM instances i WHERE i.session_id = s.id),
       (SELECT group_concat(i.agent_name, char(10)) FROM instances i
         WHERE i.session_id = s.id),
       (SELECT group_concat(m.content, char(10)) FROM chat_messages m
         WHERE m.session_id = s.id)
FROM json_each(?) j JOIN sessions s ON s.id = j.value
"""


_DROP_ROWS = ("DELETE FROM search_fts WHERE rowid IN (SELECT d.docid FROM search_docs d"
              " WHERE d.session_id IN (SELECT value FROM json_each(?)))")
_DROP_DOCS = "DELETE FROM search_docs WHERE session_id IN (SELECT value FROM json_each(?))"
_ADD_DOC = "INSERT INTO search_docs (session_id) VALUES (?)"
_ADD_ROW = ("INSERT INTO search_fts (rowid, task, output, branch, agent_name, chat)"
            " SELECT docid, ?, ?, ?, ?, ? FROM search_docs WHERE session_id = ?")
_DONE = "DELETE FROM search_pending WHERE session_id IN (SELECT value FROM json_each(?))"


def _fts_rows(rows: Iterable[Any]) -> list[tuple[str, ...]]:
    """The prepared text of each session (``_TEXTS`` rows), then its id."""
    return [(*(search_text.index_text(v or "") for v in r[1:]), r[0]) for r in rows]


async def index_sessions(conn: aiosqlite.Connection, session_ids: Iterable[str]) -> None:
    """Bring these sessions' index rows in line with their stored text (inside
    the caller's write transaction); a session that no longer exists leaves the
    index."""
    ids = list(dict.fromkeys(session_ids))
    for k in range(0, len(ids), _CHUNK):
        chunk = json.dumps(ids[k:k + _CHUNK])
        await conn.execute(_DROP_ROWS, (chunk,))
        await conn.execute(_DROP_DOCS, (chunk,))
        rows = list(await conn.execute_fetchall(_TEXTS, (chunk,)))
        if rows:
            await conn.executemany(_ADD_DOC, [(r[0],) for r in rows])
            await conn.executemany(_ADD_ROW, _fts_rows(rows))
        await conn.execute(_DONE, (chunk,))


def _columns_of(s: Session) -> tuple[str, str, str, str, str]:
    """The prepared text of each indexed column, from the validated session
    (the same text ``_TEXTS`` would read back once it is stored)."""
    insts = sorted(s.instances, key=lambda i: i.instance_id)
    prep = search_text.index_text
    return (prep(s.task), prep("\n".join(i.output or "" for i in insts)),
            prep("\n".join(i.branch for i in insts)),
            prep("\n".join(i.agent_name for i in insts)),
            prep("\n".join(m.content for m in s.chat_history)))


_ROW_OF = ("SELECT d.docid, f.task, f.output, f.branch, f.agent_name, f.chat FROM search_docs d"
           " LEFT JOIN search_fts f ON f.rowid = d.docid WHERE d.session_id = ?")
_DELETE_ROW = "DELETE FROM search_fts WHERE rowid = ?"
_INSERT_ROW = ("INSERT INTO search_fts (rowid, task, output, branch, agent_name, chat)"
               " VALUES (?, ?, ?, ?, ?, ?)")
_DONE_ONE = "DELETE FROM search_pending WHERE session_id = ?"


async def index_session(conn: aiosqlite.Connection, s: Session) -> None:
    """Index a session just created or replaced whole, from its model (no read
    back). A replacement whose indexed text did not change (a status, a count)
    leaves the index alone: FTS5 would tokenize the whole session twice."""
    columns = _columns_of(s)
    rows = list(await conn.execute_fetchall(_ROW_OF, (s.id,)))
    if rows:
        docid, *old = rows[0]
        if tuple(old) == columns:
            await conn.execute(_DONE_ONE, (s.id,))
            return
        if old[0] is not None:
            await conn.execute(_DELETE_ROW, (docid,))
    else:
        cursor = await conn.execute(_ADD_DOC, (s.id,))
        docid = cursor.lastrowid
    await conn.execute(_INSERT_ROW, (docid, *columns))
    await conn.execute(_DONE_ONE, (s.id,))


async def is_pending(conn: aiosqlite.Connection, session_id: str) -> bool:
    """Whether the session waits to be reindexed (another program changed it):
    its index row is then not a base to add a message to."""
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM search_pending WHERE session_id = ?", (session_id,))
    return bool(list(rows))


async def index_message(conn: aiosqlite.Connection, session_id: str, content: str,
                        stale: bool) -> None:
    """Index one chat message just added: the session's stored index text with
    the message's added to its chat (nothing else is read or prepared again).
    ``stale`` (:func:`is_pending` before the write): reindex the whole session."""
    rows = list(await conn.execute_fetchall(_ROW_OF, (session_id,)))
    if stale or not rows or rows[0][1] is None:
        await index_sessions(conn, [session_id])
        return
    docid, task, output, branch, agent, chat = rows[0]
    text = search_text.index_text(content)
    await conn.execute(_DELETE_ROW, (docid,))
    await conn.execute(_INSERT_ROW, (docid, task, output, branch, agent,
                                     f"{chat}\n{text}" if chat else text))
    await conn.execute(_DONE_ONE, (session_id,))


async def unindex_sessions(conn: aiosqlite.Connection, session_ids: Iterable[str]) -> None:
    """Remove these sessions from the index (before or after they are deleted)."""
    ids = list(dict.fromkeys(session_ids))
    for k in range(0, len(ids), _CHUNK):
        chunk = json.dumps(ids[k:k + _CHUNK])
        await conn.execute(_DROP_ROWS, (chunk,))
        await conn.execute(_DROP_DOCS, (chunk,))
        await conn.execute(
            "DELETE FROM search_pending WHERE session_id IN (SELECT value FROM json_each(?))"
            " AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = search_pending.session_id)",
            (chunk,))


async def pending_count(conn: aiosqlite.Connection) -> int:
    """How many sessions wait to be (re)indexed."""
    rows = await conn.execute_fetchall("SELECT count(*) FROM search_pending")
    return int(next(iter(rows))[0])


async def index_pending(conn: aiosqlite.Connection, batch: int) -> int:
    """Index up to ``batch`` waiting sessions; how many were taken."""
    rows = await conn.execute_fetchall("SELECT session_id FROM search_pending LIMIT ?", (batch,))
    ids = [str(r[0]) for r in rows]
    await index_sessions(conn, ids)
    return len(ids)


class Store(Protocol):
    """What :func:`backfill` needs of ``db.Database``."""

    async def write(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T: ...
    async def read(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T: ...


async def backfill(db: Store, progress: Callable[[int, int], None] | None = None,
                   batch: int = 200) -> int:
    """Index every waiting session, ``batch`` per transaction so that commands
    get in between; ``progress(done, total)`` after each. Returns how many."""
    total = await db.read(pending_count)
    done = 0
    while total:
        taken = await db.write(index_pending, batch)
        if not taken:
            break
        done += taken
        total = max(total, done)
        if progress is not None:
            progress(done, total)
    return done


async def index_step(conn: aiosqlite.Connection, batch: int) -> Json:
    """One step of indexing an existing history: ``{indexed, pending}``."""
    indexed = await index_pending(conn, batch)
    return {"indexed": indexed, "pending": await pending_count(conn)}


async def verify_index(conn: aiosqlite.Connection) -> list[str]:
    """Problems of the index (empty when sound). Runs FTS5's own integrity
    check, which needs the writer's connection, and checks that each session
    is indexed once or waits to be."""
    problems: list[str] = []
    try:
        await conn.execute("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")
    except (aiosqlite.Error, DatabaseError) as exc:
        problems.append(f"search index: {exc}")
    rows = await conn.execute_fetchall(
        "SELECT"
        " (SELECT count(*) FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM search_docs d"
        "   WHERE d.session_id = s.id) AND NOT EXISTS (SELECT 1 FROM search_pending p"
        "   WHERE p.session_id = s.id)),"
        " (SELECT count(*) FROM search_docs d WHERE NOT EXISTS (SELECT 1 FROM sessions s"
        "   WHERE s.id = d.session_id) AND NOT EXISTS (SELECT 1 FROM search_pending p"
        "   WHERE p.session_id = d.session_id)),"
        " (SELECT count(*) FROM search_docs) - (SELECT count(*) FROM search_fts)")
    missing, stale, rows_off = next(iter(rows))
    if missing:
        problems.append(f"search index: {missing} sessions are neither indexed nor waiting")
    if stale:
        problems.append(f"search index: {stale} index rows belong to no session")
    if rows_off:
        problems.append("search index: its rows and their sessions do not match in number")
    return problems


async def optimize_index(conn: aiosqlite.Connection) -> None:
    """Merge the index's segments into one (faster queries after many writes)."""
    await conn.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")


# --- the command -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """``search_sessions``'s options, validated."""

    workspace_hash: str | None = None
    type: str | None = None
    status: str | None = None
    archived: str = "exclude"
    updated_after: int | None = None
    updated_before: int | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def key(self) -> str:
        """What a cursor is bound to besides the query."""
        return repr((self.workspace_hash, self.type, self.status, self.archived,
                     self.updated_after, self.updated_before))


def _choice(options: Json, name: str, allowed: tuple[str, ...]) -> str | None:
    value = options.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(f"options.{name} must be one of {', '.join(allowed)} or null,"
                              f" got {value!r}")
    return value


def _time(options: Json, name: str) -> int | None:
    value = options.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"options.{name} must be an RFC 3339 date-time string or null")
    try:
        return timestamp_key(value)
    except ValueError as exc:
        raise ValidationError(f"options.{name}: {exc}") from None


def parse_options(options: object) -> Options:
    """Validate the options object of ``search_sessions``."""
    if options is None:
        return Options()
    if not isinstance(options, dict):
        raise ValidationError("options must be an object or null")
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise ValidationError(f"unknown search option {unknown[0]!r}; known: "
                              + ", ".join(sorted(_OPTIONS)))
    path = options.get("workspacePath")
    ws_hash = None if path is None else resolve(path).hash
    limit = options.get("limit", DEFAULT_LIMIT)
    if limit is None:
        limit = DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"options.limit must be a whole number from 1 to {MAX_LIMIT}")
    cursor = options.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ValidationError("options.cursor must be the nextCursor of the previous page")
    return Options(
        workspace_hash=ws_hash, type=_choice(options, "type", _TYPES),
        status=_choice(options, "status", _STATUSES),
        archived=_choice(options, "archived", _ARCHIVED) or "exclude",
        updated_after=_time(options, "updatedAfter"),
        updated_before=_time(options, "updatedBefore"), limit=limit, cursor=cursor)


def parse(query: object) -> search_text.Query:
    """Validate and read the query text."""
    if not isinstance(query, str):
        raise ValidationError("query must be a string")
    if not query.strip():
        raise ValidationError("query is empty: type what to search for")
    if len(query) > MAX_QUERY:
        raise ValidationError(f"query is {len(query)} characters long; at most {MAX_QUERY}")
    return search_text.parse_query(query)


# The commands' argument types (``commands``): validated on the caller's thread.
QueryArg = Annotated[search_text.Query, BeforeValidator(parse)]
OptionsArg = Annotated[Options, BeforeValidator(parse_options)]
BatchArg = Annotated[int, Strict(), Field(ge=1, le=5000)]


def _fingerprint(query: search_text.Query, opts: Options) -> str:
    return hashlib.sha256((query.key() + opts.key()).encode()).hexdigest()[:12]


def _encode_cursor(score: float, updated_key: int, session_id: str, print_: str) -> str:
    raw = json.dumps([score, updated_key, session_id, print_]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, print_: str) -> tuple[float, int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        score, updated_key, session_id, fp = json.loads(raw)
        if (fp != print_ or not isinstance(session_id, str)
                or not isinstance(updated_key, int) or not isinstance(score, (int, float))
                or not math.isfinite(score)):
            raise ValueError
    except (ValueError, TypeError, binascii.Error):
        raise ValidationError("options.cursor is not the nextCursor of this search "
                              "(same query and filters); start again without it") from None
    return float(score), updated_key, session_id


async def _archived_expr(conn: aiosqlite.Connection) -> str:
    """``archivedAt`` of a session: its column once the archive migration adds
    one, else the field kept among the session's unknown fields."""
    rows = await conn.execute_fetchall("SELECT 1 FROM pragma_table_info('sessions')"
                                       " WHERE name = 'archived_at'")
    if list(rows):
        return "s.archived_at"
    return "CASE WHEN json_valid(s.extra) THEN json_extract(s.extra, '$.archivedAt') END"


async def search_sessions(conn: aiosqlite.Connection, query: object, options: object) -> Json:
    """The contract's ``search_sessions``: ranked hits with excerpts, one page."""
    return await run(conn, parse(query), parse_options(options))


async def run(conn: aiosqlite.Connection, parsed: search_text.Query, opts: Options) -> Json:
    """:func:`search_sessions` with its arguments already validated."""
    print_ = _fingerprint(parsed, opts)
    after = _decode_cursor(opts.cursor, print_) if opts.cursor else None
    match = parsed.expression()
    excluded = parsed.excluded_fts()
    if match is None and excluded is None:
        return {"items": [], "nextCursor": None}
    archived = await _archived_expr(conn)
    rows = None
    if match is not None:
        rows = await _ranked_first(conn, match, opts, after, archived)
    if rows is None:
        rows = await _ranked_all(conn, match, excluded, opts, after, archived)
    if match is not None and await search_stream.any_rows(conn):
        rows = search_stream.merge(
            rows, await _streamed(conn, match, excluded, opts, after, archived), opts.limit + 1)
    more = len(rows) > opts.limit
    rows = rows[:opts.limit]
    found = await search_excerpt.matches(
        conn, [(str(r[0]), int(r[10]), str(r[3])) for r in rows], parsed)
    items = [{
        "workspacePath": r[2], "workspaceHash": r[1], "sessionId": r[0], "task": r[3],
        "type": r[4], "status": r[5], "updatedAt": r[6], "archivedAt": r[8],
        "score": -float(r[9]) if r[9] else 0.0, "matches": found.get(str(r[0]), []),
    } for r in rows]
    last = rows[-1] if rows else None
    cursor = (_encode_cursor(float(last[9]), int(last[7]), str(last[0]), print_)
              if more and last is not None else None)
    return {"items": items, "nextCursor": cursor}


async def _streamed(conn: aiosqlite.Connection, match: str, excluded: str | None,
                    opts: Options, after: tuple[float, int, str] | None,
                    archived: str) -> list[Any]:
    """Hits among output appended since its last fold (``search_stream``)."""
    source, params = search_stream.source(excluded)
    where, more = _filters(opts, after, archived)
    return list(await conn.execute_fetchall(
        _HIT.format(archived=archived, source=source, extra="")
        + (" WHERE " + " AND ".join(where) if where else "") + _ORDER,
        [match, *params, *more, opts.limit + 1]))


_HIT = ("SELECT s.id, s.workspace_hash, w.path, s.task, s.type, s.status, s.updated_at,"
        " s.updated_key, {archived}, m.score, m.docid{extra} FROM {source}"
        " JOIN search_docs d ON d.docid = m.docid JOIN sessions s ON s.id = d.session_id"
        " JOIN workspaces w ON w.hash = s.workspace_hash")
_ORDER = " ORDER BY m.score, s.updated_key DESC, s.id LIMIT ?"
_OVERFETCH = 4  # the first pass takes this many times a page, for the filters to drop


def _filters(opts: Options, after: tuple[float, int, str] | None,
             archived: str) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for sql, value in (("s.workspace_hash = ?", opts.workspace_hash), ("s.type = ?", opts.type),
                       ("s.status = ?", opts.status), ("s.updated_key >= ?", opts.updated_after),
                       ("s.updated_key < ?", opts.updated_before)):
        if value is not None:
            where.append(sql)
            params.append(value)
    if opts.archived == "exclude":
        where.append(f"{archived} IS NULL")
    elif opts.archived == "only":
        where.append(f"{archived} IS NOT NULL")
    if after is not None:
        where.append("(m.score > ? OR (m.score = ? AND (s.updated_key < ?"
                     " OR (s.updated_key = ? AND s.id > ?))))")
        params += [after[0], after[0], after[1], after[1], after[2]]
    return where, params


async def _ranked_first(conn: aiosqlite.Connection, match: str, opts: Options,
                        after: tuple[float, int, str] | None, archived: str) -> list[Any] | None:
    """The page from the best few index rows alone: FTS5 scores every match (in
    C, cheaply) and keeps the best ``_OVERFETCH`` pages' worth with SQLite's
    top-N sort; only those are joined with their sessions and filtered, in the
    same statement (its text depends only on which filters are set, so it is
    prepared once). None when that cannot be sure to be the same answer as
    :func:`_ranked_all`: the filters left too few, or rows beyond what was taken
    score the same as the page's last (ties are ordered by ``updatedAt``, which
    the index does not know)."""
    take = (opts.limit + 1) * _OVERFETCH
    floor = "" if after is None else " WHERE score >= ?"
    # ``taken`` and ``worst``: how many index rows the top-N kept and the worst
    # score among them, on every row (the filters may drop any of them).
    source = ("(SELECT docid, score, count(*) OVER () AS taken, max(score) OVER () AS worst"
              " FROM (SELECT docid, score FROM (SELECT rowid AS docid,"
              f" bm25(search_fts, {_WEIGHTS}) AS score FROM search_fts"
              f" WHERE search_fts MATCH ? LIMIT -1){floor} ORDER BY score LIMIT ?)) m")
    where, more = _filters(opts, after, archived)
    rows = list(await conn.execute_fetchall(
        _HIT.format(archived=archived, source=source, extra=", m.taken, m.worst")
        + (" WHERE " + " AND ".join(where) if where else "") + _ORDER,
        [match, *(() if after is None else (after[0],)), take, *more, opts.limit + 1]))
    if not rows:
        return None  # no match at all, or the filters dropped every row taken
    taken, worst = int(rows[0][11]), float(rows[0][12])
    if taken < take:
        return rows  # every match was taken: the answer is exact
    if len(rows) <= opts.limit or float(rows[-1][9]) >= worst:
        return None
    return rows


async def _ranked_all(conn: aiosqlite.Connection, match: str | None, excluded: str | None,
                      opts: Options, after: tuple[float, int, str] | None,
                      archived: str) -> list[Any]:
    """The page from every match, each joined with its session and filtered."""
    params: list[Any] = []
    where: list[str] = []
    if match is not None:
        source = (f"(SELECT rowid AS docid, bm25(search_fts, {_WEIGHTS}) AS score"
                  " FROM search_fts WHERE search_fts MATCH ?) m")
        params.append(match)
    else:  # only exclusions: every session without those words, newest first
        source = "(SELECT d.docid AS docid, 0.0 AS score FROM search_docs d) m"
        where.append("m.docid NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)")
        params.append(excluded)
    more_where, more = _filters(opts, after, archived)
    where += more_where
    sql = (_HIT.format(archived=archived, source=source, extra="")
           + (" WHERE " + " AND ".join(where) if where else "") + _ORDER)
    return list(await conn.execute_fetchall(sql, [*params, *more, opts.limit + 1]))
