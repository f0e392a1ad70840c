"""Tight-loop benchmark: the seven session operations via the bridge, the floor, the legacy store.

What a person feels is the page's round trip, which ``tools/window_bench.py``
measures in the real window; this table is about what the derived data (issue
16) costs the writes. Issue 16's goals for create, update, add_chat_message
and update_instance_status: the bridge within 1.3x of the same bridge with
derived data off, and within 3x of the raw sqlite3 floor.

``python -m tools.bench [--sizes 100,1000] [--repeat N]`` (``./dev bench``)
fills one workspace with N sessions (3 instances with 4 KB of output each,
every tenth session with one 100 KB output instead, 10 chat messages each) in
four stores and times each operation in each:

- **bridge**: ``Bridge`` commands called from a plain Python thread, as
  pywebview calls them (validation, the hop to the bridge's loop, the hop to
  the connection's thread, SQL, dict building), with the background catch-up
  of derived data on, as in the app. Its column is the command's latency (the
  call until it returns). The catch-up's work for that write (re-indexing the
  session, its insights rows) would run on the same loop after a 50 ms
  debounce; so that it is counted and does not fall into another store's
  timing, the benchmark runs it itself right after each timed call
  (``CatchUp.run_until_current``, the background task then finds nothing to
  do) and times it: the **+catch-up** column is latency plus that work, the
  whole cost of a write with its derived data kept;
- **derived off**: the same bridge over ``Service.open(path, derived=False)``,
  the supported setting with no background catch-up (nothing here reads
  derived data, so none is ever built): the commands without derived data;
- **floor**: hand-written straightforward ``sqlite3`` code on one connection,
  same schema (the project's migrations), same pragmas, the same statements,
  one transaction per operation, returning the same dicts, without validation
  or threads: what the SQL work itself costs;
- **legacy**: the shell's JSON store emulated: one pretty-printed JSON array
  per workspace, read whole, changed, rewritten whole (plain ``write``, as the
  shell did). It is Python's ``json`` here, which pretty-prints with its pure
  Python encoder, so it is slower than the shell's serde_json; the table also
  gives the bare I/O of reading and writing that file, the least any
  whole-file store pays per write.

The stores' runs are interleaved per repetition and the medians are reported,
because the machine is noisy. The order goes through a balanced Latin square
of four orders (each store first once, and right after each other store
once), so each store runs right after each other store equally often: a store that always
ran after the legacy store (which churns through megabytes of JSON, leaving the
CPU caches cold) would always be timed cold while the one after it ran warm.
The stores hold the same data throughout: every timed write is applied to all
four, and creates and deletes are undone (untimed) so the size stays N.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from ait42_session.faces.bridge import Bridge
from ait42_session.faces.service import Service
from ait42_session.shape.workspace import legacy_hash
from ait42_session.store import migrations

Json = dict[str, Any]

OPERATIONS = ("create", "update", "get", "get_all", "delete", "add_chat_message",
              "update_instance_status")
STORES = ("bridge", "derived off", "floor", "legacy")
WRITES = ("create", "update", "add_chat_message", "update_instance_status")
# A balanced Latin square (Williams design) of the four stores: over its four
# orders each store runs first once, and right after each other store once.
ORDERS = tuple(tuple(STORES[k] for k in row)
               for row in ((0, 1, 3, 2), (1, 2, 0, 3), (2, 3, 1, 0), (3, 0, 2, 1)))
INSTANCE_STATUSES = ("running", "completed", "failed", "paused", "archived", "idle")
POINT_OPS = ("get", "delete", "add_chat_message", "update_instance_status")


# --------------------------------------------------------------------------
# The data set
# --------------------------------------------------------------------------

def _output(size: int, seed: int) -> str:
    line = f"[agent {seed}] compiling module, running tests, 42 passed, 0 failed\n"
    return (line * (size // len(line) + 1))[:size]


def make_session(n: int, task: str = "") -> Json:
    """Session ``n`` of the data set, in the legacy shape (every field the shell writes)."""
    sid = f"bench-{n:06d}"
    stamp = f"2026-01-{1 + n % 28:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00Z"
    instances = []
    for i in range(3):
        big = n % 10 == 0 and i == 0
        instances.append({
            "instanceId": i, "worktreePath": f"/repo/.worktrees/{sid}-{i}",
            "branch": f"feature/{sid}-{i}", "agentName": "backend-developer",
            "status": "completed", "tmuxSessionId": f"ait42-{sid}-{i}",
            "output": _output(100_000 if big else 4096, n * 3 + i),
            "startTime": stamp, "endTime": stamp, "filesChanged": 8, "linesAdded": 180,
            "linesDeleted": 45, "runtime": "claude", "model": "sonnet", "runtimeLabel": "Claude",
            "testsPassed": True,
        })
    messages = [{"id": f"msg_{k}", "role": ("user", "assistant")[k % 2],
                 "content": f"message {k} of {sid}: " + "please look at the failing test " * 3,
                 "timestamp": f"2026-01-13T10:{k:02d}:00Z", "instanceId": k % 3}
                for k in range(10)]
    return {
        "id": sid, "type": "competition", "task": task or f"Implement feature {n}",
        "status": "completed", "createdAt": stamp, "updatedAt": stamp, "completedAt": stamp,
        "model": "sonnet", "timeoutSeconds": 1800, "preserveWorktrees": False, "winnerId": 0,
        "runtimeMix": ["claude", "codex"], "totalDuration": 9000, "totalFilesChanged": 15,
        "totalLinesAdded": 320, "totalLinesDeleted": 85, "instances": instances,
        "chatHistory": messages, "evaluation": {"scores": [1, 2, 3], "notes": None},
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _key(stamp: str) -> int:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# --------------------------------------------------------------------------
# The stores
# --------------------------------------------------------------------------

class Store(Protocol):
    def create(self, ws: str, session: Json) -> Json: ...
    def update(self, ws: str, session: Json) -> Json: ...
    def get(self, ws: str, session_id: str) -> Json: ...
    def get_all(self, ws: str) -> list[Json]: ...
    def delete(self, ws: str, session_id: str) -> None: ...
    def add_chat_message(self, ws: str, session_id: str, message: Json) -> Json: ...
    def update_instance_status(self, ws: str, session_id: str, instance_id: int,
                               status: str) -> Json: ...
    def settle(self) -> float: ...
    def close(self) -> None: ...


class BridgeStore:
    """The bridge's commands, exactly as the page calls them (each answers JSON: ``Any``);
    ``derived=False``: over a service without the background catch-up."""

    def __init__(self, path: str, *, derived: bool = True) -> None:
        self.service = Service.open(path, derived=derived)
        self.bridge = Bridge(self.service)
        self.derived = derived

    def settle(self) -> float:
        """Run the catch-up of derived data to the log's end now (what the
        background would do after its debounce); the seconds it took."""
        if not self.derived:
            return 0.0
        t0 = time.perf_counter()
        self.service.run(self.service.context.derived.run_until_current())
        return time.perf_counter() - t0

    def create(self, ws: str, session: Json) -> Json:
        return cast(Json, self.bridge.create_session_sqlite(ws, session))

    def update(self, ws: str, session: Json) -> Json:
        return cast(Json, self.bridge.update_session_sqlite(ws, session))

    def get(self, ws: str, session_id: str) -> Json:
        return cast(Json, self.bridge.get_session_sqlite(ws, session_id))

    def get_all(self, ws: str) -> list[Json]:
        return cast(list[Json], self.bridge.get_all_sessions_sqlite(ws))

    def delete(self, ws: str, session_id: str) -> None:
        self.bridge.delete_session_sqlite(ws, session_id)

    def add_chat_message(self, ws: str, session_id: str, message: Json) -> Json:
        return cast(Json, self.bridge.add_chat_message_sqlite(ws, session_id, message))

    def update_instance_status(self, ws: str, session_id: str, instance_id: int,
                               status: str) -> Json:
        return cast(Json, self.bridge.update_instance_status_sqlite(ws, session_id, instance_id,
                                                                    status))

    def close(self) -> None:
        self.bridge.close()


# Known fields per level: (camelCase key, column). The rest goes to `extra`.
_S = (("id", "id"), ("type", "type"), ("task", "task"), ("status", "status"),
      ("createdAt", "created_at"), ("updatedAt", "updated_at"),
      ("completedAt", "completed_at"), ("model", "model"),
      ("timeoutSeconds", "timeout_seconds"), ("preserveWorktrees", "preserve_worktrees"),
      ("winnerId", "winner_id"), ("runtimeMix", "runtime_mix"),
      ("totalDuration", "total_duration"), ("totalFilesChanged", "total_files_changed"),
      ("totalLinesAdded", "total_lines_added"), ("totalLinesDeleted", "total_lines_deleted"))
_I = (("instanceId", "instance_id"), ("worktreePath", "worktree_path"), ("branch", "branch"),
      ("agentName", "agent_name"), ("status", "status"), ("tmuxSessionId", "tmux_session_id"),
      ("output", "output"), ("startTime", "start_time"), ("endTime", "end_time"),
      ("filesChanged", "files_changed"), ("linesAdded", "lines_added"),
      ("linesDeleted", "lines_deleted"), ("runtime", "runtime"), ("model", "model"),
      ("runtimeLabel", "runtime_label"))
_M = (("id", "id"), ("role", "role"), ("content", "content"), ("timestamp", "timestamp"),
      ("instanceId", "instance_id"))
_S_KNOWN = frozenset(k for k, _ in _S) | {"instances", "chatHistory"}
_I_KNOWN = frozenset(k for k, _ in _I)
_M_KNOWN = frozenset(k for k, _ in _M)
_S_COLS = ", ".join(c for _, c in _S) + ", extra"
_I_COLS = ", ".join(c for _, c in _I) + ", extra"
_M_COLS = ", ".join(c for _, c in _M) + ", extra"


def _extra(obj: Json, known: frozenset[str]) -> str | None:
    rest = {k: v for k, v in obj.items() if k not in known}
    return json.dumps(rest, ensure_ascii=False) if rest else None


def _present(obj: Json) -> Json:
    return {k: v for k, v in obj.items() if v is not None}


def _from_row(keys: Sequence[tuple[str, str]], row: Sequence[Any]) -> Json:
    out: Json = {}
    for (key, _col), value in zip(keys, row, strict=False):
        if value is not None:
            out[key] = value
    extra = row[len(keys)]
    if extra is not None:
        out.update(json.loads(extra))
    return out


def _session_from_row(row: Sequence[Any]) -> Json:
    out = _from_row(_S, row)
    if "preserveWorktrees" in out:
        out["preserveWorktrees"] = bool(out["preserveWorktrees"])
    if "runtimeMix" in out:
        out["runtimeMix"] = json.loads(out["runtimeMix"])
    return out


class FloorStore:
    """Straightforward sqlite3 on one connection: the same SQL work, nothing around it."""

    def __init__(self, path: str) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("PRAGMA busy_timeout = 10000", "PRAGMA synchronous = NORMAL",
                       "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -16000",
                       "PRAGMA temp_store = MEMORY"):
            conn.execute(pragma)
        migrations.prepare_new_file(conn)
        conn.execute("PRAGMA journal_mode = WAL")
        migrations.apply_pending(conn, migrations.load())
        self.conn = conn

    # -- helpers --------------------------------------------------------------

    def _write(self, fn: Callable[[], Any]) -> Any:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn()
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return result

    def _read(self, fn: Callable[[], Any]) -> Any:
        self.conn.execute("BEGIN")
        try:
            return fn()
        finally:
            self.conn.execute("COMMIT")

    @staticmethod
    def _ws(ws: str) -> tuple[str, str]:
        """(legacy hash, canonical path): symlinks resolved when the path exists."""
        path = os.path.realpath(ws) if os.path.exists(ws) else (ws.rstrip("/") or "/")
        return hashlib.sha256(path.encode("utf-8")).hexdigest()[:16], path

    def _touch(self, ws: str) -> str:
        digest, path = self._ws(ws)
        now = _now()
        self.conn.execute(
            "INSERT INTO workspaces (hash, path, created_at, last_accessed) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (hash) DO UPDATE SET last_accessed = excluded.last_accessed,"
            " path = excluded.path", (digest, path, now, now))
        return digest

    def _session_values(self, s: Json) -> list[Any]:
        values = [s.get(k) for k, _ in _S]
        if values[9] is not None:
            values[9] = int(values[9])
        if values[11] is not None:
            values[11] = json.dumps(values[11])
        values.append(_extra(s, _S_KNOWN))
        return values

    def _children(self, s: Json) -> tuple[list[Json], list[Json]]:
        sid = s["id"]
        instances = sorted(s.get("instances", []), key=lambda i: int(i["instanceId"]))
        keyed = sorted(((_key(m["timestamp"]), m) for m in s.get("chatHistory", [])),
                       key=lambda km: km[0])
        self.conn.executemany(
            f"INSERT INTO instances (session_id, {_I_COLS}) VALUES ({', '.join('?' * 17)})",
            [(sid, *(i.get(k) for k, _ in _I), _extra(i, _I_KNOWN)) for i in instances])
        self.conn.executemany(
            f"INSERT INTO chat_messages (session_id, ts_key, {_M_COLS})"
            f" VALUES ({', '.join('?' * 8)})",
            [(sid, k, *(m.get(f) for f, _ in _M), _extra(m, _M_KNOWN)) for k, m in keyed])
        return [_present(i) for i in instances], [_present(m) for _, m in keyed]

    def _result(self, s: Json, children: tuple[list[Json], list[Json]]) -> Json:
        out = {k: v for k, v in s.items() if v is not None}
        out["instances"], out["chatHistory"] = children
        return out

    def _get(self, digest: str, session_id: str) -> Json:
        row = self.conn.execute(f"SELECT {_S_COLS} FROM sessions WHERE id = ?"
                                " AND workspace_hash = ?", (session_id, digest)).fetchone()
        if row is None:
            raise KeyError(session_id)
        out = _session_from_row(row)
        out["instances"] = [_from_row(_I, r) for r in self.conn.execute(
            f"SELECT {_I_COLS} FROM instances WHERE session_id = ? ORDER BY instance_id",
            (session_id,)).fetchall()]
        out["chatHistory"] = [_from_row(_M, r) for r in self.conn.execute(
            f"SELECT {_M_COLS} FROM chat_messages WHERE session_id = ? ORDER BY ts_key, seq",
            (session_id,)).fetchall()]
        return out

    def _bump(self, digest: str, session_id: str, messages: int) -> None:
        now = _now()
        cur = self.conn.execute(
            "UPDATE sessions SET updated_at = ?, updated_key = ?,"
            " message_count = message_count + ? WHERE id = ? AND workspace_hash = ?",
            (now, _key(now), messages, session_id, digest))
        if cur.rowcount == 0:
            raise KeyError(session_id)

    # -- the seven operations --------------------------------------------------

    def create(self, ws: str, session: Json) -> Json:
        def run() -> Json:
            digest = self._touch(ws)
            self.conn.execute(
                f"INSERT INTO sessions ({_S_COLS}, workspace_hash, created_key, updated_key,"
                f" instance_count, message_count) VALUES ({', '.join('?' * 22)})",
                (*self._session_values(session), digest, _key(session["createdAt"]),
                 _key(session["updatedAt"]), len(session.get("instances", [])),
                 len(session.get("chatHistory", []))))
            return self._result(session, self._children(session))
        result: Json = self._write(run)
        return result

    def update(self, ws: str, session: Json) -> Json:
        def run() -> Json:
            digest, _path = self._ws(ws)
            sets = ", ".join(f"{c} = ?" for _, c in _S[1:])
            cur = self.conn.execute(
                f"UPDATE sessions SET {sets}, extra = ?, created_key = ?, updated_key = ?,"
                " instance_count = ?, message_count = ? WHERE id = ? AND workspace_hash = ?",
                (*self._session_values(session)[1:], _key(session["createdAt"]),
                 _key(session["updatedAt"]), len(session.get("instances", [])),
                 len(session.get("chatHistory", [])), session["id"], digest))
            if cur.rowcount == 0:
                raise KeyError(session["id"])
            self._touch(ws)
            self.conn.execute("DELETE FROM instances WHERE session_id = ?", (session["id"],))
            self.conn.execute("DELETE FROM chat_messages WHERE session_id = ?",
                              (session["id"],))
            return self._result(session, self._children(session))
        result: Json = self._write(run)
        return result

    def get(self, ws: str, session_id: str) -> Json:
        result: Json = self._read(lambda: self._get(self._ws(ws)[0], session_id))
        return result

    def get_all(self, ws: str) -> list[Json]:
        def run() -> list[Json]:
            digest = self._ws(ws)[0]
            by_id: dict[str, Json] = {}
            for row in self.conn.execute(
                    f"SELECT {_S_COLS} FROM sessions WHERE workspace_hash = ?"
                    " ORDER BY updated_key DESC, id DESC", (digest,)).fetchall():
                s = _session_from_row(row)
                s["instances"], s["chatHistory"] = [], []
                by_id[row[0]] = s
            icols = ", ".join(f"i.{c}" for _, c in _I) + ", i.extra"
            for row in self.conn.execute(
                    f"SELECT i.session_id, {icols} FROM sessions s JOIN instances i"
                    " ON i.session_id = s.id WHERE s.workspace_hash = ?"
                    " ORDER BY i.session_id, i.instance_id", (digest,)):
                by_id[row[0]]["instances"].append(_from_row(_I, row[1:]))
            mcols = ", ".join(f"m.{c}" for _, c in _M) + ", m.extra"
            for row in self.conn.execute(
                    f"SELECT m.session_id, {mcols} FROM sessions s JOIN chat_messages m"
                    " ON m.session_id = s.id WHERE s.workspace_hash = ?"
                    " ORDER BY m.session_id, m.ts_key, m.seq", (digest,)):
                by_id[row[0]]["chatHistory"].append(_from_row(_M, row[1:]))
            return list(by_id.values())
        result: list[Json] = self._read(run)
        return result

    def delete(self, ws: str, session_id: str) -> None:
        def run() -> None:
            cur = self.conn.execute("DELETE FROM sessions WHERE id = ? AND workspace_hash = ?",
                                    (session_id, self._ws(ws)[0]))
            if cur.rowcount == 0:
                raise KeyError(session_id)
        self._write(run)

    def add_chat_message(self, ws: str, session_id: str, message: Json) -> Json:
        def run() -> Json:
            digest = self._ws(ws)[0]
            self._bump(digest, session_id, 1)
            self.conn.execute(
                f"INSERT INTO chat_messages (session_id, ts_key, {_M_COLS})"
                f" VALUES ({', '.join('?' * 8)})",
                (session_id, _key(message["timestamp"]), *(message.get(k) for k, _ in _M),
                 _extra(message, _M_KNOWN)))
            return self._get(digest, session_id)
        result: Json = self._write(run)
        return result

    def update_instance_status(self, ws: str, session_id: str, instance_id: int,
                               status: str) -> Json:
        def run() -> Json:
            digest = self._ws(ws)[0]
            self._bump(digest, session_id, 0)
            cur = self.conn.execute(
                "UPDATE instances SET status = ? WHERE session_id = ? AND instance_id = ?",
                (status, session_id, instance_id))
            if cur.rowcount == 0:
                raise KeyError(instance_id)
            return self._get(digest, session_id)
        result: Json = self._write(run)
        return result

    def settle(self) -> float:
        return 0.0

    def close(self) -> None:
        self.conn.close()


class LegacyStore:
    """The shell's JSON files: ``{hash}.json``, a pretty-printed array, rewritten whole."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def file(self, ws: str) -> Path:
        return self.folder / f"{legacy_hash(ws)}.json"

    def _load(self, ws: str) -> list[Json]:
        try:
            text = self.file(ws).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        sessions: list[Json] = json.loads(text)
        return sessions

    def _save(self, ws: str, sessions: list[Json]) -> None:
        self.file(ws).write_text(json.dumps(sessions, indent=2, ensure_ascii=False),
                                 encoding="utf-8")

    @staticmethod
    def _find(sessions: list[Json], session_id: str) -> int:
        for index, s in enumerate(sessions):
            if s["id"] == session_id:
                return index
        raise KeyError(session_id)

    def fill(self, ws: str, sessions: list[Json]) -> None:
        self._save(ws, sessions)

    def create(self, ws: str, session: Json) -> Json:
        sessions = self._load(ws)
        if any(s["id"] == session["id"] for s in sessions):
            raise KeyError(session["id"])
        sessions.append(session)
        self._save(ws, sessions)
        return session

    def update(self, ws: str, session: Json) -> Json:
        sessions = self._load(ws)
        sessions[self._find(sessions, session["id"])] = session
        self._save(ws, sessions)
        return session

    def get(self, ws: str, session_id: str) -> Json:
        sessions = self._load(ws)
        return sessions[self._find(sessions, session_id)]

    def get_all(self, ws: str) -> list[Json]:
        sessions = self._load(ws)
        sessions.sort(key=lambda s: str(s["updatedAt"]), reverse=True)
        return sessions

    def delete(self, ws: str, session_id: str) -> None:
        sessions = self._load(ws)
        del sessions[self._find(sessions, session_id)]
        self._save(ws, sessions)

    def add_chat_message(self, ws: str, session_id: str, message: Json) -> Json:
        sessions = self._load(ws)
        session = sessions[self._find(sessions, session_id)]
        session.setdefault("chatHistory", []).append(message)
        session["updatedAt"] = _now()
        self._save(ws, sessions)
        return session

    def update_instance_status(self, ws: str, session_id: str, instance_id: int,
                               status: str) -> Json:
        sessions = self._load(ws)
        session = sessions[self._find(sessions, session_id)]
        for inst in session["instances"]:
            if inst["instanceId"] == instance_id:
                inst["status"] = status
                break
        else:
            raise KeyError(instance_id)
        session["updatedAt"] = _now()
        self._save(ws, sessions)
        return session

    def settle(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------
# Running and reporting
# --------------------------------------------------------------------------

@dataclass
class SizeResult:
    """Samples (seconds) per operation and store for one data-set size."""

    size: int
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    legacy_bytes: int = 0
    legacy_io: float = 0.0  # seconds to read and rewrite the legacy file, no JSON
    catchup: dict[str, list[float]] = field(default_factory=dict)  # bridge's, per timed op

    def median(self, op: str, store: str) -> float:
        return statistics.median(self.samples[op][store])

    def count(self, op: str, store: str) -> int:
        return len(self.samples[op][store])

    def with_catchup(self, op: str) -> float:
        """Median of the bridge's latency plus its catch-up's work, per write."""
        if not self.catchup[op]:  # a read: nothing to catch up with
            return self.median(op, "bridge")
        return statistics.median(a + b for a, b in zip(self.samples[op]["bridge"],
                                                       self.catchup[op], strict=True))


@dataclass(frozen=True)
class Step:
    """One timed operation: how to run it on a store, and how to undo it (untimed)."""

    run: Callable[[Store], object]
    undo: Callable[[Store], object] | None = None


def _steps(op: str, rep: int, size: int, ws: str, originals: dict[int, Json]) -> Step:
    n = (rep * 7919 + 13) % size  # a different session every time, spread over the set
    sid = f"bench-{n:06d}"
    if op == "create":
        new = make_session(size + 1 + rep)
        new_id = new["id"]
        return Step(lambda st: st.create(ws, new), lambda st: st.delete(ws, new_id))
    if op == "update":
        changed = make_session(n, task=f"Implement feature {n}, revision {rep}")
        changed["instances"][1]["status"] = INSTANCE_STATUSES[rep % len(INSTANCE_STATUSES)]
        return Step(lambda st: st.update(ws, changed))
    if op == "get":
        return Step(lambda st: st.get(ws, sid))
    if op == "get_all":
        return Step(lambda st: st.get_all(ws))
    if op == "delete":
        original = originals.setdefault(n, make_session(n))
        return Step(lambda st: st.delete(ws, sid), lambda st: st.create(ws, original))
    if op == "add_chat_message":
        message = {"id": f"bench-msg-{rep}", "role": "user",
                   "content": f"benchmark message {rep}", "timestamp": _now()}
        return Step(lambda st: st.add_chat_message(ws, sid, message))
    if op == "update_instance_status":
        status = INSTANCE_STATUSES[rep % len(INSTANCE_STATUSES)]
        return Step(lambda st: st.update_instance_status(ws, sid, 1, status))
    raise ValueError(op)


def _reps(op: str, size: int, repeat: int) -> int:
    """Repetitions per operation: more for the cheap point operations; whole rounds of orders."""
    reps = repeat * 3 if op in POINT_OPS or op in ("create", "update") else repeat
    return -(-reps // len(ORDERS)) * len(ORDERS)


def _legacy_budget(size: int) -> float:
    return 2.0 + size / 100  # seconds of legacy runs per operation, at least 3 samples


def run_size(size: int, repeat: int, folder: Path, *, check: bool = False,
             log: Callable[[str], None] = print) -> SizeResult:
    """Fill the four stores with ``size`` sessions and time the seven operations."""
    ws_dir = folder / "workspace"
    ws_dir.mkdir()
    ws = str(ws_dir)
    bridge = BridgeStore(str(folder / "bridge.db"))
    off = BridgeStore(str(folder / "off.db"), derived=False)
    floor = FloorStore(str(folder / "floor.db"))
    legacy = LegacyStore(str(folder / "legacy"))
    stores: dict[str, Store] = {"bridge": bridge, "derived off": off, "floor": floor,
                                "legacy": legacy}
    result = SizeResult(size, {op: {s: [] for s in STORES} for op in OPERATIONS},
                        catchup={op: [] for op in OPERATIONS})
    try:
        started = time.perf_counter()
        data = [make_session(n) for n in range(size)]
        for s in data:
            bridge.create(ws, s)
            off.create(ws, s)
            floor.create(ws, s)
        bridge.settle()
        legacy.fill(ws, data)
        result.legacy_bytes = legacy.file(ws).stat().st_size
        log(f"  filled {size} sessions in {time.perf_counter() - started:.1f} s "
            f"(legacy file {result.legacy_bytes / 1e6:.1f} MB)")
        io_samples = []
        for _ in range(3):
            t0 = time.perf_counter()
            raw = legacy.file(ws).read_bytes()
            legacy.file(ws).write_bytes(raw)
            io_samples.append(time.perf_counter() - t0)
        result.legacy_io = statistics.median(io_samples)

        originals: dict[int, Json] = {}
        for op in OPERATIONS:
            warm = _steps(op, 10**6, size, ws, originals)  # untimed warm-up on each store
            for store in stores.values():
                warm.run(store)
                if warm.undo:
                    warm.undo(store)
                store.settle()
            legacy_spent = 0.0
            for rep in range(_reps(op, size, repeat)):
                step = _steps(op, rep, size, ws, originals)
                order = ORDERS[rep % len(ORDERS)]  # each store after each other one
                outputs: dict[str, Any] = {}
                for name in order:
                    if name == "legacy" and not check and result.count(op, "legacy") >= 3 \
                            and legacy_spent > _legacy_budget(size):
                        continue
                    store = stores[name]
                    t0 = time.perf_counter()
                    outputs[name] = step.run(store)
                    elapsed = time.perf_counter() - t0
                    result.samples[op][name].append(elapsed)
                    if name == "bridge" and op not in ("get", "get_all"):  # reads log nothing
                        result.catchup[op].append(store.settle())
                    if name == "legacy":
                        legacy_spent += elapsed
                    if step.undo:
                        step.undo(store)
                        store.settle()
                if check:
                    _compare(op, outputs)
            log(f"  {op:<23} done ({_reps(op, size, repeat)} runs; "
                f"legacy {result.count(op, 'legacy')})")
        if check:
            _compare("final get_all", {name: store.get_all(ws) for name, store in
                                       stores.items()})
    finally:
        for store in stores.values():
            store.close()
    return result


def _comparable(value: Any) -> Any:
    """A result with what legitimately differs (now-stamps, null optionals) taken out."""
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()
                if v is not None and k != "updatedAt"}
    return value


def _compare(op: str, outputs: dict[str, Any]) -> None:
    """The four stores must return the same thing (the floor does the same work)."""
    base = _comparable(outputs.get("bridge"))
    for name, value in outputs.items():
        got = _comparable(value)
        if op == "get_all" or op == "final get_all":
            got = sorted(got, key=lambda s: s["id"])
            want = sorted(base, key=lambda s: s["id"])
        else:
            want = base
        if got != want:
            raise AssertionError(f"{op}: {name} returned something else than the bridge")


def _fmt(seconds: float) -> str:
    us = seconds * 1e6
    if us < 1000:
        return f"{us:.0f} µs"
    if us < 1_000_000:
        return f"{us / 1000:.2f} ms"
    return f"{us / 1e6:.2f} s"


def report(results: list[SizeResult], repeat: int) -> str:
    lines = [
        "ait42-session benchmark: median time per operation "
        f"(Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, --repeat {repeat})",
        "The machine is noisy: the four stores run interleaved, in a balanced Latin square "
        "of orders, "
        "and only medians are shown.",
        "bridge: the command's latency, background catch-up on; +catch-up: that plus the "
        "catch-up's work for the write; derived off: Service.open(path, derived=False).",
    ]
    for res in results:
        lines += [
            "",
            f"{res.size:,} sessions in one workspace (3 instances x 4 KB output, every 10th "
            f"with a 100 KB output, 10 messages each);",
            f"legacy file {res.legacy_bytes / 1e6:.1f} MB, its bare read + rewrite "
            f"{_fmt(res.legacy_io)}",
            f"{'operation':<24}{'bridge':>10}{'+catch-up':>11}{'derived off':>12}{'floor':>10}"
            f"{'legacy':>10}{'bridge/off':>12}{'bridge/floor':>14}{'legacy/bridge':>15}",
        ]
        for op in OPERATIONS:
            b, o, f, g = (res.median(op, s) for s in STORES)
            total = _fmt(res.with_catchup(op)) if res.catchup[op] else "-"
            lines.append(f"{op:<24}{_fmt(b):>10}{total:>11}{_fmt(o):>12}{_fmt(f):>10}"
                         f"{_fmt(g):>10}{b / o:>11.2f}x{b / f:>13.2f}x{g / b:>14.0f}x")
        lines += [
            "",
            "issue 16's goals (writes): bridge/off <= 1.3x, bridge/floor <= 3x; "
            "latency and, in brackets, with the catch-up's work",
            f"{'write':<24}{'bridge/derived off':>26}{'bridge/floor':>24}",
        ]
        for op in WRITES:
            b, o, f = (res.median(op, s) for s in STORES[:3])
            c = res.with_catchup(op)
            lines.append(f"{op:<24}{f'{b / o:.2f}x ({c / o:.2f}x)':>26}"
                         f"{f'{b / f:.2f}x ({c / f:.2f}x)':>24}")
        lines.append(
            f"samples: bridge/derived off/floor {res.count('get', 'bridge')} per point "
            f"operation, {res.count('get_all', 'bridge')} for get_all; legacy "
            + ", ".join(f"{op} {res.count(op, 'legacy')}" for op in OPERATIONS))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description="Time the seven session operations: bridge, bridge with derived data off,"
                    " raw sqlite3 floor, legacy JSON.")
    parser.add_argument("--sizes", default="100,1000",
                        help="comma-separated session counts (default 100,1000)")
    parser.add_argument("--repeat", type=int, default=11,
                        help="repetitions per operation (x3 for point operations; default 11)")
    parser.add_argument("--check", action="store_true",
                        help="also check that the four stores return the same results")
    parser.add_argument("--quiet", action="store_true", help="print only the table")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be numbers separated by commas, got {args.sizes!r}")
    if not sizes or min(sizes) < 2 or args.repeat < 1:
        parser.error("sizes must be at least 2 and --repeat at least 1")

    def log(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    results = []
    for size in sizes:
        log(f"{size} sessions:")
        with tempfile.TemporaryDirectory(prefix="ait42-bench-") as tmp:
            results.append(run_size(size, args.repeat, Path(tmp), check=args.check, log=log))
    print(report(results, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
