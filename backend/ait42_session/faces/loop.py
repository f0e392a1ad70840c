"""The event loop thread: the one place where callers' threads cross into async code.

pywebview runs every page call on a new thread and cannot await coroutines, so
the store's coroutines run on one long-lived loop, and a caller hands each one
over with ``asyncio.run_coroutine_threadsafe(...).result()``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Loop:
    """One asyncio event loop on one daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # A daemon: a store someone forgot to close must not keep the process alive.
        self._thread = threading.Thread(target=self.loop.run_forever,
                                        name="ait42-session-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result (or its exception)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a store call was made from the store's own event loop")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        """Cancel what still runs (its callers get an error), stop the loop, join its thread."""
        async def cancel_the_rest() -> None:
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)
            await asyncio.get_running_loop().shutdown_default_executor()

        asyncio.run_coroutine_threadsafe(cancel_the_rest(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()
