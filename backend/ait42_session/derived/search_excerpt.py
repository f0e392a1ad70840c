"""Excerpts of a page of hits without reading megabytes as text.

A hit's output can be hundreds of kilobytes, and a page has up to 200 hits.
Decoding, removing ANSI codes from and lower-casing all of it (what
``search_marks.field_excerpt`` does) costs milliseconds per field, and Python's
case-insensitive regular expressions scan at about 10 ns a character. So the
first place worth showing is found on the raw UTF-8 bytes instead: SQLite hands
them over undecoded, ``bytes.lower`` folds ASCII case in C, and ``bytes.find``
looks for the longest literal piece of each query word at memory speed. Only a
few lines around a candidate are decoded, cleaned of ANSI codes and checked with
the exact expressions of ``search_text``; that window gives the excerpt.

When the raw bytes show no word, the same search runs over the bytes with
their escape codes removed (a word a colour code breaks); only when needles
cannot decide (a cased letter outside ASCII, too many false candidates) is the
whole field read as text. FTS5 is not asked which columns matched: with a
column filter it reads on past a row that fails it, to the next that holds.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import re
from collections.abc import Iterator
from typing import Any

import aiosqlite

from ait42_session.derived import search_marks, search_text
from ait42_session.derived.search_text import Term
from ait42_session.store.columns import OUTPUT_OF_I

Json = dict[str, Any]

# Bytes kept on each side of a candidate (cut at line ends when there are some):
# 200 CJK characters a side, more than an excerpt's 300 in all, and half the
# text to clean and search that 1,200 was (a page of 50 hits: 19 ms, now 15).
WINDOW = 600
MAX_CANDIDATES = 64  # candidates tried per field before the exact path takes over
CHUNK = 16_384  # bytes lower-cased at a time


def needle(term: Term) -> bytes | None:
    """The longest literal piece of ``term`` as lower-cased UTF-8, or None when
    ASCII case folding cannot find it (a cased letter outside ASCII)."""
    pieces = [piece.lower().encode() for _cjk, piece, _glued in search_text.pieces(term.text)]
    if not pieces:
        return None
    longest = max(pieces, key=len)
    if not longest.isascii() and longest.decode().upper() != longest.decode():
        return None  # a cased letter outside ASCII (é, Ä): bytes.lower does not fold it
    return longest


class Finder:
    """The query's needles, made once per page."""

    def __init__(self, terms: list[Term]) -> None:
        self.terms = terms
        found = [needle(t) for t in terms]
        self.needles: list[bytes] | None = (
            None if any(n is None for n in found) else [n for n in found if n is not None])
        self.exhausted = False  # the last excerpt() gave up before the field's end

    def excerpt(self, raw: bytes) -> tuple[str, list[list[int]]] | None:
        """The excerpt of one field given as UTF-8 bytes, None when the fast path
        finds no term in it (the field may still hold one: see the module).

        The field is lower-cased a chunk at a time, so a word near its start
        (the usual case) costs a few microseconds however long the field is."""
        if not self.needles:
            return None
        overlap = max(len(n) for n in self.needles) - 1
        pos, tries = 0, 0
        self.exhausted = False
        while pos < len(raw) and tries < MAX_CANDIDATES:
            low = raw[pos:pos + CHUNK + overlap].lower()
            hits = [at for at in (low.find(n) for n in self.needles) if at != -1]
            if not hits:
                pos += CHUNK
                continue
            tries += 1
            start, end = _window(raw, pos + min(hits))
            text = search_text.clean(raw[start:end].decode("utf-8", "replace"))
            spans = search_marks.find(text, self.terms)
            if spans:
                return search_marks.excerpt(text, spans, cut_before=start > 0,
                                           cut_after=end < len(raw))
            pos = max(end, pos + min(hits) + 1)
        self.exhausted = tries >= MAX_CANDIDATES
        return None


    def which_may_hold(self, texts: list[str]) -> list[bool]:
        """For many short fields at once (a page's chat, branches, agent
        names): False for each one :func:`field_excerpt` would surely give None
        (no needle in it and no escape code), found with one lower-casing and a
        few ``bytes.find`` over them all joined, instead of a call per field."""
        if not self.needles:
            return [True] * len(texts)
        encoded = [t.encode() for t in texts]
        starts = [0]
        for data in encoded:
            starts.append(starts[-1] + len(data) + 1)
        joined = b"\x00".join(encoded)  # NUL is in no needle: no match spans two
        lowered = joined.lower()
        marked = [False] * len(texts)
        # An escape code (ESC, or C2 9B) or an accented letter's lead byte: one
        # translate marks them all (C2 and E1 a little widely: the exact path decides).
        marks = joined.translate(_SPECIAL_MARKS)
        for haystack, needle in [(lowered, n) for n in self.needles] + [(marks, b"\x01")]:
            at = haystack.find(needle)
            while at != -1:
                k = bisect.bisect_right(starts, at) - 1
                marked[k] = True
                at = haystack.find(needle, starts[k + 1])
        return marked


def _window(raw: bytes, at: int) -> tuple[int, int]:
    """Byte offsets of the lines around ``at``: about WINDOW bytes each side,
    on line ends (or at least on character boundaries)."""
    lo = max(0, at - WINDOW)
    if lo:
        newline = raw.find(b"\n", lo, at)
        lo = newline + 1 if newline != -1 else _boundary(raw, lo)
    hi = min(len(raw), at + WINDOW)
    if hi < len(raw):
        newline = raw.rfind(b"\n", at, hi)
        hi = newline if newline != -1 else _boundary(raw, hi)
    return lo, hi


def _boundary(raw: bytes, at: int) -> int:
    """The nearest character start at or after ``at`` (UTF-8 continuation bytes
    are 0b10xxxxxx)."""
    while at < len(raw) and raw[at] & 0xC0 == 0x80:
        at += 1
    return at


# ``search_text``'s ANSI expression for UTF-8 bytes (U+009B is C2 9B there).
_ANSI_BYTES = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
    rb"|\xc2\x9b[0-?]*[ -/]*[@-~]")


# An escape code (or a run of them) with a letter or digit on both sides: the
# only place where removing codes can make a word the raw bytes do not hold
# (a query word is letters and digits; any byte >= 0x80 counts, to be safe).
# It starts with the literal ESC, so ``re`` scans for it at memory speed: 60 µs
# for 100 KB, where removing the codes costs 900 µs. A code that starts with
# C2 9B is rare: the field is then cleaned whole.
_WORD_BYTE = rb"[0-9A-Za-z\x80-\xff]"
_GLUED = re.compile(
    rb"\x1b(?<=" + _WORD_BYTE + rb"\x1b)(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    rb"|[@-Z\\-_])(?:" + _ANSI_BYTES.pattern + rb")*(?=" + _WORD_BYTE + rb")")


# UTF-8 lead bytes of the letters ``search_text.fold`` may change (U+00C0 to
# U+04FF: C3 to D3; U+1E00 to U+1FFF: E1 B8 to E1 BF). None is ever a
# continuation byte, so finding them decides whether a field may hold an
# accented form of a word its bytes do not show.
_ACCENT_AT = re.compile(rb"[\xc3-\xd3]|\xe1[\xb8-\xbf]")
# Marks the first byte of each lead (1) and nothing else (0): ``bytes.translate``
# then ``bytes.find`` locate them at about 1 ns a byte, where ``re`` scanning for
# a class of bytes takes 13 (2 ms for a 100 KB output, most of a page's excerpts).
_LEADS = {*range(0xC3, 0xD4), 0xE1}
_LEAD_MARKS = bytes(int(b in _LEADS) for b in range(256))
_SPECIAL_MARKS = bytes(int(b in _LEADS or b in (0x1B, 0xC2)) for b in range(256))
MAX_ACCENTS = 64  # accented letters looked at one by one before the exact path takes over


def _accents(data: bytes) -> Iterator[int]:
    """Where the accented letters of ``data`` start."""
    marks = data.translate(_LEAD_MARKS)
    at = marks.find(1)
    while at != -1:
        if _ACCENT_AT.match(data, at):
            yield at
        at = marks.find(1, at + 1)


def _accented(data: bytes, needles: list[bytes]) -> bool:
    """Whether ``data`` may hold an accented form of a needle (``café`` for
    ``cafe``). Such a form holds an accented letter within a needle's length of
    each of its characters, so only the bytes around each accented letter are
    folded and looked at (a few, in output that is mostly ASCII); a field with
    many gives True, for the exact path to decide."""
    if data.isascii():
        return False
    words = [n.decode("utf-8", "replace") for n in needles]
    reach = 3 * max((len(w) for w in words), default=0)  # a folded letter is <= 3 bytes
    for k, at in enumerate(_accents(data)):
        if k == MAX_ACCENTS:
            return True
        near = data[max(0, at - reach):at + reach].decode("utf-8", "replace")
        folded = search_text.fold(near).lower()
        if any(w in folded for w in words):
            return True
    return False


def field_excerpt(raw: bytes | str, finder: Finder) -> tuple[str, list[list[int]]] | None:
    """The excerpt of a field, None when no term is in it.

    The raw bytes first; then, if the field has escape codes (a word may be
    broken by one), the bytes without them, which are the text excerpts are cut
    from; the whole field as text only when the needles cannot decide (a cased
    letter outside ASCII, an accented letter the bytes cannot fold, or too many
    candidates that were not the word)."""
    data = raw.encode() if isinstance(raw, str) else raw
    found = finder.excerpt(data)
    if found is not None:
        return found
    if (not finder.exhausted and finder.needles is not None
            and not _accented(data, finder.needles)):
        if b"\xc2\x9b" not in data and _GLUED.search(data) is None:
            return None  # no code inside a word: removing codes joins no word
        found = finder.excerpt(_ANSI_BYTES.sub(b"", data))
        if found is not None or not finder.exhausted:
            return found
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    return search_marks.field_excerpt(text, finder.terms)


MAX_MATCHES = 5  # matches a hit carries; the contract's limit
_BATCH = 50  # instances' outputs fetched at a time
_SESSIONS = "session_id IN (SELECT value FROM json_each(?))"
# The output as reads see it: appends not folded in yet included (columns.OUTPUT_OF_I).
_OUTPUTS = (f"SELECT session_id, instance_id, CAST(({OUTPUT_OF_I}) AS BLOB) FROM instances i"
            f" WHERE {_SESSIONS} ORDER BY session_id, instance_id")
_NAMES = (f"SELECT session_id, instance_id, branch, agent_name FROM instances"
          f" WHERE {_SESSIONS} ORDER BY session_id, instance_id")
_CHAT = (f"SELECT session_id, id, content FROM chat_messages"
         f" WHERE {_SESSIONS} ORDER BY session_id, ts_key, seq")


class Matches(list[Json]):
    """A hit's matches, and how many matching fields were left out of them."""

    more: int = 0


class Page:
    """The matches of a page of hits, field by field in the contract's order
    (task, chat, branch, agent name, outputs): the first ``MAX_MATCHES`` of a
    hit are excerpted, the rest only counted (each field read up to its first
    match, never further).

    Fields of one kind whose excerpts are the same text (a debate repeats its
    instruction in every round's messages; instances share an agent name) are
    one match whose ``count`` says how many fields hold it (absent when one),
    keeping the first field's id: a hit never lists the same line twice, and
    its five places are spent on different texts."""

    def __init__(self, finder: Finder, hits: list[tuple[str, int, str]]) -> None:
        self.finder = finder
        self.hits = hits
        self.found: dict[str, Matches] = {sid: Matches() for sid, _d, _t in hits}

    def add(self, sid: str, field: str, text: str | bytes, **where: Any) -> None:
        """Excerpt (or, past the limit, count) one field when it holds a term."""
        got = field_excerpt(text, self.finder)
        if got is None:
            return
        for shown in self.found[sid]:
            if shown["field"] == field and shown["text"] == got[0]:
                shown["count"] = shown.get("count", 1) + 1
                return
        if len(self.found[sid]) < MAX_MATCHES:
            self.found[sid].append({"field": field, **where, "text": got[0],
                                    "highlights": got[1]})
        else:
            self.found[sid].more += 1

    def short_fields(self, chat: list[Any], names: list[Any]) -> None:
        """Tasks, chat messages, branches and agent names (CPU only: run off the loop)."""
        for sid, _d, task in self.hits:
            self.add(sid, "task", task)
        may = self.finder.which_may_hold([str(content) for _s, _m, content in chat])
        for (sid, mid, content), maybe in zip(chat, may, strict=True):
            if maybe:
                self.add(sid, "chat", content, messageId=mid)
        order = sorted(names, key=lambda r: r[0])  # stable: instance order kept
        for column, field in ((2, "branch"), (3, "agentName")):
            may = self.finder.which_may_hold([str(r[column]) for r in order])
            for row, maybe in zip(order, may, strict=True):
                if maybe:
                    self.add(row[0], field, row[column], instanceId=row[1])

    def outputs(self, rows: list[Any]) -> None:
        """A batch of instances' outputs (CPU only: run off the loop)."""
        for sid, iid, raw in rows:
            if raw is not None:
                self.add(sid, "output", raw, instanceId=iid)


async def matches(conn: aiosqlite.Connection, hits: list[tuple[str, int, str]],
                  query: search_text.Query) -> dict[str, Matches]:
    """The matches of each hit (``(session id, index row, task)``): at most
    ``MAX_MATCHES`` excerpts of fields that hold a required word, as
    :class:`Matches` (their ``more``: the matching fields left out)."""
    terms = query.terms()
    if not hits or not terms:
        return {sid: Matches() for sid, _d, _t in hits}
    page = Page(Finder(terms), hits)
    everyone = json.dumps([sid for sid, _d, _t in hits])
    chat = await conn.execute_fetchall(_CHAT, (everyone,))
    names = await conn.execute_fetchall(_NAMES, (everyone,))
    # Excerpting is Python work of up to milliseconds a field: a worker thread
    # does it, so the event loop serves other commands meanwhile; the reader
    # thread fetches the next outputs (SQLite releases the GIL while it reads
    # a long output's pages) while the rows before are worked on.
    await asyncio.to_thread(page.short_fields, list(chat), list(names))
    async with conn.execute(_OUTPUTS, (everyone,)) as cursor:
        batch = asyncio.ensure_future(cursor.fetchmany(_BATCH))
        try:
            while rows := await batch:
                batch = asyncio.ensure_future(cursor.fetchmany(_BATCH))
                await asyncio.to_thread(page.outputs, list(rows))
        except BaseException:
            batch.cancel()  # nothing left waiting on the reader
            await asyncio.gather(batch, return_exceptions=True)
            raise
    return dict(page.found)
