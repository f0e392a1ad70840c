"""ansi.py reads terminal output by the page's rules: the same lines, text and colour runs
as frontend/js/ansi.js for the same input (checked against ansi.js itself when node is
installed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ait42_session.keeping import ansi

CASES = [
    "",
    "plain\nlines\n",
    "\x1b[1m\x1b[36m▶ Step 1\x1b[0m reading",
    "\x1b[31mred across\nlines\x1b[0m back",
    "\x1b[32;1mgreen bold\x1b[22m green\x1b[39m plain",
    "\x1b[38;5;208morange\x1b[48;5;3m on yellow\x1b[0m \x1b[38;5;250mgrey",
    "\x1b[38;2;300;-1;7mclamped\x1b[49m\x1b[m",
    "\x1b[90mbright black \x1b[107mon bright white",
    "progress 10%\rprogress 100%\r\n\x1b[2K\x1b[1Gdone",
    "\x1b]0;title\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ after",
    "\x1b[?25l\x1b[3;4Hcursor\x1b[K\x1b7\x1b8 gone\x9b1mC1\x1b[0m",
    "tab\tbell\x07nul\x00 del\x7f",
    "\x1b[4;3munderline italic\x1b[24;23m off",
    "日本語 \x1b[35mマゼンタ\x1b[0m",
]


def _py(text: str) -> list[dict[str, Any]]:
    def colour(c: ansi.Colour | None) -> Any:
        return None if c is None else ({"name": c.name} if c.name else {"css": c.css})

    return [{"text": line.text,
             "runs": [{"start": r.start, "end": r.end, "fg": colour(r.style.fg),
                       "bg": colour(r.style.bg), "bold": r.style.bold, "dim": r.style.dim,
                       "italic": r.style.italic, "underline": r.style.underline}
                      for r in line.runs]}
            for line in ansi.parse(text)]


def test_the_common_cases() -> None:
    lines = ansi.parse("\x1b[1m\x1b[36m▶ Step 1\x1b[0m reading\nnext\r\n")
    assert [line.text for line in lines] == ["▶ Step 1 reading", "next"]
    (run,) = lines[0].runs
    assert (run.start, run.end, run.style.fg, run.style.bold) == \
        (0, 8, ansi.Colour(name="cyan"), True)
    assert ansi.plain_text("a\x1b[31mb\x1b[0m\rc\x1b]0;t\x07") == "c"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_same_as_the_page() -> None:
    source = (Path(__file__).parents[1] / "frontend/js/ansi.js").read_text(encoding="utf-8")
    script = (source.replace("export function", "function")
              + "\nconst cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
              + "process.stdout.write(JSON.stringify(cases.map(parseAnsi)));\n")
    done = subprocess.run(["node", "-e", script], input=json.dumps(CASES), text=True,
                          capture_output=True, check=True, timeout=60)
    for case, page in zip(CASES, json.loads(done.stdout), strict=True):
        assert _py(case) == page, repr(case)
    # the export's colours on white are the light theme's
    colours = ["rgb(255, 135, 0)", "rgb(255, 255, 135)", "rgb(0, 0, 135)", "rgb(120, 160, 255)",
               "rgb(238, 238, 238)"]
    script = (source.replace("export function", "function")
              + f"\nprocess.stdout.write(JSON.stringify({json.dumps(colours)}"
              + ".map((c) => readableColours(c)[0])));\n")
    done = subprocess.run(["node", "-e", script], text=True, capture_output=True, check=True,
                          timeout=60)
    assert json.loads(done.stdout) == [ansi.readable_on_white(c) for c in colours]
