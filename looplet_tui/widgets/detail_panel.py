"""`DetailPanel`: the tabbed detail panes (Prompt, Call, Result, Hooks, Usage).

Only the visible pane is rebuilt when the selection moves; the others are
marked stale and rebuilt when their tab is opened, so holding `j` on a step
with a huge prompt does not rebuild that prompt for every step passed.
"""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane

from looplet_tui.source import StepData
from looplet_tui.widgets.call_view import CallView
from looplet_tui.widgets.hooks_view import HooksView
from looplet_tui.widgets.prompt_view import PromptView
from looplet_tui.widgets.result_view import ResultView
from looplet_tui.widgets.step_pane import StepPane
from looplet_tui.widgets.usage_view import UsageView

__all__ = ["PANES", "DetailPanel"]

PANES: tuple[type[StepPane], ...] = (PromptView, CallView, ResultView, HooksView, UsageView)
"""The panes, in tab order; each pane's id is its title in lower case."""


class DetailPanel(TabbedContent):
    """Tabs of StepPanes showing the selected step."""

    def __init__(self, *, initial: str = "call", id: str | None = None) -> None:
        super().__init__(initial=initial, id=id)
        self._data: StepData | None = None
        self._stale: set[str] = set()
        for pane in PANES:
            name = pane.title.lower()
            self.compose_add_child(TabPane(pane.title, pane(id=f"{name}-view"), id=name))

    def pane(self, name: str | None = None) -> StepPane:
        """The pane of tab `name` (the active one by default)."""
        return self.query_one(f"#{name or self.active}-view", StepPane)

    def show_step(self, data: StepData, *, keep_scroll: bool = False) -> None:
        """Show `data` in the active pane now, in the others when they are opened."""
        same_step = self._data is not None and self._data.position == data.position
        self._data = data
        self._stale = {pane.title.lower() for pane in PANES}
        self._refresh_active(keep_scroll=keep_scroll and same_step)

    def _refresh_active(self, keep_scroll: bool = False) -> None:
        if self._data is not None and self.active in self._stale:
            self._stale.discard(self.active)
            self.pane().show_step(self._data, keep_scroll=keep_scroll)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._refresh_active()

    def cycle(self, step: int = 1) -> None:
        """Open the next (or previous) tab."""
        names = [pane.title.lower() for pane in PANES]
        self.active = names[(names.index(self.active) + step) % len(names)]
