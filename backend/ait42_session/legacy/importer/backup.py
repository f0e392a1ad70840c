"""The copy of a legacy folder made before its first real import.

Only regular files are copied, and no link is followed: a folder holding
``loop -> .`` once made the copy recurse forty levels deep and fail. Every
entry that is not copied (a link, a FIFO, a socket, a file that cannot be
read) is named in one line; a copy that cannot be written (a full disk) is
removed whole and stops the import before anything is written.
"""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import time
from pathlib import Path

from ait42_session.legacy.importer.files import kind_of
from ait42_session.shape.errors import FileError

_COPY_CHUNK = 1 << 20


class _WriteFailed(Exception):
    """Writing the copy failed (the source was fine)."""


def make_backup(source: Path) -> tuple[str, list[str]]:
    """Copy ``source`` beside itself (``<name>.backup-<UTC time>``).

    Returns the copy's path and one line per entry not copied.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for n in itertools.count():
        target = source.parent / (f"{source.name}.backup-{stamp}" + ("" if n == 0 else f"-{n}"))
        try:
            os.mkdir(target)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise FileError(f"cannot create the backup folder {target} before importing: "
                            f"{exc.strerror or exc}; nothing was imported (pass --no-backup "
                            "to import without one)") from None
    skipped: list[str] = []
    try:
        _copy_folder(source, target, "", skipped)
    except (_WriteFailed, OSError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        cause = exc.__cause__ if isinstance(exc, _WriteFailed) else exc
        why = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
        where = cause.filename if isinstance(cause, OSError) and cause.filename else source
        raise FileError(f"cannot back up {source} to {target} before importing ({where}: "
                        f"{why}); nothing was imported and the partial copy was removed "
                        "(free space, or pass --no-backup)") from None
    return str(target), skipped


def _copy_folder(source: Path, target: Path, rel: str, skipped: list[str]) -> None:
    with os.scandir(source) as entries:
        names = sorted(entries, key=lambda e: e.name)
    for entry in names:
        name = rel + entry.name
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            try:
                os.mkdir(target / entry.name)
            except OSError as exc:
                raise _WriteFailed() from exc
            _copy_folder(Path(entry.path), target / entry.name, name + "/", skipped)
        elif stat.S_ISREG(st.st_mode):
            reason = _copy_file(Path(entry.path), target / entry.name)
            if reason is not None:
                skipped.append(f"{name}: {reason}, not copied")
        else:
            what = kind_of(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                what += f" to {os.readlink(entry.path)} (links are not followed)"
            skipped.append(f"{name}: {what}, not copied")


def _copy_file(source: Path, target: Path) -> str | None:
    """Copy one regular file (never through a link); why not, when it cannot be read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(source, flags)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    with open(fd, "rb", closefd=True) as src:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since it was listed
            return "no longer a regular file"
        try:
            with open(target, "xb") as out:
                while True:
                    try:
                        data = src.read(_COPY_CHUNK)
                    except OSError as exc:
                        out.close()
                        os.unlink(target)
                        return f"cannot be read ({exc.strerror or exc})"
                    if not data:
                        break
                    out.write(data)
            shutil.copystat(source, target, follow_symlinks=False)
        except OSError as exc:
            raise _WriteFailed() from exc
    return None
