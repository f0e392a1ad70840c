"""Benchmark: ``get_insights`` against the same figures computed in Python.

    python -m tools.insights_bench [--sessions 20000] [--repeat 5] [--light] [--db PATH]
    python -m tools.insights_bench --compare

Plants ``--sessions`` sessions (3 instances each with ``--output-bytes`` of
output, 4 KB by default as in ``./dev bench``; ``--messages`` chat messages,
10 by default; spread over 20 workspaces and two years) straight into a migrated
database with ``sqlite3`` (the bridge would take minutes to write them; the
rows are the ones its commands would write). ``--light``: sessions where
reading them is cheap (1-4 instances, 100-byte outputs, 2 messages). The
change log's triggers note every planted session, so the catch-up derives the
insights rows (and the search index) as it would after an import; it is run to
the log's end first, and its time shown. Then, interleaved, it times:

- ``get_insights(None)`` through the ``Service`` (validation, the loop, SQL);
- the Python way: ``list_workspaces`` then ``get_all_sessions_sqlite`` for
  each, and the contract's counting rules over the dicts (``python_insights``).

Both answers are compared (they must be equal) and the medians printed.
Issue 16's goal: ``get_insights`` at least 50x faster at 100,000 sessions,
also with ``--light`` (``--sessions 100000``).

``--compare`` times the compare view instead, in the real window (Qt
offscreen): a session whose two instances have 100 KB coloured outputs
(about 2,000 lines, a difference every hundred lines, and a pair that share
nothing), from the call to the first painted frame, and the frames while
both columns scroll from top to bottom.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ait42_session.faces.service import Service
from ait42_session.shape.timestamps import timestamp_key
from ait42_session.shape.workspace import identify

AGENTS = ("backend-developer", "frontend-developer", "test-engineer", "security-reviewer",
          "devops-engineer", "api-designer")
RUNTIMES = ("claude", "codex", "gemini", None)
MODELS = ("sonnet", "opus", "gpt-5-codex", "gemini-2.5-pro", None)
TYPES = ("competition", "ensemble", "debate")
I_STATUSES = ("completed", "completed", "failed", "running", "idle")


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def plant(db: str, sessions: int, output_bytes: int = 4096, messages: int = 10,
          seed: int = 42, instances: tuple[int, int] = (3, 3)) -> None:
    """Write ``sessions`` sessions with their instances and messages into ``db``."""
    Service.open(db).close()  # creates and migrates it
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    workspaces = []
    for w in range(20):
        ws = identify(f"/bench/project-{w}")
        workspaces.append(ws.hash)
        conn.execute("INSERT INTO workspaces (hash, path, created_at, last_accessed)"
                     " VALUES (?, ?, ?, ?)", (ws.hash, ws.path, _iso(start), _iso(start)))
    s_rows, i_rows, m_rows = [], [], []
    for n in range(sessions):
        created = start + timedelta(seconds=rng.randrange(0, 730 * 86400))
        updated = created + timedelta(seconds=rng.randrange(60, 20000))
        count = rng.randint(*instances)
        winner = rng.randrange(count) if rng.random() < 0.6 else None
        s_model = rng.choice(MODELS)
        sid = f"bench-{n:07d}"
        s_rows.append((sid, workspaces[n % 20], rng.choice(TYPES), f"Task number {n}",
                       "completed", _iso(created), timestamp_key(_iso(created)), _iso(updated),
                       timestamp_key(_iso(updated)), s_model, winner, count, messages))
        for i in range(count):
            begin = created + timedelta(seconds=rng.randrange(0, 120))
            end = begin + timedelta(milliseconds=rng.randrange(1000, 3_600_000)) \
                if rng.random() < 0.9 else None
            i_rows.append((sid, i, f"/bench/wt/{sid}-{i}", f"b/{sid}-{i}", rng.choice(AGENTS),
                           rng.choice(I_STATUSES), f"tmux-{sid}-{i}", _iso(begin),
                           None if end is None else _iso(end), rng.randrange(20),
                           rng.randrange(500) if rng.random() < 0.9 else None,
                           rng.randrange(200), rng.choice(RUNTIMES), rng.choice(MODELS),
                           (f"line {n} {i} " + "x" * 60 + "\n")
                           * max(1, output_bytes // (70 + len(str(n))))))
        for k in range(messages):
            ts = _iso(created + timedelta(seconds=k))
            m_rows.append((sid, f"{sid}-m{k}", "user", f"message {k}", ts, timestamp_key(ts)))
    conn.executemany(
        "INSERT INTO sessions (id, workspace_hash, type, task, status, created_at, created_key,"
        " updated_at, updated_key, model, winner_id, instance_count, message_count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", s_rows)
    conn.executemany(
        "INSERT INTO instances (session_id, instance_id, worktree_path, branch, agent_name,"
        " status, tmux_session_id, start_time, end_time, files_changed, lines_added,"
        " lines_deleted, runtime, model, output)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", i_rows)
    conn.executemany(
        "INSERT INTO chat_messages (session_id, id, role, content, timestamp, ts_key)"
        " VALUES (?, ?, ?, ?, ?, ?)", m_rows)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _week(created: str) -> str:
    day = datetime.fromtimestamp(timestamp_key(created) / 1e6, UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def python_insights(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """The contract's counting rules over whole sessions, in plain Python."""
    groups: list[dict[str, dict[str, Any]]] = [{}, {}, {}]
    durations: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(3)]
    weeks: dict[str, dict[str, Any]] = {}
    for s in sessions:
        week = weeks.setdefault(_week(s["createdAt"]), {
            "weekStart": _week(s["createdAt"]), "sessions": 0, **dict.fromkeys(TYPES, 0)})
        week["sessions"] += 1
        week[s["type"]] += 1
        winner = s.get("winnerId")
        for inst in s["instances"]:
            keys = (inst["agentName"], inst.get("runtime") or "unknown",
                    inst.get("model") or s.get("model") or "unknown")
            ms = None
            if inst.get("startTime") and inst.get("endTime"):
                ms = round((timestamp_key(inst["endTime"])
                            - timestamp_key(inst["startTime"])) / 1000)
            for dim, key in enumerate(keys):
                g = groups[dim].setdefault(key, {
                    "instances": 0, "wins": 0, "decided": 0, "completed": 0, "failed": 0,
                    "linesAdded": 0, "linesDeleted": 0})
                g["instances"] += 1
                g["wins"] += winner is not None and inst["instanceId"] == winner
                g["decided"] += winner is not None
                g["completed"] += inst["status"] == "completed"
                g["failed"] += inst["status"] == "failed"
                g["linesAdded"] += inst.get("linesAdded") or 0
                g["linesDeleted"] += inst.get("linesDeleted") or 0
                if ms is not None:
                    durations[dim][key].append(ms)
    result: dict[str, Any] = {"sessions": len(sessions)}
    for dim, (name, key) in enumerate((("agents", "agentName"), ("runtimes", "runtime"),
                                       ("models", "model"))):
        items = []
        for k, g in groups[dim].items():
            d = durations[dim].get(k)
            items.append({key: k, **g, "medianDurationSeconds":
                          statistics.median(d) / 1000 if d else None})
        result[name] = sorted(items, key=lambda g: (-g["instances"], g[key]))
    result["weeks"] = sorted(weeks.values(), key=lambda w: w["weekStart"])
    return result


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def big_output(variant: int, size: int = 100_000) -> str:
    """About ``size`` bytes of coloured log; variants 0 and 1 differ every 100th line,
    variant 2 shares no line with either."""
    lines: list[str] = []
    k = total = 0
    while total < size:
        if variant == 2:
            lines.append(f"\x1b[36mother\x1b[0m {k:05d} unrelated output of a different run")
        elif variant == 1 and k % 100 == 50:
            lines.append(f"  \x1b[31mFAIL\x1b[0m  src/module_{k}.test.ts: expected 200, got 401")
        else:
            lines.append(f"  \x1b[32mPASS\x1b[0m  src/module_{k}.test.ts ({k % 13} tests, "
                         f"{(k * 37) % 900} ms)")
        total += len(lines[-1]) + 1
        k += 1
    return "\n".join(lines)


def bench_compare(repeat: int) -> None:
    """Time the compare view on two 100 KB outputs in the real window."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ait42_session.faces.bridge import Bridge
    from tests.window import ui
    from tests.window.driver import Page, drive
    from tools.insights_screenshots import compare_session

    with tempfile.TemporaryDirectory(prefix="ait42-compare-bench-") as tmp:
        ws = str(Path(tmp) / "ws")
        Path(ws).mkdir()
        db = str(Path(tmp) / "c.db")
        outputs = [big_output(0), big_output(1), big_output(2)]
        with Bridge.open(db) as bridge:
            bridge.create_session_sqlite(ws, dict(compare_session(outputs), id="big"))

        def driver(page: Page) -> dict[str, Any]:
            page.run(ui.choose_workspace(ws))
            page.wait_idle()
            found: dict[str, Any] = {}
            for name, pair in (("similar", [0, 1]), ("unrelated", [0, 2])):
                runs = []
                for _ in range(repeat):
                    page.run(ui.open_session("big"), timeout=60)
                    page.js("performance.clearMeasures()")
                    # tick the pair in the detail, then time Compare's click to the
                    # first frame painted after the view says it has loaded
                    runs.append(page.run(
                        "for (const box of document.querySelectorAll('#instances .compare-pick')) {"
                        f" const on = {json.dumps(pair)}.includes(Number(box.dataset.instanceId));"
                        " if (box.checked !== on) { box.checked = on;"
                        " box.dispatchEvent(new Event('change', {bubbles: true})); } }"
                        " const view = document.getElementById('view-compare');"
                        " const loaded = new Promise((r) => {"
                        " const o = new MutationObserver(() => {"
                        " if (view.dataset.loaded === 'true') { o.disconnect(); r(); } });"
                        " o.observe(view, {attributes: true,"
                        " attributeFilter: ['data-loaded']}); });"
                        " const t0 = performance.now();"
                        " document.getElementById('compare-open').click();"
                        " await loaded;"
                        " await new Promise(r => requestAnimationFrame(() =>"
                        " requestAnimationFrame(r)));"
                        " const last = (n) => performance.getEntriesByName(n, 'measure').at(-1);"
                        " return {fetchMs: last('ait42-compare-fetch').duration,"
                        " renderMs: last('ait42-compare-render').duration,"
                        " parseMs: last('ait42-compare-parse').duration,"
                        " diffMs: last('ait42-compare-diff').duration,"
                        " lines: last('ait42-compare-diff').detail.lines,"
                        " paintedMs: performance.now() - t0,"
                        " nodes: document.querySelectorAll('#compare-outputs .vrow').length};",
                        timeout=60))
                found[name] = runs
            found["idle"] = page.run(
                "const frames = []; let last = performance.now();"
                " for (let k = 0; k < 30; k += 1) {"
                "   await new Promise(r => requestAnimationFrame(r));"
                "   const now = performance.now(); frames.push(now - last); last = now; }"
                " frames.sort((a, b) => a - b); return frames[frames.length >> 1];")
            found["scroll"] = page.run(
                "const s = document.querySelector('.vscroll');"
                " const frames = []; let last = performance.now();"
                " for (let top = 0; top < s.scrollHeight - s.clientHeight; top += 600) {"
                "   s.scrollTop = top; s.dispatchEvent(new Event('scroll'));"
                "   await new Promise(r => requestAnimationFrame(r));"
                "   const now = performance.now(); frames.push(now - last); last = now; }"
                " frames.sort((a, b) => a - b);"
                " return {frames: frames.length, medianMs: frames[frames.length >> 1],"
                " worstMs: frames[frames.length - 1]};", timeout=120)
            return found

        found = drive(Bridge.open(db), driver, width=1400, height=1000, close_bridge=True)
    sizes = [len(o.encode()) for o in outputs]
    print(f"outputs: {sizes[0]:,} / {sizes[1]:,} / {sizes[2]:,} bytes")
    for name in ("similar", "unrelated"):
        runs = found[name]
        med = {k: statistics.median(r[k] for r in runs)
               for k in ("paintedMs", "fetchMs", "parseMs", "diffMs", "renderMs")}
        dom = med["renderMs"] - med["parseMs"] - med["diffMs"]
        print(f"compare two 100 KB outputs ({name}; {runs[0]['lines'][0]:,} and "
              f"{runs[0]['lines'][1]:,} lines): {med['paintedMs']:.0f} ms to the first frame "
              f"(median of {len(runs)}: fetch {med['fetchMs']:.0f}, ANSI {med['parseMs']:.0f}, "
              f"diff {med['diffMs']:.0f}, DOM {dom:.0f} ms); rows in the DOM: {runs[0]['nodes']}")
    sc = found["scroll"]
    print(f"scrolling both columns top to bottom: {sc['frames']} frames, median "
          f"{sc['medianMs']:.1f} ms, worst {sc['worstMs']:.1f} ms (an idle frame here: "
          f"{found['idle']:.1f} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output-bytes", type=int, default=None,
                        help="per instance (default 4096; 100 with --light)")
    parser.add_argument("--messages", type=int, default=None,
                        help="per session (default 10; 2 with --light)")
    parser.add_argument("--light", action="store_true",
                        help="light sessions: 1-4 instances, short outputs, 2 messages")
    parser.add_argument("--db", help="reuse (or create) this database instead of a temporary one")
    parser.add_argument("--compare", action="store_true",
                        help="time the compare view in the real window instead")
    args = parser.parse_args(argv)
    if args.compare:
        bench_compare(args.repeat)
        return 0
    output_bytes = args.output_bytes or (100 if args.light else 4096)
    messages = args.messages if args.messages is not None else (2 if args.light else 10)
    instances = (1, 4) if args.light else (3, 3)
    with tempfile.TemporaryDirectory(prefix="ait42-insights-") as tmp:
        db = args.db or str(Path(tmp) / "bench.db")
        if not os.path.exists(db):
            t0 = time.perf_counter()
            plant(db, args.sessions, output_bytes, messages, instances=instances)
            print(f"planted {args.sessions:,} sessions in {time.perf_counter() - t0:.1f} s "
                  f"({os.path.getsize(db) / 1e6:.0f} MB)", flush=True)
        with Service.open(db, derived=False) as svc:  # the catch-up, run here to the end
            t0 = time.perf_counter()
            caught = svc.run(svc.context.derived.run_until_current())
            catchup_seconds = time.perf_counter() - t0
        with Service.open(db) as svc:
            sql_times, py_times = [], []
            fast = slow = None
            for k in range(args.repeat):  # interleaved: SQL, then Python every other time
                t0 = time.perf_counter()
                fast = svc.get_insights(None)
                sql_times.append(time.perf_counter() - t0)
                if k % 2 == 0:
                    t0 = time.perf_counter()
                    every = [s for w in svc.list_workspaces()
                             for s in svc.get_all_sessions_sqlite(w["path"])]
                    slow = python_insights(every)
                    py_times.append(time.perf_counter() - t0)
                    del every
            assert fast is not None and slow is not None
            ws = svc.list_workspaces()[0]["path"]
            one = [svc.get_insights({"workspacePath": ws}) for _ in range(args.repeat)]
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                svc.get_insights({"workspacePath": ws})
            ws_time = (time.perf_counter() - t0) / args.repeat
        pending = fast.pop("pending", 0)
        same = _same(fast, slow)
        sql, py = statistics.median(sql_times), statistics.median(py_times)
        runs = ", ".join(f"{t * 1000:.0f}" for t in sql_times)
        shape = ("light: 1-4 instances" if args.light else "3 instances") + \
            f" x {output_bytes} B output, {messages} messages"
        print(f"{args.sessions:,} sessions ({shape}); catch-up of {caught:,} planted sessions:"
              f" {catchup_seconds:.1f} s ({caught / max(catchup_seconds, 1e-9):.0f} sessions/s)")
        print("| figure | measured | goal |")
        print("|---|---:|---|")
        print(f"| get_insights (all {fast['sessions']:,} sessions), median of {len(sql_times)}"
              f" | {sql * 1000:.0f} ms (runs {runs}) | |")
        print(f"| Python over get_all_sessions_sqlite, median of {len(py_times)}"
              f" | {py * 1000:.0f} ms | |")
        print(f"| Python / get_insights | {py / sql:.1f}x | >= 50x at 100,000 sessions |")
        print(f"| answers equal | {same} (pending {pending}) | True |")
        print(f"| get_insights of one workspace ({one[0]['sessions']:,} sessions)"
              f" | {ws_time * 1000:.0f} ms | |")
        return 0 if same and not pending else 1

if __name__ == "__main__":
    sys.exit(main())
