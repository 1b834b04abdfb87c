"""The viewer opens a recorded run and shows its first step."""

from __future__ import annotations

from looplet_tui.widgets.timeline import Timeline
from tests.tui.conftest import app_for


async def test_opens_on_the_first_step(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert timeline.cursor == 0
        assert timeline.row_count == 6
        await pilot.press("j", "j")
        assert timeline.cursor == 2
