"""The loop's value types: immutable records that cross every boundary.

Everything here is a frozen, slotted dataclass so a `Step` handed to a consumer
can never change under it, and so thousands of them stay cheap.  Each type has a
`to_dict()`/`from_dict()` pair producing plain JSON data, because steps are
written to traces, sent between threads and compared in tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
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


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one model call, or a sum of them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

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
        return cls(**{key: int(data.get(key, 0)) for key in _USAGE_FIELDS})


_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
NO_USAGE = Usage()


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool invocation proposed by the model.

    `id` pairs the call with its result in the conversation; the loop assigns one
    when the backend did not.  `text` and `reasoning` carry what the model said
    alongside the call, so a debugger can show *why* it chose it.
    """

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    text: str = ""
    reasoning: str = ""

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
            args=dict(data.get("args") or {}),
            id=data.get("id", ""),
            text=data.get("text", ""),
            reasoning=data.get("reasoning", ""),
        )


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call produced: `data` on success, or `error` with an `error_kind`.

    Failures are values, not exceptions, so the model can read and correct them.
    `data` is always JSON-compatible (the registry converts what tools return).
    """

    data: Any = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    duration_ms: float = 0.0

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


@dataclass(frozen=True, slots=True)
class HookTrace:
    """One hook invocation: who ran, in which phase, what it decided and how long it took.

    `decision` is None when the hook only observed; it is still recorded so a
    reader can see that the hook ran and let the call through.
    """

    hook: str
    phase: str
    decision: str | None = None
    reason: str = ""
    micros: int = 0

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


@dataclass(frozen=True, slots=True)
class Message:
    """One conversation entry, in the shape both OpenAI and Anthropic accept.

    An assistant message may carry `tool_calls`; a `tool` message answers one of
    them through `tool_call_id`.  Backends translate these to their wire format.
    """

    role: str
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            data["name"] = self.name
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(
            role=data["role"],
            content=data.get("content", ""),
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("tool_calls", ())),
            tool_call_id=data.get("tool_call_id"),
            name=data.get("name"),
        )


@dataclass(frozen=True, slots=True)
class LLMResponse:
    """One model reply, already parsed from the provider's wire format.

    `raw_request`/`raw_response` keep the JSON-compatible wire data for traces.
    `cost` stays None when the price of the model is unknown: 0 would be a lie.
    """

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = NO_USAGE
    latency_ms: float = 0.0
    finish_reason: str | None = None
    reasoning: str = ""
    model: str | None = None
    cost: float | None = None
    raw_request: Any = None
    raw_response: Any = None


@dataclass(frozen=True, slots=True)
class Step:
    """One tool call and its outcome: the unit the loop yields.

    A turn (one model call) yields one Step per proposed call, so `usage`,
    `latency_ms` and `cost` describe the turn and repeat on each of its steps;
    sum them per turn (or use `RunResult.usage`), not per step.
    """

    number: int
    turn: int
    tool_call: ToolCall
    tool_result: ToolResult
    usage: Usage = NO_USAGE
    latency_ms: float = 0.0
    cost: float | None = None
    hook_trace: tuple[HookTrace, ...] = ()

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


@dataclass(frozen=True, slots=True)
class RunResult:
    """What `composable_loop` returns (as `StopIteration.value`) when a run ends.

    `hook_trace` holds hook calls that happened after the last step (for example
    a pre_prompt that stopped the run, or on_loop_end), so none is lost.
    """

    stop_reason: StopReason
    reason: str = ""
    steps: tuple[Step, ...] = ()
    turns: int = 0
    usage: Usage = NO_USAGE
    cost: float | None = None
    answer: Any = None
    error: str | None = None
    duration_ms: float = 0.0
    messages: tuple[Message, ...] = ()
    hook_trace: tuple[HookTrace, ...] = ()

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


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _printable(text: str) -> str:
    """Names come from the model: escape anything a terminal would act on."""
    return text if text.isprintable() else repr(text)[1:-1]


def _preview_args(args: Mapping[str, Any]) -> str:
    parts = ", ".join(f"{key}={_clip(repr(value), _ARG_WIDTH)}" for key, value in args.items())
    return _clip(parts, _ARGS_WIDTH)


def _summarise(result: ToolResult) -> str:
    if result.error is not None:
        return f"ERROR: {result.error_kind}"
    data = result.data
    if isinstance(data, list | tuple):
        return f"{len(data)} item" if len(data) == 1 else f"{len(data)} items"
    if isinstance(data, dict):
        return _clip("{" + ", ".join(str(key) for key in data) + "}", _RESULT_WIDTH)
    if data is None:
        return "ok"
    return _clip(repr(data), _RESULT_WIDTH)
