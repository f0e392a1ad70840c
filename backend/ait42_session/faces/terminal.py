"""What the command line prints: stored text made safe for a terminal, one-line
refusals, JSON and reports, search hits with their words marked, progress lines;
and what it reads in every verb: a path argument (``path_arg``).

Stored text (ids, paths, tasks, outputs) can carry terminal escapes; every
printed value goes through :class:`SafeStream`, so a terminal shows them and
never acts on them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from ait42_session.faces.service import Service


# What a terminal would act on rather than print: C0 and C1 controls (escape
# sequences start with ESC or CSI: titles, screen clears, OSC 8 links), DEL, and
# the bidirectional overrides that reorder a line. \n and \t stay; \r only on
# stderr, where progress lines use it.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def path_arg(text: str) -> str:
    """A path given on the command line: not blank (an unset shell variable), no NUL."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is blank: give a path (or leave the option out)")
    if "\x00" in text:
        raise argparse.ArgumentTypeError("holds a NUL character, which no path can")
    return text


def safe(text: str, *, keep_cr: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``)."""
    def shown(m: re.Match[str]) -> str:
        char = m.group()
        if keep_cr and char == "\r":
            return char
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    return _UNSAFE.sub(shown, text)


class SafeStream:
    """A text stream that prints every control character as an escape: whatever
    stored text a subcommand prints (ids, paths, tasks), the terminal only shows it."""

    def __init__(self, raw: IO[str], *, keep_cr: bool) -> None:
        self.raw = raw
        self.keep_cr = keep_cr

    def write(self, text: str) -> int:
        self.raw.write(safe(text, keep_cr=self.keep_cr))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, ...
        return getattr(self.raw, name)


class Parser(argparse.ArgumentParser):
    """argparse, refusing in one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        line = " ".join(message.split())
        self.exit(2, f"{self.prog}: {line} (see {self.prog} --help)\n")


def print_report(args: argparse.Namespace, report: dict[str, Any],
            as_text: Callable[[dict[str, Any]], str]) -> int:
    """Print a report (``--json``: as JSON); exit 1 unless it says ok."""
    if args.json:
        print_json(report)
    else:
        print(as_text(report))
    return 0 if report["ok"] else 1


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def build_search_index(svc: Service, quiet_below: int = 0) -> int:
    """Bring search and insights up to date with every stored session (an older
    database's history, an import just stored), with progress on stderr: a line
    rewritten on a terminal, a line a second in a log; none for a backlog of fewer
    than ``quiet_below`` sessions. How many were indexed."""
    started = last = time.monotonic()
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if total < quiet_below or (done < total and now - last < (0.1 if tty else 1.0)):
            return
        last = now
        line = (f"indexing the history for search: {done}/{total} sessions "
                f"({done / max(now - started, 1e-6):,.0f}/s)")
        print("\r" + line if tty else line, end="\n" if done == total or not tty else "",
              file=sys.stderr, flush=True)

    return svc.catch_up(progress)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _marked(text: str, marks: list[list[int]], bold: bool) -> str:
    """The excerpt with its words in bold (a terminal) or as they are; control
    characters shown as '?' so stored text cannot drive the terminal."""
    text = _CONTROL.sub("?", text)
    if not bold:
        return text
    out, at = [], 0
    for start, end in marks:
        out += [text[at:start], "\x1b[1m", text[start:end], "\x1b[22m"]
        at = end
    return "".join(out) + text[at:]


def format_hits(result: dict[str, Any], bold: bool) -> str:
    """Hits as a person reads them: task, facts, then one excerpt per matching field."""
    lines = []
    for hit in result["items"]:
        where = hit["workspacePath"] or hit["workspaceHash"]
        lines.append(_marked(hit["task"], [], False))
        lines.append(f"  {hit['sessionId']}  {hit['type']}, {hit['status']}, "
                     f"updated {hit['updatedAt']}  {where}")
        for m in hit["matches"]:
            label = m["field"]
            if "instanceId" in m:
                label += f" #{m['instanceId']}"
            if "messageId" in m:
                label += f" {m['messageId']}"
            if m.get("count", 1) > 1:
                label += f" (x{m['count']})"
            lines.append(f"    {label}: {_marked(m['text'], m['highlights'], bold)}")
        lines.append("")
    if not result["items"]:
        lines.append("no session matches")
    elif result["nextCursor"]:
        lines.append("more hits: raise --limit (up to 200)")
    return "\n".join(lines).rstrip("\n")
