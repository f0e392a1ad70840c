"""The command line's subcommands of the legacy world and insights: import-json,
workspace, check-consistency, storage-mode, insights (``cli`` adds them)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ait42_session.faces.terminal import build_search_index, path_arg, print_json, print_report
from ait42_session.legacy import consistency
from ait42_session.legacy.importer.report import format_summary, render_progress

if TYPE_CHECKING:
    from ait42_session.faces.service import Service


def cmd_import_json(args: argparse.Namespace) -> int:
    """Import legacy JSON files: the start_import command, polled for the progress bar."""
    db = args.db
    if args.dry_run and db != ":memory:" and not Path(db).expanduser().exists():
        db = ":memory:"  # a dry run creates nothing, not even the database file
    options = {"workspaces": args.workspace or [], "mapping": args.mapping,
               "dryRun": args.dry_run, "overwrite": args.overwrite,
               "noBackup": args.no_backup}
    tty = sys.stderr.isatty()
    with args.open_service(db, derived=False) as svc:
        job = svc.start_import(args.dir, options)["jobId"]
        last_line = 0.0
        try:
            while True:
                status = svc.get_import_status(job)
                running = status["state"] == "running"
                now = time.monotonic()
                if tty:
                    print("\r" + render_progress(status), end="" if running else "\n",
                          file=sys.stderr, flush=True)
                elif not running or now - last_line >= 1.0:
                    print(render_progress(status), file=sys.stderr, flush=True)
                    last_line = now
                if not running:
                    break
                time.sleep(0.1)
        except KeyboardInterrupt:
            svc.cancel_import(job)
            while svc.get_import_status(job)["state"] == "running":
                time.sleep(0.1)
            print("\ncancelled: the files imported before stay imported", file=sys.stderr)
            return 130
        if status["state"] == "done" and not args.dry_run:
            status["summary"]["indexing"] = _index_after_import(svc)
    if status["state"] == "failed":
        error = status["error"]
        message = " ".join(str(error["message"]).split())  # one line, whatever it holds
        print(f"ait42-session: {error['name']} [{error['code']}]: {message}", file=sys.stderr)
        return 1
    return print_report(args, status["summary"], format_summary)


def _index_after_import(svc: Service) -> dict[str, Any]:
    """The import's second phase: the stored sessions (already on the board)
    made searchable and counted in insights. Ctrl+C here loses nothing: the
    catch-up resumes in the next process that opens the database."""
    started = time.monotonic()
    try:
        indexed = build_search_index(svc)
    except KeyboardInterrupt:
        print("\nindexing interrupted: every session is stored; search catches up the "
              "next time the database is opened", file=sys.stderr)
        raise
    return {"sessions": indexed, "seconds": round(time.monotonic() - started, 3)}


def cmd_workspace_bind(args: argparse.Namespace) -> int:
    """Give a workspace imported under its hash its real path."""
    with args.open_service(args.db) as svc:
        result = svc.bind_workspace(args.hash, args.path)
    print(f"bound {result['workspaceHash']} to {result['path']} "
          f"({result['sessionCount']} session(s))")
    return 0


def cmd_workspace_list(args: argparse.Namespace) -> int:
    """List the workspaces of the database (unknown paths show as '-')."""
    with args.open_service(args.db) as svc:
        rows = svc.list_workspaces()
    for row in rows:
        print(f"{row['workspaceHash']}  {row['sessionCount']:>6}  {row['path'] or '-'}")
    return 0


def cmd_check_consistency(args: argparse.Namespace) -> int:
    """Compare the JSON files with the database; exit 1 when they differ."""
    started = last = time.monotonic()
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, sessions: int) -> None:
        nonlocal last
        now = time.monotonic()
        if not tty and done < total and now - last < 1.0:
            return  # a log gets a line a second, a terminal one line rewritten
        last = now
        line = (f"checked {done}/{total} workspaces, {sessions} sessions "
                f"({sessions / max(now - started, 1e-6):,.0f}/s)")
        print("\r" + line if tty else line, end="\n" if done == total or not tty else "",
              file=sys.stderr, flush=True)

    with args.open_service(args.db, sessions_dir=args.sessions_dir) as svc:
        found = svc.consistency_report(progress)
    return print_report(args, found, consistency.format_report)


def cmd_storage_mode(args: argparse.Namespace) -> int:
    """Show or set the storage mode behind the JSON-era commands."""
    with args.open_service(args.db) as svc:
        if args.mode is None:
            print(svc.get_storage_mode()["mode"])
        else:
            result = svc.set_storage_mode(args.mode)
            print(f"storage mode: {result['mode']} (was {result['previous']})")
    return 0


def cmd_insights(args: argparse.Namespace) -> int:
    """Which agent wins: the insights of a workspace (or all) as tables or JSON."""
    from ait42_session.derived.insights import format_table

    with args.open_service(args.db) as svc:
        result = svc.get_insights({"workspacePath": args.workspace} if args.workspace else None)
    if args.json:
        print_json(result)
    else:
        print(format_table(result))
    return 0


def add_commands(sub: Any) -> None:
    ins = sub.add_parser("insights", help="per agent, runtime and model: wins, completion, "
                                          "median duration, lines; sessions per week",
                         description="example: ait42-session insights --workspace ~/src/app")
    ins.add_argument("--workspace", metavar="PATH", type=path_arg,
                     help="one workspace (default: all)")
    ins.add_argument("--json", action="store_true", help="print get_insights' JSON")
    ins.set_defaults(func=cmd_insights)

    imp = sub.add_parser(
        "import-json", help="import legacy JSON session files (~/.ait42/sessions)",
        description="Import the shell's {hash}.json files into the database: one transaction "
                    "per file, re-run safe, originals never modified. Exit 1 when anything "
                    "was skipped. example: ait42-session import-json --dry-run")
    imp.add_argument("dir", nargs="?", default=None, type=path_arg,
                     help="folder of {hash}.json files (default: ~/.ait42/sessions)")
    imp.add_argument("--workspace", action="append", metavar="PATH", type=path_arg,
                     help="a workspace folder whose hash may name a file (repeatable)")
    imp.add_argument("--mapping", metavar="FILE", type=path_arg,
                     help='workspace paths: JSON {"hash": "path"}, JSON [paths] or a path a line')
    imp.add_argument("--dry-run", action="store_true", help="write nothing; report what "
                                                            "would happen")
    imp.add_argument("--overwrite", action="store_true",
                     help="replace sessions that differ from the database (default: report)")
    imp.add_argument("--no-backup", action="store_true",
                     help="skip the copy of the folder made before the first real import")
    imp.add_argument("--json", action="store_true", help="print the summary as JSON")
    imp.set_defaults(func=cmd_import_json)

    ws = sub.add_parser("workspace", help="workspaces: list, bind a hash to its folder",
                        description="example: ait42-session workspace bind 1a2b3c4d5e6f7a8b "
                                    "~/src/app")
    ws_sub = ws.add_subparsers(title="actions", metavar="ACTION", required=True)
    bind = ws_sub.add_parser("bind", help="set the folder of a workspace known by hash only")
    bind.add_argument("hash", help="the 16-hex hash (the legacy file's name)")
    bind.add_argument("path", type=path_arg,
                      help="the workspace folder; its legacy hash must be HASH")
    bind.set_defaults(func=cmd_workspace_bind)
    ws_sub.add_parser("list", help="hash, session count and path of every workspace"
                      ).set_defaults(func=cmd_workspace_list)

    chk = sub.add_parser("check-consistency",
                         help="compare the JSON files with the database (exit 1 when they "
                              "differ)", description="example: ait42-session check-consistency")
    chk.add_argument("--sessions-dir", default=None, metavar="DIR", type=path_arg,
                     help="folder of {hash}.json files (default: ~/.ait42/sessions)")
    chk.add_argument("--json", action="store_true", help="print the report as JSON")
    chk.set_defaults(func=cmd_check_consistency)

    mode = sub.add_parser("storage-mode", help="show or set what backs the JSON-era commands",
                          description="json: legacy files only; dual: both, reads from the "
                                      "database; sqlite: the database only. example: "
                                      "ait42-session storage-mode dual")
    mode.add_argument("mode", nargs="?", choices=("json", "dual", "sqlite"))
    mode.set_defaults(func=cmd_storage_mode)
