"""Bring the legacy ``{hash}.json`` files into the database, with nothing lost.

One file at a time (bounded memory), one transaction per file:

1. read the file (never modified) and parse it; a file that is not a JSON array
   of sessions is reported and skipped whole;
2. validate each session; an invalid one is reported (file, index, id, reason)
   and the rest of the file goes on;
3. find the workspace's real path: paths the database knows, ``--workspace``
   arguments, a mapping file, then the instances' ``worktreePath`` and its
   parents; a candidate counts only when its legacy hash is the file's name.
   Without one, the sessions are imported under the hash alone, to be bound
   later with ``ait42-session workspace bind HASH PATH``;
4. stage: the valid sessions' rows are written to a scratch database of the
   file's own, after proving they read back as the JSON (``normalize``);
5. write: the writer attaches the scratch copy and copies new sessions in
   (INSERT ... SELECT, inside SQLite); one already there and equal is left
   (``unchanged``); one there and different is reported (``changed``) and
   replaced only with ``overwrite``; an id the database holds under another
   workspace, or that an earlier file of the run had, is a ``conflict``;
6. read back: a reader compares the committed rows with the scratch copy, in
   SQL; any difference is reported. The scratch copy is then deleted.

Steps 1-4 run in worker processes for large folders, while the writer copies
the files before.

The summary counts, per workspace, what was read against what was written,
left unchanged or skipped; ``read == written + unchanged + skipped`` always.
A backup copy of the folder is made before the first real import of it.

``ImportJobs`` runs imports on a background thread for the bridge's
``start_import`` / ``get_import_status`` commands; the command line polls the
same status to draw its progress bar.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import itertools
import json
import multiprocessing
import os
import pickle
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import repository
from .consistency import field_diff
from .db import Database
from .errors import ConflictError, FileError, NotFoundError, SessionError, ValidationError
from .legacy_store import (
    HASH_NAME,
    Json,
    default_sessions_dir,
    list_files,
    normalize_owned,
    parse,
    validate_raw,
)
from .models import Session, now_rfc3339
from .repository import Rows
from .workspace import Workspace, identify, legacy_hash

T = TypeVar("T")
Runner = Callable[[Coroutine[Any, Any, Any]], Any]

MAX_ISSUES = 1000  # issues kept in a summary; the count is always exact


class Cancelled(SessionError):
    """The import was cancelled; files already imported stay imported."""

    code = "CANCELLED"


@dataclass(frozen=True)
class ImportOptions:
    """What to import and how (the command line's flags, the page's options)."""

    source_dir: str
    workspaces: tuple[str, ...] = ()
    mapping_file: str | None = None
    dry_run: bool = False
    overwrite: bool = False
    backup: bool = True


def options_from_json(source_dir: object, options: object) -> ImportOptions:
    """Validate the page's ``start_import(dir, options)`` arguments."""
    if source_dir is None or source_dir == "":
        folder = str(default_sessions_dir())
    elif isinstance(source_dir, str):
        folder = source_dir
    else:
        raise ValidationError(f"dir must be a folder path or null, got {source_dir!r}")
    opts: dict[str, Any] = {} if options is None else options  # type: ignore[assignment]
    if not isinstance(opts, dict):
        raise ValidationError(f"options must be an object or null, got {type(opts).__name__}")
    allowed = {"workspaces", "mapping", "dryRun", "overwrite", "noBackup"}
    unknown = sorted(set(opts) - allowed)
    if unknown:
        raise ValidationError(f"unknown import option(s) {', '.join(unknown)}; "
                              f"allowed: {', '.join(sorted(allowed))}")
    workspaces = opts.get("workspaces") or []
    if not isinstance(workspaces, list) or not all(isinstance(w, str) and w.strip()
                                                   for w in workspaces):
        raise ValidationError("options.workspaces must be a list of folder paths")
    mapping = opts.get("mapping")
    if mapping is not None and (not isinstance(mapping, str) or not mapping.strip()):
        raise ValidationError("options.mapping must be the path of a mapping file")
    flags = {}
    for key in ("dryRun", "overwrite", "noBackup"):
        value = opts.get(key, False)
        if not isinstance(value, bool):
            raise ValidationError(f"options.{key} must be true or false, got {value!r}")
        flags[key] = value
    return ImportOptions(source_dir=folder, workspaces=tuple(workspaces), mapping_file=mapping,
                         dry_run=flags["dryRun"], overwrite=flags["overwrite"],
                         backup=not flags["noBackup"])


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------

@dataclass
class Progress:
    """Where an import is; ``status()`` is what ``get_import_status`` returns."""

    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0
    sessions_done: int = 0
    current_file: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def status(self) -> Json:
        elapsed = (self.finished or time.monotonic()) - self.started
        done = self.finished is not None
        if done:
            total: int | None = self.sessions_done
        elif self.bytes_done and self.bytes_total:
            # Files are read one at a time: until the last one, the total is
            # estimated from the sessions per byte read so far.
            total = max(self.sessions_done,
                        round(self.sessions_done * self.bytes_total / self.bytes_done))
        else:
            total = None
        rate = self.sessions_done / elapsed if elapsed > 0 else 0.0
        eta: float | None
        if done:
            eta = 0.0
        elif self.bytes_done and elapsed > 0:
            eta = (self.bytes_total - self.bytes_done) / (self.bytes_done / elapsed)
        else:
            eta = None
        return {
            "filesDone": self.files_done, "filesTotal": self.files_total,
            "sessionsDone": self.sessions_done, "sessionsTotal": total,
            "sessionsTotalExact": done,
            "bytesDone": self.bytes_done, "bytesTotal": self.bytes_total,
            "rate": round(rate, 1), "etaSeconds": None if eta is None else round(eta, 1),
            "elapsedSeconds": round(elapsed, 3), "currentFile": self.current_file,
        }


# --------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------

def _zero() -> dict[str, int]:
    return {"sessions": 0, "instances": 0, "messages": 0}


def _add(counts: dict[str, int], raw: Any) -> None:
    counts["sessions"] += 1
    if isinstance(raw, dict):
        insts, msgs = raw.get("instances"), raw.get("chatHistory")
        counts["instances"] += len(insts) if isinstance(insts, list) else 0
        counts["messages"] += len(msgs) if isinstance(msgs, list) else 0


def _plus(a: dict[str, int], b: dict[str, int]) -> None:
    for key in a:
        a[key] += b[key]


# --------------------------------------------------------------------------
# Workspace paths
# --------------------------------------------------------------------------

@dataclass
class PathHints:
    """Known hash -> path, each with where it came from."""

    paths: dict[str, tuple[str, str]] = field(default_factory=dict)
    rejected: list[Json] = field(default_factory=list)

    def offer(self, path: str, source: str, expected_hash: str | None = None) -> None:
        ws = identify(path)
        canon, got = ws.path, ws.hash
        if expected_hash is not None and got != expected_hash:
            self.rejected.append({"path": path, "source": source,
                                  "reason": f"its legacy hash is {got}, not {expected_hash}"})
            return
        self.paths.setdefault(got, (canon, source))


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


def derive_path(ws_hash: str, sessions: list[Session]) -> str | None:
    """A path whose hash is ``ws_hash`` among the instances' worktrees and their parents."""
    tried: set[str] = set()
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


# --------------------------------------------------------------------------
# Preparing one file (runs in a worker process for large folders)
# --------------------------------------------------------------------------

# (id, index in the file, counts). The rows themselves are in the file's
# scratch copy (``Prepared.staged``), never sent between processes.
PreparedSession = tuple[str, int, dict[str, int]]


@dataclass
class Prepared:
    """One file read, parsed and validated: its rows ready to insert, its problems listed."""

    name: str
    ws_hash: str
    size: int = 0
    sha256: str = ""
    file_error: str | None = None
    read: dict[str, int] = field(default_factory=_zero)
    skipped: dict[str, int] = field(default_factory=_zero)
    issues: list[tuple[str, int | None, str | None, str]] = field(default_factory=list)
    sessions: list[PreparedSession] = field(default_factory=list)
    staged: str | None = None  # the scratch database holding the sessions' rows
    derived_path: str | None = None


def _counts(raw: Any) -> dict[str, int]:
    counts = _zero()
    _add(counts, raw)
    return counts


def prepare_file(path_str: str, staging_dir: str) -> Prepared:
    """Read, parse and validate one legacy file, and stage its rows in ``staging_dir``.

    Never raises for what the file holds; a scratch copy that cannot be written
    (a full disk) raises ``FileError``.
    """
    path = Path(path_str)
    name = path.name
    prep = Prepared(name, path.stem)
    try:
        data = path.read_bytes()
    except OSError as exc:
        prep.size = _size(path)
        prep.file_error = f"cannot be read: {exc.strerror or exc}"
        return prep
    prep.size = len(data)
    prep.sha256 = hashlib.sha256(data).hexdigest()
    try:
        raws = parse(data, name)
    except SessionError as exc:
        prep.file_error = f"{exc}; the whole file was skipped"
        return prep
    del data
    first_index: dict[str, int] = {}
    models: list[Session] = []
    batch: list[Rows] = []
    for index, raw in enumerate(raws):
        counts = _counts(raw)
        _plus(prep.read, counts)
        sid = raw.get("id") if isinstance(raw, dict) else None
        sid = sid if isinstance(sid, str) else None
        try:  # the model refuses what SQLite cannot hold too (integers beyond 64 bits)
            model = validate_raw(raw, name)
        except SessionError as exc:
            prep.issues.append(("invalid", index, sid, str(exc)))
            _plus(prep.skipped, counts)
            continue
        if model.id in first_index:
            prep.issues.append(("duplicate", index, model.id,
                                f"the id appears again in the same file (first at #"
                                f"{first_index[model.id]}); the first one is imported"))
            _plus(prep.skipped, counts)
            continue
        first_index[model.id] = index
        norm = normalize_owned(raw)  # the file's parsed values are ours to change
        rows = repository.import_rows(prep.ws_hash, model)
        rendered = repository.assemble_rows(rows)
        if rendered != norm:  # the rows would not read back as the JSON: never write them
            fields = field_diff(norm, rendered)
            prep.issues.append(("readback", index, model.id,
                                "its rows would not read back equal to its JSON "
                                f"({', '.join(f['field'] for f in fields[:5])}); not imported"))
            _plus(prep.skipped, counts)
            continue
        models.append(model)
        batch.append(rows)
        prep.sessions.append((model.id, index, counts))
    prep.derived_path = derive_path(prep.ws_hash, models)
    if batch:
        _stage(prep, batch, staging_dir)
    return prep


def _stage(prep: Prepared, batch: list[Rows], staging_dir: str) -> None:
    """Write the file's rows to its scratch copy; a session SQLite refuses is skipped."""
    staged = os.path.join(staging_dir, f"{prep.name}.db")
    try:
        refused = repository.stage_rows(staged, batch)
    except (sqlite3.Error, OSError) as exc:
        raise FileError(f"cannot write the import's scratch copy of {prep.name} to "
                        f"{staging_dir}: {exc}; nothing of it was imported (free space)") from exc
    for k in sorted(refused, reverse=True):
        sid, index, counts = prep.sessions.pop(k)
        prep.issues.append(("failed", index, sid, refused[k]))
        _plus(prep.skipped, counts)
    prep.staged = staged


PARALLEL_BYTES = 8 * 1024 * 1024  # below this, worker processes cost more than they save


def _workers(total_bytes: int) -> int:
    """How many worker processes prepare files (0: the importer's thread does).

    Preparing (parsing, validating, proving and staging the rows) is most of
    an import's CPU and holds a process's GIL; writing is SQLite copying staged
    rows, which holds no GIL. So on two CPUs two workers prepare while the
    writer copies: 10,000 sessions took 3.4-3.9 s, against 4.5-4.9 s with one.
    """
    env = os.environ.get("AIT42_IMPORT_WORKERS")
    if env is not None and env.isdigit():
        return int(env)
    cpus = os.cpu_count() or 1
    if total_bytes < PARALLEL_BYTES or cpus < 2:  # one CPU: a worker only adds its start-up
        return 0
    return min(2, cpus)


# --------------------------------------------------------------------------
# The importer
# --------------------------------------------------------------------------

class Importer:
    """One run over a folder; ``run()`` returns the summary."""

    def __init__(self, db: Database, run: Runner, options: ImportOptions, *,
                 progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.db = db
        self._run = run
        self.options = options
        self.progress = progress or Progress()
        self.cancel = cancel or threading.Event()
        self.source = Path(options.source_dir).expanduser()
        self.issues: list[Json] = []
        self.summary: Json | None = None  # set when run() ends, cancelled or not
        self.issue_count = 0
        self.seen: dict[str, str] = {}  # session id -> file it was first read from
        self.hints = PathHints()
        self.workers = 0  # processes preparing files; set by run() from the folder's size

    def _issue(self, kind: str, file: str, reason: str, *, session_id: str | None = None,
               index: int | None = None, fields: list[Json] | None = None) -> None:
        self.issue_count += 1
        if len(self.issues) < MAX_ISSUES:
            item: Json = {"kind": kind, "file": file, "sessionId": session_id, "index": index,
                          "reason": reason}
            if fields is not None:
                item["fields"] = fields[:20]
            self.issues.append(item)

    def run(self) -> Json:
        opts = self.options
        started_at = now_rfc3339()
        if not self.source.is_dir():
            raise FileError(f"{self.source} is not a folder of legacy session files")
        source = str(self.source.resolve())
        files = list_files(self.source)
        others = sorted(p.name for p in self.source.glob("*.json") if p not in files)
        self.progress.files_total = len(files)
        self.progress.bytes_total = sum(_size(p) for p in files)
        self.workers = _workers(self.progress.bytes_total)

        known = self._run(self.db.read(repository.workspace_paths))
        for ws_hash, path in known.items():
            if path:
                self.hints.offer(path, "database", ws_hash)
        for path in opts.workspaces:
            self.hints.offer(path, "argument")
        if opts.mapping_file:
            read_mapping(opts.mapping_file, self.hints)

        backup = None
        run_id = None
        if not opts.dry_run:
            if opts.backup and self._run(self.db.read(repository.last_backup, source)) is None:
                backup = make_backup(self.source)
            run_id = self._run(self.db.write(repository.start_import_run, started_at, source,
                                             opts.overwrite, backup))
        workspaces: list[Json] = []
        for name in others:
            self._issue("file", name, "the name is not a workspace hash ({16 hex}.json): "
                                      "not a legacy session file, skipped")
        state = "failed"
        # Scratch copies of the files' rows: each is deleted once its file is
        # checked, so at most a few files' worth is on disk at once.
        staging_dir = _scratch_folder((self.workers + 3) * max(map(_size, files), default=0))
        prepared = self._prepared(files, staging_dir)
        gc_was_enabled = gc.isenabled()
        # The cyclic collector rescans every live object each time enough objects
        # were allocated, and an import allocates millions (all acyclic, freed by
        # reference counting): paused, 10,000 sessions took 8.8 CPU s, not 10.3.
        gc.disable()
        # With worker processes preparing, a file is read back (on the verifier
        # thread, by a reader) while the next one is written. Without, this
        # thread prepares, and a verifier thread would only fight it for the GIL.
        verifier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ait42-import-verify") \
            if self.workers else None
        checking: tuple[Json, list[str],
                        Future[list[tuple[str, list[Json] | None]]]] | None = None
        try:
            for path, prep in zip(files, prepared, strict=True):
                if self.cancel.is_set():
                    raise Cancelled("the import was cancelled; the files imported so far stay")
                self.progress.current_file = path.name
                report, written = self._file(prep, run_id)
                if checking is not None:
                    workspaces.append(self._verified(*checking))
                checking = (report, written,
                            verifier.submit(self._read_back, prep.staged, written) if verifier
                            else _done(self._read_back(prep.staged, written)))
                self.progress.files_done += 1
            state = "done"
        finally:
            try:
                if checking is not None:  # also when cancelled: what was written is checked
                    workspaces.append(self._verified(*checking))
            finally:
                if verifier is not None:
                    verifier.shutdown(wait=True)
            if gc_was_enabled:
                gc.enable()
            prepared.close()  # stops the worker processes now, also when cancelled
            shutil.rmtree(staging_dir, ignore_errors=True)
            self.progress.current_file = None
            summary = self._summary(workspaces, others, files, started_at, source, backup)
            self.summary = summary  # also when cancelled: what was imported so far
            self.progress.finished = time.monotonic()
            if run_id is not None:
                self._run(self.db.write(repository.finish_import_run, run_id, now_rfc3339(),
                                        state, summary))
        return summary

    def _prepared(self, files: list[Path], staging_dir: str) -> Generator[Prepared, None, None]:
        """Each file prepared, in order: in worker processes when the folder is large.

        Parsing and validating is most of an import's work and holds the GIL;
        worker processes do it for the next files while this thread writes
        the current one. At most ``window`` files are in memory at once.
        """
        workers = self.workers
        if not workers:
            for path in files:
                yield prepare_file(str(path), staging_dir)
            return
        window = workers + 1
        ctx = multiprocessing.get_context("spawn")  # never fork a process that has threads
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=gc.disable)
        try:
            pending: deque[tuple[Path, Future[Prepared]]] = deque()
            queue = iter(files)
            first = next(queue, None)
            for path in itertools.islice(queue, window):
                pending.append((path, pool.submit(prepare_file, str(path), staging_dir)))
            if first is not None:  # here, while the workers start (their imports take a while)
                yield prepare_file(str(first), staging_dir)
            while pending:
                path, future = pending.popleft()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(prepare_file, str(nxt), staging_dir)))
                try:
                    prepared = future.result()
                except (BrokenProcessPool, OSError, pickle.PicklingError):
                    prepared = prepare_file(str(path), staging_dir)  # a worker died: do it here
                yield prepared
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _file(self, prep: Prepared, run_id: int | None) -> tuple[Json, list[str]]:
        """Write one prepared file; its report, and the ids of the sessions written."""
        name, ws_hash = prep.name, prep.ws_hash
        self.progress.bytes_done += prep.size
        report: Json = {"file": name, "workspaceHash": ws_hash, "path": None,
                        "pathSource": None, "status": "skipped", "fileError": prep.file_error,
                        "read": dict(prep.read), "written": _zero(), "unchanged": _zero(),
                        "skipped": dict(prep.skipped), "verified": 0}
        for kind, at, who, why in prep.issues:
            self._issue(kind, name, why, session_id=who, index=at)
        if prep.file_error is not None:
            report["status"] = "failed"
            self._issue("file", name, prep.file_error)
            return report, []
        valid: list[tuple[str, dict[str, int]]] = []
        for sid, index, counts in prep.sessions:
            other = self.seen.get(sid)
            if other is not None and other != name:
                self._issue("conflict", name, f"the same session id is in {other}, read earlier "
                                              "in this run; this copy was not imported",
                            session_id=sid, index=index)
                _plus(report["skipped"], counts)
                continue
            self.seen[sid] = name
            valid.append((sid, counts))

        known = self.hints.paths.get(ws_hash)
        if known is None and prep.derived_path is not None:
            known = (prep.derived_path, "derived")
            self.hints.paths[ws_hash] = known
        ws_path = known[0] if known else None
        report["path"], report["pathSource"] = ws_path, (known[1] if known else None)
        ws = Workspace(path=ws_path or ws_hash, hash=ws_hash)
        ids = [sid for sid, _counts in valid]
        outcomes: list[repository.ImportOutcome] = []
        if ids and prep.staged is not None:
            now = now_rfc3339()
            if self.options.dry_run:
                outcomes = self._run(self.db.read_attached(
                    prep.staged, repository.import_file, ws, ws_path, ids,
                    overwrite=self.options.overwrite, dry_run=True, now=now))
            else:
                record = (run_id, name, prep.sha256, prep.size, prep.read["sessions"])
                outcomes = self._run(self.db.write_attached(
                    prep.staged, repository.import_file, ws, ws_path, ids,
                    overwrite=self.options.overwrite, dry_run=False, now=now, record=record))
        written: list[str] = []
        for (sid, counts), (status, reason, versions) in zip(valid, outcomes, strict=True):
            if status in ("inserted", "replaced"):
                _plus(report["written"], counts)
                if not self.options.dry_run:
                    written.append(sid)
            elif status == "unchanged":
                _plus(report["unchanged"], counts)
                if not self.options.dry_run:
                    report["verified"] += 1  # compared with the database's copy when written
            else:
                _plus(report["skipped"], counts)
                fields = field_diff(versions[1], versions[0]) if versions is not None else None
                self._issue(status, name, reason or status, session_id=sid, fields=fields)
        self.progress.sessions_done += report["read"]["sessions"]
        if report["written"]["sessions"]:
            report["status"] = "imported"
        elif report["unchanged"]["sessions"] and not report["skipped"]["sessions"]:
            report["status"] = "unchanged"
        elif report["read"]["sessions"] == 0:
            report["status"] = "empty"
        if ws_path is None and valid:
            report["bindHint"] = f"ait42-session workspace bind {ws_hash} PATH"
        return report, written

    def _read_back(self, staged: str | None,
                   written: list[str]) -> list[tuple[str, list[Json] | None]]:
        """The read-back check of one file's written sessions; the ones that differ.

        Runs after the file's commit, by a reader (another connection); with
        worker processes, on the verifier thread while the next file is written.
        Each session must read back as exactly the rows staged, which (checked
        in ``prepare_file``) render through the reads' own code to exactly the
        normalized JSON. SQLite compares the two databases
        (``repository.staged_differences``); the scratch copy is deleted after.
        """
        if staged is None:
            return []
        try:
            if not written:
                return []
            differ = self._run(self.db.read_attached(staged, repository.staged_differences,
                                                     written))
            return [(sid, field_diff(file_version, db_version) if db_version is not None
                     else None) for sid, db_version, file_version in differ]
        finally:
            with contextlib.suppress(OSError):
                os.unlink(staged)

    def _verified(self, report: Json, written: list[str],
                  check: Future[list[tuple[str, list[Json] | None]]]) -> Json:
        """A file's report completed with its read-back check (waited for here)."""
        differ = check.result()
        report["verified"] += len(written) - len(differ)
        for sid, fields in differ:
            self._issue("readback", report["file"], "the session read back from the database "
                        "differs from its JSON", session_id=sid, fields=fields)
        return report


    def _summary(self, workspaces: list[Json], others: list[str], files: list[Path],
                 started_at: str, source: str, backup: str | None) -> Json:
        totals = {k: _zero() for k in ("read", "written", "unchanged", "skipped")}
        for ws in workspaces:
            for key in totals:
                _plus(totals[key], ws[key])
        counts_match = all(
            ws["read"][k] == ws["written"][k] + ws["unchanged"][k] + ws["skipped"][k]
            for ws in workspaces for k in ("sessions", "instances", "messages"))
        files_skipped = sum(1 for ws in workspaces if ws["status"] == "failed") + len(others)
        readback_failures = sum(1 for i in self.issues if i["kind"] == "readback")
        complete = len(workspaces) == len(files)
        skipped_anything = bool(totals["skipped"]["sessions"] or files_skipped
                                or readback_failures or self.issue_count)
        return {
            "ok": complete and counts_match and not skipped_anything,
            "dryRun": self.options.dry_run,
            "overwrite": self.options.overwrite,
            "sourceDir": source,
            "backupPath": backup,
            "startedAt": started_at,
            "finishedAt": now_rfc3339(),
            "elapsedSeconds": round(time.monotonic() - self.progress.started, 3),
            "files": {"found": len(files) + len(others), "read": len(workspaces),
                      "imported": sum(1 for w in workspaces if w["status"] == "imported"),
                      "unchanged": sum(1 for w in workspaces if w["status"] == "unchanged"),
                      "skipped": files_skipped},
            "totals": totals,
            "countsMatch": counts_match,
            "verified": sum(ws["verified"] for ws in workspaces),
            "workspaces": workspaces,
            "unmapped": [{"workspaceHash": w["workspaceHash"], "file": w["file"]}
                         for w in workspaces if w["path"] is None
                         and (w["written"]["sessions"] or w["unchanged"]["sessions"])],
            "rejectedPaths": self.hints.rejected,
            "issueCount": self.issue_count,
            "issues": self.issues,
        }


SHARED_MEMORY = Path("/dev/shm")
_SCRATCH = "ait42-import-"  # then the importing process's id


def _sweep(root: Path) -> None:
    """Remove scratch folders left by imports whose process is gone (a crash, a kill).

    In /dev/shm they would hold memory until the machine restarts.
    """
    if os.name != "posix":
        return
    for folder in root.glob(f"{_SCRATCH}*-*"):
        pid = folder.name[len(_SCRATCH):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass  # alive, under another user


def _scratch_folder(need: int) -> str:
    """A new folder for an import's scratch copies: in memory (/dev/shm) when it has room.

    Each copy is written once, read twice and deleted: on a disk's file system
    writing them took twice as long (1.0 s against 0.57 s per 10,000 sessions).
    ``need`` is a generous bound on the copies on disk at once.
    """
    root: str | None = None
    try:
        shm = os.statvfs(SHARED_MEMORY)
        if os.access(SHARED_MEMORY, os.W_OK) and shm.f_bavail * shm.f_frsize > 2 * need:
            root = str(SHARED_MEMORY)
    except OSError:
        pass  # no such folder here (not Linux): the temporary folder
    _sweep(Path(root or tempfile.gettempdir()))
    try:
        return tempfile.mkdtemp(prefix=f"{_SCRATCH}{os.getpid()}-", dir=root)
    except OSError as exc:
        raise FileError(f"cannot create a scratch folder for the import in "
                        f"{root or tempfile.gettempdir()}: {exc}") from exc


def _done(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def make_backup(source: Path) -> str:
    """Copy the folder beside itself (``<name>.backup-<UTC time>``); return the copy's path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for n in itertools.count():
        target = source.parent / (f"{source.name}.backup-{stamp}" + ("" if n == 0 else f"-{n}"))
        if not target.exists():
            break
    try:
        shutil.copytree(source, target, copy_function=shutil.copy2)
    except (OSError, shutil.Error) as exc:
        raise FileError(f"cannot back up {source} to {target} before importing: {exc}; "
                        "nothing was imported (free space, or pass --no-backup)") from exc
    for path in list_files(source):  # the copy must be whole before anything is written
        copied = target / path.name
        if not copied.is_file() or copied.stat().st_size != path.stat().st_size:
            raise FileError(f"the backup copy {copied} is incomplete; nothing was imported")
    return str(target)


# --------------------------------------------------------------------------
# Background jobs for the bridge
# --------------------------------------------------------------------------

@dataclass
class _Job:
    job_id: str
    options: ImportOptions
    progress: Progress
    cancel: threading.Event
    thread: threading.Thread | None = None
    state: str = "running"
    summary: Json | None = None
    error: Json | None = None


class ImportJobs:
    """Imports started by the page (or the command line) on a background thread each."""

    KEEP = 20  # finished jobs whose status stays readable

    def __init__(self, db: Database, run: Runner) -> None:
        self._db = db
        self._run = run
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._closed = False

    def start(self, options: ImportOptions) -> Json:
        with self._lock:
            if self._closed:
                raise SessionError("the bridge is closing; no import can start")
            running = [j for j in self._jobs.values() if j.state == "running"]
            if running:
                raise ConflictError(f"import {running[0].job_id} is still running; wait for it "
                                    "or cancel it (cancel_import)")
            job_id = f"import-{next(self._counter)}-{os.urandom(3).hex()}"
            job = _Job(job_id, options, Progress(), threading.Event())
            self._jobs[job_id] = job
            finished = [k for k, j in self._jobs.items() if j.state != "running"]
            for key in finished[:-self.KEEP] if len(finished) > self.KEEP else []:
                del self._jobs[key]
            job.thread = threading.Thread(target=self._work, args=(job,), daemon=True,
                                          name=f"ait42-{job_id}")
            job.thread.start()
        return {"jobId": job_id}

    def _work(self, job: _Job) -> None:
        run = Importer(self._db, self._run, job.options, progress=job.progress,
                       cancel=job.cancel)
        try:
            summary = run.run()
        except SessionError as exc:
            job.error = {"name": type(exc).__name__, "code": exc.code, "message": str(exc)}
            if isinstance(exc, Cancelled):
                job.summary = run.summary  # the files imported before the cancel
            job.state = "failed"
        except Exception as exc:  # a job must end in a state the page sees
            job.error = {"name": type(exc).__name__, "code": "INTERNAL",
                         "message": f"the import stopped on an unexpected error: {exc}"}
            job.state = "failed"
        else:
            job.summary = summary
            job.state = "done"
        finally:
            if job.progress.finished is None:
                job.progress.finished = time.monotonic()

    def status(self, job_id: str) -> Json:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no import job {job_id!r} (finished jobs are kept for the "
                                f"latest {self.KEEP})")
        state = job.state  # read first: a summary is set before the state says done
        out: Json = {"jobId": job.job_id, "state": state, "dryRun": job.options.dry_run}
        out.update(job.progress.status())
        if state == "done":
            out["summary"] = job.summary
        elif state == "failed":
            out["error"] = job.error
            if job.summary is not None:  # a cancelled import: what it did before
                out["summary"] = job.summary
        return out

    def cancel(self, job_id: str) -> Json:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no import job {job_id!r}")
        job.cancel.set()
        return self.status(job_id)

    def shutdown(self, timeout: float = 60.0) -> None:
        """Cancel running imports and wait for them (before the database closes)."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout)


# --------------------------------------------------------------------------
# Legacy data for benchmarks and tests
# --------------------------------------------------------------------------

def legacy_session(n: int, ws_path: str, *, instances: int, messages: int,
                   output_chars: int = 200) -> Json:
    """A session as the shell writes it: every optional present, ``null`` when unset."""
    sid = f"session_{n:06d}"
    return {
        "id": sid, "type": ("competition", "ensemble", "debate")[n % 3],
        "task": f"Task {n}: implement feature {n % 97}", "status": "completed",
        "createdAt": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00Z",
        "updatedAt": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T12:{n % 60:02d}:00.{n % 1000:03d}Z",
        "completedAt": None if n % 5 == 0 else "2025-06-01T12:00:00Z",
        "instances": [{
            "instanceId": i, "worktreePath": f"{ws_path}/.worktrees/{sid}-{i}",
            "branch": f"feature/{sid}-{i}", "agentName": "backend-developer",
            "status": "completed", "tmuxSessionId": f"ait42-{sid}-{i}",
            "output": ("x" * output_chars) if i % 2 == 0 else None,
            "startTime": "2025-06-01T10:00:00Z", "endTime": None,
            "filesChanged": i + 1, "linesAdded": 10 * i, "linesDeleted": None,
            "runtime": "claude", "model": "sonnet", "runtimeLabel": "Claude",
            **({"testsPassed": True} if i == 0 else {}),
        } for i in range(instances)],
        "chatHistory": [{
            "id": f"msg_{j}", "role": ("user", "assistant", "system")[j % 3],
            "content": f"message {j} of session {n}", "timestamp":
                f"2025-06-01T10:{j // 60 % 60:02d}:{j % 60:02d}Z",
            "instanceId": None if j % 4 else 0,
        } for j in range(messages)],
        "model": "sonnet", "timeoutSeconds": 1800, "preserveWorktrees": False,
        "winnerId": 0 if n % 2 else None, "runtimeMix": ["claude", "codex"],
        "totalDuration": 9000 + n, "totalFilesChanged": 15, "totalLinesAdded": 320,
        "totalLinesDeleted": 85, "evaluation": {"score": n % 10, "notes": None},
    }


def write_legacy_folder(folder: Path, *, sessions: int, files: int, instances: int = 3,
                        messages: int = 10, root: str = "/bench") -> list[str]:
    """Write ``files`` workspace files holding ``sessions`` sessions; return the workspaces."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [f"{root}/workspace-{k:03d}" for k in range(files)]
    per = -(-sessions // files)
    for k, ws_path in enumerate(paths):
        chunk = [legacy_session(n, ws_path, instances=instances, messages=messages)
                 for n in range(k * per, min(sessions, (k + 1) * per))]
        (folder / f"{legacy_hash(ws_path)}.json").write_text(
            json.dumps(chunk, indent=2, ensure_ascii=False), encoding="utf-8")
    return paths


def _raw_executemany(db_path: str, folder: Path, *, per_file: bool) -> tuple[float, float]:
    """The floor: the same rows inserted with plain ``executemany`` on one connection.

    Rows are prepared from the same files beforehand (not timed): only the
    inserts and the commits are. ``per_file``: one transaction per file, as the
    importer must (a bad file must not undo the others); else one transaction
    for everything, each table filled in one go (the least SQLite can do).
    """
    from . import migrations

    per: list[tuple[tuple[Any, ...], list[Any], list[Any], list[Any]]] = []
    for path in list_files(folder):
        s_rows: list[tuple[Any, ...]] = []
        i_rows: list[tuple[Any, ...]] = []
        m_rows: list[tuple[Any, ...]] = []
        for raw in json.loads(path.read_text(encoding="utf-8")):
            srow, irows, mrows = repository.import_rows(path.stem, Session.model_validate(raw))
            s_rows.append(srow)
            i_rows.extend(irows)
            m_rows.extend(mrows)
        ws_row = (path.stem, None, "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
        per.append((ws_row, s_rows, i_rows, m_rows))
    if not per_file:  # one batch: every table's rows together
        per = [(per[0][0], [r for p in per for r in p[1]], [r for p in per for r in p[2]],
                [r for p in per for r in p[3]])] if per else []
        ws_rows = [(p.stem, None, "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
                   for p in list_files(folder)]
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        for pragma in ("PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"):
            conn.execute(pragma)
        migrations.apply_pending(conn, migrations.load())
        started = time.perf_counter()
        cpu = time.process_time()
        for ws_row, s_rows, i_rows, m_rows in per:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO workspaces VALUES (?, ?, ?, ?)",
                             [ws_row] if per_file else ws_rows)
            conn.executemany(repository._INSERT_SESSION, s_rows)
            conn.executemany(repository._INSERT_INSTANCE, i_rows)
            conn.executemany(repository._INSERT_MESSAGE, m_rows)
            conn.execute("COMMIT")
        return time.perf_counter() - started, time.process_time() - cpu
    finally:
        conn.close()


def benchmark_import(sessions: int = 10_000, files: int = 50, instances: int = 3,
                     messages: int = 10, workdir: str | None = None,
                     repeat: int = 3) -> Json:
    """Time a whole import through the bridge against raw ``executemany`` of the same rows.

    Each repetition runs the two floors and the import, each into a new
    database, one after the other; medians are reported (the machine is
    shared and noisy). Wall time moves with its load; CPU seconds (this
    process's threads plus the worker processes) move much less, so both are
    reported.
    """
    import resource

    from .bridge import Bridge

    def cpu_now() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    def median(values: list[float]) -> float:
        return round(sorted(values)[len(values) // 2], 3)

    def import_once(bridge: Bridge, folder: Path) -> Json:
        job = bridge.start_import(str(folder), {"noBackup": True})["jobId"]
        while (status := bridge.get_import_status(job))["state"] == "running":
            time.sleep(0.02)
        if status["state"] != "done":
            raise SessionError(f"the benchmark import failed: {status.get('error')}")
        summary: Json = status["summary"]
        return summary

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        folder = Path(tmp) / "sessions"
        t0 = time.perf_counter()
        write_legacy_folder(folder, sessions=sessions, files=files, instances=instances,
                            messages=messages)
        generate = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.iterdir())
        raw, one, imported, imported_cpu, raw_cpu = [], [], [], [], []
        for rep in range(max(1, repeat)):
            raw_s, raw_c = _raw_executemany(str(Path(tmp) / f"raw{rep}.db"), folder,
                                            per_file=True)
            raw.append(raw_s)
            raw_cpu.append(raw_c)
            one.append(_raw_executemany(str(Path(tmp) / f"one{rep}.db"), folder,
                                        per_file=False)[0])
            with Bridge.open(str(Path(tmp) / f"import{rep}.db")) as bridge:
                started, cpu = time.perf_counter(), cpu_now()
                summary = import_once(bridge, folder)
                imported.append(time.perf_counter() - started)
                imported_cpu.append(cpu_now() - cpu)
                if rep == 0:  # a re-run finds every session there and equal
                    started = time.perf_counter()
                    again = import_once(bridge, folder)
                    rerun_s = time.perf_counter() - started
            for name in (f"raw{rep}.db", f"one{rep}.db", f"import{rep}.db"):
                for suffix in ("", "-wal", "-shm"):
                    Path(tmp, name + suffix).unlink(missing_ok=True)
        t = summary["totals"]["written"]
        raw_m, one_m, import_m = median(raw), median(one), median(imported)
        return {
            "sessions": t["sessions"], "instances": t["instances"], "messages": t["messages"],
            "files": summary["files"]["imported"], "bytes": size, "repeat": len(imported),
            "generateSeconds": round(generate, 3),
            "rawExecutemanySeconds": raw_m,
            "rawOneTransactionSeconds": one_m,
            "importSeconds": import_m,
            "ratio": round(import_m / raw_m, 2) if raw_m else None,
            "ratioToOneTransaction": round(import_m / one_m, 2) if one_m else None,
            "rawCpuSeconds": median(raw_cpu), "importCpuSeconds": median(imported_cpu),
            "workers": _workers(size), "cpus": os.cpu_count(),
            "rerunSeconds": round(rerun_s, 3),
            "rerunUnchanged": again["totals"]["unchanged"]["sessions"],
            "verified": summary["verified"], "ok": summary["ok"],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ait42_session.importer",
                                     description="Legacy JSON import benchmark.")
    parser.add_argument("--bench", action="store_true", help="run the import benchmark")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--instances", type=int, default=3, help="per session")
    parser.add_argument("--messages", type=int, default=10, help="per session")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (medians shown)")
    args = parser.parse_args(argv)
    if not args.bench:
        parser.print_help()
        return 2
    result = benchmark_import(args.sessions, args.files, args.instances, args.messages,
                              repeat=args.repeat)
    print(json.dumps(result, indent=2))
    return 0


# --------------------------------------------------------------------------
# Text for the command line
# --------------------------------------------------------------------------

def render_progress(status: Json, width: int = 24) -> str:
    """One line: files and sessions, rate, time left, and a bar (by bytes read)."""
    total = status["bytesTotal"] or 1
    filled = min(width, int(width * status["bytesDone"] / total))
    sessions_total = status["sessionsTotal"]
    of = "" if sessions_total is None else \
        f"/{'' if status['sessionsTotalExact'] else '~'}{sessions_total:,}"
    eta = status["etaSeconds"]
    left = "--" if eta is None else f"{eta:.0f}s"
    return (f"[{'#' * filled}{'.' * (width - filled)}] {status['filesDone']}/"
            f"{status['filesTotal']} files  {status['sessionsDone']:,}{of} sessions  "
            f"{status['rate']:,.0f}/s  {left} left")


def format_summary(summary: Json, *, limit: int = 50) -> str:
    """The summary for people: per workspace read vs written, then every issue."""
    dry = "[dry run: nothing was written] " if summary["dryRun"] else ""
    lines = []
    if summary["backupPath"]:
        lines.append(f"backup of the folder: {summary['backupPath']}")
    lines.append(f"{'file':<24} {'workspace':<40} {'read':>18} {'written':>18} "
                 f"{'unchanged':>18} {'skipped':>18}")

    def c(counts: dict[str, int]) -> str:
        return f"{counts['sessions']}/{counts['instances']}/{counts['messages']}"

    for ws in summary["workspaces"]:
        where = ws["path"] or f"(unknown: {ws['workspaceHash']})"
        lines.append(f"{ws['file']:<24} {where[-40:]:<40} {c(ws['read']):>18} "
                     f"{c(ws['written']):>18} {c(ws['unchanged']):>18} {c(ws['skipped']):>18}")
    t = summary["totals"]
    lines.append(f"{'total':<24} {'(sessions/instances/messages)':<40} {c(t['read']):>18} "
                 f"{c(t['written']):>18} {c(t['unchanged']):>18} {c(t['skipped']):>18}")
    for issue in summary["issues"][:limit]:
        who = f" session {issue['sessionId']}" if issue["sessionId"] else ""
        at = f" #{issue['index']}" if issue["index"] is not None else ""
        lines.append(f"{issue['kind'].upper()}: {issue['file']}{at}{who}: {issue['reason']}")
        for f in (issue.get("fields") or [])[:5]:
            lines.append(f"    {f['field']}: json={f['json']!r} database={f['database']!r}")
    if summary["issueCount"] > limit:
        lines.append(f"... and {summary['issueCount'] - limit} more issue(s) (--json lists "
                     f"up to {MAX_ISSUES})")
    for item in summary["unmapped"]:
        lines.append(f"UNMAPPED: {item['file']}: imported under its hash; when you know the "
                     f"folder: ait42-session workspace bind {item['workspaceHash']} PATH")
    for item in summary["rejectedPaths"]:
        lines.append(f"REJECTED PATH ({item['source']}): {item['path']}: {item['reason']}")
    f = summary["files"]
    verdict = "ok" if summary["ok"] else "INCOMPLETE: something was skipped (see above)"
    lines.append(
        f"{dry}{verdict}: {f['found']} file(s) found, {f['imported']} imported, "
        f"{f['unchanged']} unchanged, {f['skipped']} skipped; {summary['verified']} "
        f"session(s) read back equal to their JSON; counts "
        f"{'match' if summary['countsMatch'] else 'DO NOT MATCH'} "
        f"(read = written + unchanged + skipped); {summary['elapsedSeconds']:.1f}s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
