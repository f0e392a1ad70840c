"""Benchmark of the legacy JSON import (not part of the test run).

    python -m tools.import_bench [--sessions 10000 --files 50 --repeat 3]
                                 [--big-mb 200] [--skip-memory] [--skip-time]

1. Time: a generated folder (10,000 sessions, 30,000 instances, 100,000
   messages in 50 files by default) imported through the store's service, as
   the page and the command line do it (``start_import``, polled), against raw
   ``executemany`` of the same rows prepared beforehand (untimed), in two
   forms: one transaction per file, as the importer must (a bad file must not
   undo the others), and one transaction for everything. Medians of
   ``--repeat`` runs, each into a new database; the issue's goal is the import
   within 3x of the per-file floor.
2. Memory: one large generated file (``--big-mb``) imported by
   ``ait42-session import-json`` in a process of its own; its peak resident
   memory (``VmHWM``) against the file's size (goal: within 3x), next to
   the same process importing a tiny folder (what Python and the package cost
   before any file).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ait42_session.faces.service import Service
from ait42_session.legacy.json_files import list_files
from ait42_session.shape.models import Session
from ait42_session.shape.workspace import legacy_hash
from ait42_session.store import migrations
from ait42_session.store.rows import INSERT_INSTANCE, INSERT_MESSAGE, INSERT_SESSION, import_rows
from tests.legacy_sample import legacy_session, write_legacy_folder

Json = dict[str, Any]


def raw_executemany(db_path: str, folder: Path, *, per_file: bool) -> float:
    """The floor: the same rows inserted with plain ``executemany`` on one sqlite3 connection."""
    per: list[tuple[list[Any], list[Any], list[Any], list[Any]]] = []
    for path in list_files(folder):
        s_rows: list[Any] = []
        i_rows: list[Any] = []
        m_rows: list[Any] = []
        for raw in json.loads(path.read_text(encoding="utf-8")):
            srow, irows, mrows = import_rows(path.stem, Session.model_validate(raw))
            s_rows.append(srow)
            i_rows.extend(irows)
            m_rows.extend(mrows)
        ws = [(path.stem, None, "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z")]
        per.append((ws, s_rows, i_rows, m_rows))
    if not per_file and per:  # one batch: every table's rows together
        per = [([w for p in per for w in p[0]], [r for p in per for r in p[1]],
                [r for p in per for r in p[2]], [r for p in per for r in p[3]])]
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrations.apply_pending(conn, migrations.load())
        started = time.perf_counter()
        for ws_rows, s_rows, i_rows, m_rows in per:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO workspaces VALUES (?, ?, ?, ?)", ws_rows)
            conn.executemany(INSERT_SESSION, s_rows)
            conn.executemany(INSERT_INSTANCE, i_rows)
            conn.executemany(INSERT_MESSAGE, m_rows)
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def import_once(svc: Service, folder: Path) -> Json:
    job = svc.start_import(str(folder), {"noBackup": True})["jobId"]
    deadline = time.monotonic() + 600
    while (status := svc.get_import_status(job))["state"] == "running":
        if time.monotonic() > deadline:
            raise SystemExit("the benchmark import did not finish in 10 minutes")
        time.sleep(0.02)
    if status["state"] != "done":
        raise SystemExit(f"the benchmark import failed: {status.get('error')}")
    summary: Json = status["summary"]
    return summary


def median(values: list[float]) -> float:
    return round(sorted(values)[len(values) // 2], 3)


def bench_time(tmp: Path, sessions: int, files: int, repeat: int) -> Json:
    folder = tmp / "sessions"
    write_legacy_folder(folder, sessions=sessions, files=files, instances=3, messages=10)
    size = sum(p.stat().st_size for p in folder.iterdir())
    raw, one, imported = [], [], []
    rerun = 0.0
    summary: Json = {}
    for rep in range(max(1, repeat)):
        raw.append(raw_executemany(str(tmp / f"raw{rep}.db"), folder, per_file=True))
        one.append(raw_executemany(str(tmp / f"one{rep}.db"), folder, per_file=False))
        with Service.open(str(tmp / f"import{rep}.db")) as svc:
            started = time.perf_counter()
            summary = import_once(svc, folder)
            imported.append(time.perf_counter() - started)
            if rep == 0:
                started = time.perf_counter()
                again = import_once(svc, folder)
                rerun = time.perf_counter() - started
                assert again["totals"]["unchanged"]["sessions"] == sessions, again["totals"]
        for name in (f"raw{rep}.db", f"one{rep}.db", f"import{rep}.db"):
            for suffix in ("", "-wal", "-shm"):
                Path(tmp, name + suffix).unlink(missing_ok=True)
    t = summary["totals"]["written"]
    raw_m, one_m, import_m = median(raw), median(one), median(imported)
    return {"sessions": t["sessions"], "instances": t["instances"], "messages": t["messages"],
            "files": summary["files"]["imported"], "bytes": size, "repeat": len(imported),
            "importSeconds": import_m, "rawExecutemanyPerFileSeconds": raw_m,
            "rawOneTransactionSeconds": one_m,
            "ratioToPerFile": round(import_m / raw_m, 2) if raw_m else None,
            "ratioToOneTransaction": round(import_m / one_m, 2) if one_m else None,
            "rerunSeconds": round(rerun, 3), "verified": summary["verified"],
            "ok": summary["ok"]}


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
