"""`ViewerScreen`: the timeline of a run beside the selected step's details.

The screen paints from summaries read on demand, then indexes the run in the
background (errors, tools, the token series) in short slices on the event
loop, so the first page never waits for a long run.  A source opened
progressively (a long run of ours or mini-swe-agent's) holds only its first steps
at first: once the first screen is painted, the rest is read on the loader
thread a slice at a time, and each slice's steps are added as follow mode
adds new ones (the cursor stays put, unless it is on the last step: then it
stays on the last step, so `G` pressed early ends on the run's real end).
The status bar says how much is read.  Search scans details the
same way.  Both, and the filter, error jumps and copy, are `RunScreen`'s,
shared with the live debugger; here the source's slow calls (details,
refresh, search slices) run on a loader thread.  Follow mode polls
`StepSource.refresh()` and adds rows without moving the cursor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer

from looplet_tui.loader import Loader
from looplet_tui.screens.run_screen import RunScreen
from looplet_tui.source import DetailError, StepSource, load_step
from looplet_tui.widgets.detail_panel import DetailPanel
from looplet_tui.widgets.find_bar import FindBar
from looplet_tui.widgets.problems_banner import ProblemsBanner
from looplet_tui.widgets.status_bar import StatusBar
from looplet_tui.widgets.step_pane import note
from looplet_tui.widgets.step_sparkline import StepSparkline
from looplet_tui.widgets.timeline import Timeline

__all__ = ["ViewerScreen"]

T = TypeVar("T")

FOLLOW_INTERVAL_S = 0.25
"""How often follow mode looks for new steps (new steps show within 0.5 s)."""
LOADING_AFTER_S = 0.1
"""A step that takes longer than this to load shows a loading indicator."""
READ_SLICE_S = 0.03
"""How long one slice of a progressive read holds the loader thread: a step the
user selects meanwhile loads after it."""


class ViewerScreen(RunScreen):
    """A saved (or growing) run: timeline, sparkline, detail tabs, status bar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="viewer.search"),
        Binding("n", "next_match", "Next match", show=False, id="viewer.next_match"),
        Binding("N", "previous_match", "Previous match", show=False, id="viewer.previous_match"),
        Binding("e", "next_error", "Next error", id="viewer.next_error"),
        Binding("E", "previous_error", "Previous error", show=False, id="viewer.previous_error"),
        Binding("f", "filter", "Filter", id="viewer.filter"),
        Binding("t", "cycle_tab", "Next tab", id="viewer.next_tab"),
        Binding("y", "copy", "Copy", id="viewer.copy"),
        Binding("Y", "save", "Save to file", show=False, id="viewer.save"),
        Binding("x", "toggle_folds", "Expand/fold all", show=False, id="viewer.folds"),
        Binding("F", "toggle_follow", "Follow", show=False, id="viewer.follow"),
        Binding("s", "toggle_series", "Tokens/latency", show=False, id="viewer.series"),
        Binding("question_mark", "help", "Help", id="viewer.help"),
    ]

    def __init__(self, source: StepSource, *, follow: bool = False) -> None:
        super().__init__(source)
        self.following = follow
        self._follow_timer: Timer | None = None
        self._polling = False
        self.loader = Loader()
        """Runs the source's slow calls (details, refresh, search) off the UI thread."""

    def compose(self) -> ComposeResult:
        yield ProblemsBanner(id="problems")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Timeline(self.source, id="timeline")
                yield StepSparkline(id="sparkline")
            yield DetailPanel(id="details")
        yield FindBar(id="find")
        yield StatusBar(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(ProblemsBanner).show(self.source.problems())
        self.timeline.focus()
        if len(self.source):
            self._show_step(0)
        else:
            self.details.pane().show([note("no steps recorded yet")])
        self._follow_timer = self.set_interval(
            FOLLOW_INTERVAL_S, self._poll, pause=not self.following
        )
        self._index_run()
        self._update_status()
        if self.reading_progress() is not None:
            self.call_after_refresh(self._read_rest)

    def on_unmount(self) -> None:
        self.loader.close()

    async def read_source(self, function: Callable[..., T], *args: Any) -> T:
        """The source's slow calls run on the loader thread, one after another."""
        return await self.loader.run(function, *args)

    # -- selection --------------------------------------------------------------

    @on(Timeline.Selected)
    def _on_selected(self, event: Timeline.Selected) -> None:
        self._show_step(event.position)

    def _show_step(self, position: int) -> None:
        self.show_position(position)
        self._update_status()
        self._load_step(position)

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def _load_step(self, position: int) -> None:
        """Load a step on the loader thread and show it, unless another was selected
        meanwhile (this worker is then cancelled).  A slow load shows an indicator."""
        loading = asyncio.ensure_future(self.loader.run(load_step, self.source, position))
        done, _ = await asyncio.wait({loading}, timeout=LOADING_AFTER_S)
        if not done:
            self.details.loading = True
        try:
            data = await loading
        finally:
            self.details.loading = False
        self.details.show_step(data)

    # -- a progressive open -------------------------------------------------------

    @work(exclusive=True, group="read", exit_on_error=False)
    async def _read_rest(self) -> None:
        """Read the rest of a progressively opened run on the loader thread, a slice at
        a time, adding each slice's steps as they come."""
        index_more = getattr(self.source, "index_more", None)
        timeline = self.timeline
        while callable(index_more) and (progress := self.reading_progress()) is not None:
            try:
                added = await self.loader.run(index_more, READ_SLICE_S)
            except DetailError as exc:
                self.notify(str(exc), title="reading the run", severity="error", markup=False)
                break
            if added:
                # On the last step before these (`G` pressed while the slice was read
                # counts too), so it goes on to the new last; a filter keeps it put.
                at_end = not timeline.filtered and timeline.cursor == len(self.source) - added - 1
                self.steps_added()  # or fewer, for an odd document (docs/trace-format.md)
                if at_end and added > 0:
                    timeline.action_last()
            elif self.reading_progress() == progress:  # a slice that read nothing: no spin
                await asyncio.sleep(READ_SLICE_S)
            self._update_status()
        self.query_one(ProblemsBanner).show(self.source.problems())
        self._update_status()

    # -- follow mode ------------------------------------------------------------

    async def _poll(self) -> None:
        if self._polling:  # the last refresh is still reading
            return
        self._polling = True
        try:
            added = await self.loader.run(self.source.refresh)
        except DetailError as exc:
            self.notify(str(exc), title="follow", severity="error", markup=False)
            self.action_toggle_follow()
            return
        finally:
            self._polling = False
        if added:
            empty_before = len(self.source) == added
            self.steps_added()
            if empty_before:
                self._show_step(0)
        self.query_one(ProblemsBanner).show(self.source.problems())
        self._update_status()

    def action_toggle_follow(self) -> None:
        """Tail the trace as another process writes it (or stop tailing)."""
        self.following = not self.following
        if self._follow_timer is not None:
            if self.following:
                self._follow_timer.resume()
            else:
                self._follow_timer.pause()
        self._update_status()

    def action_toggle_folds(self) -> None:
        """Expand every folded message in the pane, or fold them again."""
        self.details.pane().toggle_all()

    def action_help(self) -> None:
        """List every key binding."""
        from looplet_tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.binding_groups()))

    def binding_groups(self) -> list[tuple[str, Iterable[BindingType]]]:
        """Every binding of this screen, grouped as the help screen shows them."""
        return [
            ("Steps (timeline)", Timeline.BINDINGS),
            ("Run", self.BINDINGS),
            ("Search and filter bar", FindBar.BINDINGS),
            ("Application", self.app.BINDINGS),
        ]

    # -- status -----------------------------------------------------------------

    def _update_status(self) -> None:
        self.show_status(following=self.following)
