"""Benchmark of full-text search (issue 10); not part of the test run.

Builds a history (default 100,000 sessions in 10 workspaces, 3 instances with
4 KB of output each, every tenth session with 100 KB per instance, 10 chat
messages) of realistic text (``search_corpus``: Zipf-distributed words,
identifiers, paths, error lines, colour codes, some Japanese) straight with
``executemany``, and the same history as the shell's legacy JSON files. Then:

- the time to index it as an existing database is indexed at start-up;
- 20 varied queries (rare, mid and common words, phrases, prefixes, OR,
  exclusion, Japanese, identifiers, a path, an agent name, a unique token)
  through the ``search_sessions`` command, against ``grep -rnF`` of what a
  person would grep for over the JSON files (grep's output read through a pipe:
  GNU grep stops at the first match when it writes to /dev/null);
- the index's size against the text it holds;
- the cost of the index on create, update and add-chat-message against the
  same commands on a database without search (no index, no triggers).

    python -m tools.search_bench --sessions 2000          # a quick check
    python -m tools.search_bench --dir /work/tmp/bench    # the full run (~15 GB of disk)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import aiosqlite

from ait42_session.derived import search
from ait42_session.shape.workspace import legacy_hash
from ait42_session.store import migrations

from .search_corpus import AGENTS, Corpus, make_corpus

TYPES = ("competition", "ensemble", "debate")
STATUSES = ("running", "completed", "failed", "paused")


def queries(c: Corpus) -> list[tuple[str, str]]:
    """(query, what a person would grep for) of every kind the contract has."""
    w, i = c.words, c.idents
    return [
        ("error", "error"), ("test failed", "failed"), ("migration", "migration"),
        (w[2000], w[2000]), (w[15000], w[15000]), (w[30000], w[30000]),
        ('"borrow of moved value"', "borrow of moved value"),
        ('"connection refused"', "connection refused"),
        ("migrat*", "migrat"), (w[3000][:5] + "*", w[3000][:5]),
        ("timeout OR deadlock", "deadlock"), ("deploy -rollback", "deploy"),
        ("認証", "認証"), ("データベース", "データベース"),
        (i[20], i[20]), (i[3000], i[3000]), (c.paths[5], c.paths[5]),
        ("TypeError undefined", "TypeError"), ("security-reviewer", "security-reviewer"),
        ("finished run-0004242-1", "run-0004242-1"),
    ]


def build(db_path: Path, legacy: Path | None, c: Corpus,
          args: argparse.Namespace) -> tuple[int, float]:
    """Write the history with executemany (and as JSON files); (characters, seconds)."""
    rng = random.Random(7)
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrations.prepare_new_file(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    migrations.apply_pending(conn, migrations.load())
    started = time.perf_counter()
    chars = 0
    workspaces = [f"/bench/workspace{w}" for w in range(args.workspaces)]
    hashes = [legacy_hash(w) for w in workspaces]
    files: list[TextIO] = []
    if legacy is not None:
        legacy.mkdir(parents=True, exist_ok=True)
        files = [(legacy / f"{h}.json").open("w", encoding="utf-8") for h in hashes]
        for fh in files:
            fh.write("[")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO workspaces VALUES (?, ?, '2026-01-01T00:00:00Z',"
                     " '2026-01-01T00:00:00Z')", list(zip(hashes, workspaces, strict=True)))
    batch_s: list[tuple[Any, ...]] = []
    batch_i: list[tuple[Any, ...]] = []
    batch_m: list[tuple[Any, ...]] = []
    base = 1735689600  # 2025-01-01
    for n in range(args.sessions):
        sid = f"session_{n:07d}"
        w = (n + n // 10) % args.workspaces  # big sessions spread over every workspace
        secs = base + n * 600
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))
        key = secs * 1_000_000
        task = c.task()
        typ, status = TYPES[n % 3], STATUSES[rng.randrange(4)]
        chars += len(task)
        batch_s.append((sid, hashes[w], typ, task, status, at, key, at, key,
                        args.instances, args.messages))
        big = args.big_every and n % args.big_every == 0
        insts = []
        for k in range(args.instances):
            out = c.output((args.big_output_kb if big else args.output_kb) * 1024,
                           f"finished run-{n:07d}-{k} in {rng.randint(5, 900)}s"
                           f" id {rng.getrandbits(40):010x}")
            branch, agent = c.branch(), AGENTS[rng.randrange(len(AGENTS))]
            chars += len(out) + len(branch) + len(agent)
            batch_i.append((sid, k, f"/bench/wt/{sid}/{k}", branch, agent, "completed",
                            f"tmux-{sid}-{k}", out))
            insts.append({"instanceId": k, "worktreePath": f"/bench/wt/{sid}/{k}",
                          "branch": branch, "agentName": agent, "status": "completed",
                          "tmuxSessionId": f"tmux-{sid}-{k}", "output": out})
        chat = []
        for m in range(args.messages):
            content = c.messages[rng.randrange(len(c.messages))]
            chars += len(content)
            role = "user" if m % 2 == 0 else "assistant"
            batch_m.append((sid, f"m{m}", role, content, at, key + m))
            chat.append({"id": f"m{m}", "role": role, "content": content, "timestamp": at})
        if files:
            doc = {"id": sid, "type": typ, "task": task, "status": status, "createdAt": at,
                   "updatedAt": at, "instances": insts, "chatHistory": chat}
            fh = files[w]
            fh.write(("\n" if fh.tell() <= 1 else ",\n")
                     + json.dumps(doc, indent=2, ensure_ascii=False))
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
    for fh in files:
        fh.write("\n]\n")
        fh.close()
    return chars, time.perf_counter() - started


def sizes(db_path: Path) -> tuple[int, int]:
    """(bytes of the search tables and their indexes, bytes of the database)."""
    conn = sqlite3.connect(db_path)
    idx = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_%'"
                       " OR name LIKE 'sqlite_autoindex_search_%'").fetchone()[0]
    total = conn.execute("SELECT page_count * page_size FROM pragma_page_count,"
                         " pragma_page_size").fetchone()[0]
    conn.close()
    return int(idx or 0), int(total)


def time_queries(db_path: Path, qs: list[tuple[str, str]], reps: int,
                 ) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each query ``reps`` times through the command (after one warm-up run);
    the times, and how many hits the first page had."""
    from ait42_session.faces.service import Service

    out: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    with Service.open(str(db_path)) as svc:
        for q, _g in qs:
            hits[q] = len(svc.search_sessions(q, {"limit": 50})["items"])
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                svc.search_sessions(q, {"workspacePath": None, "limit": 50})
                times.append(time.perf_counter() - t)
            out[q] = times
    return out, hits


def time_raw_fts(db_path: Path, qs: list[tuple[str, str]], reps: int,
                 ) -> dict[str, list[float]]:
    """Each query's own MATCH expression straight on the index with ``ORDER BY
    rank LIMIT 50`` and nothing else (no filters, no sessions, no excerpts):
    the floor under the command. A query with only exclusions has none."""
    from ait42_session.derived import search_text

    out: dict[str, list[float]] = {}
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA cache_size = -16000")  # as the command's readers have
    try:
        for q, _g in qs:
            match = search_text.parse_query(q).expression()
            if match is None:
                continue
            sql = "SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rank LIMIT 50"
            conn.execute(sql, (match,)).fetchall()  # warm-up, as the command has
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                conn.execute(sql, (match,)).fetchall()
                times.append(time.perf_counter() - t)
            out[q] = times
    finally:
        conn.close()
    return out


def time_grep(folder: Path, qs: list[tuple[str, str]], reps: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for q, word in qs:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            proc = subprocess.Popen(["grep", "-rnF", word, str(folder)], stdout=subprocess.PIPE)
            assert proc.stdout is not None
            while proc.stdout.read(1 << 20):
                pass
            proc.wait()
            times.append(time.perf_counter() - t)
        out[q] = times
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def write_sessions(c: Corpus, count: int, big_every: int) -> list[dict[str, Any]]:
    rng = random.Random(11)
    sessions = []
    for n in range(count):
        size = 100 * 1024 if big_every and n % big_every == 0 else 4096
        insts = [{"instanceId": i, "worktreePath": f"/w/{n}/{i}", "branch": c.branch(),
                  "agentName": AGENTS[rng.randrange(len(AGENTS))], "status": "running",
                  "tmuxSessionId": f"t{n}-{i}", "output": c.output(size, f"done w{n}-{i}")}
                 for i in range(3)]
        chat = [{"id": f"m{m}", "role": "user", "content": c.messages[rng.randrange(20000)],
                 "timestamp": f"2026-01-01T00:00:{m:02d}Z"} for m in range(10)]
        sessions.append({"id": f"w{n}", "type": "competition", "task": c.task(),
                         "status": "running", "createdAt": "2026-01-01T00:00:00Z",
                         "updatedAt": "2026-01-01T00:00:00Z", "instances": insts,
                         "chatHistory": chat})
    return sessions


def write_cost(folder: Path, c: Corpus, count: int, big_every: int, rounds: int = 2,
               ) -> dict[str, tuple[float, float]]:
    """Seconds for ``count`` creates, updates (task and status changed) and
    chat messages through the service, with search and on a database without
    it (its search triggers dropped and its index upkeep a no-op)."""
    sessions = write_sessions(c, count, big_every)
    patched = {name: getattr(search, name) for name in search.UPKEEP}
    best: dict[tuple[str, bool], float] = {}
    for round_ in range(rounds):  # alternated, best of each: the machine's noise
        for with_index in (True, False):
            path = folder / f"write_{with_index}_{round_}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            for kind, seconds in _writes(path, c, sessions, with_index, patched).items():
                best[kind, with_index] = min(best.get((kind, with_index), seconds), seconds)
    kinds = ("create", "update", "status", "chat")
    return {kind: (best[kind, True], best[kind, False]) for kind in kinds}


def _writes(path: Path, c: Corpus, sessions: list[dict[str, Any]], with_index: bool,
            patched: dict[str, Any]) -> dict[str, float]:
    from ait42_session.faces.service import Service

    async def nothing(*_args: Any) -> None:
        return None

    out: dict[str, float] = {}
    with Service.open(str(path)) as svc:
        if not with_index:
            for name in patched:
                setattr(search, name, nothing)
            conn = sqlite3.connect(path)
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type ="
                                        " 'trigger' AND name LIKE 'search%'").fetchall():
                conn.execute(f"DROP TRIGGER {name}")
            conn.commit()
            conn.close()
        try:
            t = time.perf_counter()
            for s in sessions:
                svc.create_session_sqlite("/bench/writes", s)
            out["create"] = time.perf_counter() - t
            t = time.perf_counter()
            for s in sessions:
                svc.update_session_sqlite("/bench/writes", dict(
                    s, task=s["task"] + " (updated)", status="completed"))
            out["update"] = time.perf_counter() - t
            t = time.perf_counter()
            for s in sessions:  # what the shell does most: the whole session, a new status
                svc.update_session_sqlite("/bench/writes", dict(
                    s, task=s["task"] + " (updated)", status="failed"))
            out["status"] = time.perf_counter() - t
            t = time.perf_counter()
            for n, s in enumerate(sessions):
                svc.add_chat_message_sqlite("/bench/writes", s["id"], {
                    "id": "late", "role": "assistant", "content": c.messages[n],
                    "timestamp": "2026-01-02T00:00:00Z"})
            out["chat"] = time.perf_counter() - t
        finally:
            for name, fn in patched.items():
                setattr(search, name, fn)
    return out


class _Db:
    """What ``search.backfill`` needs, on one connection of its own."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def write(self, fn: Any, *a: Any) -> Any:
        async with aiosqlite.connect(self.path, isolation_level=None) as conn:
            await conn.execute("BEGIN IMMEDIATE")
            out = await fn(conn, *a)
            await conn.execute("COMMIT")
            return out

    read = write


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--workspaces", type=int, default=10)
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--output-kb", type=int, default=4)
    ap.add_argument("--big-every", type=int, default=10)
    ap.add_argument("--big-output-kb", type=int, default=100)
    ap.add_argument("--messages", type=int, default=10)
    ap.add_argument("--reps", type=int, default=5, help="runs of each query")
    ap.add_argument("--grep-reps", type=int, default=1)
    ap.add_argument("--no-grep", action="store_true", help="skip the JSON files and grep")
    ap.add_argument("--writes", type=int, default=300, help="sessions created and updated")
    ap.add_argument("--batch", type=int, default=500, help="sessions per indexing step")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the database and JSON files of a previous run in --dir")
    ap.add_argument("--dir", type=Path, default=None, help="where to build (default: a temp dir)")
    args = ap.parse_args(argv)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="search_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "sessions.db"
    legacy = None if args.no_grep else folder / "legacy"

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    t = time.perf_counter()
    corpus = make_corpus()
    qs = queries(corpus)
    say(f"corpus ready in {time.perf_counter() - t:.1f} s")
    if not (args.reuse and db_path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        say(f"building {args.sessions} sessions in {folder} ...")
        chars, built = build(db_path, legacy, corpus, args)
        (folder / "chars").write_text(str(chars))
        say(f"  {built:.1f} s, {chars / 1e6:.0f} M characters of text")
        t = time.perf_counter()
        asyncio.run(search.backfill(
            _Db(db_path), lambda d, n: say(f"  indexed {d}/{n}")
            if d % 10000 < args.batch or d == n else None, batch=args.batch))
        index_build = time.perf_counter() - t
        (folder / "index_seconds").write_text(str(index_build))
    chars = int((folder / "chars").read_text())
    index_build = float((folder / "index_seconds").read_text())
    index_bytes, total = sizes(db_path)
    say(f"index built in {index_build:.1f} s; index {index_bytes / 1e6:.0f} MB,"
        f" database {total / 1e6:.0f} MB")
    fts, hits = time_queries(db_path, qs, args.reps)
    raw = time_raw_fts(db_path, qs, args.reps)
    grep = time_grep(legacy, qs, args.grep_reps) if legacy is not None else None
    legacy_bytes = sum(p.stat().st_size for p in legacy.iterdir()) if legacy else 0
    print(f"\n{args.sessions} sessions, {chars / 1e6:.0f} M characters of text,"
          f" legacy JSON {legacy_bytes / 1e6:.0f} MB")
    print("| query | hits (page) | search ms (median) | raw FTS5 ms | grep -rnF ms"
          " | grep pattern |")
    print("|---|---:|---:|---:|---:|---|")
    for q, g in qs:
        gm = f"{statistics.median(grep[q]) * 1000:.0f}" if grep else "-"
        rm = f"{statistics.median(raw[q]) * 1000:.1f}" if q in raw else "-"
        print(f"| `{q}` | {hits[q]} | {statistics.median(fts[q]) * 1000:.1f} | {rm} | {gm}"
              f" | `{g}` |")
    all_fts = [v * 1000 for q, _g in qs for v in fts[q]]
    all_raw = [v * 1000 for q, _g in qs for v in raw.get(q, [])]
    line = f"\nsearch p50 {pct(all_fts, .5):.1f} ms, p95 {pct(all_fts, .95):.1f} ms"
    line += (f"; raw FTS5 p50 {pct(all_raw, .5):.1f} ms, p95 {pct(all_raw, .95):.1f} ms"
             f" ({len(raw)} queries)")
    if grep:
        all_grep = [v * 1000 for q, _g in qs for v in grep[q]]
        line += (f"; grep p50 {pct(all_grep, .5):.0f} ms, p95 {pct(all_grep, .95):.0f} ms;"
                 f" ratio p50 {pct(all_grep, .5) / pct(all_fts, .5):.0f}x,"
                 f" p95 {pct(all_grep, .95) / pct(all_fts, .95):.0f}x;"
                 f" raw FTS5 ratio p50 {pct(all_grep, .5) / pct(all_raw, .5):.0f}x,"
                 f" p95 {pct(all_grep, .95) / pct(all_raw, .95):.0f}x")
    print(line)
    print(f"index build {index_build:.1f} s ({args.sessions / index_build:.0f} sessions/s);"
          f" index {index_bytes / 1e6:.0f} MB for {chars / 1e6:.0f} M characters"
          f" ({index_bytes / chars:.2f} bytes per character); database {total / 1e6:.0f} MB")
    if args.writes:
        cost = write_cost(folder, corpus, args.writes, args.big_every)
        for kind, (a, b) in cost.items():
            print(f"{args.writes} x {kind}: {a:.2f} s with search, {b:.2f} s without"
                  f" ({a / b:.2f}x)")
        a = cost["create"][0] + cost["update"][0]
        b = cost["create"][1] + cost["update"][1]
        print(f"create + update: {a:.2f} s with search, {b:.2f} s without ({a / b:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
