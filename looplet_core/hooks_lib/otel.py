"""`OTelHook`: a run as OpenTelemetry spans, named and tagged by the GenAI semantic
conventions, so the collectors teams already run (Jaeger, Tempo, Phoenix,
Langfuse, ...) show agent runs like any other GenAI traffic.

    pip install 'looplet-tui[otel]'

    otel = OTelHook()                          # the global tracer provider, or pass one
    for step in composable_loop(llm, tools, task, hooks=[otel]):
        ...

Spans, all in one trace:

- `invoke_agent {agent}` (INTERNAL) for the run, with its token totals and how it ended;
- `chat {model}` (CLIENT) for each model call, a child of the run, with the
  request and response model, finish reason and token usage;
- `execute_tool {tool}` (INTERNAL) for each step, a child of the run, with
  the tool name, call id and, for a failed call, `error.type` (the error kind).

Model and tool spans carry their real start and end: they are timed from the
latency and duration the loop measured, so hooks that run around them (an
approval waiting for a person, say) are not counted in.  Message contents,
tool arguments and results are left out unless `capture_content=True`, as the
conventions advise: they may be sensitive and large.

opentelemetry-api is imported when the hook is built, never by looplet_core itself.
"""

from __future__ import annotations

import json
from time import time_ns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from looplet_core.loop import LoopState, Prompt
    from looplet_core.types import LLMResponse, Message, RunResult, Step, ToolCall, ToolResult

__all__ = ["OTelHook"]

_INSTALL_HINT = "OTelHook needs OpenTelemetry: pip install 'looplet-tui[otel]'"
_ERROR_STOPS = frozenset(("error", "llm_error"))
"""Stop reasons that mark the run span as failed."""
_KNOWN_PROVIDERS = {"openai": "openai", "anthropic": "anthropic"}


class OTelHook:
    """Emits GenAI spans for a run, its model calls and its tool calls.

    `tracer_provider` defaults to OpenTelemetry's global one.  `agent_name`
    names the run span (`gen_ai.agent.name`).  `provider` is
    `gen_ai.provider.name`; by default it comes from the backend ("openai",
    "anthropic", else the backend's `name`, else "_OTHER").  `gen_ai.system`,
    its name in conventions before 1.37, is set too for older collectors.
    """

    def __init__(
        self,
        tracer_provider: Any = None,
        *,
        agent_name: str = "looplet",
        provider: str | None = None,
        capture_content: bool = False,
        name: str = "otel",
    ) -> None:
        try:
            from opentelemetry import trace
        except ImportError as exc:
            raise ImportError(_INSTALL_HINT) from exc
        from looplet_core import __version__

        self._trace = trace
        self._tracer = trace.get_tracer("looplet", __version__, tracer_provider=tracer_provider)
        self.name = name
        self.agent_name = agent_name
        self.provider = provider
        self.capture_content = capture_content
        self._run: Any = None
        self._context: Any = None
        self._base: dict[str, Any] = {}
        self._asked_at = 0
        self._dispatched: dict[str, int] = {}
        self.spans = 0
        """Spans ended so far (for debug_state)."""

    # -- hook phases --------------------------------------------------------

    def pre_loop(self, state: LoopState) -> None:
        llm = state.llm
        provider = self.provider or _provider_of(llm)
        self._base = {"gen_ai.provider.name": provider, "gen_ai.system": provider}
        model = getattr(llm, "model", None)
        if isinstance(model, str) and model:
            self._base["gen_ai.request.model"] = model
        attributes = {
            **self._base,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": self.agent_name,
        }
        self._run = self._tracer.start_span(
            f"invoke_agent {self.agent_name}",
            kind=self._trace.SpanKind.INTERNAL,
            attributes=attributes,
        )
        self._context = self._trace.set_span_in_context(self._run)
        self._dispatched.clear()

    def pre_prompt(self, state: LoopState, prompt: Prompt) -> None:
        self._asked_at = time_ns()

    def on_llm_response(self, state: LoopState, prompt: Prompt, response: LLMResponse) -> None:
        ended = time_ns()
        span = self._chat_span(prompt, ended - int(response.latency_ms * 1_000_000))
        usage = response.usage
        span.set_attributes(
            {
                "gen_ai.usage.input_tokens": usage.input_tokens,
                "gen_ai.usage.output_tokens": usage.output_tokens,
                "looplet.usage.cache_read_tokens": usage.cache_read_tokens,
                "looplet.usage.cache_write_tokens": usage.cache_write_tokens,
                "looplet.tool_calls": len(response.tool_calls),
            }
        )
        if response.model:
            span.set_attribute("gen_ai.response.model", response.model)
        if response.finish_reason:
            span.set_attribute("gen_ai.response.finish_reasons", [response.finish_reason])
        if response.cost is not None:
            span.set_attribute("looplet.cost", response.cost)
        if self.capture_content:
            output = {"role": "assistant", "parts": _parts(response.text, response.tool_calls)}
            span.set_attribute("gen_ai.output.messages", json.dumps([output]))
        self._end(span, ended)

    def on_llm_error(self, state: LoopState, prompt: Prompt, error: Exception) -> None:
        span = self._chat_span(prompt, self._asked_at or time_ns())
        span.record_exception(error)
        self._fail(span, type(error).__qualname__, str(error))
        self._end(span, time_ns())

    def post_dispatch(self, state: LoopState, call: ToolCall, result: ToolResult) -> None:
        self._dispatched[call.id] = time_ns()

    def on_step(self, state: LoopState, step: Step) -> None:
        call, result = step.tool_call, step.tool_result
        if not call.name:  # a reply with no usable call: nothing was executed
            return
        ended = self._dispatched.pop(call.id, None) or time_ns()
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.type": "function",
            "looplet.step": step.number,
            "looplet.turn": step.turn,
        }
        if call.id:
            attributes["gen_ai.tool.call.id"] = call.id
        description = _description(state, call.name)
        if description:
            attributes["gen_ai.tool.description"] = description
        if self.capture_content:
            attributes["gen_ai.tool.call.arguments"] = _json(call.args)
            if result.ok:
                attributes["gen_ai.tool.call.result"] = _json(result.data)
        span = self._tracer.start_span(
            f"execute_tool {call.name}",
            context=self._context,
            kind=self._trace.SpanKind.INTERNAL,
            attributes=attributes,
            start_time=ended - int(result.duration_ms * 1_000_000),
        )
        if not result.ok:
            self._fail(span, str(result.error_kind or "_OTHER"), result.error or "")
        self._end(span, ended)

    def on_loop_end(self, state: LoopState, result: RunResult) -> None:
        span = self._run
        if span is None:
            return
        span.set_attributes(
            {
                "gen_ai.usage.input_tokens": result.usage.input_tokens,
                "gen_ai.usage.output_tokens": result.usage.output_tokens,
                "looplet.stop_reason": str(result.stop_reason),
                "looplet.steps": len(result.steps),
                "looplet.turns": result.turns,
            }
        )
        if result.cost is not None:
            span.set_attribute("looplet.cost", result.cost)
        if str(result.stop_reason) in _ERROR_STOPS:
            self._fail(span, result.error.split(":", 1)[0] if result.error else "_OTHER", "")
        self._end(span, time_ns())
        self._run = self._context = None

    def debug_state(self) -> dict[str, Any]:
        return {
            "provider": self._base.get("gen_ai.provider.name"),
            "run_span_open": self._run is not None,
            "spans_ended": self.spans,
            "capture_content": self.capture_content,
        }

    # -- internals ----------------------------------------------------------

    def _chat_span(self, prompt: Prompt, start: int) -> Any:
        model = self._base.get("gen_ai.request.model")
        attributes = {**self._base, "gen_ai.operation.name": "chat", "looplet.turn": prompt.turn}
        if self.capture_content:
            attributes["gen_ai.input.messages"] = json.dumps(_messages(prompt.messages))
        return self._tracer.start_span(
            f"chat {model}" if model else "chat",
            context=self._context,
            kind=self._trace.SpanKind.CLIENT,
            attributes=attributes,
            start_time=start,
        )

    def _fail(self, span: Any, error_type: str, description: str) -> None:
        span.set_attribute("error.type", error_type)
        status = self._trace.Status(self._trace.StatusCode.ERROR, description[:500] or None)
        span.set_status(status)

    def _end(self, span: Any, at: int) -> None:
        span.end(end_time=at)
        self.spans += 1


def _provider_of(llm: Any) -> str:
    """`gen_ai.provider.name` for a backend: the well-known value when there is one."""
    provider = getattr(llm, "provider", None)
    if isinstance(provider, str) and provider.lower() in _KNOWN_PROVIDERS:
        return _KNOWN_PROVIDERS[provider.lower()]
    name = getattr(llm, "name", None)
    return name if isinstance(name, str) and name else "_OTHER"


def _description(state: LoopState, tool: str) -> str:
    registry = state.tools
    found = registry.get(tool) if registry is not None else None
    return getattr(found, "description", "") or ""


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)


def _parts(text: str, calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"type": "text", "content": text}] if text else []
    parts += [
        {"type": "tool_call", "id": call.id, "name": call.name, "arguments": call.args}
        for call in calls
    ]
    return parts


def _messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The conversation in the conventions' message shape (role and typed parts)."""
    return [_message(message) for message in messages]


def _message(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        answer = {"type": "tool_call_response", "id": message.tool_call_id}
        return {"role": "tool", "parts": [{**answer, "result": message.content}]}
    return {"role": message.role, "parts": _parts(message.content, message.tool_calls)}
