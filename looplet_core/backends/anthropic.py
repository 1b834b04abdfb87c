"""The Anthropic Messages API backend, with native tool_use / tool_result blocks.

`AnthropicBackend` builds an `anthropic.Anthropic` client (SDK retries off:
the shared `RetryPolicy` retries instead) and translates the loop's
conversation with `to_anthropic_messages`, a pure function.  The Messages API
is stricter than the loop's OpenAI-shaped `Message` list, so translation
follows these rules:

- System messages go to the separate top-level `system` field, joined by a
  blank line in order; the API has no system role inside `messages`.
- A tool message becomes a `tool_result` block in a user turn, with
  `is_error: true` when the message says the call failed.
- Consecutive messages of the same wire role merge into one turn, as the API
  requires alternation.  So the results of one turn's calls, and any user
  text that follows them, become ONE user turn, with every `tool_result`
  block placed before any text (the API rejects text ahead of results).
- Empty or whitespace-only text is dropped (the API rejects empty text
  blocks), and so is a message left with no content at all.  A user turn
  holding a single text is sent as a plain string.
- A call whose `args` is a str (arguments that were not valid JSON, kept
  verbatim by convention) is sent with `input: {}`: `input` must be an object,
  Anthropic itself never produces such a call, and the tool result that
  follows already quotes the raw text in its parse error, so nothing the
  model wrote is lost.

A reply with an empty `content` list (Claude sometimes ends its turn right
after reading tool results; `max_tokens=0` does it by design) is parsed as an
empty text reply, not an error.  The loop records a `parse` step telling the
model to call a tool and asks again, so the run recovers; `max_steps` bounds
a model that keeps answering nothing.  The empty assistant message is dropped
from the next request, which stays valid.

Thinking blocks become `reasoning`.  Their signatures are not kept (a
`Message` has nowhere to hold them), so extended thinking together with tool
use, which requires the signed blocks back on the next turn, is not supported.
"""

from __future__ import annotations

import os

from looplet_core.backends.provider import ProviderBackend, import_sdk
from looplet_core.types import LLMResponse, ToolCall, Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    from looplet_core.backends.pricing import Price
    from looplet_core.backends.retry import RetryPolicy
    from looplet_core.loop import Prompt
    from looplet_core.types import Message

__all__ = ["AnthropicBackend", "to_anthropic_messages"]

_SYSTEM_ROLES = ("system", "developer")
"""`developer` is OpenAI's newer name for the system role, seen in imported conversations."""


class AnthropicBackend(ProviderBackend):
    """Calls Claude through the `anthropic` SDK's Messages API.

    `params` are extra request fields (`temperature`, `tool_choice`,
    `thinking`, ...) sent with every call.  Fields the installed SDK's
    `messages.create` does not accept as keywords travel in `extra_body`, so
    they reach the API whatever the SDK version.  `timeout` (seconds per
    attempt) applies to the client built here; a `client=` you pass is used as
    it is.
    """

    provider = "Anthropic"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: Any = None,
        max_tokens: int = 4096,
        prices: Mapping[str, Price] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        **params: Any,
    ) -> None:
        if client is None:
            anthropic = import_sdk("anthropic", "anthropic")
            client = anthropic.Anthropic(
                api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
            )
        elif api_key is not None or base_url is not None:
            raise ValueError("pass either client= or api_key=/base_url=, not both")
        super().__init__(
            model,
            endpoint=str(getattr(client, "base_url", "") or type(client).__name__),
            prices=prices,
            retry=retry,
            params=params,
        )
        self.client = client
        self.max_tokens = max_tokens
        self._create_keywords = _keywords_of(client.messages.create)

    @classmethod
    def from_env(cls, **overrides: Any) -> AnthropicBackend:
        """A backend configured by ANTHROPIC_MODEL, ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL.

        Keyword overrides win over the environment.
        """
        model = overrides.pop("model", None) or os.environ.get("ANTHROPIC_MODEL")
        if not model:
            raise ValueError(
                "no Anthropic model given: set ANTHROPIC_MODEL (for example "
                "ANTHROPIC_MODEL=claude-sonnet-4-5) or pass model=..."
            )
        if overrides.get("client") is None:
            overrides.setdefault("api_key", os.environ.get("ANTHROPIC_API_KEY") or None)
            overrides.setdefault("base_url", os.environ.get("ANTHROPIC_BASE_URL") or None)
        return cls(model, **overrides)

    def wire_request(self, prompt: Prompt) -> dict[str, Any]:
        system, messages = to_anthropic_messages(prompt.messages)
        request: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens}
        if system:
            request["system"] = system
        request["messages"] = messages
        if prompt.tools:
            request["tools"] = [_tool_schema(schema) for schema in prompt.tools]
        request.update(self.params)
        return request

    def send(self, request: dict[str, Any]) -> Any:
        known = self._create_keywords
        if known is None:
            return self.client.messages.create(**request)
        kwargs = {key: value for key, value in request.items() if key in known}
        extra = {key: value for key, value in request.items() if key not in known}
        if extra:
            kwargs["extra_body"] = {**extra, **(kwargs.get("extra_body") or {})}
        return self.client.messages.create(**kwargs)

    def parse(self, raw: Any, request: dict[str, Any]) -> LLMResponse:
        texts: list[str] = []
        thoughts: list[str] = []
        calls: list[ToolCall] = []
        for block in getattr(raw, "content", None) or ():
            kind = getattr(block, "type", None)
            if kind == "text":
                texts.append(block.text)
            elif kind == "tool_use":
                calls.append(ToolCall(block.name, block.input, block.id))
            elif kind == "thinking":
                thoughts.append(block.thinking)
            # Other blocks (server tools, redacted thinking) stay in raw_response.
        return LLMResponse(
            text="".join(texts),
            tool_calls=tuple(calls),
            usage=_usage(getattr(raw, "usage", None)),
            finish_reason=getattr(raw, "stop_reason", None),
            reasoning="\n\n".join(thoughts),
            model=getattr(raw, "model", None),
            raw_request=request,
            raw_response=_as_json(raw),
        )


def to_anthropic_messages(messages: Iterable[Message]) -> tuple[str, list[dict[str, Any]]]:
    """The conversation as the Messages API wants it: `(system, messages)`.

    Pure and independent of the SDK; the rules are in the module docstring.
    """
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        role = message.role
        if role in _SYSTEM_ROLES:
            if message.content.strip():
                system.append(message.content)
            continue
        if role == "user":
            blocks = _text_blocks(message.content)
        elif role == "tool":
            role, blocks = "user", [_tool_result(message)]
        elif role == "assistant":
            blocks = _text_blocks(message.content) + [_tool_use(c) for c in message.tool_calls]
        else:
            raise ValueError(
                f"message {index} has role {role!r}; expected system, user, assistant or tool"
            )
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return "\n\n".join(system), [_finished(turn) for turn in turns]


def _text_blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}] if text.strip() else []


def _tool_use(call: ToolCall) -> dict[str, Any]:
    args = call.args if isinstance(call.args, dict) else {}
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": args}


def _tool_result(message: Message) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id or ""}
    content = message.content
    if content:  # an empty result goes without content rather than as empty text
        block["content"] = content
    if message.is_error:
        block["is_error"] = True
    return block


def _finished(turn: dict[str, Any]) -> dict[str, Any]:
    """Results first in a user turn; a lone user text as a plain string."""
    blocks = turn["content"]
    if turn["role"] != "user":
        return turn
    if len(blocks) == 1 and blocks[0]["type"] == "text":
        return {"role": "user", "content": blocks[0]["text"]}
    results = [block for block in blocks if block["type"] == "tool_result"]
    if results and len(results) < len(blocks):
        blocks = results + [block for block in blocks if block["type"] != "tool_result"]
    return {"role": "user", "content": blocks}


def _tool_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    wire: dict[str, Any] = {"name": schema["name"]}
    if schema.get("description"):
        wire["description"] = schema["description"]
    wire["input_schema"] = schema["parameters"]
    return wire


def _usage(usage: Any) -> Usage:
    """Anthropic's counts are already disjoint, as `Usage` wants them."""
    if usage is None:
        return Usage()
    return Usage(
        getattr(usage, "input_tokens", None) or 0,
        getattr(usage, "output_tokens", None) or 0,
        getattr(usage, "cache_read_input_tokens", None) or 0,
        getattr(usage, "cache_creation_input_tokens", None) or 0,
    )


def _as_json(raw: Any) -> Any:
    """The response as JSON data: the fields the server sent, not every default."""
    if hasattr(raw, "to_dict"):
        return raw.to_dict(mode="json")
    if hasattr(raw, "model_dump"):
        return raw.model_dump(mode="json")
    return raw


def _keywords_of(function: Callable[..., Any]) -> frozenset[str] | None:
    """The keyword arguments `function` accepts, or None when it takes any."""
    import inspect  # the SDK has loaded it already

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(
        p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
