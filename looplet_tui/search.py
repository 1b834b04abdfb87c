"""Full-text search over a run: arguments, results and messages, one step at a time.

A search reads every step's detail, which is too slow to do at once on a big
run, so `Search.scan` works for a bounded time and is called again until it
is done; the viewer shows the matches found so far, with a count.

A step matches when the query (case-insensitive) is in its tool name, its
arguments, its result or error, the text and reasoning the model gave with
the call, or a system/user message first seen in its turn's prompt.  Tool and
assistant messages are not searched in prompts: they repeat results and model
text that belong to earlier steps, which would then match twice.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from time import perf_counter

from looplet_core.provenance import StepDetail
from looplet_core.types import Message
from looplet_tui.source import DetailError, StepSource

__all__ = ["Search", "step_text"]


def step_text(detail: StepDetail, new_messages: Sequence[Message] = ()) -> str:
    """Everything about a step that a search looks at, as one string."""
    step = detail.step
    call, result = step.tool_call, step.tool_result
    parts = [call.name, _as_text(call.args), call.text, call.reasoning]
    parts.append(result.error if result.error is not None else _as_text(result.data))
    if detail.response is not None:
        parts += (detail.response.text, detail.response.reasoning)
    parts += (message.content for message in new_messages if message.role in ("system", "user"))
    return "\n".join(part for part in parts if part)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, default=str)


class Search:
    """One query's scan of a run, from the first step to the last, resumable."""

    def __init__(self, query: str) -> None:
        self.query = query
        self._needle = query.casefold()
        self.matches: list[int] = []
        """Positions of matching steps found so far, ascending."""
        self.scanned = 0
        """Steps looked at so far (the scan goes in step order)."""
        self.unreadable = 0
        """Steps whose detail could not be loaded (they cannot match)."""
        self._turn: int | None = None
        self._seen_messages = 0

    def scan(self, source: StepSource, budget_s: float) -> bool:
        """Look at more steps for about `budget_s` seconds; True once every step was seen."""
        deadline = perf_counter() + budget_s
        total = len(source)
        while self.scanned < total:
            position = self.scanned
            try:
                detail = source.detail(position)
            except DetailError:
                self.unreadable += 1
            else:
                if self._needle in step_text(detail, self._new_messages(detail)).casefold():
                    self.matches.append(position)
            self.scanned += 1
            if perf_counter() >= deadline:
                break
        return self.scanned >= total

    def _new_messages(self, detail: StepDetail) -> Sequence[Message]:
        """The prompt messages this step's turn added (all of them after a rewrite)."""
        prompt = detail.prompt
        if prompt is None or detail.step.turn == self._turn:
            return ()
        self._turn = detail.step.turn
        start = self._seen_messages if len(prompt) >= self._seen_messages else 0
        self._seen_messages = len(prompt)
        return prompt[start:]

    def next_match(self, after: int) -> int | None:
        at = bisect_right(self.matches, after)
        if at < len(self.matches):
            return self.matches[at]
        return self.matches[0] if self.matches else None  # wrap around

    def previous_match(self, before: int) -> int | None:
        at = bisect_left(self.matches, before)
        if at > 0:
            return self.matches[at - 1]
        return self.matches[-1] if self.matches else None
