"""`EditDialog`: edit a value as text, checked as you type, confirmed after a diff.

The debugger opens it for the upcoming message list, a call's arguments and a
tool result.  Each use passes a `parse` function (live/edits.py) that returns
the edited value or its problems; the problems show under the editor on every
change, and an edit with problems cannot be submitted.  Submitting first shows
a diff of the old and new value, both written out by `render` (the function
that wrote the original text), so the diff shows what changed, not how it was
typed; only confirming that returns the value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from looplet_tui.live.edits import Parsed, diff_lines
from looplet_tui.safe_text import literal
from looplet_tui.widgets.doc_view import Block, DocView

__all__ = ["EditDialog"]

_DIFF_STYLES = {"+": "$text-success", "-": "$text-error", "@": "$text-accent"}


def diff_block(before: str, after: str) -> Block:
    lines = tuple(
        literal(line, _DIFF_STYLES.get(line[:1], "$text-muted"))
        for line in diff_lines(before, after)
    )
    return Block(heading=Content("the edit (− before, + after)"), lines=lines)


class EditDialog(ModalScreen[Any]):
    """Returns the parsed value of a confirmed edit, or None when cancelled."""

    DEFAULT_CSS = """
    EditDialog {
        align: center middle;
        & > #edit-box {
            width: 90%;
            height: 90%;
            background: $surface;
            border: round $accent;
            padding: 0 1;
        }
        & #edit-title { text-style: bold; }
        & #edit-text { height: 1fr; }
        & #edit-problems {
            height: auto;
            max-height: 8;
            color: $text-error;
        }
        & #edit-problems.-ok { color: $text-success; }
        & #edit-diff { height: 1fr; display: none; }
        &.-review #edit-diff { display: block; }
        &.-review #edit-text { display: none; }
        & #edit-keys { color: $text-muted; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Review the edit", priority=True, id="edit.submit"),
        Binding("enter,y", "confirm", "Confirm", show=False, id="edit.confirm"),
        Binding("escape", "back", "Back / cancel", priority=True, id="edit.back"),
    ]

    def __init__(
        self,
        title: str,
        text: str,
        parse: Callable[[str], Parsed],
        render: Callable[[Any], str] | None = None,
    ) -> None:
        """`text` is the value as `render` writes it; without `render`, the diff is
        of the texts as typed."""
        super().__init__()
        self.title_text = title
        self.original = text
        self.parse = parse
        self.as_text = render
        """Writes a value as the editor shows it (named apart from Widget.render)."""
        self.value: Any = None
        self.problems: tuple[str, ...] = ()
        self.reviewing = False

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-box"):
            yield Static(literal(self.title_text), id="edit-title")
            yield TextArea(self.original, id="edit-text", show_line_numbers=True)
            yield DocView(id="edit-diff")
            yield Static(id="edit-problems")
            yield Static(id="edit-keys")

    def on_mount(self) -> None:
        self.query_one("#edit-text", TextArea).focus()
        self._check(self.original)

    @property
    def text(self) -> str:
        return self.query_one("#edit-text", TextArea).text

    @on(TextArea.Changed, "#edit-text")
    def _on_changed(self, event: TextArea.Changed) -> None:
        self._check(event.text_area.text)

    def _check(self, text: str) -> None:
        self.value, self.problems = self.parse(text)
        problems = self.query_one("#edit-problems", Static)
        problems.set_class(not self.problems, "-ok")
        if self.problems:
            problems.update(
                Content("\n").join(literal(f"✗ {problem}") for problem in self.problems)
            )
        else:
            changed = "" if text != self.original else " (unchanged)"
            problems.update(Content(f"✓ valid{changed}"))
        self._show_keys()

    def _show_keys(self) -> None:
        if self.reviewing:
            keys = "enter or y: confirm this edit · esc: back to editing"
        elif self.problems:
            keys = "fix what is marked ✗ to submit · esc: cancel"
        else:
            keys = "ctrl+s: review the edit · esc: cancel"
        self.query_one("#edit-keys", Static).update(Content(keys))

    def action_submit(self) -> None:
        """Show the diff of a valid edit, for confirmation."""
        if self.reviewing:
            return
        if self.problems:
            self.app.bell()
            return
        edited = self.text if self.as_text is None else self.as_text(self.value)
        if edited == self.original:
            self.notify("Nothing was changed.", severity="warning")
            return
        self.reviewing = True
        self.query_one("#edit-diff", DocView).show([diff_block(self.original, edited)])
        self.add_class("-review")
        self.query_one("#edit-diff", DocView).focus()
        self._show_keys()

    def action_confirm(self) -> None:
        if self.reviewing:
            self.dismiss(self.value)

    def action_back(self) -> None:
        if self.reviewing:
            self.reviewing = False
            self.remove_class("-review")
            self.query_one("#edit-text", TextArea).focus()
            self._show_keys()
        else:
            self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return self.reviewing  # while editing, enter and y are text
        return True
