"""Text for the search index: what is indexed, and how a query reads.

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

Each query word also becomes a regular expression (``Term.pattern``) that
``search_marks`` runs over the original text to find where to excerpt and
what to highlight.
"""

from __future__ import annotations

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
    CJK characters are masked (:func:`masked`). It starts with a literal (the
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
    between = rf"(?:[^\w{MASK}]|_)+" if masked else r"[\W_]+"  # never over a CJK mask
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
MASK = "\ufdd0"


def masked(text: str) -> str:
    """``text`` with each CJK character replaced by ``MASK`` (offsets unchanged):
    what a term without CJK is matched in."""
    if text.isascii():
        return text
    return _CJK_RUN.sub(lambda m: MASK * len(m.group()), text)


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
