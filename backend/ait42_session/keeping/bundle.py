"""Export sessions to a file (a lossless JSON bundle, Markdown, HTML) and import bundles.

The export streams: the selected ids are listed once, then the sessions are
read in batches inside one read transaction (a consistent snapshot) and each
is written out as soon as it is read, so memory holds one batch of sessions,
never the whole export. The file is written beside its name and renamed: a
failed export leaves no half file.

The JSON bundle (``{"format": "ait42-session-bundle", "version": 1,
"exportedAt", "workspaces": [{"path", "hash", "sessions": [...]}]}``) holds
each session exactly as ``get_session_sqlite`` returns it, so importing it
into an empty database gives back equal sessions. The import merges by id:
new sessions are written, equal ones are left alone, differing ones are
replaced only with ``overwrite``; a malformed workspace or session is reported
by its position and the rest arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import aiosqlite

from ait42_session.keeping import render
from ait42_session.shape import models
from ait42_session.shape.errors import (
    ConflictError,
    FileError,
    JsonError,
    NotFoundError,
    ValidationError,
)
from ait42_session.shape.models import Session
from ait42_session.shape.timestamps import now_rfc3339
from ait42_session.shape.workspace import HASH_NAME, Workspace, legacy_hash
from ait42_session.store import backups, repository
from ait42_session.store.columns import Json
from ait42_session.store.rows import assemble_rows, import_rows
from ait42_session.store.sql import scalar

if TYPE_CHECKING:
    from ait42_session.store.db import Database

FORMAT = "ait42-session-bundle"
VERSION = 1
BATCH = 200  # sessions read per trip: memory holds at most this many

Progress = Callable[[int, int], None]  # (sessions done, sessions total)
_dumps = json.JSONEncoder(ensure_ascii=False).encode


async def _selected(conn: aiosqlite.Connection, ws: Workspace | None,
                    session_ids: list[str] | None,
                    include_archived: bool) -> list[tuple[str, str | None, str]]:
    """(workspace hash, its path, session id) of what to export, grouped by workspace.

    Explicitly named sessions are exported archived or not; a NOT_FOUND names
    those missing before anything is written.
    """
    where: list[str] = []
    params: list[Any] = []
    if ws is not None:
        where.append("s.workspace_hash = ?")
        params.append(ws.hash)
    if session_ids is not None:
        where.append("s.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(session_ids))
    elif not include_archived:
        where.append("s.archived_at IS NULL")
    rows = [(str(r[0]), r[1], str(r[2])) for r in await conn.execute_fetchall(
        "SELECT s.workspace_hash, w.path, s.id FROM sessions s"
        " JOIN workspaces w ON w.hash = s.workspace_hash"
        f"{' WHERE ' + ' AND '.join(where) if where else ''}"
        " ORDER BY w.path, s.workspace_hash, s.updated_key DESC, s.id DESC", params)]
    if session_ids is not None:
        missing = sorted(set(session_ids) - {r[2] for r in rows})
        if missing:
            where_ = f" in workspace {ws.path}" if ws else ""
            raise NotFoundError(f"no session {', '.join(map(repr, missing[:5]))}{where_}"
                                f"{' (and more)' if len(missing) > 5 else ''}; nothing was "
                                "exported")
    return rows


async def _sessions(conn: aiosqlite.Connection,
                    chosen: list[tuple[str, str | None, str]]) -> Any:
    """Yield lists of (hash, path, session JSON) in order, ``BATCH`` sessions each."""
    for start in range(0, len(chosen), BATCH):
        yield [(h, p, await repository.get_session(conn, Workspace(path=p or h, hash=h), sid))
               for h, p, sid in chosen[start:start + BATCH]]


async def export(db: Database, ws: Workspace | None, session_ids: list[str] | None,
                 include_archived: bool, fmt: str, path: str,
                 progress: Progress | None = None, *, replace: bool = True) -> Json:
    """Write the selection to ``path`` in ``fmt``; ``{path, format, sessions, bytes}``.

    The folder must exist (a mistyped one is not created); the file is written
    under a name of its own (two exports to one path never share it) and then
    takes ``path``: replacing a file there only with ``replace``."""
    if not path.strip():
        raise ValidationError("path is blank: name the file to write")
    dest = Path(path).expanduser().absolute()
    if dest.is_dir():
        raise ValidationError(f"{dest} is a folder; name a file to write")
    backups.refuse_own_files(db.path, dest, "an export")
    if not dest.parent.is_dir():
        missing = dest.parent
        while not missing.parent.exists() and missing.parent != missing:
            missing = missing.parent
        raise FileError(f"cannot write {dest}: the folder {missing} does not exist; "
                        "create it or choose another")
    if not replace and os.path.lexists(dest):
        raise ConflictError(f"{dest} exists; choose another name, or replace it")
    partial: str | None = None
    try:
        # A name of its own (created exclusively, with the umask's mode), so two
        # exports to one path never write into one file.
        partial = str(dest.parent / f".{dest.name[:100]}.{secrets.token_hex(8)}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        async with db.reading() as conn:
            chosen = await _selected(conn, ws, session_ids, include_archived)
            with open(fd, "w", encoding="utf-8", newline="\n") as out:
                writer = _WRITERS[fmt](out, len(chosen))
                next(writer)
                # Rendering and writing are CPU and file work: a batch at a time on a
                # worker thread, so a big export never stalls other callers' commands.
                done = 0
                async for batch in _sessions(conn, chosen):
                    await asyncio.to_thread(_send_all, writer, batch)
                    done += len(batch)
                    if progress is not None:
                        progress(done, len(chosen))
                await asyncio.to_thread(writer.close)
        if replace:
            os.replace(partial, dest)
        else:
            try:
                os.link(partial, dest)  # fails, never replaces, when dest appeared meanwhile
            except FileExistsError:
                raise ConflictError(f"{dest} exists; choose another name, or replace it") \
                    from None
        size = dest.stat().st_size
    except OSError as exc:
        raise FileError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    finally:
        if partial is not None:
            with contextlib.suppress(OSError):
                os.remove(partial)
    return {"path": str(dest), "format": fmt, "sessions": len(chosen), "bytes": size}


Writer = Iterator[None]  # a generator: send((hash, path, session)); close() ends the file


def _send_all(writer: Any, items: list[Any]) -> None:
    """Render and write a batch of sessions (on a worker thread)."""
    for item in items:
        writer.send(item)


def _json_writer(out: IO[str], total: int) -> Any:
    """The bundle, one session a line, workspaces opened and closed as they change."""
    out.write(f'{{"format": "{FORMAT}", "version": {VERSION}, '
              f'"exportedAt": {_dumps(now_rfc3339())}, "sessions": {total}, "workspaces": [')
    current: str | None = None
    try:
        while True:
            ws_hash, ws_path, session = yield
            if ws_hash != current:
                if current is not None:
                    out.write("\n]}, ")
                out.write(f'\n{{"path": {_dumps(ws_path)}, "hash": {_dumps(ws_hash)}, '
                          '"sessions": [\n')
                current = ws_hash
            else:
                out.write(",\n")
            out.write(_dumps(session))
    except GeneratorExit:
        out.write("\n]}\n]}\n" if current is not None else "]}\n")


def _markdown_writer(out: IO[str], total: int) -> Any:
    out.write(render.markdown_head(total))
    while True:
        try:
            ws_hash, ws_path, session = yield
        except GeneratorExit:
            return
        out.write(render.markdown_session(ws_path or ws_hash, session))


def _html_writer(out: IO[str], total: int) -> Any:
    out.write(render.html_head(total))
    try:
        while True:
            ws_hash, ws_path, session = yield
            out.write(render.html_session(ws_path or ws_hash, session))
    except GeneratorExit:
        out.write(render.HTML_TAIL)


_WRITERS: dict[str, Callable[[IO[str], int], Any]] = {
    "json": _json_writer, "markdown": _markdown_writer, "html": _html_writer}
FORMATS = tuple(_WRITERS)


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------

def _load(path: str) -> Json:
    source = Path(path).expanduser()
    try:
        with open(source, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FileError(f"no file {source}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JsonError(f"{source} is not a JSON bundle ({exc}); nothing was imported") from None
    except RecursionError:  # deeper than Python's parser goes: far past the one limit
        raise JsonError(f"{source} nests arrays and objects deeper than "
                        f"{models.MAX_NESTING} levels (the limit for a session's fields); "
                        "nothing was imported") from None
    except OSError as exc:
        raise FileError(f"cannot read {source}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(f"{source} is not an ait42 session bundle (no \"format\": "
                              f"\"{FORMAT}\"); nothing was imported")
    if data.get("version") != VERSION:
        raise ValidationError(f"{source} is a bundle of version {data.get('version')!r}; this "
                              f"version of ait42-session reads version {VERSION}")
    if not isinstance(data.get("workspaces"), list):
        raise ValidationError(f"{source}: \"workspaces\" must be a list; nothing was imported")
    return data


def _workspace_of(entry: object, where: str) -> Workspace:
    """The bundle's workspace as it was: its path and hash kept even if the folder is absent."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: a workspace must be an object")
    path, ws_hash = entry.get("path"), entry.get("hash")
    if path is not None and (not isinstance(path, str) or not path.strip()):
        raise ValueError(f"{where}.path: must be a folder path or null")
    if not isinstance(entry.get("sessions"), list):
        raise ValueError(f"{where}.sessions: must be a list")
    if ws_hash is None and isinstance(path, str):
        return Workspace(path=path, hash=legacy_hash(path))
    if not isinstance(ws_hash, str) or not HASH_NAME.fullmatch(ws_hash):
        raise ValueError(f"{where}.hash: must be 16 lowercase hex characters")
    return Workspace(path=path if isinstance(path, str) else "", hash=ws_hash)


# A dry run's writes that did not happen: session id -> (workspace hash, the session as
# it would be stored), so a later copy of that id is counted as the real run counts it.
Planned = dict[str, tuple[str, Json]]


async def _merge_one(conn: aiosqlite.Connection, ws: Workspace, s: Session, overwrite: bool,
                     dry_run: bool, planned: Planned | None = None) -> tuple[str, str | None]:
    """``written`` | ``unchanged`` | ``skipped`` (with the reason) for one session."""
    if planned is not None and s.id in planned:
        owner, stored = planned[s.id]
    else:
        owner = await scalar(conn, "SELECT workspace_hash FROM sessions WHERE id = ?", (s.id,))
        stored = None
    incoming = assemble_rows(import_rows(ws.hash, s))
    if owner is None:
        if not dry_run:
            await repository.create_session(conn, ws, s)
        elif planned is not None:
            planned[s.id] = (ws.hash, incoming)
        return "written", None
    if owner != ws.hash:
        return "skipped", (f"the id is taken by a session of another workspace ({owner}) "
                           "in this database")
    if stored is None:
        stored = await repository.get_session(conn, ws, s.id)
    if stored == incoming:
        return "unchanged", None
    if not overwrite:
        return "skipped", "differs from the database; import with overwrite to replace it"
    if not dry_run:
        await repository.update_session(conn, ws, s)
    elif planned is not None:
        planned[s.id] = (ws.hash, incoming)
    return "written", None


async def import_bundle(db: Database, path: str, overwrite: bool, dry_run: bool) -> Json:
    """Merge a bundle by session id; counts ``{read, written, unchanged, skipped, problems}``."""
    data = await asyncio.to_thread(_load, path)
    report: Json = {"read": 0, "written": 0, "unchanged": 0, "skipped": 0, "problems": [],
                    "dryRun": dry_run}
    problems: list[Json] = report["problems"]
    plan: list[tuple[Workspace, bool, list[tuple[str, Session]]]] = []
    for w, entry in enumerate(data["workspaces"]):
        where = f"workspaces[{w}]"
        try:
            ws = _workspace_of(entry, where)
        except ValueError as exc:
            count = len(entry["sessions"]) if isinstance(entry, dict) and isinstance(
                entry.get("sessions"), list) else 0
            report["read"] += count
            report["skipped"] += count
            problems.append({"at": where, "reason": str(exc)})
            continue
        valid = []
        for k, raw in enumerate(entry["sessions"]):
            report["read"] += 1
            at = f"{where}.sessions[{k}]"
            try:
                valid.append((at, models.validate(Session, raw, "session")))
            except ValidationError as exc:
                report["skipped"] += 1
                problems.append({"at": at, "sessionId": _id_of(raw), "reason": str(exc)})
        plan.append((ws, isinstance(entry.get("path"), str), valid))
    if not dry_run and any(valid for _ws, _p, valid in plan):
        await backups.before(db, "import")
    planned: Planned = {}
    for ws, has_path, valid in plan:
        for start in range(0, len(valid), BATCH):
            if dry_run:
                async with db.reading() as conn:
                    await _merge_batch(conn, ws, valid[start:start + BATCH], report,
                                       overwrite, True, planned)
            else:
                async with db.writing() as conn:
                    before = await scalar(conn, "SELECT path FROM workspaces WHERE hash = ?",
                                          (ws.hash,))
                    await _merge_batch(conn, ws, valid[start:start + BATCH], report,
                                       overwrite, False)
                    # A known path is never changed (defect 10: the bundle's path took
                    # its place); a workspace known by hash alone stays so.
                    if before is not None or not has_path:
                        await conn.execute("UPDATE workspaces SET path = ? WHERE hash = ?",
                                           (before, ws.hash))
    return report


async def _merge_batch(conn: aiosqlite.Connection, ws: Workspace,
                       batch: list[tuple[str, Session]], report: Json, overwrite: bool,
                       dry_run: bool, planned: Planned | None = None) -> None:
    """Merge sessions each in a savepoint: one the database refuses costs only itself."""
    for at, s in batch:
        if not dry_run:
            await conn.execute("SAVEPOINT one")
        try:
            outcome, reason = await _merge_one(conn, ws, s, overwrite, dry_run, planned)
        except _REFUSED as exc:  # a refused row is reported, the rest goes on
            if dry_run:
                raise
            await conn.execute("ROLLBACK TO one")
            outcome, reason = "skipped", f"the database refused it ({exc})"
        if not dry_run:
            await conn.execute("RELEASE one")
        report[outcome] += 1
        if reason is not None:
            report["problems"].append({"at": at, "sessionId": s.id, "reason": reason})


_REFUSED = (sqlite3.IntegrityError, ValidationError, ConflictError, OverflowError, ValueError)


def _id_of(raw: object) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None
