"""`FrozenSource`: a recorded trace with its clock readings pinned, for snapshots.

Tool durations, model latencies, hook timings and wall-clock times change on
every recording; everything else in a scripted run is deterministic.  This
StepSource wraps the real `TraceSource` and replaces just those readings with
numbers derived from the step, so an SVG snapshot is the same on every run
while the viewer still reads a real trace through the real adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from looplet_core.provenance import StepDetail, StepSummary, TraceMeta
from looplet_tui.source import HookStates, TraceSource

FIXED_TIME = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC


def _duration(number: int) -> float:
    return 0.5 + 1.75 * (number % 7)


def _latency(turn: int) -> float:
    return 300.0 + 45.0 * turn


class FrozenSource:
    """A TraceSource whose timings are fixed; `hook_states` may add debug states."""

    def __init__(
        self,
        inner: TraceSource,
        name: str,
        hook_states: Mapping[int, HookStates] | None = None,
    ) -> None:
        self.inner = inner
        self.name = name
        self._hook_states = hook_states or {}

    def __len__(self) -> int:
        return len(self.inner)

    def summary(self, index: int) -> StepSummary:
        summary = self.inner.summary(index)
        return summary.replace(
            duration_ms=_duration(summary.number), latency_ms=_latency(summary.turn)
        )

    def detail(self, index: int) -> StepDetail:
        detail = self.inner.detail(index)
        step = detail.step
        step = step.replace(
            tool_result=step.tool_result.replace(duration_ms=_duration(step.number)),
            latency_ms=_latency(step.turn),
            hook_trace=tuple(
                entry.replace(micros=7 + 3 * n) for n, entry in enumerate(step.hook_trace)
            ),
        )
        response = detail.response
        if response is not None:
            response = response.replace(latency_ms=_latency(step.turn))
        return detail.replace(step=step, response=response, time=FIXED_TIME + step.turn)

    def hook_states(self, index: int) -> HookStates:
        return self._hook_states.get(index, {})

    def meta(self) -> TraceMeta:
        return self.inner.meta().replace(created="2025-06-15T15:06:40Z", duration_ms=4321.0)

    def problems(self) -> Sequence[str]:
        return self.inner.problems()

    def refresh(self) -> int:
        return self.inner.refresh()
