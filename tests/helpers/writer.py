"""A writer process for the reliability tests: one Bridge, deterministic commands.

Run as ``python tests/helpers/writer.py MODE DB WORKSPACE PREFIX SEED [COUNT]``.

``MODE`` is ``forever`` (write until killed) or ``burst`` (``COUNT`` commands,
starting once the file ``DB.go`` exists). The child prints ``ready`` once the
bridge is open, then one line per command *after* the command returned, each
flushed at once, so a parent that kills it knows which commands completed.

The command sequence is a pure function of ``PREFIX`` and ``SEED`` (see
``operations``): the parent replays it to know what the database must hold,
including the one command that may have been in flight when the child died.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections.abc import Iterator
from typing import Any

GIVE_UP_AFTER = 300.0  # seconds; see main

STATUSES = ("idle", "running", "completed", "failed", "paused", "archived")

Op = tuple[Any, ...]
State = dict[str, dict[str, Any]]  # session id -> {task, statuses: {iid: st}, messages: [...]}


def new_session(session_id: str, rng: random.Random, instances: int = 2,
                output_bytes: int = 0) -> dict[str, Any]:
    """A valid session; the output makes a create span several database pages."""
    out = "x" * output_bytes
    return {
        "id": session_id, "type": "competition", "task": f"task of {session_id}",
        "status": "running", "createdAt": "2026-01-13T10:00:00Z",
        "updatedAt": "2026-01-13T10:00:00Z",
        "instances": [{
            "instanceId": i, "worktreePath": f"/w/{session_id}/{i}", "branch": f"b{i}",
            "agentName": "agent", "status": "idle", "tmuxSessionId": f"t-{session_id}-{i}",
            "output": out,
        } for i in range(instances)],
        "chatHistory": [{"id": "m0", "role": "user", "content": f"start {rng.random()}",
                         "timestamp": "2026-01-13T10:00:00Z"}],
    }


def message(message_id: str, n: int) -> dict[str, Any]:
    return {"id": message_id, "role": "assistant", "content": f"reply {n}",
            "timestamp": f"2026-01-13T11:{n // 60 % 60:02d}:{n % 60:02d}Z"}


def operations(prefix: str, seed: int) -> Iterator[Op]:
    """The endless, deterministic command sequence of one writer.

    Yields ``("create", sid, session)``, ``("chat", sid, message)``,
    ``("status", sid, instance_id, status)`` and ``("delete", sid)``; every one
    succeeds when applied in order to a database that holds the previous ones.
    """
    rng = random.Random(f"{prefix}/{seed}")
    live: list[str] = []
    n = 0
    while True:
        n += 1
        roll = rng.random()
        if not live or roll < 0.3:
            sid = f"{prefix}_{n}"
            live.append(sid)
            yield ("create", sid, new_session(sid, rng, instances=rng.randint(1, 3),
                                              output_bytes=rng.choice((0, 3000, 20000))))
        elif roll < 0.65:
            yield ("chat", rng.choice(live), message(f"m{n}", n))
        elif roll < 0.92:
            yield ("status", rng.choice(live), 0, rng.choice(STATUSES))
        else:
            sid = live.pop(rng.randrange(len(live)))
            yield ("delete", sid)


def apply(state: State, op: Op) -> State:
    """The state after ``op`` (a new dict; ``state`` is left as it was)."""
    new = {sid: {"task": s["task"], "statuses": dict(s["statuses"]),
                 "messages": list(s["messages"])} for sid, s in state.items()}
    kind, sid = op[0], op[1]
    if kind == "create":
        session = op[2]
        new[sid] = {"task": session["task"],
                    "statuses": {i["instanceId"]: i["status"] for i in session["instances"]},
                    "messages": [m["id"] for m in session["chatHistory"]]}
    elif kind == "chat":
        new[sid]["messages"].append(op[2]["id"])
    elif kind == "status":
        new[sid]["statuses"][op[2]] = op[3]
    elif kind == "delete":
        del new[sid]
    return new


def project(sessions: list[dict[str, Any]]) -> State:
    """What ``apply`` tracks, read from ``get_all_sessions_sqlite``'s answer."""
    return {s["id"]: {"task": s["task"],
                      "statuses": {i["instanceId"]: i["status"] for i in s["instances"]},
                      "messages": [m["id"] for m in s["chatHistory"]]}
            for s in sessions}


def run(bridge: Any, workspace: str, op: Op) -> None:
    kind, sid = op[0], op[1]
    if kind == "create":
        bridge.create_session_sqlite(workspace, op[2])
    elif kind == "chat":
        bridge.add_chat_message_sqlite(workspace, sid, op[2])
    elif kind == "status":
        bridge.update_instance_status_sqlite(workspace, sid, op[2], op[3])
    elif kind == "delete":
        bridge.delete_session_sqlite(workspace, sid)


def main(argv: list[str]) -> int:
    mode, db, workspace, prefix, seed = argv[:5]
    count = int(argv[5]) if len(argv) > 5 else 0
    from ait42_session.faces.bridge import Bridge

    bridge = Bridge.open(db)
    print("ready", flush=True)
    # A child never outlives its test: the parent kills it or starts its burst
    # long before this, so reaching it means the parent is gone or stuck.
    give_up = time.monotonic() + GIVE_UP_AFTER
    if mode == "burst":
        while not os.path.exists(db + ".go"):
            if time.monotonic() > give_up:
                print(f"gave up: no {db}.go after {GIVE_UP_AFTER:g} s", flush=True)
                return 3
            time.sleep(0.005)
    done = 0
    for op in operations(prefix, int(seed)):
        if mode == "burst" and done == count:
            break
        if time.monotonic() > give_up:
            print(f"gave up: still writing after {GIVE_UP_AFTER:g} s", flush=True)
            return 3
        run(bridge, workspace, op)
        done += 1
        print(f"done {done} {op[0]} {op[1]}", flush=True)
    bridge.close()
    print("finished " + json.dumps({"done": done}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
