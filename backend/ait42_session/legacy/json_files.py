"""The shell's legacy files themselves: where they are, their JSON form, and
writing one safely.

One pretty-printed JSON array of sessions per workspace in
``~/.ait42/sessions/{workspaceHash}.json``, every known optional field written
(``null`` when unset), unknown fields kept. A file is replaced atomically
(temporary file, fsync, rename, fsync of the folder), so a crash leaves the old
file or the new one. Reads return the *normalized* session (``normalize``),
the same dict the SQLite repository returns for the same data.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from ait42_session.shape import models
from ait42_session.shape.errors import FileError, JsonError, ValidationError
from ait42_session.shape.models import ChatMessage, Instance, Session, Shape
from ait42_session.shape.timestamps import timestamp_key
from ait42_session.shape.workspace import HASH_NAME

Json = dict[str, Any]



def default_sessions_dir() -> Path:
    """``$AIT42_SESSIONS_DIR``, else ``~/.ait42/sessions``."""
    env = os.environ.get("AIT42_SESSIONS_DIR")
    return Path(env).expanduser() if env else Path.home() / ".ait42" / "sessions"


def spare_log_path(sessions_dir: Path) -> Path:
    """Where dual-write events go when neither the database nor its own log can take them.

    Beside the legacy folder: usually another place than a full database disk.
    """
    return sessions_dir.parent / "dual-write.log"


def _optional_aliases(model: type[Shape]) -> tuple[str, ...]:
    return tuple(
        field.alias or name for name, field in model.model_fields.items()
        if not field.is_required() and field.default is None
    )


SESSION_OPTIONAL = _optional_aliases(Session)


INSTANCE_OPTIONAL = _optional_aliases(Instance)


MESSAGE_OPTIONAL = _optional_aliases(ChatMessage)


def _drop_nulls(value: Json, optional: tuple[str, ...]) -> None:
    for key in optional:
        if key in value and value[key] is None:
            del value[key]


def normalize(raw: Json) -> Json:
    """The documented normalization of a *valid* legacy session (a new dict; ``raw`` is kept).

    1. A known optional field written as ``null`` is the same as an absent one
       (the shell writes ``null`` for every unset optional): it is dropped.
    2. Absent ``instances`` / ``chatHistory`` are empty lists.
    3. ``instances`` are ordered by ``instanceId``; ``chatHistory`` by the
       instant of ``timestamp``, ties in file order.
    4. Everything else is kept exactly, unknown fields (and ``null`` inside or
       as the value of unknown fields) included; timestamps keep their text.
    """
    out = dict(raw)
    out["instances"] = [dict(i) for i in raw.get("instances", ())]
    out["chatHistory"] = [dict(m) for m in raw.get("chatHistory", ())]
    return normalize_owned(out)


def normalize_owned(raw: Json) -> Json:
    """``normalize`` done in place, for a caller that owns the parsed session.

    An import normalizes 140,000 objects per 10,000 sessions: deleting the few
    null keys in place costs half of building every dict again.
    """
    _drop_nulls(raw, SESSION_OPTIONAL)
    insts = raw.setdefault("instances", [])
    for inst in insts:
        _drop_nulls(inst, INSTANCE_OPTIONAL)
    insts.sort(key=lambda i: int(i["instanceId"]))
    msgs = raw.setdefault("chatHistory", [])
    for msg in msgs:
        _drop_nulls(msg, MESSAGE_OPTIONAL)
    msgs.sort(key=lambda m: timestamp_key(m["timestamp"]))
    return raw


def legacy_form(model: Session) -> Json:
    """A validated session as the shell writes it: every known optional, ``null`` when unset."""
    out: Json = model.model_dump(mode="json", by_alias=True)
    return out


def legacy_message(model: ChatMessage) -> Json:
    out: Json = model.model_dump(mode="json", by_alias=True)
    return out


def dumps(sessions: list[Any]) -> bytes:
    """The file text the shell writes (serde_json's ``to_string_pretty``: 2 spaces, UTF-8)."""
    try:
        text = json.dumps(sessions, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise ValidationError(f"the session cannot be written as JSON: {exc}") from None
    return text.encode("utf-8")


def parse(data: bytes, where: str) -> list[Any]:
    """A file's sessions as raw JSON values; an empty file is an empty list (as in the shell)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonError(f"{where} is not UTF-8 text ({exc})") from None
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise JsonError(f"{where} nests too deeply to be read") from None
    if not isinstance(value, list):
        raise JsonError(
            f"{where} has the wrong shape: expected a JSON array of sessions, "
            f"found {_json_type(value)}"
        )
    return value


def _json_type(value: object) -> str:
    return {dict: "an object", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def validate_raw(raw: object, where: str, shape: type[Session] = Session) -> Session:
    """Validate one raw session of a file; ``JsonError`` naming the file and session.

    What the shell itself writes (``round_1``, ``starting``, ...) is valid: the
    models' one rule for every storage mode and command."""
    try:
        model: Session = models.validate(shape, raw, "session")
    except ValidationError as exc:
        sid = raw.get("id") if isinstance(raw, dict) else None
        named = f"session {sid!r}" if isinstance(sid, str) else "a session"
        raise JsonError(f"{where}: {named} is invalid: {exc}") from None
    return model


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform opens folders; the rename is done anyway
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temporary file, fsync, rename, fsync of the folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FileError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FileError(
                f"cannot write {path}: {exc.strerror or exc}; the previous file is unchanged"
            ) from exc
        raise
    _fsync_dir(path.parent)


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, ``None`` when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror or exc}") from exc


def list_files(directory: Path) -> list[Path]:
    """The workspace files of a folder (``{16 hex}.json``), sorted by name."""
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FileError(f"cannot list {directory}: {exc.strerror or exc}") from exc
    return [p for p in entries if p.suffix == ".json" and HASH_NAME.match(p.stem)
            and p.is_file()]
