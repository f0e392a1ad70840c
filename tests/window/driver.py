"""Drive the real window from a thread: the window tests' host, screenshots, benchmarks.

The person's window is ``ait42_session.faces.app.run_window``; this module opens the
same window (``app.load_qt``, ``app.create_window`` on a real Bridge,
``app.check_renderer``) and, instead of waiting for a person, runs a *driver*
function in pywebview's start-up thread that acts on the page through
``window.evaluate_js``. It lives beside the tests, not in the package, because
only the tests (``tests/window/host.py``) and the tools (``tools/screenshots.py``,
``tools/window_bench.py``) use it.

Run it headless with ``QT_QPA_PLATFORM=offscreen`` (and
``QTWEBENGINE_DISABLE_SANDBOX=1`` as root). ``webview.start`` can run once per
process, so ``drive`` can too.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from ait42_session.faces.app import HEIGHT, WIDTH, check_renderer, create_window, load_qt

T = TypeVar("T")


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
        self.wait_for("document.documentElement.dataset.ready === 'true'"
                      " && (document.documentElement.dataset.busy || '0') === '0'", timeout)

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
    ``expose`` adds functions to ``window.pywebview.api`` with pywebview's own
    ``window.expose`` (the window benchmark's echo: the app's window offers the
    bridge's commands and nothing else).
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
            check_renderer()
            if not window.events.loaded.wait(load_timeout):
                raise TimeoutError("the page did not load")
            page = Page(window, gui)
            page.wait_for("document.documentElement.dataset.ready === 'true'", timeout=load_timeout)
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
