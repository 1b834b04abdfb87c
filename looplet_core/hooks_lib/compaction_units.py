"""The shape of a conversation, as compaction must respect it.

A conversation is a **head** (the system prompt and the task, never removed)
followed by **units**: an assistant message that calls tools together with
every result answering it, or any other single message.  Compaction stages
only ever drop or rewrite whole units, because both OpenAI and Anthropic
reject a tool result whose call is gone, and a call left without its result.
`pairing_problems` is the check the chain runs on every stage's output.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from looplet_core.types import Message

__all__ = [
    "MESSAGE_OVERHEAD",
    "estimate_tokens",
    "head_length",
    "pairing_problems",
    "units",
]

MESSAGE_OVERHEAD = 4
"""Tokens a message costs beyond its text (role and framing), as providers count them."""


def estimate_tokens(message: Message) -> int:
    """A cheap, tokenizer-free estimate of one message's tokens: about 4 characters each.

    It counts the text, the tool calls' names and JSON arguments and the
    result's call id.  English prose and code run at 3.5 to 4.5 characters a
    token with current tokenizers, so it errs by tens of percent, not by
    multiples; pass your own `estimator` when that matters.
    """
    chars = len(message.content)
    for call in message.tool_calls:
        args = call.args if isinstance(call.args, str) else json.dumps(call.args)
        chars += len(call.name) + len(args) + len(call.id)
    if message.tool_call_id:
        chars += len(message.tool_call_id)
    return (chars + 3) // 4 + MESSAGE_OVERHEAD


def head_length(messages: Sequence[Message]) -> int:
    """How many leading messages are the head: system messages, then the first user message."""
    index = 0
    while index < len(messages) and messages[index].role in ("system", "developer"):
        index += 1
    if index < len(messages) and messages[index].role == "user":
        index += 1
    return index


def units(messages: Sequence[Message], start: int) -> list[tuple[int, int]]:
    """The `(first, end)` index spans of the units from `start` on, in order.

    An assistant message with tool calls takes the tool messages right after it.
    """
    spans = []
    index = start
    count = len(messages)
    while index < count:
        end = index + 1
        if messages[index].role == "assistant" and messages[index].tool_calls:
            while end < count and messages[end].role == "tool":
                end += 1
        spans.append((index, end))
        index = end
    return spans


def pairing_problems(messages: Sequence[Message]) -> frozenset[str]:
    """Every broken call/result pairing, one string per call id.

    A tool result must follow, with only other results between, the assistant
    message that made its call; every call must get its result before the next
    non-tool message.  The strings name the ids, so two lists' problems can be
    compared: compaction may keep a problem it was given, never add one.
    """
    problems: set[str] = set()
    waiting: set[str] = set()
    for message in messages:
        if message.role == "tool":
            if message.tool_call_id in waiting:
                waiting.discard(message.tool_call_id)
            else:
                problems.add(f"the result for call {message.tool_call_id!r} has no call before it")
            continue
        problems.update(_unanswered(waiting))
        waiting = {call.id for call in message.tool_calls} if message.role == "assistant" else set()
    problems.update(_unanswered(waiting))
    return frozenset(problems)


def _unanswered(waiting: set[str]) -> list[str]:
    return [f"call {call_id!r} has no result" for call_id in waiting]
