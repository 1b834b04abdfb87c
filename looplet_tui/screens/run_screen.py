"""`RunScreen`: what the viewer and the live debugger share about browsing a run.

Both show a run's steps in a `Timeline` with a `StepSparkline` under it,
the selected step in a `DetailPanel`, a `FindBar` and a `StatusBar`.  This
base screen gives them the same search (with a match count), tool filter,
error jumps, sparkline series and copy/save, over a background `RunIndex`.

Subclasses compose those widgets, show the selected step, build the status
bar (with `show_status()`), call `steps_added()` when their source grows,
and choose the keys: the viewer binds `n`/`N` to matches and `e`/`E` to
errors, while in the debugger `n` steps and `e` edits (see their BINDINGS).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any, TypeVar

from textual import on, work
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker

from looplet_tui.run_index import RunIndex, fuzzy_match
from looplet_tui.search import Search
from looplet_tui.source import DetailError, StepSource
from looplet_tui.widgets.detail_panel import DetailPanel
from looplet_tui.widgets.doc_view import DocView
from looplet_tui.widgets.find_bar import FindBar
from looplet_tui.widgets.status_bar import Status, StatusBar
from looplet_tui.widgets.step_sparkline import StepSparkline
from looplet_tui.widgets.timeline import Timeline
from looplet_tui.worker_failures import report_failure

__all__ = ["SLICE_S", "RunScreen"]

T = TypeVar("T")

SLICE_S = 0.008
"""A search slice: how long a pane load may wait behind the search."""
_INDEX_CHUNK = 2000


class RunScreen(Screen[None]):
    """A screen over one run's steps (`source`), searchable and filterable."""

    def __init__(self, source: StepSource) -> None:
        super().__init__()
        self.browse(source)

    def browse(self, source: StepSource) -> None:
        """Start over on `source`: no index, search or filter yet."""
        if self.is_mounted:
            for group in ("index", "search"):
                self.workers.cancel_group(self, group)
        self.source = source
        self.index = RunIndex()
        self.search: Search | None = None
        self.series = "tokens"
        self._filter = ""
        self._jumped = False

    async def read_source(self, function: Callable[..., T], *args: Any) -> T:
        """Run one of the source's slow calls (a search slice).  Here, on the UI
        thread, where this screen also refreshes its source; the viewer overrides it
        to use its loader thread."""
        return function(*args)

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    @property
    def details(self) -> DetailPanel:
        return self.query_one(DetailPanel)

    def _update_status(self) -> None:
        raise NotImplementedError

    def show_status(self, *, read_meta: bool = True, **fields: Any) -> None:
        """Draw the status bar: the run, the cursor, search, filter and indexing, plus
        the subclass's own `fields` (see `Status`).  `read_meta=False` skips the run's
        totals when the source cannot describe the run yet."""
        meta = None
        if read_meta:
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
        indexed = len(self.index) if len(self.index) < total else None
        self.query_one(StatusBar).show(
            Status(
                name=self.source.name,
                position=self.timeline.cursor if total else None,
                total=total,
                meta=meta,
                search=search,
                filter=self._filter,
                indexed=indexed,
                reading=self.reading_progress(),
                **fields,
            )
        )

    def reading_progress(self) -> float | None:
        """The share of a progressively opened run read so far; None once it is all
        read (and for sources that are never read that way)."""
        progress = getattr(self.source, "progress", None)
        return progress() if callable(progress) else None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every background job's failure ends here: shown, never a crash."""
        report_failure(self, event)

    # -- the run growing ----------------------------------------------------------

    def steps_added(self) -> None:
        """The source has grown: show the new rows, index them, search them.

        A source can also shrink (a trajectory file rewritten shorter by a new run,
        or one whose later copy of its messages wins): the index and the search
        then start over, since the steps they saw may no longer be the same."""
        if len(self.index) > len(self.source):
            self.index = RunIndex()
            if self.search is not None:
                self.search = Search(self.search.query)
        self.timeline.steps_added()
        self._index_run()
        if self.search is not None:
            self._run_search(self.search)

    def show_position(self, position: int) -> None:
        """Mark the selected step on the sparkline."""
        self.query_one(StepSparkline).cursor = position

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

    # -- the sparkline ------------------------------------------------------------

    def _update_series(self) -> None:
        values = self.index.tokens if self.series == "tokens" else self.index.latency
        self.query_one(StepSparkline).set_series(values, self.series)

    def action_toggle_series(self) -> None:
        """Switch the sparkline between tokens and latency per step."""
        self.series = "latency" if self.series == "tokens" else "tokens"
        self._update_series()

    @on(StepSparkline.Clicked)
    def _on_sparkline_clicked(self, event: StepSparkline.Clicked) -> None:
        self.timeline.select(self.timeline.position_at(self.timeline.row_of(event.position)))

    # -- search and filter ----------------------------------------------------------

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
            done = await self.read_source(search.scan, self.source, SLICE_S)
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
            await asyncio.sleep(0)  # keys and messages go first between slices

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

    def _apply_filter(self) -> None:
        if not self._filter:
            self.timeline.set_filter(None)
            return
        tools = [name for name in self.index.tools if fuzzy_match(self._filter, name)]
        self.timeline.set_filter(self.index.steps_using(tools))

    # -- errors -------------------------------------------------------------------

    def _jump_to_error(self, forward: bool) -> None:
        cursor = self.timeline.cursor
        found = self.index.next_error(cursor) if forward else self.index.previous_error(cursor)
        otherwise = "No more failed steps that way"
        if forward and self.reading_progress() is not None:
            otherwise += f" among the {len(self.index):,} read so far; the rest is being read"
        self._select_or_say(found, otherwise + ".")

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

    # -- panes ------------------------------------------------------------------

    def action_cycle_tab(self) -> None:
        """Show the next detail tab."""
        self.details.cycle()

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


def _free_path(stem: str, suffix: str) -> str:
    """`stem+suffix`, or `stem-2+suffix`, ... : the first name not taken."""
    path = stem + suffix
    number = 1
    while os.path.exists(path):
        number += 1
        path = f"{stem}-{number}{suffix}"
    return path
