"""Imports in the background, for the bridge's ``start_import`` / ``get_import_status`` /
``cancel_import`` commands; the command line polls the same status for its progress bar.

Each import runs on a thread of its own (the run hands each file's work to the
database's event loop); one import at a time per bridge. The table knows jobs
(threads, status, cancel), not what an import does: it is handed the
``run.Importer`` to start (``faces.service`` makes it, with its database and
event loop).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ait42_session.legacy.importer.options import Cancelled, ImportOptions
from ait42_session.legacy.importer.report import Progress
from ait42_session.shape.errors import ConflictError, NotFoundError, SessionError

if TYPE_CHECKING:
    from ait42_session.legacy.importer.run import Importer

log = logging.getLogger(__name__)

Json = dict[str, Any]


class NewImport(Protocol):
    """An ``Importer`` of these options, reporting to ``progress``, stopping when
    ``cancel`` is set (``run.Importer`` with its database and event loop given)."""

    def __call__(self, options: ImportOptions, *, progress: Progress,
                 cancel: threading.Event) -> Importer: ...


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

    def __init__(self, new_import: NewImport) -> None:
        self._new_import = new_import
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
        run = self._new_import(job.options, progress=job.progress, cancel=job.cancel)
        try:
            summary = run.run()
        except SessionError as exc:
            job.error = {"name": type(exc).__name__, "code": exc.code, "message": str(exc)}
            if isinstance(exc, Cancelled):
                job.summary = run.summary  # the files imported before the cancel
            job.state = "failed"
        except Exception as exc:  # a job must end in a state the page sees
            log.exception("import %s stopped on an unexpected error", job.job_id)
            job.error = {"name": type(exc).__name__, "code": "INTERNAL",
                         "message": f"the import stopped on an unexpected error: {exc} "
                                    "(its traceback is in the log file beside the database)"}
            job.state = "failed"
        else:
            job.summary = summary
            job.state = "done"
        finally:
            if job.progress.finished is None:
                job.progress.finished = time.monotonic()

    def running(self) -> bool:
        """Whether an import is writing now (the derived data's catch-up waits for it)."""
        return any(j.state == "running" for j in list(self._jobs.values()))

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
