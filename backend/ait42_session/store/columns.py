"""The session tables' columns: the one place that names them, in the order
reads select them and ``rows`` builds the rows and dicts; the SQL fragments
built from them; the row types. Imports nothing of the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Json = dict[str, Any]
# One session as rows: (session row, instance rows, message rows), as inserted.
Row = Sequence[Any]  # a tuple as sqlite3 returns it
Rows = tuple[Row, list[Row], list[Row]]


def status_condition(column: str, status: str) -> tuple[str, list[Any]]:
    """The filter on a session status: ``running`` also holds the shell's debate
    statuses (``started``, ``round_<n>``), as the board's Running column does; any
    other status is matched as written."""
    if status == "running":
        return (f"({column} IN ('running', 'started') OR {column} GLOB 'round_[0-9]*')", [])
    return f"{column} = ?", [status]


# --------------------------------------------------------------------------
# Columns, in the order reads select them; the same order builds the dicts.
# --------------------------------------------------------------------------

S_COLS = ("id, type, task, status, created_at, updated_at, completed_at, model, "
           "timeout_seconds, preserve_worktrees, winner_id, runtime_mix, total_duration, "
           "total_files_changed, total_lines_added, total_lines_deleted, extra")
I_COLS = ("instance_id, worktree_path, branch, agent_name, status, tmux_session_id, output, "
           "start_time, end_time, files_changed, lines_added, lines_deleted, runtime, model, "
           "runtime_label, extra")
M_COLS = "id, role, content, timestamp, instance_id, extra"

# An instance's output as reads see it: the stored value, then what
# append_instance_output added since it was last folded in (migration 5).
APPENDS_OF_I = ("FROM output_appends a WHERE a.session_id = i.session_id"
                 " AND a.instance_id = i.instance_id")
OUTPUT_OF_I = (f"CASE WHEN EXISTS (SELECT 1 {APPENDS_OF_I}) THEN coalesce(i.output, '')"
               f" || (SELECT group_concat(text, '') FROM (SELECT a.text {APPENDS_OF_I}"
               " ORDER BY a.seq)) ELSE i.output END")


def qualified(alias: str, cols: str) -> str:
    """``"a, b"`` as ``"x.a, x.b"``: a column list for a join."""
    return ", ".join(f"{alias}.{c.strip()}" for c in cols.split(","))


# Each table's columns in the order ``import_rows`` builds its rows.
S_ROW = f"{S_COLS}, workspace_hash, created_key, updated_key, instance_count, message_count"
I_ROW = f"session_id, {I_COLS}"
M_ROW = f"session_id, ts_key, {M_COLS}"
# The instance columns of I_ROW as reads select them (alias i), output merged.
I_READ = qualified("i", I_ROW).replace("i.output", OUTPUT_OF_I)
INSERT_SESSION = f"INSERT INTO sessions ({S_ROW}) VALUES (" + ", ".join("?" * 22) + ")"
INSERT_INSTANCE = f"INSERT INTO instances ({I_ROW}) VALUES (" + ", ".join("?" * 17) + ")"
INSERT_MESSAGE = f"INSERT INTO chat_messages ({M_ROW}) VALUES (" + ", ".join("?" * 8) + ")"
UPDATE_SESSION = (
    "UPDATE sessions SET " + ", ".join(f"{c.strip()} = ?" for c in S_COLS.split(",")[1:])
    + ", created_key = ?, updated_key = ?, instance_count = ?, message_count = ?"
    " WHERE id = ? AND workspace_hash = ?"
)
