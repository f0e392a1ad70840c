"""Sessions as text a person reads: a Markdown transcript and one self-contained HTML page.

Markdown: the task as a heading, the facts as a list, then each instance with
its output in a fenced block and the chat in order; a fence is always longer
than any run of backticks in what it holds, so stored text cannot close it.

HTML: a page with an inline style and no script at all; its Content Security
Policy forbids scripts anyway. Every stored string goes through
``html.escape`` (quotes included) and nothing stored is ever placed in an
attribute other than as escaped text, so no stored text can become markup.

Neither ever carries a raw escape code. Outputs and chat messages are terminal
text: the HTML page renders their SGR colour as spans by the window's rules
(ansi.py, the Python twin of frontend/js/ansi.js), whose class names come from
a fixed list and whose inline colours are built from numbers only; the Markdown
transcript keeps their text alone. Every other stored string loses its escape
codes and control characters in both.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from ait42_session.keeping import ansi
from ait42_session.shape.timestamps import now_rfc3339

_FACTS = ("id", "type", "status", "model", "createdAt", "updatedAt", "completedAt",
          "archivedAt", "winnerId", "runtimeMix", "totalDuration", "totalFilesChanged",
          "totalLinesAdded", "totalLinesDeleted")
_INSTANCE_FACTS = ("status", "agentName", "runtime", "model", "branch", "worktreePath",
                   "startTime", "endTime", "filesChanged", "linesAdded", "linesDeleted")


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _clean(text)


# Escape sequences (ansi.js's list) and the controls no page or transcript should hold;
# tab, newline and carriage return stay.
_UNPRINTED = re.compile(ansi.ESCAPES.pattern + r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    """A stored string with no escape code and no unprinted control character."""
    return _UNPRINTED.sub("", text)


# -- Markdown ------------------------------------------------------------------------

def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _md_line(text: str) -> str:
    """One line of Markdown that stored text cannot turn into structure."""
    flat = " ".join(_clean(text).split())
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~])", r"\\\1", flat)


def _md_block(terminal_text: str) -> str:
    """Terminal text in a fenced block: what a person read, without its escape codes."""
    text = ansi.plain_text(terminal_text)
    fence = _fence(text)
    return f"{fence}text\n{text}\n{fence}\n"


def markdown_head(total: int) -> str:
    return f"# ait42 sessions\n\nExported {now_rfc3339()}: {total} session(s).\n\n"


def markdown_session(workspace: str, s: dict[str, Any]) -> str:
    parts = [f"## {_md_line(s['task'])}\n\n", f"- workspace: `{_md_code(workspace)}`\n"]
    parts += [f"- {key}: `{_md_code(_shown(s[key]))}`\n" for key in _FACTS
              if s.get(key) is not None]
    parts.append("\n")
    for inst in s.get("instances", []):
        parts.append(f"### Instance {inst['instanceId']}\n\n")
        parts += [f"- {key}: `{_md_code(_shown(inst[key]))}`\n" for key in _INSTANCE_FACTS
                  if inst.get(key) is not None]
        parts.append("\n")
        if inst.get("output"):
            parts.append(_md_block(inst["output"]) + "\n")
    if s.get("chatHistory"):
        parts.append("### Chat\n\n")
        for m in s["chatHistory"]:
            who = m["role"] + (f" (instance {m['instanceId']})"
                               if m.get("instanceId") is not None else "")
            parts.append(f"**{who}**, {_md_line(m['timestamp'])}:\n\n")
            parts.append(_md_block(m["content"]) + "\n")
    return "".join(parts) + "---\n\n"


def _md_code(text: str) -> str:
    """Text inside single backticks: no backtick or line break can escape them."""
    return " ".join(_clean(text).replace("`", "'").split())


# -- HTML ----------------------------------------------------------------------------

_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d1d1f;background:#fff}section{border-top:1px solid #ddd;padding-top:1rem;margin-top:2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}dt{color:#666}dd{margin:0}
pre{white-space:pre-wrap;word-break:break-word;background:#f5f5f7;padding:.6rem;border-radius:6px}
.msg{margin:.5rem 0}.role{font-weight:600}
.ansi-fg-black{color:#1f2328}.ansi-fg-red{color:#c62828}.ansi-fg-green{color:#1a7f37}
.ansi-fg-yellow{color:#8a6100}.ansi-fg-blue{color:#0b5cd5}.ansi-fg-magenta{color:#8e24aa}
.ansi-fg-cyan{color:#00838f}.ansi-fg-white{color:#57606a}.ansi-fg-bright-black{color:#6e7781}
.ansi-fg-bright-red{color:#d32f2f}.ansi-fg-bright-green{color:#2e7d32}
.ansi-fg-bright-yellow{color:#9a6700}.ansi-fg-bright-blue{color:#1565c0}
.ansi-fg-bright-magenta{color:#9c27b0}.ansi-fg-bright-cyan{color:#00796b}
.ansi-fg-bright-white{color:#24292f}[class*="ansi-bg-"]{color:#1f2328}
.ansi-bg-black{background:#3b3b3b;color:#f0f0f0}.ansi-bg-red,.ansi-bg-bright-red{background:#ffcdd2}
.ansi-bg-green,.ansi-bg-bright-green{background:#c8e6c9}
.ansi-bg-yellow,.ansi-bg-bright-yellow{background:#fff3bf}
.ansi-bg-blue,.ansi-bg-bright-blue{background:#bbdefb}
.ansi-bg-magenta,.ansi-bg-bright-magenta{background:#e1bee7}
.ansi-bg-cyan,.ansi-bg-bright-cyan{background:#b2ebf2}
.ansi-bg-white,.ansi-bg-bright-white,.ansi-bg-bright-black{background:#e0e0e0}
.ansi-bold{font-weight:700}.ansi-dim{opacity:.7}.ansi-italic{font-style:italic}
.ansi-underline{text-decoration:underline}"""

HTML_TAIL = "</main>\n</body>\n</html>\n"


def _e(value: Any) -> str:
    return html.escape(_shown(value), quote=True)


def html_head(total: int) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>ait42 sessions</title>\n"
            f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
            f"<h1>ait42 sessions</h1>\n<p>Exported {_e(now_rfc3339())}: {int(total)} "
            "session(s).</p>\n")


def _span(text: str, style: ansi.Style) -> str:
    """One coloured run: class names from ansi.py's fixed list, inline colours from numbers."""
    classes = []
    css = []
    if style.fg and style.fg.name:
        classes.append(f"ansi-fg-{style.fg.name}")
    if style.bg and style.bg.name:
        classes.append(f"ansi-bg-{style.bg.name}")
    classes += [f"ansi-{flag}" for flag in ("bold", "dim", "italic", "underline")
                if getattr(style, flag)]
    if style.fg and style.fg.css:
        css.append(f"color:{ansi.readable_on_white(style.fg.css)}")
    if style.bg and style.bg.css:
        css.append(f"background-color:{style.bg.css}")
        if not (style.fg and style.fg.css):
            css.append(f"color:{ansi.text_on(style.bg.css)}")
    attrs = f' class="{" ".join(classes)}"' if classes else ""
    attrs += f' style="{";".join(css)}"' if css else ""
    return f"<span{attrs}>{html.escape(text, quote=True)}</span>"


def _terminal(output: str) -> str:
    """Terminal text as the body of a <pre>: escaped text, its colour as spans."""
    parts = []
    for n, line in enumerate(ansi.parse(output)):
        if n:
            parts.append("\n")
        at = 0
        for run in line.runs:
            if run.start > at:
                parts.append(html.escape(line.text[at:run.start], quote=True))
            parts.append(_span(line.text[run.start:run.end], run.style))
            at = run.end
        if at < len(line.text):
            parts.append(html.escape(line.text[at:], quote=True))
    return "".join(parts)


def _facts(pairs: list[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in pairs if v is not None)
    return f"<dl>{rows}</dl>\n"


def html_session(workspace: str, s: dict[str, Any]) -> str:
    parts = [f"<section>\n<h2>{_e(s['task'])}</h2>\n",
             _facts([("workspace", workspace)] + [(k, s.get(k)) for k in _FACTS])]
    for inst in s.get("instances", []):
        parts.append(f"<h3>Instance {_e(inst['instanceId'])}</h3>\n")
        parts.append(_facts([(k, inst.get(k)) for k in _INSTANCE_FACTS]))
        if inst.get("output"):
            parts.append(f"<pre>{_terminal(inst['output'])}</pre>\n")
    if s.get("chatHistory"):
        parts.append("<h3>Chat</h3>\n")
        for m in s["chatHistory"]:
            who = m["role"] + (f" (instance {m['instanceId']})"
                               if m.get("instanceId") is not None else "")
            parts.append(f"<div class=\"msg\"><span class=\"role\">{_e(who)}</span> "
                         f"<time>{_e(m['timestamp'])}</time>"
                         f"<pre>{_terminal(m['content'])}</pre></div>\n")
    parts.append("</section>\n")
    return "".join(parts)
