"""The desktop window: pywebview on Qt WebEngine, the bundled page, the Bridge as js_api.

``run_window(db_path)`` is what ``ait42-session`` runs without a subcommand.
``load_qt``, ``create_window``, ``check_renderer`` and ``exit_if_stuck`` are the
steps it takes; the window tests, the screenshot renderer and the window
benchmark (``tests/window/driver.py``, ``tools/``) take the same steps to open
the real window headless, so they exercise what the person runs.

pywebview facts this relies on (see ``shared/notes/pywebview.md``):

- ``webview.start`` runs once per process, on the main thread, and blocks until
  the last window closes; the ``func`` it is given runs on a new thread.
- If Qt cannot be imported pywebview silently falls back to GTK, so Qt is
  imported here first and the renderer is checked once the loop runs.
- A relative URL resolves against ``sys.argv[0]``: the page is passed by
  absolute path and served by pywebview's server on 127.0.0.1.
- pywebview sends ``target=_blank`` navigations to the system browser itself;
  navigations of the main frame are guarded here so the window never leaves
  the bundled page.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ait42_session.faces import logs

TITLE = "AIT42 Sessions"
WIDTH = 1280
HEIGHT = 820
MIN_SIZE = (880, 560)
BACKGROUND = "#f5f6f8"

#: Qt platforms that need no display server.
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"})


class WindowUnavailable(Exception):
    """The window cannot start on this machine; the message says why in one line."""


# -- where the page lives ------------------------------------------------------


def frontend_dir() -> Path:
    """The folder with the page: ``$AIT42_FRONTEND``, else ``frontend/`` of the checkout."""
    override = os.environ.get("AIT42_FRONTEND")
    package = Path(__file__).resolve().parents[1]  # ait42_session/
    candidates = ([Path(override)] if override
                  else [package / "frontend", package.parents[1] / "frontend"])
    for candidate in candidates:
        if (candidate / "index.html").is_file():
            return candidate.resolve()
    raise WindowUnavailable(
        "the page is missing: no index.html in " + ", ".join(str(c) for c in candidates)
        + " (set AIT42_FRONTEND to the frontend folder)"
    )


def index_path() -> str:
    """Absolute path of the page, as pywebview needs it."""
    return str(frontend_dir() / "index.html")


# -- can a window start here? --------------------------------------------------


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no window can be shown here, or None when a display (or offscreen Qt) is there."""
    env = dict(os.environ) if env is None else env
    platform = sys.platform if platform is None else platform
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if qpa in HEADLESS_PLATFORMS:
        return None
    if not platform.startswith("linux") and not platform.startswith("freebsd"):
        return None  # macOS and Windows always have their window system
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display found (DISPLAY and WAYLAND_DISPLAY are unset): run it in a desktop "
        "session, under Xvfb (xvfb-run ait42-session), or with QT_QPA_PLATFORM=offscreen "
        "for headless tests"
    )


def prepare_environment() -> None:
    """Environment Qt needs before it is imported: the PyQt6 binding, no sandbox as root."""
    os.environ.setdefault("QT_API", "pyqt6")
    geteuid = getattr(os, "geteuid", None)
    if geteuid is not None and geteuid() == 0:
        # Chromium refuses to start its sandbox as root; without this the page is blank.
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    # Chromium's GPU probing prints pages of warnings on machines without GPU access.
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false;qt.rhi.*=false")


def load_qt() -> None:
    """Import Qt WebEngine and pywebview's Qt backend, or raise WindowUnavailable.

    Qt WebEngine has to be imported before any QApplication exists, and importing
    pywebview's Qt backend ourselves is what keeps pywebview from quietly falling
    back to GTK.
    """
    prepare_environment()
    try:
        import PyQt6.QtWebEngineCore
        import PyQt6.QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:
        raise WindowUnavailable(
            f"Qt WebEngine cannot be loaded ({exc}); install the window extra "
            "(pip install 'ait42-session[window]') and, on Debian, Qt's system libraries"
        ) from None
    # pywebview's Qt backend itself is not imported here: it reads the storage path
    # (``window-profile/`` beside the database) when imported, and only
    # ``webview.start(storage_path=...)`` sets it (defect 29). What it needs is
    # checked instead: qtpy on PyQt6's WebEngine, and the module being there.
    try:
        import qtpy.QtWebEngineWidgets  # noqa: F401
        found = importlib.util.find_spec("webview.platforms.qt") is not None
    except Exception as exc:  # qtpy raises its own errors; any of them means no window
        raise WindowUnavailable(f"pywebview's Qt backend cannot be loaded ({exc})") from None
    if not found:
        raise WindowUnavailable("pywebview's Qt backend is missing; reinstall the window "
                                "extra (pip install 'ait42-session[window]')")


# -- the window ----------------------------------------------------------------

_guard_installed = False


def _is_local_origin(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost", "::1")


def install_navigation_guard() -> None:
    """Keep every window on its own page: other main-frame navigations go to the browser.

    pywebview's Qt page accepts any navigation of the main frame; only new-window
    requests (``target=_blank``, ``window.open``) are sent to the system browser.
    The page does that for every link it shows; this guard is the second line: the
    first page the window loads fixes its origin, and anything else the main frame
    is asked to load is opened with ``webbrowser`` instead.
    """
    global _guard_installed
    if _guard_installed:
        return
    from webview.platforms.qt import BrowserView

    page_class = BrowserView.WebPage

    def accept_navigation(page: Any, url: Any, nav_type: Any, is_main_frame: bool) -> bool:
        target = str(url.toString())
        if not is_main_frame or target.startswith(("about:", "data:", "qrc:")):
            return True
        parts = urlsplit(target)
        origin = f"{parts.scheme}://{parts.netloc}"
        # Kept on the page with Qt's public dynamic properties.
        allowed = page.property("ait42Origin") or None
        if allowed is None and (_is_local_origin(target) or parts.scheme == "file"):
            page.setProperty("ait42Origin", origin)
            return True
        if origin == allowed:
            return True
        if parts.scheme in ("http", "https", "mailto"):
            webbrowser.open(target, 2, True)
        return False

    # PyQt looks the override up on the class, so it applies to pages created from now on.
    setattr(page_class, "acceptNavigationRequest", accept_navigation)  # noqa: B010
    _guard_installed = True


def create_window(bridge: Any, *, title: str = TITLE, width: int = WIDTH, height: int = HEIGHT,
                  hidden: bool = False, close_bridge: bool = True) -> Any:
    """Create (not yet show) the window with ``bridge`` as its js_api.

    When ``close_bridge`` is set, closing the window closes the bridge and so the
    database. Call ``load_qt()`` first.
    """
    import webview

    window = webview.create_window(
        title, index_path(), js_api=bridge, width=width, height=height,
        min_size=MIN_SIZE, hidden=hidden, text_select=True, background_color=BACKGROUND,
    )
    if window is None:
        raise WindowUnavailable("pywebview did not create the window")
    if "webview.platforms.qt" in sys.modules:
        install_navigation_guard()
    else:  # imported by webview.start, after it has set the storage path
        window.events.before_show += install_navigation_guard
    if close_bridge:
        def on_closed() -> None:
            bridge.close()

        window.events.closed += on_closed
    return window


def check_renderer() -> None:
    """Raise WindowUnavailable unless pywebview chose Qt WebEngine (not its GTK fallback)."""
    import webview

    renderer = getattr(webview, "renderer", None)
    if renderer != "qtwebengine":
        raise WindowUnavailable(
            f"pywebview chose the {renderer!r} renderer instead of Qt WebEngine"
        )


def _pick_port(preferred: int) -> int:
    """``preferred`` when it is free on 127.0.0.1, else any free port."""
    import socket

    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen: int = probe.getsockname()[1]
            return chosen
    raise WindowUnavailable("no free TCP port on 127.0.0.1 for the page's local server")


#: The page's own storage (recent workspaces, theme) survives restarts only with a
#: fixed origin, so the window prefers one port; if it is taken it still starts.
PREFERRED_PORT = 42042


def run_window(db_path: str) -> int:
    """Open the window on ``db_path`` and wait until it is closed; the process exit code."""
    problem = display_problem()
    if problem:
        print(f"ait42-session: {problem}", file=sys.stderr)
        return 2
    try:
        load_qt()
        index_path()
    except WindowUnavailable as exc:
        print(f"ait42-session: {exc}", file=sys.stderr)
        return 2

    import webview

    from ait42_session.faces.bridge import Bridge

    bridge = Bridge.open(db_path)
    failure: list[str] = []
    try:
        window = create_window(bridge, title=f"{TITLE} — {Path(db_path).name}")

        def check() -> None:
            try:
                check_renderer()
            except WindowUnavailable as exc:
                failure.append(str(exc))
                window.destroy()

        storage = Path(db_path).expanduser().resolve().parent / "window-profile"
        webview.start(check, gui="qt", private_mode=False, storage_path=str(storage),
                      http_port=_pick_port(PREFERRED_PORT))
    except WindowUnavailable as exc:
        failure.append(str(exc))
    except Exception as exc:  # Qt or pywebview failed to start: one line, the trace logged
        logged = logs.record_failure(db_path, "the window failed to start")
        failure.append(f"the window failed to start ({type(exc).__name__}: {exc})"
                       + logs.details(logged))
    finally:
        bridge.close()
    code = 0
    if failure:
        print("ait42-session: " + " ".join(failure[0].split()), file=sys.stderr)
        code = 2
    exit_if_stuck(code)
    return code


def exit_if_stuck(code: int, grace: float = 2.0) -> None:
    """End the process if pywebview left threads that can never finish.

    pywebview answers each page call on a new non-daemon thread that waits, with no
    timeout, for the GUI thread to run the reply script. A call still in flight when
    the window closes waits forever and the interpreter would never exit. The
    database is closed by now, so after a short grace the process ends here.
    """
    deadline = time.monotonic() + grace
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() and not t.daemon and t is not threading.current_thread()
           for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
