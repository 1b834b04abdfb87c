"""`UsageView`: tokens, latency and cost of the selected step's turn, and the run's totals."""

from __future__ import annotations

from textual.content import Content

from looplet_tui.formatting import format_cost, format_ms, format_time, format_tokens
from looplet_tui.safe_text import literal
from looplet_tui.source import StepData
from looplet_tui.widgets.doc_view import Block
from looplet_tui.widgets.step_pane import StepPane, heading

__all__ = ["UsageView", "usage_rows"]


def _row(label: str, value: Content | str) -> Content:
    shown = value if isinstance(value, Content) else Content(value)
    return Content.assemble(Content.styled(f"{label:<16}", "$text-muted"), shown)


def usage_rows(data: StepData) -> list[tuple[str, list[tuple[str, Content | str]]]]:
    """The pane's sections as (title, [(label, value)]): shared by the blocks and the copy."""
    summary, detail, meta = data.summary, data.detail, data.meta
    step = detail.step if detail else None
    usage = step.usage if step else None
    turn: list[tuple[str, Content | str]] = [
        ("input tokens", f"{summary.input_tokens:,}"),
        ("output tokens", f"{summary.output_tokens:,}"),
    ]
    if usage is not None:
        turn += [
            ("cache read", f"{usage.cache_read_tokens:,}"),
            ("cache write", f"{usage.cache_write_tokens:,}"),
        ]
    turn.append(("model latency", format_ms(summary.latency_ms)))
    turn.append(("cost", format_cost(step.cost if step else None)))
    if detail is not None and detail.response is not None and detail.response.model:
        turn.append(("model", literal(detail.response.model)))
    if detail is not None:
        turn.append(("reply at", format_time(detail.time)))
    sections = [(f"turn {summary.turn} (shared by its steps)", turn)]
    sections.append(
        (f"step #{summary.number}", [("tool duration", format_ms(summary.duration_ms))])
    )
    if meta is not None:
        total = meta.usage
        sections.append(
            (
                "run totals",
                [
                    ("steps / turns", f"{meta.steps:,} / {meta.turns:,}"),
                    ("input tokens", f"{total.input_tokens:,}"),
                    ("output tokens", f"{total.output_tokens:,}"),
                    ("cache read", f"{total.cache_read_tokens:,}"),
                    ("total tokens", format_tokens(total.total_tokens)),
                    ("cost", format_cost(meta.cost)),
                    ("duration", format_ms(meta.duration_ms)),
                    ("stop reason", literal(meta.stop_reason or "(still running)")),
                ],
            )
        )
    return sections


class UsageView(StepPane):
    """Tokens in/out/cached, latency and cost for the step's turn, with run totals."""

    title = "Usage"
    needs_detail = False

    def blocks_for(self, data: StepData) -> list[Block]:
        return [
            Block(heading=heading(title), lines=tuple(_row(label, value) for label, value in rows))
            for title, rows in usage_rows(data)
        ]

    def payload_for(self, data: StepData) -> str:
        return "\n".join(
            f"{title}\n" + "\n".join(f"  {label}: {value}" for label, value in rows)
            for title, rows in usage_rows(data)
        )
