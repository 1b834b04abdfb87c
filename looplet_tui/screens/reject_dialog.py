"""`RejectDialog`: refuse a call and tell the model why.

What the user types is the feedback of the ApprovalHook's `Reject`; the model
reads it as the call's result.  The dialog shows that result as it will be
sent, before it is.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from looplet_core.hooks_lib import ApprovalRequest, Reject
from looplet_tui.safe_text import literal

__all__ = ["RejectDialog", "model_reads"]


def model_reads(feedback: str) -> str:
    """The tool result the model will read for a rejection with this feedback."""
    feedback = feedback.strip()
    message = (
        f"The user rejected this call: {feedback}" if feedback else "The user rejected this call."
    )
    return f"ERROR (denied): {message}"


class RejectDialog(ModalScreen[Reject | None]):
    """Returns the rejection with its feedback, or None when cancelled."""

    DEFAULT_CSS = """
    RejectDialog {
        align: center middle;
        & > #reject-box {
            width: 84;
            max-width: 95%;
            height: auto;
            background: $surface;
            border: round $error;
            padding: 0 1;
        }
        & #reject-input { margin: 1 0; }
        & #reject-preview { color: $text-muted; }
        & #reject-keys { color: $text-muted; margin: 1 0 0 0; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reject.cancel"),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical(id="reject-box"):
            yield Static(
                Content.assemble(
                    Content.styled("Reject ", "bold"), literal(self.request.tool, "bold")
                )
            )
            yield Input(
                placeholder="why? the model reads this as the call's result", id="reject-input"
            )
            yield Static(id="reject-preview")
            yield Static("enter: reject · esc: back", id="reject-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._preview("")

    @on(Input.Changed)
    def _on_changed(self, event: Input.Changed) -> None:
        self._preview(event.value)

    def _preview(self, feedback: str) -> None:
        self.query_one("#reject-preview", Static).update(
            Content.assemble(Content("the model will read: "), literal(model_reads(feedback)))
        )

    @on(Input.Submitted)
    def _on_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(Reject(event.value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)
