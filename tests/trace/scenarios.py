"""Scripted runs recorded by a ProvenanceSink, shared by the trace tests.

Every script item is a callable that copies `prompt.messages` before answering,
so a test can compare the prompts a trace rebuilds with what the backend saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from looplet_core import (
    Deny,
    Inject,
    LLMResponse,
    Message,
    RunResult,
    ScriptedBackend,
    Step,
    ToolCall,
    Usage,
    composable_loop,
    tool,
)
from looplet_core.backends.scripted import _as_response
from looplet_core.provenance import ProvenanceSink
from tests.helpers import drive


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def echo(text: str) -> str:
    """Say it back."""
    return text


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(reason)


TOOLS = [add, echo, explode]


class Seen:
    """Wraps script items so each copies the prompt the backend was given."""

    def __init__(self) -> None:
        self.prompts: list[tuple[Message, ...]] = []

    def __call__(self, item: Any) -> Callable[[Any], Any]:
        def answer(prompt: Any) -> Any:
            self.prompts.append(tuple(prompt.messages))
            return item

        return answer

    def script(self, items: Iterable[Any]) -> list[Callable[[Any], Any]]:
        return [self(item) for item in items]


class RewriteAt:
    """pre_prompt: at the given turns, replace the conversation (a history rewrite)."""

    def __init__(self, *turns: int) -> None:
        self.turns = set(turns)

    def pre_prompt(self, state: Any, prompt: Any) -> Any:
        if prompt.turn in self.turns:
            kept = [m for m in state.messages if m.role in ("system", "user")]
            return [*kept, Message("user", f"(history compacted at turn {prompt.turn})")]
        return None


class DenyText:
    """pre_dispatch: deny echo calls whose text is "deny me"."""

    def pre_dispatch(self, state: Any, call: Any) -> Any:
        if call.name == "echo" and call.args.get("text") == "deny me":
            return Deny("not that text")
        return None


class InjectAfterExplode:
    """post_dispatch: add a user message after a failed explode call."""

    def post_dispatch(self, state: Any, call: Any, result: Any) -> Any:
        if call.name == "explode":
            return Inject("try something gentler")
        return None


def mixed_script() -> list[Any]:
    """Several calls per turn, every kind of failure, a text reply, usage and raw data."""
    return [
        ToolCall("add", {"a": 1, "b": 2}),
        [ToolCall("add", {"a": 2, "b": 3}), ToolCall("echo", {"text": "hi"}), ToolCall("nope", {})],
        ToolCall("explode", {"reason": "boom"}),
        ToolCall("echo", {"text": "deny me"}),  # turn 4: after the rewrite
        "just some text, no call",
        ToolCall("add", {"a": "x", "b": 1}),
        LLMResponse(
            text="thinking out loud",
            tool_calls=(ToolCall("echo", {"text": "é ünïcode \u2028 and \x00"}),),
            usage=Usage(120, 30, 5, 0),
            latency_ms=12.5,
            finish_reason="tool_calls",
            reasoning="because",
            model="scripted-1",
            cost=0.0025,
            raw_request={"model": "scripted-1", "note": "not a message list"},
            raw_response={"id": "resp_7", "choices": [{"finish_reason": "tool_calls"}]},
        ),
        [ToolCall("done", {"answer": "finished"}), ToolCall("add", {"a": 0, "b": 0})],
    ]


def record(
    directory: Any,
    script: list[Any],
    *,
    hooks: Iterable[object] = (),
    sink: ProvenanceSink | None = None,
    backend: Any = None,
    max_steps: int = 100,
) -> tuple[list[Step], RunResult, Seen, ProvenanceSink]:
    """Run `script` with a sink writing to `directory`; return steps, result, prompts, sink."""
    seen = Seen()
    sink = sink or ProvenanceSink(directory)
    llm = backend if backend is not None else ScriptedBackend(seen.script(script))
    steps, result = drive(
        composable_loop(llm, TOOLS, "do the things", hooks=[*hooks, sink], max_steps=max_steps)
    )
    return steps, result, getattr(llm, "seen", seen), sink


class WireBackend:
    """A backend that keeps OpenAI-like wire data: a request body with the whole
    message list, rebuilt on every call, and a raw response.

    With `mark_last`, the last wire message carries a marker (as prompt-cache
    breakpoints do), so the previous request's tail changes on every call.
    """

    model = "wire-1"

    def __init__(self, script: list[Any], mark_last: bool = False) -> None:
        self.script = script
        self.mark_last = mark_last
        self.requests: list[dict[str, Any]] = []
        self.seen = Seen()

    def generate(self, prompt: Any) -> LLMResponse:
        self.seen.prompts.append(tuple(prompt.messages))
        wire = [message.to_dict() for message in prompt.messages]
        if self.mark_last:
            wire[-1] = {**wire[-1], "cache_control": {"type": "ephemeral"}}
        request = {
            "model": self.model,
            "messages": wire,
            "tools": [dict(schema) for schema in prompt.tools],
            "temperature": 0.2,
            "turn_seed": len(self.requests) % 3,  # a field that changes between calls
        }
        self.requests.append(request)
        response = _as_response(self.script[len(self.requests) - 1], len(self.requests) - 1)
        return response.replace(
            raw_request=request,
            raw_response={"id": f"resp_{len(self.requests)}", "object": "chat.completion"},
            model="wire-1-0613",
            usage=Usage(10 * len(self.requests), 5),
            cost=0.001,
        )
