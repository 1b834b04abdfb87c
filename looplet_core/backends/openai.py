"""The OpenAI backend: Chat Completions with native tool calling.

It talks to anything that speaks OpenAI's Chat Completions API: OpenAI
itself, and local or hosted servers such as Ollama, vLLM, Groq or Together
(point `base_url` at their `/v1`).  The `openai` SDK is imported when a
backend is built, never when this module is imported, and its own retries are
off: `RetryPolicy` decides what is retried, the same way for every provider.

The translation between the loop's messages and the wire format is plain
functions (`wire_messages`, `wire_tools`, `parse_arguments`, `usage_of`), so
it can be read and tested without any HTTP.

Decisions worth knowing:

- A reply with no choices raises `LLMCallError` from `parse`, which runs after
  the retries: the run stops with `llm_error` and a message naming the
  endpoint, the model and what came back (some servers send errors this way
  with status 200).  Asking again rarely helps, so it is not retried.
- No API key: with a base URL (a local server) a placeholder key is sent;
  without one, the SDK's complaint becomes a ValueError naming the variables.
- `raw_request` is the request body as built (plain JSON data, whatever the
  SDK then sends); `raw_response` is the reply with the keys the server sent,
  extra fields (such as `reasoning_content`) included.
- Usage: cached prompt tokens (and cache writes, where reported) are taken out
  of `input_tokens`, so the four counts of `Usage` stay disjoint.
"""

from __future__ import annotations

import json
import os

from looplet_core.backends.provider import ProviderBackend, import_sdk
from looplet_core.backends.retry import LLMCallError
from looplet_core.types import LLMResponse, ToolCall, Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from looplet_core.backends.pricing import Price
    from looplet_core.backends.retry import RetryPolicy
    from looplet_core.loop import Prompt
    from looplet_core.types import Message

__all__ = [
    "NO_KEY_PLACEHOLDER",
    "OpenAIBackend",
    "parse_arguments",
    "usage_of",
    "wire_messages",
    "wire_tools",
]

NO_KEY_PLACEHOLDER = "not-needed"
"""The key sent to a server given by `base_url` when no key is configured.

Local servers (Ollama, vLLM) ignore the key, but the SDK refuses to start
without one; a hosted server will answer 401, which names the endpoint."""

_DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIBackend(ProviderBackend):
    """A backend for OpenAI and OpenAI-compatible Chat Completions endpoints.

    `base_url` and `api_key` default to the SDK's own environment variables
    (OPENAI_BASE_URL, OPENAI_API_KEY).  When a base URL is set but no key is,
    a placeholder key is sent, so local servers work without one.  Pass
    `client` to use an `openai.OpenAI` you built yourself (its retries should
    be off: `max_retries=0`).  Extra keyword arguments (temperature, top_p,
    tool_choice, or a server's own fields such as top_k) go into every
    request body.
    """

    provider = "OpenAI"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: Any = None,
        prices: Mapping[str, Price] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        **params: Any,
    ) -> None:
        if client is None:
            client = _build_client(base_url, api_key, timeout)
        self.client = client
        """The SDK client every request goes through."""
        super().__init__(
            model,
            endpoint=str(getattr(client, "base_url", "")).rstrip("/"),
            prices=prices,
            retry=retry,
            params=params,
        )
        self._wire_tools: tuple[tuple[dict[str, Any], ...], list[dict[str, Any]]] | None = None
        self._sdk_fields: frozenset[str] | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> OpenAIBackend:
        """A backend configured by OPENAI_MODEL, OPENAI_BASE_URL and OPENAI_API_KEY.

        Keyword arguments override the environment and are passed on to the
        constructor.  Raises ValueError naming what is missing.
        """
        model = overrides.pop("model", None) or os.environ.get("OPENAI_MODEL")
        if not model:
            raise ValueError(
                "OpenAIBackend.from_env: OPENAI_MODEL is not set; set it to a model the endpoint "
                "serves (for example gpt-4o-mini, or llama3.2 for Ollama), or pass model=..."
            )
        overrides.setdefault("base_url", os.environ.get("OPENAI_BASE_URL") or None)
        overrides.setdefault("api_key", os.environ.get("OPENAI_API_KEY") or None)
        return cls(model, **overrides)

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.model!r}, endpoint={self.endpoint!r})"

    def wire_request(self, prompt: Prompt) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model, "messages": wire_messages(prompt.messages)}
        if prompt.tools:
            # A registry builds its schemas once, so translate them once.  One read and one
            # write of the cache keep this safe when runs in several threads share the backend.
            cached = self._wire_tools
            if cached is None or cached[0] is not prompt.tools:
                cached = self._wire_tools = (prompt.tools, wire_tools(prompt.tools))
            request["tools"] = cached[1]
        request.update(self.params)
        return request

    def send(self, request: dict[str, Any]) -> Any:
        """One Chat Completions call.  Fields the SDK has no argument for go in `extra_body`."""
        known = self._known_fields()
        if known is None:
            return self.client.chat.completions.create(**request)
        arguments = {key: value for key, value in request.items() if key in known}
        extra = {key: value for key, value in request.items() if key not in known}
        if extra:
            arguments["extra_body"] = {**extra, **(arguments.get("extra_body") or {})}
        return self.client.chat.completions.create(**arguments)

    def parse(self, raw: Any, request: dict[str, Any]) -> LLMResponse:
        choices = getattr(raw, "choices", None)
        if not choices:
            # Nothing to act on, and asking again rarely helps: some servers answer an
            # error this way (with status 200), so stop the run and say what came back.
            raise LLMCallError(
                f"{self.provider} {self.endpoint} (model {self.model}): the response has no "
                f"choices (not retried): {_preview(_as_json(raw))}"
            )
        choice = choices[0]
        message = getattr(choice, "message", None)
        content = _text_of(getattr(message, "content", None))
        calls = getattr(message, "tool_calls", None) or ()
        return LLMResponse(
            text=content or _text_of(getattr(message, "refusal", None)),
            tool_calls=tuple(_tool_call(call) for call in calls),
            usage=usage_of(getattr(raw, "usage", None)),
            finish_reason=getattr(choice, "finish_reason", None),
            reasoning=_reasoning_of(message),
            model=getattr(raw, "model", None),
            raw_request=request,
            raw_response=_as_json(raw),
        )

    def _known_fields(self) -> frozenset[str] | None:
        """The keyword arguments `create` accepts, or None if they cannot be read."""
        if self._sdk_fields is None:
            import inspect  # the SDK has already loaded it

            try:
                signature = inspect.signature(self.client.chat.completions.create)
            except (TypeError, ValueError, AttributeError):
                return None
            parameters = signature.parameters.values()
            if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
                return None
            self._sdk_fields = frozenset(p.name for p in parameters)
        return self._sdk_fields


def _build_client(base_url: str | None, api_key: str | None, timeout: float) -> Any:
    openai = import_sdk("openai", "openai")
    base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
    if api_key is None and base_url is not None:
        api_key = NO_KEY_PLACEHOLDER
    try:
        return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
    except openai.OpenAIError as exc:
        where = base_url or _DEFAULT_BASE_URL
        if api_key is None:
            raise ValueError(
                f"OpenAIBackend has no API key for {where}: set OPENAI_API_KEY or pass "
                "api_key=...; a local server (Ollama, vLLM) needs none: set OPENAI_BASE_URL "
                "or base_url=... to its /v1 address"
            ) from exc
        raise ValueError(f"OpenAIBackend could not set up a client for {where}: {exc}") from exc


def wire_messages(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """The conversation as Chat Completions messages."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            wire.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
        elif message.role == "assistant" and message.tool_calls:
            wire.append(
                {
                    "role": "assistant",
                    "content": message.content or None,
                    "tool_calls": [_wire_call(call) for call in message.tool_calls],
                }
            )
        else:
            wire.append({"role": message.role, "content": message.content})
    return wire


def _wire_call(call: ToolCall) -> dict[str, Any]:
    # Arguments the model sent as broken JSON go back verbatim: it should see what it wrote.
    args = call.args if isinstance(call.args, str) else json.dumps(call.args, ensure_ascii=False)
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": args}}


def wire_tools(schemas: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tool schemas (`name`, `description`, `parameters`) as Chat Completions function tools."""
    return [{"type": "function", "function": dict(schema)} for schema in schemas]


def parse_arguments(raw: Any) -> dict[str, Any] | str:
    """A call's arguments as a dict, or the raw text when it is not a JSON object.

    Empty arguments and JSON `null` mean no arguments.  The raw text goes on
    to dispatch, which answers with a `parse` error the model can correct.
    """
    if isinstance(raw, dict):  # a few servers send an object rather than a JSON string
        return raw
    if raw is None or not str(raw).strip():
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return str(raw)
    if value is None:
        return {}
    return value if isinstance(value, dict) else str(raw)


def usage_of(usage: Any) -> Usage:
    """Chat Completions usage as disjoint counts: cached prompt tokens are not input tokens."""
    if usage is None:
        return Usage()
    prompt = _count(getattr(usage, "prompt_tokens", 0))
    details = getattr(usage, "prompt_tokens_details", None)
    cached = _count(getattr(details, "cached_tokens", 0))
    written = _count(getattr(details, "cache_write_tokens", 0))
    if details is None:  # DeepSeek reports its cache hits at the top level
        cached = _count(getattr(usage, "prompt_cache_hit_tokens", 0))
    return Usage(
        input_tokens=max(0, prompt - cached - written),
        output_tokens=_count(getattr(usage, "completion_tokens", 0)),
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _tool_call(call: Any) -> ToolCall:
    function = getattr(call, "function", None)
    if function is not None:
        name, arguments = getattr(function, "name", ""), getattr(function, "arguments", None)
    else:  # a custom (free-text) tool call: its input is not JSON, so dispatch will say so
        custom = getattr(call, "custom", None)
        name, arguments = getattr(custom, "name", ""), getattr(custom, "input", None)
    return ToolCall(name or "", parse_arguments(arguments), getattr(call, "id", None) or "")


def _text_of(content: Any) -> str:
    """Message content as text; some servers send a list of parts instead of a string."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _reasoning_of(message: Any) -> str:
    """Thinking text that compatible servers (vLLM, DeepSeek, Ollama) add to the message."""
    for field in ("reasoning_content", "reasoning"):
        value = getattr(message, field, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _as_json(raw: Any) -> Any:
    """The response as JSON data, with the keys the server sent (unset fields left out)."""
    if hasattr(raw, "to_dict"):
        return raw.to_dict(mode="json")
    if hasattr(raw, "model_dump"):
        return raw.model_dump(mode="json")
    return raw


def _preview(data: Any, width: int = 200) -> str:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
