"""The bridge's event loop thread, and how a caller's thread waits for an answer.

A command crosses threads twice: the caller hands its coroutine to the loop,
and the loop hands the SQL to a connection's worker thread (``db._run``). The
answer does not need to travel back through the loop: when a command's answer
is exactly what its database call returns, the worker hands it straight to the
waiting caller (an ``Answer`` put in the task's context), and the loop is not
woken again for that call (``db._run``). That saves two thread wake-ups on every
such command.
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

    __slots__ = ("_claim", "_done", "_error", "_value", "handed")

    def __init__(self) -> None:
        self.handed = False  # given to a connection's worker, which will answer
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


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop where it is installed (not on Windows), else asyncio's.

    Every command crosses into the loop and back, so the loop's own overhead is
    on every command's path: uvloop's wake-up and task start are in C and cut
    that crossing by half warm and by about 100 µs after idle (README,
    "Benchmark"). Both loops run the same coroutines; aiosqlite works on either.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class Loop:
    """One event loop on one daemon thread; the single crossing from callers' threads."""

    def __init__(self) -> None:
        self.loop = new_event_loop()
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
            elif not answer.handed:  # else the connection's worker answers
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
