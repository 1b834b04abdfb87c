"""`DocView`: a scrollable document of blocks, rendered one visible row at a time.

Every detail pane is a DocView.  A document is a list of `Block`s: an
optional heading and a body, which is either untrusted text (shown literally,
see `safe_text`) or lines of Content the pane built itself.  Long bodies can
be folded to a few rows and expanded by clicking their heading (or with
`toggle_all`).

Only rows on screen are turned into strips, so a 200 000-character tool
result costs a wrap pass over its lines, not a widget per line or a Rich
render of the whole text.  Untrusted text is word-wrapped by a fast path that
needs no rendering for single-width text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.cells import cell_len, chop_cells
from textual import events
from textual.cache import LRUCache
from textual.content import Content, Span
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual

from looplet_tui.safe_text import ESCAPE_STYLE, escape_text

__all__ = ["Block", "DocView", "Scroll"]

Scroll = Literal["home", "end", "keep"]


@dataclass(frozen=True, slots=True)
class Block:
    """One section of a document."""

    heading: Content | None = None
    """A first line drawn in the heading style (built by the pane, so already safe)."""
    text: str = ""
    """Untrusted text: shown literally, never parsed."""
    lines: Sequence[Content] = ()
    """Or: lines the pane formatted itself (used when `text` is empty).  A lazy
    sequence is fine: a folded block only asks for the lines it shows."""
    style: str = ""
    """Style of the body (for example "$text-error" for an error message)."""
    fold: int | None = None
    """Show at most this many body rows until the block is expanded."""


class _TextBody:
    """Untrusted text wrapped to a width, up to `limit` rows (all rows when None)."""

    def __init__(self, text: str, width: int, limit: int | None) -> None:
        self.shown, self.escapes = escape_text(text)
        self.rows: list[tuple[int, int]] = []
        """(start, end) offsets of each row in `shown`."""
        self.row_lines: list[int] = []
        """The logical line each row belongs to."""
        self.line_count = self.shown.count("\n") + 1
        offset = 0
        for number, line in enumerate(self.shown.split("\n")):
            if limit is not None and len(self.rows) >= limit:
                break
            for start, end in _wrap(line, width):
                self.rows.append((offset + start, offset + end))
                self.row_lines.append(number)
            offset += len(line) + 1
        self.complete = bool(self.row_lines) and self.row_lines[-1] == self.line_count - 1

    def row(self, index: int, style: str) -> Content:
        start, end = self.rows[index]
        spans = [Span(0, end - start, style)] if style and end > start else []
        first = bisect_right(self.escapes, (start, -1))
        for escape_start, escape_end in self.escapes[max(first - 1, 0) :]:
            if escape_start >= end:
                break
            if escape_end > start:
                spans.append(
                    Span(
                        max(escape_start, start) - start, min(escape_end, end) - start, ESCAPE_STYLE
                    )
                )
        return Content(self.shown[start:end], spans, strip_control_codes=False)


class _ContentBody:
    """Lines a pane built, wrapped to a width, up to `limit` rows."""

    def __init__(self, lines: Sequence[Content], width: int, limit: int | None) -> None:
        self.rows: list[Content] = []
        self.row_lines: list[int] = []
        self.line_count = len(lines)
        for number in range(len(lines)):
            if limit is not None and len(self.rows) >= limit:
                break
            wrapped = lines[number].wrap(width) or [Content("")]
            self.rows.extend(wrapped)
            self.row_lines.extend([number] * len(wrapped))
        self.complete = len(self.row_lines) == 0 or self.row_lines[-1] == self.line_count - 1

    def row(self, index: int, style: str) -> Content:
        return self.rows[index]


def _wrap(line: str, width: int) -> list[tuple[int, int]]:
    """(start, end) of each row of `line` at `width` cells: word-wrapped when every
    character is one cell wide, cut at cell boundaries otherwise."""
    if len(line) <= width and (line.isascii() or cell_len(line) <= width):
        return [(0, len(line))]
    if not line.isascii() and cell_len(line) != len(line):
        rows = []
        start = 0
        for piece in chop_cells(line, width):
            rows.append((start, start + len(piece)))
            start += len(piece)
        return rows
    rows = []
    start = 0
    while len(line) - start > width:
        space = line.rfind(" ", start + 1, start + width)
        cut = space + 1 if space > start + width // 2 else start + width
        rows.append((start, cut))
        start = cut
    rows.append((start, len(line)))
    return rows


class _Layout:
    """Where each block's rows are, at one width and expansion state.

    A folded block is wrapped only as far as it is shown (plus one row, to know
    whether anything is hidden), so folding keeps huge bodies cheap.
    """

    def __init__(self, blocks: Sequence[Block], width: int, expanded: set[int]) -> None:
        self.bodies: list[_TextBody | _ContentBody] = []
        self.starts: list[int] = []
        self.shown_rows: list[int] = []
        """Body rows shown per block (fewer than the body has when folded)."""
        self.notes: list[bool] = []
        """Whether a block ends with a note saying what is folded away (not for
        blocks folded to nothing: their heading says it)."""
        row = 0
        for number, block in enumerate(blocks):
            folded = block.fold is not None and number not in expanded
            limit = block.fold + 2 if folded and block.fold is not None else None
            body: _TextBody | _ContentBody
            if block.text:
                body = _TextBody(block.text, width, limit)
            else:
                body = _ContentBody(block.lines, width, limit)
            shown = len(body.rows)
            if (
                folded
                and block.fold is not None
                and not (body.complete and shown <= block.fold + 1)
            ):
                shown = block.fold
            self.bodies.append(body)
            self.starts.append(row)
            self.shown_rows.append(shown)
            self.notes.append(block.fold != 0 and (shown < len(body.rows) or not body.complete))
            row += (block.heading is not None) + shown + self.notes[-1] + 1
        self.height = max(row - 1, 0)  # no blank row after the last block

    def folded(self, number: int) -> bool:
        body = self.bodies[number]
        return self.shown_rows[number] < len(body.rows) or not body.complete


class DocView(ScrollView, can_focus=True):
    """A document of `Block`s; only the rows on screen are rendered."""

    DEFAULT_CSS = """
    DocView {
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .doc-view--heading { color: $accent; text-style: bold; }
        & > .doc-view--fold { color: $text-muted; text-style: italic; }
        & > .doc-view--match { background: $warning 40%; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "doc-view--heading",
        "doc-view--fold",
        "doc-view--match",
    }

    highlight: reactive[str] = reactive("", layout=False)
    """Text to mark wherever it appears (case-insensitive): the current search."""

    class Toggled(Message):
        """A block was folded or expanded by the user."""

        def __init__(self, view: DocView, block: int) -> None:
            super().__init__()
            self.view = view
            self.block = block

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._blocks: Sequence[Block] = ()
        self._expanded: set[int] = set()
        self._layout: _Layout | None = None
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(512)

    # -- content ----------------------------------------------------------------

    @property
    def blocks(self) -> Sequence[Block]:
        return self._blocks

    def show(self, blocks: Sequence[Block], *, scroll: Scroll = "home") -> None:
        """Replace the document (folded blocks start folded) and scroll to its top,
        to its end, or not at all ("keep")."""
        self._blocks = tuple(blocks)
        self._expanded = set()
        self._relayout()
        if scroll == "home":
            self.scroll_to(0, 0, animate=False, immediate=True)
        elif scroll == "end":
            self.scroll_end(animate=False, immediate=False)  # once the new size is laid out

    def toggle_block(self, number: int) -> None:
        """Fold or unfold one block."""
        self._expanded ^= {number}
        self._relayout()
        self.post_message(self.Toggled(self, number))

    def toggle_all(self) -> None:
        """Expand every folded block; when none is folded, fold them all again."""
        foldable = {n for n, block in enumerate(self._blocks) if block.fold is not None}
        if any(self.is_folded(n) for n in foldable):
            self._expanded = foldable
        else:
            self._expanded = set()
        self._relayout()

    def is_folded(self, number: int) -> bool:
        return self._ensure_layout().folded(number)

    def rendered_lines(self) -> list[str]:
        """The document as plain text rows at the current width: what a reader sees
        when scrolling through it (tests and the copy action use this)."""
        layout = self._ensure_layout()
        return [self._row_content(layout, row)[0].plain for row in range(layout.height)]

    # -- layout -----------------------------------------------------------------

    def _width(self) -> int:
        return max(self.scrollable_content_region.width, 10)

    def _relayout(self) -> None:
        self._layout = None
        self._strips.clear()
        layout = self._ensure_layout()
        self.virtual_size = Size(self._width(), layout.height)
        self.refresh()

    def _ensure_layout(self) -> _Layout:
        if self._layout is None:
            self._layout = _Layout(self._blocks, self._width(), self._expanded)
        return self._layout

    def on_resize(self, event: events.Resize) -> None:
        if self._layout is not None and self._width() != self.virtual_size.width:
            self._relayout()

    def watch_highlight(self) -> None:
        self._strips.clear()
        self.refresh()

    # -- rendering --------------------------------------------------------------

    def _locate(self, layout: _Layout, row: int) -> tuple[int, int]:
        """(block, row within the block) of a document row."""
        number = bisect_right(layout.starts, row) - 1
        return number, row - layout.starts[number]

    def _row_content(self, layout: _Layout, row: int) -> tuple[Content, str]:
        """A document row and its kind: "heading", "body", "fold" (the note) or "gap"."""
        number, offset = self._locate(layout, row)
        block = self._blocks[number]
        if block.heading is not None:
            if offset == 0:
                return self._heading(number, block.heading), "heading"
            offset -= 1
        shown = layout.shown_rows[number]
        body = layout.bodies[number]
        if offset < shown:
            return body.row(offset, block.style), "body"
        if offset == shown and layout.notes[number]:
            return _fold_note(body, shown), "fold"
        return Content(""), "gap"

    def _heading(self, number: int, heading: Content) -> Content:
        """Foldable blocks get a marker: ▸ while something is hidden, ▾ once expanded."""
        if self.is_folded(number):
            return Content("▸ ") + heading
        if number in self._expanded:
            return Content("▾ ") + heading
        return heading

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        layout = self._ensure_layout()
        if row >= layout.height:
            return Strip.blank(width, self.visual_style.rich_style)
        key = (row, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(layout, row, width)
            self._strips[key] = strip
        return strip

    def _render_row(self, layout: _Layout, row: int, width: int) -> Strip:
        content, kind = self._row_content(layout, row)
        if kind in ("heading", "fold"):
            style = self.get_visual_style(f"doc-view--{kind}")
        else:
            style = self.visual_style
        if self.highlight:
            content = _mark(content, self.highlight, self.get_visual_style("doc-view--match"))
        strips = Visual.to_strips(self, content, width, 1, style, pad=True)
        return strips[0] if strips else Strip.blank(width, style.rich_style)

    # -- mouse ------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        layout = self._ensure_layout()
        row = self.scroll_offset.y + event.y
        if not 0 <= row < layout.height:
            return
        number, offset = self._locate(layout, row)
        block = self._blocks[number]
        if block.fold is None:
            return
        heading_row = block.heading is not None and offset == 0
        note_row = offset == (block.heading is not None) + layout.shown_rows[number]
        if heading_row or (note_row and layout.notes[number]):
            self.toggle_block(number)


def _fold_note(body: _TextBody | _ContentBody, shown: int) -> Content:
    """`… 12 more lines`: what a folded block hides, counted in the body's own lines."""
    hidden = body.line_count - (body.row_lines[shown - 1] + 1 if shown else 0)
    text = (
        f"{hidden:,} more line{'' if hidden == 1 else 's'}" if hidden > 0 else "more of this line"
    )
    return Content(f"  … {text} (click or x to expand)")


def _mark(content: Content, needle: str, style: object) -> Content:
    """`content` with every case-insensitive occurrence of `needle` in `style`."""
    haystack = content.plain.casefold()
    needle = needle.casefold()
    spans = []
    start = haystack.find(needle)
    while start >= 0 and needle:
        spans.append(Span(start, start + len(needle), style))  # type: ignore[arg-type]
        start = haystack.find(needle, start + len(needle))
    return content.add_spans(spans) if spans else content
