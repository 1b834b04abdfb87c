"""`HelpScreen`: every key binding, grouped, in a modal over the viewer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from looplet_tui.widgets.doc_view import Block, DocView

__all__ = ["HelpScreen"]

MOUSE_HELP = (
    ("click a row", "select that step"),
    ("click a tab", "show that pane"),
    ("click a ▸ heading", "expand or fold that message"),
    ("click the sparkline", "jump to that part of the run"),
    ("wheel", "scroll the list or pane under the pointer"),
)


class HelpScreen(ModalScreen[None]):
    """Lists the bindings it is given; any of Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")
    ]

    def __init__(self, groups: Sequence[tuple[str, Iterable[BindingType]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(Content.styled("Keys", "bold"), id="help-title")
            yield DocView(id="help-keys")
            yield Static(Content.styled("Esc, q or ? closes this help", "$text-muted"))

    def on_mount(self) -> None:
        view = self.query_one("#help-keys", DocView)
        view.show(self.blocks())
        view.focus()

    def blocks(self) -> list[Block]:
        blocks = [
            Block(
                heading=Content(title),
                lines=tuple(self._line(b) for b in bindings if isinstance(b, Binding)),
            )
            for title, bindings in self.groups
        ]
        blocks.append(
            Block(
                heading=Content("Command palette"),
                lines=(_line("ctrl+p", "every action above, by name"),),
            )
        )
        blocks.append(
            Block(heading=Content("Mouse"), lines=tuple(_line(k, d) for k, d in MOUSE_HELP))
        )
        return blocks

    def _line(self, binding: Binding) -> Content:
        keys = " / ".join(
            self.app.get_key_display(Binding(key, binding.action)) for key in binding.key.split(",")
        )
        return _line(keys, binding.description)


def _line(keys: str, description: str) -> Content:
    return Content.assemble(
        Content.styled(f"{keys:<16}", "bold $text-accent"), Content(f"  {description}")
    )
