"""The ``ait42-session`` command line: thin verbs over the ``Service`` and the runner.

Each subcommand opens the database, calls the same function the page's command
calls, prints the result, and turns a ``SessionError`` into a one-line reason
and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from . import consistency, importer, keep_cli, migrations, search
from .db import default_path, refuse_foreign_file
from .errors import SessionError
from .keep_cli import path_arg
from .service import Service

# What a terminal would act on rather than print: C0 and C1 controls (escape
# sequences start with ESC or CSI: titles, screen clears, OSC 8 links), DEL, and
# the bidirectional overrides that reorder a line. \n and \t stay; \r only on
# stderr, where progress lines use it.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: str, *, keep_cr: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``)."""
    def shown(m: re.Match[str]) -> str:
        char = m.group()
        if keep_cr and char == "\r":
            return char
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    return _UNSAFE.sub(shown, text)


class SafeStream:
    """A text stream that prints every control character as an escape: whatever
    stored text a subcommand prints (ids, paths, tasks), the terminal only shows it."""

    def __init__(self, raw: IO[str], *, keep_cr: bool) -> None:
        self.raw = raw
        self.keep_cr = keep_cr

    def write(self, text: str) -> int:
        self.raw.write(safe(text, keep_cr=self.keep_cr))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, ...
        return getattr(self.raw, name)


class Parser(argparse.ArgumentParser):
    """argparse, refusing in one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        line = " ".join(message.split())
        self.exit(2, f"{self.prog}: {line} (see {self.prog} --help)\n")


EXAMPLES = """examples:
  ait42-session                      open the window on ~/.ait42/sessions.db
  ait42-session --db /tmp/s.db stats print counts and sizes as JSON
  ait42-session migrate info         list applied and pending migrations
  ait42-session verify               exit 0 when the database is sound
  ait42-session import-json --dry-run   what importing ~/.ait42/sessions would do
  ait42-session check-consistency    do the JSON files and the database agree?
  ait42-session search 'jwt "refresh token" -draft' --workspace ~/src/app
"""


def _report(args: argparse.Namespace, report: dict[str, Any],
            as_text: Callable[[dict[str, Any]], str]) -> int:
    """Print a report (``--json``: as JSON); exit 1 unless it says ok."""
    if args.json:
        _print_json(report)
    else:
        print(as_text(report))
    return 0 if report["ok"] else 1


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


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
        _build_search_index(svc)
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


def _build_search_index(svc: Service) -> int:
    """Bring search and insights up to date with every stored session (an older
    database's history, an import just stored), with progress on stderr: a line
    rewritten on a terminal, a line a second in a log. How many were indexed."""
    started = last = time.monotonic()
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done < total and now - last < (0.1 if tty else 1.0):
            return
        last = now
        line = (f"indexing the history for search: {done}/{total} sessions "
                f"({done / max(now - started, 1e-6):,.0f}/s)")
        print("\r" + line if tty else line, end="\n" if done == total or not tty else "",
              file=sys.stderr, flush=True)

    return svc.run(svc.context.derived.run_until_current(progress=progress))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _marked(text: str, marks: list[list[int]], bold: bool) -> str:
    """The excerpt with its words in bold (a terminal) or as they are; control
    characters shown as '?' so stored text cannot drive the terminal."""
    text = _CONTROL.sub("?", text)
    if not bold:
        return text
    out, at = [], 0
    for start, end in marks:
        out += [text[at:start], "\x1b[1m", text[start:end], "\x1b[22m"]
        at = end
    return "".join(out) + text[at:]


def format_hits(result: dict[str, Any], bold: bool) -> str:
    """Hits as a person reads them: task, facts, then one excerpt per matching field."""
    lines = []
    for hit in result["items"]:
        where = hit["workspacePath"] or hit["workspaceHash"]
        lines.append(_marked(hit["task"], [], False))
        lines.append(f"  {hit['sessionId']}  {hit['type']}, {hit['status']}, "
                     f"updated {hit['updatedAt']}  {where}")
        for m in hit["matches"]:
            label = m["field"]
            if "instanceId" in m:
                label += f" #{m['instanceId']}"
            if "messageId" in m:
                label += f" {m['messageId']}"
            if m.get("count", 1) > 1:
                label += f" (x{m['count']})"
            lines.append(f"    {label}: {_marked(m['text'], m['highlights'], bold)}")
        lines.append("")
    if not result["items"]:
        lines.append("no session matches")
    elif result["nextCursor"]:
        lines.append("more hits: raise --limit (up to 200)")
    return "\n".join(lines).rstrip("\n")


def cmd_search(args: argparse.Namespace) -> int:
    """Search every workspace (or one); exit 1 when nothing matches."""
    options = {"workspacePath": args.workspace, "type": args.type, "status": args.status,
               "limit": args.limit}
    search.parse(args.query)  # a refused query says so alone, before any indexing line
    with Service.open(args.db) as svc:
        _build_search_index(svc)
        result = svc.search_sessions(args.query, options)
    if args.json:
        _print_json(result)
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
        func=_with_service(lambda b: b.get_database_stats(), _show_stats))
    sub.add_parser("verify", help="check integrity and foreign keys (exit 1 when unsound)",
                   description="example: ait42-session verify").set_defaults(
        func=_with_service(lambda b: b.verify_database_integrity(), _show_verify))
    sub.add_parser("optimize", help="refresh statistics, reclaim space, truncate the WAL",
                   description="example: ait42-session optimize").set_defaults(
        func=_with_service(lambda b: b.optimize_database(), _show_optimized))
    add_phase2_commands(sub)
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
    keep_cli.add_commands(sub)  # prune, backup, restore, backups, export, import-bundle
    return parser


# --------------------------------------------------------------------------
# Phase 2: legacy JSON import, workspace binding, consistency, storage mode
# --------------------------------------------------------------------------

def cmd_import_json(args: argparse.Namespace) -> int:
    """Import legacy JSON files: the start_import command, polled for the progress bar."""
    db = args.db
    if args.dry_run and db != ":memory:" and not Path(db).expanduser().exists():
        db = ":memory:"  # a dry run creates nothing, not even the database file
    options = {"workspaces": args.workspace or [], "mapping": args.mapping,
               "dryRun": args.dry_run, "overwrite": args.overwrite,
               "noBackup": args.no_backup}
    tty = sys.stderr.isatty()
    with Service.open(db, derived=False) as svc:
        job = svc.start_import(args.dir, options)["jobId"]
        last_line = 0.0
        try:
            while True:
                status = svc.get_import_status(job)
                running = status["state"] == "running"
                now = time.monotonic()
                if tty:
                    print("\r" + importer.render_progress(status), end="" if running else "\n",
                          file=sys.stderr, flush=True)
                elif not running or now - last_line >= 1.0:
                    print(importer.render_progress(status), file=sys.stderr, flush=True)
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
        print(f"ait42-session: {error['name']} [{error['code']}]: {error['message']}",
              file=sys.stderr)
        return 1
    return _report(args, status["summary"], importer.format_summary)


def _index_after_import(svc: Service) -> dict[str, Any]:
    """The import's second phase: the stored sessions (already on the board)
    made searchable and counted in insights. Ctrl+C here loses nothing: the
    catch-up resumes in the next process that opens the database."""
    started = time.monotonic()
    try:
        indexed = _build_search_index(svc)
    except KeyboardInterrupt:
        print("\nindexing interrupted: every session is stored; search catches up the "
              "next time the database is opened", file=sys.stderr)
        raise
    return {"sessions": indexed, "seconds": round(time.monotonic() - started, 3)}


def cmd_workspace_bind(args: argparse.Namespace) -> int:
    """Give a workspace imported under its hash its real path."""
    with Service.open(args.db) as svc:
        result = svc.bind_workspace(args.hash, args.path)
    print(f"bound {result['workspaceHash']} to {result['path']} "
          f"({result['sessionCount']} session(s))")
    return 0


def cmd_workspace_list(args: argparse.Namespace) -> int:
    """List the workspaces of the database (unknown paths show as '-')."""
    with Service.open(args.db) as svc:
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

    with Service.open(args.db, sessions_dir=args.sessions_dir) as svc:
        report = svc.consistency_report(progress)
    return _report(args, report, consistency.format_report)


def cmd_storage_mode(args: argparse.Namespace) -> int:
    """Show or set the storage mode behind the JSON-era commands."""
    with Service.open(args.db) as svc:
        if args.mode is None:
            print(svc.get_storage_mode()["mode"])
        else:
            result = svc.set_storage_mode(args.mode)
            print(f"storage mode: {result['mode']} (was {result['previous']})")
    return 0


def cmd_insights(args: argparse.Namespace) -> int:
    """Which agent wins: the insights of a workspace (or all) as tables or JSON."""
    from .insights import format_table

    with Service.open(args.db) as svc:
        result = svc.get_insights({"workspacePath": args.workspace} if args.workspace else None)
    if args.json:
        _print_json(result)
    else:
        print(format_table(result))
    return 0


def add_phase2_commands(sub: Any) -> None:
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
    except Exception as exc:  # a defect, still reported in one line, never a traceback
        return _fail(f"unexpected {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
