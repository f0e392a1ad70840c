"""The ``ait42-session`` command line: thin verbs over the ``Service`` and the runner.

Each subcommand opens the database, calls the same function the page's command
calls, prints the result, and turns a ``SessionError`` into a one-line reason
and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ait42_session.derived import search
from ait42_session.faces import keep_cli, legacy_cli, logs
from ait42_session.faces.service import Service
from ait42_session.faces.terminal import (
    Parser,
    SafeStream,
    build_search_index,
    format_hits,
    path_arg,
    print_json,
)
from ait42_session.shape.errors import SessionError
from ait42_session.store import migrations
from ait42_session.store.db import default_path
from ait42_session.store.failures import refuse_foreign_file

EXAMPLES = """examples:
  ait42-session                      open the window on ~/.ait42/sessions.db
  ait42-session --db /tmp/s.db stats print counts and sizes as JSON
  ait42-session migrate info         list applied and pending migrations
  ait42-session verify               exit 0 when the database is sound
  ait42-session import-json --dry-run   what importing ~/.ait42/sessions would do
  ait42-session check-consistency    do the JSON files and the database agree?
  ait42-session search 'jwt "refresh token" -draft' --workspace ~/src/app
"""


def cmd_migrate_info(args: argparse.Namespace) -> int:
    """List applied and pending migrations without changing the database."""
    if args.db != ":memory:":
        refuse_foreign_file(args.db)  # what ``migrate run`` would refuse to migrate
    for state in migrations.info(args.db):
        if state.applied_at is None:
            print(f"{state.version:>6}  pending   {state.description}")
        else:
            flag = "" if state.checksum_ok is not False else "  CHANGED SINCE APPLIED"
            print(f"{state.version:>6}  applied   {state.description}"
                  f"  ({state.applied_at}, {state.duration_ms:.1f} ms){flag}")
    return 0


def cmd_migrate_run(args: argparse.Namespace) -> int:
    """Apply pending migrations (opening the database does it), then index for search
    what is not indexed yet."""
    before = {s.version for s in migrations.info(args.db) if s.applied_at}
    with Service.open(args.db) as svc:
        build_search_index(svc)
    after = [s for s in migrations.info(args.db) if s.applied_at]
    applied = [s for s in after if s.version not in before]
    for state in applied:
        print(f"applied {state.version} {state.description} ({state.duration_ms:.1f} ms)")
    print(f"{len(applied)} migration(s) applied; schema version "
          f"{max((s.version for s in after), default=0)}")
    return 0


def _with_service(call: Callable[[Service], Any], show: Callable[[Any], int]) -> Callable[
        [argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        with Service.open(args.db) as svc:
            return show(call(svc))
    return run


def _show_stats(stats: Any) -> int:
    print_json(stats)
    return 0


def _show_verify(ok: Any) -> int:
    print("ok: integrity and foreign keys are sound" if ok else
          "FAILED: the database has integrity or foreign-key problems")
    return 0 if ok else 1


def _show_optimized(_none: Any) -> int:
    print("optimized: statistics refreshed, free pages released, WAL truncated")
    return 0


def cmd_window(args: argparse.Namespace) -> int:
    """Open the desktop window."""
    try:
        from ait42_session.faces.app import run_window
    except ImportError as exc:
        print(f"ait42-session: the window cannot start here ({exc}); "
              "install the window extra: pip install -e '.[window]'", file=sys.stderr)
        return 2
    return run_window(args.db)


def cmd_search(args: argparse.Namespace) -> int:
    """Search every workspace (or one); exit 1 when nothing matches."""
    options = {"workspacePath": args.workspace, "type": args.type, "status": args.status,
               "limit": args.limit}
    search.parse(args.query)  # a refused query says so alone, before any indexing line
    with Service.open(args.db) as svc:
        build_search_index(svc, quiet_below=500)  # a whole answer, even after an import
        result = svc.search_sessions(args.query, options)
    if args.json:
        print_json(result)
    else:
        print(format_hits(result, sys.stdout.isatty()))
    return 0 if result["items"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="ait42-session", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Agent session history: the desktop window and its database tools.",
    )
    parser.add_argument("--db", default=None,
                        help="database file (default: $AIT42_DB or ~/.ait42/sessions.db;"
                             " an empty $AIT42_DB counts as unset, an empty --db is refused)")
    # The verbs of keep_cli and legacy_cli open the database with args.open_service.
    parser.set_defaults(func=cmd_window, open_service=Service.open)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    mig = sub.add_parser("migrate", help="show or apply schema migrations",
                         description="example: ait42-session migrate info")
    mig_sub = mig.add_subparsers(title="actions", metavar="ACTION", required=True)
    mig_sub.add_parser("info", help="list applied and pending migrations").set_defaults(
        func=cmd_migrate_info)
    mig_sub.add_parser("run", help="apply pending migrations").set_defaults(func=cmd_migrate_run)

    sub.add_parser("stats", help="print counts and sizes as JSON",
                   description="example: ait42-session stats").set_defaults(
        func=_with_service(lambda b: b.get_database_stats(), _show_stats))
    sub.add_parser("verify", help="check integrity and foreign keys (exit 1 when unsound)",
                   description="example: ait42-session verify").set_defaults(
        func=_with_service(lambda b: b.verify_database_integrity(), _show_verify))
    sub.add_parser("optimize", help="refresh statistics, reclaim space, truncate the WAL",
                   description="example: ait42-session optimize").set_defaults(
        func=_with_service(lambda b: b.optimize_database(), _show_optimized))
    legacy_cli.add_commands(sub)
    find = sub.add_parser(
        "search", help="full-text search of tasks, outputs, branches, agents and chat",
        description="Words are all required; \"a phrase\"; -word excludes; prefix*; a OR b. "
                    "Exit 1 when nothing matches. example: ait42-session search "
                    "'migration failed -draft' --type competition")
    find.add_argument("query", help="what to search for")
    find.add_argument("--workspace", metavar="PATH", type=path_arg,
                      help="only this workspace (default: all)")
    find.add_argument("--type", choices=("competition", "ensemble", "debate"))
    find.add_argument("--status", choices=("running", "completed", "failed", "paused"))
    find.add_argument("--limit", type=int, default=20, help="hits to show (1-200, default 20)")
    find.add_argument("--json", action="store_true", help="print the result as JSON")
    find.set_defaults(func=cmd_search)
    # prune, backup, restore, backups, export, import-bundle
    keep_cli.add_commands(sub)
    return parser


# --------------------------------------------------------------------------
# Phase 2: legacy JSON import, workspace binding, consistency, storage mode
# --------------------------------------------------------------------------


def _blank_database_path(args: argparse.Namespace) -> str | None:
    """Why the database path given is unusable, or None.

    ``--db "$UNSET"`` arrives as an empty string; falling back to the default
    would quietly write a script's sessions into the person's own history.
    """
    if args.db is not None and not args.db.strip():
        return "--db is blank: give the database file's path (or leave --db out)"
    env = os.environ.get("AIT42_DB")
    if args.db is None and env and not env.strip():
        return "AIT42_DB is blank: set it to a database file's path, or unset it"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout = SafeStream(out, keep_cr=False)
    sys.stderr = SafeStream(err, keep_cr=True)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _fail(message: str) -> int:
    print("ait42-session: " + " ".join(message.split()), file=sys.stderr)
    return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = _blank_database_path(args)
    if problem is not None:
        print(f"ait42-session: {problem}", file=sys.stderr)
        return 2
    args.db = args.db or default_path()
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except SessionError as exc:
        return _fail(f"{type(exc).__name__} [{exc.code}]: {exc}")
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a path the file system refused before any command ran
        return _fail(f"FileError [IO]: {exc.filename or ''} {exc.strerror or exc}")
    except Exception as exc:  # a defect: one line here, its traceback in the log file
        logged = logs.record_failure(
            args.db, "ait42-session " + " ".join(sys.argv[1:] if argv is None else argv))
        return _fail(f"unexpected {type(exc).__name__}: {exc}{logs.details(logged)}")


if __name__ == "__main__":
    sys.exit(main())
