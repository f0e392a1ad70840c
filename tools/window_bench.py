"""What a person feels in the real window: a command's round trip, and board start-up.

    python -m tools.window_bench [--sizes 1000,10000] [--rounds 500] [--reloads 5] [--json]
    (./dev window-bench; headless: QT_QPA_PLATFORM=offscreen, QTWEBENGINE_DISABLE_SANDBOX=1
    as root, QT_API=pyqt6 -- set here when unset)

For each size it seeds a temporary database with that many typical sessions in
one workspace (3 instances with 4 KB of agent output each, 10 chat messages:
about 15 KB of JSON per session) and opens the real window on it, in a fresh
process, as ``ait42-session`` would: the real ``Bridge`` is the window's
``js_api``, the page is the bundled page. It prints

1. **Round trips** timed in the page's JavaScript (``performance.now()``) around
   ``await window.pywebview.api.<name>(...)``:

   - ``get_session_sqlite(workspace, id)`` of one ~15 KB session, through the
     real Bridge object pywebview was given;
   - ``bench_echo(workspace, id)``: the same two arguments, answered with the
     very same value without touching the database. It is added to the same
     window with pywebview's public ``window.expose``, and pywebview dispatches
     exposed functions and ``js_api`` methods with the same code
     (``webview.util.js_bridge_call``: a new thread, ``json.dumps`` of the
     result, a script evaluated on the page). So the two calls differ only by
     what the Bridge does: the ratio of the two is what the store costs over
     pywebview's own transport (issue 9's goal: at most 1.5x);
   - ``bench_empty()``: no arguments, returns null (the transport's floor).

   The three are interleaved, each round in a rotated order so that each comes
   first equally often; medians and p95 over ``--rounds`` rounds after a
   warm-up. The page checks that the echo's JSON is byte for byte the
   session's. The echoed value is what the store returned for that session
   when the database was seeded (``Service.get_session_sqlite``, the same
   command the Bridge runs, saved as JSON).

2. **Board start-up to the first page**: from launching the window's process
   (``launch``) and from ``webview.start`` (``window``) to the board showing
   its first page of cards (the page's own ``performance.mark`` entries
   ``ait42-bridge-ready`` and ``ait42-board-shown``, on ``performance.timeOrigin``);
   ``board`` is the part after the bridge answered the page's first call:
   ``list_workspaces`` plus ``list_session_summaries`` and rendering the cards,
   the part that grows with the sessions. Then the page is reloaded
   ``--reloads`` times (pywebview's ``window.load_url``; Qt and the bridge stay
   up) and the median of page load to first page is given: a warm start.

The database was just written, so its file is in the OS cache: the figures are
those of a second launch, not of a cold boot.
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

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_LINE = "PASS  src/feature/module_{n:03d}.test.ts  (12 tests, 0.{n:03d} s)\n"
SAMPLE_ID = "bench_00000"
CHILD_TIMEOUT = 900.0


def typical_session(n: int, now: float) -> dict[str, Any]:
    """3 instances x 4 KB of output, 10 chat messages: about 15 KB as JSON."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - n * 60))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - n * 60 - 3600))
    output = "".join(OUTPUT_LINE.format(n=k) for k in range(80))[:4096]
    statuses = ("running", "completed", "failed", "paused")
    types = ("competition", "ensemble", "debate")
    return {
        "id": f"bench_{n:05d}", "type": types[n % 3], "task": f"Benchmark task number {n}",
        "status": statuses[n % 4], "createdAt": created, "updatedAt": stamp,
        "model": "sonnet", "totalDuration": 600 + n, "totalFilesChanged": n % 40,
        "totalLinesAdded": 10 * (n % 50), "totalLinesDeleted": 3 * (n % 30),
        "runtimeMix": ["claude", "codex"],
        "instances": [{
            "instanceId": i, "worktreePath": f"/repo/.worktrees/b{n}-{i}",
            "branch": f"feature/b{n}-{i}", "agentName": f"agent-{i}", "status": "completed",
            "tmuxSessionId": f"ait42-b{n}-{i}", "output": output, "filesChanged": i + 1,
            "linesAdded": 10 * i, "linesDeleted": i, "runtime": "claude",
        } for i in range(3)],
        "chatHistory": [{
            "id": f"b{n}_m{k}", "role": ("user", "assistant")[k % 2],
            "content": f"Message {k}: please keep the change small and add a test for it.",
            "timestamp": f"2026-01-13T10:{k:02d}:00Z",
        } for k in range(10)],
    }


def stats(samples: list[float]) -> dict[str, float]:
    """Median, p95 (nearest rank), mean and minimum of ``samples`` (ms), and their count.

    Chromium rounds ``performance.now()`` to 0.1 ms, so medians move in 0.1 ms
    steps; the mean of many interleaved calls is not quantized that way.
    """
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * 95 // 100) - 1))]
    return {"median_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3),
            "mean_ms": round(statistics.fmean(ordered), 3), "min_ms": round(ordered[0], 3),
            "n": len(ordered)}


# -- the parent: seed, launch one window process per size, print -------------


def seed(folder: Path, sessions: int) -> dict[str, str]:
    """A database of ``sessions`` typical sessions, and the sample as the store returns it."""
    db = folder / "bench.db"
    workspace = folder / "repo"
    workspace.mkdir()
    now = time.time()
    with Service.open(db) as svc:
        for n in range(sessions):
            svc.create_session_sqlite(str(workspace), typical_session(n, now))
        sample = svc.get_session_sqlite(str(workspace), SAMPLE_ID)
    sample_file = folder / "sample.json"
    sample_file.write_text(json.dumps(sample), encoding="utf-8")
    return {"db": str(db), "workspace": str(workspace), "sample": str(sample_file)}


def measure(sessions: int, rounds: int, reloads: int) -> dict[str, Any]:
    """Seed a database of ``sessions`` and measure it in a fresh window process."""
    with tempfile.TemporaryDirectory(prefix="ait42-window-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        spec: dict[str, Any] = seed(folder, sessions)
        seeded = time.perf_counter() - started
        out = folder / "result.json"
        spec.update(rounds=rounds, reloads=reloads, out=str(out))
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env.setdefault("QT_API", "pyqt6")
        log = folder / "window.log"
        with log.open("wb") as sink:
            spec["launched_ms"] = time.time() * 1000
            child = subprocess.run(
                [sys.executable, "-m", "tools.window_bench", "--child", json.dumps(spec)],
                cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                timeout=CHILD_TIMEOUT, check=False)
        if child.returncode != 0 or not out.is_file():
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"the window process failed ({child.returncode}):\n{tail}")
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        result.update(sessions=sessions, seed_s=round(seeded, 1),
                      db_mb=round(os.path.getsize(spec["db"]) / 1e6, 1))
        return result


def report(results: list[dict[str, Any]]) -> str:
    """The figures as two small tables."""
    first = results[0]
    lines = [
        "Round trips timed in the page's JavaScript, interleaved (ms; median / p95, mean):",
        f"{'sessions':>9}  {'get_session_sqlite':>22}  {'echo, same JSON':>22}"
        f"  {'empty call':>10}  {'get/echo':>26}",
    ]
    for r in results:
        g, e, z = r["get"], r["echo"], r["empty"]
        ratio = {k: g[f"{k}_ms"] / e[f"{k}_ms"] for k in ("median", "p95", "mean")}
        lines.append(
            f"{r['sessions']:>9,}  {g['median_ms']:>5.2f} / {g['p95_ms']:>5.2f},"
            f" {g['mean_ms']:>5.2f}    {e['median_ms']:>5.2f} / {e['p95_ms']:>5.2f},"
            f" {e['mean_ms']:>5.2f}"
            f"    {z['median_ms']:>4.2f} / {z['p95_ms']:>4.2f}"
            f"  median {ratio['median']:.2f}x, p95 {ratio['p95']:.2f}x, mean {ratio['mean']:.2f}x")
    lines += [
        f"  {first['get']['n']} calls of each per window; the session is "
        f"{first['session_bytes']:,} B of JSON; echo identical to it: "
        f"{all(r['echo_identical'] for r in results)}. Goal: get/echo at most 1.5x.",
        "",
        "Board start-up to the first page (ms):",
        f"{'sessions':>9}  {'launch':>7}  {'window':>7}  {'page':>6}  {'bridge':>7}"
        f"  {'board':>6}  {'cards':>5}  {'reload':>7}  {'its board':>9}",
    ]
    for r in results:
        s = r["startup"]
        lines.append(
            f"{r['sessions']:>9,}  {s['launch_ms']:>7.0f}  {s['window_ms']:>7.0f}"
            f"  {s['page_ms']:>6.0f}  {s['bridge_ms']:>7.0f}  {s['board_ms']:>6.0f}"
            f"  {s['cards']:>5}  {r['reload']['median_ms']:>7.0f}"
            f"  {r['reload_board']['median_ms']:>9.0f}")
    lines += [
        "  launch, window: from starting the window's process, from webview.start, to the",
        "  first page of cards shown; page: to the page's navigation start; bridge: to the",
        "  bridge's first answer; board: from there, list_workspaces + list_session_summaries",
        f"  + cards rendered. reload, its board: the same, medians of {first['reload']['n']} "
        "page reloads in the running window.",
        "",
        "Databases: " + "; ".join(f"{r['sessions']:,} sessions, {r['db_mb']} MB "
                                  f"(seeded in {r['seed_s']} s)" for r in results),
    ]
    return "\n".join(lines)


# -- the child: one real window on one database --------------------------------

ROUND_TRIPS = """
const api = window.pywebview.api;
const ws = WS, sid = SID;
const calls = [
  ['get', () => api.get_session_sqlite(ws, sid)],
  ['echo', () => api.bench_echo(ws, sid)],
  ['empty', () => api.bench_empty()],
];
const times = {get: [], echo: [], empty: []};
for (let i = 0; i < 20; i++) for (const [, call] of calls) await call();   // warm-up
for (let i = 0; i < ROUNDS; i++) {
  for (let k = 0; k < calls.length; k++) {
    const [name, call] = calls[(i + k) % calls.length];
    const t = performance.now();
    await call();
    times[name].push(performance.now() - t);
  }
}
const got = JSON.stringify(await api.get_session_sqlite(ws, sid));
const echoed = JSON.stringify(await api.bench_echo(ws, sid));
return {times, sessionBytes: got.length, identical: got === echoed};
"""

FIRST_PAGE = ("document.documentElement.dataset.ready === 'true' && "
              "performance.getEntriesByName('ait42-board-shown').length > 0 && "
              "(() => { const at = (n) => performance.timeOrigin"
              " + performance.getEntriesByName(n)[0].startTime;"
              " return {pageStart: performance.timeOrigin,"
              " bridgeReady: at('ait42-bridge-ready'), boardShown: at('ait42-board-shown')}; })()")


def child(spec: dict[str, Any]) -> None:
    """Open the real window on ``spec['db']`` and write what it measured to ``spec['out']``."""
    from tests.window.driver import Page, drive

    sample = json.loads(Path(spec["sample"]).read_text(encoding="utf-8"))

    def bench_echo(workspace_path: str, session_id: str) -> Any:
        return sample

    def bench_empty() -> None:
        return None

    def driver(page: Page) -> dict[str, Any]:
        t = page.wait_for(FIRST_PAGE, timeout=120)
        cards = page.js("document.querySelectorAll('#board .card').length")
        startup = {
            "launch_ms": t["boardShown"] - spec["launched_ms"],
            "window_ms": t["boardShown"] - window_start_ms,
            "page_ms": t["pageStart"] - window_start_ms,
            "bridge_ms": t["bridgeReady"] - window_start_ms,
            "board_ms": t["boardShown"] - t["bridgeReady"],
            "cards": cards,
        }
        trips = page.run(ROUND_TRIPS.replace("WS", json.dumps(spec["workspace"]))
                         .replace("SID", json.dumps(SAMPLE_ID))
                         .replace("ROUNDS", str(int(spec["rounds"]))), timeout=600)
        reload_total: list[float] = []
        reload_board: list[float] = []
        url = page.window.get_current_url()
        for _ in range(int(spec["reloads"])):
            page.window.load_url(url)  # pywebview waits for the new page before evaluating
            t = page.wait_for(FIRST_PAGE, timeout=120)
            reload_total.append(t["boardShown"] - t["pageStart"])
            reload_board.append(t["boardShown"] - t["bridgeReady"])
        return {
            "startup": startup,
            "get": stats(trips["times"]["get"]), "echo": stats(trips["times"]["echo"]),
            "empty": stats(trips["times"]["empty"]),
            "session_bytes": trips["sessionBytes"], "echo_identical": trips["identical"],
            "reload": stats(reload_total), "reload_board": stats(reload_board),
        }

    with Service.open(spec["db"]) as svc:
        window_start_ms = time.time() * 1000
        # the window's js_api is the real, sealed Bridge, as in ait42-session
        result = drive(Bridge(svc), driver, expose=(bench_echo, bench_empty))
    Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.window_bench",
                                     description="Round trips and board start-up in the window.")
    parser.add_argument("--sizes", default="1000,10000",
                        help="session counts, one window each (default 1000,10000)")
    parser.add_argument("--rounds", type=int, default=500,
                        help="interleaved rounds of the three calls (default 500)")
    parser.add_argument("--reloads", type=int, default=5, help="page reloads (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        try:
            child(json.loads(args.child))
        except WindowUnavailable as exc:
            print(f"window_bench: {exc}", file=sys.stderr)
            return 2
        exit_if_stuck(0)
        return 0
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be numbers separated by commas, got {args.sizes!r}")
    if not sizes or min(sizes) < 1 or args.rounds < 1 or args.reloads < 1:
        parser.error("sizes, --rounds and --reloads must be at least 1")
    results = []
    for size in sizes:
        print(f"{size:,} sessions: seeding, then the window ...", file=sys.stderr, flush=True)
        try:
            results.append(measure(size, args.rounds, args.reloads))
        except RuntimeError as exc:
            print(f"window_bench: {exc}", file=sys.stderr)
            return 2
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
