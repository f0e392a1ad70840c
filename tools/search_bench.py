"""Benchmark of full-text search (issue 10); not part of the test run.

Builds a history (default 100,000 sessions in 10 workspaces, 3 instances with
4 KB of output each, every tenth session with 100 KB per instance, 10 chat
messages) straight with ``executemany``, indexes it as an existing database
is indexed at start-up (``search.backfill``), then times 20 varied queries
through the ``search_sessions`` command against ``grep -rnF`` of the same words
over the same history written as the shell's legacy JSON files (grep's output
read through a pipe: GNU grep stops at the first match when it writes to
/dev/null). Also: index size against the text it holds, and the cost of the
index on create/update against the same writes without it.

    python tools/search_bench.py --sessions 2000          # a quick check
    python tools/search_bench.py --dir /tmp/bench         # the full run (disk: ~3x the text)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiosqlite

from ait42_session import migrations, search
from ait42_session.workspace import legacy_hash

WORDS = ["the", "build", "test", "failed", "passed", "error", "warning", "module", "function",
         "request", "response", "cache", "token", "session", "user", "login", "database",
         "migration", "index", "query", "schema", "table", "column", "value", "string",
         "number", "array", "object", "import", "export", "config", "server", "client",
         "socket", "timeout", "retry", "commit", "branch", "merge", "rebase", "deploy",
         "release", "version", "update", "install", "package", "dependency", "compile",
         "runtime", "memory", "thread", "process", "signal", "file", "path", "folder", "write",
         "read", "open", "close", "parse", "render", "layout", "style", "event", "handler"]
IDENTS = ["refresh_token_ttl", "parseSessionRow", "getUserById", "MAX_RETRY_COUNT",
          "handleWebSocket", "session_store_v2", "useAuthContext", "buildIndexTree"]
PATHS = ["src/auth/jwt.ts", "src/db/pool.rs", "backend/app/models.py", "frontend/js/board.js",
         "tests/test_login.py", "docs/setup.md"]
ERRORS = ("TypeError: Cannot read properties of undefined",
          "error[E0382]: borrow of moved value", "ModuleNotFoundError: No module named 'yaml'",
          "FAILED tests/test_login.py::test_refresh - AssertionError",
          "panic: runtime error: index out of range")
JAPANESE = ("JWT認証を追加", "ログイン画面のバグを修正", "データベース接続エラー",
            "テストが失敗しました", "修复数据库连接错误")
AGENTS = ("backend-developer", "frontend-developer", "test-engineer", "devops-engineer")
COLOURS = ("\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m", "\x1b[33m")

QUERIES = ["migration", "refresh_token_ttl", "src/auth/jwt.ts", "認証", "ログイン",
           '"borrow of moved value"', "parseSess*", "timeout retry", "socket OR signal",
           "deploy -rebase", "ModuleNotFoundError", "test-engineer", "feature/w2",
           "データベース", "zqx1234", "handleWebSocket", "panic index", "修复",
           "error TypeError", "getUserById"]


def chunk_text(rng: random.Random, size: int) -> str:
    """About ``size`` characters of agent-like output: words, identifiers,
    paths, error lines, some Japanese, some colour codes."""
    parts: list[str] = []
    total = 0
    while total < size:
        r = rng.random()
        if r < 0.80:
            piece = rng.choice(WORDS)
        elif r < 0.86:
            piece = rng.choice(IDENTS)
        elif r < 0.91:
            piece = rng.choice(PATHS)
        elif r < 0.94:
            piece = rng.choice(ERRORS) + "\n"
        elif r < 0.96:
            piece = rng.choice(JAPANESE)
        else:
            piece = rng.choice(COLOURS) + rng.choice(WORDS) + "\x1b[0m"
        parts.append(piece)
        total += len(piece) + 1
    return " ".join(parts)


def build(db_path: Path, args: argparse.Namespace) -> tuple[int, float]:
    """Write the history with executemany; (text characters, seconds)."""
    rng = random.Random(42)
    pool = [chunk_text(rng, args.output_kb * 1024) for _ in range(64)]
    big_pool = [chunk_text(rng, args.big_output_kb * 1024) for _ in range(8)]
    msgs = [chunk_text(rng, 200) for _ in range(64)]
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrations.prepare_new_file(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    migrations.apply_pending(conn, migrations.load())
    started = time.perf_counter()
    chars = 0
    workspaces = [f"/bench/workspace{w}" for w in range(args.workspaces)]
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO workspaces VALUES (?, ?, '2026-01-01T00:00:00Z',"
                     " '2026-01-01T00:00:00Z')", [(legacy_hash(w), w) for w in workspaces])
    batch_s: list[tuple[Any, ...]] = []
    batch_i: list[tuple[Any, ...]] = []
    batch_m: list[tuple[Any, ...]] = []
    for n in range(args.sessions):
        sid = f"session_{n:06d}"
        ws = legacy_hash(workspaces[n % args.workspaces])
        day = 1 + n % 28
        at = f"2026-01-{day:02d}T{n % 24:02d}:{n % 60:02d}:00Z"
        key = (1767225600 + n * 60) * 1_000_000
        task = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(IDENTS)} task {n}"
        if n % 97 == 0:
            task += " zqx1234"
        chars += len(task)
        batch_s.append((sid, ws, ("competition", "ensemble", "debate")[n % 3], task,
                        ("running", "completed", "failed", "paused")[n % 4], at, key, at, key,
                        args.instances, args.messages))
        big = args.big_every and n % args.big_every == 0
        for i in range(args.instances):
            out = (big_pool if big else pool)[(n + i) % (8 if big else 64)] + f" run{n}x{i}"
            chars += len(out) + 40
            batch_i.append((sid, i, f"/bench/wt/{sid}/{i}", f"feature/w{i}-{n}",
                            AGENTS[(n + i) % 4], "completed", f"tmux-{sid}-{i}", out))
        for m in range(args.messages):
            content = msgs[(n + m) % 64]
            chars += len(content)
            batch_m.append((sid, f"m{m}", "user" if m % 2 == 0 else "assistant", content, at,
                            key + m))
        if len(batch_i) > 3000 or n == args.sessions - 1:
            conn.executemany(
                "INSERT INTO sessions (id, workspace_hash, type, task, status, created_at,"
                " created_key, updated_at, updated_key, instance_count, message_count)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch_s)
            conn.executemany(
                "INSERT INTO instances (session_id, instance_id, worktree_path, branch,"
                " agent_name, status, tmux_session_id, output) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                batch_i)
            conn.executemany(
                "INSERT INTO chat_messages (session_id, id, role, content, timestamp, ts_key)"
                " VALUES (?, ?, ?, ?, ?, ?)", batch_m)
            batch_s, batch_i, batch_m = [], [], []
    conn.execute("COMMIT")
    conn.close()
    return chars, time.perf_counter() - started


def write_legacy(db_path: Path, folder: Path) -> None:
    """The same history as the shell's ``{hash}.json`` files (pretty JSON)."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path)
    for (ws,) in conn.execute("SELECT hash FROM workspaces").fetchall():
        with (folder / f"{ws}.json").open("w", encoding="utf-8") as fh:
            fh.write("[\n")
            first = True
            for sid, typ, task, status, at in conn.execute(
                    "SELECT id, type, task, status, updated_at FROM sessions"
                    " WHERE workspace_hash = ?", (ws,)):
                insts = [{"instanceId": i, "worktreePath": w, "branch": b, "agentName": a,
                          "status": st, "tmuxSessionId": t, "output": o}
                         for i, w, b, a, st, t, o in conn.execute(
                             "SELECT instance_id, worktree_path, branch, agent_name, status,"
                             " tmux_session_id, output FROM instances WHERE session_id = ?",
                             (sid,))]
                chat = [{"id": i, "role": r, "content": c, "timestamp": ts}
                        for i, r, c, ts in conn.execute(
                            "SELECT id, role, content, timestamp FROM chat_messages"
                            " WHERE session_id = ?", (sid,))]
                doc = {"id": sid, "type": typ, "task": task, "status": status,
                       "createdAt": at, "updatedAt": at, "instances": insts,
                       "chatHistory": chat}
                fh.write(("" if first else ",\n") + json.dumps(doc, indent=2, ensure_ascii=False))
                first = False
            fh.write("\n]\n")
    conn.close()


def sizes(db_path: Path) -> tuple[int, int]:
    """(bytes of the search tables and their indexes, bytes of the database)."""
    conn = sqlite3.connect(db_path)
    idx = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_%'"
                       " OR name LIKE 'sqlite_autoindex_search_%'").fetchone()[0]
    total = conn.execute("SELECT page_count * page_size FROM pragma_page_count,"
                         " pragma_page_size").fetchone()[0]
    conn.close()
    return int(idx or 0), int(total)


def grep_word(query: str) -> str:
    """What a person would grep for: the query's first word, without operators."""
    word = query.replace('"', "").split()[0].rstrip("*")
    return word


async def time_queries(db_path: Path, reps: int) -> dict[str, list[float]]:
    try:
        from ait42_session.service import Service  # the command path, as the bridge calls it
    except ImportError:  # before the core's Service: the function on one connection
        return await time_queries_direct(db_path, reps)

    out: dict[str, list[float]] = {}
    with Service.open(str(db_path)) as svc:
        for q in QUERIES:
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                svc.search_sessions(q, {"workspacePath": None, "limit": 50})
                times.append(time.perf_counter() - t)
            out[q] = times
    return out


async def time_queries_direct(db_path: Path, reps: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        for q in QUERIES:
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                await conn.execute("BEGIN")
                await search.search_sessions(conn, q, {"limit": 50})
                await conn.execute("COMMIT")
                times.append(time.perf_counter() - t)
            out[q] = times
    return out


def time_grep(folder: Path, reps: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for q in QUERIES:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            proc = subprocess.Popen(["grep", "-rnF", grep_word(q), str(folder)],
                                    stdout=subprocess.PIPE)
            assert proc.stdout is not None
            for _line in proc.stdout:
                pass
            proc.wait()
            times.append(time.perf_counter() - t)
        out[q] = times
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


async def write_cost(folder: Path, count: int) -> tuple[float, float]:
    """Seconds for ``count`` creates and updates through the service, on a fresh
    database with the index and on one whose index upkeep is turned off."""
    from ait42_session.service import Service

    rng = random.Random(7)
    sessions = []
    for n in range(count):
        insts = [{"instanceId": i, "worktreePath": f"/w/{n}/{i}", "branch": f"feature/{n}-{i}",
                  "agentName": AGENTS[i % 4], "status": "completed",
                  "tmuxSessionId": f"t{n}{i}", "output": chunk_text(rng, 4096)}
                 for i in range(3)]
        chat = [{"id": f"m{m}", "role": "user", "content": chunk_text(rng, 200),
                 "timestamp": f"2026-01-01T00:00:{m:02d}Z"} for m in range(10)]
        sessions.append({"id": f"w{n}", "type": "competition", "task": chunk_text(rng, 60),
                         "status": "completed", "createdAt": "2026-01-01T00:00:00Z",
                         "updatedAt": "2026-01-01T00:00:00Z", "instances": insts,
                         "chatHistory": chat})
    results = []
    original = search.index_sessions
    for with_index in (True, False):
        if not with_index:
            async def nothing(conn: aiosqlite.Connection, ids: Any) -> None:
                return None
            search.index_sessions = nothing  # type: ignore[assignment]
        path = folder / f"write_{with_index}.db"
        with Service.open(str(path)) as svc:
            t = time.perf_counter()
            for s in sessions:
                svc.create_session_sqlite("/bench/writes", s)
            for s in sessions:
                s2 = dict(s, task=str(s["task"]) + " updated")
                svc.update_session_sqlite("/bench/writes", s2)
            results.append(time.perf_counter() - t)
        search.index_sessions = original
    return results[0], results[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--workspaces", type=int, default=10)
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--output-kb", type=int, default=4)
    ap.add_argument("--big-every", type=int, default=10)
    ap.add_argument("--big-output-kb", type=int, default=100)
    ap.add_argument("--messages", type=int, default=10)
    ap.add_argument("--reps", type=int, default=5, help="runs of each query")
    ap.add_argument("--grep-reps", type=int, default=1)
    ap.add_argument("--writes", type=int, default=300, help="sessions created and updated")
    ap.add_argument("--dir", type=Path, default=None, help="where to build (default: a temp dir)")
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="search_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "sessions.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)
    say(f"building {args.sessions} sessions in {folder} ...")
    chars, built = build(db_path, args)
    say(f"  {built:.1f} s, {chars / 1e6:.0f} M characters of text")
    before = os.path.getsize(db_path)

    class Db:
        async def write(self, fn: Any, *a: Any) -> Any:
            async with aiosqlite.connect(db_path, isolation_level=None) as c:
                await c.execute("BEGIN IMMEDIATE")
                out = await fn(c, *a)
                await c.execute("COMMIT")
                return out

        read = write

    t = time.perf_counter()
    asyncio.run(search.backfill(
        Db(), lambda d, n: say(f"  indexed {d}/{n}") if d % 10000 < 500 or d == n else None,
        batch=500))
    index_build = time.perf_counter() - t
    index_bytes, total = sizes(db_path)
    say(f"index built in {index_build:.1f} s; index {index_bytes / 1e6:.0f} MB,"
        f" database {total / 1e6:.0f} MB (was {before / 1e6:.0f} MB)")
    legacy = folder / "legacy"
    write_legacy(db_path, legacy)
    legacy_bytes = sum(p.stat().st_size for p in legacy.iterdir())
    fts = asyncio.run(time_queries(db_path, args.reps))
    grep = time_grep(legacy, args.grep_reps)
    rows = [(q, statistics.median(fts[q]) * 1000, statistics.median(grep[q]) * 1000)
            for q in QUERIES]
    print(f"\n{args.sessions} sessions, {chars / 1e6:.0f} M characters of text,"
          f" legacy JSON {legacy_bytes / 1e6:.0f} MB")
    print("| query | search ms | grep -rnF ms |\n|---|---:|---:|")
    for q, a, b in rows:
        print(f"| `{q}` | {a:.1f} | {b:.0f} |")
    all_fts = [v * 1000 for q in QUERIES for v in fts[q]]
    all_grep = [v * 1000 for q in QUERIES for v in grep[q]]
    print(f"\nsearch p50 {pct(all_fts, .5):.1f} ms, p95 {pct(all_fts, .95):.1f} ms;"
          f" grep p50 {pct(all_grep, .5):.0f} ms, p95 {pct(all_grep, .95):.0f} ms;"
          f" p50 ratio {pct(all_grep, .5) / pct(all_fts, .5):.0f}x")
    print(f"index build {index_build:.1f} s ({args.sessions / index_build:.0f} sessions/s);"
          f" index {index_bytes / 1e6:.0f} MB for {chars / 1e6:.0f} M characters"
          f" ({index_bytes / chars:.2f} bytes per character)")
    if args.writes:
        with_i, without = asyncio.run(write_cost(folder, args.writes))
        print(f"{args.writes} creates + {args.writes} updates: {with_i:.2f} s with the index,"
              f" {without:.2f} s without ({with_i / without:.2f}x)")


if __name__ == "__main__":
    main()
