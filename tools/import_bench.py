"""Benchmark of the legacy JSON import (not part of the test run).

    python -m tools.import_bench [--sessions 10000 --files 50 --repeat 3]
                                 [--big-mb 200] [--skip-memory] [--skip-time]

1. Time (issue 16's figures): a generated folder (10,000 sessions, 30,000
   instances, 100,000 messages in 50 files by default; the issue-4 shape) five
   ways, once each per repetition in a rotating order, each into a new
   database: stored and proved through the service as the page and the command
   line do it (``start_import``, polled; the catch-up of derived data waits
   while an import stores); the same with ``Service.open(db, derived=False)``;
   the same without ``SAVEPOINT import_batch`` around each batch
   (``writing._refused`` replaced by a plain call: does the savepoint still
   cost anything now that no per-row derived trigger fires?); the whole
   ``ait42-session import-json --no-backup`` until it returns (stored,
   proved, and every session searchable: the catch-up run to the log's end),
   which also gives the catch-up's rate; and the floor: parsing and validating
   the files as the importer does, then ``executemany`` of the rows into plain
   tables (the schema, every trigger dropped), one transaction per file.
   Medians of ``--repeat``; goals: store within 1.3x of derived=False and 2x
   of the floor, import-json within 3x of the floor.
2. Memory: one large generated file (``--big-mb``) imported by
   ``ait42-session import-json`` in a process of its own; its peak resident
   memory (``VmHWM``) against the file's size (goal: within 3x), next to
   the same process importing a tiny folder (what Python and the package cost
   before any file).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ait42_session.faces import cli
from ait42_session.faces.service import Service
from ait42_session.legacy.importer import writing
from ait42_session.legacy.json_files import list_files
from ait42_session.shape.models import Session
from ait42_session.shape.workspace import legacy_hash
from ait42_session.store import migrations
from ait42_session.store.columns import INSERT_INSTANCE, INSERT_MESSAGE, INSERT_SESSION
from ait42_session.store.rows import import_rows
from tests.legacy_sample import legacy_session, write_legacy_folder

from . import search_bench

Json = dict[str, Any]


def raw_executemany(db_path: str, folder: Path) -> float:
    """The floor: parse and validate each file as the importer does (``json``,
    the ``Session`` model, ``import_rows``), then plain ``executemany`` of its
    rows into plain tables (the project's schema with every trigger dropped),
    one transaction per file. Parsing is timed: it is work the import must do."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrations.apply_pending(conn, migrations.load())
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                    ).fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        started = time.perf_counter()
        for path in list_files(folder):
            s_rows: list[Any] = []
            i_rows: list[Any] = []
            m_rows: list[Any] = []
            for raw in json.loads(path.read_text(encoding="utf-8")):
                srow, irows, mrows = import_rows(path.stem, Session.model_validate(raw))
                s_rows.append(srow)
                i_rows.extend(irows)
                m_rows.extend(mrows)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO workspaces VALUES (?, ?, ?, ?)",
                         (path.stem, None, "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"))
            conn.executemany(INSERT_SESSION, s_rows)
            conn.executemany(INSERT_INSTANCE, i_rows)
            conn.executemany(INSERT_MESSAGE, m_rows)
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def import_once(svc: Service, folder: Path) -> Json:
    job = svc.start_import(str(folder), {"noBackup": True})["jobId"]
    deadline = time.monotonic() + 1800
    while (status := svc.get_import_status(job))["state"] == "running":
        if time.monotonic() > deadline:
            raise SystemExit("the benchmark import did not finish in 30 minutes")
        time.sleep(0.01)
    if status["state"] != "done":
        raise SystemExit(f"the benchmark import failed: {status.get('error')}")
    summary: Json = status["summary"]
    return summary


async def _plain(conn: Any, fn: Callable[[], Awaitable[None]]) -> str | None:
    """``writing._refused`` without its savepoint (the A/B of issue 16): the batch
    written plainly; the benchmark's files have no row the database refuses."""
    await fn()
    return None


def store(db: str, folder: Path, *, derived: bool = True, savepoint: bool = True) -> float:
    """Seconds to store and prove the folder through ``Service`` (``start_import``
    polled, as the page does; the catch-up waits while an import stores)."""
    original = writing._refused
    with Service.open(db, derived=derived) as svc:
        if not savepoint:
            writing._refused = _plain
        try:
            started = time.perf_counter()
            summary = import_once(svc, folder)
            elapsed = time.perf_counter() - started
        finally:
            writing._refused = original
    if not (summary["ok"] and summary["verified"] == summary["totals"]["written"]["sessions"]):
        raise SystemExit(f"the benchmark import did not prove its sessions: {summary}")
    return elapsed


def whole_import_json(db: str, folder: Path) -> tuple[float, Json]:
    """``ait42-session import-json DIR --no-backup --json`` in this process until
    it returns (stored, proved, and the catch-up run to the log's end: every
    session searchable); seconds and its summary."""
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--db", db, "import-json", str(folder), "--no-backup", "--json"])
    elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"import-json failed ({code}): {err.getvalue()[-2000:]}")
    summary: Json = json.loads(out.getvalue())
    return elapsed, summary


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


VARIANTS = ("raw", "store", "store derived=False", "store without savepoint", "import-json")


def bench_time(tmp: Path, sessions: int, files: int, repeat: int) -> Json:
    """Every variant once per repetition, in a rotating order, each into a new
    database; medians."""
    folder = tmp / "sessions"
    write_legacy_folder(folder, sessions=sessions, files=files, instances=3, messages=10)
    size = sum(p.stat().st_size for p in folder.iterdir())
    got: dict[str, list[float]] = {v: [] for v in VARIANTS}
    indexing: list[float] = []
    summary: Json = {}
    tbytes = 0
    for rep in range(max(1, repeat)):
        shift = rep % len(VARIANTS)
        for k, variant in enumerate(VARIANTS[shift:] + VARIANTS[:shift]):
            db = str(tmp / f"v{k}-{rep}.db")
            if variant == "raw":
                got[variant].append(raw_executemany(db, folder))
            elif variant == "import-json":
                seconds, summary = whole_import_json(db, folder)
                got[variant].append(seconds)
                indexing.append(summary["indexing"]["seconds"])
                if not tbytes:
                    tbytes = search_bench.text_bytes(Path(db))
            else:
                got[variant].append(store(db, folder, derived=variant != "store derived=False",
                                          savepoint=variant != "store without savepoint"))
            for suffix in ("", "-wal", "-shm"):
                Path(db + suffix).unlink(missing_ok=True)
    t = summary["totals"]["written"]
    m = {v: median(got[v]) for v in VARIANTS}
    idx = median(indexing)
    return {"sessions": t["sessions"], "instances": t["instances"], "messages": t["messages"],
            "files": summary["files"]["imported"], "bytes": size, "textBytes": tbytes,
            "repeat": len(indexing),
            "importSeconds": m["store"], "importDerivedOffSeconds": m["store derived=False"],
            "importWithoutSavepointSeconds": m["store without savepoint"],
            "rawExecutemanyPerFileSeconds": m["raw"], "importJsonSeconds": m["import-json"],
            "catchUpSeconds": idx,
            "catchUpSessionsPerSecond": round(t["sessions"] / idx) if idx else None,
            "catchUpTextMBPerSecond": round(tbytes / 1e6 / idx, 2) if idx else None,
            "ratioToDerivedOff": round(m["store"] / m["store derived=False"], 2),
            "ratioToRaw": round(m["store"] / m["raw"], 2),
            "importJsonRatioToRaw": round(m["import-json"] / m["raw"], 2),
            "savepointRatio": round(m["store"] / m["store without savepoint"], 3),
            "runs": {v: [round(x, 3) for x in got[v]] for v in VARIANTS},
            "verified": summary["verified"], "ok": summary["ok"]}


def table(t: Json) -> str:
    """Issue 16's import figures as a table."""
    rows = [
        ("store + prove (catch-up paused)", f"{t['importSeconds']:.2f} s", ""),
        ("store + prove, derived=False", f"{t['importDerivedOffSeconds']:.2f} s", ""),
        ("store + prove without SAVEPOINT import_batch",
         f"{t['importWithoutSavepointSeconds']:.2f} s", ""),
        ("parse + executemany, plain tables", f"{t['rawExecutemanyPerFileSeconds']:.2f} s", ""),
        ("import-json until searchable", f"{t['importJsonSeconds']:.2f} s", ""),
        ("store / derived=False", f"{t['ratioToDerivedOff']:.2f}x", "<= 1.3x"),
        ("store / raw", f"{t['ratioToRaw']:.2f}x", "<= 2x"),
        ("import-json / raw", f"{t['importJsonRatioToRaw']:.2f}x", "<= 3x"),
        ("store with / without savepoint", f"{t['savepointRatio']:.3f}x", "~1 (<= 1.05x)"),
        ("catch-up after import", f"{t['catchUpSeconds']:.2f} s: "
         f"{t['catchUpSessionsPerSecond']} sessions/s, {t['catchUpTextMBPerSecond']} MB of"
         " text/s", ""),
    ]
    lines = [f"import of {t['sessions']:,} sessions ({t['bytes'] / 1e6:.0f} MB of JSON, "
             f"{t['files']} files), medians of {t['repeat']} interleaved runs",
             "| figure | measured | goal |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def write_big_file(folder: Path, megabytes: int) -> Path:
    """One workspace file of about ``megabytes`` MB, written session by session."""
    folder.mkdir(parents=True, exist_ok=True)
    ws = "/bench/big"
    path = folder / f"{legacy_hash(ws)}.json"
    target = megabytes * 1_000_000
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        n = 0
        while out.tell() < target:
            session = legacy_session(n, ws, instances=3, messages=10, output_chars=4000)
            out.write(("," if n else "") + "\n" + json.dumps(session, indent=2))
            n += 1
        out.write("\n]")
    return path


_CHILD = """
import sys
from pathlib import Path
from ait42_session.faces.cli import main
try:
    code = main(sys.argv[2:])
finally:
    status = Path("/proc/self/status")
    hwm = [l for l in status.read_text().splitlines() if l.startswith("VmHWM:")] \
        if status.exists() else []
    Path(sys.argv[1]).write_text(hwm[0].split()[1] if hwm else "0")
sys.exit(code)
"""


def peak_rss(db: Path, folder: Path) -> tuple[int, Json]:
    """Peak resident bytes of ``ait42-session import-json`` on ``folder``; its summary.

    The child reports its own high-water mark (``VmHWM``): ``ru_maxrss`` of a
    child also counts the memory of this process it was forked from before exec.
    """
    out, peak = db.with_suffix(".out"), db.with_suffix(".hwm")
    cmd = [sys.executable, "-c", _CHILD, str(peak), "--db", str(db), "import-json",
           str(folder), "--no-backup", "--json"]
    with out.open("wb") as sink:
        done = subprocess.run(cmd, stdout=sink, stderr=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise SystemExit(f"import-json failed ({done.returncode}) on {folder}")
    summary: Json = json.loads(out.read_text(encoding="utf-8"))
    return int(peak.read_text()) * 1024, summary  # VmHWM is in kB


def bench_memory(tmp: Path, megabytes: int) -> Json:
    tiny = tmp / "tiny"
    write_legacy_folder(tiny, sessions=1, files=1)
    base, _ = peak_rss(tmp / "tiny.db", tiny)
    big = write_big_file(tmp / "big", megabytes)
    size = big.stat().st_size
    started = time.perf_counter()
    peak, summary = peak_rss(tmp / "big.db", big.parent)
    return {"largestFileBytes": size, "seconds": round(time.perf_counter() - started, 1),
            "sessions": summary["totals"]["written"]["sessions"],
            "verified": summary["verified"], "ok": summary["ok"],
            "peakRssBytes": peak, "baselineRssBytes": base,
            "peakOverFile": round(peak / size, 2),
            "peakAboveBaselineOverFile": round((peak - base) / size, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (medians shown)")
    parser.add_argument("--big-mb", type=int, default=200, help="size of the one large file")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-time", action="store_true")
    args = parser.parse_args(argv)
    out: Json = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_time:
            out["time"] = bench_time(Path(tmp), args.sessions, args.files, args.repeat)
            print(json.dumps(out["time"], indent=2), flush=True)
        if not args.skip_memory:
            out["memory"] = bench_memory(Path(tmp), args.big_mb)
            print(json.dumps(out["memory"], indent=2), flush=True)
    if "time" in out:
        print(table(out["time"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
