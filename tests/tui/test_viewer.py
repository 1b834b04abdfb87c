"""The viewer screen driven by keys and the mouse, on recorded runs.

The small run (see traces.small_script) has six steps: echo, lookup alpha,
lookup beta (one turn), explode (fails: execution), lookup 42 (fails:
validation), done.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from textual.binding import Binding

from looplet_core import ToolCall
from looplet_core.provenance import StepDetail, open_trace
from looplet_tui.app import LoopletApp, build_app
from looplet_tui.screens.help import HelpScreen
from looplet_tui.screens.viewer import LOADING_AFTER_S, ViewerScreen
from looplet_tui.source import TraceSource
from looplet_tui.widgets.doc_view import DocView
from looplet_tui.widgets.problems_banner import ProblemsBanner
from looplet_tui.widgets.status_bar import StatusBar
from looplet_tui.widgets.step_sparkline import StepSparkline
from looplet_tui.widgets.timeline import Timeline
from tests.tui.conftest import app_for, settle
from tests.tui.rendering import drawn_text
from tests.tui.traces import record, reply

SIZE = (120, 40)


def viewer(app: LoopletApp) -> ViewerScreen:
    assert isinstance(app.screen, ViewerScreen)
    return app.screen


async def shown_tool(pilot) -> str:
    """The tool name the Call pane shows (its first body row), once it has loaded."""
    await settle(pilot)
    return viewer(pilot.app).details.pane("call").rendered_lines()[1].split()[0]


@pytest.fixture
def long_run(tmp_path: Path) -> Path:
    calls = [reply(ToolCall("echo", {"text": f"message {n}"})) for n in range(199)]
    return record(tmp_path / "long-run", [*calls, reply(ToolCall("done", {"answer": "x"}))])


async def test_keys_move_between_steps_and_the_panes_follow(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        timeline = viewer(app).timeline
        assert (timeline.cursor, await shown_tool(pilot)) == (0, "echo")
        await pilot.press("j", "down")
        assert (timeline.cursor, await shown_tool(pilot)) == (2, "lookup")
        await pilot.press("k")
        assert timeline.cursor == 1
        await pilot.press("G")
        assert (timeline.cursor, await shown_tool(pilot)) == (5, "done")
        await pilot.press("up", "g")
        assert timeline.cursor == 0
        await pilot.press("end")
        assert timeline.cursor == 5
        await pilot.press("home", "k")
        assert timeline.cursor == 0  # stays on the first step


async def test_page_keys_move_by_a_screenful_and_keep_the_cursor_visible(long_run) -> None:
    app = app_for(long_run)
    async with app.run_test(size=SIZE) as pilot:
        timeline = viewer(app).timeline
        page = timeline.scrollable_content_region.height - 1
        await pilot.press("pagedown", "pagedown")
        assert timeline.cursor == 2 * page
        top = timeline.scroll_offset.y
        assert top <= timeline.cursor < top + timeline.scrollable_content_region.height
        await pilot.press("pageup")
        assert timeline.cursor == page


async def test_status_bar_names_the_run_and_the_position(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j")
        status = drawn_text([app.screen.query_one(StatusBar)])
        assert "small-run" in status
        assert "step 3/6" in status
        assert "done" in status  # the stop reason


async def search(pilot, query: str) -> None:
    await pilot.press("slash", *query, "enter")
    await settle(pilot)


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("alpha", [1]),  # an argument, and the result that repeats it
        ("VALUE OF BETA", [2]),  # a JSON result, case-insensitive
        ("disk on fire", [3]),  # argument and error message
        ("risky", [3]),  # the text the model gave with the call
        ("do the things", [0]),  # the task: a user message first seen in turn 1
        ("lookup", [1, 2, 4]),  # the tool name
        ("nowhere to be found", []),
    ],
)
async def test_search_finds_steps_by_arguments_results_and_messages(
    small_run, query, matches
) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, query)
        screen = viewer(app)
        assert screen.search is not None
        assert screen.search.matches == matches
        status = drawn_text([app.screen.query_one(StatusBar)])
        count = len(matches)
        assert f"{count} step{'s' if count != 1 else ''}" in status
        if matches:
            assert screen.timeline.cursor == matches[0]


async def test_n_and_shift_n_cycle_through_matches(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "lookup")
        timeline = viewer(app).timeline
        assert timeline.cursor == 1  # the first match after the cursor
        seen = []
        for _ in range(4):
            await pilot.press("n")
            seen.append(timeline.cursor)
        assert seen == [2, 4, 1, 2]  # wraps around
        await pilot.press("N", "N")
        assert timeline.cursor == 4


async def test_search_marks_matching_rows_and_highlights_the_text(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "beta")
        screen = viewer(app)
        marks = [screen.timeline.row_content(n, 40).plain[0] for n in range(6)]
        assert marks == [" ", " ", "●", " ", " ", " "]
        assert all(view.highlight == "beta" for view in app.screen.query(DocView))


async def test_e_and_shift_e_jump_between_failed_steps(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the background index
        timeline = viewer(app).timeline
        await pilot.press("e")
        assert timeline.cursor == 3
        await pilot.press("e")
        assert timeline.cursor == 4
        await pilot.press("e")
        assert timeline.cursor == 4  # no failed step after it
        await pilot.press("E")
        assert timeline.cursor == 3


async def test_f_filters_the_timeline_by_fuzzy_tool_name(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = viewer(app).timeline
        await pilot.press("f", "l", "k", "p")
        assert [timeline.position_at(row) for row in range(timeline.row_count)] == [1, 2, 4]
        assert timeline.cursor == 1  # moved onto a shown step
        await pilot.press("escape", "j", "j")
        assert timeline.cursor == 4  # j/k move among the shown steps
        await pilot.press("f", "backspace", "backspace", "backspace", "escape")
        assert timeline.row_count == 6
        assert timeline.has_focus


async def test_t_cycles_the_detail_tabs(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        details = viewer(app).details
        seen = [details.active]
        for _ in range(5):
            await pilot.press("t")
            seen.append(details.active)
        assert seen == ["call", "result", "hooks", "usage", "prompt", "call"]


async def test_y_copies_the_shown_payload(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("y")
        assert json.loads(app.clipboard)["args"] == {"key": "alpha"}
        await pilot.press("e", "t")  # the failed explode step, Result tab
        await settle(pilot)
        await pilot.press("y")
        assert app.clipboard == "RuntimeError: disk on fire"


async def test_shift_y_saves_the_shown_payload_to_a_file(small_run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t", "Y", "Y")
        first = tmp_path / "looplet-step-1-result.txt"
        assert first.read_text(encoding="utf-8") == "hello"
        assert (tmp_path / "looplet-step-1-result-2.txt").exists()  # never overwritten


async def test_help_lists_every_binding(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(app.screen.query_one(DocView).rendered_lines())
        bindings = [*Timeline.BINDINGS, *ViewerScreen.BINDINGS, *LoopletApp.BINDINGS]
        missing = [
            b.description for b in bindings if isinstance(b, Binding) and b.description not in text
        ]
        assert missing == []
        await pilot.press("escape")
        assert isinstance(app.screen, ViewerScreen)


async def test_command_palette_offers_every_action(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        bindings = [*Timeline.BINDINGS, *ViewerScreen.BINDINGS]
        assert {b.description for b in bindings if isinstance(b, Binding)} <= commands.keys()
        await settle(pilot)
        await commands["Next error"].callback()
        await pilot.pause()
        assert viewer(app).timeline.cursor == 3


async def test_clicking_a_row_selects_it_and_clicking_a_tab_opens_it(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click(Timeline, offset=(5, 4))
        assert viewer(app).timeline.cursor == 4
        await pilot.click("#--content-tab-hooks")
        assert viewer(app).details.active == "hooks"


async def test_long_messages_fold_and_expand_by_click_or_x(tmp_path) -> None:
    long_text = "\n".join(f"line {n}" for n in range(40))
    run = record(
        tmp_path / "run",
        [reply(ToolCall("echo", {"text": long_text})), reply(ToolCall("done", {"answer": "ok"}))],
    )
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        screen = viewer(app)
        screen.details.active = "prompt"
        await pilot.press("j")  # step 2: its prompt holds the 40-line tool message
        await settle(pilot)
        prompt = screen.details.pane()
        tool_block = next(n for n, b in enumerate(prompt.blocks) if "tool" in b.heading.plain)
        assert prompt.is_folded(tool_block)
        lines = prompt.rendered_lines()
        assert "line 5" in lines
        assert "line 39" not in lines  # a row of its own only once expanded
        assert any("more lines" in line for line in lines)
        heading_row = next(n for n, line in enumerate(lines) if line.startswith("▸"))
        await pilot.click(prompt, offset=(2, heading_row))
        assert not prompt.is_folded(tool_block)
        assert "line 39" in prompt.rendered_lines()
        await pilot.press("x")
        assert prompt.is_folded(tool_block)


async def test_a_damaged_trace_opens_with_a_banner_listing_its_problems(small_run) -> None:
    events = small_run / "events.jsonl"
    events.write_bytes(events.read_bytes() + b'{"kind": "step", garbage\n{"kind":"ca')
    (small_run / "summary.json").unlink()
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        banner = app.screen.query_one(ProblemsBanner)
        assert banner.display
        problems = viewer(app).source.problems()
        assert len(problems) >= 2
        text = drawn_text([banner])
        assert f"This trace has {len(problems)} problems" in text
        assert problems[0][:40] in text
        assert viewer(app).timeline.row_count == 6  # every intact step is still there


async def test_an_intact_trace_shows_no_banner(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.query_one(ProblemsBanner).display


class SlowSource(TraceSource):
    """A trace whose step 3 takes until `release` is set to load (a huge late prompt)."""

    def __init__(self, path: Path) -> None:
        super().__init__(open_trace(path))
        self.release = threading.Event()

    def detail(self, index: int) -> StepDetail:
        if index == 2:
            self.release.wait(timeout=10)
        return super().detail(index)


async def test_a_slow_step_loads_off_the_ui_thread_and_only_the_latest_is_shown(
    small_run,
) -> None:
    source = SlowSource(small_run)
    app = build_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = viewer(app)
        await pilot.press("j", "j")  # onto the slow step
        await pilot.pause(2 * LOADING_AFTER_S)
        assert screen.details.loading  # an indicator, while keys still work:
        await pilot.press("j")
        assert screen.timeline.cursor == 3
        source.release.set()
        await settle(pilot)
        assert not screen.details.loading
        assert screen.details.pane().data.position == 3  # not the slow, stale step


async def test_the_sparkline_switches_series_and_clicks_select_steps(small_run) -> None:
    app = app_for(small_run)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sparkline = app.screen.query_one(StepSparkline)
        tokens = drawn_text([sparkline])
        assert "tokens" in tokens
        await pilot.press("s")
        assert "latency" in drawn_text([sparkline])
        await pilot.press("s")
        assert drawn_text([sparkline]) == tokens
        bars_start = 1 + len("tokens ")  # left padding, then the label
        await pilot.click(StepSparkline, offset=(bars_start + 5, 0))
        assert viewer(app).timeline.cursor == 5  # six steps, one cell each
