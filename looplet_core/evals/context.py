"""`EvalContext`: one finished run, as graders see it, whatever recorded it.

    EvalContext.from_trace("runs/20250601-142501-a1b2c3")     # ours
    EvalContext.from_trace("fixtures/looplet04/ok_run")      # a looplet 0.4 directory
    EvalContext.from_trace("batch/x/x.traj.json")            # a mini-swe-agent trajectory
    EvalContext.from_run(state, result)                      # a live run (EvalHook)

The trace reader already turns every format into the same Steps, so graders
are written once: `ctx.calls`, `ctx.results`, `ctx.answer`, `ctx.stop_reason`...
"""

from __future__ import annotations

import os

from looplet_core._record import Record, set_fields
from looplet_core.provenance import TraceError, open_trace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from looplet_core.loop import LoopState
    from looplet_core.provenance import Trace, TraceMeta
    from looplet_core.types import Message, RunResult, Step, ToolCall, ToolResult, Usage

__all__ = ["EvalContext"]


class EvalContext(Record):
    """A finished run: its task, steps, how it ended and what it cost."""

    __slots__ = (
        "source",
        "task",
        "steps",
        "answer",
        "stop_reason",
        "reason",
        "error",
        "usage",
        "cost",
        "duration_ms",
        "messages",
        "meta",
        "problems",
    )
    source: str
    """The trace's path, or "live run"."""
    task: str | None
    steps: tuple[Step, ...]
    answer: Any
    """The final answer: the terminal tool's result data (a submission for mini-swe-agent)."""
    stop_reason: str | None
    """A StopReason value ("done", "max_steps", ...); None for a run that did not end."""
    reason: str
    error: str | None
    usage: Usage
    cost: float | None
    duration_ms: float | None
    messages: tuple[Message, ...] | None
    """The final conversation, when the trace holds it."""
    meta: TraceMeta | None
    """Everything the trace says about the run (None for a live run)."""
    problems: tuple[str, ...]
    """What the trace reader found damaged or missing: graders may want to refuse."""

    def __init__(self, **fields: Any) -> None:
        set_fields(self, fields)

    # -- building ---------------------------------------------------------------

    @classmethod
    def from_trace(cls, trace: Trace | str | os.PathLike[str]) -> EvalContext:
        """Read a whole trace (any format open_trace reads); TraceError if it cannot be."""
        if isinstance(trace, str | os.PathLike):
            trace = open_trace(trace)
        meta = trace.meta
        steps = []
        problems = []
        for index in range(len(trace)):
            try:
                steps.append(trace.step(index))
            except TraceError as exc:
                problems.append(str(exc))
        problems = [*trace.problems, *(p for p in problems if p not in trace.problems)]
        return cls(
            source=trace.path,
            task=meta.task,
            steps=tuple(steps),
            answer=meta.answer,
            stop_reason=meta.stop_reason,
            reason=meta.reason,
            error=meta.error,
            usage=meta.usage,
            cost=meta.cost,
            duration_ms=meta.duration_ms,
            messages=trace.conversation(),
            meta=meta,
            problems=tuple(problems),
        )

    @classmethod
    def from_run(cls, state: LoopState, result: RunResult) -> EvalContext:
        """A run that just ended, from the loop's own state and result."""
        return cls(
            source="live run",
            task=state.task,
            steps=result.steps,
            answer=result.answer,
            stop_reason=str(result.stop_reason),
            reason=result.reason,
            error=result.error,
            usage=result.usage,
            cost=result.cost,
            duration_ms=result.duration_ms,
            messages=result.messages,
            meta=None,
            problems=(),
        )

    # -- what graders ask ---------------------------------------------------------

    @property
    def calls(self) -> tuple[ToolCall, ...]:
        """Every tool call, in order (as it ran, after hooks' rewrites)."""
        return tuple(step.tool_call for step in self.steps)

    @property
    def results(self) -> tuple[ToolResult, ...]:
        return tuple(step.tool_result for step in self.steps)

    @property
    def tools_called(self) -> tuple[str, ...]:
        """The tool names, in call order."""
        return tuple(step.tool_call.name for step in self.steps)

    @property
    def errors(self) -> tuple[Step, ...]:
        """The steps whose result is an error (denied, failed, invalid, skipped...)."""
        return tuple(step for step in self.steps if not step.tool_result.ok)

    @property
    def finished(self) -> bool:
        """Whether the run ended by its terminal tool (stop reason "done")."""
        return self.stop_reason == "done"

    def calls_to(self, tool: str) -> tuple[ToolCall, ...]:
        return tuple(call for call in self.calls if call.name == tool)

    def called(self, tool: str) -> bool:
        return any(step.tool_call.name == tool for step in self.steps)

    @property
    def total_tokens(self) -> int:
        return self.usage.input_tokens + self.usage.output_tokens
