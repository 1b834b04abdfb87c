"""`UsageView`: tokens, latency and cost of the selected step's turn, and the run's totals,
with what the run's hooks found about it: eval verdicts and compactions, when the
trace holds them."""

from __future__ import annotations

from textual.content import Content

from looplet_core.evals import EvalResult
from looplet_core.hooks_lib.compaction import Compaction
from looplet_tui.findings import compactions, eval_results
from looplet_tui.formatting import format_cost, format_ms, format_time, format_tokens
from looplet_tui.safe_text import literal
from looplet_tui.source import StepData
from looplet_tui.widgets.doc_view import Block
from looplet_tui.widgets.step_pane import StepPane, heading

__all__ = ["UsageView", "eval_verdict", "usage_rows"]

Rows = list[tuple[str, Content | str]]

_VERDICTS = {
    "pass": ("✓ pass", "$text-success"),
    "fail": ("✗ fail", "$text-error"),
    "error": ("✗ error", "$text-error"),
    "info": ("· info", "$text-muted"),
}


def _row(label: str, value: Content | str, width: int) -> Content:
    shown = value if isinstance(value, Content) else Content(value)
    return Content.assemble(Content.styled(f"{label:<{width}}  ", "$text-muted"), shown)


def _section(title: str, rows: Rows) -> Block:
    """A heading and its rows, the values lined up after the longest label."""
    width = max((len(label) for label, _ in rows), default=0)
    return Block(
        heading=heading(title),
        lines=tuple(_row(label, value, max(width, 14)) for label, value in rows),
    )


def eval_verdict(result: EvalResult) -> Content:
    """`✗ fail  0.8 < 0.9`: the verdict, coloured, then the value or why."""
    mark, style = _VERDICTS.get(result.status, _VERDICTS["error"])
    why = result.detail or ("" if result.value is None else _short(result.value))
    parts = [Content.styled(mark, style)]
    if why:
        parts += (Content("  "), literal(why))
    return Content.assemble(*parts)


def _short(value: object, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _compaction_rows(compaction: Compaction) -> Rows:
    """The sizes before and after on the first row, then what each stage did."""
    c = compaction
    sizes = (
        f"{c.tokens_before:,} → {c.tokens_after:,} tokens, "
        f"{c.messages_before:,} → {c.messages_after:,} messages"
    )
    stages: Rows = [("", literal(f"{r.stage}: {r.describe()}")) for r in c.stages]
    return [(f"before step {c.step}", sizes), *stages]


def findings_sections(annotations: dict[str, object]) -> list[tuple[str, Rows]]:
    """The run's eval verdicts and compactions, as sections (none when absent)."""
    sections: list[tuple[str, Rows]] = []
    results = eval_results(annotations)
    if results:
        failed = sum(not result.passed for result in results)
        title = f"evals: {len(results) - failed} passed, {failed} failed"
        sections.append((title, [(result.name, eval_verdict(result)) for result in results]))
    done = compactions(annotations)
    if done:
        removed = sum(c.tokens_before - c.tokens_after for c in done)
        title = f"compactions: {len(done)}, {removed:,} tokens removed"
        sections.append((title, [row for c in done for row in _compaction_rows(c)]))
    return sections


def usage_rows(data: StepData) -> list[tuple[str, Rows]]:
    """The pane's sections as (title, [(label, value)]): shared by the blocks and the copy."""
    summary, detail, meta = data.summary, data.detail, data.meta
    step = detail.step if detail else None
    usage = step.usage if step else None
    turn: Rows = [
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
        sections += findings_sections(meta.annotations)
    return sections


class UsageView(StepPane):
    """Tokens in/out/cached, latency and cost for the step's turn, with run totals."""

    title = "Usage"
    needs_detail = False

    def blocks_for(self, data: StepData) -> list[Block]:
        return [_section(title, rows) for title, rows in usage_rows(data)]

    def payload_for(self, data: StepData) -> str:
        return "\n".join(
            f"{title}\n" + "\n".join(f"  {label}: {value}" for label, value in rows)
            for title, rows in usage_rows(data)
        )
