"""Approval rules the user writes: "always allow" saved to the rules file, and
rules added in the breakpoint editor."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Checkbox, Input, Select

from looplet_core.hooks_lib import ApprovalHook
from looplet_core.provenance import open_trace
from looplet_tui.screens.breakpoint_dialog import AddRuleDialog, BreakpointDialog
from looplet_tui.screens.rule_preview import PERSIST_ID
from tests.tui.live_agents import (
    app_for,
    ask_before_delete,
    notes_spec,
    started,
    wait_for_end,
    wait_for_pause,
    wait_until,
)
from tests.tui.test_debugger_approval import (
    app_with_breakpoint,
    approvals_asked,
    open_approve,
    rule_shown,
    three_deletes,
)


def with_rules_file(path: Path):  # type: ignore[no-untyped-def]
    """The three-deletes agent, its ApprovalHook saving rules to `path`."""
    return app_for(
        lambda: notes_spec(
            three_deletes(),
            hooks=[ApprovalHook(default="allow", rules_file=path)],
            breakpoints=ask_before_delete(),
        )
    )


def saved_rules(path: Path) -> list[dict[str, object]]:
    return json.loads(path.read_text())["rules"]


async def test_always_allow_saves_the_rule_and_the_next_run_loads_it(tmp_path: Path) -> None:
    rules_file = tmp_path / "approvals.json"
    app = with_rules_file(rules_file)
    async with started(app, "approval") as (pilot, screen):

        async def always(dialog) -> None:  # type: ignore[no-untyped-def]
            assert not dialog.query_one(f"#{PERSIST_ID}", Checkbox).display  # not for "once"
            await pilot.press("2", "s")
            assert dialog.query_one(f"#{PERSIST_ID}", Checkbox).value
            shown = rule_shown(dialog)
            assert "allow delete_file [file]" in shown and str(rules_file) in shown
            await pilot.press("enter")

        assert await approvals_asked(pilot, screen, always) == [1]
        assert saved_rules(rules_file) == [{"tool": "delete_file", "action": "allow"}]
        first = screen.session
        await pilot.press("r")  # a new run: the factory's ApprovalHook loads the file
        await wait_until(pilot, lambda: screen.session is not first, "a new session")
        await wait_for_pause(pilot, "pre_prompt")
        await pilot.press("c")
        await wait_for_end(pilot)  # the breakpoint on delete_file no longer asks
        assert [s.tool_result.ok for s in screen.session.result.steps] == [True] * 4
    human = [(d.action, d.after) for d in open_trace(first.run_dir).detail(0).human]
    assert human == [("approve", {"path": "tmp/a"}), ("add_rule", "allow delete_file [file]")]


async def test_always_is_offered_only_when_the_hook_has_a_rules_file() -> None:
    app = app_with_breakpoint()
    async with started(app, "approval") as (pilot, _):
        dialog = await open_approve(pilot)
        assert not dialog.query(f"#{PERSIST_ID}")
        await pilot.press("2", "s")  # `s` does nothing here
        assert "allow delete_file [session]" in rule_shown(dialog)
        await pilot.press("escape", "s")


async def open_rule_form(pilot) -> AddRuleDialog:  # type: ignore[no-untyped-def]
    await pilot.press("b")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, BreakpointDialog), "the editor")
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AddRuleDialog), "the form")
    return pilot.app.screen


def fill(form: AddRuleDialog, **fields: str) -> None:
    for name, value in fields.items():
        widget = form.query_one(f"#rule-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value


async def test_the_breakpoint_editor_adds_a_deny_rule_that_decides_later_calls() -> None:
    app = app_with_breakpoint()
    async with started(app, "approval") as (pilot, screen):
        form = await open_rule_form(pilot)
        problem = form.query_one("#form-problem")
        assert form.value is None and "give a tool name" in str(problem.render())
        assert not form.query(f"#{PERSIST_ID}")  # no rules file: nothing to save to
        fill(form, action="deny", tool="delete_file", arg="path", pattern="(")
        await pilot.pause()
        assert form.value is None and "invalid pattern" in str(problem.render())
        fill(form, pattern="^keep")
        await pilot.pause()
        assert "deny delete_file if path ~ /^keep/ [session]" in str(problem.render())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointDialog), "the list")
        listing = "\n".join(str(o.prompt) for o in app.screen.query_one("#breakpoint-list").options)
        assert "deny delete_file if path ~ /^keep/ [session]" in listing
        await pilot.press("escape")

        async def once(dialog) -> None:  # type: ignore[no-untyped-def]
            await pilot.press("enter")

        assert await approvals_asked(pilot, screen, once) == [
            1,
            2,
        ]  # keep.txt (step 3) was denied by the rule, not asked about
        result = screen.session.result
    refused = result.steps[2].tool_result
    assert refused.error_kind == "denied" and "is not allowed here" in (refused.error or "")
    human = [(d.action, d.after) for d in open_trace(screen.session.run_dir).detail(0).human]
    assert human[0] == ("add_rule", "deny delete_file if path ~ /^keep/ [session]")


async def test_a_rule_added_in_the_editor_can_be_saved_to_the_rules_file(tmp_path: Path) -> None:
    rules_file = tmp_path / "approvals.json"
    app = with_rules_file(rules_file)
    async with started(app, "approval") as (pilot, _):
        form = await open_rule_form(pilot)
        fill(form, action="allow", tool="delete_*")
        form.query_one(f"#{PERSIST_ID}", Checkbox).value = True
        await pilot.pause()
        shown = str(form.query_one("#form-problem").render())
        assert "allow delete_* [file]" in shown and str(rules_file) in shown
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointDialog), "the list")
        assert saved_rules(rules_file) == [{"tool": "delete_*", "action": "allow"}]
        await pilot.press("escape", "s")
