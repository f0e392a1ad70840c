"""The desktop window: pywebview on Qt WebEngine, the bundled page, the Bridge as js_api.

``run_window(db_path)`` is what ``ait42-session`` runs without a subcommand. The
rest of this module is the machinery the window tests, the screenshot command
and the window benchmark share: open the real window (headless under
``QT_QPA_PLATFORM=offscreen``), run a driver in a thread that acts on the page
through JavaScript, and hand back its result.

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

import json
import os
import sys
import threading
import time
import uuid
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

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
    here = Path(__file__).resolve().parent
    candidates = [Path(override)] if override else [here / "frontend", here.parents[1] / "frontend"]
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
    try:
        import webview.platforms.qt  # noqa: F401
    except Exception as exc:  # pywebview wraps many failures; any of them means no window
        raise WindowUnavailable(f"pywebview's Qt backend cannot be loaded ({exc})") from None


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
        allowed = getattr(page, "_ait42_origin", None)
        if allowed is None and (_is_local_origin(target) or parts.scheme == "file"):
            page._ait42_origin = origin
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

    install_navigation_guard()
    window = webview.create_window(
        title, index_path(), js_api=bridge, width=width, height=height,
        min_size=MIN_SIZE, hidden=hidden, text_select=True, background_color=BACKGROUND,
    )
    if window is None:
        raise WindowUnavailable("pywebview did not create the window")
    if close_bridge:
        def on_closed() -> None:
            bridge.close()

        window.events.closed += on_closed
    return window


def _check_renderer() -> None:
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

    from .bridge import Bridge

    bridge = Bridge.open(db_path)
    failure: list[str] = []
    try:
        window = create_window(bridge, title=f"{TITLE} — {Path(db_path).name}")

        def check() -> None:
            try:
                _check_renderer()
            except WindowUnavailable as exc:
                failure.append(str(exc))
                window.destroy()

        storage = Path(db_path).expanduser().resolve().parent / "window-profile"
        webview.start(check, gui="qt", private_mode=False, storage_path=str(storage),
                      http_port=_pick_port(PREFERRED_PORT))
    except WindowUnavailable as exc:
        failure.append(str(exc))
    except Exception as exc:  # Qt or pywebview failed to start: one line, not a trace
        failure.append(f"the window failed to start ({type(exc).__name__}: {exc})")
    finally:
        bridge.close()
    code = 0
    if failure:
        print(f"ait42-session: {failure[0]}", file=sys.stderr)
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


# -- driving the real window (tests, screenshots, benchmarks) ------------------


class JsError(Exception):
    """JavaScript run in the page threw or rejected; ``name`` and ``code`` as on the page."""

    def __init__(self, message: str, name: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.code = code


class _GuiCall:
    """Runs callables on the Qt GUI thread (grabbing the view must happen there)."""

    def __init__(self) -> None:
        from PyQt6.QtCore import QObject, pyqtSignal

        class Invoker(QObject):
            call = pyqtSignal(object)

            def __init__(self) -> None:
                super().__init__()
                self.call.connect(self.run)

            def run(self, job: Callable[[], None]) -> None:
                job()

        self._invoker = Invoker()

    def __call__(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        done = threading.Event()
        box: list[Any] = []

        def job() -> None:
            try:
                box.append((True, fn()))
            except BaseException as exc:
                box.append((False, exc))
            finally:
                done.set()

        self._invoker.call.emit(job)
        if not done.wait(timeout):
            raise TimeoutError("the GUI thread did not answer")
        ok, value = box[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


class Page:
    """The loaded page, driven from a non-GUI thread through ``window.evaluate_js``."""

    def __init__(self, window: Any, gui: _GuiCall) -> None:
        self.window = window
        self._gui = gui

    def js(self, script: str) -> Any:
        """Evaluate a JavaScript expression in the page and return its JSON value."""
        from webview.errors import JavascriptException

        try:
            result = self.window.evaluate_js(script)
        except JavascriptException as exc:
            info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
            raise JsError(str(info.get("message", exc)), info.get("name")) from None
        if isinstance(result, dict) and result.get("pywebviewJavascriptError420"):
            raise JsError(str(result.get("message")), result.get("name"))
        return result

    def run(self, body: str, timeout: float = 15.0) -> Any:
        """Run an async function body (may ``await``, ``return`` a JSON value) in the page."""
        token = uuid.uuid4().hex
        key = json.dumps(token)
        self.js(
            "(function(){var d=window.__ait42drv||(window.__ait42drv={});var id=" + key + ";"
            "d[id]=null;Promise.resolve().then(async function(){\n" + body + "\n}).then("
            "function(v){d[id]={ok:true,value:v===undefined?null:v};},"
            "function(e){d[id]={ok:false,name:e&&e.name,message:String(e&&e.message||e),"
            "code:e&&e.code||null};});return true;})()"
        )
        deadline = time.monotonic() + timeout
        while True:
            outcome = self.js(
                "(function(){var d=window.__ait42drv||{};var r=d[" + key + "];"
                "if(r){delete d[" + key + "];}return r||null;})()"
            )
            if outcome:
                if outcome.get("ok"):
                    return outcome.get("value")
                raise JsError(str(outcome.get("message")), outcome.get("name"),
                              outcome.get("code"))
            if time.monotonic() > deadline:
                raise TimeoutError(f"page script did not finish within {timeout} s")
            time.sleep(0.01)

    def wait_for(self, condition: str, timeout: float = 15.0, interval: float = 0.02) -> Any:
        """Wait until the JavaScript expression ``condition`` is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(
                f"(function(){{try{{return ({condition});}}catch(e){{return null;}}}})()")
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout} s waiting for: {condition}")
            time.sleep(interval)

    def wait_idle(self, timeout: float = 15.0) -> None:
        """Wait until the page has no bridge call in flight."""
        self.wait_for("window.ait42 && window.ait42.ready && window.ait42.busy === 0", timeout)

    def grab(self, path: str | os.PathLike[str]) -> None:
        """Save what the window shows as a PNG."""
        from webview.platforms.qt import BrowserView

        target = str(path)

        def shoot() -> None:
            view = BrowserView.instances[self.window.uid].webview
            if not view.grab().save(target, "PNG"):
                raise OSError(f"could not write {target}")

        self._gui(shoot)

    def resize(self, width: int, height: int) -> None:
        self.window.resize(width, height)


def drive(bridge: Any, driver: Callable[[Page], T], *, width: int = WIDTH, height: int = HEIGHT,
          load_timeout: float = 30.0, close_bridge: bool = False,
          expose: tuple[Callable[..., Any], ...] = ()) -> T:
    """Open the real window on ``bridge``, run ``driver(page)`` in a thread, then close it.

    Blocks the main thread (pywebview's rule) and can run once per process. The
    driver's return value is returned; its exception is raised here. With
    ``close_bridge`` the window closes the bridge as it closes, as in ``run_window``.
    ``expose`` adds functions to ``window.pywebview.api`` (benchmarks only: the
    app's window offers the bridge's commands and nothing else).
    """
    load_qt()
    import webview

    gui = _GuiCall()
    window = create_window(bridge, width=width, height=height, close_bridge=close_bridge)
    if expose:
        window.expose(*expose)
    outcome: list[tuple[bool, Any]] = []

    def body() -> None:
        try:
            _check_renderer()
            if not window.events.loaded.wait(load_timeout):
                raise TimeoutError("the page did not load")
            page = Page(window, gui)
            page.wait_for("window.ait42 && window.ait42.ready", timeout=load_timeout)
            outcome.append((True, driver(page)))
        except BaseException as exc:
            outcome.append((False, exc))
        finally:
            window.destroy()

    webview.start(body, gui="qt")
    if not outcome:
        raise RuntimeError("the window closed before the driver finished")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]
