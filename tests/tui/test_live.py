"""The live debugger driving the demo agent: start paused, step, continue, approve."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette

from looplet_core import ToolCall
from looplet_core.provenance import open_trace
from looplet_tui.live.messages import PausedAt, RunEnded, StepRecorded
from looplet_tui.session import BREAKPOINTS_FILE
from looplet_tui.widgets.status_bar import StatusBar
from looplet_tui.widgets.timeline import Timeline
from tests.tui.conftest import app_for as viewer_for
from tests.tui.live_agents import (
    BlockingBackend,
    app_for,
    demo_app,
    notes_spec,
    reply,
    started,
    stop_run,
    wait_for_end,
    wait_for_pause,
    wait_until,
)
from tests.tui.rendering import drawn_text


async def test_a_run_starts_paused_before_the_first_model_call() -> None:
    app = demo_app()
    async with started(app) as (pilot, screen):
        assert screen.session.spec.llm.calls == 0
        assert screen.pause is not None and screen.pause.turn == 1
        assert [m.role for m in screen.pause.messages] == ["system", "user"]
        assert {tool["name"] for tool in screen.pause.tools} >= {"delete_file", "done"}
        await pilot.press("s")


async def test_step_runs_until_the_next_step_is_yielded() -> None:
    messages: list[object] = []
    app = demo_app()
    async with started(app, message_hook=messages.append) as (pilot, screen):
        await pilot.press("n")
        await wait_for_pause(pilot, "step")
        assert screen.session.spec.llm.calls == 1
        assert len(screen.source) == 1
        assert screen.pause is not None and screen.pause.step == 1
        await pilot.press("n")
        await wait_for_pause(pilot, "step")
        assert screen.pause is not None and screen.pause.step == 2
        assert screen.session.spec.llm.calls == 2
        assert screen.query_one(Timeline).cursor == 1  # the timeline follows the run
        await stop_run(pilot)
    recorded = [m.number for m in messages if isinstance(m, StepRecorded)]
    assert recorded == [1, 2]
    assert screen.session.result is not None
    assert str(screen.session.result.stop_reason) == "cancelled"


async def test_continue_stops_at_the_dangerous_tool_and_approve_lets_it_run() -> None:
    messages: list[object] = []
    app = demo_app()
    async with started(app, message_hook=messages.append) as (pilot, screen):
        list_files = screen.session.spec.tools.get("list_files").func
        await pilot.press("c")
        await wait_for_pause(pilot, "approval")
        pause = screen.pause
        assert pause is not None and pause.call is not None
        assert pause.call.name == "delete_file" and pause.call.args == {"path": "draft.tmp"}
        assert pause.why == ("breakpoint 1: before dispatch · tool delete_file",)
        assert "draft.tmp" in list_files()
        assert len(screen.source) == 6  # the steps before it ran without stopping
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # the scope dialog starts on "once"
        await wait_for_end(pilot)
        timeline = screen.query_one(Timeline)
        assert timeline.cursor == 8  # followed the run to its last step, past the approval
        marked = [p for p in range(9) if timeline.row_content(p, 60).plain.startswith("✎")]
        assert marked == [6]  # the approved step carries the human-decision marker
        assert "draft.tmp" not in list_files()
        run_dir = screen.session.run_dir
    ended = [m for m in messages if isinstance(m, RunEnded)]
    assert [(m.stop_reason, m.error) for m in ended] == [("done", None)]
    assert [m.pause.kind for m in messages if isinstance(m, PausedAt)] == ["pre_prompt", "approval"]
    assert run_dir is not None and run_dir.startswith(str(Path.cwd() / ".looplet" / "runs"))
    trace = open_trace(run_dir)
    assert trace.meta.stop_reason == "done" and len(trace) == 9
    assert trace.human_steps() == {7}
    decisions = trace.detail(6).human
    assert [(d.action, d.who, d.before) for d in decisions] == [
        ("approve", "user at keyboard", {"path": "draft.tmp"})
    ]
    saved = (Path(run_dir) / BREAKPOINTS_FILE).read_text()
    assert '"tool"' in saved and '"delete_file"' in saved
    reopened = viewer_for(Path(run_dir))  # `looplet-tui open` on the same run
    async with reopened.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        timeline = reopened.screen.query_one(Timeline)
        marked = [p for p in range(9) if timeline.row_content(p, 60).plain.startswith("✎")]
        assert marked == [6]


async def test_restart_starts_a_fresh_run_and_trace_keeping_the_breakpoints() -> None:
    app = demo_app()
    async with started(app) as (pilot, screen):
        first = screen.session
        await pilot.press("c")
        await wait_for_pause(pilot, "approval")
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.session is not first, "a new session")
        await wait_for_pause(pilot, "pre_prompt")
        second = screen.session
        assert second.spec is not first.spec and second.spec.llm.calls == 0
        assert second.run_dir != first.run_dir
        assert [b.describe() for b in second.breakpoints] == ["before dispatch · tool delete_file"]
        assert len(screen.source) == 0 and screen.query_one(Timeline).row_count == 0
        await pilot.press("c")
        await wait_for_pause(pilot, "approval")  # the breakpoint fires again in the new run
        await stop_run(pilot)
    old = open_trace(first.run_dir).meta
    assert old.finished and old.stop_reason == "cancelled" and old.steps == 7


async def test_the_status_bar_agrees_with_the_phase_bar() -> None:
    llm = BlockingBackend(
        [
            reply("a note", ToolCall("write_note", {"path": "n.txt", "text": "hi"})),
            reply("finished", ToolCall("done", {"answer": "ok"})),
        ]
    )
    app = app_for(lambda: notes_spec(llm))
    async with started(app) as (pilot, screen):

        def status() -> str:
            return drawn_text([screen.query_one(StatusBar)])

        await wait_until(pilot, lambda: "paused" in status(), "the status to say paused")
        assert "running" not in status()
        await pilot.press("c")
        await wait_until(pilot, llm.waiting.is_set, "the model call")
        await wait_until(pilot, lambda: "running" in status(), "the status to say running")
        assert "waiting for the model" in str(screen.phase_bar.render())
        await pilot.press("p")
        llm.release.set()
        await wait_for_pause(pilot, "approval")
        await wait_until(pilot, lambda: "paused" in status(), "paused again")
        assert "awaiting approval" in str(screen.phase_bar.render())
        await stop_run(pilot)
        await wait_until(pilot, lambda: "cancelled" in status(), "the stop reason")
        assert "paused" not in status() and "running" not in status()


async def test_the_command_palette_offers_the_debugger_actions_that_apply() -> None:
    app = demo_app()
    async with started(app) as (pilot, screen):

        def offered() -> set[str]:
            return {command.title for command in app.get_system_commands(screen)}

        assert {"Step", "Continue", "Stop", "Restart", "Breakpoints", "Search", "Edit"} <= offered()
        assert {"Approve", "Reject", "Skip", "Pause"}.isdisjoint(offered())
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"continue")
        await wait_until(
            pilot,
            lambda: app.screen.query_one(CommandList).option_count > 0,
            "a matching command",
        )
        await pilot.press("enter")
        await wait_for_pause(pilot, "approval")  # `c` from the palette ran to the breakpoint
        assert {"Approve", "Reject", "Skip", "Edit"} <= offered()
        assert {"Step", "Continue"}.isdisjoint(offered())
        await stop_run(pilot)
