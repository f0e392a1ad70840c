"""Command-line verbs of issue 11: prune, backup, restore, backups, export, import-bundle.

Each opens the database as a ``Service`` (with ``args.open_service``, which ``cli`` sets)
and calls what the page's commands call; export shows its progress on stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from ait42_session.faces import keep
from ait42_session.faces.terminal import path_arg
from ait42_session.keeping import bundle, trash
from ait42_session.shape.errors import ValidationError
from ait42_session.shape.models import SESSION_STATUSES
from ait42_session.shape.workspace import resolve

MAX_AGE_DAYS = 36_600  # older than any session: a bigger age is a typo (and overflows)
_AGE = re.compile(r"^(\d+)([dhw])$")


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h`` or ``2w`` as a duration."""
    match = _AGE.match(text.strip())
    if match is None or int(match[1]) <= 0:
        raise ValidationError(f"--older-than {text!r}: give a positive number of days, hours "
                              "or weeks such as 90d, 12h or 2w")
    n = int(match[1]) if len(match[1]) < 10 else MAX_AGE_DAYS * 24 + 1
    age = {"d": timedelta(days=n), "h": timedelta(hours=n), "w": timedelta(weeks=n)}
    if n > MAX_AGE_DAYS * 24 or age[match[2]] > timedelta(days=MAX_AGE_DAYS):
        raise ValidationError(f"--older-than {text!r}: at most {MAX_AGE_DAYS} days "
                              "(about 100 years)")
    return age[match[2]]


def cmd_prune(args: argparse.Namespace) -> int:
    """Move sessions not updated for a while to the trash (never destroys).

    Each session is checked again when it is moved: one updated since it was
    listed (or whose status changed) stays where it is. They move in batches
    (``trash.PRUNE_BATCH`` per transaction), so other programs can write meanwhile.
    """
    cutoff = (datetime.now(UTC) - parse_age(args.older_than)).isoformat().replace("+00:00", "Z")
    ws = resolve(args.workspace) if args.workspace else None
    with args.open_service(args.db) as svc:
        found = svc.prune_candidates(cutoff, args.status, ws)
        if args.dry_run:
            for candidate in found:
                print(_prune_line("would move", candidate))
            print(f"{len(found)} session(s) would move to the trash (dry run: nothing moved)")
            return 0
        print(f"moving {len(found)} session(s) to the trash, {trash.PRUNE_BATCH} at a time",
              file=sys.stderr, flush=True)

        def progress(done: int, total: int) -> None:
            print(f"\rmoved {done}/{total}", end="", file=sys.stderr, flush=True)

        moved, changed = svc.prune(found, cutoff, args.status, progress)
        if found:
            print(file=sys.stderr)
    for candidate in moved:
        print(_prune_line("moved", candidate))
    for candidate in changed:
        print(_prune_line("left", candidate))
    print(f"{len(moved)} session(s) moved to the trash; `ait42-session` Trash view or "
          "restore_session brings them back")
    if changed:
        print(f"{len(changed)} session(s) changed since they were listed and were left in "
              "place")
    return 0


def _prune_line(verb: str, candidate: trash.Candidate) -> str:
    path, _hash, sid, updated, task = candidate
    return f"{verb}  {sid}  {updated}  {path}  {' '.join(task.split())[:60]}"


def cmd_backup(args: argparse.Namespace) -> int:
    with args.open_service(args.db) as svc:
        made = svc.create_backup(args.path)
    print(f"backed up to {made['path']} ({made['sizeBytes']} bytes, {made['createdAt']})")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    with args.open_service(args.db) as svc:
        stats = svc.restore_backup(args.path)
    print(f"restored {args.path}: {stats['sessionCount']} session(s), "
          f"{stats['trashedSessionCount']} in the trash; the database before the restore "
          "was backed up first (see `ait42-session backups`)")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    with args.open_service(args.db) as svc:
        found = svc.list_backups()
    for b in found:
        print(f"{b['createdAt']}  {b['sizeBytes']:>12}  {b['reason'] or '?':<9}  {b['path']}")
    if not found:
        print("no backups yet; `ait42-session backup` makes one")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    sel = keep.selection({"workspacePath": args.workspace, "sessionIds": args.session,
                          "includeArchived": args.include_archived})

    def progress(done: int, total: int) -> None:
        print(f"\rexported {done}/{total} session(s)", end="", file=sys.stderr, flush=True)

    with args.open_service(args.db) as svc:
        out = svc.export(sel, args.format, args.output, progress)
    if out["sessions"]:
        print(file=sys.stderr)
    print(f"wrote {out['sessions']} session(s) as {out['format']} to {out['path']} "
          f"({out['bytes']} bytes)")
    return 0


def cmd_import_bundle(args: argparse.Namespace) -> int:
    with args.open_service(args.db) as svc:
        report: dict[str, Any] = svc.import_bundle(
            args.file, {"overwrite": args.overwrite, "dryRun": args.dry_run})
    for p in report["problems"]:
        sid = f" ({p['sessionId']})" if p.get("sessionId") else ""
        print(f"  {p['at']}{sid}: {p['reason']}")
    print(f"{'dry run: ' if args.dry_run else ''}read {report['read']}, written "
          f"{report['written']}, unchanged {report['unchanged']}, skipped {report['skipped']}")
    return 1 if report["skipped"] else 0


def add_commands(sub: Any) -> None:
    """Add the verbs to the ``ait42-session`` parser."""
    p = sub.add_parser("prune", help="move sessions not updated for a while to the trash",
                       description="Nothing is deleted: sessions go to the trash, where "
                                   "restore_session brings them back. example: "
                                   "ait42-session prune --older-than 90d --status completed")
    p.add_argument("--older-than", required=True, metavar="AGE",
                   help="last updated longer ago than this: 90d, 12h, 2w")
    p.add_argument("--status", choices=SESSION_STATUSES, help="only sessions of this status")
    p.add_argument("--workspace", metavar="PATH", type=path_arg, help="only this workspace")
    p.add_argument("--dry-run", action="store_true", help="list what would move; move nothing")
    p.set_defaults(func=cmd_prune)

    b = sub.add_parser("backup", help="write a consistent copy of the database",
                       description="example: ait42-session backup ~/sessions-copy.db")
    b.add_argument("path", nargs="?", default=None, type=path_arg,
                   help="file to write (default: a new file in the backups folder)")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="replace the database with a backup (backs up first)",
                       description="example: ait42-session restore "
                                   "~/.ait42/backups/sessions-...-manual.db")
    r.add_argument("path", type=path_arg, help="the backup file")
    r.set_defaults(func=cmd_restore)
    sub.add_parser("backups", help="list the backups, newest first").set_defaults(
        func=cmd_backups)

    e = sub.add_parser("export", help="write sessions to a JSON bundle, Markdown or HTML",
                       description="example: ait42-session export --workspace ~/src/app "
                                   "--format markdown -o app.md")
    e.add_argument("--workspace", metavar="PATH", type=path_arg, help="only this workspace")
    e.add_argument("--session", action="extend", metavar="ID", nargs="+",
                   help="only these sessions (repeatable)")
    e.add_argument("--include-archived", action="store_true",
                   help="archived sessions too (named sessions are always included)")
    e.add_argument("--format", required=True, choices=bundle.FORMATS)
    e.add_argument("-o", "--output", required=True, metavar="FILE", type=path_arg)
    e.set_defaults(func=cmd_export)

    i = sub.add_parser("import-bundle", help="merge a JSON bundle by session id",
                       description="Re-running changes nothing; a session that differs is "
                                   "replaced only with --overwrite. Exit 1 when anything was "
                                   "skipped. example: ait42-session import-bundle b.json")
    i.add_argument("file", type=path_arg)
    i.add_argument("--overwrite", action="store_true", help="replace sessions that differ")
    i.add_argument("--dry-run", action="store_true", help="report; write nothing")
    i.set_defaults(func=cmd_import_bundle)
