"""The developer tools still run (tiny sizes; the real runs are ``./dev bench`` and
``./dev window-bench``). They print figures; nothing here checks a time."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import bench, catchup_bench, import_bench, insights_bench, search_bench, window_bench

ROOT = Path(__file__).resolve().parent.parent


def test_the_tight_loop_benchmark_runs_and_the_stores_agree(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--sizes", "4,11", "--repeat", "1", "--check", "--quiet"]) == 0
    table = capsys.readouterr().out
    for op in bench.OPERATIONS:
        assert table.count(op) >= 2, table
    assert "bridge/floor" in table and "legacy/bridge" in table and "bridge/off" in table
    assert "+catch-up" in table and "derived off" in table


def test_the_import_benchmark_counts_everything_and_measures_memory(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert import_bench.main(["--sessions", "200", "--files", "2", "--repeat", "1",
                              "--big-mb", "1"]) == 0
    decoder = json.JSONDecoder()
    out = capsys.readouterr().out
    timing, end = decoder.raw_decode(out)
    memory, _ = decoder.raw_decode(out[end:].lstrip())
    assert timing["ok"] and timing["verified"] == 200 and timing["sessions"] == 200
    assert timing["importSeconds"] > 0 and timing["rawExecutemanyPerFileSeconds"] > 0
    assert timing["importDerivedOffSeconds"] > 0 and timing["importJsonSeconds"] > 0
    assert timing["importWithoutSavepointSeconds"] > 0 and timing["catchUpSeconds"] > 0
    assert "| store / raw |" in out and "| import-json / raw |" in out
    assert memory["ok"] and memory["largestFileBytes"] >= 1_000_000
    assert memory["verified"] == memory["sessions"] > 0 and memory["peakRssBytes"] > 0


def test_the_search_benchmark_runs_every_query_and_both_write_paths(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert search_bench.main(["--sessions", "40", "--workspaces", "3", "--big-every", "20",
                              "--big-output-kb", "8", "--writes", "3", "--reps", "1",
                              "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n| `") == 20  # every query, with raw FTS5's and grep's time beside it
    assert "search p50" in out and "grep p50" in out and "bytes per character" in out
    assert "| command / raw FTS5" in out and "| grep / command" in out
    assert "sessions/s" in out and "MB of text/s" in out
    for kind in search_bench.WRITE_KINDS:
        assert f"| 3 x {kind} |" in out


def test_the_catch_up_benchmark_measures_lag_idle_cpu_and_appends(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert catchup_bench.main(["--sessions", "12", "--bursts", "2", "--burst", "20",
                               "--idle-seconds", "0.2", "--appends", "4", "--stream-kb", "20",
                               "--json"]) == 0
    out = capsys.readouterr().out
    figures, _ = json.JSONDecoder().raw_decode(out)
    assert figures["lag"]["bursts"] == 2 and figures["lag"]["lagP95"] > 0
    assert figures["lag"]["idleCpuPercent"] >= 0
    typical, grown = figures["streaming"]
    assert typical["appendMs"] > 0 and typical["updateMs"] > 0
    assert grown["outputKb"] == 20 and grown["sessionKb"] == 60
    assert "| update / append |" in out and "| idle CPU over" in out


@pytest.mark.parametrize("light", [False, True])
def test_the_insights_benchmark_compares_both_ways_and_they_agree(
        capsys: pytest.CaptureFixture[str], light: bool) -> None:
    assert insights_bench.main(["--sessions", "60", "--repeat", "1"]
                               + (["--light"] if light else [])) == 0
    out = capsys.readouterr().out
    assert "| Python / get_insights |" in out and "| answers equal | True (pending 0) |" in out
    assert ("light: 1-4 instances" in out) == light


@pytest.mark.window
def test_the_window_benchmark_measures_both_calls_and_the_board(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert window_bench.main(["--sizes", "30", "--rounds", "5", "--reloads", "1",
                              "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["sessions"] == 30
    assert result["echo_identical"] is True
    assert 14_000 < result["session_bytes"] < 16_000  # the ~15 KB session of issue 9
    for call in ("get", "echo", "empty"):
        assert result[call]["n"] == 5
    assert result["startup"]["cards"] == 30  # the first page shows the whole small board
    assert result["reload"]["n"] == 1


def _tool(*argv: str) -> str:
    """Run a tool as a person does (``python -m tools.<name>``, its own process and
    window); its standard output, after checking it ended well."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, env=env, timeout=240,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.window
def test_the_live_benchmark_sees_every_change_and_times_appends() -> None:
    out = _tool("tools.live_bench", "--sessions", "20", "--changes", "3", "--idle", "0.3",
                "--rounds", "5", "--json")
    figures = json.loads(out)
    window, append = figures["window"], figures["append"]
    assert window["seen"] == 3 and window["missing"] == [] and window["cards_shown"] == 3
    assert window["latency"]["n"] == 3 and window["latency"]["median_ms"] > 0
    assert window["idle_cpu_share"] >= 0
    assert append["rounds"] == 5 and append["append_ms"] > 0 and append["update_ms"] > 0


@pytest.mark.window
def test_the_compare_benchmark_times_both_pairs_and_the_scroll() -> None:
    out = _tool("tools.insights_bench", "--compare", "--repeat", "1")
    for pair in ("similar", "unrelated"):
        assert re.search(rf"compare two 100 KB outputs \({pair}; [\d,]+ and [\d,]+ lines\): "
                         r"\d+ ms to the first frame \(median of 1: fetch \d+, ANSI \d+, "
                         r"diff \d+, DOM \d+ ms\); rows in the DOM: \d+", out), out
    assert re.search(r"scrolling both columns top to bottom: \d+ frames, median [\d.]+ ms",
                     out), out


@pytest.mark.window
def test_the_sample_screenshots_are_pngs_of_every_view(tmp_path: Path) -> None:
    out = _tool("tools.screenshots", str(tmp_path), "--size", "900x700")
    shots = [Path(line) for line in out.split()]
    assert len(shots) >= 10 and {p.parent for p in shots} == {tmp_path}
    names = {p.stem for p in shots}
    for view in ("board", "detail", "database", "import"):  # the main views, both themes
        assert {f"{view}-light", f"{view}-dark"} <= names, names
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot


def test_the_import_depth_counts_what_runs_on_import(tmp_path: Path) -> None:
    """tools.import_depth follows module-level imports (also in try and if blocks)
    and leaves out those under TYPE_CHECKING; the package stays as flat as issue
    19 left it (8 modules deep, from 21)."""
    from tools import import_depth

    root = tmp_path / "ait42_session"
    (root / "low").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "low" / "__init__.py").write_text("")
    (root / "low" / "c.py").write_text("X = 1\n")
    (root / "low" / "b.py").write_text("try:\n    from ait42_session.low import c\n"
                                       "except ImportError:\n    c = None\n")
    (root / "a.py").write_text("from typing import TYPE_CHECKING\n"
                               "from ait42_session.low.b import c\n"
                               "if TYPE_CHECKING:\n    from ait42_session import d\n")
    (root / "d.py").write_text("from ait42_session import a\n")  # only a type of a's
    edges = import_depth.graph(root)
    assert edges["a"] == {"low.b"} and edges["low.b"] == {"low.c"}
    assert import_depth.deepest(edges) == ["d", "a", "low.b", "low.c"]
    assert len(import_depth.deepest(import_depth.graph())) <= 8
