"""What an import tells: its progress while it runs, and its summary when done.

The summary counts, per file (one workspace each), sessions / instances /
messages read against written, unchanged and skipped, so that
``read == written + unchanged + skipped`` can be checked; and every file
found lands in exactly one of imported, unchanged, empty or skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ait42_session.shape.timestamps import now_rfc3339

Json = dict[str, Any]
MAX_ISSUES = 1000  # issues kept in a summary; the count is always exact
_KINDS = ("sessions", "instances", "messages")


def zero() -> dict[str, int]:
    return {"sessions": 0, "instances": 0, "messages": 0}


def plus(total: dict[str, int], more: dict[str, int]) -> None:
    for key in total:
        total[key] += more[key]


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
        total: int | None
        if done:
            total = self.sessions_done
        elif self.bytes_done and self.bytes_total:
            # Until the last file is read, the total is estimated from the
            # sessions per byte read so far.
            total = max(self.sessions_done,
                        round(self.sessions_done * self.bytes_total / self.bytes_done))
        else:
            total = None
        rate = self.sessions_done / elapsed if elapsed > 0 else 0.0
        eta: float | None
        if done:
            eta = 0.0
        elif self.bytes_done and elapsed > 0:
            eta = max(0.0, (self.bytes_total - self.bytes_done) / (self.bytes_done / elapsed))
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


class Issues:
    """Every problem of a run, counted; the first ``MAX_ISSUES`` kept whole."""

    def __init__(self) -> None:
        self.items: list[Json] = []
        self.count = 0

    def add(self, kind: str, file: str, reason: str, *, session_id: str | None = None,
            index: int | None = None, fields: list[Json] | None = None) -> None:
        self.count += 1
        if len(self.items) < MAX_ISSUES:
            item: Json = {"kind": kind, "file": file, "sessionId": session_id, "index": index,
                          "reason": reason}
            if fields is not None:
                item["fields"] = fields[:20]
            self.items.append(item)


def file_report(name: str, ws_hash: str) -> Json:
    """A file's report before anything of it is counted."""
    return {"file": name, "workspaceHash": ws_hash, "path": None, "pathSource": None,
            "status": "skipped", "fileError": None, "read": zero(), "written": zero(),
            "unchanged": zero(), "skipped": zero(), "verified": 0}


def settle(report: Json) -> None:
    """The file's status from its counts: one bucket each (see ``summarize``)."""
    if report["fileError"] is not None:
        report["status"] = "failed"
    elif report["written"]["sessions"]:
        report["status"] = "imported"
    elif report["read"]["sessions"] == 0:
        report["status"] = "empty"
    elif report["skipped"]["sessions"] == 0:
        report["status"] = "unchanged"
    else:
        report["status"] = "skipped"  # nothing written, something skipped


@dataclass
class RunInfo:
    """What a summary says about the run beside its files."""

    source: str
    started_at: str
    dry_run: bool
    overwrite: bool
    backup: str | None = None
    backup_skipped: list[str] = field(default_factory=list)


def summarize(info: RunInfo, reports: list[Json], passed: int, expected: int,
              issues: Issues, rejected: list[Json], progress: Progress) -> Json:
    """The run's summary. ``passed``: entries found but not read; ``expected``: files to read."""
    totals = {k: zero() for k in ("read", "written", "unchanged", "skipped")}
    for ws in reports:
        for key in totals:
            plus(totals[key], ws[key])
    counts_match = all(ws["read"][k] == ws["written"][k] + ws["unchanged"][k] + ws["skipped"][k]
                       for ws in reports for k in _KINDS)

    def files(status: str) -> int:
        return sum(1 for w in reports if w["status"] == status)

    skipped_files = files("failed") + files("skipped") + passed
    readback = sum(1 for i in issues.items if i["kind"] == "readback")
    complete = len(reports) == expected
    return {
        "ok": complete and counts_match and not (totals["skipped"]["sessions"] or skipped_files
                                                 or readback or issues.count),
        "dryRun": info.dry_run,
        "overwrite": info.overwrite,
        "sourceDir": info.source,
        "backupPath": info.backup,
        "backupSkipped": info.backup_skipped,
        "startedAt": info.started_at,
        "finishedAt": now_rfc3339(),
        "elapsedSeconds": round(time.monotonic() - progress.started, 3),
        "files": {"found": expected + passed, "read": len(reports),
                  "imported": files("imported"), "unchanged": files("unchanged"),
                  "empty": files("empty"), "skipped": skipped_files},
        "totals": totals,
        "countsMatch": counts_match,
        "verified": sum(ws["verified"] for ws in reports),
        "workspaces": reports,
        "unmapped": [{"workspaceHash": w["workspaceHash"], "file": w["file"]}
                     for w in reports if w["path"] is None
                     and (w["written"]["sessions"] or w["unchanged"]["sessions"])],
        "rejectedPaths": rejected,
        "issueCount": issues.count,
        "issues": issues.items,
    }


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


def _c(counts: dict[str, int]) -> str:
    return f"{counts['sessions']}/{counts['instances']}/{counts['messages']}"


def format_summary(summary: Json, *, limit: int = 50) -> str:
    """The summary for people: per workspace read vs written, then every issue."""
    dry = "[dry run: nothing was written] " if summary["dryRun"] else ""
    lines = []
    if summary["backupPath"]:
        lines.append(f"backup of the folder: {summary['backupPath']}")
    for line in summary.get("backupSkipped") or []:
        lines.append(f"BACKUP: {line}")
    lines.append(f"{'file':<24} {'workspace':<40} {'read':>18} {'written':>18} "
                 f"{'unchanged':>18} {'skipped':>18}")
    for ws in summary["workspaces"]:
        where = ws["path"] or f"(unknown: {ws['workspaceHash']})"
        lines.append(f"{ws['file']:<24} {where[-40:]:<40} {_c(ws['read']):>18} "
                     f"{_c(ws['written']):>18} {_c(ws['unchanged']):>18} "
                     f"{_c(ws['skipped']):>18}")
    t = summary["totals"]
    lines.append(f"{'total':<24} {'(sessions/instances/messages)':<40} {_c(t['read']):>18} "
                 f"{_c(t['written']):>18} {_c(t['unchanged']):>18} {_c(t['skipped']):>18}")
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
        f"{f['unchanged']} unchanged, {f['empty']} empty, {f['skipped']} skipped; "
        f"{summary['verified']} session(s) read back equal to their JSON; counts "
        f"{'match' if summary['countsMatch'] else 'DO NOT MATCH'} "
        f"(read = written + unchanged + skipped); {summary['elapsedSeconds']:.1f}s")
    indexing = summary.get("indexing")
    if indexing is not None:
        lines.append(f"searchable: {indexing['sessions']} session(s) indexed for search and "
                     f"insights in {indexing['seconds']:.1f}s more")
    return "\n".join(lines)
