"""`BrowsedRunScreen`: the viewer over a run opened from the run browser, with a way back."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from looplet_tui.screens.viewer import ViewerScreen

__all__ = ["BrowsedRunScreen"]


class BrowsedRunScreen(ViewerScreen):
    """The viewer, plus Escape to go back to the list of runs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ViewerScreen.BINDINGS,
        Binding("escape", "back", "Runs", id="viewer.back"),
    ]

    def action_back(self) -> None:
        """Go back to the list of runs."""
        self.dismiss()
