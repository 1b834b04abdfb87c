"""`PromptView`: the messages the model saw for the selected step's turn."""

from __future__ import annotations

import json
from collections.abc import Sequence

from textual.content import Content

from looplet_core.types import Message
from looplet_tui.safe_text import literal
from looplet_tui.source import StepData
from looplet_tui.widgets.doc_view import Block, Scroll
from looplet_tui.widgets.step_pane import StepPane, note

__all__ = ["PromptView"]

FOLD_ROWS = 6
"""A message longer than this shows its first rows until expanded."""
HEAD_MESSAGES = 2
TAIL_MESSAGES = 100
"""A long conversation shows its first and last messages; the middle is summarised."""

_ROLE_STYLES = {
    "system": "$text-secondary",
    "user": "$text-primary",
    "assistant": "$text-accent",
    "tool": "$text-success",
}


def message_heading(number: int, message: Message) -> Content:
    """`#3 assistant → read_file`, `#4 tool read_file ✗`: role first, untrusted parts literal."""
    role = Content.styled(message.role, _ROLE_STYLES.get(message.role, "$text-warning"))
    parts = [
        Content.styled(f"#{number} ", "$text-muted"),
        literal(message.role) if message.role not in _ROLE_STYLES else role,
    ]
    if message.tool_calls:
        parts.append(Content(" → "))
        parts.append(literal(", ".join(call.name for call in message.tool_calls)))
    if message.role == "tool" and message.name:
        parts.append(Content(" "))
        parts.append(literal(message.name))
    if message.is_error:
        parts.append(Content.styled(" ✗ error", "$text-error"))
    return Content.assemble(*parts)


def message_block(number: int, message: Message) -> Block:
    text = message.content
    if message.tool_calls:
        calls = "\n".join(f"{call.name}({_compact(call.args)})" for call in message.tool_calls)
        text = f"{text}\n{calls}" if text else calls
    if not text:
        return Block(
            heading=message_heading(number, message),
            lines=(Content.styled("(empty)", "$text-muted"),),
        )
    return Block(
        heading=message_heading(number, message),
        text=text,
        style="$text-error" if message.is_error else "",
        fold=FOLD_ROWS,
    )


def _compact(args: object) -> str:
    return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False, default=str)


class _OneLineEach(Sequence[Content]):
    """Messages as one line each, built only when a row is rendered."""

    def __init__(self, first: int, messages: Sequence[Message]) -> None:
        self._first = first
        self._messages = messages

    def __len__(self) -> int:
        return len(self._messages)

    def __getitem__(self, index: int) -> Content:  # type: ignore[override]
        message = self._messages[index]
        first_line = message.content[:200]
        return Content.assemble(
            message_heading(self._first + index, message), Content("  "), literal(first_line)
        )


def elided_block(first: int, messages: Sequence[Message]) -> Block:
    """One folded block standing for many messages, a line each when expanded."""
    return Block(
        heading=Content(f"{len(messages):,} more messages, one line each"),
        lines=_OneLineEach(first, messages),
        fold=0,
    )


class PromptView(StepPane):
    """The conversation the model was sent, with role labels; long messages folded."""

    title = "Prompt"
    opens_at: Scroll = "end"  # the newest messages, the ones this turn added, first

    def blocks_for(self, data: StepData) -> list[Block]:
        prompt = data.detail.prompt if data.detail else None
        if prompt is None:
            reasons = [p for p in data.detail.problems] if data.detail else []
            return [
                note("the prompt of this step was not recorded"),
                *(Block(text=r, style="$text-error") for r in reasons),
            ]
        if not prompt:
            return [note("the model was sent no messages")]
        if len(prompt) <= HEAD_MESSAGES + TAIL_MESSAGES + 1:
            return [message_block(number, message) for number, message in enumerate(prompt, 1)]
        tail_start = len(prompt) - TAIL_MESSAGES
        return [
            *(message_block(n, m) for n, m in enumerate(prompt[:HEAD_MESSAGES], 1)),
            elided_block(HEAD_MESSAGES + 1, prompt[HEAD_MESSAGES:tail_start]),
            *(message_block(n, m) for n, m in enumerate(prompt[tail_start:], tail_start + 1)),
        ]

    def payload_for(self, data: StepData) -> str:
        prompt = data.detail.prompt if data.detail else None
        return json.dumps(
            [message.to_dict() for message in prompt or ()],
            indent=2,
            ensure_ascii=False,
            default=str,
        )
