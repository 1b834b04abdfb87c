"""`HooksView`: which hooks ran for the selected step, what they decided, and their state."""

from __future__ import annotations

import json

from textual.content import Content

from looplet_core.types import HookTrace
from looplet_tui.safe_text import literal
from looplet_tui.source import StepData
from looplet_tui.widgets.call_view import pretty_json
from looplet_tui.widgets.doc_view import Block
from looplet_tui.widgets.step_pane import StepPane, heading, note

__all__ = ["HooksView"]

_DECISION_STYLES = {"deny": "$text-error", "block": "$text-error", "stop": "$text-error"}


def hook_line(entry: HookTrace) -> Content:
    """`pre_dispatch  Guard  deny  12µs  reason`: one hook invocation."""
    decision = entry.decision or "–"
    style = _DECISION_STYLES.get(
        decision.casefold(), "$text-accent" if entry.decision else "$text-muted"
    )
    parts = [
        Content.styled(f"{entry.phase:<14}", "$text-muted"),
        literal(entry.hook, "bold"),
        Content("  "),
        literal(decision, style),
        Content.styled(f"  {entry.micros:,}µs", "$text-muted"),
    ]
    if entry.reason:
        parts += (Content("  "), literal(entry.reason))
    return Content.assemble(*parts)


class HooksView(StepPane):
    """The step's hook trace (phase, hook, decision, µs, reason), then each hook's
    `debug_state()` when the source has it."""

    title = "Hooks"

    def blocks_for(self, data: StepData) -> list[Block]:
        assert data.detail is not None
        trace = data.detail.step.hook_trace
        blocks = [
            Block(heading=heading("hook trace"), lines=tuple(hook_line(e) for e in trace))
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
