"""The bridge's event loop thread, and how a caller's thread waits for an answer.

A command crosses threads twice: the caller hands its coroutine to the loop,
and the loop hands the SQL to a connection's worker thread (``db._run``). The
answer does not need to travel back through the loop: when a command's answer
is exactly what its database call returns, the worker hands it straight to the
waiting caller (an ``Answer`` put in the task's context), and the loop finishes
its own bookkeeping (returning the connection, releasing the write lock) in
parallel. That saves two thread wake-ups on every such command.
"""

from __future__ import annotations

import _thread
import asyncio
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Answer(Generic[T]):
    """A one-shot result or error; the first to give it wins, the caller waits for it."""

    __slots__ = ("_claim", "_done", "_error", "_value")

    def __init__(self) -> None:
        self._claim = _thread.allocate_lock()
        self._done = _thread.allocate_lock()
        self._done.acquire()
        self._value: T | None = None
        self._error: BaseException | None = None

    def give(self, value: T) -> None:
        if self._claim.acquire(False):
            self._value = value
            self._done.release()

    def fail(self, error: BaseException) -> None:
        if self._claim.acquire(False):
            self._error = error
            self._done.release()

    def wait(self) -> T:
        self._done.acquire()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


# Set in a command's task when its first database call's result is the answer.
DIRECT_ANSWER: contextvars.ContextVar[Answer[Any] | None] = contextvars.ContextVar(
    "ait42_direct_answer", default=None)


class Loop:
    """One event loop on one daemon thread; the single crossing from callers' threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever,
                                        name="ait42-session-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], *, direct: bool = False) -> T:
        """Run ``coro`` on the loop and wait for its result.

        ``direct``: the coroutine returns its first database call's result
        unchanged, so the connection's worker may answer the caller itself.
        """
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a bridge command was called from the bridge's own loop")
        answer: Answer[T] = Answer()

        def finished(task: asyncio.Task[T]) -> None:
            if task.cancelled():
                answer.fail(asyncio.CancelledError())
            elif (error := task.exception()) is not None:
                answer.fail(error)
            else:
                answer.give(task.result())

        def start() -> None:
            context = contextvars.copy_context()
            if direct:
                context.run(DIRECT_ANSWER.set, answer)
            self.loop.create_task(coro, context=context).add_done_callback(finished)

        self.loop.call_soon_threadsafe(start)
        return answer.wait()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()
