"""Screenshots of the compare view and the Insights view, light and dark.

    python -m tools.insights_screenshots [OUT_DIR]        (default: docs/screenshots)

Opens the real window (Qt offscreen when there is no display) on a sample
database made in a temporary folder: a competition whose three attempts have
coloured build logs that differ, a debate, and eight weeks of sessions by six
agents on three runtimes, so the charts have something to say. Writes
``compare-light.png``, ``compare-dark.png``, ``insights-light.png`` and
``insights-dark.png``. ``sample_sessions`` also feeds the compare benchmark.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tools.shots import done, set_theme, settle

AGENTS = [("backend-developer", "claude", "Claude", "sonnet"),
          ("frontend-developer", "codex", "Codex", "gpt-5-codex"),
          ("test-engineer", "claude", "Claude", "opus"),
          ("security-reviewer", "gemini", "Gemini", "gemini-2.5-pro"),
          ("api-designer", "codex", "Codex", "gpt-5-codex"),
          ("devops-engineer", "gemini", "Gemini", "gemini-2.5-flash")]
SKILL = {"backend-developer": 0.55, "frontend-developer": 0.35, "test-engineer": 0.45,
         "security-reviewer": 0.25, "api-designer": 0.4, "devops-engineer": 0.3}
RED, GREEN, YELLOW, BOLD, DIM, RESET = ("\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m",
                                        "\x1b[2m", "\x1b[0m")


def build_log(variant: int, lines: int = 60) -> str:
    """A coloured build and test log; variants differ in a few places."""
    out = [f"{BOLD}$ npm test -- --runInBand{RESET}", f"{DIM}> app@2.0.0 test{RESET}"]
    for k in range(lines):
        name = f"src/auth/{['jwt', 'refresh', 'session', 'login', 'rotate'][k % 5]}.test.ts"
        ok = not (variant == 1 and k in (7, 31)) and not (variant == 2 and k == 44)
        mark = f"{GREEN}PASS{RESET}" if ok else f"{RED}FAIL{RESET}"
        out.append(f"  {mark}  {name} ({3 + (k * 7) % 11} tests, {(k * 37) % 900 + 40} ms)")
        if not ok:
            out.append(f"    {RED}● expected 200, received 401{RESET} at line {k + 12}")
    if variant == 2:
        out.append(f"{YELLOW}warning{RESET}: 2 snapshots obsolete")
    passed = lines - (2 if variant == 1 else 1 if variant == 2 else 0)
    colour = GREEN if passed == lines else RED
    out.append(f"{BOLD}Tests:{RESET} {colour}{passed} passed{RESET}, {lines} total")
    out.append("Time:  4.81 s")
    return "\n".join(out)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def compare_session(outputs: list[str] | None = None) -> dict[str, Any]:
    """The competition the compare shots show (``outputs`` replaces the logs)."""
    start = datetime(2026, 1, 13, 10, 0, tzinfo=UTC)
    logs = outputs or [build_log(v) for v in range(3)]
    insts = []
    for i, log in enumerate(logs):
        agent, runtime, label, model = AGENTS[i]
        insts.append({
            "instanceId": i, "worktreePath": f"/home/dev/app/.worktrees/login-{i}",
            "branch": f"ait42/login-{agent}", "agentName": agent, "status": "completed",
            "tmuxSessionId": f"ait42-login-{i}", "output": log,
            "startTime": _iso(start), "endTime": _iso(start + timedelta(minutes=14 + 6 * i)),
            "filesChanged": 6 + i * 3, "linesAdded": 180 + 45 * i, "linesDeleted": 30 + 12 * i,
            "runtime": runtime, "runtimeLabel": label, "model": model,
            "testsPassed": i == 0,
        })
    return {
        "id": "login-competition", "type": "competition", "status": "completed",
        "task": "Implement JWT login with refresh tokens and rotate signing keys",
        "createdAt": _iso(start), "updatedAt": _iso(start + timedelta(hours=1)),
        "model": "sonnet", "integrationPhase": "review",
        "evaluation": {"scores": {"0": 9.1, "1": 6.4, "2": 7.8},
                       "notes": {"0": "All tests pass; keys rotate daily.",
                                 "1": "Two auth tests fail on expired tokens.",
                                 "2": "Obsolete snapshots left behind."}},
        "instances": insts,
    }


def sample_sessions(weeks: int = 8, per_week: int = 9) -> list[dict[str, Any]]:
    """Sessions over ``weeks`` weeks for the Insights view, deterministic."""
    rng = random.Random(7)
    end = datetime(2026, 1, 26, 9, 0, tzinfo=UTC)
    sessions = []
    for w in range(weeks):
        for n in range(per_week - (w % 3) * 2):
            created = end - timedelta(weeks=weeks - 1 - w, hours=rng.randrange(0, 160))
            type_ = ["competition", "competition", "ensemble", "debate"][rng.randrange(4)]
            picked = rng.sample(AGENTS, 2 + rng.randrange(2))
            insts = []
            for i, (agent, runtime, label, model) in enumerate(picked):
                minutes = rng.randrange(6, 50)
                status = "failed" if rng.random() > SKILL[agent] + 0.45 else "completed"
                insts.append({
                    "instanceId": i, "worktreePath": f"/home/dev/app/.worktrees/s{w}-{n}-{i}",
                    "branch": f"ait42/s{w}-{n}-{agent}", "agentName": agent, "status": status,
                    "tmuxSessionId": f"ait42-s{w}-{n}-{i}", "output": f"run of {agent}",
                    "startTime": _iso(created),
                    "endTime": _iso(created + timedelta(minutes=minutes)),
                    "filesChanged": rng.randrange(1, 20), "linesAdded": rng.randrange(10, 400),
                    "linesDeleted": rng.randrange(0, 120), "runtime": runtime,
                    "runtimeLabel": label, "model": model,
                })
            best = max(range(len(picked)), key=lambda i: SKILL[picked[i][0]] + rng.random() * 0.5)
            session: dict[str, Any] = {
                "id": f"s-{w}-{n}", "type": type_, "status": "completed",
                "task": f"Task {w * per_week + n}: {['fix', 'add', 'refactor'][n % 3]} module",
                "createdAt": _iso(created), "updatedAt": _iso(created + timedelta(hours=1)),
                "instances": insts,
            }
            if rng.random() < 0.8:
                session["winnerId"] = best
            sessions.append(session)
    return sessions


def debate_session() -> dict[str, Any]:
    start = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
    said = [(None, "Should the session list be cached in memory?"),
            (0, "Yes: the board reads it on every refresh."), (1, "No: stale data after writes."),
            (0, "Invalidate on each write; reads stay fast."), (1, "Then it is safe."),
            (None, "Decide, please."), (0, "Cache with write invalidation.")]
    return {
        "id": "cache-debate", "type": "debate", "status": "completed",
        "task": "Cache the session list?", "createdAt": _iso(start),
        "updatedAt": _iso(start + timedelta(hours=1)), "winnerId": 0,
        "instances": [{"instanceId": i, "worktreePath": f"/w/{i}", "branch": f"b{i}",
                       "agentName": AGENTS[i][0], "status": "completed", "tmuxSessionId": f"t{i}",
                       "runtime": AGENTS[i][1], "model": AGENTS[i][3]} for i in range(2)],
        "chatHistory": [{"id": f"d{k}", "role": "user" if who is None else "assistant",
                         "content": text, "timestamp": _iso(start + timedelta(minutes=k)),
                         **({} if who is None else {"instanceId": who})}
                        for k, (who, text) in enumerate(said)],
    }


def render(out_dir: Path) -> list[Path]:
    from ait42_session.faces.bridge import Bridge
    from tests.window import ui
    from tests.window.driver import Page, drive

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="ait42-insights-shots-") as tmp:
        workspace = str(Path(tmp) / "acme-web")
        Path(workspace).mkdir()
        db = str(Path(tmp) / "sample.db")
        with Bridge.open(db) as bridge:
            for s in [compare_session(), debate_session(), *sample_sessions()]:
                bridge.create_session_sqlite(workspace, s)

        def shoot(page: Page, name: str) -> None:
            page.wait_idle()
            settle(page)
            path = out_dir / f"{name}.png"
            page.grab(path)
            written.append(path)

        def driver(page: Page) -> None:
            page.run(ui.choose_workspace(workspace))
            page.wait_idle()
            for theme in ("light", "dark"):
                set_theme(page, theme)
                page.run(ui.open_compare("login-competition", [0, 1, 2]))
                page.js("document.getElementById('diff-next').click()")
                page.js("document.querySelector('#compare-facts').scrollIntoView()")
                page.run("window.scrollTo(0, 0);")
                shoot(page, f"compare-{theme}")
                page.run(ui.show_view("insights"))
                page.wait_for("document.getElementById('view-insights').dataset.loaded"
                              " === 'true'")
                shoot(page, f"insights-{theme}")

        drive(Bridge.open(db), driver, width=1400, height=1000, close_bridge=True)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    return done(render(out))


if __name__ == "__main__":
    sys.exit(main())
