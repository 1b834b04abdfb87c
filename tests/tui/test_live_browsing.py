"""The live debugger browses its run as the viewer does (the same RunScreen code):
search with a match count, the tool filter, error jumps, the sparkline, copy."""

from __future__ import annotations

from looplet_tui.screens.edit_dialog import EditDialog
from looplet_tui.widgets.find_bar import FindBar
from looplet_tui.widgets.status_bar import StatusBar
from looplet_tui.widgets.step_sparkline import StepSparkline
from tests.tui.live_agents import (
    demo_app,
    started,
    stop_run,
    wait_for_end,
    wait_for_pause,
    wait_until,
)
from tests.tui.rendering import drawn_text


def status_of(screen) -> str:  # type: ignore[no-untyped-def]
    return drawn_text([screen.query_one(StatusBar)])


async def search_for(pilot, query: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    await wait_until(pilot, lambda: pilot.app.screen.query_one(FindBar).has_focus, "the bar")
    await pilot.press(*query, "enter")


async def test_search_at_an_approval_counts_and_jumps_between_matches() -> None:
    app = demo_app()
    async with started(app, "approval") as (pilot, screen):
        await search_for(pilot, "photo.jpeg")  # step 5's call and error, step 6's text
        await wait_until(pilot, lambda: screen.search and screen.search.scanned == 6, "the scan")
        assert screen.search.matches == [4, 5]
        assert "“photo.jpeg”: 2 steps" in status_of(screen)
        await pilot.press("m")
        assert screen.timeline.cursor == 4  # wrapped around from the last step
        await pilot.press("m")
        assert screen.timeline.cursor == 5
        await pilot.press("M")
        assert screen.timeline.cursor == 4
        assert screen.query_one("#right").current == "details"  # the matched step is shown
        assert screen.timeline.row_content(4, 60).plain.startswith("●")
        assert screen.pause is not None and screen.pause.kind == "approval"  # still waiting
        await pilot.press("slash", "k", "escape")  # `k` typed in the bar does not skip
        assert screen.pause is not None and screen.pause.kind == "approval"
        await stop_run(pilot)


async def test_new_steps_are_searched_as_the_run_goes_and_n_still_steps() -> None:
    app = demo_app()
    async with started(app) as (pilot, screen):
        await search_for(pilot, "move_file")
        await pilot.press("n")  # steps; it is not "next match" here
        await wait_for_pause(pilot, "step")
        assert screen.pause.step == 1 and screen.search.matches == []
        await pilot.press("c")
        await wait_for_pause(pilot, "approval")
        await wait_until(pilot, lambda: screen.search.scanned == 6, "the new steps searched")
        assert screen.search.matches == [2, 3, 4, 5]
        assert "“move_file”: 4 steps" in status_of(screen)
        await stop_run(pilot)


async def test_filter_error_jumps_sparkline_and_e_where_nothing_is_edited() -> None:
    app = demo_app()
    async with started(app, "approval") as (pilot, screen):
        await pilot.press("e")  # at an approval, e edits the arguments
        await wait_until(pilot, lambda: isinstance(app.screen, EditDialog), "the editor")
        await pilot.press("escape")
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for_end(pilot)
        await wait_until(pilot, lambda: len(screen.index) == 9, "the index")
        sparkline = screen.query_one(StepSparkline)
        assert sparkline.label == "tokens" and len(sparkline._values) == 9
        await pilot.press("S")
        assert sparkline.label == "latency"
        await pilot.press("g", "e")  # nothing to edit once the run ended: next failed step
        assert screen.timeline.cursor == 4
        await pilot.press("e")  # no later failure: it says so and stays
        assert screen.timeline.cursor == 4
        await pilot.press("G", "E")
        assert screen.timeline.cursor == 4
        await pilot.press("f", *"mvf")
        await pilot.pause()
        rows = [screen.timeline.position_at(r) for r in range(screen.timeline.row_count)]
        assert rows == [2, 3, 4, 5]  # move_file steps only
        assert "filter mvf" in status_of(screen)
        await pilot.press("escape")
        await pilot.press("y")
        assert app.clipboard  # the selected step's pane, copied
