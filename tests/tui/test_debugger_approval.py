"""Approval scopes: once, this tool for the session, a pattern; rules listed and removed."""

from __future__ import annotations

from textual.widgets import Input, Static

from looplet_core import Rewrite
from looplet_core.provenance import open_trace
from looplet_tui.live.breakpoints import Breakpoint, Condition
from looplet_tui.screens.approve_dialog import ApproveDialog
from looplet_tui.screens.breakpoint_dialog import BreakpointDialog
from tests.tui.live_agents import (
    PromptRecorder,
    app_for,
    ask_before_delete,
    deleting,
    notes_spec,
    started,
    stop_run,
    wait_for_pause,
    wait_until,
)
from tests.tui.rendering import drawn_text


def three_deletes() -> PromptRecorder:
    return deleting("tmp/a", "tmp/b", "keep.txt")


def app_with_breakpoint():  # type: ignore[no-untyped-def]
    return app_for(lambda: notes_spec(three_deletes(), breakpoints=ask_before_delete()))


async def open_approve(pilot) -> ApproveDialog:  # type: ignore[no-untyped-def]
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ApproveDialog), "the dialog")
    return pilot.app.screen


def rule_shown(dialog: ApproveDialog) -> str:
    return str(dialog.query_one("#approve-rule", Static).render())


async def approvals_asked(pilot, screen, answer) -> list[int]:  # type: ignore[no-untyped-def]
    """Answer every approval with `answer(dialog)` until the run ends; the steps asked about."""
    asked = []
    while True:
        await wait_until(
            pilot,
            lambda: screen.ended or (screen.pause is not None and screen.pause.kind == "approval"),
            "an approval or the end",
        )
        if screen.ended:
            return asked
        asked.append(screen.pause.step)
        await answer(await open_approve(pilot))


async def test_once_approves_only_the_call_asked_about() -> None:
    app = app_with_breakpoint()
    async with started(app) as (pilot, screen):
        await pilot.press("c")

        async def once(dialog: ApproveDialog) -> None:
            assert "No rule is added" in rule_shown(dialog)
            await pilot.press("enter")

        assert await approvals_asked(pilot, screen, once) == [1, 2, 3]
        assert screen.session.approval_rules() == ()


async def test_this_tool_for_the_session_adds_the_rule_it_shows() -> None:
    app = app_with_breakpoint()
    async with started(app) as (pilot, screen):
        await pilot.press("c")

        async def for_the_session(dialog: ApproveDialog) -> None:
            await pilot.press("2")
            assert "allow delete_file [session]" in rule_shown(dialog)
            await pilot.press("enter")

        assert await approvals_asked(pilot, screen, for_the_session) == [1]
        (rule,) = screen.session.approval_rules()
        assert rule.describe() == "allow delete_file [session]"
        run_dir = screen.session.run_dir
    human = [(d.action, d.after) for d in open_trace(run_dir).detail(0).human]
    assert human == [
        ("approve", {"path": "tmp/a"}),
        ("add_rule", "allow delete_file [session]"),
    ]


async def test_a_pattern_rule_approves_matching_calls_only() -> None:
    app = app_with_breakpoint()
    async with started(app) as (pilot, screen):
        await pilot.press("c")

        async def by_pattern(dialog: ApproveDialog) -> None:
            if screen.pause.step == 3:
                await pilot.press("enter")
                return
            await pilot.press("3")
            assert dialog.query_one("#approve-arg", Input).value == "path"
            assert dialog.query_one("#approve-regex", Input).value == "^tmp/a$"  # exactly this
            dialog.query_one("#approve-regex", Input).value = "^tmp/"
            await pilot.pause()
            assert "allow delete_file if path ~ /^tmp// [session]" in rule_shown(dialog)
            dialog.query_one("#approve-regex", Input).focus()
            await pilot.press("enter")

        assert await approvals_asked(pilot, screen, by_pattern) == [1, 3]


async def test_enter_in_the_pattern_scope_goes_to_the_regex_then_approves() -> None:
    app = app_with_breakpoint()
    async with started(app, "approval") as (pilot, screen):
        dialog = await open_approve(pilot)
        keys = dialog.query_one("#approve-keys", Static)
        assert str(keys.render()).startswith("enter: approve")
        await pilot.press("3")
        assert str(keys.render()).startswith("enter: to the regex, then approve")
        await pilot.press("enter")
        assert app.screen is dialog and dialog.focused is dialog.query_one("#approve-regex")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen, "the dialog to close")
        assert [rule.describe() for rule in screen.session.approval_rules()] == [
            "allow delete_file if path ~ /^tmp/a$/ [session]"
        ]
        await stop_run(pilot)


async def test_rules_are_listed_and_removed_in_the_breakpoint_editor() -> None:
    app = app_with_breakpoint()
    async with started(app) as (pilot, screen):
        await pilot.press("n")  # step: the run pauses again once the approved call ran
        await wait_for_pause(pilot, "approval")
        await open_approve(pilot)
        await pilot.press("2", "enter")
        await wait_for_pause(pilot, "step")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointDialog), "the editor")
        listing = "\n".join(
            str(option.prompt) for option in app.screen.query_one("#breakpoint-list").options
        )
        assert "allow delete_file [session]" in listing
        await pilot.press("down", "down", "down")  # from the breakpoint to the rule
        await pilot.press("d")
        assert screen.session.approval_rules() == ()
        await pilot.press("escape", "c")
        await wait_for_pause(pilot, "approval")  # the next delete is asked about again
        assert screen.pause.step == 2
        await stop_run(pilot)


class TmpOnly:
    """Moves every path under tmp/ before the approval hook sees the call."""

    name = "tmp-only"

    def pre_dispatch(self, state, call):  # type: ignore[no-untyped-def]
        if not call.args["path"].startswith("tmp/"):
            return Rewrite({"path": "tmp/" + call.args["path"]}, "kept inside tmp/")
        return None


async def test_the_pause_shows_what_the_hooks_decided_so_far_for_the_step() -> None:
    on_keep = (Breakpoint("pre_dispatch", Condition.ARG, "keep", arg="path"),)
    app = app_for(lambda: notes_spec(three_deletes(), hooks=[TmpOnly()], breakpoints=on_keep))
    async with started(app, "approval", size=(120, 50)) as (pilot, screen):
        pause = screen.pause
        assert pause is not None and pause.step == 3
        assert [(e.hook, e.phase, e.decision) for e in pause.decisions][-1:] == [
            ("tmp-only", "pre_dispatch", "rewrite")
        ]
        # only this step's calls: not step 2's on_step, which the loop files under step 3
        assert "on_step" not in {e.phase for e in pause.decisions}
        assert pause.decisions[0].phase == "pre_prompt"
        assert pause.call is not None and pause.call.args == {"path": "tmp/keep.txt"}
        shown = drawn_text([screen.pause_view])
        assert "hooks so far for step 3" in shown
        row = next(line for line in shown.splitlines() if "tmp-only" in line)
        assert "pre_dispatch" in row and "rewrite" in row
        assert "kept inside tmp/" in shown
        await stop_run(pilot)
    step = screen.session.result.steps[-1]  # the refused call records every decision seen
    recorded = [(e.hook, e.decision) for e in step.hook_trace if e.phase != "on_step"]
    assert [(e.hook, e.decision) for e in pause.decisions] == recorded[: len(pause.decisions)]
    assert [e.hook for e in step.hook_trace if e.phase == "on_step"]  # they were there


async def test_a_pause_after_the_first_step_shows_its_own_on_step_calls_not_pre_loop() -> None:
    app = app_for(lambda: notes_spec(three_deletes()))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_pause(pilot, "pre_prompt")
        await pilot.press("n")
        screen = await wait_for_pause(pilot, "step")
        phases = [e.phase for e in screen.pause.decisions]
        assert "pre_loop" not in phases  # filed under step 1, but about the run's start
        assert phases[0] == "pre_prompt" and phases[-1] == "on_step"  # the recorder's, as yielded
        await stop_run(pilot)
