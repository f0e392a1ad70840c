"""Finding the legacy files of a folder, and the workspace folder each belongs to.

Every ``*.json`` entry of the folder is *found* and ends in exactly one place:
a candidate to read (a regular file named ``{16 hex}.json``, or a link to
one), or skipped with the true reason (not a workspace hash, a FIFO, a
folder, a link that loops or leads nowhere...). Nothing here opens an entry:
a FIFO would block the import until someone wrote to it.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ait42_session.shape.errors import FileError, ValidationError
from ait42_session.shape.workspace import HASH_NAME, identify

if TYPE_CHECKING:
    from ait42_session.shape.models import Session

Json = dict[str, object]


@dataclass(frozen=True)
class Candidate:
    """A legacy file to read."""

    path: Path
    size: int

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def ws_hash(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class Passed:
    """A ``*.json`` entry that is not read, and why."""

    name: str
    reason: str


def kind_of(mode: int) -> str:
    """What a file system entry is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _examine(path: Path) -> Candidate | str:
    """The entry as a candidate, or why it is skipped (without opening it)."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc}); skipped"
    link = stat.S_ISLNK(st.st_mode)
    if link:
        try:
            st = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "a symbolic link that loops (it leads back to itself); skipped"
            if exc.errno == errno.ENOENT:
                target = os.readlink(path)
                return f"a symbolic link to {target}, which does not exist; skipped"
            return f"a symbolic link that cannot be followed ({exc.strerror or exc}); skipped"
    if not stat.S_ISREG(st.st_mode):
        what = kind_of(st.st_mode)
        where = f"a symbolic link to {what}" if link else what
        return f"{where}, not a regular file: skipped without opening it"
    return Candidate(path, st.st_size)


def discover(folder: Path) -> tuple[list[Candidate], list[Passed]]:
    """The folder's legacy files to read, sorted by name, and the ``*.json`` entries skipped."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise FileError(f"cannot list {folder}: {exc.strerror or exc}") from exc
    found: list[Candidate] = []
    passed: list[Passed] = []
    for name in names:
        if not name.endswith(".json"):
            continue
        if not HASH_NAME.match(name[:-5]):
            passed.append(Passed(name, "the name is not a workspace hash ({16 hex}.json): "
                                       "not a legacy session file, skipped"))
            continue
        seen = _examine(folder / name)
        if isinstance(seen, str):
            passed.append(Passed(name, seen))
        else:
            found.append(seen)
    return found, passed


# --------------------------------------------------------------------------
# Workspace paths
# --------------------------------------------------------------------------

@dataclass
class PathHints:
    """Known hash -> (path, where it came from); the candidates refused, with why."""

    paths: dict[str, tuple[str, str]] = field(default_factory=dict)
    rejected: list[Json] = field(default_factory=list)

    def offer(self, path: str, source: str, expected_hash: str | None = None) -> None:
        """A candidate counts only when its legacy hash is the one expected (if any)."""
        ws = identify(path)
        if expected_hash is not None and ws.hash != expected_hash:
            self.rejected.append({"path": path, "source": source,
                                  "reason": f"its legacy hash is {ws.hash}, not {expected_hash}"})
            return
        self.paths.setdefault(ws.hash, (ws.path, source))


def read_mapping(path: str, hints: PathHints) -> None:
    """A mapping file: a JSON object ``{hash: path}``, a JSON array of paths, or one path a line."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FileError(f"cannot read the mapping file {path}: {exc}") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = [line.strip() for line in text.splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
    if isinstance(value, dict):
        for key, target in value.items():
            if not isinstance(target, str) or not HASH_NAME.match(str(key)):
                raise ValidationError(f"mapping file {path}: entries must be "
                                      f'"<16 hex hash>": "<path>", got {key!r}: {target!r}')
            hints.offer(target, "mapping", key)
    elif isinstance(value, list) and all(isinstance(p, str) for p in value):
        for target in value:
            hints.offer(target, "mapping")
    else:
        raise ValidationError(f"mapping file {path} must be a JSON object of hash: path, "
                              "a JSON array of paths, or one path per line")


def derive_path(ws_hash: str, sessions: list[Session], tried: set[str]) -> str | None:
    """A path whose hash is ``ws_hash`` among the instances' worktrees and their parents.

    ``tried`` carries the paths already tried over the batches of one file.
    """
    for s in sessions:
        for inst in s.instances:
            candidate = inst.worktree_path.rstrip("/")
            while candidate and candidate not in tried:
                tried.add(candidate)
                ws = identify(candidate)
                if ws.hash == ws_hash:
                    return ws.path
                parent = os.path.dirname(candidate)
                if parent == candidate:
                    break
                candidate = parent
    return None
