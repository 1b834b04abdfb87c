"""Each hook's `debug_state()`, recorded with the steps so a reopened run shows it.

A hook's state often stays the same for many steps (rules, settings), so a step
record holds only the states that changed since the previous step, plus the
byte offset of the step record holding each unchanged one.  Reading a step's
states is then one extra record read per unchanged hook, never a scan back
through the run, and a trace stays linear in size.
"""

from __future__ import annotations

import json

from looplet_core.hooks import hook_name
from looplet_core.jsonable import to_jsonable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

__all__ = ["MAX_STATE_CHARS", "HookStateLog"]

MAX_STATE_CHARS = 20_000
"""A state whose JSON is longer than this is stored as a cut-short preview: a
debugging aid must not grow the trace by a log's worth each step."""


class HookStateLog:
    """Tracks what each hook's state was when it was last written."""

    __slots__ = ("_last", "_sources")

    def __init__(self, hooks: Iterable[object], exclude: object) -> None:
        self._sources: tuple[tuple[str, Callable[[], Any]], ...] = tuple(
            (hook_name(hook), method)
            for hook in hooks
            if hook is not exclude and callable(method := getattr(hook, "debug_state", None))
        )
        self._last: dict[str, tuple[str, int]] = {}
        """Hook name → (its state's JSON, offset of the step record that holds it)."""

    def take(self, offset: int) -> tuple[dict[str, Any], dict[str, int]]:
        """(states that changed, {hook: offset} for the unchanged) for the step record
        about to be written at `offset`."""
        changed: dict[str, Any] = {}
        unchanged: dict[str, int] = {}
        for name, method in self._sources:
            state = _state_of(method)
            text = json.dumps(state, ensure_ascii=False, sort_keys=True, default=str)
            last = self._last.get(name)
            if last is not None and last[0] == text:
                unchanged[name] = last[1]
                continue
            if len(text) > MAX_STATE_CHARS:
                state = {"cut short": f"{len(text)} characters", "start": text[:MAX_STATE_CHARS]}
            changed[name] = state
            self._last[name] = (text, offset)
        return changed, unchanged


def _state_of(method: Callable[[], Any]) -> Any:
    """The state as plain JSON data; a hook whose debug_state() raises says so instead."""
    try:
        return to_jsonable(method())
    except Exception as exc:
        return {"debug_state() raised": f"{type(exc).__name__}: {exc}"}
