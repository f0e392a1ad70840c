"""A realistic session history, generated: for the window tests and the screenshots.

Not the tidy sample the other tests use: what a person's ``~/.ait42`` holds after
months of use. Thousands of sessions over several workspaces (one busy, most
quiet); agent output as a terminal wrote it (SGR colours, bold, 256 colours,
carriage-return progress lines, cursor codes), from a few lines to thousands;
1 to 6 instances; debates of 16 messages by round, some still running with the
shell's ``started`` / ``round_<n>`` statuses; long task titles and worktree
paths; Japanese; archived and trashed sessions; and one workspace known only by
its hash (imported from a legacy file whose folder could not be guessed).

Everything is written through the public ``Service`` (and its legacy import),
never by SQL, so what the window shows is what a person's database holds.

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ait42_session.faces.service import Service
from ait42_session.shape.workspace import legacy_hash

Json = dict[str, Any]

ESC = "\x1b"
AGENTS = ("backend-developer", "frontend-developer", "test-engineer", "security-reviewer",
          "database-architect", "refactoring-specialist", "devops-engineer", "tech-writer")
RUNTIMES = (("claude", "Claude"), ("codex", "Codex"), ("gemini", "Gemini"))
MODELS = ("sonnet", "opus", "haiku", "gpt-5-codex", "gemini-2.5-pro")
TASKS = (
    "Implement JWT authentication with refresh tokens for the REST API",
    "Fix the flaky integration test in the payment reconciliation job",
    "Refactor the session store to use a connection pool and retry on SQLITE_BUSY",
    "ユーザー認証フローを JWT 認証に移行し、既存のセッションを無効化する",
    "Add pagination to the admin dashboard's audit log (cursor based, stable under writes)",
    "データベースのマイグレーションを追加して、古いテーブルを削除する",
    "Debate: should we split the monolith into services before the Q3 launch?",
    "Investigate memory growth in the websocket gateway under 10k concurrent clients",
    "Write end-to-end tests for checkout, including 3-D Secure and declined cards",
    "Upgrade React 18 to 19 and replace the deprecated lifecycle methods across the app",
    "検索機能のパフォーマンスを改善する\uff08全文検索インデックスの導入\uff09",
    "Port the legacy billing cron jobs to the new task queue with idempotent handlers",
)
LONG_TASK = ("Migrate the entire authentication and authorization layer of the customer "
             "portal, the partner API and the internal admin tools from the homegrown session "
             "cookies to OAuth 2.1 with PKCE, keeping every existing session valid during the "
             "rollout, adding audit logging for each token exchange, and documenting the "
             "operational runbook for key rotation (see RFC-0042, RFC-0057 and the security "
             "review notes from the March incident)")
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


def _ts(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ansi_output(rng: random.Random, lines: int, *, agent: str = "agent") -> str:
    """Terminal output of about ``lines`` lines, coloured as agents' CLIs colour it."""
    out: list[str] = [f"{ESC}]0;{agent}{chr(7)}{ESC}[1m{ESC}[36m▶ {agent}{ESC}[0m starting "
                      f"in {ESC}[2m/tmp/worktree{ESC}[0m"]
    step = 0
    while len(out) < lines:
        kind = rng.random()
        if kind < 0.08:
            step += 1
            out.append(f"{ESC}[1m{ESC}[36m▶ Step {step}: {rng.choice(TASKS)[:60]}{ESC}[0m")
        elif kind < 0.30:
            name = f"tests/test_{rng.choice(('auth', 'store', 'api', 'ui', '検索'))}.py"
            ok = rng.random() > 0.12
            mark = f"{ESC}[32m✓ PASSED{ESC}[0m" if ok else f"{ESC}[1;31m✗ FAILED{ESC}[0m"
            out.append(f"  {mark} {name}::test_case_{rng.randrange(999)} "
                       f"{ESC}[2m({rng.randrange(1, 900)} ms){ESC}[0m")
        elif kind < 0.40:
            bar = "".join(f"\r{ESC}[33m[{'#' * k}{'.' * (20 - k)}]{ESC}[0m {k * 5}%"
                          for k in range(0, 21, 5))
            out.append(f"Installing dependencies {bar}")
        elif kind < 0.55:
            sign = rng.choice("+-")
            colour = "32" if sign == "+" else "31"
            out.append(f"{ESC}[{colour}m{sign}    const token = await issueToken(user, "
                       f"{{ ttl: {rng.randrange(60, 3600)} }});{ESC}[0m")
        elif kind < 0.62:
            out.append(f"{ESC}[38;5;{rng.randrange(16, 231)}mwarning{ESC}[0m: unused variable "
                       f"`{rng.choice(('ctx', 'tx', 'retry', 'self'))}` at src/lib.rs:"
                       f"{rng.randrange(1, 900)}:{rng.randrange(1, 80)}")
        elif kind < 0.68:
            out.append(f"{ESC}[38;2;120;160;255m認証トークンを更新しました{ESC}[0m "
                       f"\uff08{rng.randrange(1, 50)} 件\uff09")
        elif kind < 0.72:
            out.append(f"{ESC}[2K{ESC}[1G{ESC}[1;33m⚠ {ESC}[0mretrying request "
                       f"{rng.randrange(1, 5)}/5 after {ESC}[1m{rng.randrange(100, 999)}ms{ESC}[0m")
        elif kind < 0.74:
            out.append("")
        else:
            out.append(f"{rng.choice(('Reading', 'Editing', 'Running', 'Checking'))} "
                       f"src/{rng.choice(('auth', 'db', 'api', 'ui'))}/"
                       f"{rng.choice(('mod', 'handlers', 'session_store', 'index'))}."
                       f"{rng.choice(('py', 'ts', 'rs'))} … {rng.randrange(1, 400)} lines")
    ok = rng.random() > 0.2
    out.append(f"{ESC}[1m{ESC}[32m✔ Done{ESC}[0m" if ok else f"{ESC}[1m{ESC}[31m✘ Failed{ESC}[0m")
    return "\n".join(out)


def _session(rng: random.Random, n: int, ws: str, now: datetime, *, age_hours: float,
             instances: int | None = None, lines: int | None = None,
             type_: str | None = None, status: str | None = None,
             task: str | None = None) -> Json:
    sid = f"sess_{n:05d}_{rng.randrange(16**6):06x}"
    type_ = type_ or rng.choice(("competition", "competition", "ensemble", "debate"))
    if status is None:
        status = rng.choices(("completed", "failed", "running", "paused"), (70, 14, 8, 8))[0]
        if type_ == "debate" and status == "running":
            status = rng.choice(("started", "round_1", "round_2", "round_3"))
    updated = now - timedelta(hours=age_hours)
    created = updated - timedelta(minutes=rng.randrange(3, 240))
    count = instances if instances is not None \
        else rng.choices(range(1, 7), (10, 20, 30, 20, 12, 8))[0]
    if task is None:
        task = rng.choice(TASKS)
        if rng.random() < 0.08:
            task = LONG_TASK
        elif rng.random() < 0.3:
            task = f"{task} (#{rng.randrange(100, 9999)})"
    runtime_mix = sorted({rng.choice(RUNTIMES)[0] for _ in range(count)})
    insts = []
    for i in range(count):
        runtime, label = rng.choice(RUNTIMES)
        agent = rng.choice(AGENTS)
        start = created + timedelta(minutes=1)
        end = start + timedelta(seconds=rng.randrange(60, 9000))
        inst_status = "running" if status in ("running", "started") or status.startswith("round_") \
            else rng.choices(("completed", "failed"), (85, 15))[0]
        added = rng.randrange(0, 900)
        insts.append({
            "instanceId": i,
            "worktreePath": f"{ws}/.worktrees/{sid}-{agent}-{i}",
            "branch": f"ait42/{type_}/{sid}/{agent}-{i}",
            "agentName": agent, "status": inst_status,
            "tmuxSessionId": f"ait42-{type_}-{sid}-{i}",
            "output": ansi_output(rng, lines if lines is not None else rng.randrange(20, 400),
                                  agent=agent),
            "startTime": _ts(start),
            **({} if inst_status == "running" else {"endTime": _ts(end)}),
            "filesChanged": rng.randrange(0, 40), "linesAdded": added,
            "linesDeleted": rng.randrange(0, added + 1),
            "runtime": runtime, "runtimeLabel": label, "model": rng.choice(MODELS),
        })
    messages = []
    total = 16 if type_ == "debate" else rng.randrange(0, 7)
    for k in range(total):
        speaker = None if k % 4 == 0 else (k % max(1, count))
        role = "user" if speaker is None else "assistant"
        content = (f"Round {k // 4 + 1}: " if type_ == "debate" else "") + rng.choice((
            "I disagree: the migration has to keep existing sessions valid, so we need a "
            "dual-read period.",
            "既存のトークンは 30 日間有効のままにして、段階的に移行するべきです。",
            "Use JWT with short-lived access tokens and rotating refresh tokens.",
            "The benchmark shows p99 went from 340 ms to 41 ms with the pooled connections.",
            "Please also cover the case where the refresh token is reused after rotation.",
        ))
        msg: Json = {"id": f"{sid}-m{k}", "role": role, "content": content,
                     "timestamp": _ts(created + timedelta(minutes=2 + k))}
        if speaker is not None:
            msg["instanceId"] = speaker
        if type_ == "debate":
            msg["round"] = k // 4 + 1
        messages.append(msg)
    done = status in ("completed", "failed")
    session: Json = {
        "id": sid, "type": type_, "task": task, "status": status,
        "createdAt": _ts(created), "updatedAt": _ts(updated),
        "model": rng.choice(MODELS), "timeoutSeconds": 1800, "preserveWorktrees": False,
        "runtimeMix": runtime_mix, "totalDuration": rng.randrange(60, 14000),
        "totalFilesChanged": sum(i["filesChanged"] for i in insts),
        "totalLinesAdded": sum(i["linesAdded"] for i in insts),
        "totalLinesDeleted": sum(i["linesDeleted"] for i in insts),
        "instances": insts, "chatHistory": messages,
    }
    if done:
        session["completedAt"] = _ts(updated)
    if type_ == "competition" and done and count > 1 and rng.random() < 0.7:
        session["winnerId"] = rng.randrange(count)
    return session


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
    long = put(history.main, _session(rng, n, history.main, now, age_hours=0.05, instances=5,
                                      lines=long_lines, type_="competition",
                                      status="completed", task=LONG_TASK))
    history.long_session = long["id"]
    n += 1
    debate = put(history.main, _session(rng, n, history.main, now, age_hours=0.1, instances=3,
                                        type_="debate", status="round_2"))
    history.debate_session = debate["id"]
    n += 1
    if huge_lines:
        huge = put(history.main, _session(rng, n, history.main, now, age_hours=0.2, instances=1,
                                          lines=huge_lines, type_="ensemble", status="completed",
                                          task="Run the whole test suite with verbose logs"))
        history.huge_session = huge["id"]
        n += 1
    while n < sessions:
        ws = rng.choices(WORKSPACES, weights)[0]
        age = rng.expovariate(1 / 400) + 0.5  # hours: many recent, a long tail of months
        if ws != history.main:
            age += 2
        put(ws, _session(rng, n, ws, now, age_hours=age))
        n += 1
    if unknown_workspace:
        # A legacy file whose folder cannot be guessed: its worktrees moved since, and
        # nothing in the file leads back to it. Imported under its hash alone.
        history.unknown_hash = legacy_hash(UNKNOWN_PATH)
        unknown = [_session(rng, n + k, "/mnt/backup/worktrees", now, age_hours=200 + k * 30,
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
        # A backend that does not keep the shell's own statuses yet refuses those
        # sessions: they are written again as "running", so the history stays whole.
        refused = {i["sessionId"] for i in status["summary"].get("issues", [])
                   if i.get("kind") == "invalid" and "status" in i.get("reason", "")}
        for ws, items in by_ws.items():
            for s in items:
                if s["id"] in refused:
                    service.create_session_sqlite(ws, {**s, "status": "running"})
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
    """Import a folder of legacy files through ``start_import``; its status (summary inside).

    (Instance statuses such as ``timeout`` are refused by the importer for now, so the
    generator writes only the standard ones there; session ``round_<n>`` pass.)
    """
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
        s = _session(rng, n, ws, now, age_hours=rng.expovariate(1 / 300) + 0.5,
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
