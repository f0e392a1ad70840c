"""Render the window's main views to PNG files, with no display needed.

    python -m tools.screenshots OUT_DIR [--db PATH] [--workspace PATH]   (./dev screenshots)

Opens the real window under Qt's offscreen platform on ``--db`` (or on a sample
database it makes in a temporary folder), and saves the board, a session's
detail, the database panel (with the command metrics) and the Import & storage
view, each in the light and the dark theme, plus the workspace menu and an
error banner. On the sample database it also runs an import of sample legacy
files from the page (a live progress view, then the summary with its issues)
and a consistency check in dual mode with a planted difference; on a database
given with ``--db`` the Import & storage view is only shown, nothing is
imported or switched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ait42_session.faces.app import WindowUnavailable
from ait42_session.faces.bridge import Bridge
from ait42_session.faces.service import Service
from ait42_session.shape.workspace import legacy_hash
from tests.legacy_sample import write_legacy_folder
from tests.window import ui
from tests.window.driver import Page, drive
from tools.shots import done, set_theme, settle, unavailable

AGENTS = [
    ("backend-developer", "claude", "Claude", "sonnet"),
    ("frontend-developer", "codex", "Codex", "gpt-5-codex"),
    ("test-engineer", "claude", "Claude", "opus"),
    ("security-reviewer", "gemini", "Gemini", "gemini-2.5-pro"),
]

TASKS: list[tuple[str, str, str]] = [
    ("Implement JWT login with refresh tokens and rotate signing keys", "competition", "running"),
    ("Add pagination and cursor support to the sessions API", "ensemble", "running"),
    ("Refactor the worktree manager to clean up stale tmux sessions", "debate", "running"),
    ("Migrate the settings page to React Query and remove the Redux store", "competition",
     "completed"),
    ("Fix flaky integration test for the merge queue", "ensemble", "completed"),
    ("Write the upgrade guide for the 2.0 release", "debate", "completed"),
    ("Speed up cold start: lazy-load the diff viewer", "competition", "completed"),
    ("Support Codex and Gemini runtimes in the same competition", "ensemble", "completed"),
    ("Port the legacy JSON session store to SQLite", "competition", "failed"),
    ("Harden the shell against path traversal in worktree names", "debate", "failed"),
    ("Add dark mode to the diff viewer", "ensemble", "paused"),
    ("Evaluate three approaches to incremental indexing", "debate", "paused"),
]

OUTPUT = """$ claude --model {model} --task "{task}"
▶ Reading the repository layout…
  src/auth/jwt.ts            (new)
  src/auth/refresh.ts        (new)
  src/routes/login.ts        (modified)
▶ Running tests: npm test -- --runInBand
  PASS  src/auth/jwt.test.ts (12 tests)
  PASS  src/auth/refresh.test.ts (8 tests)
  PASS  src/routes/login.test.ts (5 tests)

Tests: 25 passed, 25 total
Time:  4.81 s

Summary
-------
- Access tokens expire after 15 minutes; refresh tokens after 30 days.
- Signing keys rotate daily; the previous key stays valid for one rotation.
- See https://datatracker.ietf.org/doc/html/rfc7519 for the claims used.
Changed {files} files: +{added} -{deleted}
"""

CHAT = [
    ("user", "Use JWT with short-lived access tokens, please. Keep the session cookie as a "
             "fallback for the old clients."),
    ("assistant", "Understood. I'll add a refresh endpoint and keep the cookie path behind a "
                  "feature flag."),
    ("system", "Instance #1 was restarted after a timeout."),
    ("user", "The refresh endpoint must be rate-limited. "
             "Details: https://example.com/wiki/rate-limits"),
    ("assistant", "Added a token bucket (10/min per user) and tests for it."),
]


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sample_sessions(now: datetime | None = None) -> list[dict[str, Any]]:
    """A dozen realistic sessions in the legacy shape, spread over the four statuses."""
    now = now or datetime.now(UTC)
    sessions = []
    for n, (task, type_, status) in enumerate(TASKS):
        updated = now - timedelta(minutes=7 + n * n * 23)
        created = updated - timedelta(minutes=40 + 17 * n)
        count = 2 + n % 3
        instances = []
        for i in range(count):
            agent, runtime, label, model = AGENTS[(n + i) % len(AGENTS)]
            files, added, deleted = 3 + (n * 7 + i * 5) % 19, 40 + (n * 53 + i * 31) % 400, \
                5 + (n * 17 + i * 13) % 120
            inst_status = status if status != "completed" else "completed"
            if status == "running" and i == count - 1:
                inst_status = "idle"
            if status == "failed" and i == 0:
                inst_status = "failed"
            instances.append({
                "instanceId": i, "worktreePath": f"/home/dev/app/.worktrees/s{n}-{i}",
                "branch": f"ait42/{type_}-{n}-{agent}", "agentName": agent,
                "status": inst_status, "tmuxSessionId": f"ait42-s{n}-{i}",
                "output": OUTPUT.format(model=model, task=task, files=files, added=added,
                                        deleted=deleted),
                "startTime": _iso(created + timedelta(minutes=1)),
                "endTime": _iso(updated) if status in ("completed", "failed") else None,
                "filesChanged": files, "linesAdded": added, "linesDeleted": deleted,
                "runtime": runtime, "model": model, "runtimeLabel": label,
            })
        chat = [
            {"id": f"m{n}_{k}", "role": role, "content": text,
             "timestamp": _iso(created + timedelta(minutes=3 * k + 1)),
             **({"instanceId": k % count} if role == "assistant" else {})}
            for k, (role, text) in enumerate(CHAT[: 2 + n % 4])
        ]
        session: dict[str, Any] = {
            "id": f"session_{n:02d}", "type": type_, "task": task, "status": status,
            "createdAt": _iso(created), "updatedAt": _iso(updated),
            "model": instances[0]["model"], "timeoutSeconds": 1800, "preserveWorktrees": False,
            "runtimeMix": sorted({i["runtime"] for i in instances}),
            "totalDuration": int((updated - created).total_seconds()),
            "totalFilesChanged": sum(i["filesChanged"] for i in instances),
            "totalLinesAdded": sum(i["linesAdded"] for i in instances),
            "totalLinesDeleted": sum(i["linesDeleted"] for i in instances),
            "instances": instances, "chatHistory": chat,
        }
        if status == "completed":
            session["completedAt"] = _iso(updated)
            session["winnerId"] = n % count
        sessions.append(session)
    return sessions


def seed_sample(db_path: str, workspace: str, other_workspace: str | None = None) -> None:
    """Write the sample sessions (and two into ``other_workspace``) through the store."""
    with Service.open(db_path) as svc:
        if other_workspace:
            for s in sample_sessions()[:2]:
                svc.create_session_sqlite(other_workspace, dict(s, id="other_" + s["id"]))
        for s in sample_sessions():
            svc.create_session_sqlite(workspace, s)


VIEWS = ("board", "detail", "database", "import")


def write_sample_legacy(folder: Path, root: Path) -> Path:
    """Legacy files as the shell writes them, for the import shots; returns a bulk folder.

    ``folder`` gets three workspaces' files (one with a session of an unknown
    status) and one truncated file; the returned folder holds 3,000 generated
    sessions in 60 files, enough for the progress view to be seen running.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(("acme-api", "acme-mobile", "acme-docs")):
        ws = root / name
        ws.mkdir(exist_ok=True)
        sessions = []
        for n, s in enumerate(sample_sessions()):
            s = dict(s, id=f"{name}-{s['id']}")
            s["instances"] = [dict(i, worktreePath=f"{ws}/.worktrees/{s['id']}-{i['instanceId']}")
                              for i in s["instances"]]
            if k == 1 and n == 4:
                s["status"] = "abandoned"
            sessions.append(s)
        (folder / f"{legacy_hash(str(ws))}.json").write_text(
            json.dumps(sessions, indent=2, ensure_ascii=False), encoding="utf-8")
    broken = folder / f"{legacy_hash(str(root / 'old-prototype'))}.json"
    broken.write_text('[\n  {\n    "id": "proto-1",\n    "type": "compet', encoding="utf-8")
    bulk = root / "bulk-legacy"
    write_legacy_folder(bulk, sessions=3000, files=60, instances=2, messages=4,
                        root=str(root / "bulk"))
    return bulk


def render(db_path: str, out_dir: str, workspace: str | None = None,
           size: tuple[int, int] = (1280, 820), *, legacy_dir: str | None = None,
           bulk_dir: str | None = None, sessions_dir: str | None = None) -> list[Path]:
    """Open the window on ``db_path`` and write the PNGs; returns their paths.

    With ``legacy_dir`` (the sample database only) the page imports it, and
    ``bulk_dir`` is imported and cancelled to show the progress view running;
    the consistency shot switches to dual mode and plants a difference in
    ``sessions_dir``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shoot(page: Page, name: str) -> None:
        page.wait_idle()
        settle(page, 350)
        path = out / f"{name}.png"
        page.grab(path)
        written.append(path)

    def import_folder(page: Page, folder: str) -> None:
        page.js(f"document.getElementById('import-dir').value = {_js(folder)}")
        page.js("document.getElementById('import-no-backup').checked = true")
        page.js("document.getElementById('import-start').click()")

    finished = ("['done','failed'].includes(document.getElementById('import-panel')"
                ".dataset.state) && !document.getElementById('import-summary').hidden")

    def import_shots(page: Page) -> None:
        page.resize(size[0], 1400)
        page.run(ui.show_view("import"))
        if legacy_dir:
            # the progress view, caught while a bigger folder imports (then cancelled)
            if bulk_dir:
                import_folder(page, bulk_dir)
                page.wait_for("document.getElementById('import-panel').dataset.state === "
                              "'running' && Number(document.getElementById('import-panel')"
                              ".dataset.filesDone) >= 3", timeout=60)
                path = out / "import-progress-dark.png"
                page.grab(path)
                written.append(path)
                page.js("document.getElementById('import-cancel').click()")
                page.wait_for(finished, timeout=60)
            import_folder(page, legacy_dir)
            page.wait_for(finished, timeout=60)
            page.js("document.getElementById('import-dir').value = ''")
            page.js("document.getElementById('import-no-backup').checked = false")
        if legacy_dir and sessions_dir and workspace:
            # dual mode, a difference planted in the JSON file, then the check
            svc.set_storage_mode("dual")
            for s in sample_sessions()[:3]:
                svc.create_session(workspace, dict(s, id="dual_" + s["id"]))
            json_file = Path(sessions_dir) / f"{legacy_hash(workspace)}.json"
            stored = json.loads(json_file.read_text(encoding="utf-8"))
            stored[0]["task"] = "Edited by hand in the JSON file"
            stored[0]["instances"][0]["status"] = "archived"
            json_file.write_text(json.dumps(stored, indent=2), encoding="utf-8")
            svc.add_chat_message(workspace, stored[0]["id"], {
                "id": "dual_note", "role": "user", "content": "Checked after the edit.",
                "timestamp": _iso(datetime.now(UTC))})
        page.run(ui.show_view("import"))
        page.js("document.getElementById('consistency-check').click()")
        page.wait_for("document.getElementById('consistency-panel').dataset.checkedAt")
        for theme in ("light", "dark"):
            set_theme(page, theme)
            page.run("window.scrollTo(0, 0);")
            shoot(page, f"import-{theme}")
        page.run("document.getElementById('consistency-panel').scrollIntoView();")
        shoot(page, "consistency-dark")
        # the confirmation before a storage mode switch
        page.run("window.scrollTo(0, 0);")
        page.js("document.querySelector('#storage-modes .mode-option[aria-checked=false]')"
                ".click()")
        page.wait_for("document.getElementById('confirm-dialog').open")
        shoot(page, "storage-confirm-dark")
        page.js("document.getElementById('confirm-cancel').click()")
        page.resize(*size)

    def driver(page: Page) -> None:
        ws = workspace
        if ws is None:
            known = page.run("return await window.pywebview.api.list_workspaces();") or []
            ws = next((w["path"] for w in known if w.get("path")), None)
        if ws:
            page.run(ui.choose_workspace(ws))
        page.wait_idle()
        # the detail of a finished session (it has a winner), else of the first card
        first = page.js("(function(){var c=document.querySelector("
                        "'.column[data-status=\"completed\"] .card')||"
                        "document.querySelector('.card');return c?c.dataset.sessionId:null;})()")
        for theme in ("light", "dark"):
            set_theme(page, theme)
            page.run(ui.show_view("board"))
            shoot(page, f"board-{theme}")
            if first:
                page.run(ui.open_session(first))
                shoot(page, f"detail-{theme}")
            page.run(ui.show_view("database"))
            page.js("document.getElementById('db-verify').click()")
            page.wait_for("!document.getElementById('db-result').hidden")
            page.wait_idle()
            page.js("document.getElementById('metrics-refresh').click()")
            shoot(page, f"database-{theme}")
        import_shots(page)
        page.run(ui.show_view("board"))
        page.js("document.getElementById('workspace-button').click()")
        page.wait_for("!document.getElementById('workspace-menu').hidden")
        shoot(page, "workspace-menu-dark")
        page.js("document.getElementById('workspace-button').click()")
        # a session removed elsewhere, its card clicked before the board follows
        gone = page.js("(function(){var c=document.querySelector('#board .card');"
                       "return c?c.dataset.sessionId:null;})()")
        if gone and ws:
            svc.delete_session_sqlite(ws, gone)
            page.js(f"(function(){{var c=document.querySelector("
                    f"'#board .card[data-session-id=' + CSS.escape({_js(gone)}) + ']');"
                    f"if(c)c.click();}})()")
            page.wait_idle()
        shoot(page, "error-dark")

    with Service.open(db_path, sessions_dir=sessions_dir) as svc:
        # the window's js_api is the sealed Bridge; the shots' own changes go to the
        # same Service directly, so the page sees the storage mode they set
        drive(Bridge(svc), driver, width=size[0], height=size[1])
    return written


def _js(value: str) -> str:
    return json.dumps(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.screenshots",
        description="Render the window's main views (light and dark) to PNG files.")
    parser.add_argument("out_dir", help="folder for the PNG files")
    parser.add_argument("--db", help="database to show (default: a sample database)")
    parser.add_argument("--workspace", help="workspace to show (default: the most recent one)")
    parser.add_argument("--size", default="1280x820", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        parser.error("--size must look like 1280x820")

    with tempfile.TemporaryDirectory(prefix="ait42-shots-") as tmp:
        db = args.db
        workspace = args.workspace
        legacy = bulk = sessions = None
        if db is None:
            db = str(Path(tmp) / "sample.db")
            workspace = workspace or str(Path(tmp) / "acme-web")
            Path(workspace).mkdir(exist_ok=True)
            other = Path(tmp) / "acme-cli"
            other.mkdir(exist_ok=True)
            seed_sample(db, workspace, str(other))
            legacy = str(Path(tmp) / "legacy")
            bulk = str(write_sample_legacy(Path(legacy), Path(tmp)))
            sessions = str(Path(tmp) / "sessions")
        try:
            paths = render(db, args.out_dir, workspace, (width, height), legacy_dir=legacy,
                           bulk_dir=bulk, sessions_dir=sessions)
        except WindowUnavailable as exc:
            return unavailable(exc)
    return done(paths)


if __name__ == "__main__":
    sys.exit(main())
