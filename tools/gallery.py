"""Every view of the window on a realistic history, at two sizes, light and dark.

    python -m tools.gallery [OUT_DIR] [--sessions N]     (./dev screenshots [OUT_DIR])

Builds a history with ``tests/realistic.py`` (default 2,800 sessions: about 1,400
in the busiest workspace, ANSI outputs of thousands of lines, a session of 5
instances, debates by round, long titles, Japanese, archived and trashed
sessions, a workspace known by its hash) and legacy files for the welcome, opens
the real window offscreen and writes ``{view}-{width}x{height}-{theme}.png`` for
the board, a session (long coloured output, 5 instances), search, compare,
insights, database, import, trash and the welcome, at 1400x1000 and 900x700.
The welcome is what a first launch shows: a window of its own (a second process:
pywebview starts once per process) on an empty database, with the legacy files
in its ``~/.ait42/sessions``; its sample history with the banner (``sample-*``);
after its Import, the storage-mode suggestion (``storage-suggest-*``). The default
OUT_DIR is ``docs/screenshots``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ait42_session.faces.app import WindowUnavailable
from ait42_session.faces.bridge import Bridge
from tools.shots import done, set_theme, settle, unavailable

SIZES = ((1400, 1000), (900, 700))
THEMES = ("light", "dark")
ROOT = Path(__file__).resolve().parents[1]


def render(db: str, out_dir: Path, history: object) -> list[Path]:
    from tests.realistic import History
    from tests.window.driver import Page, drive

    assert isinstance(history, History)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shoot(page: Page, name: str) -> None:
        path = out_dir / f"{name}.png"
        page.grab(path)
        written.append(path)

    def views(page: Page) -> list[tuple[str, str]]:
        """(name, script that shows it) in the order shot."""
        from tests.window import ui

        return [
            ("board", ui.choose_workspace(history.main) + ui.show_view("board")),
            ("detail", ui.open_session(history.long_session)),
            ("compare", ui.open_compare(history.long_session, [0, 1, 2])),
            ("search", ui.search("JWT 認証")),
            ("insights", ui.search("") + ui.show_view("insights")),
            ("database", ui.show_view("database")
                         + "document.getElementById('db-verify').click();"),
            ("import", ui.show_view("import")),
            ("trash", ui.show_view("trash")),
        ]

    def driver(page: Page) -> None:
        from tests.window import ui

        page.run(ui.choose_workspace(history.main), timeout=60)
        page.wait_idle(60)
        for width, height in SIZES:
            page.resize(width, height)
            page.wait_for(f"Math.abs(window.innerWidth - {width}) < 24", 10)
            for name, script in views(page):
                page.run(script, timeout=60)
                if name == "compare":
                    page.wait_for("document.getElementById('view-compare').dataset.loaded"
                                  " === 'true'", 60)
                if name == "search":
                    page.wait_for("document.getElementById('view-search').dataset.state"
                                  " === 'done'", 60)
                if name == "insights":
                    page.wait_for("document.getElementById('view-insights').dataset.loaded"
                                  " === 'true'", 60)
                for theme in THEMES:
                    set_theme(page, theme)
                    page.wait_idle(60)
                    settle(page)
                    shoot(page, f"{name}-{width}x{height}-{theme}")
        set_theme(page, "auto")

    with Bridge.open(db) as bridge:
        drive(bridge, driver, width=SIZES[0][0], height=SIZES[0][1])
    return written


def render_first_launch(db: str, out_dir: Path) -> list[Path]:
    """The welcome on an empty database, then the suggestion after its Import."""
    from tests.window.driver import Page, drive

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shoot_every_size(page: Page, name: str, sizes: tuple[tuple[int, int], ...]) -> None:
        for width, height in sizes:
            page.resize(width, height)
            page.wait_for(f"Math.abs(window.innerWidth - {width}) < 24", 10)
            shoot_both_themes(page, name, width, height)

    def shoot_both_themes(page: Page, name: str, width: int, height: int) -> None:
        for theme in THEMES:
            set_theme(page, theme)
            settle(page)
            path = out_dir / f"{name}-{width}x{height}-{theme}.png"
            page.grab(path)
            written.append(path)

    def driver(page: Page) -> None:
        view = page.js("document.documentElement.dataset.view")
        assert view == "welcome", "the database is not empty"
        page.wait_for("['found', 'none'].includes("
                      "document.getElementById('welcome-legacy').dataset.state)", 60)
        shoot_every_size(page, "welcome", SIZES)
        # The sample history from the welcome (its own database), its banner, and back.
        page.js("document.getElementById('welcome-sample').click()")
        page.wait_for("document.documentElement.dataset.sample === 'true'"
                      " && document.documentElement.dataset.ready === 'true'", 60)
        page.wait_idle(60)
        shoot_every_size(page, "sample", SIZES[::-1])
        page.js("document.getElementById('sample-leave').click()")
        page.wait_for("!document.documentElement.dataset.sample"
                      " && document.documentElement.dataset.view === 'welcome'", 60)
        page.wait_for("['found', 'none'].includes("
                      "document.getElementById('welcome-legacy').dataset.state)", 60)
        page.js("document.getElementById('welcome-import').click()")
        page.wait_for("document.getElementById('storage-dialog').open", 120)
        page.wait_idle(60)
        shoot_every_size(page, "storage-suggest", SIZES[::-1])
        page.js("document.getElementById('storage-keep').click()")
        page.js("document.getElementById('theme-select').value = 'auto'")

    with Bridge.open(db) as bridge:
        drive(bridge, driver, width=SIZES[0][0], height=SIZES[0][1])
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gallery",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--sessions", type=int, default=2800)
    parser.add_argument("--first-launch-db", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from tests.realistic import build, write_legacy_folder

    if args.first_launch_db:
        try:
            return done(render_first_launch(args.first_launch_db, Path(args.out_dir)))
        except WindowUnavailable as exc:
            return unavailable(exc)

    with tempfile.TemporaryDirectory(prefix="ait42-gallery-") as tmp:
        home = Path(tmp) / "home"
        # the welcome's legacy history, in the window's own ~/.ait42/sessions
        write_legacy_folder(home / ".ait42" / "sessions", sessions=400)
        os.environ["HOME"] = str(home)
        # the first launch: an empty database of its own, in a process of its own
        empty = Path(tmp) / "first-launch" / "sessions.db"
        empty.parent.mkdir()
        first = subprocess.run([sys.executable, "-m", "tools.gallery", args.out_dir,
                                "--first-launch-db", str(empty)], cwd=ROOT, check=False)
        if first.returncode != 0:
            print(f"screenshots: the first launch's window failed ({first.returncode})",
                  file=sys.stderr)
            return first.returncode
        db = str(Path(tmp) / "data" / "sessions.db")
        print(f"building a history of {args.sessions:,} sessions…", file=sys.stderr)
        history = build(db, sessions=args.sessions, long_lines=3000)
        try:
            paths = render(db, Path(args.out_dir), history)
        except WindowUnavailable as exc:
            return unavailable(exc)
    return done(paths)


if __name__ == "__main__":
    sys.exit(main())
