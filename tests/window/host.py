"""The process that holds the real window for the window tests.

pywebview's ``webview.start`` runs once per process and owns the main thread, so
the window lives here and the tests talk to it over a local, authenticated
connection: the window is opened with ``driver.drive`` on a Bridge of
the test database, and the driver thread runs each request with
``window.evaluate_js``. Links the page hands to the system browser are recorded
instead of opened. When told to quit it closes the window (which, as in the
app, closes the bridge) and reports what it saw.

    python -m tests.window.host HOST PORT DB_PATH   (from the checkout's root;
                                                    AIT42_TEST_AUTHKEY in the environment)
"""

from __future__ import annotations

import os
import sys
import traceback
import webbrowser
from multiprocessing.connection import Client
from typing import Any


def main() -> int:
    host, port, db_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    conn = Client((host, port), authkey=bytes.fromhex(os.environ["AIT42_TEST_AUTHKEY"]))

    opened: list[str] = []

    def record(url: str, *args: Any, **kwargs: Any) -> bool:
        opened.append(url)
        return True

    webbrowser.open = record

    from ait42_session.faces.app import exit_if_stuck
    from ait42_session.faces.bridge import Bridge
    from ait42_session.shape.errors import SessionError

    from .driver import JsError, Page, drive

    bridge = Bridge.open(db_path)

    def driver(page: Page) -> None:
        conn.send(("ready", None))
        while True:
            request = conn.recv()
            kind, args = request[0], request[1:]
            if kind == "quit":
                return
            try:
                if kind == "js":
                    value: Any = page.js(args[0])
                elif kind == "run":
                    value = page.run(args[0], args[1])
                elif kind == "wait":
                    value = page.wait_for(args[0], args[1])
                elif kind == "opened":
                    value = list(opened)
                elif kind == "resize":
                    page.resize(args[0], args[1])
                    value = page.wait_for(
                        f"Math.abs(window.innerWidth - {args[0]}) < 24"
                        f" && Math.abs(window.innerHeight - {args[1]}) < 40", 10)
                elif kind == "grab":
                    page.grab(args[0])
                    value = None
                else:
                    raise ValueError(f"unknown request {kind!r}")
                conn.send(("ok", value))
            except JsError as exc:
                conn.send(("js-error", str(exc), exc.name, exc.code))
            except Exception as exc:
                conn.send(("error", type(exc).__name__, f"{exc}\n{traceback.format_exc()}"))

    failure = None
    try:
        drive(bridge, driver, close_bridge=True)
    except BaseException as exc:
        failure = f"{type(exc).__name__}: {exc}"
    try:
        bridge.get_database_stats()
        bridge_closed = False
    except SessionError:
        bridge_closed = True
    conn.send(("closed", {"bridge_closed": bridge_closed, "failure": failure}))
    bridge.close()
    conn.close()
    code = 0 if failure is None else 1
    # The page's live wait (changes_since) is a call in flight when the window
    # closes: its pywebview thread never finishes. End as the app does.
    exit_if_stuck(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
