"""Per-step facts the viewer gathers in the background: errors, tools, a token series.

Opening a run paints the first page from summaries read on demand; this index
is filled afterwards, a slice at a time, so that a 100k-step run opens as fast
as a 10-step one.  Until it is complete, error jumps, the tool filter and the
sparkline work on the part indexed so far.  It only grows: follow mode adds
the new steps to it.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable

from looplet_core.provenance import StepSummary

__all__ = ["RunIndex", "fuzzy_match"]


class RunIndex:
    """What every step is, in a compact form: built by `add`, in step order."""

    def __init__(self) -> None:
        self.errors: list[int] = []
        """Positions of failed steps, ascending."""
        self.tools: list[str] = []
        """Distinct tool names, in order of first use."""
        self._tool_ids: dict[str, int] = {}
        self._tool_of = array("I")
        self.tokens = array("q")
        """Input plus output tokens of each step's turn."""
        self.latency = array("d")
        """Model latency (ms) of each step's turn."""

    def __len__(self) -> int:
        return len(self._tool_of)

    def add(self, summaries: Iterable[StepSummary]) -> None:
        """Index the next steps (they must follow the ones already indexed)."""
        for summary in summaries:
            position = len(self._tool_of)
            tool_id = self._tool_ids.get(summary.tool)
            if tool_id is None:
                tool_id = self._tool_ids[summary.tool] = len(self.tools)
                self.tools.append(summary.tool)
            self._tool_of.append(tool_id)
            self.tokens.append(summary.input_tokens + summary.output_tokens)
            self.latency.append(summary.latency_ms)
            if not summary.ok:
                self.errors.append(position)

    def next_error(self, after: int) -> int | None:
        """The first failed step after position `after`, if one is indexed."""
        at = bisect_right(self.errors, after)
        return self.errors[at] if at < len(self.errors) else None

    def previous_error(self, before: int) -> int | None:
        """The last failed step before position `before`."""
        at = bisect_left(self.errors, before)
        return self.errors[at - 1] if at > 0 else None

    def steps_using(self, tools: Collection[str]) -> list[int]:
        """Positions of the indexed steps that called one of `tools`, ascending."""
        wanted = {self._tool_ids[name] for name in tools if name in self._tool_ids}
        return [position for position, tool in enumerate(self._tool_of) if tool in wanted]


def fuzzy_match(query: str, name: str) -> bool:
    """True when the letters of `query` appear in `name` in order (case-insensitive),
    so `rf` finds `read_file` and `mvf` finds `move_file`."""
    position = 0
    lowered = name.casefold()
    for char in query.casefold():
        if char.isspace():
            continue
        position = lowered.find(char, position) + 1
        if position == 0:
            return False
    return True
