"""Thread handoffs between the loop thread and the UI: the pause gate and the interrupt.

`Gate`: the loop thread waits in `wait()` until the UI answers the pause (or
the session closes the gate).  `Interrupt`: the loop thread runs a model call
or a tool through `call()`, and gives up waiting for it the moment the run is
stopped, so quitting never waits for a slow model or a hung tool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["CLOSED", "Gate", "Interrupt", "Interrupted"]

T = TypeVar("T")


class _Closed:
    def __repr__(self) -> str:
        return "CLOSED"


CLOSED: Any = _Closed()
"""What `Gate.wait` returns once the gate is closed: the run is being stopped."""


class Gate:
    """One pause at a time.  `wait(pause_id)` blocks the loop thread until
    `answer(pause_id, value)`; a stale answer (to an earlier pause) is refused."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._waiting: int | None = None
        self._answers: list[Any] = []
        self._closed = False

    @property
    def waiting(self) -> int | None:
        """The pause answers are accepted for: the latest one the loop thread waited on."""
        return self._waiting

    @property
    def closed(self) -> bool:
        return self._closed

    def wait(self, pause_id: int, announce: Callable[[], object] | None = None) -> Any:
        """Block until pause `pause_id` is answered; CLOSED if the gate is (or gets) closed.

        `announce` runs once the gate accepts answers for the pause (so an answer
        given the instant the UI hears of it is not lost).  The gate keeps
        accepting answers for the same pause until the next one, so a pause can
        be waited on again for a second answer (an edit, then "resume")."""
        with self._condition:
            if pause_id != self._waiting:
                self._waiting = pause_id
                self._answers.clear()
        if announce is not None:
            announce()
        with self._condition:
            self._condition.wait_for(lambda: self._answers or self._closed)
            if self._closed:
                return CLOSED
            return self._answers.pop(0)

    def answer(self, pause_id: int, value: Any) -> bool:
        """Answer pause `pause_id`; False if the loop is not waiting on it."""
        with self._condition:
            if self._closed or self._waiting != pause_id or self._answers:
                return False
            self._answers.append(value)
            self._condition.notify_all()
            return True

    def close(self) -> None:
        """Wake the loop thread for good: every wait returns CLOSED from now on."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()


class Interrupted(Exception):
    """The run was stopped while the call was still running."""


class Interrupt:
    """Runs blocking calls in daemon threads that the loop thread can walk away from.

    Python cannot stop a thread.  A model call or tool started here keeps
    running after `trigger()`, but nobody waits for it: the loop moves on, and
    a daemon thread never holds up the interpreter's exit.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._triggered = False

    @property
    def triggered(self) -> bool:
        return self._triggered

    def trigger(self) -> None:
        with self._condition:
            self._triggered = True
            self._condition.notify_all()

    def call(self, func: Callable[..., T], *args: Any, name: str = "looplet-call") -> T:
        """`func(*args)`, with its exception re-raised here; `Interrupted` if triggered first."""
        if self._triggered:
            raise Interrupted
        outcome: list[tuple[bool, Any]] = []

        def run() -> None:
            try:
                value = (True, func(*args))
            except BaseException as exc:  # handed to the waiting thread
                value = (False, exc)
            with self._condition:
                outcome.append(value)
                self._condition.notify_all()

        threading.Thread(target=run, name=name, daemon=True).start()
        with self._condition:
            self._condition.wait_for(lambda: outcome or self._triggered)
            if not outcome:
                raise Interrupted
        succeeded, value = outcome[0]
        if succeeded:
            return value  # type: ignore[no-any-return]
        raise value
