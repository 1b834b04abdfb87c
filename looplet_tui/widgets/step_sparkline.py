"""`StepSparkline`: one row of bars, tokens (or latency) per step across the whole run.

Each cell stands for a run of steps and shows the largest value among them;
the cell holding the selected step is highlighted, and clicking a cell
selects the first step it stands for.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["StepSparkline", "bucket_maxima"]

_BARS = "▁▂▃▄▅▆▇█"


def bucket_maxima(values: Sequence[float], cells: int) -> list[float]:
    """The largest value in each of `cells` equal runs of `values` (fewer cells for
    fewer values)."""
    count = len(values)
    cells = min(cells, count)
    return [
        max(values[cell * count // cells : (cell + 1) * count // cells]) for cell in range(cells)
    ]


class StepSparkline(Widget):
    """A one-row chart of a per-step series with the selected step marked."""

    DEFAULT_CSS = """
    StepSparkline {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """

    cursor: reactive[int] = reactive(0)
    label: reactive[str] = reactive("tokens")

    class Clicked(Message):
        """A cell was clicked: select `position`."""

        def __init__(self, position: int) -> None:
            super().__init__()
            self.position = position

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._values: Sequence[float] = ()

    def set_series(self, values: Sequence[float], label: str) -> None:
        self._values = values
        self.label = label
        self.refresh()

    def _cells(self) -> int:
        return max(self.content_region.width - len(self.label) - 1, 1)

    def render(self) -> Content:
        label = Content.styled(f"{self.label} ", "$text-muted")
        if not self._values:
            return label
        maxima = bucket_maxima(self._values, self._cells())
        top = max(maxima) or 1
        count = len(self._values)
        here = min(self.cursor * len(maxima) // count, len(maxima) - 1)
        bars = "".join(_BARS[round(value / top * (len(_BARS) - 1))] for value in maxima)
        return label + Content(bars).stylize("$accent", here, here + 1)

    def on_click(self, event: events.Click) -> None:
        cell = event.x - self.styles.padding.left - len(self.label) - 1
        cells = min(self._cells(), len(self._values))
        if 0 <= cell < cells:
            self.post_message(self.Clicked(cell * len(self._values) // cells))
