"""`PauseView`: what the run is paused at, and what the user can do about it.

`pause_blocks(pause)` is a pure function from a `Pause` to DocView blocks, so
what each kind of pause shows is tested without an app.  Everything the model
or a tool produced goes through `literal` or a Block's `text` (shown
literally), never through markup.
"""

from __future__ import annotations

from textual.content import Content

from looplet_core import ToolCall, ToolResult
from looplet_tui.live.messages import AFTER_STEP, APPROVAL, POST_DISPATCH, PRE_PROMPT, Pause
from looplet_tui.safe_text import literal
from looplet_tui.widgets.call_view import pretty_json
from looplet_tui.widgets.doc_view import Block, DocView
from looplet_tui.widgets.hooks_view import hook_table
from looplet_tui.widgets.prompt_view import (
    HEAD_MESSAGES,
    TAIL_MESSAGES,
    elided_block,
    message_block,
)
from looplet_tui.widgets.step_pane import heading

__all__ = ["PauseView", "pause_blocks", "pause_title"]

KEYS = {
    PRE_PROMPT: "e edit the messages · n step · c continue · s stop",
    APPROVAL: "a approve · e edit arguments · x reject · k skip · s stop",
    POST_DISPATCH: "e edit the result · n step · c continue · s stop",
    AFTER_STEP: "n step · c continue · s stop",
}
FOLDED = 0
"""Tool schemas and hook states start folded to their heading (click, or `x` when
no call awaits approval, expands them): what the pause is about comes first."""


def pause_title(pause: Pause) -> str:
    """`awaiting approval: delete_file (step 7)`: what the run waits for, in words."""
    if pause.kind == PRE_PROMPT:
        return f"paused before the model call (turn {pause.turn})"
    name = pause.call.name if pause.call is not None else "?"
    if pause.kind == APPROVAL:
        return f"awaiting approval: {name} (step {pause.step})"
    if pause.kind == POST_DISPATCH:
        return f"paused after {name} ran (step {pause.step})"
    return f"paused after step {pause.step}"


def pause_blocks(pause: Pause) -> list[Block]:
    blocks = [
        Block(
            heading=Content.assemble(
                Content.styled("‖ ", "$text-warning"), literal(pause_title(pause), "bold")
            ),
            lines=(
                *(Content.assemble(Content("why: "), literal(why)) for why in pause.why),
                Content.styled(KEYS[pause.kind], "$text-muted"),
            ),
        )
    ]
    if pause.kind == PRE_PROMPT:
        blocks += _prompt_blocks(pause)
    elif pause.call is not None:
        blocks += call_blocks(pause.call)
        if pause.result is not None:
            blocks.append(result_block(pause.result, pause.edited))
    request = pause.request
    if request is not None and (request.rule is None or request.rule.source != "debugger"):
        blocks.append(Block(heading=heading("asked because"), lines=(literal(request.reason),)))
    blocks.append(decisions_block(pause))
    for name, state in pause.hook_states.items():
        blocks.append(
            Block(
                heading=Content.assemble(Content("hook now · "), literal(name)),
                text=pretty_json(dict(state)),
                fold=FOLDED,
            )
        )
    return blocks


def decisions_block(pause: Pause) -> Block:
    """What the hooks decided about the step the pause concerns, so far."""
    if pause.kind == AFTER_STEP:
        title = f"hooks of step {pause.step}"
    else:
        title = f"hooks so far for step {pause.step}"
    if not pause.decisions:
        return Block(
            heading=heading(title),
            lines=(Content.styled("none has run for it yet", "$text-muted italic"),),
        )
    return Block(heading=heading(title), lines=tuple(hook_table(pause.decisions, micros=False)))


def _prompt_blocks(pause: Pause) -> list[Block]:
    messages = pause.messages
    edited = " (edited)" if pause.edited else ""
    count = f"the model will receive {len(messages)} message{'s' if len(messages) != 1 else ''}"
    blocks = [Block(heading=heading(count + edited))]
    if len(messages) <= HEAD_MESSAGES + TAIL_MESSAGES + 1:
        blocks += [message_block(n, m) for n, m in enumerate(messages, 1)]
    else:
        tail = len(messages) - TAIL_MESSAGES
        blocks += [message_block(n, m) for n, m in enumerate(messages[:HEAD_MESSAGES], 1)]
        blocks.append(elided_block(HEAD_MESSAGES + 1, messages[HEAD_MESSAGES:tail]))
        blocks += [message_block(n, m) for n, m in enumerate(messages[tail:], tail + 1)]
    blocks.append(Block(heading=heading(f"and {len(pause.tools)} tool schemas")))
    for schema in pause.tools:
        name = schema.get("name") if isinstance(schema.get("name"), str) else "?"
        blocks.append(
            Block(
                heading=Content.assemble(Content("tool "), literal(str(name), "bold")),
                text=pretty_json(dict(schema)),
                fold=FOLDED,
            )
        )
    return blocks


def call_blocks(call: ToolCall) -> list[Block]:
    """The call's tool, arguments, and what the model said with it."""
    blocks = [
        Block(heading=heading("tool"), lines=(literal(call.name, "bold"),)),
        Block(heading=heading("arguments"), text=pretty_json(call.args)),
    ]
    if call.text:
        blocks.append(Block(heading=heading("the model said"), text=call.text))
    if call.reasoning:
        blocks.append(Block(heading=heading("reasoning"), text=call.reasoning))
    return blocks


def result_block(result: ToolResult, edited: bool) -> Block:
    mark = " (edited)" if edited else ""
    if result.error is not None:
        title = Content.assemble(
            Content.styled("✗ failed: ", "$text-error"),
            literal(str(result.error_kind or "error")),
            Content(mark),
        )
        return Block(heading=title, text=result.error, style="$text-error")
    text = result.data if isinstance(result.data, str) else pretty_json(result.data)
    return Block(
        heading=Content.assemble(Content.styled("✓ result", "$text-success"), Content(mark)),
        text=text,
    )


class PauseView(DocView):
    """The pause the run is waiting at (or a note that it is not paused)."""

    def show_pause(self, pause: Pause, *, keep_scroll: bool = False) -> None:
        """Show `pause`; `keep_scroll` for the same pause again (after an edit)."""
        self.show(pause_blocks(pause), scroll="keep" if keep_scroll else "home")
