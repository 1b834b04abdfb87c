"""`BrowserScreen`: the runs under a directory, one row each; Enter opens one in the viewer.

The rows appear at once with their names (finding runs reads only file
names), and a worker thread then opens each run to fill in its task, model,
steps, stop reason, tokens, cost, duration and failed steps, posting one
`Described` message per run.  Typing filters the rows (every word must appear
in the name, task, model or stop reason); clicking a column header, or
ctrl+s, sorts by a column (again to reverse it).  A run opens on a worker too
(a 100k-step run takes a moment), and Escape in the viewer comes back here.

Every string from a run is untrusted: DataTable parses `str` cells as Rich
markup, so each cell is a `rich.text.Text` made from `safe_text.escape_line`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.markup import parse_style
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, get_current_worker

from looplet_core.provenance import Trace, TraceError, open_trace
from looplet_tui.formatting import format_cost, format_ms, format_tokens
from looplet_tui.run_list import RunRow, describe, matches, sort_rows
from looplet_tui.safe_text import ESCAPE_STYLE, escape_line, literal
from looplet_tui.worker_failures import report_failure

__all__ = ["COLUMNS", "BrowserScreen", "Column"]

REFILL_S = 0.1
"""Rows described in the background are shown in batches, at most this often."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the table: what its cells show, and how."""

    key: str
    """Also the run_list.SORT_KEYS key."""
    label: str
    cell: Callable[[RunRow], str | None]
    numeric: bool = False
    widest: int = 1000
    """The column never grows wider than this (longer text ends in …)."""


COLUMNS: tuple[Column, ...] = (
    Column("name", "name", lambda row: row.name, widest=28),
    Column("task", "task", lambda row: _first_line(row.problem or row.task), widest=80),
    Column("model", "model", lambda row: row.model, widest=18),
    Column("steps", "steps", lambda row: _count(row.steps), numeric=True),
    Column("stop", "stop reason", lambda row: row.stop_reason, widest=16),
    Column("tokens", "tokens", lambda row: _maybe(row.tokens, format_tokens), numeric=True),
    Column("cost", "cost", lambda row: _maybe(row.cost, format_cost), numeric=True),
    Column("duration", "duration", lambda row: _maybe(row.duration_ms, format_ms), numeric=True),
    Column("errors", "errors", lambda row: _count(row.errors), numeric=True),
)
_NARROWEST = 12
"""No column is cut narrower than this (the task column included)."""
_PADDING = 2
"""DataTable's cell padding, both sides together."""
_SCROLLBAR = 2
"""Room kept for the vertical scrollbar, so the last column shows whether or not it does."""


def _emphasis(row: RunRow, column: Column) -> str | None:
    """The style name a cell stands out in, if any: failures in the error colour,
    unfinished runs in the warning colour."""
    if (column.key == "task" and row.problem) or (column.key == "errors" and row.errors):
        return "error"
    if column.key == "stop" and row.stop_reason == "unfinished":
        return "warning"
    return None


def _first_line(text: str | None) -> str | None:
    if text is None:
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


def _count(value: int | None) -> str | None:
    return None if value is None else f"{value:,}"


def _maybe(value: float | None, show: Callable[..., str]) -> str | None:
    return None if value is None else show(value)


class BrowserScreen(Screen[None]):
    """The runs found under `root`; `rows` come from `run_list.find_runs`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_run", "Open", priority=True, id="browser.open"),
        Binding("ctrl+s", "sort_next", "Sort", id="browser.sort"),
        Binding("ctrl+r", "reverse", "Reverse", id="browser.reverse"),
        Binding("escape", "clear_filter", "Clear filter", id="browser.clear"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True, id="browser.quit"),
        Binding("down", "table('cursor_down')", "Next run", show=False, id="browser.next"),
        Binding("up", "table('cursor_up')", "Previous run", show=False, id="browser.previous"),
        Binding("pagedown", "table('page_down')", "Page down", show=False, id="browser.page_down"),
        Binding("pageup", "table('page_up')", "Page up", show=False, id="browser.page_up"),
        Binding("ctrl+home", "table('scroll_top')", "First run", show=False, id="browser.first"),
        Binding("ctrl+end", "table('scroll_bottom')", "Last run", show=False, id="browser.last"),
    ]

    class Described(Message):
        """The worker has read one run."""

        def __init__(self, row: RunRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, root: str, rows: Sequence[RunRow], *, follow: bool = False) -> None:
        super().__init__()
        self.root = root
        self.follow = follow
        """Open runs in follow mode (`looplet-tui open DIR --follow`)."""
        self.runs: dict[str, RunRow] = {row.path: row for row in rows}
        """Every run found, by path, as described so far."""
        self.sort_column = "name"
        self.sort_reverse = False
        self.shown: list[RunRow] = []
        """The rows in the table, in order: the runs that match the filter, sorted."""
        self._words: list[str] = []
        self._refill_pending = False
        self._opening: str | None = None
        self._styles: dict[str, Style] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="browser-title")
        yield Input(
            placeholder="type to filter runs",
            compact=True,
            select_on_focus=False,
            id="browser-filter",
        )
        yield DataTable(cursor_type="row", zebra_stripes=True, id="browser-runs")
        yield Static(id="browser-status")
        yield Footer(compact=True)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#browser-runs", DataTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#browser-filter", Input)

    def on_mount(self) -> None:
        self._styles = {
            name: parse_style(style).rich_style
            for name, style in (
                ("escape", ESCAPE_STYLE),
                ("error", "$text-error"),
                ("warning", "$text-warning"),
                ("muted", "dim"),
            )
        }
        count = len(self.runs)
        self.query_one("#browser-title", Static).update(
            literal(f" {count:,} run{'s' if count != 1 else ''} in {self.root}", "bold")
        )
        self.filter_input.focus()
        self._fill()
        undescribed = [row for row in self.shown if not row.described]
        self.call_after_refresh(self._describe_all, undescribed)  # the names show first

    # -- the table --------------------------------------------------------------

    def _fill(self) -> None:
        """Rebuild the table from `runs`, the filter and the sort; the cursor stays on its run."""
        self._refill_pending = False
        table = self.table
        selected = self.selected
        rows = [row for row in self.runs.values() if matches(row, self._words)]
        self.shown = sort_rows(rows, self.sort_column, self.sort_reverse)
        cells = [[self._cell(row, column) for column in COLUMNS] for row in self.shown]
        table.clear(columns=True)
        for column, width in zip(COLUMNS, self._widths(cells), strict=True):
            table.add_column(self._header(column), width=width, key=column.key)
        table.add_rows(cells)
        if selected is not None and selected.path in self.runs:
            index = next((n for n, row in enumerate(self.shown) if row.path == selected.path), 0)
            table.move_cursor(row=index, animate=False)
        self._update_status()

    def _cell(self, row: RunRow, column: Column) -> Text:
        value = column.cell(row)
        justify = "right" if column.numeric else "left"
        if value is None:
            filler = "–" if row.described else "…"
            return Text(filler, style=self._styles["muted"], justify=justify, end="")
        limit = self._limit(column)
        if column.key == "name" and len(value) > limit:
            value = "…" + value[-(limit - 1) :]  # run names differ at the end
        shown, escapes = escape_line(value)
        emphasis = _emphasis(row, column)
        style = self._styles[emphasis] if emphasis else ""
        text = Text(shown, style=style, justify=justify, no_wrap=True, overflow="ellipsis", end="")
        for start, end in escapes:
            text.stylize(self._styles["escape"], start, end)
        return text

    def _limit(self, column: Column) -> int:
        """How wide `column` may grow: its `widest`, less on a screen under 120 columns."""
        scale = min(1.0, self._table_width / 120)
        return max(_NARROWEST, int(column.widest * scale))

    def _header(self, column: Column) -> Text:
        label = column.label
        if column.key == self.sort_column:
            label += " ▼" if self.sort_reverse else " ▲"
        return Text(label, style="bold", justify="right" if column.numeric else "left")

    def _widths(self, cells: list[list[Text]]) -> list[int]:
        """Each column as wide as its widest cell, up to its limit (which shrinks on a
        screen narrower than 120 columns); the task column takes what the others leave."""
        widths = []
        for index, column in enumerate(COLUMNS):
            widest = max((row[index].cell_len for row in cells), default=0)
            header = len(column.label) + (2 if column.key == self.sort_column else 0)
            widths.append(max(header, min(widest, self._limit(column))))
        task = [column.key for column in COLUMNS].index("task")
        others = sum(widths) - widths[task] + _PADDING * len(COLUMNS) + _SCROLLBAR
        widths[task] = max(_NARROWEST, self._table_width - others)
        return widths

    @property
    def _table_width(self) -> int:
        """The table's width, or (before its first layout) the screen's."""
        return self.table.size.width or self.size.width

    def on_resize(self, event: events.Resize) -> None:
        self._fill()  # the task column takes the width that the others leave

    @property
    def selected(self) -> RunRow | None:
        """The run under the cursor, if any."""
        if not self.shown:
            return None
        row = self.table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    # -- describing runs in the background ---------------------------------------

    @work(thread=True, exclusive=True, group="describe", exit_on_error=False)
    def _describe_all(self, rows: list[RunRow]) -> None:
        """Read each run in turn (a thread: opening a big run is slow, blocking work)."""
        worker = get_current_worker()
        for row in rows:
            if worker.is_cancelled:  # the app is quitting
                return
            self.post_message(self.Described(describe(row)))

    @on(Described)
    def _on_described(self, message: Described) -> None:
        self.runs[message.row.path] = message.row
        if not self._refill_pending:  # many rows arrive at once: show them in batches
            self._refill_pending = True
            self.set_timer(REFILL_S, self._fill)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

    # -- filter and sort --------------------------------------------------------

    @on(Input.Changed, "#browser-filter")
    def _on_filter_changed(self, event: Input.Changed) -> None:
        self._words = event.value.casefold().split()
        self._fill()

    def on_key(self, event: events.Key) -> None:
        """Typing anywhere on the screen goes to the filter."""
        if event.is_printable and event.character is not None and self.focused is self.table:
            event.stop()
            event.prevent_default()
            self.filter_input.focus()
            self.filter_input.insert_text_at_cursor(event.character)

    @on(DataTable.HeaderSelected)
    def _on_header(self, event: DataTable.HeaderSelected) -> None:
        self.sort_by(str(event.column_key.value))

    def sort_by(self, column: str) -> None:
        """Sort by `column`; sorting by the current column again reverses the order."""
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self._fill()

    def action_sort_next(self) -> None:
        """Sort by the next column."""
        keys = [column.key for column in COLUMNS]
        self.sort_by(keys[(keys.index(self.sort_column) + 1) % len(keys)])

    def action_reverse(self) -> None:
        """Reverse the order."""
        self.sort_by(self.sort_column)

    def action_clear_filter(self) -> None:
        """Show every run again."""
        self.filter_input.value = ""

    def sort_commands(self) -> Iterable[SystemCommand]:
        """A command palette entry for sorting by each column."""
        for column in COLUMNS:
            yield SystemCommand(
                f"Sort runs by {column.label}",
                "Choose it again to reverse the order (or click its header)",
                partial(self.sort_by, column.key),
            )

    async def action_table(self, action: str) -> None:
        """Move the cursor in the table (the filter keeps the focus)."""
        await self.table.run_action(action)

    # -- opening a run ----------------------------------------------------------

    @on(DataTable.RowSelected)
    def _on_clicked(self) -> None:
        """A click on the highlighted row opens it (Enter is a binding of the screen)."""
        self.action_open_run()

    def action_open_run(self) -> None:
        """Open the selected run in the viewer."""
        row = self.selected
        if row is None or self._opening is not None:
            return
        self._opening = row.name
        self._update_status()
        self._open(row)

    class Opened(Message):
        """A run chosen in the browser has been opened (`trace`), or not (`problem`)."""

        def __init__(self, row: RunRow, trace: Trace | None, problem: str | None) -> None:
            super().__init__()
            self.row = row
            self.trace = trace
            self.problem = problem

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open(self, row: RunRow) -> None:
        try:
            self.post_message(self.Opened(row, open_trace(row.path, progressive=True), None))
        except TraceError as exc:
            self.post_message(self.Opened(row, None, str(exc)))

    @on(Opened)
    def _on_opened(self, message: Opened) -> None:
        from looplet_tui.screens.browsed_run import BrowsedRunScreen  # loads the viewer
        from looplet_tui.source import TraceSource

        self._opening = None
        self._update_status()
        if message.trace is None:
            self.notify(
                message.problem or "", title="Cannot open the run", severity="error", markup=False
            )
            return
        source = TraceSource(message.trace, name=message.row.name)
        self.app.push_screen(BrowsedRunScreen(source, follow=self.follow))

    # -- status -----------------------------------------------------------------

    def _update_status(self) -> None:
        total = len(self.runs)
        described = sum(1 for row in self.runs.values() if row.described)
        parts = []
        if self._words:
            parts.append(f"{len(self.shown):,} of {total:,} match")
        if described < total:
            parts.append(f"reading {described:,}/{total:,}")
        if self._opening is not None:
            parts.append(f"opening {self._opening} …")
        elif not self.shown:
            parts.append("no run matches the filter" if self._words else "no runs")
        self.query_one("#browser-status", Static).update(
            literal("  ·  ".join(parts), "$text-muted")
        )
