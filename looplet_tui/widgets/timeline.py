"""`Timeline`: one row per step, virtualized, with a cursor.

A row is `#n ✓ tool(args…)` with the tool's duration at the right edge;
failed steps are drawn in the error colour, steps that match the current
search carry a marker (●), steps a person decided something about (an
approval, an edit, a rejection) carry another (✎), and steps whose model call
came right after a compaction of the conversation a third (✂), when the
source says which they are (optional `human_steps()` and `compacted_steps()`
methods).  Rows are rendered
from `StepSource.summary` only when they are on screen, and cached, so a
100 000-step run costs no more to show than a short one.  A filter restricts the rows to some steps.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual

from looplet_tui.formatting import format_ms
from looplet_tui.safe_text import literal
from looplet_tui.source import StepSource

__all__ = ["Timeline"]


class Timeline(ScrollView, can_focus=True):
    """The steps of a run, one row each; `cursor` is the selected step's position."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Next step", show=False, id="timeline.next"),
        Binding("k,up", "cursor_up", "Previous step", show=False, id="timeline.previous"),
        Binding("g,home", "first", "First step", show=False, id="timeline.first"),
        Binding("G,end", "last", "Last step", show=False, id="timeline.last"),
        Binding("pagedown", "page_down", "Page down", show=False, id="timeline.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="timeline.page_up"),
    ]

    DEFAULT_CSS = """
    Timeline {
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .timeline--cursor {
            background: $block-cursor-blurred-background;
        }
        &:focus > .timeline--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"timeline--cursor"}

    cursor: reactive[int] = reactive(0, init=False, repaint=False)
    """Position (0-based) of the selected step in the source."""

    class Selected(Message):
        """The cursor moved to another step."""

        def __init__(self, timeline: Timeline, position: int) -> None:
            super().__init__()
            self.timeline = timeline
            self.position = position

        @property
        def control(self) -> Timeline:
            return self.timeline

    def __init__(self, source: StepSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self._rows: Sequence[int] | None = None
        """The positions shown when filtered, ascending; None shows every step."""
        self._marks: Sequence[int] = ()
        self._human: frozenset[int] = frozenset()
        """Numbers of the steps with a human decision."""
        self._compacted: frozenset[int] = frozenset()
        """Numbers of the steps whose model call followed a compaction."""
        self._strips: LRUCache[tuple[int, int, bool], Strip] = LRUCache(1024)
        self._length = len(source)
        """How many steps the source had when last looked at (to see it shrink)."""

    # -- what is shown ----------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.source) if self._rows is None else len(self._rows)

    @property
    def filtered(self) -> bool:
        return self._rows is not None

    def position_at(self, row: int) -> int:
        return row if self._rows is None else self._rows[row]

    def row_of(self, position: int) -> int:
        """The row showing `position`, or the nearest row after it (the last row if none)."""
        if self._rows is None:
            return position
        return min(bisect_left(self._rows, position), len(self._rows) - 1)

    def set_filter(self, positions: Sequence[int] | None) -> None:
        """Show only `positions` (ascending), or every step again with None.

        The cursor moves to the nearest shown step at or after where it was."""
        self._rows = positions
        self._update_size()
        self.refresh()
        if self.row_count:
            self.select(self.position_at(self.row_of(self.cursor)))

    def set_marks(self, positions: Sequence[int]) -> None:
        """Mark these steps (the current search's matches, ascending)."""
        self._marks = positions
        self._strips.clear()
        self.refresh()

    def steps_added(self) -> None:
        """The source has grown (follow mode): make room for the new rows.  If it has
        shrunk instead, rows may show other steps now, and a cursor past the end
        moves to the last step."""
        self._read_step_marks()
        if len(self.source) < self._length:
            self._strips.clear()
            self._rows = None if self._rows is None else ()  # until the screen filters again
            self.select(min(self.cursor, max(len(self.source) - 1, 0)))
            self.post_message(self.Selected(self, self.cursor))  # it may be another step now
        self._length = len(self.source)
        self._update_size()
        self.refresh()

    def _read_step_marks(self) -> None:
        human = _steps_from(self.source, "human_steps")
        compacted = _steps_from(self.source, "compacted_steps")
        if (human, compacted) != (self._human, self._compacted):
            self._human, self._compacted = human, compacted
            self._strips.clear()

    def _update_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count)

    def on_mount(self) -> None:
        self._read_step_marks()
        self._update_size()

    def on_resize(self, event: events.Resize) -> None:
        self._update_size()

    # -- moving -----------------------------------------------------------------

    def select(self, position: int) -> None:
        """Move the cursor to step `position` and scroll it into view."""
        self.cursor = position
        self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        if not self.row_count:
            return
        row = self.row_of(self.cursor)
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif height and row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def _move_rows(self, delta: int) -> None:
        if self.row_count:
            row = max(0, min(self.row_of(self.cursor) + delta, self.row_count - 1))
            self.select(self.position_at(row))

    def action_cursor_down(self) -> None:
        """Select the next step."""
        self._move_rows(1)

    def action_cursor_up(self) -> None:
        """Select the previous step."""
        self._move_rows(-1)

    def action_page_down(self) -> None:
        """Move down a screenful of steps."""
        self._move_rows(max(self.scrollable_content_region.height - 1, 1))

    def action_page_up(self) -> None:
        """Move up a screenful of steps."""
        self._move_rows(-max(self.scrollable_content_region.height - 1, 1))

    def action_first(self) -> None:
        """Select the first step."""
        if self.row_count:
            self.select(self.position_at(0))

    def action_last(self) -> None:
        """Select the last step."""
        if self.row_count:
            self.select(self.position_at(self.row_count - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        if self.row_count:  # only the two rows whose highlight changed
            self.refresh_line(self.row_of(old))
            self.refresh_line(self.row_of(new))
        self.post_message(self.Selected(self, new))

    def on_click(self, event: events.Click) -> None:
        row = self.scroll_offset.y + event.y
        if 0 <= row < self.row_count:
            self.select(self.position_at(row))

    # -- rendering --------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if row >= self.row_count:
            return Strip.blank(width, self.visual_style.rich_style)
        position = self.position_at(row)
        is_cursor = position == self.cursor
        key = (position, width, is_cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(position, width, is_cursor)
            self._strips[key] = strip
        return strip

    def _render_row(self, position: int, width: int, is_cursor: bool) -> Strip:
        content = self.row_content(position, width)
        style = self.get_visual_style("timeline--cursor") if is_cursor else self.visual_style
        return Visual.to_strips(self, content, width, 1, style, pad=True)[0]

    def row_content(self, position: int, width: int) -> Content:
        """The text of one row, fitted to `width` cells."""
        summary = self.source.summary(position)
        digits = len(str(len(self.source)))
        at = bisect_left(self._marks, position)
        marked = at < len(self._marks) and self._marks[at] == position
        if marked:
            mark = Content.styled("●", "$text-warning")
        elif summary.number in self._human:
            mark = Content.styled("✎", "$text-accent")
        elif summary.number in self._compacted:
            mark = Content.styled("✂", "bold")
        else:
            mark = Content.styled(" ", "$text-accent")
        number = Content.styled(f"#{summary.number:<{digits}} ", "$text-muted")
        tick = Content.styled("✓ ", "$text-success") if summary.ok else Content("✗ ")
        call = literal(summary.tool) + Content("(") + literal(summary.args_preview) + Content(")")
        millis = Content.styled(f" {format_ms(summary.duration_ms)}", "$text-muted")
        left = Content.assemble(mark, number, tick, call)
        room = width - millis.cell_length
        if left.cell_length > room:
            left = left.truncate(max(room, 0), ellipsis=True)
        row = left.pad_right(max(room - left.cell_length, 0)) + millis
        return row.stylize("$text-error") if not summary.ok else row


def _steps_from(source: StepSource, method: str) -> frozenset[int]:
    """Step numbers from one of a source's optional marker methods (none without it)."""
    read = getattr(source, method, None)
    return frozenset(read()) if callable(read) else frozenset()
