"""The stages of a compaction chain: `Prune`, `Summarize`, `Truncate`.

A stage is any object with `compact(messages, budget) -> StageResult | None`
(None: nothing it can do).  It may return more tokens than `budget.target`:
the chain then hands the result to the next stage.  Stages work on whole
units (see compaction_units), so none of them separates a tool call from its
result; the chain checks that anyway, for stages of your own.
"""

from __future__ import annotations

import json
import re

from looplet_core._record import Record, set_field
from looplet_core.hooks_lib.compaction_units import head_length, units
from looplet_core.loop import Prompt
from looplet_core.provenance.trace import one_line
from looplet_core.types import Message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from looplet_core.loop import LoopState
    from looplet_core.protocols import LLMBackend

__all__ = [
    "PRUNED_NOTE",
    "SUMMARY_INSTRUCTIONS",
    "Budget",
    "Prune",
    "StageResult",
    "Summarize",
    "Truncate",
]

PRUNED_NOTE = "[looplet pruned this tool result to save context: {chars:,} characters]"
_PRUNED_PREFIX = PRUNED_NOTE.split("{", 1)[0]
_TRUNCATED_NOTE = "[looplet removed {count:,} earlier messages here to fit the context window]"
_TRUNCATED = re.compile(r"\[looplet removed ([\d,]+) earlier messages here")
_SUMMARY_HEADING = "[looplet summary of {count:,} earlier messages]\n"

SUMMARY_INSTRUCTIONS = (
    "You condense the earlier part of an AI agent's working conversation so the agent can "
    "continue its task with less context. Keep every fact it learned, decision it made, "
    "name, path, number and error it will need, and say what is done and what is left. "
    "Write short plain sentences or bullet points. Do not call tools."
)


class Budget:
    """What a compaction must reach and how sizes are measured.

    `state` is the run (Summarize takes its model and adds the summary's usage
    to it); None when a chain is used outside a loop.
    """

    __slots__ = ("estimator", "state", "target")

    def __init__(
        self,
        target: int,
        estimator: Callable[[Message], int],
        state: LoopState | None = None,
    ) -> None:
        self.target = target
        """Tokens the conversation should be brought down to."""
        self.estimator = estimator
        """Tokens of one message."""
        self.state = state

    def tokens(self, messages: Sequence[Message]) -> int:
        estimate = self.estimator
        return sum(estimate(message) for message in messages)


class StageResult(Record):
    """A stage's new message list, what it removed in words, and the same as data."""

    __slots__ = ("messages", "removed", "detail")
    messages: list[Message]
    removed: str
    """One line, e.g. "pruned 4 tool results (18,200 chars)": the hook trace shows it."""
    detail: dict[str, Any]
    """JSON data for the trace: which calls' results, how many messages, usage."""

    def __init__(self, messages: list[Message], removed: str, detail: dict[str, Any]) -> None:
        set_field(self, "messages", messages)
        set_field(self, "removed", removed)
        set_field(self, "detail", detail)


class Prune:
    """Replace the text of old, long tool results with a short note, oldest first.

    The calls and their (now short) results stay, so the model still sees what
    it did, only not everything it read.  The last `keep_recent` units,
    results of `min_chars` characters or fewer and results the note would not
    make smaller (by the budget's estimate) are left alone: pruning those
    loses what the model read and saves nothing.
    """

    name = "prune"

    def __init__(self, keep_recent: int = 3, min_chars: int = 200) -> None:
        self.keep_recent = _at_least(0, keep_recent, "keep_recent")
        self.min_chars = _at_least(0, min_chars, "min_chars")

    def compact(self, messages: Sequence[Message], budget: Budget) -> StageResult | None:
        spans = units(messages, head_length(messages))
        old = spans[: max(len(spans) - self.keep_recent, 0)]
        out = list(messages)
        total = budget.tokens(out)
        pruned: list[str | None] = []
        chars = 0
        for index in (i for first, end in old for i in range(first, end)):
            message = out[index]
            if not self._prunable(message):
                continue
            note = message.replace(content=PRUNED_NOTE.format(chars=len(message.content)))
            saved = budget.estimator(message) - budget.estimator(note)
            if saved <= 0:
                continue
            out[index] = note
            total -= saved
            pruned.append(message.tool_call_id)
            chars += len(message.content)
            if total <= budget.target:
                break
        if not pruned:
            return None
        return StageResult(
            out,
            f"pruned {_count(len(pruned), 'tool result')} ({chars:,} chars)",
            {"tool_results": pruned, "chars": chars},
        )

    def _prunable(self, message: Message) -> bool:
        return (
            message.role == "tool"
            and len(message.content) > self.min_chars
            and not message.content.startswith(_PRUNED_PREFIX)
        )


class Truncate:
    """Drop the oldest units after the task until the conversation fits; leave a note.

    The system prompt, the task and the last `keep_recent` units always stay.
    The note tells the model how many messages are gone (counting earlier
    truncations), so it does not take the gap for a fresh start.
    """

    name = "truncate"

    def __init__(self, keep_recent: int = 2) -> None:
        self.keep_recent = _at_least(1, keep_recent, "keep_recent")

    def compact(self, messages: Sequence[Message], budget: Budget) -> StageResult | None:
        head = head_length(messages)
        spans = units(messages, head)
        droppable = spans[: max(len(spans) - self.keep_recent, 0)]
        total = budget.tokens(messages)
        earlier = dropped = 0
        calls: list[str] = []
        cut = head
        for first, end in droppable:
            note = _TRUNCATED.match(messages[first].content) if end == first + 1 else None
            if note is not None:
                earlier += int(note.group(1).replace(",", ""))
            else:
                dropped += end - first
                calls += [call.id for call in messages[first].tool_calls]
            total -= budget.tokens(messages[first:end])
            cut = end
            marker = Message("user", _TRUNCATED_NOTE.format(count=earlier + dropped))
            if dropped and total + budget.estimator(marker) <= budget.target:
                break
        if not dropped:
            return None
        marker = Message("user", _TRUNCATED_NOTE.format(count=earlier + dropped))
        out = [*messages[:head], marker, *messages[cut:]]
        return StageResult(
            out,
            f"dropped {_count(dropped, 'message')}"
            + (f" ({_count(len(calls), 'call')} with their results)" if calls else ""),
            {"messages": dropped, "calls": calls},
        )


class Summarize:
    """Ask a model to condense everything but the head and the last `keep_recent` units.

    `llm` is the backend to ask; None uses the run's own (`state.llm`).  The
    summary replaces those messages as one user message, and the call's usage
    and cost are added to the run's.  If the call fails or the reply is empty,
    `fallback` (a `Truncate` with the same `keep_recent` unless given) does
    the job instead and the stage says so.  Each message is cut to
    `max_chars` characters in what the model is shown.
    """

    name = "summarize"

    def __init__(
        self,
        llm: LLMBackend | None = None,
        *,
        keep_recent: int = 4,
        fallback: Any = None,
        instructions: str = SUMMARY_INSTRUCTIONS,
        max_chars: int = 4000,
    ) -> None:
        self.llm = llm
        self.keep_recent = _at_least(1, keep_recent, "keep_recent")
        self.fallback = fallback if fallback is not None else Truncate(keep_recent)
        self.instructions = instructions
        self.max_chars = _at_least(1, max_chars, "max_chars")

    def compact(self, messages: Sequence[Message], budget: Budget) -> StageResult | None:
        head = head_length(messages)
        middle = units(messages, head)[: -self.keep_recent]
        if not middle:
            return None
        first, end = middle[0][0], middle[-1][1]
        try:
            text, usage = self._summarise(messages, first, end, budget.state)
        except Exception as exc:
            return self._fall_back(messages, budget, one_line(exc))
        summary = Message("user", _SUMMARY_HEADING.format(count=end - first) + text)
        return StageResult(
            [*messages[:first], summary, *messages[end:]],
            f"summarised {_count(end - first, 'message')} into {len(text):,} chars",
            {"messages": end - first, "summary_chars": len(text), "usage": usage},
        )

    def _summarise(
        self, messages: Sequence[Message], first: int, end: int, state: LoopState | None
    ) -> tuple[str, dict[str, int]]:
        llm = self.llm if self.llm is not None else getattr(state, "llm", None)
        if llm is None:
            raise RuntimeError("no model to summarise with (pass Summarize(llm))")
        task = messages[first - 1].content if first and messages[first - 1].role == "user" else ""
        transcript = "\n".join(self._line(message) for message in messages[first:end])
        request = f"The agent's task:\n{task}\n\nThe conversation to condense:\n{transcript}"
        turn = state.turn if state is not None else 0
        prompt = Prompt([Message("system", self.instructions), Message("user", request)], (), turn)
        response = llm.generate(prompt)
        text = response.text.strip()
        if not text:
            raise ValueError("the model's summary was empty")
        if state is not None:
            state.usage += response.usage
            if response.cost is not None:
                state.cost = (state.cost or 0.0) + response.cost
        return text, response.usage.to_dict()

    def _line(self, message: Message) -> str:
        label = f"{message.role} {message.name}" if message.role == "tool" else message.role
        parts = [f"[{label}] {_clip(message.content, self.max_chars)}"]
        for call in message.tool_calls:
            args = call.args if isinstance(call.args, str) else json.dumps(call.args)
            parts.append(f"  -> {call.name} {_clip(args, self.max_chars)}")
        return "\n".join(parts)

    def _fall_back(self, messages: Sequence[Message], budget: Budget, why: str) -> StageResult:
        result = self.fallback.compact(messages, budget)
        if result is None:
            raise RuntimeError(f"the summary failed ({why}) and the fallback removed nothing")
        return result.replace(
            removed=f"summary failed ({why}), so {result.removed}",
            detail={**result.detail, "summary_failed": why},
        )


def _at_least(low: int, value: int, name: str) -> int:
    if type(value) is not int or value < low:
        raise ValueError(f"{name} must be an int of at least {low}, not {value!r}")
    return value


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width] + f" [... {len(text) - width:,} more]"
