"""get_insights counts exactly as the contract says, on planted sessions; the
board finds the sessions behind each figure; the command line prints both forms."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ait42_session.derived import catchup
from ait42_session.faces import cli
from ait42_session.faces.service import Service
from ait42_session.shape import models, workspace
from ait42_session.shape.errors import ValidationError
from ait42_session.store import migrations, repository
from ait42_session.store.db import Database


def inst(i: int, agent: str, status: str = "completed", **fields: Any) -> dict[str, Any]:
    return {"instanceId": i, "worktreePath": f"/r/.wt/{i}", "branch": f"b{i}",
            "agentName": agent, "status": status, "tmuxSessionId": f"t{i}", **fields}


def sess(sid: str, instances: list[dict[str, Any]], *, created: str = "2026-01-13T10:00:00Z",
         updated: str = "2026-01-13T12:00:00Z", type_: str = "competition",
         **fields: Any) -> dict[str, Any]:
    return {"id": sid, "type": type_, "task": f"task {sid}", "status": "completed",
            "createdAt": created, "updatedAt": updated, "instances": instances, **fields}


PLANTED = [
    # a winner (instance 1, bob); alice's run has a duration of 60 s
    sess("won", [
        inst(0, "alice", runtime="claude", model="opus", startTime="2026-01-13T10:00:00Z",
             endTime="2026-01-13T10:01:00Z", linesAdded=10, linesDeleted=1),
        inst(1, "bob", runtime="codex", startTime="2026-01-13T10:00:00.000+05:30",
             endTime="2026-01-13T04:32:00.5Z", linesAdded=5),  # 120.5 s across an offset
    ], winnerId=1, model="sonnet"),
    # no winner; missing runtime and model (no session model either); missing times
    sess("open", [
        inst(0, "alice", "failed", startTime="2026-01-13T10:00:00Z"),
        inst(1, "bob", "running", runtime="", model=""),
    ]),
    # a winner whose session model stands in for the instance's; nanosecond times
    sess("won2", [
        inst(0, "alice", runtime="claude", startTime="2026-01-14T09:00:00.123456789Z",
             endTime="2026-01-14T09:00:30.123456789Z", linesDeleted=4),
    ], winnerId=0, model="haiku", type_="debate"),
    # deleted: never counted
    sess("gone", [inst(0, "mallory", runtime="claude")], winnerId=0, model="opus"),
]


@pytest.fixture
def svc(db_path: str) -> Any:
    with Service.open(db_path) as s:
        yield s


@pytest.fixture
def planted(svc: Any, tmp_path: Path) -> str:
    ws = str(tmp_path / "repo")
    for s in PLANTED:
        svc.create_session_sqlite(ws, s)
    svc.delete_session_sqlite(ws, "gone")
    svc.create_session_sqlite(str(tmp_path / "elsewhere"),
                              sess("other", [inst(0, "carol", runtime="gemini")],
                                   type_="ensemble"))
    return ws


def by(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {g[key]: {k: v for k, v in g.items() if k != key} for g in items}


def counts(instances: int, wins: int, decided: int, completed: int, failed: int,
           median: float | None, added: int, deleted: int) -> dict[str, Any]:
    return {"instances": instances, "wins": wins, "decided": decided, "completed": completed,
            "failed": failed, "medianDurationSeconds": median, "linesAdded": added,
            "linesDeleted": deleted}


def test_counting_rules_on_planted_sessions(svc: Any, planted: str) -> None:
    result = svc.get_insights({"workspacePath": planted})
    assert result["sessions"] == 3
    assert by(result["agents"], "agentName") == {
        # won#0 (decided, 60 s), open#0 (failed, no end), won2#0 (won, 30 s)
        "alice": counts(3, 1, 2, 2, 1, 45.0, 10, 5),
        # won#1 (won, 120.5 s), open#1 (running, blanks)
        "bob": counts(2, 1, 1, 1, 0, 120.5, 5, 0),
    }
    assert by(result["runtimes"], "runtime") == {
        "claude": counts(2, 1, 2, 2, 0, 45.0, 10, 5),
        "codex": counts(1, 1, 1, 1, 0, 120.5, 5, 0),
        "unknown": counts(2, 0, 0, 0, 1, None, 0, 0),  # none, and a blank one
    }
    assert by(result["models"], "model") == {
        "opus": counts(1, 0, 1, 1, 0, 60.0, 10, 1),
        "sonnet": counts(1, 1, 1, 1, 0, 120.5, 5, 0),  # the session's model stands in
        "haiku": counts(1, 1, 1, 1, 0, 30.0, 0, 4),
        "unknown": counts(2, 0, 0, 0, 1, None, 0, 0),  # neither has one
    }
    # sorted by instances, most first (ties by name)
    assert [g["agentName"] for g in result["agents"]] == ["alice", "bob"]
    assert [g["runtime"] for g in result["runtimes"]] == ["claude", "unknown", "codex"]
    assert [g["model"] for g in result["models"]] == ["unknown", "haiku", "opus", "sonnet"]
    assert result["weeks"] == [{"weekStart": "2026-01-12", "sessions": 3, "competition": 2,
                                "ensemble": 0, "debate": 1}]


def test_every_workspace_counts_the_same_way(svc: Any, planted: str) -> None:
    everything = svc.get_insights(None)
    assert everything == svc.get_insights({}) == svc.get_insights({"workspacePath": ""})
    assert everything["sessions"] == 4
    assert "mallory" not in by(everything["agents"], "agentName")  # deleted
    assert by(everything["agents"], "agentName")["carol"] == counts(1, 0, 0, 1, 0, None, 0, 0)
    alone = svc.get_insights({"workspacePath": planted})
    assert by(everything["agents"], "agentName")["alice"] == \
        by(alone["agents"], "agentName")["alice"]
    assert by(everything["models"], "model") == {
        **by(alone["models"], "model"),
        "unknown": counts(3, 0, 0, 1, 1, None, 0, 0)}


def test_filters_choose_the_sessions(svc: Any, planted: str) -> None:
    debate = svc.get_insights({"workspacePath": planted, "type": "debate"})
    assert debate["sessions"] == 1 and [g["agentName"] for g in debate["agents"]] == ["alice"]
    svc.update_session_sqlite(planted, dict(PLANTED[1], updatedAt="2026-02-01T00:00:00Z"))
    later = svc.get_insights({"updatedAfter": "2026-02-01T00:00:00Z"})
    assert later["sessions"] == 1 and later["weeks"][0]["weekStart"] == "2026-01-12"
    earlier = svc.get_insights({"workspacePath": planted,
                                "updatedBefore": "2026-02-01T00:00:00+00:00"})
    assert earlier["sessions"] == 2  # before is exclusive, after inclusive
    unknown_ws = svc.get_insights({"workspacePath": "/no/such/workspace"})
    assert unknown_ws == {"sessions": 0, "agents": [], "runtimes": [], "models": [],
                          "weeks": []}


@pytest.mark.parametrize("options", [
    {"workspace": "/x"}, {"type": "duel"}, {"updatedAfter": "last week"},
    {"updatedBefore": 5}, {"workspacePath": 3}, [], "all",
])
def test_options_are_refused_and_nothing_runs(svc: Any, options: Any) -> None:
    with pytest.raises(ValidationError):
        svc.get_insights(options)


def test_iso_weeks_across_a_year_boundary(svc: Any, tmp_path: Path) -> None:
    ws = str(tmp_path / "years")
    created = {  # 2026-01-01 is a Thursday: its ISO week starts on Monday 2025-12-29
        "a": ("2025-12-28T23:59:59Z", "competition"),  # Sunday: the week of 2025-12-22
        "b": ("2025-12-29T00:00:00Z", "ensemble"),
        "c": ("2026-01-01T12:00:00Z", "debate"),
        "d": ("2026-01-04T23:59:59.999Z", "debate"),  # Sunday, still that week
        "e": ("2026-01-05T00:00:00Z", "competition"),  # Monday: the next week
        # an offset: 2026-01-05T01:00+02:00 is Sunday 23:00 UTC, the week of 2025-12-29
        "f": ("2026-01-05T01:00:00+02:00", "competition"),
        "g": ("1969-12-31T12:00:00Z", "debate"),  # before the epoch: Monday 1969-12-29
    }
    for sid, (at, type_) in created.items():
        svc.create_session_sqlite(ws, sess(sid, [], created=at, type_=type_))
    weeks = svc.get_insights({"workspacePath": ws})["weeks"]
    assert weeks == [
        {"weekStart": "1969-12-29", "sessions": 1, "competition": 0, "ensemble": 0, "debate": 1},
        {"weekStart": "2025-12-22", "sessions": 1, "competition": 1, "ensemble": 0, "debate": 0},
        {"weekStart": "2025-12-29", "sessions": 4, "competition": 1, "ensemble": 1, "debate": 2},
        {"weekStart": "2026-01-05", "sessions": 1, "competition": 1, "ensemble": 0, "debate": 0},
    ]


def test_times_sqlite_cannot_read_are_parsed_exactly(svc: Any, tmp_path: Path) -> None:
    """RFC 3339 allows a lowercase ``t`` and ``z``; SQLite's julianday does not read them."""
    ws = str(tmp_path / "odd")
    svc.create_session_sqlite(ws, sess("odd", [
        inst(0, "alice", startTime="2026-01-13t10:00:00+05:30", endTime="2026-01-13T04:30:10Z"),
        inst(1, "alice", startTime="2026-01-13T10:00:00Z", endTime="2026-01-13t10:00:20.5z"),
        inst(2, "alice", startTime="2026-01-13T10:00:00Z", endTime="2026-01-13T10:01:00Z"),
    ]))
    agents = svc.get_insights({"workspacePath": ws})["agents"]
    assert agents[0]["medianDurationSeconds"] == 20.5  # of 10, 20.5 and 60
    assert svc.get_insights(None)["agents"][0]["medianDurationSeconds"] == 20.5


def test_the_board_finds_the_sessions_behind_a_figure(svc: Any, planted: str) -> None:
    def ids(**query: Any) -> set[str]:
        page = svc.list_session_summaries(planted, query)
        assert page["total"] == len(page["items"])
        return {s["id"] for s in page["items"]}

    assert ids(agent="alice") == {"won", "open", "won2"}
    assert ids(agent="bob", won=True) == {"won"}
    assert ids(agent="alice", won=True) == {"won2"}
    assert ids(agent="alice", instanceStatus="failed") == {"open"}
    assert ids(runtime="unknown") == {"open"}
    assert ids(model="sonnet") == {"won"}
    assert ids(model="unknown") == {"open"}
    assert ids(createdAfter="2026-01-12T00:00:00Z", createdBefore="2026-01-19T00:00:00Z",
               type="debate") == {"won2"}
    assert ids(createdAfter="2026-01-19T00:00:00Z") == set()
    with pytest.raises(ValidationError):
        svc.list_session_summaries(planted, {"instanceStatus": "won"})


# What insight_runs must hold: the same folding, recomputed from the two tables.
RECOMPUTED = """
SELECT s.workspace_hash, i.agent_name, coalesce(nullif(i.runtime, ''), 'unknown'),
       coalesce(nullif(i.model, ''), nullif(s.model, ''), 'unknown'), i.session_id,
       i.instance_id, s.type, s.updated_key, coalesce(i.model, '') <> '',
       coalesce(s.winner_id = i.instance_id, 0), s.winner_id IS NOT NULL, i.status,
       coalesce(i.lines_added, 0), coalesce(i.lines_deleted, 0),
       i.start_time IS NOT NULL AND i.end_time IS NOT NULL,
       CAST(round((julianday(i.end_time) - julianday(i.start_time)) * 86400000.0) AS INTEGER)
FROM instances i JOIN sessions s ON s.id = i.session_id
"""


def runs_agree(svc: Any, db_path: str) -> int:
    """After a read of insights (which first catches up with every write that
    returned), insight_runs holds exactly what the sessions and instances say."""
    if svc is not None:
        svc.get_insights(None)
    conn = sqlite3.connect(db_path)
    try:
        stored = sorted(conn.execute("SELECT * FROM insight_runs").fetchall())
        assert stored == sorted(conn.execute(RECOMPUTED).fetchall())
        # the running totals (migration 13) are the sums of those rows
        totals = sorted(conn.execute("SELECT * FROM insight_groups").fetchall())
        assert totals == sorted(conn.execute(catchup._sums()).fetchall())
        assert all(t[3] > 0 for t in totals)  # a group whose runs all left is gone
        return len(stored)
    finally:
        conn.close()


def test_the_runs_follow_every_write(svc: Any, planted: str, db_path: str) -> None:
    """The catch-up keeps insight_runs equal to the sessions and instances, command by
    command, by the time insights are read."""
    assert runs_agree(svc, db_path) == 6
    won = svc.get_session_sqlite(planted, "won")
    svc.update_session_sqlite(planted, dict(won, winnerId=0, model="", type="ensemble",
                                            updatedAt="2026-03-01T00:00:00Z"))
    assert runs_agree(svc, db_path) == 6
    svc.update_instance_status_sqlite(planted, "open", 1, "completed")
    svc.add_chat_message_sqlite(planted, "open", {"id": "m1", "role": "user", "content": "hi",
                                                  "timestamp": "2026-01-13T10:00:00Z"})
    svc.update_session_sqlite(planted, dict(PLANTED[1], instances=[
        inst(5, "zed", runtime="codex", model="opus")]))
    assert runs_agree(svc, db_path) == 5
    svc.delete_session_sqlite(planted, "won2")  # to the trash: its runs leave
    assert runs_agree(svc, db_path) == 4
    assert "haiku" not in by(svc.get_insights(None)["models"], "model")
    svc.restore_session(planted, "won2")  # back whole: counted again
    assert runs_agree(svc, db_path) == 5
    assert by(svc.get_insights(None)["models"], "model")["haiku"]["wins"] == 1
    svc.archive_session(planted, "won2", True)  # archived is still a session: it counts
    assert by(svc.get_insights(None)["models"], "model")["haiku"]["wins"] == 1
    svc.delete_session_sqlite(planted, "won2")
    assert runs_agree(svc, db_path) == 4
    assert {g["agentName"] for g in svc.get_insights(None)["agents"]} == {"alice", "bob", "zed",
                                                                          "carol"}


def test_grouping_reads_in_index_order(svc: Any, planted: str, db_path: str) -> None:
    """No sort and no join for any filter: the GROUP BY follows insight_runs' key; the
    weeks read the sessions' narrow index only."""
    from ait42_session.derived import insights

    def plan(sql: str, *params: Any) -> str:
        return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))

    conn = sqlite3.connect(db_path)
    try:
        for where in ("1", "r.workspace_hash = 'x'", "r.type = 'debate' AND r.updated_key >= 0"):
            steps = plan(insights._GROUPS.format(where=where))
            assert "TEMP B-TREE" not in steps and "instances" not in steps, steps
            steps = plan(insights._WEEKS.format(where=where))
            assert "COVERING INDEX idx_sessions_insights" in steps, steps
    finally:
        conn.close()


def test_medians_over_workspaces_odd_and_even(svc: Any, planted: str, tmp_path: Path) -> None:
    """A group's durations come from several workspaces' rows, merged, odd and even counts."""
    for k in range(7):
        ws = planted if k % 2 else str(tmp_path / f"ws{k}")
        svc.create_session_sqlite(ws, sess(f"more{k}", [
            inst(0, "alice", runtime="claude", startTime="2026-01-13T10:00:00Z",
                 endTime=f"2026-01-13T10:0{k % 4}:0{k}.25Z"),
            inst(1, "bob", startTime="2026-01-13T10:00:00Z", endTime="2026-01-13T11:00:00Z"),
        ], winnerId=k % 2))
    # alice: 60, 30 and .25, 61.25, 122.25, 183.25, 4.25, 65.25, 126.25 seconds
    everywhere = by(svc.get_insights(None)["agents"], "agentName")
    assert everywhere["alice"]["medianDurationSeconds"] == 61.25
    assert everywhere["bob"]["medianDurationSeconds"] == 3600.0  # 120.5 and seven hours
    here = by(svc.get_insights({"workspacePath": planted})["agents"], "agentName")
    # 60, 30, 61.25, 183.25, 65.25: the middle one
    assert here["alice"]["medianDurationSeconds"] == 61.25
    # bob here: 120.5 and three of 3600: an even count of four, the middle two's mean
    assert here["bob"]["medianDurationSeconds"] == 3600.0
    runtimes = by(svc.get_insights(None)["runtimes"], "runtime")
    # claude: alice's runs but the one without a runtime: 60, 30 and the seven above
    assert runtimes["claude"]["medianDurationSeconds"] == 61.25


async def test_running_totals_answer_as_the_runs_do(tmp_path: Path) -> None:
    """Every workspace at once is answered from the running totals and the walks to
    each index's middle; the same figures read run by run (as a filtered call
    does) agree, over hundreds of sessions written, rewritten and deleted, with
    odd and even counts, ties, negative and missing durations."""
    import random
    from datetime import UTC, datetime

    import aiosqlite

    from ait42_session.derived import insights

    def stamp(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    rng = random.Random(5)
    path = str(tmp_path / "many.db")
    with Service.open(path) as many:
        for k in range(300):
            start = 1_700_000_000 + rng.randrange(10**6)
            runs = [inst(i, rng.choice(["alice", "bob", "carol", "dave"]),
                         rng.choice(["completed", "failed", "running"]),
                         runtime=rng.choice(["claude", "codex", ""]),
                         model=rng.choice(["opus", "haiku", ""]),
                         linesAdded=rng.randrange(50),
                         **({} if rng.random() < 0.1 else {
                             "startTime": stamp(start),
                             "endTime": stamp(start + rng.randrange(-5, 4000))}))
                    for i in range(rng.randrange(1, 5))]
            ws = str(tmp_path / f"ws{k % 7}")
            many.create_session_sqlite(ws, sess(f"s{k}", runs, winnerId=rng.choice(
                [None, 0]), model=rng.choice(["sonnet", ""])))
            if k % 10 == 3:
                many.delete_session_sqlite(ws, f"s{k}")
            elif k % 10 == 5:
                many.update_instance_status_sqlite(ws, f"s{k}", 0, "failed")
        answer = many.get_insights(None)
    assert runs_agree(None, path) > 500
    async with aiosqlite.connect(path) as conn:
        fast = await insights._from_groups(conn)
        slow = await insights._from_runs(conn, "1", [])
    assert fast is not None and fast == slow
    assert [len(d) for d in slow] == [4, 3, 4]
    assert {g["agentName"]: g["instances"] for g in answer["agents"]} == {
        a: counts_[0] for a, (counts_, _m) in slow[0].items()}


async def test_the_migration_fills_the_runs_of_an_existing_database(tmp_path: Path) -> None:
    older = tmp_path / "older"
    older.mkdir()
    for m in migrations.default_dir().glob("*.sql"):
        if int(m.name.split("_")[0]) < 6:
            shutil.copy(m, older / m.name)
    path = str(tmp_path / "old.db")
    db = await Database.open(path, migrations_dir=older)
    try:
        for s in PLANTED:
            await db.write(repository.create_session, workspace.resolve(str(tmp_path / "w")),
                           models.validate(models.Session, s, "session"))
    finally:
        await db.close()
    db = await Database.open(path)  # applies migrations 6 to the latest
    try:
        await db.write(catchup.step)  # what the catch-up derives from them
    finally:
        await db.close()
    assert runs_agree(None, path) == 6


def test_command_line_table_and_json(planted: str, db_path: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--db", db_path, "insights", "--workspace", planted, "--json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["sessions"] == 3
    assert cli.main(["--db", db_path, "insights"]) == 0
    table = capsys.readouterr().out
    assert "4 session(s)" in table
    alice = next(line for line in table.splitlines() if line.startswith("alice"))
    assert alice.split()[:5] == ["alice", "3", "1", "2", "50%"]
    assert "2025-12-29" not in table and "2026-01-12" in table


def test_the_benchmark_runs_and_both_ways_agree(capsys: pytest.CaptureFixture[str]) -> None:
    """tools/insights_bench.py at a tiny size: random sessions (runs with and without a
    winner, runtime, model, lines or end time) give the same answer both ways."""
    from tools import insights_bench

    assert insights_bench.main(["--sessions", "400", "--repeat", "1",
                                "--output-bytes", "100", "--messages", "1"]) == 0
    out = capsys.readouterr().out
    assert "| answers equal | True (pending 0) |" in out and "| Python / get_insights |" in out


@pytest.mark.parametrize("seed", range(6))
def test_the_median_of_many_sorted_runs_is_the_median_of_all(seed: int) -> None:
    """Merging the sorted runs (2,000 and more values) agrees with sorting
    everything: odd and even counts, ties, negative durations (end before start)."""
    import random
    import statistics

    from ait42_session.derived.insights import _median_seconds

    rng = random.Random(seed)
    runs = [sorted(rng.randrange(-5_000, 3_600_000 if seed % 2 else 50) for _ in
                   range(rng.randrange(0, 400))) for _ in range(rng.randrange(8, 40))]
    runs.append([7] * (seed + 1))
    everything = [v for run in runs for v in run]
    assert len(everything) >= 2_000 or seed == 0
    assert _median_seconds(runs) == statistics.median(everything) / 1000
    assert _median_seconds([*runs, [10**9]]) == statistics.median([*everything, 10**9]) / 1000
    assert _median_seconds([[], []]) is None


def test_command_line_durations_read_like_the_window() -> None:
    """The table's median is written as the window's formatDuration writes it."""
    from ait42_session.derived.insights import format_duration
    assert format_duration(7140.4) == "1h 59m"
    assert format_duration(245) == "4m 05s"
    assert format_duration(12.4) == "12s"
    assert format_duration(None) == "-"
