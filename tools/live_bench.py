"""Live: how soon another process's commit shows in the window, and what following costs.

    python -m tools.live_bench [--sessions 10000] [--changes 100] [--idle 60] [--json]
    (headless: QT_QPA_PLATFORM=offscreen, QTWEBENGINE_DISABLE_SANDBOX=1 as root,
    QT_API=pyqt6 -- set here when unset)

1. **Commit to DOM.** A database of ``--sessions`` typical sessions in one
   workspace (``tools.window_bench.typical_session``) is opened in the real
   window in a child process, as ``ait42-session`` would. This process, with a
   ``Service`` of its own on the same file, then makes ``--changes`` changes one
   by one (a new session each, which the board must insert as a card), and
   notes the wall-clock time each commit returned. The page notes when it had
   shown each change in the DOM (a ``MutationObserver`` on the board notes when
   each new card appears). Latency is
   the difference, same machine, same clock: p50 and p95.
2. **Idle CPU.** Before the changes, with the board shown and the page waiting
   on ``changes_since``, the CPU time of the window's whole process tree (its
   Python process and Qt WebEngine's helper processes, from ``/proc``) over
   ``--idle`` seconds, as a share of one core.
3. **Append vs update.** On a separate database: appending 1 KB to a 100 KB
   output with ``append_instance_output`` against ``update_session_sqlite`` of
   the same session with the same 1 KB added, interleaved, medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ait42_session.faces.app import WindowUnavailable, exit_if_stuck
from ait42_session.faces.bridge import Bridge
from ait42_session.faces.service import Service
from tools.window_bench import stats, typical_session

ROOT = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT = 1800.0
TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU of ``root_pid`` and every process below it, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / TICKS
    tree = {root_pid}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(times.get(pid, 0.0) for pid in tree)


def wait_file(path: Path, child: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if child.poll() is not None:
            raise RuntimeError(f"the window process ended early ({child.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up after {timeout:.0f} s waiting for {path.name}")
        time.sleep(0.05)


def measure_window(sessions: int, changes: int, idle: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ait42-live-bench-") as tmp:
        folder = Path(tmp)
        db, workspace = folder / "live.db", folder / "repo"
        workspace.mkdir()
        now = time.time()
        with Service.open(db) as svc:
            for n in range(sessions):
                svc.create_session_sqlite(str(workspace), typical_session(n, now - 86400))
        spec = {"db": str(db), "workspace": str(workspace), "ready": str(folder / "ready"),
                "done": str(folder / "done"), "out": str(folder / "out.json")}
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
        env.setdefault("QT_API", "pyqt6")
        log = (folder / "window.log").open("wb")
        child = subprocess.Popen([sys.executable, "-m", "tools.live_bench", "--child",
                                  json.dumps(spec)], cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT)
        try:
            wait_file(Path(spec["ready"]), child, 300)
            time.sleep(2)  # start-up work settles
            cpu0, wall0 = tree_cpu_seconds(child.pid), time.monotonic()
            time.sleep(idle)
            idle_share = (tree_cpu_seconds(child.pid) - cpu0) / (time.monotonic() - wall0)
            committed: dict[str, float] = {}
            with Service.open(db) as svc:  # another process than the window's
                for n in range(changes):
                    s = typical_session(sessions + n, time.time())
                    s["id"] = f"live_{n:04d}"
                    # newest of all, so the board must draw it as a card at the top
                    s["updatedAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                    svc.create_session_sqlite(str(workspace), s)
                    committed[s["id"]] = time.time() * 1000
                    time.sleep(0.3)
            Path(spec["done"]).write_text("done")
            child.wait(timeout=CHILD_TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
            log.close()
        out = Path(spec["out"])
        if not out.is_file():
            tail = (folder / "window.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the window process failed:\n{tail}")
        result = json.loads(out.read_text())
        applied: dict[str, float] = result["applied"]
        missing = sorted(set(committed) - set(applied))
        latencies = [applied[sid] - committed[sid] for sid in committed if sid in applied]
        cards = result["cards"]
        if cards != changes:
            raise RuntimeError(f"{changes - cards} of the new sessions never became cards")
        return {"sessions": sessions, "changes": changes, "seen": len(latencies),
                "missing": missing, "cards_shown": cards, "latency": stats(latencies),
                "idle_seconds": idle, "idle_cpu_share": idle_share}


#: The bench's own watch on the board: when each new card (``live_*``) first appears.
CARD_WATCH = """(function () {
  const seen = window.__liveBenchSeen = {};
  new MutationObserver(() => {
    const now = Date.now();
    for (const card of document.querySelectorAll('#board .card[data-session-id^="live_"]')) {
      if (!(card.dataset.sessionId in seen)) seen[card.dataset.sessionId] = now;
    }
  }).observe(document.getElementById('board'), { childList: true, subtree: true });
  return true;
})()"""


def child(spec: dict[str, Any]) -> None:
    """The window on ``spec['db']``: signal when the board follows, report what it applied."""
    from tests.window import ui
    from tests.window.driver import Page, drive

    def driver(page: Page) -> dict[str, Any]:
        page.run(ui.choose_workspace(spec["workspace"]), timeout=300)
        page.wait_for("document.documentElement.dataset.ready === 'true' && "
                      "(document.documentElement.dataset.busy || '0') === '0' && "
                      "document.documentElement.dataset.liveToken !== undefined", timeout=300)
        page.js(CARD_WATCH)
        Path(spec["ready"]).write_text("ready")
        done = Path(spec["done"])
        while not done.exists():
            time.sleep(0.2)
        time.sleep(2)  # the last change's way to the page
        return {"applied": page.js("window.__liveBenchSeen"),
                "cards": page.js("Array.from(document.querySelectorAll('#board .card'))"
                                 ".filter(c => c.dataset.sessionId.startsWith('live_')).length")}

    with Service.open(spec["db"]) as svc:
        result = drive(Bridge(svc), driver)
    Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")


def measure_append(rounds: int) -> dict[str, Any]:
    """Append 1 KB to a streaming 100 KB output vs rewriting a session of the same
    shape with 1 KB more, interleaved (two sessions: an update replaces its
    session's instances, and with them any appends). Medians, and means, which
    include the fold every ``repository.FOLD_AFTER`` appends."""
    kilobyte = ("x" * 63 + "\n") * 16
    with tempfile.TemporaryDirectory(prefix="ait42-append-bench-") as tmp, \
            Service.open(Path(tmp) / "a.db") as svc:
        ws = str(Path(tmp))
        streamed = typical_session(1, time.time())
        streamed["instances"][0]["output"] = "y" * 100_000
        rewritten = typical_session(2, time.time())
        rewritten["instances"][0]["output"] = "y" * 100_000
        svc.create_session_sqlite(ws, streamed)
        svc.create_session_sqlite(ws, rewritten)
        append: list[float] = []
        update: list[float] = []
        for n in range(rounds):
            order = (0, 1) if n % 2 else (1, 0)
            for which in order:
                if which == 0:
                    t = time.perf_counter()
                    svc.append_instance_output(ws, streamed["id"], 0, kilobyte)
                    append.append((time.perf_counter() - t) * 1000)
                else:
                    rewritten["instances"][0]["output"] += kilobyte
                    t = time.perf_counter()
                    svc.update_session_sqlite(ws, rewritten)
                    update.append((time.perf_counter() - t) * 1000)
        return {"append_ms": statistics.median(append), "update_ms": statistics.median(update),
                "append_mean_ms": statistics.fmean(append),
                "update_mean_ms": statistics.fmean(update),
                "ratio": statistics.median(update) / statistics.median(append),
                "mean_ratio": statistics.fmean(update) / statistics.fmean(append),
                "rounds": rounds}


def report(window: dict[str, Any] | None, append: dict[str, Any]) -> str:
    lines = []
    if window is not None:
        lat = window["latency"]
        lines += [
            f"commit in another process -> page DOM, {window['sessions']:,} sessions, "
            f"{window['seen']}/{window['changes']} changes seen "
            f"({window['cards_shown']} cards shown):",
            f"  p50 {lat['median_ms']:.0f} ms   p95 {lat['p95_ms']:.0f} ms   "
            f"min {lat['min_ms']:.0f} ms   mean {lat['mean_ms']:.0f} ms",
            f"idle window over {window['idle_seconds']:.0f} s: "
            f"{window['idle_cpu_share'] * 100:.2f}% of one core (whole process tree)",
        ]
        if window["missing"]:
            lines.append(f"  NOT SEEN: {', '.join(window['missing'][:10])}")
    lines.append(
        f"append 1 KB to a streaming 100 KB output: {append['append_ms']:.2f} ms; "
        f"update_session_sqlite of a session like it: {append['update_ms']:.2f} ms; "
        f"{append['ratio']:.1f}x cheaper (medians of {append['rounds']}; means "
        f"{append['append_mean_ms']:.2f} / {append['update_mean_ms']:.2f} ms, "
        f"{append['mean_ratio']:.1f}x, folds included)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.live_bench",
                                     description="Live updates: latency, idle CPU, appends.")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle to measure")
    parser.add_argument("--rounds", type=int, default=200, help="append/update rounds")
    parser.add_argument("--no-window", action="store_true", help="only the append figures")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        try:
            child(json.loads(args.child))
        except WindowUnavailable as exc:
            print(f"live_bench: {exc}", file=sys.stderr)
            return 2
        exit_if_stuck(0)
        return 0
    window = None
    if not args.no_window:
        print(f"{args.sessions:,} sessions: seeding, then the window ...", file=sys.stderr,
              flush=True)
        try:
            window = measure_window(args.sessions, args.changes, args.idle)
        except RuntimeError as exc:
            print(f"live_bench: {exc}", file=sys.stderr)
            return 2
    append = measure_append(args.rounds)
    print(json.dumps({"window": window, "append": append}, indent=2) if args.json
          else report(window, append))
    return 0


if __name__ == "__main__":
    sys.exit(main())
