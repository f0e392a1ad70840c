"""Made-up sessions that look like months of real use: the sample history's content.

A first launch may open a sample history to see what the window does before a
person has any history of their own (``faces/sample.py`` keeps it in a database
of its own). It only helps if it looks like the real thing, so the sessions here
are what the shell writes: agent output as a terminal printed it (SGR colours,
bold, 256 and true colour, carriage-return progress bars, cursor codes, a
window title), 1 to 6 instances, debates of 16 messages by round (some still
running as ``started`` / ``round_<n>``), instances that ended ``timeout`` or
``error``, long task titles, Japanese. The realistic history of the window tests
(``tests/realistic.py``) is made of the same sessions, so what the tests check is
what the sample shows.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

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
#: How a finished session's instances ended, in about the proportions the shell's
#: runs end: most complete; some fail their tests; a few hit the session's
#: ``timeoutSeconds`` or die (``timeout``, ``error``: the shell's own statuses).
FINISHED_INSTANCE = (("completed", "failed", "timeout", "error"), (80, 10, 6, 4))
_ENDINGS = {
    "timeout": f"{ESC}[1;33m⏱ Timed out after 1800 s{ESC}[0m: the worktree is kept",
    "error": f"{ESC}[1;31mError:{ESC}[0m the agent exited with code 137 (killed)",
    "failed": f"{ESC}[1m{ESC}[31m✘ Failed{ESC}[0m",
}


def timestamp(t: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as the shell writes them."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ansi_output(rng: random.Random, lines: int, *, agent: str = "agent",
                ending: str = "completed") -> str:
    """Terminal output of about ``lines`` lines, coloured as agents' CLIs colour it,
    ending as an instance of status ``ending`` ends."""
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
    if ending in _ENDINGS:
        out.append(_ENDINGS[ending])
    elif ending == "completed":
        out.append(f"{ESC}[1m{ESC}[32m✔ Done{ESC}[0m")
    return "\n".join(out)


def _instance_status(rng: random.Random, session_status: str) -> str:
    """An instance's status that fits its session's: a debate that has only
    ``started`` has instances ``starting``; a running one, running ones."""
    if session_status == "started":
        return "starting"
    if session_status == "running" or session_status.startswith("round_"):
        return "running"
    if session_status == "paused":
        return "paused" if rng.random() < 0.7 else "completed"
    statuses, weights = FINISHED_INSTANCE
    return rng.choices(statuses, weights)[0]


def make_session(rng: random.Random, n: int, ws: str, now: datetime, *, age_hours: float,
                 instances: int | None = None, lines: int | None = None,
                 type_: str | None = None, status: str | None = None,
                 task: str | None = None) -> Json:
    """Session number ``n`` of workspace ``ws``, last updated ``age_hours`` before
    ``now``, in the shape the shell writes (and ``create_session`` takes)."""
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
        inst_status = _instance_status(rng, status)
        added = rng.randrange(0, 900)
        ongoing = inst_status in ("running", "starting", "paused")
        insts.append({
            "instanceId": i,
            "worktreePath": f"{ws}/.worktrees/{sid}-{agent}-{i}",
            "branch": f"ait42/{type_}/{sid}/{agent}-{i}",
            "agentName": agent, "status": inst_status,
            "tmuxSessionId": f"ait42-{type_}-{sid}-{i}",
            "output": ansi_output(rng, lines if lines is not None else rng.randrange(20, 400),
                                  agent=agent, ending=inst_status),
            "startTime": timestamp(start),
            **({} if ongoing else {"endTime": timestamp(end)}),
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
                     "timestamp": timestamp(created + timedelta(minutes=2 + k))}
        if speaker is not None:
            msg["instanceId"] = speaker
        if type_ == "debate":
            msg["round"] = k // 4 + 1
        messages.append(msg)
    done = status in ("completed", "failed")
    session: Json = {
        "id": sid, "type": type_, "task": task, "status": status,
        "createdAt": timestamp(created), "updatedAt": timestamp(updated),
        "model": rng.choice(MODELS), "timeoutSeconds": 1800, "preserveWorktrees": False,
        "runtimeMix": runtime_mix, "totalDuration": rng.randrange(60, 14000),
        "totalFilesChanged": sum(i["filesChanged"] for i in insts),
        "totalLinesAdded": sum(i["linesAdded"] for i in insts),
        "totalLinesDeleted": sum(i["linesDeleted"] for i in insts),
        "instances": insts, "chatHistory": messages,
    }
    if done:
        session["completedAt"] = timestamp(updated)
    if type_ == "competition" and done and count > 1 and rng.random() < 0.7:
        session["winnerId"] = rng.randrange(count)
    return session
