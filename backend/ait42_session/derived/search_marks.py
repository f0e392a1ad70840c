"""Where a query's words are in a text, and the excerpt around them.

Excerpts and highlights are computed from the original text (ANSI removed) by
the regular expressions ``search_text`` makes of the query's words, never
from FTS5's marked-up output, so stored text can never be mistaken for markup.
"""

from __future__ import annotations

import bisect
import re

from ait42_session.derived.search_text import Term, clean, fold, masked

EXCERPT_CHARS = 300
# Long output is read a block at a time, the first block with a match giving the
# excerpt: a page of hits must not lower-case megabytes it will not show.
BLOCK_CHARS = 32_768
# The whitespace runs an excerpt changes: two or more, or one that is not a space
# (a lone space at either end is handled apart: an anchor makes ``re`` slow).
_SPACES_TO_CUT = re.compile(r" ?[^\S ]\s*| {2,}\s*")


def find(text: str, terms: list[Term], cap: int = 12) -> list[tuple[int, int, int]]:
    """(start, end, which term) of the first ``cap`` matches of each term,
    accents ignored as the index ignores them."""
    spans: list[tuple[int, int, int]] = []
    lowered = text.lower()
    if len(lowered) == len(text):
        lowered, patterns = fold(lowered), [t.pattern() for t in terms]
    else:  # a character whose lower case is longer: offsets would shift
        lowered, patterns = fold(text), [t.pattern_ignoring_case() for t in terms]
    shown: str | None = None  # the text with its CJK masked, made once
    for which, (pattern, on_masked) in enumerate(patterns):
        haystack = lowered
        if on_masked:
            shown = masked(lowered) if shown is None else shown
            haystack = shown
        for n, m in enumerate(pattern.finditer(haystack)):
            if n >= cap:
                break
            if m.end() > m.start():
                spans.append((m.start(), m.end(), which))
    spans.sort()
    return spans


def field_excerpt(text: str, terms: list[Term]) -> tuple[str, list[list[int]]] | None:
    """The excerpt of a field around its first block of matches, None when no
    term is in it. ANSI codes are removed first; cuts fall on line ends."""
    pos = 0
    while pos < len(text):
        end = len(text)
        if end - pos > BLOCK_CHARS * 3 // 2:
            newline = text.find("\n", pos + BLOCK_CHARS)
            end = end if newline == -1 else newline + 1
        block = clean(text[pos:end])
        spans = find(block, terms)
        if spans:
            return excerpt(block, spans, cut_before=pos > 0, cut_after=end < len(text))
        pos = end
    return None


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def utf16_ranges(text: str, ranges: list[list[int]]) -> list[list[int]]:
    """``ranges`` of characters of ``text`` as UTF-16 code units, what the
    page's ``String.slice`` counts: a character past U+FFFF (an emoji) is two."""
    if text.isascii():
        return ranges
    astral = [m.start() for m in _ASTRAL.finditer(text)]
    if not astral:
        return ranges
    return [[a + bisect.bisect_left(astral, a), b + bisect.bisect_left(astral, b)]
            for a, b in ranges]


def excerpt(text: str, spans: list[tuple[int, int, int]], size: int = EXCERPT_CHARS, *,
            cut_before: bool = False, cut_after: bool = False) -> tuple[str, list[list[int]]]:
    """About ``size`` characters of ``text`` around the most varied cluster of
    matches (``spans`` sorted), whitespace runs as one space, ``…`` where it was
    cut, and the ``[start, end)`` ranges of the matches within it, in UTF-16
    code units (the contract's, and JavaScript's, offsets)."""
    start = 0
    if spans and len(text) > size:
        best, best_kinds = spans[0][0], 0
        every = len({w for _s, _e, w in spans})  # no cluster can hold more kinds
        for k in range(min(len(spans), 20)):
            if best_kinds == every:
                break
            lo = max(0, spans[k][0] - size // 4)
            kinds = set()
            for _s, e, w in spans[k:]:
                if e > lo + size:
                    break
                kinds.add(w)
            if len(kinds) > best_kinds:
                best, best_kinds = spans[k][0], len(kinds)
        start = max(0, min(best - size // 4, len(text) - size))
        space = text.rfind(" ", max(0, start - 20), start + 1)
        if start and space > 0:
            start = space + 1
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", end - 30, end)
        if space > start:
            end = space
    # Whitespace runs become one space (none at either end); offsets move left
    # by what was removed before them.
    # Only runs that change are visited (a lone space between words is most).
    window = text[start:end]
    pieces: list[str] = []
    removed: list[tuple[int, int]] = []  # (offset in window, characters removed up to it)
    gone, at = 0, 0
    runs = [m.span() for m in _SPACES_TO_CUT.finditer(window)]
    if window[:1] == " " and (not runs or runs[0][0] != 0):
        runs.insert(0, (0, 1))
    if window[-1:] == " " and (not runs or runs[-1][1] != len(window)):
        runs.append((len(window) - 1, len(window)))
    for a, b in runs:
        pieces.append(window[at:a])
        keep = " " if a > 0 and b < len(window) else ""
        pieces.append(keep)
        gone += b - a - len(keep)
        removed.append((b, gone))
        at = b
    pieces.append(window[at:])
    lead = "…" if start > 0 or cut_before else ""
    body = "".join(pieces)
    tail = "…" if end < len(text) or cut_after else ""

    def moved(offset: int) -> int:
        k = bisect.bisect_right(removed, (offset - start, len(text) + 1)) - 1
        return offset - start - (removed[k][1] if k >= 0 else 0) + len(lead)

    marks: list[list[int]] = []
    for s, e, _w in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        a, b = moved(s), moved(e)
        if marks and a <= marks[-1][1]:
            marks[-1][1] = max(marks[-1][1], b)
        elif a < b:
            marks.append([a, b])
    shown = lead + body + tail
    return shown, utf16_ranges(shown, marks)
