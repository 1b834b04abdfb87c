"""`FindBar`: the one-line input for `/` (search) and `f` (filter by tool name)."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

__all__ = ["FindBar"]

Mode = Literal["search", "filter"]

_PLACEHOLDERS = {
    "search": "search arguments, results and messages (Enter to search, Esc to close)",
    "filter": "filter by tool name, fuzzy (Esc to close, empty to clear)",
}


class FindBar(Input):
    """Hidden until opened; posts `Closed` on Escape so the screen can take focus back."""

    DEFAULT_CSS = """
    FindBar {
        dock: bottom;
        display: none;
        border: tall $accent;
        &.-open { display: block; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="find.close")]

    class Closed(Message):
        """Escape was pressed in the bar."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode: Mode = "search"

    def open(self, mode: Mode, value: str = "") -> None:
        self.mode = mode
        self.placeholder = _PLACEHOLDERS[mode]
        self.value = value
        self.cursor_position = len(value)
        self.add_class("-open")
        self.focus()

    def action_close(self) -> None:
        self.remove_class("-open")
        self.post_message(self.Closed())

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")
