"""Text for the search index: what is indexed, how a query reads, excerpts.

FTS5's ``unicode61`` tokenizer splits on anything that is not a letter or a
digit, which suits English, identifiers (``refresh_token_ttl`` is the phrase
``refresh token ttl``) and paths (``src/auth/jwt.ts``). It does not suit
Japanese or Chinese, written without spaces: ``JWT認証を追加`` would be one
token. So the text is prepared here, in Python, before FTS5 sees it, and every
query word is prepared the same way:

- ANSI escape sequences are removed (not replaced by a space), so a word a
  terminal shows whole stays whole;
- each run of CJK characters becomes its overlapping two-character pairs
  (``認証を追加`` -> ``認証 証を を追 追加``), set apart from the Latin text
  around it, so any substring of two or more characters is a phrase of pairs
  and ``JWT`` is a word of ``JWT認証``.

Excerpts and highlights are computed from the original text (ANSI removed) by
regular expressions built from the query's words, never from FTS5's marked-up
output, so stored text can never be mistaken for markup.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass, field

# CSI (colours, cursor moves), OSC (titles, links) and two-character escapes.
_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# The usual case (colours): twice as fast over long output.
_ANSI_CSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")

# Han, kana (not the middle dot U+30FB, which is punctuation) and the
# iteration marks: scripts written without spaces between words.
_CJK_CHARS = (
    "\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")
_CJK_ONE = re.compile(f"[{_CJK_CHARS}]")
# A letter or digit outside CJK: what unicode61 joins into one token.
_WORDCHAR = f"[^\\W_{_CJK_CHARS}]"
_WORD_RUN = re.compile(r"[^\W_]+")
_PIECE = re.compile(f"[{_CJK_CHARS}]+|(?:(?![{_CJK_CHARS}])[^\\W_])+")  # a CJK or a Latin run
# The whitespace runs an excerpt changes: two or more, or one that is not a space
# (a lone space at either end is handled apart: an anchor makes ``re`` slow).
_SPACES_TO_CUT = re.compile(r" ?[^\S ]\s*| {2,}\s*")

EXCERPT_CHARS = 300
# Long output is read a block at a time, the first block with a match giving the
# excerpt: a page of hits must not lower-case megabytes it will not show.
BLOCK_CHARS = 32_768


def clean(text: str) -> str:
    """The text as a terminal shows it: ANSI escape sequences removed."""
    if "\x1b" not in text and "\x9b" not in text:
        return text
    if "\x9b" not in text and "\x1b]" not in text:
        return _ANSI_CSI.sub("", text)
    return _ANSI.sub("", text)


def _pairs(match: re.Match[str]) -> str:
    run = match.group()
    if len(run) == 1:
        return f" {run} "
    return " " + " ".join(run[k:k + 2] for k in range(len(run) - 1)) + " "


def index_text(text: str) -> str:
    """What FTS5 indexes for ``text``: ANSI removed, CJK runs as overlapping pairs."""
    text = clean(text)
    if text.isascii() or _CJK_ONE.search(text) is None:
        return text
    # Only lines with a character outside ASCII can hold CJK: scanning every
    # character of long output with a character class costs more than this.
    lines = text.split("\n")
    for k, line in enumerate(lines):
        if not line.isascii():
            lines[k] = _CJK_RUN.sub(_pairs, line)
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Term:
    """One query word or quoted phrase, as FTS5 and the highlighter read it."""

    text: str
    prefix: bool = False

    def fts(self) -> str:
        """The FTS5 phrase: the prepared text quoted (never an operator)."""
        # FTS5 reads the expression as a C string: a NUL would end it mid-phrase.
        prepared = " ".join(index_text(self.text).replace("\x00", " ").split())
        prefix = self.prefix or _single_cjk(self.text)
        return '"' + prepared.replace('"', '""') + '"' + (" *" if prefix else "")

    def pattern(self) -> tuple[re.Pattern[str], bool]:
        """A regular expression finding this term in lower-cased text, and whether
        it reads that text with its CJK masked (see ``_pattern``)."""
        return _pattern(self.text, self.prefix or _single_cjk(self.text), 0)

    def pattern_ignoring_case(self) -> tuple[re.Pattern[str], bool]:
        """The same for text whose lower case is not as long as itself (rare)."""
        return _pattern(self.text, self.prefix or _single_cjk(self.text), re.IGNORECASE)


def _single_cjk(text: str) -> bool:
    """A lone CJK character: indexed text holds pairs, so it is searched as a prefix."""
    runs = _WORD_RUN.findall(text)
    return len(runs) == 1 and len(runs[0]) == 1 and _CJK_ONE.match(runs[0]) is not None


def has_words(text: str) -> bool:
    """Whether ``text`` holds anything FTS5 indexes (a letter or a digit)."""
    return _WORD_RUN.search(text) is not None


def pieces(text: str) -> list[tuple[bool, str, bool]]:
    """(is CJK, text, glued to the previous piece) for each piece of the term."""
    pieces: list[tuple[bool, str, bool]] = []
    for run in _WORD_RUN.findall(text):
        first = True
        for part in _PIECE.findall(run):
            pieces.append((_CJK_ONE.match(part) is not None, part, not first))
            first = False
    return pieces


@functools.lru_cache(maxsize=256)
def _pattern(text: str, prefix: bool, flags: int) -> tuple[re.Pattern[str], bool]:
    """The term as a regular expression, and whether it is meant for text whose
    CJK characters are masked (:func:`_masked`). It starts with a literal (the
    guard against a letter before it is a look-behind after it), so that ``re``
    scans for that literal quickly: this runs over every matching field of a
    page of hits, some of them hundreds of kilobytes of output.

    A term without CJK (most) is matched in masked text, where "a letter or
    digit outside CJK" is simply ``[^\\W_]``: ``re`` compiles that at once,
    where a class holding the CJK ranges costs it 2-4 ms, per new term, in the
    first search that has the term."""
    parts: list[str] = []
    parts_of = pieces(fold(text.lower() if not flags else text))
    masked = not any(cjk for cjk, _piece, _glued in parts_of)
    word = r"[^\W_]" if masked else _WORDCHAR
    between = rf"(?:[^\w{_MASK}]|_)+" if masked else r"[\W_]+"  # never over a CJK mask
    for k, (cjk, piece, _glued) in enumerate(parts_of):
        if k:
            both_latin = not cjk and not parts_of[k - 1][0]
            parts.append(between if both_latin else r"[\W_]*")
        if cjk:
            parts.append(re.escape(piece))
            continue
        literal = re.escape(piece)
        parts.append(f"{literal}(?<!{word}{literal})" if k == 0 else literal)
        last = k == len(parts_of) - 1
        parts.append(f"{word}*" if (prefix and last) else f"(?!{word})")
    return re.compile("".join(parts) or r"(?!)", flags), masked


# A noncharacter (reserved for a program's internal use, never in text) that
# stands in for each CJK character: neither a letter nor a separator to a term.
_MASK = "\ufdd0"


def _masked(text: str) -> str:
    """``text`` with each CJK character replaced by ``_MASK`` (offsets unchanged)."""
    if text.isascii():
        return text
    return _CJK_RUN.sub(lambda m: _MASK * len(m.group()), text)


@dataclass(slots=True)
class Query:
    """A parsed query: every group must match (a group is words joined by OR);
    no excluded term may."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    def fts(self) -> str | None:
        """The FTS5 expression of the required groups, None when there are none."""
        if not self.groups:
            return None
        parts = []
        for group in self.groups:
            alts = " OR ".join(t.fts() for t in group)
            parts.append(f"({alts})" if len(group) > 1 else alts)
        return " AND ".join(parts)

    def excluded_fts(self) -> str | None:
        """The FTS5 expression matching any excluded term, None when there are none."""
        if not self.excluded:
            return None
        return " OR ".join(t.fts() for t in self.excluded)

    def expression(self) -> str | None:
        """The whole MATCH expression, None when nothing is required."""
        required = self.fts()
        if required is None:
            return None
        for term in self.excluded:
            required = f"({required}) NOT {term.fts()}"
        return required

    def terms(self) -> list[Term]:
        """Every required term (for highlighting)."""
        return [t for group in self.groups for t in group]

    def key(self) -> str:
        """A canonical form: two queries with the same key find the same sessions."""
        return (self.expression() or "") + "\x00" + (self.excluded_fts() or "")


# A quoted phrase, an excluded phrase, or a run of non-space characters.
_CHUNK = re.compile(r'(-?)"([^"]*)"|(\S+)')


def parse_query(text: str) -> Query:
    """Read what a person typed. Words are required; ``"a phrase"``; ``-word``
    excludes; ``word*`` is a prefix; ``OR`` between two words. Nothing is an
    error: stray operators, quotes and punctuation are plain text, and a word
    with no letter or digit in it is dropped."""
    chunks: list[tuple[Term, bool] | str] = []  # (term, excluded) or the OR marker
    pos = 0
    while True:
        match = _CHUNK.search(text, pos)
        if match is None:
            break
        pos = match.end()
        minus, phrase, word = match.group(1), match.group(2), match.group(3)
        if word is None:
            if has_words(phrase):
                chunks.append((Term(phrase), bool(minus)))
            continue
        if '"' in word and word.count('"') == 1 and word.startswith(('"', '-"')):
            # An unbalanced quote opens nothing: the rest of the query is plain words.
            word = word.replace('"', "", 1)
        if word == "OR":
            chunks.append("OR")
            continue
        excluded = len(word) > 1 and word[0] == "-" and has_words(word[1])
        body = word[1:] if excluded else word
        prefix = body.endswith("*") and has_words(body.rstrip("*"))
        if prefix:
            body = body.rstrip("*")
        if has_words(body):
            chunks.append((Term(body, prefix), excluded))
    return _combine(chunks)


def _combine(chunks: list[tuple[Term, bool] | str]) -> Query:
    query = Query()
    k = 0
    while k < len(chunks):
        chunk = chunks[k]
        if isinstance(chunk, str):  # an OR with no word before it: plain text
            query.groups.append([Term("OR")])
            k += 1
            continue
        term, excluded = chunk
        if excluded:
            query.excluded.append(term)
            k += 1
            continue
        group = [term]
        k += 1
        while k + 1 < len(chunks) and chunks[k] == "OR":
            nxt = chunks[k + 1]
            if isinstance(nxt, str) or nxt[1]:
                break
            group.append(nxt[0])
            k += 2
        query.groups.append(group)
    return query


# Letters that may carry a diacritic FTS5's ``remove_diacritics 2`` drops:
# Latin, Greek and Cyrillic, and the Latin and Greek extended blocks.
_FOLDABLE = re.compile("[\u00c0-\u04ff\u1e00-\u1fff]")


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char)[0]
    return base if base.isalpha() else char


def fold(text: str) -> str:
    """``text`` with accents removed as the index removes them (``café`` ->
    ``cafe``), one character for one, so offsets into it are offsets into ``text``."""
    if text.isascii():
        return text
    return _FOLDABLE.sub(lambda m: _fold_char(m.group()), text)


def find(text: str, terms: list[Term], cap: int = 12) -> list[tuple[int, int, int]]:
    """(start, end, which term) of the first ``cap`` matches of each term,
    accents ignored as the index ignores them."""
    spans: list[tuple[int, int, int]] = []
    lowered = text.lower()
    if len(lowered) == len(text):
        lowered, patterns = fold(lowered), [t.pattern() for t in terms]
    else:  # a character whose lower case is longer: offsets would shift
        lowered, patterns = fold(text), [t.pattern_ignoring_case() for t in terms]
    masked: str | None = None
    for which, (pattern, on_masked) in enumerate(patterns):
        haystack = lowered
        if on_masked:
            masked = _masked(lowered) if masked is None else masked
            haystack = masked
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
