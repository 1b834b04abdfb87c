"""`Loader`: the slow side of a StepSource, run on one background thread.

Reading a late step of a huge run can take seconds: its prompt is the whole
conversation, rebuilt from every record since the last snapshot.  Run on the
UI thread, that would freeze the keys; here it runs on a single worker thread
while the UI keeps answering.  One thread, so a source is never used by two
threads at once for its slow calls (`detail`, `refresh` and search slices all
come here, in order).

A call whose awaiting task was cancelled before it started (the user moved on
to another step) is skipped, so holding `j` queues no work.  The thread is a
daemon: quitting never waits for a load to finish (loads only read).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Loader"]

T = TypeVar("T")

_Job = tuple["asyncio.Future[Any]", asyncio.AbstractEventLoop, Callable[[], Any]]


class Loader:
    """Runs calls on one daemon thread, first in, first out."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="looplet-loader", daemon=True)
        self._thread.start()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on the loader thread; the caller awaits its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((future, loop, lambda: function(*args)))
        return await future

    def close(self) -> None:
        """Stop the thread once the call it is running (if any) returns."""
        self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, loop, call = job
            if future.cancelled():
                continue
            try:
                outcome: tuple[bool, Any] = (True, call())
            except Exception as exc:
                outcome = (False, exc)
            with contextlib.suppress(RuntimeError):  # the app's loop has closed: nobody waits
                loop.call_soon_threadsafe(_settle, future, outcome)


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    """Hand a result (or exception) to its awaiting task, on the event loop's thread."""
    if future.done():  # cancelled while the call ran
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
