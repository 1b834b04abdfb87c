"""Hostile strings from the model in the live debugger: shown literally, never acted on."""

from __future__ import annotations

from textual.widget import Widget

from looplet_core import ToolCall
from looplet_tui.live.breakpoints import Breakpoint, Condition
from looplet_tui.live.edits import args_text, parse_args
from looplet_tui.live.pause_view import PauseView
from looplet_tui.live.phase_bar import PhaseBar
from looplet_tui.screens.approve_dialog import ApproveDialog
from looplet_tui.screens.edit_dialog import EditDialog
from looplet_tui.screens.reject_dialog import RejectDialog
from tests.tui.hostile import HOSTILE, HOSTILE_NAME, HOSTILE_NAME_SHOWN, is_unsafe
from tests.tui.live_agents import (
    PromptRecorder,
    app_for,
    notes_spec,
    reply,
    started,
    wait_until,
)
from tests.tui.rendering import action_links, drawn_text


def assert_safe(widgets: list[Widget]) -> str:
    text = drawn_text(widgets)
    assert not [char for char in text if is_unsafe(char) and char != "\n"]  # rows are joined by \n
    assert action_links(widgets) == []
    return text


def test_hostile_arguments_survive_the_editor_text_unchanged() -> None:
    args = {"text": HOSTILE, HOSTILE: [HOSTILE]}
    text = args_text(args)
    assert not [char for char in text if is_unsafe(char) and char != "\n"]
    assert parse_args(text, lambda value: ()) == (args, ())


async def test_a_hostile_call_is_shown_literally_at_every_pause_and_dialog() -> None:
    llm = PromptRecorder(
        [
            reply(HOSTILE, ToolCall(HOSTILE_NAME, {"text": HOSTILE})),
            reply("", ToolCall("done", {"answer": "ok"})),
        ]
    )
    every_call = (Breakpoint("pre_dispatch", Condition.EVERY),)
    app = app_for(lambda: notes_spec(llm, breakpoints=every_call))
    async with started(app, "approval") as (pilot, screen):
        await pilot.pause()
        shown = assert_safe([screen.query_one(PhaseBar), screen.query_one(PauseView)])
        assert HOSTILE_NAME_SHOWN in shown
        assert "[@click=app.quit]click me[/]" in shown
        for key, dialog in (("a", ApproveDialog), ("x", RejectDialog), ("e", EditDialog)):
            await pilot.press(key)
            await wait_until(pilot, lambda d=dialog: isinstance(app.screen, d), dialog.__name__)
            await pilot.pause()
            assert HOSTILE_NAME_SHOWN in assert_safe(list(app.screen.query(Widget)))
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, "the debugger")
        await pilot.press("s")
