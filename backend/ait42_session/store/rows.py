"""Sessions as rows and rows as sessions, over the columns ``columns`` names.

A session is stored as a ``sessions`` row, ``instances`` rows and
``chat_messages`` rows; unknown fields go to each row's ``extra`` JSON. The
builders here turn a validated model into the rows an INSERT takes, and rows
read back into the contract's camelCase dicts, in the same column order, so a
write and the read that follows it cannot disagree.
"""

from __future__ import annotations

import json
import operator
from typing import TYPE_CHECKING, Any

from ait42_session.shape.errors import ValidationError
from ait42_session.shape.timestamps import timestamp_key
from ait42_session.store.columns import Json, Row, Rows

if TYPE_CHECKING:
    from ait42_session.shape.models import ChatMessage, Instance, Session

# The dicts' keys of the columns, in ``columns.S_COLS`` / ``I_COLS`` order.
_S_KEYS = ("completedAt", "model", "timeoutSeconds")  # row[6..8]
_S_TOTALS = ("totalDuration", "totalFilesChanged", "totalLinesAdded", "totalLinesDeleted")

_I_KEYS = ("instanceId", "worktreePath", "branch", "agentName", "status", "tmuxSessionId",
           "output", "startTime", "endTime", "filesChanged", "linesAdded", "linesDeleted",
           "runtime", "model", "runtimeLabel")

# Encoders made once: json.dumps with any non-default option builds a new
# encoder on every call, which an import makes four times per session.
JSON_TEXT = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def _extra(value: dict[str, Any] | None) -> str | None:
    """Unknown fields as JSON text; refuse what JSON cannot hold (NaN, sets, bytes...)."""
    if not value:
        return None
    try:
        return JSON_TEXT(value)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ValidationError(
            f"unknown field(s) {', '.join(map(repr, value))} hold a value JSON cannot store "
            f"({exc})"
        ) from None


def _session_dict(row: Row) -> Json:
    out: Json = {"id": row[0], "type": row[1], "task": row[2], "status": row[3],
                 "createdAt": row[4], "updatedAt": row[5]}
    for key, value in zip(_S_KEYS, row[6:9], strict=True):
        if value is not None:
            out[key] = value
    if row[9] is not None:
        out["preserveWorktrees"] = bool(row[9])
    if row[10] is not None:
        out["winnerId"] = row[10]
    if row[11] is not None:
        out["runtimeMix"] = json.loads(row[11])
    for key, value in zip(_S_TOTALS, row[12:16], strict=True):
        if value is not None:
            out[key] = value
    if row[16] is not None:
        out.update(json.loads(row[16]))
    return out


# Child rows are read whole, as inserted (session_id first; a message's ts_key
# next), and indexed in place: slicing each row first cost an import a tuple
# per row.
def _instance_dict(row: Row) -> Json:
    out: Json = {key: value for key, value in zip(_I_KEYS, row[1:16], strict=True)
                 if value is not None}
    if row[16] is not None:
        out.update(json.loads(row[16]))
    return out


def _message_dict(row: Row) -> Json:
    out: Json = {"id": row[2], "role": row[3], "content": row[4], "timestamp": row[5]}
    if row[6] is not None:
        out["instanceId"] = row[6]
    if row[7] is not None:
        out.update(json.loads(row[7]))
    return out


# --------------------------------------------------------------------------
# Models to rows
# --------------------------------------------------------------------------

def _session_row(s: Session) -> tuple[Any, ...]:
    """The session's columns in ``S_COLS`` order."""
    return (s.id, s.type_, s.task, s.status, s.created_at, s.updated_at, s.completed_at,
            s.model, s.timeout_seconds,
            None if s.preserve_worktrees is None else int(s.preserve_worktrees),
            s.winner_id, None if s.runtime_mix is None else json.dumps(s.runtime_mix),
            s.total_duration, s.total_files_changed, s.total_lines_added,
            s.total_lines_deleted, _extra(s.__pydantic_extra__))


def _instance_row(session_id: str, i: Instance) -> tuple[Any, ...]:
    return (session_id, i.instance_id, i.worktree_path, i.branch, i.agent_name, i.status,
            i.tmux_session_id, i.output, i.start_time, i.end_time, i.files_changed,
            i.lines_added, i.lines_deleted, i.runtime, i.model, i.runtime_label,
            _extra(i.__pydantic_extra__))


def message_row(session_id: str, m: ChatMessage) -> tuple[Any, ...]:
    return (session_id, timestamp_key(m.timestamp), m.id, m.role, m.content, m.timestamp,
            m.instance_id, _extra(m.__pydantic_extra__))


_BY_SECOND = operator.itemgetter(1)


def import_rows(ws_hash: str, s: Session) -> Rows:
    """The rows of one session (session, instances, messages) as the import inserts them."""
    session_row = (*_session_row(s), ws_hash, timestamp_key(s.created_at),
                   timestamp_key(s.updated_at), len(s.instances), len(s.chat_history))
    insts: list[Row] = [_instance_row(s.id, i) for i in s.instances]
    insts.sort(key=_BY_SECOND)  # instance_id
    msgs: list[Row] = [message_row(s.id, m) for m in s.chat_history]
    msgs.sort(key=_BY_SECOND)  # ts_key; stable: ties keep file order, as reads return them
    return session_row, insts, msgs


def assemble_rows(rows: Rows) -> Json:
    """The session dict reads build from these rows (what ``get_session`` would return).

    The session row's first 17 columns are read (the import's rows have 22);
    instance and message rows are whole.
    """
    srow, irows, mrows = rows
    out = _session_dict(srow)
    out["instances"] = [_instance_dict(r) for r in irows]
    out["chatHistory"] = [_message_dict(r) for r in mrows]
    return out


