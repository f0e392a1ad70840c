"""Reading one legacy file: its sessions parsed one at a time, validated, turned into rows.

``json.load`` of a whole file builds every session at once (a 287 MB file
took 1.87 GB). ``SessionStream`` reads the file in chunks, decodes UTF-8
incrementally and lets ``json.JSONDecoder.raw_decode`` take one array element
at a time from a buffer that keeps only what is not parsed yet; ``prepare``
turns up to a batch's worth of them into rows. A file that turns out not to be
a JSON array of sessions (anywhere, even in its last byte) raises
``Unreadable``: its writer rolls the whole file back.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ait42_session.legacy.diff import field_diff
from ait42_session.legacy.importer.files import derive_path, kind_of
from ait42_session.legacy.importer.report import plus, zero
from ait42_session.legacy.json_files import normalize_owned, validate_raw
from ait42_session.shape.errors import SessionError
from ait42_session.shape.models import Session
from ait42_session.store.columns import Rows
from ait42_session.store.rows import assemble_rows, import_rows

CHUNK = 1 << 20  # bytes read at a time
BATCH_BYTES = 4 << 20  # a batch ends after this much of the file...
BATCH_SESSIONS = 2000  # ...or this many sessions
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9eE+.\-]*")
_DECODER = json.JSONDecoder()
_SHAPES = {"{": "an object", '"': "a string", "t": "a boolean", "f": "a boolean", "n": "null"}


class Unreadable(Exception):
    """The file cannot be imported as a whole; the text says why."""


class SessionStream:
    """The elements of a file's top-level JSON array, one at a time; also its SHA-256."""

    def __init__(self, file: BinaryIO, name: str, size: int) -> None:
        self._file = file
        self.name = name
        self.size = size
        self.bytes_read = 0
        self._sha = hashlib.sha256()
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._buf = ""
        self._pos = 0
        self._lines = 0  # newlines in the text already dropped from the buffer
        self._col0 = 0  # characters of the current line already dropped
        self._eof = False
        self._want = CHUNK
        self._state = "start"  # start, first (after '['), item (after ','), sep, done

    @classmethod
    def open(cls, path: Path) -> SessionStream:
        """Open a regular file; never blocks (a FIFO put in its place is refused unread)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise Unreadable(f"cannot be read: {exc.strerror or exc}") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Unreadable(f"{kind_of(st.st_mode)}, not a regular file: skipped")
            os.set_blocking(fd, True)
            file = os.fdopen(fd, "rb", buffering=0)
        except BaseException:
            os.close(fd)
            raise
        return cls(file, path.name, st.st_size)

    def close(self) -> None:
        self._file.close()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    @property
    def done(self) -> bool:
        """Whether the array has ended (nothing more to read)."""
        return self._state == "done"

    # -- the buffer --------------------------------------------------------

    def _fill(self) -> None:
        """Read the next chunk; drop the text already parsed."""
        try:
            data = self._file.read(self._want)
        except OSError as exc:
            raise Unreadable(f"cannot be read: {exc.strerror or exc}") from None
        try:
            text = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise Unreadable(f"{self.name} is not UTF-8 text ({exc})") from None
        if not data:
            self._eof = True
        self._sha.update(data)
        self.bytes_read += len(data)
        if self._pos:
            dropped = self._buf[:self._pos]
            newline = dropped.rfind("\n")
            self._col0 = self._col0 + len(dropped) if newline < 0 else len(dropped) - newline - 1
            self._lines += dropped.count("\n")
            self._buf = self._buf[self._pos:]
            self._pos = 0
        self._buf += text
        self._want = CHUNK

    def _grow(self) -> None:
        """More text for an element that does not fit yet: at least as much as pending,
        so that a huge element is parsed again only a logarithmic number of times."""
        self._want = max(CHUNK, len(self._buf) - self._pos)
        self._fill()

    def _error(self, pos: int, msg: str) -> Unreadable:
        newline = self._buf.rfind("\n", 0, pos)
        column = pos - newline if newline >= 0 else self._col0 + pos + 1
        line = self._lines + self._buf.count("\n", 0, pos) + 1
        return Unreadable(f"{self.name} is not valid JSON (line {line}, column {column}: {msg})")

    def _skip_ws(self) -> bool:
        """Move past whitespace; false at the end of the file."""
        while True:
            self._pos = _WS.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return True
            if self._eof:
                return False
            self._fill()

    # -- the array ---------------------------------------------------------

    def next(self) -> tuple[bool, Any]:
        """``(True, element)``, or ``(False, None)`` after the last one (a blank file has none)."""
        while self._state != "done":
            if not self._skip_ws():
                if self._state == "start":
                    self._state = "done"
                    break
                raise self._error(self._pos, "the array is not closed (the file ends early)")
            pos, ch = self._pos, self._buf[self._pos]
            if self._state == "start":
                if ch != "[":
                    shape = _SHAPES.get(ch, "a number" if ch in "-0123456789" else None)
                    if shape is None:
                        raise self._error(pos, "Expecting value")
                    raise Unreadable(f"{self.name} has the wrong shape: expected a JSON array "
                                     f"of sessions, found {shape}")
                self._pos, self._state = pos + 1, "first"
            elif self._state == "sep":
                if ch not in ",]":
                    raise self._error(pos, "Expecting ',' delimiter")
                self._pos, self._state = pos + 1, "item"
                if ch == "]":
                    self._end()
            elif ch == "]":
                if self._state == "item":
                    raise self._error(pos, "Illegal trailing comma before end of array")
                self._pos = pos + 1
                self._end()
            else:
                value = self._element()
                self._state = "sep"
                return True, value
        return False, None

    def _element(self) -> Any:
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                # An element cut by the end of the buffer fails at that end, or as
                # a string not closed yet; anything else is wrong wherever it is.
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self._buf) - 16
                if self._eof or not cut:
                    raise self._error(exc.pos, exc.msg) from None
                self._grow()
                continue
            except RecursionError:
                raise Unreadable(f"{self.name} nests too deeply to be read") from None
            if not self._eof and isinstance(value, int | float) and \
                    _NUMBER_TAIL.match(self._buf, end).end() == len(self._buf):  # type: ignore[union-attr]
                self._grow()  # a number cut by the buffer's end ("2." of "2.5") may go on
                continue
            self._pos = end
            return value

    def _end(self) -> None:
        """After the closing bracket: only whitespace may follow (read to the end, for SHA)."""
        self._state = "done"
        while self._skip_ws():
            raise self._error(self._pos, "Extra data")


# --------------------------------------------------------------------------
# Preparing sessions
# --------------------------------------------------------------------------

def _counts(raw: Any) -> dict[str, int]:
    insts = raw.get("instances") if isinstance(raw, dict) else None
    msgs = raw.get("chatHistory") if isinstance(raw, dict) else None
    return {"sessions": 1, "instances": len(insts) if isinstance(insts, list) else 0,
            "messages": len(msgs) if isinstance(msgs, list) else 0}


@dataclass
class Ready:
    """A valid session: its id, place in the file, counts, and the rows to insert."""

    sid: str
    index: int
    counts: dict[str, int]
    rows: Rows


@dataclass
class Batch:
    """The next sessions of a file, and what was found wrong with the others."""

    sessions: list[Ready] = field(default_factory=list)
    issues: list[tuple[str, int | None, str | None, str]] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=zero)
    skipped: dict[str, int] = field(default_factory=zero)
    derived_path: str | None = None


@dataclass
class FileState:
    """What preparing one file carries from batch to batch."""

    name: str
    ws_hash: str
    need_path: bool  # no workspace path known yet: derive one from the worktrees
    index: int = 0
    first_index: dict[str, int] = field(default_factory=dict)
    tried: set[str] = field(default_factory=set)


def prepare(stream: SessionStream, state: FileState) -> Batch | None:
    """The file's next batch of sessions, validated and proved; ``None`` after the last.

    Each valid session's rows are rendered back through the reads' own code
    (``assemble_rows``) and must equal the normalized JSON, or the
    session is not imported: only rows that read back as their JSON are written.
    """
    batch = Batch()
    start = stream.bytes_read
    models: list[Session] = []
    while len(batch.sessions) < BATCH_SESSIONS and stream.bytes_read - start < BATCH_BYTES:
        more, raw = stream.next()
        if not more:
            break
        index = state.index
        state.index += 1
        counts = _counts(raw)
        plus(batch.read, counts)
        problem = _problem(raw, index, state, batch, models)
        if problem is not None:
            batch.issues.append(problem)
            plus(batch.skipped, counts)
    else:
        more = True
    if not more and batch.read["sessions"] == 0:
        return None
    if state.need_path and models:
        batch.derived_path = derive_path(state.ws_hash, models, state.tried)
        state.need_path = batch.derived_path is None
    return batch


def _problem(raw: Any, index: int, state: FileState, batch: Batch,
             models: list[Session]) -> tuple[str, int | None, str | None, str] | None:
    """Add the session to the batch; or the issue why not."""
    sid = raw.get("id") if isinstance(raw, dict) else None
    sid = sid if isinstance(sid, str) else None
    try:  # the model refuses what SQLite cannot hold too (integers beyond 64 bits)
        model = validate_raw(raw, state.name)
    except SessionError as exc:
        return ("invalid", index, sid, str(exc))
    first = state.first_index.setdefault(model.id, index)
    if first != index:
        return ("duplicate", index, model.id, f"the id appears again in the same file (first "
                                              f"at #{first}); the first one is imported")
    try:
        rows = import_rows(state.ws_hash, model)
    except SessionError as exc:
        return ("invalid", index, model.id, str(exc))
    norm = normalize_owned(raw)  # the parsed values are ours to change
    rendered = assemble_rows(rows)
    if rendered != norm:  # the rows would not read back as the JSON: never write them
        fields = field_diff(norm, rendered)
        return ("readback", index, model.id, "its rows would not read back equal to its JSON "
                f"({', '.join(str(f['field']) for f in fields[:5])}); not imported")
    batch.sessions.append(Ready(model.id, index, _counts(norm), rows))
    if state.need_path:
        models.append(model)
    return None
