"""Chat Completions response bodies, as an OpenAI-compatible server sends them.

Each builder returns plain JSON data for `LoopbackServer.reply(...)`, so a test
reads as the conversation it scripts.
"""

from __future__ import annotations

import json
from typing import Any

from tests.backends.loopback import Reply

PATH = "/v1/chat/completions"


def call(name: str, args: dict[str, Any] | str, id: str) -> dict[str, Any]:
    """One tool call; a str `args` is sent verbatim (for malformed JSON)."""
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def usage(prompt: int = 0, completion: int = 0, cached: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached is not None:
        body["prompt_tokens_details"] = {"cached_tokens": cached}
    return body


def completion(
    *calls: dict[str, Any],
    content: str | None = None,
    model: str = "gpt-test",
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    **message_fields: Any,
) -> dict[str, Any]:
    """A chat.completion with one choice holding `content` and the given tool calls."""
    message: dict[str, Any] = {"role": "assistant", "content": content, **message_fields}
    if calls:
        message["tool_calls"] = list(calls)
    body: dict[str, Any] = {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason or ("tool_calls" if calls else "stop"),
            }
        ],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An HTTP error with OpenAI's error body."""
    body = {"error": {"message": message, "type": "loopback_error", "code": None}}
    return Reply(body, status, headers or {})
