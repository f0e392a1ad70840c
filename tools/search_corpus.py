"""Realistic text for the search benchmark: what agents print and people type.

A flat vocabulary where every word is in every session makes every query match
every session, which is neither what a history looks like nor a fair test. Here
words follow Zipf's law over a large vocabulary (a few hundred real English and
programming words at the top, then tens of thousands of made-up words), mixed
with identifiers (snake_case, camelCase, CONSTANTS), file paths, error lines
in the shapes compilers and test runners print, log lines, colour codes, and
some Japanese and Chinese. Output is assembled from a pool of ~512-character
pieces (so 4.4 GB of text is made in seconds) plus a line unique to each
instance, so a rare word is in a few hundred sessions and a unique token in one.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

# Most frequent first: prose, then the words of builds, tests and services.
COMMON = (
    "the", "to", "of", "and", "a", "in", "is", "that", "for", "it", "with", "as", "on", "be",
    "this", "are", "not", "you", "at", "by", "or", "from", "we", "have", "an", "but", "can",
    "will", "if", "all", "was", "do", "so", "use", "what", "which", "there", "their", "when",
    "one", "more", "need", "also", "should", "now", "here", "then", "just", "like", "only", "new",
    "make", "first", "get", "add", "error", "file", "test", "function", "build", "run", "failed",
    "code", "data", "value", "type", "return", "name", "set", "update", "check", "change", "fix",
    "line", "using", "user", "server", "module", "config", "version", "request", "response",
    "output", "input", "path", "message", "default", "list", "call", "class", "method", "object",
    "string", "import", "install", "package", "support", "time", "start", "status", "result",
    "key", "model", "found", "passed", "warning", "info", "debug", "log", "command", "process",
    "service", "client", "session", "token", "cache", "index", "query", "table", "database",
    "schema", "migration", "column", "field", "record", "api", "endpoint", "route", "handler",
    "event", "state", "component", "render", "page", "view", "form", "button", "style", "layout",
    "window", "commit", "branch", "merge", "rebase", "push", "pull", "release", "deploy",
    "rollback", "pipeline", "job", "step", "image", "container", "cluster", "node", "pod",
    "network", "port", "host", "socket", "connection", "timeout", "retry", "refused", "closed",
    "reset", "deadlock", "lock", "thread", "memory", "leak", "heap", "stack", "trace", "exception",
    "panic", "crash", "abort", "signal", "exit", "code", "warning", "deprecated", "missing",
    "invalid", "unexpected", "undefined", "null", "empty", "expected", "actual", "assert", "mock",
    "fixture", "coverage", "lint", "format", "compile", "compiler", "linker", "binary", "library",
    "dependency", "upgrade", "lockfile", "auth", "login", "logout", "password", "secret",
    "permission", "denied", "forbidden", "unauthorized", "refresh", "jwt", "oauth", "header",
    "cookie", "redirect", "url", "query", "param", "body", "payload", "json", "yaml"
)

AGENTS = ("backend-developer", "frontend-developer", "test-engineer", "devops-engineer",
          "security-reviewer", "database-architect", "docs-writer", "refactoring-expert",
          "performance-engineer", "api-designer", "mobile-developer", "data-engineer")

JAPANESE = ("JWT認証を追加", "ログイン画面のバグを修正", "データベース接続エラー",
            "テストが失敗しました", "マイグレーションを実行します", "キャッシュを削除",
            "セッションの有効期限を延長", "認証トークンの更新処理", "画面のレイアウトを調整",
            "ビルドに成功しました", "依存関係を更新", "エラーメッセージを改善",
            "修复数据库连接错误", "添加单元测试", "性能优化", "重构认证模块")
LEVELS = ("INFO", "WARN", "ERROR", "DEBUG", "TRACE")
COLOURS = ("\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[36m", "\x1b[2m")
EXTS = ("ts", "py", "rs", "go", "js", "tsx", "md", "sql", "toml", "yaml")
SYLLABLES = (
    "ka", "ri", "to", "ne", "mo", "sa", "lu", "vi", "den", "por", "tal", "gri", "fen", "ax", "ol",
    "um", "ber", "dex", "qua", "zen", "pli", "tro", "mar", "sil", "ven", "cor", "nus", "lek",
    "dor", "bal", "fi", "ga", "hu", "ja", "ki"
)


def zipf_cum(n: int, s: float = 1.07, q: float = 2.7) -> list[float]:
    """Cumulative Zipf-Mandelbrot weights for ranks 0..n-1."""
    return list(itertools.accumulate(1.0 / (r + q) ** s for r in range(n)))


@dataclass
class Corpus:
    """The vocabularies and pools a history is drawn from."""

    words: list[str]
    idents: list[str]
    paths: list[str]
    pieces: list[str]
    messages: list[str]
    rng: random.Random

    def draw_words(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self._wcum, k=k)

    def __post_init__(self) -> None:
        self._wcum = zipf_cum(len(self.words))
        self._icum = zipf_cum(len(self.idents), 1.0, 10)
        self._pcum = zipf_cum(len(self.paths), 1.0, 10)

    def ident(self) -> str:
        return self.rng.choices(self.idents, cum_weights=self._icum)[0]

    def path(self) -> str:
        return self.rng.choices(self.paths, cum_weights=self._pcum)[0]

    def output(self, chars: int, unique: str) -> str:
        """About ``chars`` characters of output ending in a line of its own."""
        count = max(1, chars // 520)
        return "".join(self.rng.choices(self.pieces, k=count)) + unique + "\n"

    def task(self) -> str:
        verb = self.rng.choice(("Add", "Fix", "Refactor", "Speed up", "Remove", "Document",
                                "Migrate", "Test", "Investigate", "Rewrite"))
        r = self.rng.random()
        tail = (self.ident() if r < 0.5 else self.path() if r < 0.7
                else self.rng.choice(JAPANESE) if r < 0.8 else "")
        return f"{verb} {' '.join(self.draw_words(self.rng.randint(2, 6)))} {tail}".strip()

    def branch(self) -> str:
        return "feature/" + "-".join(self.draw_words(2))


def _made_up(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        word = "".join(rng.choices(SYLLABLES, k=rng.choice((2, 3, 3, 4))))
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


def _ident(rng: random.Random, parts: list[str]) -> str:
    style = rng.random()
    if style < 0.45:
        return "_".join(parts)
    if style < 0.85:
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    return "_".join(parts).upper()


def make_corpus(seed: int = 42, vocabulary: int = 40_000, pieces: int = 20_000,
                messages: int = 20_000) -> Corpus:
    """Build the vocabularies and pools (a few seconds)."""
    rng = random.Random(seed)
    taken = set(COMMON)
    words = list(dict.fromkeys(COMMON)) + _made_up(rng, vocabulary - len(set(COMMON)), taken)
    mid = words[100:6000]
    idents = list(dict.fromkeys(_ident(rng, rng.sample(mid, rng.choice((2, 2, 3))))
                                for _ in range(8000)))
    paths = list(dict.fromkeys(
        "/".join(rng.choice(("src", "lib", "tests", "backend", "frontend", "crates", "pkg"))
                 for _ in range(1)) + "/" + "/".join(rng.sample(mid[:1500], rng.randint(1, 2)))
        + f"/{rng.choice(mid)}.{rng.choice(EXTS)}" for _ in range(3000)))
    corpus = Corpus(words, idents, paths, [], [], rng)
    corpus.pieces = [_piece(corpus) for _ in range(pieces)]
    corpus.messages = [_message(corpus) for _ in range(messages)]
    return corpus


def _line(c: Corpus) -> str:
    rng = c.rng
    r = rng.random()
    if r < 0.55:
        return " ".join(c.draw_words(rng.randint(5, 14)))
    if r < 0.65:
        return f"    at {c.ident()} ({c.path()}:{rng.randint(1, 900)}:{rng.randint(1, 80)})"
    if r < 0.72:
        level = rng.choice(LEVELS)
        return (f"[2026-01-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}] {level} {' '.join(c.draw_words(4))}"
                f" {c.ident()}={rng.randint(0, 99999)}")
    if r < 0.78:
        return rng.choice((
            f"TypeError: Cannot read properties of undefined (reading '{c.ident()}')",
            f"error[E0382]: borrow of moved value: `{c.ident()}`",
            f"ModuleNotFoundError: No module named '{c.draw_words(1)[0]}'",
            f"FAILED {c.path()}::test_{c.ident()} - AssertionError: expected"
            f" {rng.randint(0, 99)} got {rng.randint(0, 99)}",
            f"panic: runtime error: index out of range [{rng.randint(0, 9)}] with length"
            f" {rng.randint(0, 9)}",
            f"ERROR {c.path()}:{rng.randint(1, 500)}: {' '.join(c.draw_words(5))}",
            f"psycopg2.OperationalError: connection refused on port {rng.randint(1000, 9999)}",
            f"warning: unused variable `{c.ident()}` in {c.path()}"))
    if r < 0.84:
        return f"modified:   {c.path()}" if rng.random() < 0.5 else \
            f"  {c.ident()}({c.ident()}, {rng.randint(0, 9)}) -> {c.ident()}"
    if r < 0.88:
        return rng.choice(JAPANESE) + rng.choice(("。", "", " ", "\uff1a")) + \
            (" " + c.ident() if rng.random() < 0.3 else "")
    colour = rng.choice(COLOURS)
    return f"{colour}{rng.choice(('PASS', 'FAIL', 'ok', '✓', '✗'))}\x1b[0m " + \
        " ".join(c.draw_words(rng.randint(3, 8)))


def _piece(c: Corpus, size: int = 512) -> str:
    lines: list[str] = []
    total = 0
    while total < size:
        line = _line(c)
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def _message(c: Corpus) -> str:
    rng = c.rng
    if rng.random() < 0.15:
        return "".join(rng.choices(JAPANESE, k=rng.randint(2, 5))) + "。" + c.ident()
    words = c.draw_words(rng.randint(15, 40))
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), c.ident())
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), c.path())
    return " ".join(words)
