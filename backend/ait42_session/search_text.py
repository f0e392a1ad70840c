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

import re
from dataclasses import dataclass, field

# CSI sequences (colours, cursor moves), OSC sequences (titles, links) and the
# two-character escapes; what a terminal does not print as text.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)

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

EXCERPT_CHARS = 300


def clean(text: str) -> str:
    """The text as a terminal shows it: ANSI escape sequences removed."""
    if "\x1b" not in text and "\x9b" not in text:
        return text
    return _ANSI.sub("", text)


def _pairs(match: re.Match[str]) -> str:
    run = match.group()
    if len(run) == 1:
        return f" {run} "
    return " " + " ".join(run[k:k + 2] for k in range(len(run) - 1)) + " "


def index_text(text: str) -> str:
    """What FTS5 indexes for ``text``: ANSI removed, CJK runs as overlapping pairs."""
    text = clean(text)
    if _CJK_ONE.search(text) is None:
        return text
    return _CJK_RUN.sub(_pairs, text)


@dataclass(frozen=True, slots=True)
class Term:
    """One query word or quoted phrase, as FTS5 and the highlighter read it."""

    text: str
    prefix: bool = False

    def fts(self) -> str:
        """The FTS5 phrase: the prepared text quoted (never an operator)."""
        prepared = " ".join(index_text(self.text).split())
        prefix = self.prefix or _single_cjk(self.text)
        return '"' + prepared.replace('"', '""') + '"' + (" *" if prefix else "")

    def pattern(self) -> re.Pattern[str]:
        """A regular expression finding this term in original text (case-insensitive)."""
        return _pattern(self.text, self.prefix or _single_cjk(self.text))


def _single_cjk(text: str) -> bool:
    """A lone CJK character: indexed text holds pairs, so it is searched as a prefix."""
    runs = _WORD_RUN.findall(text)
    return len(runs) == 1 and len(runs[0]) == 1 and _CJK_ONE.match(runs[0]) is not None


def has_words(text: str) -> bool:
    """Whether ``text`` holds anything FTS5 indexes (a letter or a digit)."""
    return _WORD_RUN.search(text) is not None


def _pieces(text: str) -> list[tuple[bool, str, bool]]:
    """(is CJK, text, glued to the previous piece) for each piece of the term."""
    pieces: list[tuple[bool, str, bool]] = []
    for run in _WORD_RUN.findall(text):
        first = True
        for part in re.findall(f"[{_CJK_CHARS}]+|(?:(?![{_CJK_CHARS}])[^\\W_])+", run):
            pieces.append((_CJK_ONE.match(part) is not None, part, not first))
            first = False
    return pieces


def _pattern(text: str, prefix: bool) -> re.Pattern[str]:
    parts: list[str] = []
    pieces = _pieces(text)
    for k, (cjk, piece, _glued) in enumerate(pieces):
        if k:
            both_latin = not cjk and not pieces[k - 1][0]
            parts.append(r"[\W_]+" if both_latin else r"[\W_]*")
        if cjk:
            parts.append(re.escape(piece))
            continue
        last = k == len(pieces) - 1
        tail = f"{_WORDCHAR}*" if (prefix and last) else f"(?!{_WORDCHAR})"
        parts.append(f"(?<!{_WORDCHAR}){re.escape(piece)}{tail}")
    return re.compile("".join(parts) or r"(?!)", re.IGNORECASE)


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


def find(text: str, patterns: list[re.Pattern[str]], cap: int = 200) -> list[tuple[int, int, int]]:
    """(start, end, which pattern) of the first ``cap`` matches of each pattern."""
    spans: list[tuple[int, int, int]] = []
    for which, pattern in enumerate(patterns):
        for n, m in enumerate(pattern.finditer(text)):
            if n >= cap:
                break
            if m.end() > m.start():
                spans.append((m.start(), m.end(), which))
    spans.sort()
    return spans


def excerpt(text: str, spans: list[tuple[int, int, int]],
            size: int = EXCERPT_CHARS) -> tuple[str, list[list[int]]]:
    """About ``size`` characters of ``text`` around the most varied cluster of
    matches, whitespace runs as one space, ``…`` where it was cut, and the
    ``[start, end)`` ranges of the matches within it."""
    start = 0
    if spans and len(text) > size:
        best, best_kinds = spans[0][0], 0
        for s, _e, _w in spans[:50]:
            lo = max(0, s - size // 4)
            kinds = len({w for s2, e2, w in spans if s2 >= lo and e2 <= lo + size})
            if kinds > best_kinds:
                best, best_kinds = s, kinds
        start = max(0, min(best - size // 4, len(text) - size))
        space = text.rfind(" ", max(0, start - 20), start + 1)
        if start and space > 0:
            start = space + 1
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", end - 30, end)
        if space > start:
            end = space
    out: list[str] = []
    remap: dict[int, int] = {}
    if start > 0:
        out.append("…")
    previous_space = True
    for k in range(start, end):
        remap[k] = len(out)
        ch = text[k]
        if ch.isspace():
            if not previous_space:
                out.append(" ")
            previous_space = True
            continue
        out.append(ch)
        previous_space = False
    remap[end] = len(out)
    while out and out[-1] == " ":
        out.pop()
    if end < len(text):
        out.append("…")
    marks: list[list[int]] = []
    for s, e, _w in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        a, b = remap[s], min(remap[e], len(out))
        if marks and a <= marks[-1][1]:
            marks[-1][1] = max(marks[-1][1], b)
        elif a < b:
            marks.append([a, b])
    return "".join(out), marks
