"""`StatusBar`: the run's name, where the cursor is, how the run ended, its totals, and
its evals' verdicts (passed and failed) when it was graded."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from looplet_core.provenance import TraceMeta
from looplet_tui.findings import eval_results
from looplet_tui.formatting import format_cost, format_tokens
from looplet_tui.safe_text import literal

__all__ = ["Status", "StatusBar"]


@dataclass(frozen=True, slots=True)
class Status:
    """What the status bar shows; the screen builds one whenever something changes."""

    name: str
    position: int | None
    total: int
    meta: TraceMeta | None
    following: bool = False
    indexed: int | None = None
    """Steps indexed so far while the background index is incomplete, else None."""
    reading: float | None = None
    """The share of the run read so far while a progressive open goes on, else None."""
    search: str = ""
    """The search state, e.g. `"boom": 3 of 12 steps` (already formatted by the screen)."""
    filter: str = ""
    activity: str = ""
    """A live run's state in a word ("paused", "running", "stopping"), shown while
    the trace has no stop reason yet; empty for a saved run, which says "running"."""


def status_content(status: Status) -> Content:
    sep = Content.styled(" │ ", "$text-muted")
    step = "–" if status.position is None else f"{status.position + 1:,}"
    parts = [literal(status.name, "bold"), sep, Content(f"step {step}/{status.total:,}")]
    meta = status.meta
    if meta is not None:
        stop = (
            literal(meta.stop_reason)
            if meta.stop_reason
            else Content.styled(status.activity or "running", "$text-warning")
        )
        parts += (sep, stop, sep, Content(f"{format_tokens(meta.usage.total_tokens)} tok"))
        if meta.cost is not None:
            parts += (sep, Content(format_cost(meta.cost)))
        results = eval_results(meta.annotations)
        if results:
            failed = sum(not result.passed for result in results)
            parts += (
                sep,
                Content("evals "),
                Content.styled(f"✓{len(results) - failed}", "$text-success"),
            )
            if failed:
                parts += (Content(" "), Content.styled(f"✗{failed}", "$text-error"))
    if status.filter:
        parts += (sep, Content.styled("filter ", "$text-muted"), literal(status.filter))
    if status.search:
        parts += (sep, literal(status.search))
    if status.reading is not None:
        parts += (sep, Content.styled(f"indexing {int(100 * status.reading)}%", "$text-muted"))
    elif status.indexed is not None:
        share = 100 * status.indexed // max(status.total, 1)
        parts += (sep, Content.styled(f"indexing {share}%", "$text-muted"))
    if status.following:
        parts += (sep, Content.styled("● follow", "$text-success"))
    return Content.assemble(*parts)


class StatusBar(Static):
    """One line at the bottom of the screen."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def show(self, status: Status) -> None:
        self.update(status_content(status), layout=False)  # always one row
