"""`CallView`: the tool call of the selected step and what the model said with it."""

from __future__ import annotations

import json

from textual.content import Content

from looplet_tui.safe_text import literal
from looplet_tui.source import StepData
from looplet_tui.widgets.doc_view import Block
from looplet_tui.widgets.step_pane import StepPane, heading

__all__ = ["CallView", "pretty_json"]


def pretty_json(value: object) -> str:
    """Indented JSON, non-ASCII kept readable; values JSON cannot hold shown by repr."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=repr)


class CallView(StepPane):
    """Tool name, arguments as pretty JSON, the model's text and reasoning, human decisions."""

    title = "Call"

    def blocks_for(self, data: StepData) -> list[Block]:
        assert data.detail is not None
        step, response = data.detail.step, data.detail.response
        call = step.tool_call
        blocks = [
            Block(
                heading=heading("tool"),
                lines=(
                    Content.assemble(
                        literal(call.name, "bold"),
                        Content.styled(f"   turn {step.turn} · call id ", "$text-muted"),
                        literal(call.id or "–", "$text-muted"),
                    ),
                ),
            )
        ]
        if isinstance(call.args, str):
            blocks.append(
                Block(
                    heading=heading("arguments (not valid JSON)"),
                    text=call.args,
                    style="$text-error",
                )
            )
        else:
            blocks.append(Block(heading=heading("arguments"), text=pretty_json(call.args)))
        text = call.text or (response.text if response else "")
        reasoning = call.reasoning or (response.reasoning if response else "")
        if text:
            blocks.append(Block(heading=heading("the model said"), text=text))
        if reasoning:
            blocks.append(Block(heading=heading("reasoning"), text=reasoning))
        for decision in data.detail.human:
            blocks.append(
                Block(
                    heading=Content.assemble(
                        Content("human decision: "),
                        literal(decision.action, "bold"),
                        Content(" by "),
                        literal(decision.who or "someone"),
                    ),
                    text="\n".join(
                        (
                            f"before: {pretty_json(decision.before)}",
                            f"after: {pretty_json(decision.after)}",
                        )
                    ),
                )
            )
        return blocks

    def payload_for(self, data: StepData) -> str:
        assert data.detail is not None
        return pretty_json(data.detail.step.tool_call.to_dict())
