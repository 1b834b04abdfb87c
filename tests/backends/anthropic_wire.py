"""Messages API response bodies, as Anthropic's server sends them.

Each builder returns plain JSON data for `LoopbackServer.reply(...)`, so a test
reads as the conversation it scripts.
"""

from __future__ import annotations

from typing import Any

from tests.backends.loopback import Reply

PATH = "/v1/messages"


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(name: str, input: dict[str, Any], id: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": id, "name": name, "input": input}


def thinking(value: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": value, "signature": "sig-loopback"}


def usage(
    input: int = 0, output: int = 0, cache_read: int | None = None, cache_write: int | None = None
) -> dict[str, Any]:
    """Anthropic's counts: `input` excludes the cached tokens, read or written."""
    return {
        "input_tokens": input,
        "output_tokens": output,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
    }


def message(
    *content: dict[str, Any],
    model: str = "claude-test",
    stop_reason: str | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An assistant message holding `content`; the stop reason follows from it by default."""
    uses_tools = any(block["type"] == "tool_use" for block in content)
    return {
        "id": "msg_loopback",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": list(content),
        "stop_reason": stop_reason or ("tool_use" if uses_tools else "end_turn"),
        "stop_sequence": None,
        "usage": usage if usage is not None else {"input_tokens": 0, "output_tokens": 0},
    }


def error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An HTTP error with Anthropic's error body (`kind` is e.g. "overloaded_error")."""
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return Reply(body, status, headers or {})
