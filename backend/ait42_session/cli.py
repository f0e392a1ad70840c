"""The ``ait42-session`` command line: thin verbs over the bridge and the runner.

Each subcommand opens the database, calls the same function the page's command
calls, prints the result, and turns a ``SessionError`` into a one-line reason
and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import migrations
from .bridge import Bridge
from .db import default_path
from .errors import SessionError

EXAMPLES = """examples:
  ait42-session                      open the window on ~/.ait42/sessions.db
  ait42-session --db /tmp/s.db stats print counts and sizes as JSON
  ait42-session migrate info         list applied and pending migrations
  ait42-session verify               exit 0 when the database is sound
"""


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def cmd_migrate_info(args: argparse.Namespace) -> int:
    """List applied and pending migrations without changing the database."""
    for state in migrations.info(args.db):
        if state.applied_at is None:
            print(f"{state.version:>6}  pending   {state.description}")
        else:
            flag = "" if state.checksum_ok is not False else "  CHANGED SINCE APPLIED"
            print(f"{state.version:>6}  applied   {state.description}"
                  f"  ({state.applied_at}, {state.duration_ms:.1f} ms){flag}")
    return 0


def cmd_migrate_run(args: argparse.Namespace) -> int:
    """Apply pending migrations (opening the database does it)."""
    before = {s.version for s in migrations.info(args.db) if s.applied_at}
    Bridge.open(args.db).close()
    after = [s for s in migrations.info(args.db) if s.applied_at]
    applied = [s for s in after if s.version not in before]
    for state in applied:
        print(f"applied {state.version} {state.description} ({state.duration_ms:.1f} ms)")
    print(f"{len(applied)} migration(s) applied; schema version "
          f"{max((s.version for s in after), default=0)}")
    return 0


def _with_bridge(call: Callable[[Bridge], Any], show: Callable[[Any], int]) -> Callable[
        [argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        with Bridge.open(args.db) as bridge:
            return show(call(bridge))
    return run


def _show_stats(stats: Any) -> int:
    _print_json(stats)
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
        from .app import run_window
    except ImportError as exc:
        print(f"ait42-session: the window cannot start here ({exc}); "
              "install the window extra: pip install -e '.[window]'", file=sys.stderr)
        return 2
    return run_window(args.db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ait42-session", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Agent session history: the desktop window and its database tools.",
    )
    parser.add_argument("--db", default=None,
                        help="database file (default: $AIT42_DB or ~/.ait42/sessions.db)")
    parser.set_defaults(func=cmd_window)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    mig = sub.add_parser("migrate", help="show or apply schema migrations",
                         description="example: ait42-session migrate info")
    mig_sub = mig.add_subparsers(title="actions", metavar="ACTION", required=True)
    mig_sub.add_parser("info", help="list applied and pending migrations").set_defaults(
        func=cmd_migrate_info)
    mig_sub.add_parser("run", help="apply pending migrations").set_defaults(func=cmd_migrate_run)

    sub.add_parser("stats", help="print counts and sizes as JSON",
                   description="example: ait42-session stats").set_defaults(
        func=_with_bridge(lambda b: b.get_database_stats(), _show_stats))
    sub.add_parser("verify", help="check integrity and foreign keys (exit 1 when unsound)",
                   description="example: ait42-session verify").set_defaults(
        func=_with_bridge(lambda b: b.verify_database_integrity(), _show_verify))
    sub.add_parser("optimize", help="refresh statistics, reclaim space, truncate the WAL",
                   description="example: ait42-session optimize").set_defaults(
        func=_with_bridge(lambda b: b.optimize_database(), _show_optimized))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.db = args.db or default_path()
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except SessionError as exc:
        print(f"ait42-session: {type(exc).__name__} [{exc.code}]: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
