"""How the screenshot tools end: the same for each (``gallery``, ``screenshots``,
``insights_screenshots``), so it is written once."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from ait42_session.faces.app import WindowUnavailable, exit_if_stuck


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
