"""`ViewerScreen`: the timeline of a run beside the selected step's details.

The screen paints from summaries read on demand, then indexes the run in the
background (errors, tools, the token series) in short slices on the event
loop, so the first page never waits for a long run.  Search scans details the
same way.  Follow mode polls `StepSource.refresh()` and adds rows without
moving the cursor.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from looplet_tui.loader import Loader
from looplet_tui.run_index import RunIndex, fuzzy_match
from looplet_tui.search import Search
from looplet_tui.source import DetailError, StepSource, load_step
from looplet_tui.widgets.detail_panel import DetailPanel
from looplet_tui.widgets.doc_view import DocView
from looplet_tui.widgets.find_bar import FindBar
from looplet_tui.widgets.problems_banner import ProblemsBanner
from looplet_tui.widgets.status_bar import Status, StatusBar
from looplet_tui.widgets.step_pane import note
from looplet_tui.widgets.step_sparkline import StepSparkline
from looplet_tui.widgets.timeline import Timeline

__all__ = ["ViewerScreen"]

FOLLOW_INTERVAL_S = 0.25
"""How often follow mode looks for new steps (new steps show within 0.5 s)."""
SLICE_S = 0.008
"""A search slice: how long a pane load may wait behind the search on the loader thread."""
LOADING_AFTER_S = 0.1
"""A step that takes longer than this to load shows a loading indicator."""
_INDEX_CHUNK = 2000


class ViewerScreen(Screen[None]):
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
        super().__init__()
        self.source = source
        self.index = RunIndex()
        self.search: Search | None = None
        self.following = follow
        self.series = "tokens"
        self._filter = ""
        self._jumped = False
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

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    @property
    def details(self) -> DetailPanel:
        return self.query_one(DetailPanel)

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

    def on_unmount(self) -> None:
        self.loader.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every background job's failure ends here: shown, never a crash."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{event.worker.name} failed: {type(error).__name__}: {error}",
                severity="error",
                markup=False,
            )

    # -- selection --------------------------------------------------------------

    @on(Timeline.Selected)
    def _on_selected(self, event: Timeline.Selected) -> None:
        self._show_step(event.position)

    def _show_step(self, position: int) -> None:
        self.query_one(StepSparkline).cursor = position
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

    @on(StepSparkline.Clicked)
    def _on_sparkline_clicked(self, event: StepSparkline.Clicked) -> None:
        self.timeline.select(self.timeline.position_at(self.timeline.row_of(event.position)))

    # -- background index -------------------------------------------------------

    @work(exclusive=True, group="index", exit_on_error=False)
    async def _index_run(self) -> None:
        """Index the steps not indexed yet, a chunk at a time."""
        while len(self.index) < len(self.source):
            start = len(self.index)
            stop = min(start + _INDEX_CHUNK, len(self.source))
            self.index.add(self.source.summary(position) for position in range(start, stop))
            if self._filter:
                self._apply_filter()
            self._update_status()
            await asyncio.sleep(0)
        self._update_series()
        self._update_status()

    def _update_series(self) -> None:
        values = self.index.tokens if self.series == "tokens" else self.index.latency
        self.query_one(StepSparkline).set_series(values, self.series)

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
            self.timeline.steps_added()
            self._index_run()
            if self.search is not None:
                self._run_search(self.search)
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

    # -- search -----------------------------------------------------------------

    def action_search(self) -> None:
        """Search arguments, results and messages."""
        self.query_one(FindBar).open("search", self.search.query if self.search else "")

    def action_filter(self) -> None:
        """Show only the steps whose tool name fuzzy-matches what is typed."""
        self.query_one(FindBar).open("filter", self._filter)

    @on(Input.Submitted, "#find")
    def _on_find_submitted(self, event: Input.Submitted) -> None:
        bar = self.query_one(FindBar)
        if bar.mode == "search":
            self._start_search(event.value)
        bar.action_close()

    @on(Input.Changed, "#find")
    def _on_find_changed(self, event: Input.Changed) -> None:
        if self.query_one(FindBar).mode == "filter":
            self._filter = event.value.strip()
            self._apply_filter()
            self._update_status()

    @on(FindBar.Closed)
    def _on_find_closed(self) -> None:
        self.timeline.focus()

    def _start_search(self, query: str) -> None:
        for view in self.query(DocView):
            view.highlight = query
        if not query:
            self.search = None
            self.timeline.set_marks(())
            self.workers.cancel_group(self, "search")
            self._update_status()
            return
        self.search = Search(query)
        self._jumped = False
        self._run_search(self.search)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def _run_search(self, search: Search) -> None:
        """Scan the run for `search`, a slice at a time, showing matches as they come."""
        while True:
            done = await self.loader.run(search.scan, self.source, SLICE_S)
            self.timeline.set_marks(search.matches)
            if not self._jumped:
                cursor = self.timeline.cursor
                found = search.next_match(cursor - 1)
                if found is not None and (found >= cursor or done):
                    self._jumped = True
                    self.timeline.select(found)
            self._update_status()
            if done:
                return

    def _jump_to_match(self, forward: bool) -> None:
        if self.search is None:
            self.notify("No search yet: press / to search.", severity="warning")
            return
        cursor = self.timeline.cursor
        found = self.search.next_match(cursor) if forward else self.search.previous_match(cursor)
        self._select_or_say(found, "No match (yet).")

    def action_next_match(self) -> None:
        """Go to the next step that matches the search."""
        self._jump_to_match(forward=True)

    def action_previous_match(self) -> None:
        """Go to the previous step that matches the search."""
        self._jump_to_match(forward=False)

    # -- errors and filter ------------------------------------------------------

    def _jump_to_error(self, forward: bool) -> None:
        cursor = self.timeline.cursor
        found = self.index.next_error(cursor) if forward else self.index.previous_error(cursor)
        self._select_or_say(found, "No more failed steps that way.")

    def _select_or_say(self, position: int | None, otherwise: str) -> None:
        """Select the step a jump found, or say why there is none."""
        if position is None:
            self.notify(otherwise, severity="warning")
        else:
            self.timeline.select(position)

    def action_next_error(self) -> None:
        """Go to the next failed step."""
        self._jump_to_error(forward=True)

    def action_previous_error(self) -> None:
        """Go to the previous failed step."""
        self._jump_to_error(forward=False)

    def _apply_filter(self) -> None:
        if not self._filter:
            self.timeline.set_filter(None)
            return
        tools = [name for name in self.index.tools if fuzzy_match(self._filter, name)]
        self.timeline.set_filter(self.index.steps_using(tools))

    # -- panes ------------------------------------------------------------------

    def action_cycle_tab(self) -> None:
        """Show the next detail tab."""
        self.details.cycle()

    def action_toggle_folds(self) -> None:
        """Expand every folded message in the pane, or fold them again."""
        self.details.pane().toggle_all()

    def action_toggle_series(self) -> None:
        """Switch the sparkline between tokens and latency per step."""
        self.series = "latency" if self.series == "tokens" else "tokens"
        self._update_series()

    def _payload(self) -> tuple[str, str]:
        """The current pane's name and payload; empty while the selected step loads."""
        pane = self.details.pane()
        if pane.data is None or pane.data.position != self.timeline.cursor:
            return pane.title.lower(), ""
        return pane.title.lower(), pane.payload()

    def action_copy(self) -> None:
        """Copy what the current pane shows to the clipboard (OSC 52)."""
        name, text = self._payload()
        if not text:
            self.notify("Nothing to copy here.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(
            f"Copied the {name} of step {self.timeline.cursor + 1} ({len(text):,} characters)."
        )

    def action_save(self) -> None:
        """Save what the current pane shows to a file in the current directory."""
        name, text = self._payload()
        if not text:
            self.notify("Nothing to save here.", severity="warning")
            return
        path = _free_path(f"looplet-step-{self.timeline.cursor + 1}-{name}", ".txt")
        try:
            with open(path, "x", encoding="utf-8", errors="surrogateescape") as file:
                file.write(text)
        except OSError as exc:
            self.notify(f"Cannot save: {exc}", severity="error", markup=False)
            return
        self.notify(f"Saved to {path}", markup=False)

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
        try:
            meta = self.source.meta()
        except DetailError:
            meta = None
        total = len(self.source)
        search = ""
        if self.search is not None:
            found = len(self.search.matches)
            state = "" if self.search.scanned >= total else f" (searched {self.search.scanned:,})"
            search = f"“{self.search.query}”: {found:,} step{'s' if found != 1 else ''}{state}"
        self.query_one(StatusBar).show(
            Status(
                name=self.source.name,
                position=self.timeline.cursor if total else None,
                total=total,
                meta=meta,
                following=self.following,
                indexed=len(self.index) if len(self.index) < total else None,
                search=search,
                filter=self._filter,
            )
        )


def _free_path(stem: str, suffix: str) -> str:
    """`stem+suffix`, or `stem-2+suffix`, ... : the first name not taken."""
    path = stem + suffix
    number = 1
    while os.path.exists(path):
        number += 1
        path = f"{stem}-{number}{suffix}"
    return path
