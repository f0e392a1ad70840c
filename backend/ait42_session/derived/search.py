"""Full-text search: the index and the ``search_sessions`` command.

The index (``migrations/3_search.sql``) holds one FTS5 row per session, made
from text prepared in Python (``search_text``). No command writes it: the
catch-up (``catchup``) re-indexes the sessions the change log names, in
batches, and a search first brings it up to every write that has returned.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Annotated, Any

import aiosqlite
from pydantic import BeforeValidator, Field, Strict

from ait42_session.derived import search_excerpt, search_text
from ait42_session.shape.errors import ValidationError
from ait42_session.store.columns import status_condition

if TYPE_CHECKING:  # the options come validated (``shape.arguments``, by the command)
    from ait42_session.shape.arguments import SearchOptions as Options

Json = dict[str, Any]

MAX_QUERY = 1000
# bm25 weights of task, output, branch, agent_name, chat: a word in the task
# says more about the session than the same word in pages of output.
_WEIGHTS = "5.0, 1.0, 3.0, 2.0, 2.0"
WINDOW = 2000  # relevance ranks the most recently indexed matches, this many at most
PAGE_LIFE = 600.0  # seconds a first page's list of matches stays for its later pages
PAGES_KEPT = 64  # first pages' lists kept at once (the oldest go first)


# --- the command -----------------------------------------------------------------


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
BatchArg = Annotated[int, Strict(), Field(ge=1, le=5000)]


# --- paging ----------------------------------------------------------------------


class Pages:
    """The ordered matches of recent first pages, so that their later pages list
    exactly those sessions, once each, whatever is written in between (bm25
    scores move with every indexed write, so a score cannot be a cursor).

    Kept in memory for ``PAGE_LIFE`` seconds, the newest ``PAGES_KEPT`` of
    them; a relevance list holds at most ``WINDOW`` session ids."""

    def __init__(self) -> None:
        self._lists: OrderedDict[str, tuple[float, list[tuple[str, float]]]] = OrderedDict()

    def keep(self, ranked: list[tuple[str, float]]) -> str:
        """Remember a first page's whole list; the token later pages name it by."""
        now = time.monotonic()
        token = secrets.token_urlsafe(9)
        self._lists[token] = (now, ranked)
        while len(self._lists) > PAGES_KEPT:
            self._lists.popitem(last=False)
        return token

    def get(self, token: str) -> list[tuple[str, float]] | None:
        """The list of ``token``, None when it has expired or was never here."""
        entry = self._lists.get(token)
        if entry is None or time.monotonic() - entry[0] > PAGE_LIFE:
            self._lists.pop(token, None)
            return None
        return entry[1]


def _fingerprint(query: search_text.Query, opts: Options) -> str:
    return hashlib.sha256((query.key() + opts.key()).encode()).hexdigest()[:12]


def _encode_cursor(*parts: Any) -> str:
    raw = json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_STALE = ("options.cursor can no longer be followed (the search is over {minutes} minutes "
          "old, the window was restarted or the database was restored); search again "
          "without it")


def _decode_cursor(cursor: str, print_: str, generation: int) -> list[Any]:
    """``["r", token, offset]`` or ``["n", updated_key, session_id]``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, a, b, fp, gen = json.loads(raw)
        if (fp != print_ or not isinstance(gen, int) or kind not in ("r", "n")
                or (kind == "r" and not (isinstance(a, str) and isinstance(b, int)))
                or (kind == "n" and not (isinstance(a, int) and isinstance(b, str)))):
            raise ValueError
    except (ValueError, TypeError, binascii.Error):
        raise ValidationError("options.cursor is not the nextCursor of this search "
                              "(same query and filters); start again without it") from None
    if gen != generation:
        raise ValidationError(_STALE.format(minutes=int(PAGE_LIFE // 60)))
    return [kind, a, b]


# --- the search ------------------------------------------------------------------


async def run(conn: aiosqlite.Connection, parsed: search_text.Query, opts: Options,
              pages: Pages, generation: int = 0) -> Json:
    """``search_sessions`` with its arguments validated: one page of hits with
    excerpts. Relevance: bm25 among the ``WINDOW`` most recently indexed
    matching sessions, the whole list fixed by the first page (``pages``);
    newest: by ``updatedAt``, paged by the last one shown."""
    print_ = _fingerprint(parsed, opts)
    after = _decode_cursor(opts.cursor, print_, generation) if opts.cursor else None
    match = parsed.expression()
    excluded = parsed.excluded_fts()
    if match is None and excluded is None:
        return {"items": [], "nextCursor": None}
    if opts.sort == "newest" or match is None:
        where, params = _filters(opts, "s")
        rows = await _newest(conn, match, excluded, opts, where, params,
                             None if after is None else (int(after[1]), str(after[2])))
        more = len(rows) > opts.limit
        rows = rows[:opts.limit]
        cursor = (_encode_cursor("n", int(rows[-1][7]), str(rows[-1][0]), print_, generation)
                  if more and rows else None)
    else:
        if after is None:
            ranked = await _ranked(conn, match, *_filters(opts, "d"))
            offset = 0
        else:
            kept = pages.get(str(after[1]))
            if kept is None:
                raise ValidationError(_STALE.format(minutes=int(PAGE_LIFE // 60)))
            ranked, offset = kept, int(after[2])
        page = ranked[offset:offset + opts.limit]
        rows = await _hits(conn, page)
        cursor = None
        if offset + opts.limit < len(ranked):
            token = pages.keep(ranked) if after is None else str(after[1])
            cursor = _encode_cursor("r", token, offset + opts.limit, print_, generation)
    found = await search_excerpt.matches(
        conn, [(str(r[0]), int(r[10]), str(r[3])) for r in rows], parsed)
    items = []
    for r in rows:
        shown = found.get(str(r[0]))
        item = {"workspacePath": r[2], "workspaceHash": r[1], "sessionId": r[0], "task": r[3],
                "type": r[4], "status": r[5], "updatedAt": r[6], "archivedAt": r[8],
                "score": -float(r[9]) if r[9] else 0.0, "matches": list(shown or [])}
        if shown is not None and shown.more:
            item["moreMatches"] = shown.more  # matching fields left out (at most 5 shown)
        items.append(item)
    return {"items": items, "nextCursor": cursor}


_HIT = ("SELECT s.id, s.workspace_hash, w.path, s.task, s.type, s.status, s.updated_at,"
        " s.updated_key, s.archived_at, {score}, d.docid FROM {source}"
        " JOIN sessions s ON s.id = d.session_id"
        " JOIN workspaces w ON w.hash = s.workspace_hash")


def _filters(opts: Options, table: str) -> tuple[list[str], list[Any]]:
    """The options' conditions on ``table``: the sessions (``s``), or the index
    rows (``d``), which hold the same five columns (migration 14)."""
    where: list[str] = []
    params: list[Any] = []
    for sql, value in (("workspace_hash = ?", opts.workspace_hash), ("type = ?", opts.type),
                       ("updated_key >= ?", opts.updated_after),
                       ("updated_key < ?", opts.updated_before)):
        if value is not None:
            where.append(f"{table}.{sql}")
            params.append(value)
    if opts.status is not None:
        sql, values = status_condition(f"{table}.status", opts.status)
        where.append(sql)
        params.extend(values)
    if opts.archived == "exclude":
        where.append(f"{table}.archived_at IS NULL")
    elif opts.archived == "only":
        where.append(f"{table}.archived_at IS NOT NULL")
    return where, params


async def _ranked(conn: aiosqlite.Connection, match: str, where: list[str],
                  params: list[Any]) -> list[tuple[str, float]]:
    """Every matching session of the window, best first: FTS5 walks its rows
    newest first and stops after ``WINDOW`` that pass the filters, scoring only
    those (bm25 weighted by field); ties go to the newest ``updatedAt``. The
    filters read the index rows' own columns: no session is looked up."""
    rows = await conn.execute_fetchall(
        "SELECT id, score FROM (SELECT d.session_id AS id, d.updated_key AS updated_key,"
        f" bm25(search_fts, {_WEIGHTS}) AS score FROM search_fts"
        " JOIN search_docs d ON d.docid = search_fts.rowid"
        " WHERE search_fts MATCH ?" + "".join(f" AND {w}" for w in where)
        + " ORDER BY search_fts.rowid DESC LIMIT ?)"
        " ORDER BY score, updated_key DESC, id", [match, *params, WINDOW])
    return [(str(r[0]), float(r[1])) for r in rows]


async def _hits(conn: aiosqlite.Connection, page: list[tuple[str, float]]) -> list[Any]:
    """The hit rows of a page of ranked sessions, in its order; a session deleted
    since the first page is left out."""
    if not page:
        return []
    rows = await conn.execute_fetchall(
        _HIT.format(score="p.value ->> '$[1]'",
                    source="json_each(?) p"
                           " JOIN search_docs d ON d.session_id = p.value ->> '$[0]'"),
        (json.dumps(page),))
    by_id = {str(r[0]): r for r in rows}
    return [by_id[sid] for sid, _score in page if sid in by_id]


async def _newest(conn: aiosqlite.Connection, match: str | None, excluded: str | None,
                  opts: Options, where: list[str], params: list[Any],
                  after: tuple[int, str] | None) -> list[Any]:
    """A page of matching sessions newest first (``sort: newest``, or a query of
    exclusions only: every session without those words)."""
    where = list(where)
    params = list(params)
    if match is not None:
        source = "search_fts JOIN search_docs d ON d.docid = search_fts.rowid"
        score = f"bm25(search_fts, {_WEIGHTS})"
        where.insert(0, "search_fts MATCH ?")
        params.insert(0, match)
    else:
        source = "search_docs d"
        score = "0.0"
        where.append("d.docid NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)")
        params.append(excluded)
    if after is not None:
        where.append("(s.updated_key < ? OR (s.updated_key = ? AND s.id > ?))")
        params += [after[0], after[0], after[1]]
    sql = (_HIT.format(score=score, source=source)
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY s.updated_key DESC, s.id LIMIT ?")
    return list(await conn.execute_fetchall(sql, [*params, opts.limit + 1]))
