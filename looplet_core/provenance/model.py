"""What reading a trace gives back, whatever program wrote it.

These records are the reader's whole public vocabulary: every format (our own
directories, looplet 0.4 runs, mini-swe-agent trajectories) is read into them,
so a viewer or a grader never needs to know where a run came from.
"""

from __future__ import annotations

from looplet_core._record import Record, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from looplet_core.types import LLMResponse, Message, Step, Usage

__all__ = ["HumanDecision", "StepDetail", "StepSummary", "TraceError", "TraceMeta"]


class TraceError(Exception):
    """A trace that cannot be read; the message names the file and the reason on one line."""


class StepSummary(Record):
    """One step as the index describes it: enough for a timeline row."""

    __slots__ = (
        "number",
        "turn",
        "tool",
        "args_preview",
        "ok",
        "error_kind",
        "duration_ms",
        "input_tokens",
        "output_tokens",
        "latency_ms",
    )
    number: int
    turn: int
    tool: str
    args_preview: str
    ok: bool
    error_kind: str | None
    duration_ms: float
    input_tokens: int
    output_tokens: int
    latency_ms: float

    def __init__(
        self,
        number: int,
        turn: int,
        tool: str,
        args_preview: str,
        ok: bool,
        error_kind: str | None,
        duration_ms: float,
        input_tokens: int,
        output_tokens: int,
        latency_ms: float,
    ) -> None:
        set_field(self, "number", number)
        set_field(self, "turn", turn)
        set_field(self, "tool", tool)
        set_field(self, "args_preview", args_preview)
        set_field(self, "ok", ok)
        set_field(self, "error_kind", error_kind)
        set_field(self, "duration_ms", duration_ms)
        set_field(self, "input_tokens", input_tokens)
        set_field(self, "output_tokens", output_tokens)
        set_field(self, "latency_ms", latency_ms)


class HumanDecision(Record):
    """A person's decision about a step: "approve", "edit" (before/after arguments)
    or "reject" (`after` is the feedback)."""

    __slots__ = ("step", "action", "before", "after", "who", "time")
    step: int
    action: str
    before: Any
    after: Any
    who: str
    time: float | None

    def __init__(
        self, step: int, action: str, before: Any, after: Any, who: str, time: float | None
    ) -> None:
        set_field(self, "step", step)
        set_field(self, "action", action)
        set_field(self, "before", before)
        set_field(self, "after", after)
        set_field(self, "who", who)
        set_field(self, "time", time)


class StepDetail(Record):
    """Everything recorded about one step.

    `prompt` is the conversation the model saw for this step's turn and
    `response` its reply (with `raw_request`/`raw_response` when the backend
    kept them); either is None when the records it needs are damaged, and
    `problems` then says why.  `prompt` is a sequence of Messages that
    compares equal to the tuple the model saw; for our own traces it reads
    each message from the file when it is asked for (native_prompts.py), so
    the last step of a long run costs no more than the first.  `time` is
    when the reply arrived (Unix time).
    `hook_states` holds each hook's `debug_state()` as it was when the step
    finished, by hook name (empty when the format does not record it).
    """

    __slots__ = ("step", "prompt", "response", "human", "time", "problems", "hook_states")
    step: Step
    prompt: Sequence[Message] | None
    response: LLMResponse | None
    human: tuple[HumanDecision, ...]
    time: float | None
    problems: tuple[str, ...]
    hook_states: dict[str, Any]

    def __init__(
        self,
        step: Step,
        prompt: Sequence[Message] | None,
        response: LLMResponse | None,
        human: tuple[HumanDecision, ...] = (),
        time: float | None = None,
        problems: tuple[str, ...] = (),
        hook_states: dict[str, Any] | None = None,
    ) -> None:
        set_field(self, "step", step)
        set_field(self, "prompt", prompt)
        set_field(self, "response", response)
        set_field(self, "human", human)
        set_field(self, "time", time)
        set_field(self, "problems", problems)
        set_field(self, "hook_states", hook_states or {})


class TraceMeta(Record):
    """What the run was and how it ended: from the format's header and summary
    files, or derived from the records when the run did not finish (`finished`
    False).  `stop_reason` is a `StopReason` value whatever the format; for a
    foreign format, `reason` quotes the format's own word for how the run ended.

    `format` names what wrote the trace: "looplet-trace/1" (ours, with its
    version), "looplet-0.4" or "mini-swe-agent-1.1" (the trajectory's own
    `trajectory_format`).  `forked_from` is the header's record of the trace a
    replay or fork started from (`{"path", "step", "mode"}`), or None.
    `annotations` holds what hooks left in the trace through
    `ProvenanceSink.annotate` (eval grades under "evals", compactions under
    "compactions", ...); empty for runs without any, and for foreign formats.
    `complete` is False while a progressively opened trace is still being
    indexed (`Trace.complete`): `steps` then counts only the part read so far,
    and so do `turns`, `usage` and `duration_ms` unless the format has its
    totals apart from the steps (a finished run of ours, in summary.json).
    """

    __slots__ = (
        "format",
        "task",
        "model",
        "tools",
        "settings",
        "created",
        "forked_from",
        "finished",
        "stop_reason",
        "reason",
        "error",
        "answer",
        "steps",
        "turns",
        "usage",
        "cost",
        "duration_ms",
        "annotations",
        "complete",
    )
    format: str
    task: str | None
    model: str | None
    tools: tuple[dict[str, Any], ...]
    settings: dict[str, Any]
    created: str | None
    forked_from: dict[str, Any] | None
    finished: bool
    stop_reason: str | None
    reason: str
    error: str | None
    answer: Any
    steps: int
    turns: int
    usage: Usage
    cost: float | None
    duration_ms: float | None
    annotations: dict[str, Any]
    complete: bool

    def __init__(self, **fields: Any) -> None:
        fields.setdefault("annotations", {})  # only our own format has them
        fields.setdefault("complete", True)  # only a progressive open is ever partial
        for name in self._field_names:
            set_field(self, name, fields.pop(name))
        if fields:
            raise TypeError(f"TraceMeta has no field(s) {', '.join(sorted(fields))}")
