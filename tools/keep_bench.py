"""Benchmark of issue 11's export, import and backup; not part of the test run.

1. Export / import: N sessions (default 10,000; 3 instances with 2 KB of
   output each, 6 chat messages) created through the store, exported as a JSON
   bundle, then imported into an empty database. For each: wall time and the
   peak of Python allocations during the call (``tracemalloc``), and the
   bundle's size. The export streams, so its peak stays near one batch of
   sessions whatever N is.
2. Backup: a database of M sessions (default 100,000; 2 instances with 1 KB
   of output, 4 messages) generated with ``executemany``, then
   ``create_backup`` timed, with the file's size.

    python tools/keep_bench.py --sessions 2000 --backup-sessions 10000   # quick
    python tools/keep_bench.py                                           # full
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ait42_session.faces.service import Service
from ait42_session.keeping import bundle
from ait42_session.shape.workspace import legacy_hash


def session(k: int, instances: int, messages: int, output: int) -> dict[str, Any]:
    ts = f"2026-01-{1 + k % 28:02d}T{k % 24:02d}:{k % 60:02d}:00Z"
    return {
        "id": f"bench-{k}", "type": "competition", "task": f"benchmark task {k}",
        "status": "completed", "createdAt": ts, "updatedAt": ts, "model": "sonnet",
        "evaluation": {"score": k % 7, "notes": None},
        "instances": [{"instanceId": i, "worktreePath": f"/w/{k}/{i}", "branch": f"b{k}-{i}",
                       "agentName": "agent", "status": "completed", "tmuxSessionId": f"t{k}{i}",
                       "output": f"line of output {i}\n" * (output // 18)}
                      for i in range(instances)],
        "chatHistory": [{"id": f"m{j}", "role": "user" if j % 2 else "assistant",
                         "content": f"message {j} of {k}", "timestamp": ts}
                        for j in range(messages)],
    }


def measured(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = time.perf_counter() - started
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, elapsed, peak


def export_import(root: Path, n: int) -> None:
    ws = str(root / "ws")
    src_path = str(root / "source.db")
    with Service.open(src_path) as svc:
        started = time.perf_counter()
        batch = [session(k, 3, 6, 2048) for k in range(n)]
        for k in range(0, n, 500):
            for s in batch[k:k + 500]:
                svc.create_session_sqlite(ws, s)
        print(f"created {n} sessions in {time.perf_counter() - started:.1f} s")
        del batch
        bundle_path = str(root / "bundle.json")
        out, secs, peak = measured(lambda: svc.run(bundle.export(
            svc.db, None, None, True, "json", bundle_path)))
        print(f"export json: {out['sessions']} sessions in {secs:.2f} s "
              f"({out['sessions'] / secs:,.0f}/s), peak Python memory {peak / 2**20:.1f} MB, "
              f"bundle {out['bytes'] / 2**20:.1f} MB")
        for fmt in ("markdown", "html"):
            def run(fmt: str = fmt) -> Any:
                return svc.run(bundle.export(svc.db, None, None, True, fmt,
                                             str(root / f"all.{fmt}")))
            out2, secs2, peak2 = measured(run)
            print(f"export {fmt}: {secs2:.2f} s, peak {peak2 / 2**20:.1f} MB, "
                  f"{out2['bytes'] / 2**20:.1f} MB")
    with Service.open(str(root / "target.db")) as dst:
        report, secs, peak = measured(lambda: dst.import_bundle(bundle_path, None))
        print(f"import: {report['written']} written in {secs:.2f} s "
              f"({report['written'] / secs:,.0f}/s), peak Python memory {peak / 2**20:.1f} MB")
        report, secs, _ = measured(lambda: dst.import_bundle(bundle_path, None))
        print(f"import again: {report['unchanged']} unchanged, {report['written']} written, "
              f"{secs:.2f} s")


def generate(path: str, n: int, workspaces: int = 10) -> None:
    """M sessions straight into the tables with executemany (the store's columns)."""
    Service.open(path).close()  # schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    hashes = []
    for w in range(workspaces):
        p = f"/bench/ws{w}"
        hashes.append(legacy_hash(p))
        conn.execute("INSERT INTO workspaces VALUES (?, ?, '2026-01-01T00:00:00Z',"
                     " '2026-01-01T00:00:00Z')", (hashes[-1], p))
    out = "x" * 1024
    for start in range(0, n, 10_000):
        ks = range(start, min(n, start + 10_000))
        conn.executemany(
            "INSERT INTO sessions (id, workspace_hash, type, task, status, created_at,"
            " created_key, updated_at, updated_key, instance_count, message_count, extra)"
            " VALUES (?, ?, 'debate', ?, 'completed', '2026-01-01T00:00:00Z', ?,"
            " '2026-01-01T00:00:00Z', ?, 2, 4, ?)",
            [(f"g{k}", hashes[k % workspaces], f"task {k}", k, k,
              json.dumps({"evaluation": {"k": k}})) for k in ks])
        conn.executemany(
            "INSERT INTO instances (session_id, instance_id, worktree_path, branch, agent_name,"
            " status, tmux_session_id, output) VALUES (?, ?, '/w', 'b', 'a', 'completed', 't', ?)",
            [(f"g{k}", i, out) for k in ks for i in range(2)])
        conn.executemany(
            "INSERT INTO chat_messages (session_id, id, role, content, timestamp, ts_key)"
            " VALUES (?, ?, 'user', ?, '2026-01-01T00:00:00Z', 0)",
            [(f"g{k}", f"m{j}", f"message {j}") for k in ks for j in range(4)])
    conn.execute("COMMIT")
    conn.close()


def backup(root: Path, m: int) -> None:
    path = str(root / "big.db")
    started = time.perf_counter()
    generate(path, m)
    print(f"generated {m} sessions in {time.perf_counter() - started:.1f} s")
    with Service.open(path) as svc:
        size = svc.get_database_stats()["databaseSizeBytes"]
        made, secs, _ = measured(lambda: svc.create_backup(None))
        print(f"backup of {m} sessions: database {size / 2**20:.0f} MB, backup "
              f"{made['sizeBytes'] / 2**20:.0f} MB in {secs:.2f} s")
        stats, secs, _ = measured(lambda: svc.restore_backup(made["path"]))
        print(f"restore of it: {secs:.2f} s ({stats['sessionCount']} sessions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--backup-sessions", type=int, default=100_000)
    parser.add_argument("--dir", default=None, help="where to build (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        if args.sessions:
            export_import(root, args.sessions)
        if args.backup_sessions:
            backup(root, args.backup_sessions)


if __name__ == "__main__":
    main()
