"""Measure the real window: bridge round trips from page JavaScript, and start-up to a board.

    python -m ait42_session.window_bench [--sessions 1000] [--rounds 200] [--json]

Runs headless (``QT_QPA_PLATFORM=offscreen``) on a database it makes in a
temporary folder: ``--sessions`` sessions, each a typical one (3 instances with
4 KB of agent output each, 10 chat messages). It reports

- the median (and p95) round trip of ``get_session_sqlite`` for one such session,
  called from the page's JavaScript, against an echo call that returns the very
  same JSON without touching the database (pure pywebview transport), and an
  empty call (no arguments, returns null);
- the time from the window starting (before ``webview.start``) to the board
  showing its first page, and to all sessions on the board through "Load more",
  and a reload with the largest page size (500) until all are shown;
- for comparison, one ``get_all_sessions_sqlite`` of the workspace (every
  session whole, outputs included), which the board never needs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUTPUT_LINE = "PASS  src/feature/module_{n:03d}.test.ts  (12 tests, 0.{n:03d} s)\n"


def typical_session(n: int, now: float) -> dict[str, Any]:
    """3 instances x 4 KB of output, 10 chat messages."""
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


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "min_ms": round(ordered[0], 3),
        "n": len(ordered),
    }


ROUND_TRIPS = """
const api = window.pywebview.api;
const times = {session: [], echo: [], empty: []};
const calls = {
  session: () => api.get_session_sqlite(WS, SID),
  echo: () => api.bench_echo(),
  empty: () => api.bench_empty(),
};
for (const name of Object.keys(calls)) await calls[name]();   // warm up
for (let i = 0; i < ROUNDS; i++) {
  for (const name of Object.keys(calls)) {
    const t = performance.now();
    await calls[name]();
    times[name].push(performance.now() - t);
  }
}
const one = await api.get_session_sqlite(WS, SID);
const echoed = await api.bench_echo();
return {times, sessionBytes: JSON.stringify(one).length, echoBytes: JSON.stringify(echoed).length};
"""


def run(sessions: int, rounds: int) -> dict[str, Any]:
    from .app import Page, drive
    from .bridge import Bridge

    results: dict[str, Any] = {"sessions": sessions, "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="ait42-bench-") as tmp:
        db = str(Path(tmp) / "bench.db")
        ws = str(Path(tmp) / "repo")
        Path(ws).mkdir()
        now = time.time()
        started = time.perf_counter()
        with Bridge.open(db) as seeder:
            for n in range(sessions):
                seeder.create_session_sqlite(ws, typical_session(n, now))
            sample_id = "bench_00000"
            sample = seeder.get_session_sqlite(ws, sample_id)
        results["seed_s"] = round(time.perf_counter() - started, 2)
        results["db_bytes"] = os.path.getsize(db)

        def bench_echo() -> Any:
            return sample

        def bench_empty() -> None:
            return None

        def driver(page: Page) -> dict[str, Any]:
            out: dict[str, Any] = {}
            t = page.js("window.ait42.timings")
            out["first_page_cards"] = page.js("document.querySelectorAll('#board .card').length")
            out["page_load_ms"] = t["pageStart"] - window_start_ms
            out["bridge_ready_ms"] = t["bridgeReady"] - window_start_ms
            out["board_first_page_ms"] = t["boardShown"] - window_start_ms
            # every session on the board with the default page size, clicking "Load more"
            while page.js("!document.getElementById('load-more').hidden"):
                count = page.js("document.querySelectorAll('#board .card').length")
                page.js("document.getElementById('load-more').click()")
                page.wait_for(f"document.querySelectorAll('#board .card').length > {count}",
                              timeout=60, interval=0.002)
                page.wait_idle()
            out["board_all_ms"] = round(time.time() * 1000 - window_start_ms)
            out["board_all_cards"] = page.js("document.querySelectorAll('#board .card').length")
            # a reload with the largest page size: 500 per call
            reload = page.run("""
                localStorage.setItem('ait42.pageSize', '500');
                const t0 = performance.now();
                document.getElementById('refresh').click();
                while (document.querySelectorAll('#board .card').length < 500 ||
                       window.ait42.busy) await new Promise(r => setTimeout(r, 1));
                while (!document.getElementById('load-more').hidden) {
                  const n = document.querySelectorAll('#board .card').length;
                  document.getElementById('load-more').click();
                  while (document.querySelectorAll('#board .card').length === n ||
                         window.ait42.busy) await new Promise(r => setTimeout(r, 1));
                }
                return {ms: performance.now() - t0,
                        cards: document.querySelectorAll('#board .card').length};
            """, timeout=120)
            out["board_reload_500_ms"] = round(reload["ms"], 1)
            out["board_reload_500_cards"] = reload["cards"]
            full = page.run(f"""
                const t0 = performance.now();
                const all = await window.pywebview.api.get_all_sessions_sqlite({json.dumps(ws)});
                return {{ms: performance.now() - t0, n: all.length,
                         bytes: JSON.stringify(all).length}};
            """, timeout=120)
            out["get_all_sessions"] = {"ms": round(full["ms"], 1), "sessions": full["n"],
                                       "bytes": full["bytes"]}
            trips = page.run(ROUND_TRIPS.replace("WS", json.dumps(ws))
                             .replace("SID", json.dumps(sample_id))
                             .replace("ROUNDS", str(rounds)), timeout=300)
            out["session_bytes"] = trips["sessionBytes"]
            out["echo_bytes"] = trips["echoBytes"]
            out["get_session_sqlite"] = _stats(trips["times"]["session"])
            out["echo_same_size"] = _stats(trips["times"]["echo"])
            out["empty_call"] = _stats(trips["times"]["empty"])
            metrics = page.run("return await window.pywebview.api.get_metrics();")
            out["bridge_side_get_session"] = metrics["commands"].get("get_session_sqlite")
            return out

        with Bridge.open(db) as bridge:
            window_start_ms = time.time() * 1000
            results.update(drive(bridge, driver, expose=(bench_echo, bench_empty)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ait42_session.window_bench",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .app import WindowUnavailable, exit_if_stuck

    try:
        r = run(args.sessions, args.rounds)
    except WindowUnavailable as exc:
        print(f"window_bench: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        s, e, z = r["get_session_sqlite"], r["echo_same_size"], r["empty_call"]
        print(f"database: {r['sessions']} sessions, {r['db_bytes'] / 1e6:.1f} MB "
              f"(seeded in {r['seed_s']} s)")
        print(f"round trips from page JS ({r['rounds']} each, median / p95):")
        print(f"  get_session_sqlite ({r['session_bytes']:,} B JSON)  "
              f"{s['median_ms']:.2f} / {s['p95_ms']:.2f} ms")
        print(f"  echo, same payload ({r['echo_bytes']:,} B)       "
              f"{e['median_ms']:.2f} / {e['p95_ms']:.2f} ms")
        print(f"  empty call                            "
              f"{z['median_ms']:.2f} / {z['p95_ms']:.2f} ms")
        side = r.get("bridge_side_get_session") or {}
        if side:
            print(f"  (bridge side of get_session_sqlite alone: p50 {side.get('p50Ms')} ms)")
        print("window start ->")
        print(f"  page loaded           {r['page_load_ms']:>7.0f} ms")
        print(f"  bridge ready          {r['bridge_ready_ms']:>7.0f} ms")
        print(f"  board, first page     {r['board_first_page_ms']:>7.0f} ms "
              f"({r['first_page_cards']} cards)")
        print(f"  board, all sessions   {r['board_all_ms']:>7.0f} ms "
              f"({r['board_all_cards']} cards, Load more with the default page size)")
        print(f"board reload, page size 500: {r['board_reload_500_ms']:.0f} ms "
              f"to {r['board_reload_500_cards']} cards")
        g = r["get_all_sessions"]
        print(f"for comparison, get_all_sessions_sqlite: {g['ms']:.0f} ms for "
              f"{g['sessions']} whole sessions ({g['bytes'] / 1e6:.1f} MB of JSON)")
    exit_if_stuck(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
