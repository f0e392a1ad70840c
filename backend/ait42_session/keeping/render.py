"""Sessions as text a person reads: a Markdown transcript and one self-contained HTML page.

Markdown: the task as a heading, the facts as a list, then each instance with
its output in a fenced block and the chat in order; a fence is always longer
than any run of backticks in what it holds, so stored text cannot close it.

HTML: a page with an inline style and no script at all; its Content Security
Policy forbids scripts anyway. Every stored string goes through
``html.escape`` (quotes included) and nothing stored is ever placed in an
attribute other than as escaped text, so no stored text can become markup.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from ait42_session.shape.models import now_rfc3339

_FACTS = ("id", "type", "status", "model", "createdAt", "updatedAt", "completedAt",
          "archivedAt", "winnerId", "runtimeMix", "totalDuration", "totalFilesChanged",
          "totalLinesAdded", "totalLinesDeleted")
_INSTANCE_FACTS = ("status", "agentName", "runtime", "model", "branch", "worktreePath",
                   "startTime", "endTime", "filesChanged", "linesAdded", "linesDeleted")


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# -- Markdown ------------------------------------------------------------------------

def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _md_line(text: str) -> str:
    """One line of Markdown that stored text cannot turn into structure."""
    flat = " ".join(text.split())
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~])", r"\\\1", flat)


def _md_block(text: str) -> str:
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
    return " ".join(text.replace("`", "'").split())


# -- HTML ----------------------------------------------------------------------------

_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d1d1f;background:#fff}section{border-top:1px solid #ddd;padding-top:1rem;margin-top:2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}dt{color:#666}dd{margin:0}
pre{white-space:pre-wrap;word-break:break-word;background:#f5f5f7;padding:.6rem;border-radius:6px}
.msg{margin:.5rem 0}.role{font-weight:600}"""

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
            parts.append(f"<pre>{_e(inst['output'])}</pre>\n")
    if s.get("chatHistory"):
        parts.append("<h3>Chat</h3>\n")
        for m in s["chatHistory"]:
            who = m["role"] + (f" (instance {m['instanceId']})"
                               if m.get("instanceId") is not None else "")
            parts.append(f"<div class=\"msg\"><span class=\"role\">{_e(who)}</span> "
                         f"<time>{_e(m['timestamp'])}</time><pre>{_e(m['content'])}</pre></div>\n")
    parts.append("</section>\n")
    return "".join(parts)
