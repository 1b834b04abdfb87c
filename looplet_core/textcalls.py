"""Lenient extraction of tool calls from a plain-text model reply.

Backends without native tool calling answer in prose that usually contains a
JSON object somewhere: inside a code fence, after "Sure, here is the call:", or
followed by an explanation.  We look for the first JSON value shaped like a call
instead of demanding the reply be pure JSON, and say precisely what was wrong
when nothing fits, because that message goes back to the model.
"""

from __future__ import annotations

import json
import re

from looplet_core.types import ToolCall

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["ToolCallParseError", "parse_tool_calls"]

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)
_ARG_KEYS = ("arguments", "args", "parameters", "input")
_NAME_KEYS = ("name", "tool", "tool_name")
# Each failed candidate costs at most one scan of the text, so a hostile reply
# full of braces cannot make parsing quadratic.
_MAX_CANDIDATES = 64
_DECODER = json.JSONDecoder()

FORMAT_HINT = 'Reply with one JSON object: {"name": "<tool name>", "arguments": {...}}.'


class ToolCallParseError(ValueError):
    """The reply held no usable tool call; the message is written for the model."""


def parse_tool_calls(text: str) -> tuple[ToolCall, ...]:
    """Return the calls found in `text`, or raise ToolCallParseError saying why none were."""
    found_json = False
    for value in _json_values(text):
        found_json = True
        calls = _as_calls(value)
        if calls:
            return calls
    if found_json:
        raise ToolCallParseError(
            "the reply contains JSON but no tool call (an object with a tool name and arguments). "
            + FORMAT_HINT
        )
    raise ToolCallParseError("the reply contains no tool call. " + FORMAT_HINT)


def _json_values(text: str) -> Iterator[Any]:
    """JSON values in the order a reader would trust them: fenced blocks, then inline."""
    for block in _FENCE.findall(text):
        try:
            yield json.loads(block)
        except ValueError:
            continue
    tried = 0
    for match in re.finditer(r"[\[{]", text):
        if tried == _MAX_CANDIDATES:
            return
        tried += 1
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict | list) and value:
            yield value


def _as_calls(value: Any) -> tuple[ToolCall, ...]:
    if isinstance(value, dict) and isinstance(value.get("tool_calls"), list):
        value = value["tool_calls"]
    items = value if isinstance(value, list) else [value]
    calls = tuple(call for item in items if (call := _as_call(item)) is not None)
    return calls if len(calls) == len(items) else ()


def _as_call(item: Any) -> ToolCall | None:
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("function"), dict):  # OpenAI's {"type": "function", "function": {...}}
        item = item["function"]
    name = next((item[key] for key in _NAME_KEYS if isinstance(item.get(key), str)), None)
    if not name:
        return None
    args = next((item[key] for key in _ARG_KEYS if key in item), {})
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError:
            return None
    if not isinstance(args, dict):
        return None
    return ToolCall(name, args)
