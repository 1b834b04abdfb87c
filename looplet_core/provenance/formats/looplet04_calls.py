"""Parsing looplet 0.4's `call_NN_prompt.txt` and `call_NN_response.txt`.

Those are text dumps meant for people: a few `# key=value` header lines, then
sections that start with a `## NAME` line and a blank line (see
tests/trace/fixtures/README.md).  The functions here are pure, so each shape
of damage can be tested without a directory.
"""

from __future__ import annotations

from looplet_core.provenance._parse import kind, parse_text
from looplet_core.types import Message, ToolCall

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["PromptError", "parse_prompt", "parse_response", "tool_schemas"]

_SYSTEM = "\n\n## SYSTEM PROMPT\n\n"
_USER = "\n\n## USER PROMPT\n\n"
_TOOLS = "\n\n## TOOLS\n\n"
_ERROR = "\n\n## ERROR\n"
_RESPONSE = "\n\n## RESPONSE"
_TEXT = "\n\n"
_BLOCKS = " (content blocks)\n\n"
_REPR = " (repr)\n\n"
_EMPTY = "(empty)"
"""What looplet writes for an empty reply."""


class PromptError(ValueError):
    """A prompt or response file that is not laid out as looplet 0.4 writes it."""


def parse_prompt(text: str) -> tuple[tuple[Message, ...], list[dict[str, Any]]]:
    """The messages a prompt file holds (system, then user) and its tool schemas.

    The user prompt is free text that may quote anything, so its end is the
    *last* `## TOOLS` section whose body is a JSON list; a section marker
    that a prompt merely quotes is left in the text.
    """
    user_at = text.find(_USER)
    if user_at < 0:
        raise PromptError("no USER PROMPT section")
    system_at = text.find(_SYSTEM, 0, user_at)
    user_start = user_at + len(_USER)
    user_end, tools = len(text), []
    tools_at = text.rfind(_TOOLS, user_start)
    if tools_at >= 0:
        value, error = parse_text(text[tools_at + len(_TOOLS) :])
        if error is None and isinstance(value, list):
            user_end, tools = tools_at, [tool for tool in value if isinstance(tool, dict)]
    messages = [Message("user", text[user_start:user_end])]
    if system_at >= 0:
        messages.insert(0, Message("system", text[system_at + len(_SYSTEM) : user_at]))
    return tuple(messages), tools


def tool_schemas(tools: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """looplet 0.4's Anthropic-style schemas (`input_schema`) in our header's shape
    (`name`, `description`, `parameters`)."""
    return tuple(
        {
            "name": str(tool.get("name", "")),
            "description": str(tool.get("description", "")),
            "parameters": tool.get("input_schema", tool.get("parameters", {})),
        }
        for tool in tools
    )


def parse_response(text: str) -> tuple[str, tuple[ToolCall, ...], str | None]:
    """(text, tool calls, the backend's error or None) from a response file: text
    (`## RESPONSE`), tool_use blocks (`## RESPONSE (content blocks)`) or a repr
    (`## RESPONSE (repr)`), after an optional `## ERROR`."""
    at = text.find(_RESPONSE)
    if at < 0:
        raise PromptError("no RESPONSE section")
    error_at = text.find(_ERROR, 0, at)
    error = text[error_at + len(_ERROR) : at] if error_at >= 0 else None
    rest = text[at + len(_RESPONSE) :]
    if rest.startswith(_BLOCKS):
        return _blocks(rest[len(_BLOCKS) :], error)
    if rest.startswith(_REPR):
        return rest[len(_REPR) :], (), error
    if rest.startswith(_TEXT):
        body = rest[len(_TEXT) :]
        return ("" if body == _EMPTY else body), (), error
    raise PromptError("a RESPONSE section of an unknown kind")


def _blocks(body: str, error: str | None) -> tuple[str, tuple[ToolCall, ...], str | None]:
    blocks, problem = parse_text(body)
    if problem:
        raise PromptError(f"content blocks: {problem}")
    if not isinstance(blocks, list):
        raise PromptError(f"content blocks: expected an array, found {kind(blocks)}")
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif block.get("type") == "tool_use" and isinstance(block.get("name"), str):
            arguments = block.get("input")
            calls.append(
                ToolCall(
                    block["name"],
                    arguments if isinstance(arguments, dict | str) else None,
                    id=str(block.get("id") or ""),
                )
            )
    return "\n".join(texts), tuple(calls), error
