"""The loop's value types: immutable records that cross every boundary.

Everything here is an immutable, slotted Record so a `Step` handed to a consumer
can never change under it, and so thousands of them stay cheap.  Each type has a
`to_dict()`/`from_dict()` pair producing plain JSON data, because steps are
written to traces, sent between threads and compared in tests.
"""

from __future__ import annotations

import json
from enum import StrEnum

from looplet_core._record import Record, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs import time we do not spend at runtime
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "ErrorKind",
    "HookTrace",
    "LLMResponse",
    "Message",
    "RunResult",
    "Step",
    "StopReason",
    "ToolCall",
    "ToolResult",
    "Usage",
]


class StopReason(StrEnum):
    """Why a run ended. The value is what traces and `pretty()` show."""

    DONE = "done"
    """A terminal tool was called and no `check_done` hook blocked it."""
    MAX_STEPS = "max_steps"
    HOOK = "hook"
    """A hook asked to stop (`Stop` from pre_prompt/post_dispatch, or should_stop)."""
    LLM_ERROR = "llm_error"
    """The backend raised; the message is in `RunResult.error`."""
    CLOSED = "closed"
    """The consumer closed the generator or broke out of its for-loop."""
    CANCELLED = "cancelled"
    """`LoopState.cancel()` was called, typically from another thread."""
    ERROR = "error"
    """A hook or the loop itself raised. Only `on_loop_end` sees this: the
    exception then propagates to the consumer."""
    DIVERGED = "diverged"
    """A hook returned `Diverged`: the run left the path it was meant to follow
    (a replay whose call no longer matches the recording)."""


class ErrorKind(StrEnum):
    """What went wrong with a tool call; the model sees it, the TUI colours by it."""

    VALIDATION = "validation"
    UNKNOWN_TOOL = "unknown_tool"
    EXECUTION = "execution"
    TIMEOUT = "timeout"
    PERMISSION = "permission"
    DENIED = "denied"
    PARSE = "parse"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


class Usage(Record):
    """Token counts of one model call, or a sum of them.

    The four counts are disjoint: `input_tokens` excludes tokens read from or
    written to the provider's prompt cache, so the whole prompt is
    `input_tokens + cache_read_tokens + cache_write_tokens` (Anthropic reports
    it this way; the OpenAI backend subtracts cached tokens to match).
    """

    __slots__ = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int

    def __init__(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> None:
        set_field(self, "input_tokens", input_tokens)
        set_field(self, "output_tokens", output_tokens)
        set_field(self, "cache_read_tokens", cache_read_tokens)
        set_field(self, "cache_write_tokens", cache_write_tokens)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        return cls(*(int(data.get(key, 0)) for key in cls._field_names))


NO_USAGE = Usage()


class ToolCall(Record):
    """One tool invocation proposed by the model.

    `id` pairs the call with its result in the conversation; the loop assigns one
    when the backend did not.  `args=None` (what models send for a call without
    arguments) means no arguments.  When a model's arguments were not valid
    JSON, backends pass the raw text as `args` (a str): dispatch then answers
    with a `parse` error the model can correct, and the conversation keeps
    exactly what the model wrote.  `text` and `reasoning` carry what the model said
    alongside the call, so a debugger can show *why* it chose it.
    """

    __slots__ = ("name", "args", "id", "text", "reasoning")
    name: str
    args: dict[str, Any]
    id: str
    text: str
    reasoning: str

    def __init__(
        self,
        name: str,
        args: dict[str, Any] | None = None,
        id: str = "",
        text: str = "",
        reasoning: str = "",
    ) -> None:
        set_field(self, "name", name)
        set_field(self, "args", {} if args is None else args)
        set_field(self, "id", id)
        set_field(self, "text", text)
        set_field(self, "reasoning", reasoning)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "args": self.args,
            "id": self.id,
            "text": self.text,
            "reasoning": self.reasoning,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCall:
        return cls(
            name=data["name"],
            args=_args_from(data.get("args")),
            id=data.get("id", ""),
            text=data.get("text", ""),
            reasoning=data.get("reasoning", ""),
        )


class ToolResult(Record):
    """What a tool call produced: `data` on success, or `error` with an `error_kind`.

    Failures are values, not exceptions, so the model can read and correct them.
    `data` is always JSON-compatible (the registry converts what tools return).
    """

    __slots__ = ("data", "error", "error_kind", "duration_ms")
    data: Any
    error: str | None
    error_kind: ErrorKind | None
    duration_ms: float

    def __init__(
        self,
        data: Any = None,
        error: str | None = None,
        error_kind: ErrorKind | None = None,
        duration_ms: float = 0.0,
    ) -> None:
        set_field(self, "data", data)
        set_field(self, "error", error)
        set_field(self, "error_kind", error_kind)
        set_field(self, "duration_ms", duration_ms)

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failure(cls, kind: ErrorKind, message: str, duration_ms: float = 0.0) -> ToolResult:
        return cls(error=message, error_kind=ErrorKind(kind), duration_ms=duration_ms)

    def content_for_model(self) -> str:
        """The text the model reads as this call's result."""
        if self.error is not None:
            return f"ERROR ({self.error_kind}): {self.error}"
        if isinstance(self.data, str):
            return self.data
        return json.dumps(self.data, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "error": self.error,
            "error_kind": None if self.error_kind is None else str(self.error_kind),
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolResult:
        kind = data.get("error_kind")
        return cls(
            data=data.get("data"),
            error=data.get("error"),
            error_kind=None if kind is None else ErrorKind(kind),
            duration_ms=float(data.get("duration_ms", 0.0)),
        )


class HookTrace(Record):
    """One hook invocation: who ran, in which phase, what it decided and how long it took.

    `decision` is None when the hook only observed; it is still recorded so a
    reader can see that the hook ran and let the call through.
    """

    __slots__ = ("hook", "phase", "decision", "reason", "micros")
    hook: str
    phase: str
    decision: str | None
    reason: str
    micros: int

    def __init__(
        self, hook: str, phase: str, decision: str | None = None, reason: str = "", micros: int = 0
    ) -> None:
        set_field(self, "hook", hook)
        set_field(self, "phase", phase)
        set_field(self, "decision", decision)
        set_field(self, "reason", reason)
        set_field(self, "micros", micros)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "phase": self.phase,
            "decision": self.decision,
            "reason": self.reason,
            "micros": self.micros,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HookTrace:
        return cls(
            hook=data["hook"],
            phase=data["phase"],
            decision=data.get("decision"),
            reason=data.get("reason", ""),
            micros=int(data.get("micros", 0)),
        )


class Message(Record):
    """One conversation entry, in the shape both OpenAI and Anthropic accept.

    An assistant message may carry `tool_calls`; a `tool` message answers one of
    them through `tool_call_id`, and says with `is_error` whether the call failed
    (Anthropic's tool_result blocks carry that flag).  Backends translate these
    to their wire format.
    """

    __slots__ = ("role", "content", "tool_calls", "tool_call_id", "name", "is_error")
    role: str
    content: str
    tool_calls: tuple[ToolCall, ...]
    tool_call_id: str | None
    name: str | None
    is_error: bool

    def __init__(
        self,
        role: str,
        content: str = "",
        tool_calls: tuple[ToolCall, ...] = (),
        tool_call_id: str | None = None,
        name: str | None = None,
        is_error: bool = False,
    ) -> None:
        set_field(self, "role", role)
        set_field(self, "content", content)
        set_field(self, "tool_calls", tool_calls)
        set_field(self, "tool_call_id", tool_call_id)
        set_field(self, "name", name)
        set_field(self, "is_error", is_error)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            data["name"] = self.name
        if self.is_error:
            data["is_error"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(
            role=data["role"],
            content=data.get("content", ""),
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("tool_calls", ())),
            tool_call_id=data.get("tool_call_id"),
            name=data.get("name"),
            is_error=bool(data.get("is_error", False)),
        )


class LLMResponse(Record):
    """One model reply, already parsed from the provider's wire format.

    `raw_request`/`raw_response` keep the JSON-compatible wire data for traces.
    `cost` stays None when the price of the model is unknown: 0 would be a lie.
    """

    __slots__ = (
        "text",
        "tool_calls",
        "usage",
        "latency_ms",
        "finish_reason",
        "reasoning",
        "model",
        "cost",
        "raw_request",
        "raw_response",
    )
    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    latency_ms: float
    finish_reason: str | None
    reasoning: str
    model: str | None
    cost: float | None
    raw_request: Any
    raw_response: Any

    def __init__(
        self,
        text: str = "",
        tool_calls: tuple[ToolCall, ...] = (),
        usage: Usage = NO_USAGE,
        latency_ms: float = 0.0,
        finish_reason: str | None = None,
        reasoning: str = "",
        model: str | None = None,
        cost: float | None = None,
        raw_request: Any = None,
        raw_response: Any = None,
    ) -> None:
        set_field(self, "text", text)
        set_field(self, "tool_calls", tool_calls)
        set_field(self, "usage", usage)
        set_field(self, "latency_ms", latency_ms)
        set_field(self, "finish_reason", finish_reason)
        set_field(self, "reasoning", reasoning)
        set_field(self, "model", model)
        set_field(self, "cost", cost)
        set_field(self, "raw_request", raw_request)
        set_field(self, "raw_response", raw_response)

    def to_dict(self) -> dict[str, Any]:
        """The parsed reply as JSON data; the raw wire data is left to the caller,
        which may store it differently (traces keep requests as deltas)."""
        return {
            "text": self.text,
            "tool_calls": [call.to_dict() for call in self.tool_calls],
            "reasoning": self.reasoning,
            "finish_reason": self.finish_reason,
            "model": self.model,
            "usage": self.usage.to_dict(),
            "latency_ms": self.latency_ms,
            "cost": self.cost,
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], raw_request: Any = None, raw_response: Any = None
    ) -> LLMResponse:
        return cls(
            text=data.get("text") or "",
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ()),
            usage=Usage.from_dict(data.get("usage") or {}),
            latency_ms=float(data.get("latency_ms") or 0.0),
            finish_reason=data.get("finish_reason"),
            reasoning=data.get("reasoning") or "",
            model=data.get("model"),
            cost=data.get("cost"),
            raw_request=raw_request,
            raw_response=raw_response,
        )


class Step(Record):
    """One tool call and its outcome: the unit the loop yields.

    A turn (one model call) yields one Step per proposed call, so `usage`,
    `latency_ms` and `cost` describe the turn and repeat on each of its steps;
    sum them per turn (or use `RunResult.usage`), not per step.
    """

    __slots__ = (
        "number",
        "turn",
        "tool_call",
        "tool_result",
        "usage",
        "latency_ms",
        "cost",
        "hook_trace",
    )
    number: int
    turn: int
    tool_call: ToolCall
    tool_result: ToolResult
    usage: Usage
    latency_ms: float
    cost: float | None
    hook_trace: tuple[HookTrace, ...]

    def __init__(
        self,
        number: int,
        turn: int,
        tool_call: ToolCall,
        tool_result: ToolResult,
        usage: Usage = NO_USAGE,
        latency_ms: float = 0.0,
        cost: float | None = None,
        hook_trace: tuple[HookTrace, ...] = (),
    ) -> None:
        set_field(self, "number", number)
        set_field(self, "turn", turn)
        set_field(self, "tool_call", tool_call)
        set_field(self, "tool_result", tool_result)
        set_field(self, "usage", usage)
        set_field(self, "latency_ms", latency_ms)
        set_field(self, "cost", cost)
        set_field(self, "hook_trace", hook_trace)

    @property
    def ok(self) -> bool:
        return self.tool_result.ok

    def pretty(self) -> str:
        """One line: `#3 ✓ search(query='cats') → 12 items [182ms]`."""
        mark = "✓" if self.tool_result.ok else "✗"
        call = f"{_printable(self.tool_call.name)}({_preview_args(self.tool_call.args)})"
        millis = round(self.tool_result.duration_ms)
        return f"#{self.number} {mark} {call} → {_summarise(self.tool_result)} [{millis}ms]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "turn": self.turn,
            "tool_call": self.tool_call.to_dict(),
            "tool_result": self.tool_result.to_dict(),
            "usage": self.usage.to_dict(),
            "latency_ms": self.latency_ms,
            "cost": self.cost,
            "hook_trace": [entry.to_dict() for entry in self.hook_trace],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        return cls(
            number=int(data["number"]),
            turn=int(data["turn"]),
            tool_call=ToolCall.from_dict(data["tool_call"]),
            tool_result=ToolResult.from_dict(data["tool_result"]),
            usage=Usage.from_dict(data.get("usage") or {}),
            latency_ms=float(data.get("latency_ms", 0.0)),
            cost=data.get("cost"),
            hook_trace=tuple(HookTrace.from_dict(e) for e in data.get("hook_trace", ())),
        )


class RunResult(Record):
    """What `composable_loop` returns (as `StopIteration.value`) when a run ends.

    `hook_trace` holds hook calls that happened after the last step (for example
    a pre_prompt that stopped the run, or on_loop_end), so none is lost.
    """

    __slots__ = (
        "stop_reason",
        "reason",
        "steps",
        "turns",
        "usage",
        "cost",
        "answer",
        "error",
        "duration_ms",
        "messages",
        "hook_trace",
    )
    stop_reason: StopReason
    reason: str
    steps: tuple[Step, ...]
    turns: int
    usage: Usage
    cost: float | None
    answer: Any
    error: str | None
    duration_ms: float
    messages: tuple[Message, ...]
    hook_trace: tuple[HookTrace, ...]

    def __init__(
        self,
        stop_reason: StopReason,
        reason: str = "",
        steps: tuple[Step, ...] = (),
        turns: int = 0,
        usage: Usage = NO_USAGE,
        cost: float | None = None,
        answer: Any = None,
        error: str | None = None,
        duration_ms: float = 0.0,
        messages: tuple[Message, ...] = (),
        hook_trace: tuple[HookTrace, ...] = (),
    ) -> None:
        set_field(self, "stop_reason", stop_reason)
        set_field(self, "reason", reason)
        set_field(self, "steps", steps)
        set_field(self, "turns", turns)
        set_field(self, "usage", usage)
        set_field(self, "cost", cost)
        set_field(self, "answer", answer)
        set_field(self, "error", error)
        set_field(self, "duration_ms", duration_ms)
        set_field(self, "messages", messages)
        set_field(self, "hook_trace", hook_trace)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stop_reason": str(self.stop_reason),
            "reason": self.reason,
            "steps": [step.to_dict() for step in self.steps],
            "turns": self.turns,
            "usage": self.usage.to_dict(),
            "cost": self.cost,
            "answer": self.answer,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "messages": [message.to_dict() for message in self.messages],
            "hook_trace": [entry.to_dict() for entry in self.hook_trace],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunResult:
        return cls(
            stop_reason=StopReason(data["stop_reason"]),
            reason=data.get("reason", ""),
            steps=tuple(Step.from_dict(s) for s in data.get("steps", ())),
            turns=int(data.get("turns", 0)),
            usage=Usage.from_dict(data.get("usage") or {}),
            cost=data.get("cost"),
            answer=data.get("answer"),
            error=data.get("error"),
            duration_ms=float(data.get("duration_ms", 0.0)),
            messages=tuple(Message.from_dict(m) for m in data.get("messages", ())),
            hook_trace=tuple(HookTrace.from_dict(e) for e in data.get("hook_trace", ())),
        )


_ARG_WIDTH = 24
_ARGS_WIDTH = 60
_RESULT_WIDTH = 40


def _args_from(value: Any) -> dict[str, Any] | str:
    """Arguments as stored: a JSON object, or the raw text of arguments that were not JSON."""
    if isinstance(value, str):
        return value
    return dict(value or {})


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _printable(text: str) -> str:
    """Names come from the model: escape anything a terminal would act on."""
    return text if text.isprintable() else repr(text)[1:-1]


def _preview_args(args: Mapping[str, Any] | str) -> str:
    if isinstance(args, str):  # arguments the model sent that were not JSON
        return _clip(f"<not JSON: {args!r}>", _ARGS_WIDTH)
    parts = ", ".join(
        f"{_printable(str(key))}={_clip(repr(value), _ARG_WIDTH)}" for key, value in args.items()
    )
    return _clip(parts, _ARGS_WIDTH)


def _summarise(result: ToolResult) -> str:
    if result.error is not None:
        return f"ERROR: {result.error_kind}"
    data = result.data
    if isinstance(data, list | tuple):
        return f"{len(data)} item" if len(data) == 1 else f"{len(data)} items"
    if isinstance(data, dict):
        return _clip("{" + ", ".join(_printable(str(key)) for key in data) + "}", _RESULT_WIDTH)
    if data is None:
        return "ok"
    return _clip(repr(data), _RESULT_WIDTH)
