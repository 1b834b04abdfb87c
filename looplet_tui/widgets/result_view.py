"""`ResultView`: what the selected step's tool call returned, or why it failed."""

from __future__ import annotations

from textual.content import Content

from looplet_core.types import ToolResult
from looplet_tui.formatting import format_ms
from looplet_tui.safe_text import literal
from looplet_tui.source import StepData
from looplet_tui.widgets.call_view import pretty_json
from looplet_tui.widgets.doc_view import Block
from looplet_tui.widgets.step_pane import StepPane

__all__ = ["ResultView"]


def _data_text(value: object) -> str:
    return value if isinstance(value, str) else pretty_json(value)


def _has_output(result: ToolResult) -> bool:
    """Whether a failed result also carries output worth showing (a shell command's
    stderr, say); some formats store the string "None" for "nothing"."""
    return result.data is not None and result.data not in ("", "None")


def result_text(data: StepData) -> str:
    """The result as text: the error message (then any output), a string as is,
    anything else as JSON."""
    assert data.detail is not None
    result = data.detail.step.tool_result
    if result.error is None:
        return _data_text(result.data)
    if _has_output(result):
        return f"{result.error}\n\n{_data_text(result.data)}"
    return result.error


class ResultView(StepPane):
    """The result as pretty JSON or text; an error in the error colour, with its kind
    and any output the failed call produced.

    Large results cost only the rows on screen (see DocView)."""

    title = "Result"

    def blocks_for(self, data: StepData) -> list[Block]:
        assert data.detail is not None
        result = data.detail.step.tool_result
        took = Content.styled(f" · {format_ms(result.duration_ms)}", "$text-muted")
        if result.error is not None:
            kind = literal(str(result.error_kind or "error"))
            title = Content.assemble(Content.styled("✗ failed: ", "$text-error"), kind, took)
            blocks = [Block(heading=title, text=result.error, style="$text-error")]
            if _has_output(result):
                heading = Content.styled("output", "$text-muted")
                blocks.append(Block(heading=heading, text=_data_text(result.data)))
            return blocks
        shape = "text" if isinstance(result.data, str) else "JSON"
        title = Content.assemble(
            Content.styled("✓ ok", "$text-success"), Content(f" · {shape}"), took
        )
        return [Block(heading=title, text=_data_text(result.data))]

    def payload_for(self, data: StepData) -> str:
        return result_text(data)
