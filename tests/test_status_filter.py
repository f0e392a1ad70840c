"""The status filter of the board and of search: "running" holds the shell's debate
statuses (``started``, ``round_<n>``) as the board's Running column does; any other
status is matched as written."""

from __future__ import annotations

import pytest

from ait42_session.faces.service import Service
from ait42_session.shape.errors import ValidationError

from .conftest import make_session

STATUSES = {"r": "running", "c": "completed", "d1": "round_2", "d2": "started",
            "d3": "round_12"}


def test_running_holds_the_shells_debate_statuses(db_path: str, workspace: str) -> None:
    with Service.open(db_path) as svc:
        for sid, status in STATUSES.items():
            try:
                svc.create_session_sqlite(workspace, make_session(
                    sid, task=f"refactor the parser {sid}", status=status,
                    updated=f"2026-01-13T12:3{len(sid)}:00Z"))
            except ValidationError:
                pytest.skip(f"this database does not keep the shell's {status} yet")

        def board(status: str) -> set[str]:
            page = svc.list_session_summaries(workspace, {"status": status})
            return {s["id"] for s in page["items"]}

        def found(status: str) -> set[str]:
            hits = svc.search_sessions("parser", {"status": status})["items"]
            return {h["sessionId"] if "sessionId" in h else h["id"] for h in hits}

        running = {"r", "d1", "d2", "d3"}
        assert board("running") == running == found("running")
        assert board("round_2") == {"d1"} == found("round_2")
        assert board("completed") == {"c"} == found("completed")
        assert svc.list_session_summaries(workspace, {"status": "running"})["total"] == 4
