"""What the screenshot tools (``gallery``, ``screenshots``, ``insights_screenshots``)
do alike, written once: pick a theme, let the page settle before a picture, and end."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ait42_session.faces.app import WindowUnavailable, exit_if_stuck

if TYPE_CHECKING:
    from tests.window.driver import Page


def set_theme(page: Page, theme: str) -> None:
    """Choose ``theme`` in the page's theme menu, as a person would."""
    page.js(f"(function(){{var s=document.getElementById('theme-select');"
            f"s.value={json.dumps(theme)};s.dispatchEvent(new Event('change'));}})()")


def settle(page: Page, ms: int = 400) -> None:
    """Let the page draw what it was just told (two frames and ``ms`` more),
    with nothing focused, so no focus ring is in the picture."""
    page.js("document.activeElement && document.activeElement.blur && "
            "document.activeElement.blur()")
    page.run("await new Promise(r => requestAnimationFrame(() => "
             f"requestAnimationFrame(() => setTimeout(r, {ms}))));")


def unavailable(exc: WindowUnavailable) -> int:
    """No window could open here (no Qt, no display): say why; exit status 2."""
    print(f"screenshots: {exc}", file=sys.stderr)
    return 2


def done(paths: Iterable[str | Path]) -> int:
    """Print the files written, one a line, and end as the app does: the page's
    live wait is still in flight on pywebview's thread, which would hold the exit."""
    for p in paths:
        print(p)
    sys.stdout.flush()
    exit_if_stuck(0)
    return 0
