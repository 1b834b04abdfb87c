"""Text forms of what the user may edit at a pause, and the checks on the way back.

Each editable thing (the upcoming message list, a call's arguments, a tool
result) has a `*_text` function giving the text the editor starts with and a
`parse_*` function returning the edited value or the problems that stop it
from being used.  The editors show those problems as the user types; an
invalid edit can never be submitted.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from typing import Any

from looplet_core import Message, ToolResult
from looplet_core.jsonable import to_jsonable

__all__ = [
    "Parsed",
    "args_text",
    "changed_region",
    "diff_lines",
    "messages_text",
    "parse_args",
    "parse_messages",
    "parse_result",
    "result_text",
]

ROLES = ("system", "user", "assistant", "tool")

Parsed = tuple[Any, tuple[str, ...]]
"""(value, problems): the value is only meaningful when there are no problems."""


def pretty(value: Any) -> str:
    """Indented JSON in which every invisible or control character is a visible escape.

    Such characters can only occur inside JSON strings, where `\\uXXXX` means
    the same thing, so the text parses back to the same value."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=repr)
    if text.isprintable() or all(ch.isprintable() or ch == "\n" for ch in text):
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else _escape(ch) for ch in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _plain(text: str) -> bool:
    """Whether `text` can be edited as it is: nothing in it a terminal would act on."""
    return all(ch.isprintable() or ch in "\n\t" for ch in text)


def _json(text: str) -> Parsed:
    try:
        return json.loads(text), ()
    except ValueError as exc:
        return None, (f"not valid JSON: {exc}",)


# -- arguments ----------------------------------------------------------------


def args_text(args: Any) -> str:
    return pretty(args)


def parse_args(text: str, check: Callable[[Any], tuple[str, ...]]) -> Parsed:
    """Arguments edited as a JSON object, checked by the tool's schema (`request.check`)."""
    value, problems = _json(text)
    if problems:
        return None, problems
    return value, tuple(check(value))


# -- the message list ---------------------------------------------------------


def messages_text(messages: Sequence[Message]) -> str:
    return pretty([message.to_dict() for message in messages])


def parse_messages(text: str) -> Parsed:
    """A JSON list of messages as `Message.to_dict` writes them."""
    value, problems = _json(text)
    if problems:
        return None, problems
    if not isinstance(value, list):
        return None, ("the prompt must be a JSON list of messages",)
    messages: list[Message] = []
    found: list[str] = []
    for number, item in enumerate(value, 1):
        problem = _message_problem(item)
        if problem:
            found.append(f"message {number}: {problem}")
            continue
        try:
            messages.append(Message.from_dict(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            found.append(f"message {number}: {exc}")
    if not messages and not found:
        found.append("the model needs at least one message")
    return messages, tuple(found)


def _message_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "must be a JSON object"
    unknown = set(item) - {"role", "content", "tool_calls", "tool_call_id", "name", "is_error"}
    if unknown:
        return f"unknown field(s): {', '.join(sorted(unknown))}"
    if item.get("role") not in ROLES:
        return f"role must be one of {', '.join(ROLES)}"
    if not isinstance(item.get("content", ""), str):
        return "content must be a string"
    calls = item.get("tool_calls", [])
    if not isinstance(calls, list) or not all(
        isinstance(call, dict) and isinstance(call.get("name"), str) for call in calls
    ):
        return "tool_calls must be a list of objects with a name"
    if item["role"] == "tool" and not isinstance(item.get("tool_call_id"), str):
        return "a tool message needs the tool_call_id of the call it answers"
    return None


def changed_region(before: Sequence[Any], after: Sequence[Any]) -> tuple[dict[str, Any], ...]:
    """The part of a list that an edit changed, before and after, as trace data.

    `{"at": i, "messages": [...]}` each: recording only the changed messages
    keeps an edit of one message in a long conversation small in the trace.
    """
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[len(before) - 1 - end] == after[len(after) - 1 - end]:
        end += 1
    return (
        {"at": start, "messages": list(before[start : len(before) - end])},
        {"at": start, "messages": list(after[start : len(after) - end])},
    )


# -- a tool result ------------------------------------------------------------


def _editable_part(result: ToolResult) -> Any:
    return result.error if result.error is not None else result.data


def result_text(result: ToolResult) -> str:
    """A failed result's message or a text result as it is, other data as JSON.

    Text holding control or invisible characters is edited as a JSON string
    instead, so every character is visible."""
    value = _editable_part(result)
    return value if isinstance(value, str) and _plain(value) else pretty(value)


def parse_result(text: str, original: ToolResult) -> Parsed:
    """The result with its error message, its text, or its JSON data replaced."""
    value = _editable_part(original)
    if isinstance(value, str) and _plain(value):
        edited: Any = text
    else:
        edited, problems = _json(text)
        if problems:
            return None, (*problems, "(this result is edited as JSON; keep it JSON)")
    if original.error is not None:
        if not isinstance(edited, str) or not edited.strip():
            return None, ("a failed result needs an error message (text)",)
        return original.replace(error=edited), ()
    return original.replace(data=to_jsonable(edited)), ()


# -- showing an edit ----------------------------------------------------------


def diff_lines(before: str, after: str) -> list[str]:
    """A unified diff of two texts, without the file header lines."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2)
    return [line for line in lines if not line.startswith(("---", "+++"))]
