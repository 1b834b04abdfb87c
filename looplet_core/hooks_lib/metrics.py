"""`MetricsHook`: tokens, cost, latency, tool durations and errors, per step and in total.

    metrics = MetricsHook()
    for step in composable_loop(llm, tools, task, hooks=[metrics]):
        ...
    metrics.debug_state()["total"]     # {"model_calls": 9, "input_tokens": ..., ...}
    metrics.step(3)                    # StepMetrics of step 3

It only observes, and each step costs a few additions: totals are kept as
running sums, and per-step records are kept for the last `keep_steps` steps
(all of them with `keep_steps=None`).  With `recorder` (a ProvenanceSink) the
totals are annotated in the trace under "metrics" when the run ends.
"""

from __future__ import annotations

from collections import deque
from time import perf_counter

from looplet_core._record import Record, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from looplet_core.loop import LoopState, Prompt
    from looplet_core.types import LLMResponse, RunResult, Step

__all__ = ["MetricsHook", "StepMetrics"]


class StepMetrics(Record):
    """One step's numbers.  Tokens, cost and latency are those of the model call
    that proposed the step, and `first_of_turn` says whether the step is the one
    that counts them (a turn with three calls spends its tokens once)."""

    __slots__ = (
        "step",
        "turn",
        "tool",
        "ok",
        "error_kind",
        "duration_ms",
        "input_tokens",
        "output_tokens",
        "cost",
        "latency_ms",
        "first_of_turn",
        "hooks_us",
    )
    step: int
    turn: int
    tool: str
    ok: bool
    error_kind: str | None
    duration_ms: float
    """The tool's own run time."""
    input_tokens: int
    output_tokens: int
    cost: float | None
    latency_ms: float
    """The model call's latency."""
    first_of_turn: bool
    hooks_us: int
    """Microseconds the hooks took on this step, from its hook trace."""

    def __init__(self, step: Step, first_of_turn: bool) -> None:
        result = step.tool_result
        set_field(self, "step", step.number)
        set_field(self, "turn", step.turn)
        set_field(self, "tool", step.tool_call.name)
        set_field(self, "ok", result.ok)
        set_field(self, "error_kind", None if result.error_kind is None else str(result.error_kind))
        set_field(self, "duration_ms", result.duration_ms)
        set_field(self, "input_tokens", step.usage.input_tokens)
        set_field(self, "output_tokens", step.usage.output_tokens)
        set_field(self, "cost", step.cost)
        set_field(self, "latency_ms", step.latency_ms)
        set_field(self, "first_of_turn", first_of_turn)
        set_field(self, "hooks_us", sum(entry.micros for entry in step.hook_trace))

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._field_names}


class _ToolTotals:
    """Calls, errors and run time of one tool."""

    __slots__ = ("calls", "errors", "max_ms", "total_ms")

    def __init__(self) -> None:
        self.calls = self.errors = 0
        self.total_ms = self.max_ms = 0.0

    def add(self, metrics: StepMetrics) -> None:
        self.calls += 1
        self.errors += not metrics.ok
        self.total_ms += metrics.duration_ms
        self.max_ms = max(self.max_ms, metrics.duration_ms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "errors": self.errors,
            "total_ms": round(self.total_ms, 3),
            "mean_ms": round(self.total_ms / self.calls, 3) if self.calls else 0.0,
            "max_ms": round(self.max_ms, 3),
        }


class MetricsHook:
    """Counts what a run spends and how it goes; read it with `debug_state()`."""

    def __init__(
        self, *, keep_steps: int | None = 1000, recorder: Any = None, name: str = "metrics"
    ) -> None:
        if keep_steps is not None and (type(keep_steps) is not int or keep_steps < 0):
            raise ValueError(f"keep_steps must be None or an int of at least 0, not {keep_steps!r}")
        self.name = name
        self.recorder = recorder
        self._steps: deque[StepMetrics] = deque(maxlen=keep_steps)
        self._reset()

    def _reset(self) -> None:
        self._steps.clear()
        self.model_calls = self.model_errors = 0
        self.input_tokens = self.output_tokens = 0
        self.cache_read_tokens = self.cache_write_tokens = 0
        self.cost: float | None = None
        self.latency_total_ms = self.latency_max_ms = 0.0
        self.step_count = self.tool_errors = 0
        self.errors_by_kind: dict[str, int] = {}
        self.tools: dict[str, _ToolTotals] = {}
        self.stop_reason: str | None = None
        self.duration_ms: float | None = None
        self._started = perf_counter()
        self._turn_counted = -1

    # -- hook phases --------------------------------------------------------

    def pre_loop(self, state: LoopState) -> None:
        self._reset()

    def on_llm_response(self, state: LoopState, prompt: Prompt, response: LLMResponse) -> None:
        usage = response.usage
        self.model_calls += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        if response.cost is not None:
            self.cost = (self.cost or 0.0) + response.cost
        self.latency_total_ms += response.latency_ms
        self.latency_max_ms = max(self.latency_max_ms, response.latency_ms)

    def on_llm_error(self, state: LoopState, prompt: Prompt, error: Exception) -> None:
        self.model_errors += 1

    def on_step(self, state: LoopState, step: Step) -> None:
        metrics = StepMetrics(step, first_of_turn=step.turn != self._turn_counted)
        self._turn_counted = step.turn
        self._steps.append(metrics)
        self.step_count += 1
        if not metrics.ok:
            self.tool_errors += 1
            kind = metrics.error_kind or "error"
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1
        totals = self.tools.get(metrics.tool)
        if totals is None:
            totals = self.tools[metrics.tool] = _ToolTotals()
        totals.add(metrics)

    def on_loop_end(self, state: LoopState, result: RunResult) -> None:
        self.stop_reason = str(result.stop_reason)
        self.duration_ms = result.duration_ms or (perf_counter() - self._started) * 1000
        if self.recorder is not None:
            self.recorder.annotate("metrics", self.totals())

    # -- reading --------------------------------------------------------------

    def step(self, number: int) -> StepMetrics | None:
        """The metrics of step `number`, if it is among the kept ones."""
        for metrics in reversed(list(self._steps)):  # a snapshot: the loop may be appending
            if metrics.step == number:
                return metrics
        return None

    @property
    def steps(self) -> tuple[StepMetrics, ...]:
        """The kept per-step records, oldest first."""
        return tuple(self._steps)

    def totals(self) -> dict[str, Any]:
        """The whole run so far, as JSON data."""
        calls = self.model_calls
        tools = list(self.tools.items())  # a snapshot: debuggers call this from their own thread
        tool_ms = sum(totals.total_ms for _, totals in tools)
        return {
            "model_calls": calls,
            "model_errors": self.model_errors,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cost": self.cost,
            "latency_ms": {
                "total": round(self.latency_total_ms, 3),
                "mean": round(self.latency_total_ms / calls, 3) if calls else 0.0,
                "max": round(self.latency_max_ms, 3),
            },
            "steps": self.step_count,
            "tool_ms": round(tool_ms, 3),
            "tool_errors": self.tool_errors,
            "errors_by_kind": dict(self.errors_by_kind),
            "tools": {name: totals.to_dict() for name, totals in tools},
            "stop_reason": self.stop_reason,
            "duration_ms": self.duration_ms,
        }

    def debug_state(self) -> dict[str, Any]:
        recent = list(self._steps)[-10:]
        return {
            "total": self.totals(),
            "last_step": recent[-1].to_dict() if recent else None,
            "recent_steps": [metrics.to_dict() for metrics in recent],
        }
