"""What a widget really draws, as text and styles, for assertions."""

from __future__ import annotations

from collections.abc import Iterable

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


def drawn_rows(widget: Widget) -> list[Strip]:
    """The strips `widget` renders for the part of it on screen."""
    width, height = widget.size
    return list(widget.render_lines(Region(0, 0, width, height)))


def drawn_text(widgets: Iterable[Widget]) -> str:
    return "\n".join(strip.text for widget in widgets for strip in drawn_rows(widget))


def action_links(widgets: Iterable[Widget]) -> list[object]:
    """Action metadata (`@click` and friends) in what the widgets draw: markup that
    was parsed would put it there."""
    found = []
    for widget in widgets:
        for strip in drawn_rows(widget):
            for segment in strip:
                meta = segment.style.meta if segment.style is not None else {}
                found.extend(value for key, value in meta.items() if key.startswith("@"))
    return found
