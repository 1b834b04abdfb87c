"""`StepPane`: a detail pane that shows one aspect of a step as a DocView document.

Each pane turns a `StepData` into blocks (`blocks_for`) and into the plain
text that `y` copies (`payload_for`).  Both are pure functions of the data,
so they are tested without an app, and the live debugger can feed the same
panes with steps that are still being recorded.
"""

from __future__ import annotations

from textual.content import Content

from looplet_tui.source import StepData
from looplet_tui.widgets.doc_view import Block, DocView, Scroll

__all__ = ["StepPane", "heading", "note"]


def heading(text: str) -> Content:
    """A heading the pane wrote itself (untrusted parts go through `literal`)."""
    return Content(text)


def note(text: str) -> Block:
    """A muted one-line remark, such as "no hook ran for this step"."""
    return Block(lines=(Content.styled(text, "$text-muted italic"),))


class StepPane(DocView):
    """A DocView that shows one aspect of the selected step."""

    title = ""
    """The tab label."""
    needs_detail = True
    """False for panes that can show something from the summary alone."""
    opens_at: Scroll = "home"
    """Where a new step's document is scrolled to."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: StepData | None = None

    def show_step(self, data: StepData, *, keep_scroll: bool = False) -> None:
        """Show `data`; with `keep_scroll` the view stays where it was (the same step again)."""
        self.data = data
        if data.detail is None and self.needs_detail:
            blocks = [
                Block(
                    heading=heading("cannot be shown"), text=data.error or "", style="$text-error"
                )
            ]
        else:
            blocks = self.blocks_for(data)
        self.show(blocks, scroll="keep" if keep_scroll else self.opens_at)

    def blocks_for(self, data: StepData) -> list[Block]:
        raise NotImplementedError

    def payload_for(self, data: StepData) -> str:
        """What `y` copies from this pane: the shown data, as text."""
        raise NotImplementedError

    def payload(self) -> str:
        data = self.data
        if data is None or (data.detail is None and self.needs_detail):
            return ""
        return self.payload_for(data)
