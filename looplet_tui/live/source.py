"""`LiveSource`: the steps of the run being debugged, as the viewer's widgets read them.

The live view reads the run's own trace, refreshed as each step is recorded,
so what the timeline and detail panes show live is exactly what `looplet-tui
open` shows when the run is reopened.  On top of the trace it keeps what a
trace does not hold yet: each hook's `debug_state()` after every step, and
the steps that followed a compaction (the trace lists them when the run ends).

Like every StepSource it is used on the UI thread only.
"""

from __future__ import annotations

from collections.abc import Sequence

from looplet_core.provenance import StepDetail, StepSummary, TraceError, TraceMeta, open_trace
from looplet_tui.source import DetailError, HookStates, TraceSource

__all__ = ["LiveSource"]


class LiveSource:
    """Empty until the run's trace exists (`attach`), then the trace plus live extras."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._trace: TraceSource | None = None
        self._hook_states: dict[int, HookStates] = {}
        self._compacted: set[int] = set()

    @property
    def name(self) -> str:
        return self._name

    @property
    def attached(self) -> bool:
        return self._trace is not None

    def attach(self, run_dir: str) -> None:
        """Start reading the trace in `run_dir`; raises DetailError if it cannot be opened."""
        try:
            self._trace = TraceSource(open_trace(run_dir), name=self._name)
        except TraceError as exc:
            raise DetailError(str(exc)) from exc

    def record_hook_states(self, step: int, states: HookStates) -> None:
        self._hook_states[step] = states

    def record_compaction(self, step: int) -> None:
        """Step `step`'s model call came right after a compaction."""
        self._compacted.add(step)

    def __len__(self) -> int:
        return 0 if self._trace is None else len(self._trace)

    def _attached(self) -> TraceSource:
        if self._trace is None:
            raise DetailError("the run has not started yet")
        return self._trace

    def summary(self, index: int) -> StepSummary:
        return self._attached().summary(index)

    def detail(self, index: int) -> StepDetail:
        return self._attached().detail(index)

    def hook_states(self, index: int) -> HookStates:
        return self._hook_states.get(self.summary(index).number, {})

    def human_steps(self) -> frozenset[int]:
        """Numbers of the steps a person decided something about (timeline markers)."""
        return frozenset() if self._trace is None else self._trace.human_steps()

    def compacted_steps(self) -> frozenset[int]:
        """Numbers of the steps whose model call followed a compaction (timeline markers)."""
        recorded = frozenset() if self._trace is None else self._trace.compacted_steps()
        return recorded | self._compacted

    def meta(self) -> TraceMeta:
        return self._attached().meta()

    def problems(self) -> Sequence[str]:
        return () if self._trace is None else self._trace.problems()

    def refresh(self) -> int:
        return 0 if self._trace is None else self._trace.refresh()
