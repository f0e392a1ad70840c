"""A realistic session history, generated: for the window tests and the screenshots.

Not the tidy sample the other tests use: what a person's ``~/.ait42`` holds after
months of use. Thousands of sessions over several workspaces (one busy, most
quiet); agent output as a terminal wrote it (SGR colours, bold, 256 colours,
carriage-return progress lines, cursor codes), from a few lines to thousands;
1 to 6 instances; debates of 16 messages by round, some still running with the
shell's ``started`` / ``round_<n>`` statuses; instances that ended with the
shell's ``timeout`` or ``error``; long task titles and worktree
paths; Japanese; archived and trashed sessions; and one workspace known only by
its hash (imported from a legacy file whose folder could not be guessed).

Everything is written through the public ``Service`` (and its legacy import),
never by SQL, so what the window shows is what a person's database holds. The
sessions themselves are the package's sample sessions
(``ait42_session/faces/sample_data.py``, which the window's sample history shows).

    from tests.realistic import build
    history = build("/tmp/h.db", sessions=300)          # about 3 s
    python -m tests.realistic /tmp/h.db --sessions 2000  # the screenshots' size
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ait42_session.faces.sample_data import LONG_TASK, make_session
from ait42_session.faces.service import Service
from ait42_session.shape.workspace import legacy_hash

Json = dict[str, Any]

WORKSPACES = (
    "/home/dev/src/github.com/acme-corp/customer-portal-monorepo",
    "/home/dev/src/acme/payments-service",
    "/home/dev/work/クライアント/検索エンジン-v2",
    "/home/dev/src/acme/infrastructure-terraform-modules-and-shared-pipelines",
    "/home/dev/playground/rust-tui",
    "/home/dev/src/acme/mobile-app",
)
UNKNOWN_PATH = "/home/dev/old-laptop/projects/legacy-reporting-dashboard"


@dataclass
class History:
    db: str
    workspaces: list[str]
    main: str  # the busiest workspace, also the most recently active
    counts: dict[str, int] = field(default_factory=dict)  # live sessions per workspace
    long_session: str = ""  # 5 instances, thousands of ANSI lines each
    huge_session: str = ""  # one instance of ``huge_lines`` lines (0: none)
    debate_session: str = ""  # a debate in progress: status round_2
    archived: list[str] = field(default_factory=list)
    trashed: list[str] = field(default_factory=list)
    unknown_hash: str = ""  # a workspace known by its hash alone
    unknown_path: str = UNKNOWN_PATH  # the folder that hashes to it
    unknown_session: str = ""


def build(db_path: str | Path, *, sessions: int = 300, seed: int = 17, long_lines: int = 3000,
          huge_lines: int = 0, unknown_workspace: bool = True) -> History:
    """Write a realistic history of ``sessions`` sessions into ``db_path``."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    db = str(db_path)
    history = History(db=db, workspaces=list(WORKSPACES), main=WORKSPACES[0])
    unknown: list[Json] = []
    weights = (50, 18, 12, 10, 6, 4)
    by_ws: dict[str, list[Json]] = {}

    def put(ws: str, s: Json) -> Json:
        by_ws.setdefault(ws, []).append(s)
        history.counts[ws] = history.counts.get(ws, 0) + 1
        return s

    n = 0
    # The sessions a person opens first: most recent in the busiest workspace.
    long = put(history.main, make_session(rng, n, history.main, now, age_hours=0.05, instances=5,
                                      lines=long_lines, type_="competition",
                                      status="completed", task=LONG_TASK))
    history.long_session = long["id"]
    n += 1
    debate = put(history.main, make_session(rng, n, history.main, now, age_hours=0.1, instances=3,
                                        type_="debate", status="round_2"))
    history.debate_session = debate["id"]
    n += 1
    if huge_lines:
        huge = put(history.main, make_session(rng, n, history.main, now, age_hours=0.2, instances=1,
                                          lines=huge_lines, type_="ensemble", status="completed",
                                          task="Run the whole test suite with verbose logs"))
        history.huge_session = huge["id"]
        n += 1
    while n < sessions:
        ws = rng.choices(WORKSPACES, weights)[0]
        age = rng.expovariate(1 / 400) + 0.5  # hours: many recent, a long tail of months
        if ws != history.main:
            age += 2
        put(ws, make_session(rng, n, ws, now, age_hours=age))
        n += 1
    if unknown_workspace:
        # A legacy file whose folder cannot be guessed: its worktrees moved since, and
        # nothing in the file leads back to it. Imported under its hash alone.
        history.unknown_hash = legacy_hash(UNKNOWN_PATH)
        unknown = [make_session(rng, n + k, "/mnt/backup/worktrees", now, age_hours=200 + k * 30,
                          instances=2, lines=60,
                          task=f"Quarterly revenue dashboard export, part {k + 1} (old laptop)")
                   for k in range(3)]
        history.unknown_session = unknown[0]["id"]
    with Service.open(db) as service, tempfile.TemporaryDirectory() as tmp:
        # The shell's own statuses (round_2, timeout, ...) only come in through its files.
        for ws, items in by_ws.items():
            (Path(tmp) / f"{legacy_hash(ws)}.json").write_text(
                json.dumps(items, ensure_ascii=False), encoding="utf-8")
        if unknown_workspace:
            (Path(tmp) / f"{history.unknown_hash}.json").write_text(
                json.dumps(unknown, ensure_ascii=False), encoding="utf-8")
        status = import_folder(service, tmp, list(by_ws))
        # The shell's own statuses (round_<n>, timeout, error, ...) must come in whole.
        refused = [i for i in status["summary"].get("issues", []) if i.get("kind") == "invalid"]
        if refused:
            raise RuntimeError(f"the import refused realistic sessions: {refused[:3]}")
        # Archive about 5% and trash about 3% of the busy workspace's sessions.
        rows = service.list_session_summaries(history.main, {"limit": 200})["items"]
        special = {history.long_session, history.debate_session, history.huge_session}
        candidates = [s["id"] for s in rows[10:] if s["id"] not in special]
        rng.shuffle(candidates)
        k_arch = max(2, sessions // 20)
        k_trash = max(2, sessions // 33)
        for sid in candidates[:k_arch]:
            service.archive_session(history.main, sid, True)
            history.archived.append(sid)
        for sid in candidates[k_arch:k_arch + k_trash]:
            service.delete_session_sqlite(history.main, sid)
            history.trashed.append(sid)
            history.counts[history.main] -= 1
    return history


def import_folder(service: Service, folder: str, workspaces: list[str]) -> Json:
    """Import a folder of legacy files through ``start_import``; its status (summary inside)."""
    job = service.start_import(folder, {"noBackup": True, "workspaces": workspaces})["jobId"]
    deadline = time.monotonic() + 300
    while True:
        status: Json = service.get_import_status(job)
        if status["state"] != "running":
            break
        if time.monotonic() > deadline:
            raise TimeoutError("the legacy import did not finish")
        time.sleep(0.05)
    if status["state"] != "done":
        raise RuntimeError(f"the legacy import failed: {status}")
    return status


def write_legacy_folder(folder: Path, *, sessions: int = 200, seed: int = 5) -> int:
    """Legacy ``{hash}.json`` files of a realistic history (the welcome's import); bytes."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    by_ws: dict[str, list[Json]] = {}
    for n in range(sessions):
        ws = rng.choices(WORKSPACES, (50, 18, 12, 10, 6, 4))[0]
        s = make_session(rng, n, ws, now, age_hours=rng.expovariate(1 / 300) + 0.5,
                     lines=rng.randrange(10, 80))
        by_ws.setdefault(ws, []).append(s)
    size = 0
    for ws, items in by_ws.items():
        path = folder / f"{legacy_hash(ws)}.json"
        path.write_text(json.dumps(items, ensure_ascii=False, indent=2), encoding="utf-8")
        size += path.stat().st_size
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--huge-lines", type=int, default=0)
    args = parser.parse_args()
    started = time.monotonic()
    history = build(args.db, sessions=args.sessions, huge_lines=args.huge_lines)
    print(f"{args.sessions} sessions in {time.monotonic() - started:.1f} s: {history}")


if __name__ == "__main__":
    main()
