"""Do the legacy JSON files and the database agree? A field-by-field report.

For every workspace (each ``{hash}.json`` file, and each workspace the
database holds) the sessions of the file are compared with the database's,
both normalized the same way (``legacy_store.normalize``): sessions missing on
either side, and for sessions on both sides the fields that differ, with both
values. One workspace is in memory at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ait42_session.legacy.diff import field_diff
from ait42_session.legacy.json_files import (
    Json,
    list_files,
    normalize,
    parse,
    read_bytes,
    spare_log_path,
    validate_raw,
)
from ait42_session.shape.errors import SessionError
from ait42_session.shape.timestamps import now_rfc3339
from ait42_session.shape.workspace import Workspace
from ait42_session.store import repository
from ait42_session.store.records import dual_events, session_workspaces, workspace_paths

if TYPE_CHECKING:
    from ait42_session.store.db import Database

MAX_FIELDS = 50  # differences listed per session


def _load_json(path: Path) -> tuple[dict[str, Json], list[Json], str | None]:
    """A file's valid sessions (normalized, by id), its invalid ones, and a file-level error."""
    where = str(path)
    try:
        data = read_bytes(path)
        sessions = [] if data is None else parse(data, where)
    except SessionError as exc:
        return {}, [], str(exc)
    valid: dict[str, Json] = {}
    invalid: list[Json] = []
    for index, raw in enumerate(sessions):
        try:
            validate_raw(raw, where)
        except SessionError as exc:
            sid = raw.get("id") if isinstance(raw, dict) else None
            invalid.append({"index": index, "sessionId": sid if isinstance(sid, str) else None,
                            "reason": str(exc)})
            continue
        if raw["id"] in valid:
            invalid.append({"index": index, "sessionId": raw["id"],
                            "reason": "the id appears more than once in the file"})
            continue
        valid[raw["id"]] = normalize(raw)
    return valid, invalid, None


async def check(db: Database, sessions_dir: Path, *, max_events: int = 100,
                fallback_log: Path | None = None,
                progress: Callable[[int, int, int], None] | None = None) -> Json:
    """Compare every workspace's JSON file with the database.

    ``progress(workspaces done, workspaces in all, sessions compared)`` is
    called (on the loop's thread) after each workspace, for the command line.
    """
    files = {p.stem: p for p in await asyncio.to_thread(list_files, sessions_dir)}
    known = await db.read(workspace_paths)
    report: list[Json] = []
    totals = {"workspaces": 0, "sessionsInJson": 0, "sessionsInDatabase": 0, "same": 0,
              "missingInDatabase": 0, "missingInJson": 0, "different": 0, "invalidInJson": 0}
    hashes = sorted(set(files) | set(known))
    for done, ws_hash in enumerate(hashes, 1):
        path = files.get(ws_hash)
        ws = Workspace(path=known.get(ws_hash) or ws_hash, hash=ws_hash)
        if path is not None:
            in_json, invalid, file_error = await asyncio.to_thread(_load_json, path)
        else:
            in_json, invalid, file_error = {}, [], None
        in_db = {s["id"]: s for s in await db.read(repository.get_all_sessions, ws)}
        missing_db = [sid for sid in in_json if sid not in in_db]
        elsewhere = await db.read(session_workspaces, missing_db) if missing_db \
            else {}
        different = []
        same = 0
        for sid, js in in_json.items():
            dbs = in_db.get(sid)
            if dbs is None:
                continue
            fields = [] if js == dbs else field_diff(js, dbs)
            if fields:
                different.append({"sessionId": sid, "fields": fields[:MAX_FIELDS],
                                  "fieldCount": len(fields)})
            else:
                same += 1
        missing_json = [sid for sid in in_db if sid not in in_json]
        entry: Json = {
            "workspaceHash": ws_hash,
            "path": known.get(ws_hash),
            "jsonFile": str(path) if path is not None else None,
            "sessionsInJson": len(in_json),
            "sessionsInDatabase": len(in_db),
            "same": same,
            "missingInDatabase": [
                {"sessionId": sid, "inDatabaseUnderWorkspace": elsewhere.get(sid)}
                for sid in missing_db],
            "missingInJson": missing_json,
            "different": different,
            "invalidInJson": invalid,
            "fileError": file_error,
        }
        entry["ok"] = not (missing_db or missing_json or different or invalid or file_error)
        report.append(entry)
        totals["workspaces"] += 1
        totals["sessionsInJson"] += len(in_json)
        totals["sessionsInDatabase"] += len(in_db)
        totals["same"] += same
        totals["missingInDatabase"] += len(missing_db)
        totals["missingInJson"] += len(missing_json)
        totals["different"] += len(different)
        totals["invalidInJson"] += len(invalid) + (1 if file_error else 0)
        if progress is not None:
            progress(done, len(hashes), totals["sessionsInJson"] + len(missing_json))
    events = await db.read(dual_events, max_events)
    events["fallbackLogs"] = [
        {"path": str(log), "entries": await asyncio.to_thread(_count_lines, log)}
        for log in (fallback_log, spare_log_path(sessions_dir)) if log is not None]
    return {
        "ok": all(e["ok"] for e in report),
        "checkedAt": now_rfc3339(),
        "sessionsDir": str(sessions_dir),
        "totals": totals,
        "workspaces": report,
        "dualWriteEvents": events,
    }


def _count_lines(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        with path.open("rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def format_report(report: Json, *, limit: int = 20) -> str:
    """The report as text for the command line."""
    lines: list[str] = []
    t = report["totals"]
    for ws in report["workspaces"]:
        if ws["ok"]:
            continue
        where = ws["path"] or "(path unknown)"
        lines.append(f"workspace {ws['workspaceHash']} {where}")
        if ws["fileError"]:
            lines.append(f"  file error: {ws['fileError']}")
        for item in ws["invalidInJson"][:limit]:
            lines.append(f"  invalid in JSON: #{item['index']} {item['sessionId'] or ''}: "
                         f"{item['reason']}")
        for item in ws["missingInDatabase"][:limit]:
            other = item["inDatabaseUnderWorkspace"]
            extra = f" (in the database under workspace {other})" if other else ""
            lines.append(f"  missing in database: {item['sessionId']}{extra}")
        for sid in ws["missingInJson"][:limit]:
            lines.append(f"  missing in JSON: {sid}")
        for diff in ws["different"][:limit]:
            lines.append(f"  different: {diff['sessionId']} ({diff['fieldCount']} field(s))")
            for f in diff["fields"][:limit]:
                lines.append(f"    {f['field']}: json={f['json']!r} database={f['database']!r}")
    events = report["dualWriteEvents"]
    for log in events["fallbackLogs"]:
        if log["entries"]:
            lines.append(f"dual-write events the database could not record: "
                         f"{log['entries']} line(s) in {log['path']}")
    if events["total"]:
        lines.append(f"dual-write events recorded: {events['total']} (latest first)")
        for e in events["events"][:limit]:
            lines.append(f"  #{e['id']} {e['at']} {e['command']} {e['sessionId'] or ''} "
                         f"{e['kind']}: database={e['databaseOutcome']} json={e['jsonOutcome']}")
    verdict = "ok: the JSON files and the database agree" if report["ok"] else \
        "DIFFERENT: the JSON files and the database do not agree"
    lines.append(
        f"{verdict} ({t['workspaces']} workspace(s), {t['sessionsInJson']} session(s) in JSON, "
        f"{t['sessionsInDatabase']} in the database, {t['same']} same, "
        f"{t['missingInDatabase']} missing in the database, {t['missingInJson']} missing in "
        f"JSON, {t['different']} different, {t['invalidInJson']} invalid in JSON)"
    )
    return "\n".join(lines)
