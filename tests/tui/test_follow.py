"""Follow mode: steps another process writes show up, and the view stays put."""

from __future__ import annotations

import asyncio
import json
import threading

from looplet_core import ScriptedBackend, ToolCall, composable_loop
from looplet_core.provenance import ProvenanceSink, open_trace
from looplet_tui.screens.viewer import FOLLOW_INTERVAL_S, ViewerScreen
from tests.trace.minisweagent_long import long_document
from tests.tui.conftest import app_for, settle
from tests.tui.traces import TOOLS, reply

WAIT = 2 * FOLLOW_INTERVAL_S + 0.05
"""Two polls and a little: the issue asks for new steps within 0.5 s."""


def growing_run(directory):
    """A run recorded one step per `next()`, as a live agent would write it."""
    script = [reply(ToolCall("echo", {"text": f"step {n}"})) for n in range(20)]
    loop = composable_loop(
        ScriptedBackend(script), TOOLS, "grow", hooks=[ProvenanceSink(directory)], max_steps=20
    )
    return loop


async def test_new_steps_appear_while_the_cursor_and_scroll_stay_put(tmp_path) -> None:
    run = tmp_path / "live"
    loop = growing_run(run)
    for _ in range(3):
        next(loop)
    app = app_for(run, follow=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ViewerScreen)
        await pilot.press("j")
        assert screen.timeline.row_count == 3
        scroll = screen.timeline.scroll_offset
        for _ in range(4):
            next(loop)
        await pilot.pause(WAIT)
        await settle(pilot)
        assert screen.timeline.row_count == 7
        assert screen.timeline.cursor == 1
        assert screen.timeline.scroll_offset == scroll
        assert screen.details.pane().data.position == 1
        await settle(pilot)
        assert len(screen.index) == 7  # the new steps are indexed too

        await pilot.press("F")  # stop following
        next(loop)
        await pilot.pause(WAIT)
        await settle(pilot)
        assert screen.timeline.row_count == 7
        await pilot.press("F")
        await pilot.pause(WAIT)
        await settle(pilot)
        assert screen.timeline.row_count == 8


async def test_a_search_keeps_up_with_new_steps(tmp_path) -> None:
    run = tmp_path / "live"
    loop = growing_run(run)
    next(loop)
    app = app_for(run, follow=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"step 2", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ViewerScreen)
        assert screen.search is not None and screen.search.matches == []
        next(loop)
        next(loop)
        await pilot.pause(WAIT)
        await settle(pilot)
        await settle(pilot)
        assert screen.search.matches == [2]


async def test_a_run_with_no_steps_yet_shows_its_first_step_once_it_arrives(tmp_path) -> None:
    """The agent is waiting for its first model reply in another thread."""
    run = tmp_path / "live"
    answer = threading.Event()

    def first_reply(prompt: object) -> object:
        answer.wait(timeout=10)
        return reply(ToolCall("echo", {"text": "first"}))

    llm = ScriptedBackend([first_reply, reply(ToolCall("done", {"answer": "ok"}))])
    agent = threading.Thread(
        target=lambda: list(composable_loop(llm, TOOLS, "wait", hooks=[ProvenanceSink(run)]))
    )
    agent.start()
    try:
        while not (run / "events.jsonl").exists():
            await asyncio.sleep(0.01)
        app = app_for(run, follow=True)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, ViewerScreen)
            assert screen.timeline.row_count == 0
            assert "no steps recorded yet" in screen.details.pane().rendered_lines()[0]
            answer.set()
            agent.join(timeout=10)
            await pilot.pause(WAIT)
            await settle(pilot)
            assert screen.timeline.row_count == 2
            assert screen.details.pane().data.position == 0
    finally:
        answer.set()
        agent.join(timeout=10)


async def test_a_trajectory_rewritten_shorter_by_a_new_run_is_shown_as_it_now_is(
    tmp_path,
) -> None:
    """mini-swe-agent rewrites its file whole: a new run writing to the same path
    leaves fewer steps than the viewer shows.  The rows, the index and a search
    start over on the new run, and the cursor stays on a step that exists."""
    path = tmp_path / "run.traj.json"
    path.write_text(json.dumps(long_document(10)))
    app = app_for(path, follow=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ViewerScreen)
        await settle(pilot)
        before = screen.timeline.row_count
        await pilot.press("slash", *"cat", "enter", "G")
        await settle(pilot)
        path.write_text(json.dumps(long_document(2)))
        after = len(open_trace(path))
        assert after < before
        await pilot.pause(WAIT)
        await settle(pilot)
        assert screen.timeline.row_count == len(screen.index) == after
        assert screen.timeline.cursor == after - 1
        assert screen.details.pane().data.position == after - 1
        assert screen.search is not None
        assert max(screen.search.matches) < after
        assert screen.search.scanned == after
