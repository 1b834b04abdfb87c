"""Where the viewer's steps come from: the `StepSource` protocol and its trace adapter.

The widgets never touch a `Trace` directly.  They read a `StepSource`: a
sequence of steps by position, each with a cheap summary (a timeline row) and
a detail loaded on demand.  A saved run is a `TraceSource`; the live debugger
provides its own source over the steps its session has recorded so far, and
the same timeline and panes show either.

A source need not be thread-safe, but the viewer screen calls it from two
threads, never at the same time for the same call: `detail`, `refresh` and
`index_more` (the slow, file-reading calls) run on its loader thread one
after another (see loader.py), and `__len__`, `summary`, `meta` and
`problems` on the UI thread.  A source whose `refresh` may shrink or reorder
its steps must keep that safe.

A source may also be read progressively (`TraceSource` over a trace opened
with `progressive=True`): it then has `progress()` (the share read, or None
once complete) and `index_more(budget_s)`, which the viewer calls after its
first paint until the source is complete.  Sources without them (the live
debugger's) are always complete.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from looplet_core.provenance import StepDetail, StepSummary, Trace, TraceError, TraceMeta
from looplet_tui.findings import compacted_steps

__all__ = ["DetailError", "StepData", "StepSource", "TraceSource", "load_step"]

HookStates = Mapping[str, Mapping[str, object]]
"""Each hook's `debug_state()`, by hook name."""


class DetailError(Exception):
    """A step's detail cannot be loaded; the message says why, on one line."""


class StepSource(Protocol):
    """A run's steps, by position (0 is the first step)."""

    @property
    def name(self) -> str:
        """A short name for the run: what the status bar shows."""
        ...

    def __len__(self) -> int: ...

    def summary(self, index: int) -> StepSummary:
        """The timeline row of step `index`: cheap, called for every visible row."""
        ...

    def detail(self, index: int) -> StepDetail:
        """Everything about step `index`; raises `DetailError` if it cannot be read."""
        ...

    def hook_states(self, index: int) -> HookStates:
        """Each hook's `debug_state()` as recorded with step `index` (empty if none was)."""
        ...

    def meta(self) -> TraceMeta:
        """The run: task, model, stop reason and totals."""
        ...

    def problems(self) -> Sequence[str]:
        """What is damaged or missing, one line each (empty when all is well)."""
        ...

    def refresh(self) -> int:
        """Pick up steps recorded since the last call; return how many are new."""
        ...


_DETAILS_KEPT = 32
"""Details held in memory: enough to go back and forth, bounded for huge runs."""


class TraceSource:
    """A saved trace as a `StepSource`, with an LRU cache of loaded details."""

    def __init__(self, trace: Trace, name: str | None = None) -> None:
        self.trace = trace
        self._name = name or os.path.basename(os.path.normpath(trace.path)) or trace.path
        self._details: OrderedDict[int, StepDetail] = OrderedDict()
        self._meta: TraceMeta | None = None

    @property
    def name(self) -> str:
        return self._name

    def __len__(self) -> int:
        return len(self.trace)

    def summary(self, index: int) -> StepSummary:
        return self.trace.steps[index]

    def detail(self, index: int) -> StepDetail:
        cached = self._details.get(index)
        if cached is not None:
            self._details.move_to_end(index)
            return cached
        try:
            detail = self.trace.detail(index, raw_request=False)  # no pane shows it
        except TraceError as exc:
            raise DetailError(str(exc)) from exc
        self._details[index] = detail
        if len(self._details) > _DETAILS_KEPT:
            self._details.popitem(last=False)
        return detail

    def hook_states(self, index: int) -> HookStates:
        try:
            return self.detail(index).hook_states
        except DetailError:
            return {}  # the detail's own error is what the panes report

    def human_steps(self) -> frozenset[int]:
        """Numbers of the steps with a human decision (the timeline marks them)."""
        return self.trace.human_steps()

    def compacted_steps(self) -> frozenset[int]:
        """Numbers of the steps whose model call followed a compaction the trace
        records (`ThresholdCompactHook` with a recorder); the timeline marks them."""
        try:
            return compacted_steps(self.meta().annotations)
        except DetailError:
            return frozenset()

    def meta(self) -> TraceMeta:
        if self._meta is None:
            try:
                self._meta = self.trace.meta
            except TraceError as exc:
                raise DetailError(str(exc)) from exc
        return self._meta

    def problems(self) -> Sequence[str]:
        return self.trace.problems

    def refresh(self) -> int:
        try:
            added = self.trace.refresh()
        except TraceError as exc:
            raise DetailError(str(exc)) from exc
        self._meta = None  # totals and the stop reason may have changed
        return added

    def progress(self) -> float | None:
        """The share of the trace indexed so far, or None once it is complete."""
        return None if self.trace.complete else self.trace.progress

    def index_more(self, budget_s: float) -> int:
        """Index more of a trace opened progressively; how many steps were added."""
        try:
            added = self.trace.index_more(budget_s)
        except TraceError as exc:
            raise DetailError(str(exc)) from exc
        self._meta = None  # the totals grew
        return added


@dataclass(frozen=True, slots=True)
class StepData:
    """Everything the detail panes show for one step, loaded once per selection."""

    position: int
    summary: StepSummary
    detail: StepDetail | None
    """None when it could not be loaded; `error` then says why."""
    error: str | None
    hook_states: HookStates
    meta: TraceMeta | None
    """The run (for totals); None when it cannot be described."""


def load_step(source: StepSource, position: int) -> StepData:
    """Read what the panes need about step `position`; failures become `error`."""
    detail = error = meta = None
    try:
        detail = source.detail(position)
    except DetailError as exc:
        error = str(exc)
    try:
        meta = source.meta()
    except DetailError as exc:
        error = error or str(exc)
    return StepData(
        position, source.summary(position), detail, error, source.hook_states(position), meta
    )
