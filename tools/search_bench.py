"""Benchmark of full-text search (issues 10 and 16); not part of the test run.

Builds a history (default 20,000 sessions in 10 workspaces, 3 instances with
4 KB of output each, every tenth session with 100 KB per instance, 10 chat
messages) of realistic text (``search_corpus``: Zipf-distributed words,
identifiers, paths, error lines, colour codes, some Japanese) straight with
``executemany`` (so its derived data is not there yet: every session waits in
the change log), and the same history as the shell's legacy JSON files. Then:

- the catch-up builds the search index and insights rows as the program does
  (``Service.open`` then ``run_until_current``): its rate in sessions/s and
  MB of text/s;
- 20 varied queries (rare, mid and common words, phrases, prefixes, OR,
  exclusion, Japanese, identifiers, a path, an agent name, a unique token),
  each run ``--reps`` times, interleaved with the same query three other ways:
  the ``search_sessions`` command (page of 50 with excerpts); raw FTS5 running
  the command's ranking rule (the same MATCH, the newest ``search.WINDOW``
  matches by rowid, bm25 with ``search._WEIGHTS``, ``LIMIT 50``, nothing else:
  ``RAW_RANKED``); the command with its excerpts left out (where its time
  goes); and ``grep -rnF`` of what a person would grep for over the
  JSON files (its output read through a pipe: GNU grep stops at the first
  match when it writes to /dev/null). Issue 16's goals: the command's p50
  within 2x of raw FTS5; at least 100x faster than grep at p50, 50x at p95;
- the index's size against the text it holds;
- writes through ``Service`` (create, update, status update, chat message)
  with the background catch-up on, each burst timed until the catch-up has
  finished with it, against ``Service.open(path, derived=False)``.

    python -m tools.search_bench --sessions 2000          # a quick check
    python -m tools.search_bench --sessions 100000 --dir /work/tmp/bench  # issue 16's size
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ait42_session.derived import search, search_excerpt
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


def text_bytes(db_path: Path) -> int:
    """Bytes (UTF-8) of the text the index is made from: tasks, outputs,
    branches, agent names and chat messages."""
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute(
            "SELECT (SELECT coalesce(sum(length(CAST(task AS BLOB))), 0) FROM sessions)"
            " + (SELECT coalesce(sum(length(CAST(output AS BLOB)) + length(CAST(branch AS BLOB))"
            " + length(CAST(agent_name AS BLOB))), 0) FROM instances)"
            " + (SELECT coalesce(sum(length(CAST(content AS BLOB))), 0) FROM chat_messages)"
        ).fetchone()[0])
    finally:
        conn.close()


def catch_up(db_path: Path, say: Callable[[str], None]) -> tuple[int, float]:
    """Index a history stored without its derived data the way the program
    does: ``Service.open`` and the catch-up run to the log's end (as
    ``import-json``'s second phase). (sessions re-derived, seconds)."""
    from ait42_session.faces.service import Service

    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 5:
            last[0] = now
            say(f"  caught up {done}/{total}")

    with Service.open(str(db_path), derived=False) as svc:
        t = time.perf_counter()
        done = svc.run(svc.context.derived.run_until_current(progress=progress))
        return done, time.perf_counter() - t


# The command's relevance rule, straight on the index: the same MATCH, the
# newest WINDOW matches by rowid, bm25 with the same weights, a page of 50; no
# filters, no sessions joined, no excerpts.
RAW_RANKED = (f"SELECT rowid, score FROM (SELECT rowid, bm25(search_fts, {search._WEIGHTS})"
              " AS score FROM search_fts WHERE search_fts MATCH ?"
              f" ORDER BY rowid DESC LIMIT {search.WINDOW}) ORDER BY score LIMIT 50")


def grep_once(folder: Path, word: str) -> float:
    """``grep -rnF word folder``, its output read through a pipe (GNU grep stops
    at the first match when it writes to /dev/null)."""
    t = time.perf_counter()
    proc = subprocess.Popen(["grep", "-rnF", word, str(folder)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    while proc.stdout.read(1 << 20):
        pass
    proc.wait()
    return time.perf_counter() - t


def time_searches(db_path: Path, legacy: Path | None, qs: list[tuple[str, str]], reps: int,
                  grep_reps: int) -> tuple[dict[str, dict[str, list[float]]], dict[str, int]]:
    """Each query through the command, raw FTS5 under the same ranking rule, and
    grep, interleaved (the three run back to back per query and repetition, in
    a rotating order), after one untimed warm-up of the first two. The times per
    variant and query, and how many hits the command's first page had."""
    from ait42_session.derived import search_text
    from ait42_session.faces.service import Service

    times: dict[str, dict[str, list[float]]] = {"command": {}, "bare": {}, "raw": {},
                                                "grep": {}}
    hits: dict[str, int] = {}
    raw = sqlite3.connect(db_path)
    raw.execute("PRAGMA cache_size = -16000")  # as the command's readers have
    matches = {q: search_text.parse_query(q).expression() for q, _g in qs}
    with Service.open(str(db_path)) as svc:
        try:
            for q, _g in qs:  # warm-up
                hits[q] = len(svc.search_sessions(q, {"limit": 50})["items"])
                if matches[q] is not None:
                    raw.execute(RAW_RANKED, (matches[q],)).fetchall()

            def command(q: str) -> None:
                svc.search_sessions(q, {"workspacePath": None, "limit": 50})

            def raw_fts(q: str) -> None:
                raw.execute(RAW_RANKED, (matches[q],)).fetchall()

            def bare(q: str) -> None:
                """The command with its excerpts left out: where its time goes."""
                excerpts = search_excerpt.matches
                search_excerpt.matches = _no_excerpts  # type: ignore[assignment]
                try:
                    command(q)
                finally:
                    search_excerpt.matches = excerpts

            for rep in range(reps):
                for n, (q, g) in enumerate(qs):
                    variants: list[tuple[str, Callable[[], object]]] = [
                        ("command", lambda q=q: command(q)),  # type: ignore[misc]
                        ("bare", lambda q=q: bare(q))]  # type: ignore[misc]
                    if matches[q] is not None:  # a query of exclusions only has none
                        variants.append(("raw", lambda q=q: raw_fts(q)))  # type: ignore[misc]
                    if legacy is not None and rep < grep_reps:
                        variants.append(("grep", lambda g=g: grep_once(legacy, g)))  # type: ignore[misc]
                    shift = (rep + n) % len(variants)
                    for name, fn in variants[shift:] + variants[:shift]:
                        t = time.perf_counter()
                        fn()
                        times[name].setdefault(q, []).append(time.perf_counter() - t)
        finally:
            raw.close()
    return times, hits


async def _no_excerpts(_conn: Any, hits: list[tuple[str, int, str]],
                       _query: Any) -> dict[str, search_excerpt.Matches]:
    return {sid: search_excerpt.Matches() for sid, _d, _t in hits}


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


WRITE_KINDS = ("create", "update", "status", "chat")


def write_cost(folder: Path, c: Corpus, count: int, big_every: int, rounds: int = 3,
               ) -> dict[str, tuple[float, float]]:
    """Seconds for ``count`` creates, updates (task and status changed), status
    updates and chat messages through the service with the background catch-up
    on (each burst timed until the catch-up has finished with it: the derived
    data is current when the clock stops) and with ``derived=False`` (no
    derived data kept). The two alternate, in turns, each on a new database;
    the median of ``rounds`` each."""
    sessions = write_sessions(c, count, big_every)
    got: dict[tuple[str, bool], list[float]] = {}
    for round_ in range(rounds):
        for derived in ((True, False) if round_ % 2 == 0 else (False, True)):
            path = folder / f"write_{derived}_{round_}.db"
            for kind, seconds in _writes(path, c, sessions, derived).items():
                got.setdefault((kind, derived), []).append(seconds)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {kind: (statistics.median(got[kind, True]), statistics.median(got[kind, False]))
            for kind in WRITE_KINDS}


def _writes(path: Path, c: Corpus, sessions: list[dict[str, Any]],
            derived: bool) -> dict[str, float]:
    from ait42_session.derived import catchup
    from ait42_session.faces.service import Service

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    out: dict[str, float] = {}
    with Service.open(str(path), derived=derived) as svc:

        def settled() -> None:
            """With the catch-up on: wait for it to reach the log's end."""
            while derived and svc.run(svc.db.read_one(catchup.pending)):
                time.sleep(0.002)

        t = time.perf_counter()
        for s in sessions:
            svc.create_session_sqlite("/bench/writes", s)
        settled()
        out["create"] = time.perf_counter() - t
        t = time.perf_counter()
        for s in sessions:
            svc.update_session_sqlite("/bench/writes", dict(
                s, task=s["task"] + " (updated)", status="completed"))
        settled()
        out["update"] = time.perf_counter() - t
        t = time.perf_counter()
        for s in sessions:  # what the shell does most: the whole session, a new status
            svc.update_session_sqlite("/bench/writes", dict(
                s, task=s["task"] + " (updated)", status="failed"))
        settled()
        out["status"] = time.perf_counter() - t
        t = time.perf_counter()
        for n, s in enumerate(sessions):
            svc.add_chat_message_sqlite("/bench/writes", s["id"], {
                "id": "late", "role": "assistant", "content": c.messages[n],
                "timestamp": "2026-01-02T00:00:00Z"})
        settled()
        out["chat"] = time.perf_counter() - t
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20_000)
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
        say(f"  {built:.1f} s, {chars / 1e6:.0f} M characters of text; catching up ...")
        caught, seconds = catch_up(db_path, say)
        (folder / "catchup").write_text(json.dumps([caught, seconds, text_bytes(db_path)]))
    chars = int((folder / "chars").read_text())
    caught, index_build, tbytes = json.loads((folder / "catchup").read_text())
    index_bytes, total = sizes(db_path)
    say(f"caught up in {index_build:.1f} s; index {index_bytes / 1e6:.0f} MB,"
        f" database {total / 1e6:.0f} MB; timing the queries ...")
    times, hits = time_searches(db_path, legacy, qs, args.reps, args.grep_reps)
    fts, raw, grep, bare = times["command"], times["raw"], times["grep"], times["bare"]
    legacy_bytes = sum(p.stat().st_size for p in legacy.iterdir()) if legacy else 0
    print(f"\n{args.sessions} sessions, {chars / 1e6:.0f} M characters of text"
          f" ({tbytes / 1e6:.0f} MB), legacy JSON {legacy_bytes / 1e6:.0f} MB;"
          f" {args.reps} runs of each query, interleaved")
    print("| query | hits (page) | command ms (median) | without excerpts ms | raw FTS5 ms"
          " | command/raw | grep -rnF ms | grep pattern |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for q, g in qs:
        cm = statistics.median(fts[q]) * 1000
        gm = f"{statistics.median(grep[q]) * 1000:.0f}" if q in grep else "-"
        rm = f"{statistics.median(raw[q]) * 1000:.1f}" if q in raw else "-"
        ratio = f"{cm / (statistics.median(raw[q]) * 1000):.1f}x" if q in raw else "-"
        bm = statistics.median(bare[q]) * 1000
        print(f"| `{q}` | {hits[q]} | {cm:.1f} | {bm:.1f} | {rm} | {ratio} | {gm} | `{g}` |")
    all_fts = [v * 1000 for q, _g in qs for v in fts[q]]
    all_raw = [v * 1000 for q, _g in qs for v in raw.get(q, [])]
    # the same queries on both sides of a ratio: raw FTS5 has no exclusions-only query
    with_raw = [v * 1000 for q, _g in qs if q in raw for v in fts[q]]
    print()
    print("| figure | p50 ms | p95 ms | goal |")
    print("|---|---:|---:|---|")
    print(f"| search_sessions (command) | {pct(all_fts, .5):.1f} | {pct(all_fts, .95):.1f} | |")
    all_bare = [v * 1000 for q, _g in qs for v in bare[q]]
    print(f"| the command without excerpts | {pct(all_bare, .5):.1f} | {pct(all_bare, .95):.1f}"
          " | |")
    print(f"| raw FTS5, same ranking rule ({len(raw)} queries) | {pct(all_raw, .5):.1f}"
          f" | {pct(all_raw, .95):.1f} | |")
    print(f"| command / raw FTS5 (same {len(raw)} queries) |"
          f" {pct(with_raw, .5) / pct(all_raw, .5):.2f}x"
          f" | {pct(with_raw, .95) / pct(all_raw, .95):.2f}x | p50 <= 2x |")
    bare_raw = [v * 1000 for q, _g in qs if q in raw for v in bare[q]]
    print(f"| without excerpts / raw FTS5 | {pct(bare_raw, .5) / pct(all_raw, .5):.2f}x"
          f" | {pct(bare_raw, .95) / pct(all_raw, .95):.2f}x | |")
    if grep:
        all_grep = [v * 1000 for q, _g in qs for v in grep[q]]
        print(f"| grep -rnF | {pct(all_grep, .5):.0f} | {pct(all_grep, .95):.0f} | |")
        print(f"| grep / command | {pct(all_grep, .5) / pct(all_fts, .5):.0f}x"
              f" | {pct(all_grep, .95) / pct(all_fts, .95):.0f}x | p50 >= 100x, p95 >= 50x |")
        print(f"| grep / raw FTS5 (what the ranking rule itself allows) |"
              f" {pct(all_grep, .5) / pct(all_raw, .5):.0f}x"
              f" | {pct(all_grep, .95) / pct(all_raw, .95):.0f}x | |")
    print(f"\nsearch p50 {pct(all_fts, .5):.1f} ms, p95 {pct(all_fts, .95):.1f} ms;"
          f" raw FTS5 p50 {pct(all_raw, .5):.1f} ms, p95 {pct(all_raw, .95):.1f} ms"
          + (f"; grep p50 {pct(all_grep, .5):.0f} ms, p95 {pct(all_grep, .95):.0f} ms"
             if grep else ""))
    print(f"catch-up (index + insights from the change log): {caught} sessions in"
          f" {index_build:.1f} s = {caught / index_build:.0f} sessions/s,"
          f" {tbytes / 1e6 / index_build:.1f} MB of text/s; index {index_bytes / 1e6:.0f} MB"
          f" for {chars / 1e6:.0f} M characters ({index_bytes / chars:.2f} bytes per"
          f" character); database {total / 1e6:.0f} MB")
    if args.writes:
        cost = write_cost(folder, corpus, args.writes, args.big_every)
        print(f"\n{args.writes} writes of each kind through Service, background catch-up on"
              " (timed until it is done) vs derived=False; medians of 3 alternating runs")
        print("| write | derived on s | derived=False s | ratio |")
        print("|---|---:|---:|---:|")
        for kind, (a, b) in cost.items():
            print(f"| {args.writes} x {kind} | {a:.2f} | {b:.2f} | {a / b:.2f}x |")
    return 0

if __name__ == "__main__":
    sys.exit(main())
