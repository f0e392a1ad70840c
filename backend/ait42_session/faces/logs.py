"""The log file: where an unforeseen error leaves its traceback.

A command that fails in a way no layer foresaw reaches the page as ``INTERNAL``
with one sentence; the traceback behind it, and every failure of background
work (the catch-up, the live watcher, an import job), goes to a rotating log
file in ``logs/`` beside the database (``~/.ait42/logs/ait42-session.log`` for
the default one), through the standard ``logging`` module. The message a
person sees names that file.

Each open store attaches the file of its own database to the package's logger
and detaches it when it closes, so two stores on two databases each log to
their own folder, and nothing is left attached after a test closes its store.
"""

from __future__ import annotations

import logging
import logging.handlers
import threading
from pathlib import Path

LOGGER = logging.getLogger("ait42_session")
# With no file attached (a ``:memory:`` database, a folder that cannot be
# written), Python's last-resort handler would print tracebacks on the terminal,
# where the command line promises one line: a library stays quiet instead.
LOGGER.addHandler(logging.NullHandler())
MAX_BYTES = 2_000_000
BACKUPS = 3  # ait42-session.log.1 .. .3 are kept beside the current file

_lock = threading.Lock()
_attached: dict[Path, tuple[logging.Handler, int]] = {}  # log file -> (handler, stores)


def log_path(db_path: str) -> Path | None:
    """The log file of a database (None for ``:memory:``: it has no folder)."""
    if db_path == ":memory:":
        return None
    return Path(db_path).expanduser().resolve().parent / "logs" / "ait42-session.log"


def attach(db_path: str) -> Path | None:
    """Log to the database's file from now on; the file (None: nowhere to write)."""
    path = log_path(db_path)
    if path is None:
        return None
    with _lock:
        if path in _attached:
            kept, count = _attached[path]
            _attached[path] = (kept, count + 1)
            return path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
        except OSError:
            return None  # a folder that cannot be written: the store still works
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
        handler.setLevel(logging.INFO)
        LOGGER.addHandler(handler)
        if LOGGER.level == logging.NOTSET or LOGGER.level > logging.INFO:
            LOGGER.setLevel(logging.INFO)
        _attached[path] = (handler, 1)
    return path


def detach(path: Path | None) -> None:
    """The store that attached ``path`` closed: stop logging there when it was the last."""
    if path is None:
        return
    with _lock:
        entry = _attached.get(path)
        if entry is None:
            return
        handler, count = entry
        if count > 1:
            _attached[path] = (handler, count - 1)
            return
        del _attached[path]
        LOGGER.removeHandler(handler)
        handler.close()


def record_failure(db_path: str, what: str) -> Path | None:
    """Log the exception being handled, with its traceback, in ``db_path``'s log
    file, for a failure outside any command (the command line's own code, the
    window starting): the one-line message a person sees then names the file."""
    path = attach(db_path)
    try:
        LOGGER.exception(what)
    finally:
        detach(path)
    return path


def details(path: Path | None) -> str:
    """What a one-line error message adds to name the log file holding its
    traceback (nothing when there is no file)."""
    return f"; details in {path}" if path is not None else ""
