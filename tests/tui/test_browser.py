"""The run browser: rows for every run under a directory, sorting, filtering, opening.

The directory (see `runs_dir`) holds two of our runs (the small scripted run,
and one whose task and model name are hostile), a looplet 0.4 run, a
mini-swe-agent batch of two trajectories (`<instance>/<instance>.traj.json`)
and a directory whose events.jsonl is garbage.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Input

from looplet_core import LLMResponse, ScriptedBackend, ToolCall, Usage, composable_loop
from looplet_core.provenance import ProvenanceSink, open_trace
from looplet_core.provenance.formats.minisweagent import FIRST_STEPS
from looplet_tui import run_list
from looplet_tui.app import LoopletApp, build_browser_app
from looplet_tui.run_list import RunRow, find_runs, matches, run_name, sort_rows
from looplet_tui.screens.browsed_run import BrowsedRunScreen
from looplet_tui.screens.browser import COLUMNS, BrowserScreen
from tests.trace.minisweagent_long import write_long
from tests.tui.conftest import settle
from tests.tui.hostile import HOSTILE_NAME, HOSTILE_NAME_SHOWN, is_unsafe
from tests.tui.rendering import action_links, drawn_text
from tests.tui.traces import TOOLS, record, small_script

FIXTURES = Path(__file__).parent.parent / "trace" / "fixtures"
SIZE = (120, 30)
HOSTILE_TASK = "[@click=app.quit]quit[/] \x1b]52;c;aGk=\x07 task\u202e"
HOSTILE_TASK_SHOWN = "[@click=app.quit]quit[/] ␛]52;c;aGk=␇ task\\u202e"


def record_hostile_task(directory: Path) -> Path:
    """A one-step run whose task and model name are hostile."""
    llm = ScriptedBackend(
        [
            LLMResponse(
                tool_calls=(ToolCall("done", {"answer": "ok"}),),
                usage=Usage(10, 2),
                model=HOSTILE_NAME,
            )
        ]
    )
    for _ in composable_loop(llm, TOOLS, HOSTILE_TASK, hooks=[ProvenanceSink(directory)]):
        pass
    return directory


def make_runs_dir(root: Path) -> Path:
    """The directory of runs the browser's tests look at (see the module docstring)."""
    record(root / "20250601-small", small_script())
    record_hostile_task(root / "20250602-hostile")
    shutil.copytree(FIXTURES / "looplet04" / "ok_run", root / "looplet04-ok")
    for name in ("toolcall_submitted", "deterministic_limits"):
        (root / "batch" / name).mkdir(parents=True)
        shutil.copy(
            FIXTURES / "minisweagent" / f"{name}.traj.json",
            root / "batch" / name / f"{name}.traj.json",
        )
    (root / "zz-broken").mkdir()
    (root / "zz-broken" / "events.jsonl").write_bytes(b"\x00\xff garbage")
    return root


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return make_runs_dir(tmp_path / "runs")


NAMES = [
    "20250601-small",
    "20250602-hostile",
    "batch/deterministic_limits",
    "batch/toolcall_submitted",
    "looplet04-ok",
    "zz-broken",
]


def browser_for(root: Path) -> LoopletApp:
    """The app `looplet-tui open ROOT` runs for a directory of runs."""
    return build_browser_app(str(root), find_runs(str(root)))


def browser(app: LoopletApp) -> BrowserScreen:
    assert isinstance(app.screen, BrowserScreen)
    return app.screen


def shown_names(app: LoopletApp) -> list[str]:
    """The name column, top to bottom, as the table holds it."""
    table = browser(app).table
    return [table.get_row_at(row)[0].plain for row in range(table.row_count)]


def status(app: LoopletApp) -> str:
    return drawn_text([browser(app).query_one("#browser-status")])


async def described(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until every run is described and shown: the status stops saying "reading"."""
    for _ in range(400):
        await settle(pilot)
        if "reading" not in status(pilot.app):
            return
        await pilot.pause(0.02)
    raise AssertionError(f"the runs were never all described: {status(pilot.app)!r}")


def cells(app: LoopletApp, name: str) -> dict[str, str]:
    """The row of run `name`, by column key, as text."""
    row = shown_names(app).index(name)
    values = browser(app).table.get_row_at(row)
    return {column.key: value.plain for column, value in zip(COLUMNS, values, strict=True)}


async def test_every_run_gets_a_row_described_in_the_background(runs_dir) -> None:
    app = browser_for(runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await described(pilot)
        assert shown_names(app) == NAMES
        small = cells(app, "20250601-small")
        assert (small["task"], small["model"]) == ("do the things", "scripted-1")
        assert (small["steps"], small["stop"], small["errors"]) == ("6", "done", "2")
        assert cells(app, "looplet04-ok")["steps"] == "5"
        limits = cells(app, "batch/deterministic_limits")
        assert limits["stop"] != "done"  # it ran out of steps before submitting
        assert cells(app, "batch/toolcall_submitted")["cost"].startswith("$")
        assert (
            browser(app).query_one("#browser-title").render().plain.strip().startswith("6 runs in")
        )


def notes_of(sink: list[str]):  # type: ignore[no-untyped-def]
    """A `message_hook` that keeps the text of every notification."""

    def hook(message: object) -> None:
        if isinstance(message, Notify):
            sink.append(message.notification.message)

    return hook


async def test_an_unreadable_run_is_a_row_with_its_reason(runs_dir) -> None:
    notes: list[str] = []
    app = browser_for(runs_dir)
    async with app.run_test(size=SIZE, message_hook=notes_of(notes)) as pilot:
        await described(pilot)
        broken = cells(app, "zz-broken")
        assert "nothing readable" in broken["task"]
        assert broken["steps"] == broken["errors"] == "–"
        browser(app).table.move_cursor(row=shown_names(app).index("zz-broken"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)  # it says why instead of opening
        assert any("nothing readable" in note for note in notes)


async def test_a_reader_bug_is_reported_not_a_crash(runs_dir, monkeypatch) -> None:
    def broken_describe(row: RunRow) -> RunRow:
        raise RuntimeError("reader bug")

    monkeypatch.setattr("looplet_tui.screens.browser.describe", broken_describe)
    notes: list[str] = []
    app = browser_for(runs_dir)
    async with app.run_test(size=SIZE, message_hook=notes_of(notes)) as pilot:
        for _ in range(200):  # the worker starts after the first paint
            await settle(pilot)
            if notes:
                break
            await pilot.pause(0.02)
        assert any("RuntimeError: reader bug" in note for note in notes)
        assert shown_names(app) == NAMES  # the rows stay, undescribed
        assert app.return_code is None


async def test_rows_are_listed_before_any_run_is_read(runs_dir, monkeypatch) -> None:
    release = threading.Event()
    real_describe = run_list.describe

    def slow_describe(row: RunRow) -> RunRow:
        release.wait(timeout=10)
        return real_describe(row)

    monkeypatch.setattr("looplet_tui.screens.browser.describe", slow_describe)
    app = browser_for(runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert shown_names(app) == NAMES
        assert cells(app, "20250601-small")["steps"] == "…"
        assert "reading 0/6" in status(app)
        release.set()
        await described(pilot)
        assert cells(app, "20250601-small")["steps"] == "6"


async def test_typing_filters_and_escape_clears(runs_dir) -> None:
    app = browser_for(runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"batch")
        assert shown_names(app) == ["batch/deterministic_limits", "batch/toolcall_submitted"]
        await pilot.press("space", *"tool")  # every word must match
        assert shown_names(app) == ["batch/toolcall_submitted"]
        await pilot.press("escape")
        assert shown_names(app) == NAMES
        screen = browser(app)
        assert screen.selected is not None and screen.selected.name == "batch/toolcall_submitted"
        await pilot.press("up", "up")  # the filter keeps the focus; arrows move the rows
        assert screen.selected is not None
        assert screen.selected.name == NAMES[NAMES.index("batch/toolcall_submitted") - 2]
        browser(app).table.focus()
        await pilot.press(*"looplet04")  # typing with the table focused filters too
        assert shown_names(app) == ["looplet04-ok"]
        assert app.screen.query_one(Input).value == "looplet04"
        assert app.return_code is None  # no letter was taken for a key binding


async def test_sorting_by_a_key_and_by_clicking_a_header(runs_dir) -> None:
    app = browser_for(runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await described(pilot)
        screen = browser(app)
        await pilot.press("ctrl+r")
        assert shown_names(app) == NAMES[::-1]
        await pilot.press("ctrl+s")
        assert (screen.sort_column, screen.sort_reverse) == ("task", False)
        steps_x = sum(
            screen.table.columns[column.key].get_render_width(screen.table)
            for column in COLUMNS[: [c.key for c in COLUMNS].index("steps")]
        )
        await pilot.click("#browser-runs", offset=(steps_x + 1, 0))
        assert screen.sort_column == "steps"
        steps = [cells(app, name)["steps"] for name in shown_names(app)]
        known = [int(value) for value in steps if value != "–"]
        assert known == sorted(known) and steps[-1] == "–"  # the unreadable run last
        await pilot.click("#browser-runs", offset=(steps_x + 1, 0))
        steps = [cells(app, name)["steps"] for name in shown_names(app)]
        known = [int(value) for value in steps if value != "–"]
        assert known == sorted(known, reverse=True) and steps[-1] == "–"


async def test_the_command_palette_offers_the_browser_actions(runs_dir) -> None:
    app = browser_for(runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert {"Open", "Sort", "Reverse", "Clear filter"} <= set(commands)
        commands["Sort runs by errors"].callback()
        assert browser(app).sort_column == "errors"
        commands["Sort runs by errors"].callback()
        assert browser(app).sort_reverse is True


async def test_enter_opens_the_run_and_escape_comes_back(runs_dir) -> None:
    app = browser_for(runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"looplet04", "enter")
        await settle(pilot)
        viewer = app.screen
        assert isinstance(viewer, BrowsedRunScreen)
        assert viewer.source.name == "looplet04-ok"
        assert len(viewer.source) == 5
        assert viewer.following is False
        await pilot.press("j")
        assert viewer.timeline.cursor == 1
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert browser(app).selected is not None
        assert browser(app).selected.name == "looplet04-ok"


async def test_a_long_trajectory_opens_at_its_first_steps_and_reads_on(runs_dir) -> None:
    """Enter opens a run progressively, as `looplet-tui open FILE` does: the viewer
    gets the first steps of a long trajectory and reads the rest itself."""
    write_long(runs_dir / "long.traj.json")
    full_length = len(open_trace(runs_dir / "long.traj.json"))
    opened: list[tuple[str, int, bool]] = []
    """(run name, steps, complete) of each trace the browser opened, as it came
    (the hook sees the message once on the screen and once as it bubbles up)."""

    def keep_opened(message: Message) -> None:
        if isinstance(message, BrowserScreen.Opened) and message.trace is not None:
            opened.append((message.row.name, len(message.trace), message.trace.complete))

    app = build_browser_app(str(runs_dir), find_runs(str(runs_dir)))
    async with app.run_test(size=SIZE, message_hook=keep_opened) as pilot:
        await settle(pilot)
        await pilot.press(*"long", "enter")
        for _ in range(400):
            await settle(pilot)
            viewer = app.screen
            if isinstance(viewer, BrowsedRunScreen) and len(viewer.source) == full_length:
                break
            await pilot.pause(0.02)
        assert set(opened) == {("long", FIRST_STEPS, False)}
        assert isinstance(app.screen, BrowsedRunScreen)
        assert len(app.screen.source) == full_length > FIRST_STEPS
        assert app.screen.timeline.cursor == 0


async def test_hostile_task_and_model_are_shown_literally(runs_dir) -> None:
    app = browser_for(runs_dir)
    async with app.run_test(size=(200, 30)) as pilot:
        await described(pilot)
        row = cells(app, "20250602-hostile")
        assert row["task"] == HOSTILE_TASK_SHOWN
        assert row["model"].startswith(HOSTILE_NAME_SHOWN[:17])
        table = browser(app).table
        drawn = drawn_text([table])
        assert "[@click=app.quit]quit[/]" in drawn
        assert not [char for char in drawn if is_unsafe(char) and char != "\n"]
        assert action_links([table]) == []


async def test_runs_opened_from_a_followed_browser_are_followed(runs_dir) -> None:
    app = build_browser_app(str(runs_dir), find_runs(str(runs_dir)), follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"small", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BrowsedRunScreen)
        assert app.screen.following is True


def test_a_trajectory_in_its_own_folder_is_named_by_the_folder() -> None:
    assert run_name("/b", "/b/inst-1/inst-1.traj.json") == "inst-1"
    assert run_name("/b", "/b/all/inst-1.traj.json") == "all/inst-1"
    assert run_name("/b", "/b/runs/20250601") == "runs/20250601"


def test_sorting_puts_unknown_values_last_both_ways() -> None:
    rows = [
        RunRow("a", "a", steps=3),
        RunRow("b", "b"),
        RunRow("c", "c", steps=10),
        RunRow("d", "d", steps=3),
    ]
    assert [row.name for row in sort_rows(rows, "steps")] == ["a", "d", "c", "b"]
    assert [row.name for row in sort_rows(rows, "steps", reverse=True)] == ["c", "a", "d", "b"]


def test_every_word_of_a_filter_must_match_somewhere_in_the_row() -> None:
    row = RunRow("p", "2025-run", task="Find the Cats", model="gpt-x", stop_reason="done")
    assert matches(row, ["cats", "gpt"])
    assert matches(row, [])
    assert not matches(row, ["cats", "claude"])
    assert matches(RunRow("p", "x", problem="cannot be read"), ["cannot"])
