"""`HooksView`: which hooks ran for the selected step, what they decided, and their state."""

from __future__ import annotations

import json
from collections.abc import Sequence

from textual.content import Content

from looplet_core.types import HookTrace
from looplet_tui.safe_text import literal
from looplet_tui.source import StepData
from looplet_tui.widgets.call_view import pretty_json
from looplet_tui.widgets.doc_view import Block
from looplet_tui.widgets.step_pane import StepPane, heading, note

__all__ = ["HooksView", "hook_table"]

_DECISION_STYLES = {"deny": "$text-error", "block": "$text-error", "stop": "$text-error"}


_NAME_WIDTH = 24
"""Hook names longer than this are cut in the table (the copy keeps them whole)."""


def _cell(content: Content, width: int) -> Content:
    """`content` cut or padded to exactly `width` cells, plus a gap."""
    if content.cell_length > width:
        content = content.truncate(width, ellipsis=True)
    return content.pad_right(width - content.cell_length + 2)


def hook_table(entries: Sequence[HookTrace], *, micros: bool = True) -> list[Content]:
    """One row per hook invocation: phase, hook, decision, µs (unless not `micros`);
    the reason below it."""
    phases = [literal(entry.phase, "$text-muted") for entry in entries]
    hooks = [literal(entry.hook, "bold") for entry in entries]
    decisions = [
        literal(entry.decision, _DECISION_STYLES.get(entry.decision.casefold(), "$text-accent"))
        if entry.decision
        else Content.styled("–", "$text-muted")
        for entry in entries
    ]
    phase_width = max(content.cell_length for content in phases)
    hook_width = min(max(content.cell_length for content in hooks), _NAME_WIDTH)
    decision_width = max(content.cell_length for content in decisions)
    rows = []
    for entry, phase, hook, decision in zip(entries, phases, hooks, decisions, strict=True):
        row = Content.assemble(
            _cell(phase, phase_width), _cell(hook, hook_width), _cell(decision, decision_width)
        )
        if micros:
            row += Content.styled(f"{entry.micros:>7,}µs", "$text-muted")
        rows.append(row.rstrip())
        if entry.reason:
            rows.append(Content("    ") + literal(entry.reason))
    return rows


class HooksView(StepPane):
    """The step's hook trace (phase, hook, decision, µs, reason), then each hook's
    `debug_state()` when the source has it."""

    title = "Hooks"

    def blocks_for(self, data: StepData) -> list[Block]:
        assert data.detail is not None
        trace = data.detail.step.hook_trace
        blocks = [
            Block(heading=heading("hook trace"), lines=tuple(hook_table(trace)))
            if trace
            else note("no hook ran for this step")
        ]
        for name, state in data.hook_states.items():
            blocks.append(
                Block(
                    heading=Content.assemble(Content("debug_state · "), literal(name)),
                    text=pretty_json(dict(state)),
                )
            )
        return blocks

    def payload_for(self, data: StepData) -> str:
        assert data.detail is not None
        return json.dumps(
            {
                "hook_trace": [entry.to_dict() for entry in data.detail.step.hook_trace],
                "debug_state": {name: dict(state) for name, state in data.hook_states.items()},
            },
            indent=2,
            ensure_ascii=False,
            default=repr,
        )
