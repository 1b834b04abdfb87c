"""Editing at pauses: arguments (validated live), rejection feedback, skip, the
prompt before the model call and the result after dispatch."""

from __future__ import annotations

from textual.widgets import Static, TextArea

from looplet_core.hooks_lib.approval import SKIPPED_BY_USER
from looplet_core.provenance import open_trace
from looplet_tui.live.breakpoints import Breakpoint, Condition
from looplet_tui.screens.edit_dialog import EditDialog
from looplet_tui.screens.reject_dialog import RejectDialog, model_reads
from tests.tui.live_agents import (
    app_for,
    ask_before_delete,
    deleting,
    demo_app,
    notes_spec,
    started,
    wait_for_end,
    wait_until,
)


def replace_text(app, text: str) -> None:  # type: ignore[no-untyped-def]
    editor = app.screen.query_one(TextArea)
    editor.clear()
    editor.insert(text)


async def test_invalid_arguments_cannot_be_submitted_then_valid_ones_run() -> None:
    app = demo_app()
    async with started(app, "approval") as (pilot, screen):
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        assert dialog.text.strip() == '{\n  "path": "draft.tmp"\n}'

        replace_text(app, '{"path": ')
        await pilot.pause()
        assert dialog.problems and dialog.problems[0].startswith("not valid JSON")
        await pilot.press("ctrl+s")
        assert not dialog.reviewing  # an invalid edit cannot be submitted

        replace_text(app, '{"path": 7}')
        await pilot.pause()
        assert dialog.problems  # the tool's schema refuses a number
        shown = str(dialog.query_one("#edit-problems", Static).render())
        assert "path" in shown and "✗" in shown
        await pilot.press("ctrl+s")
        assert not dialog.reviewing

        replace_text(app, '{"path": "docs/todo.md"}')
        await pilot.pause()
        assert dialog.problems == ()
        await pilot.press("ctrl+s")
        assert dialog.reviewing
        diff = "\n".join(dialog.query_one("#edit-diff").rendered_lines())
        # the values as written out, not as typed
        assert '-  "path": "draft.tmp"' in diff and '+  "path": "docs/todo.md"' in diff
        await pilot.press("enter")
        await wait_for_end(pilot)
        run_dir = screen.session.run_dir
    trace = open_trace(run_dir)
    step = trace.detail(6)
    assert step.step.tool_call.args == {"path": "docs/todo.md"}
    assert step.step.tool_result.ok
    assert [(d.action, d.before, d.after) for d in step.human] == [
        ("edit", {"path": "draft.tmp"}, {"path": "docs/todo.md"})
    ]


async def test_rejection_feedback_is_what_the_model_reads_next() -> None:
    llm = deleting("a.txt")
    app = app_for(lambda: notes_spec(llm, breakpoints=ask_before_delete()))
    async with started(app, "approval") as (pilot, screen):
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, RejectDialog)
        await pilot.press(*"keep it, it is the only copy")
        await pilot.press("enter")
        await wait_for_end(pilot)
        run_dir = screen.session.run_dir
    told = llm.prompts[1][-1]
    assert told["role"] == "tool" and told.get("is_error") is True
    assert told["content"] == model_reads("keep it, it is the only copy")
    assert "keep it, it is the only copy" in told["content"]
    human = open_trace(run_dir).detail(0).human
    assert [(d.action, d.after) for d in human] == [("reject", "keep it, it is the only copy")]


async def test_skip_gives_the_call_a_skipped_by_user_error() -> None:
    llm = deleting("a.txt")
    app = app_for(lambda: notes_spec(llm, breakpoints=ask_before_delete()))
    async with started(app, "approval") as (pilot, screen):
        await pilot.press("k")
        await wait_for_end(pilot)
        run_dir = screen.session.run_dir
    step = open_trace(run_dir).detail(0)
    assert step.step.tool_result.error == SKIPPED_BY_USER
    assert str(step.step.tool_result.error_kind) == "skipped"
    assert SKIPPED_BY_USER in llm.prompts[1][-1]["content"]
    assert [d.action for d in step.human] == ["skip"]


async def test_the_model_receives_an_edited_prompt_and_the_edit_is_recorded() -> None:
    llm = deleting("a.txt")
    app = app_for(lambda: notes_spec(llm))
    async with started(app) as (pilot, screen):
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        edited = dialog.text.replace("Tidy the notes.", "Tidy the notes, but keep a.txt.")
        replace_text(app, edited)
        await pilot.pause()
        assert dialog.problems == ()
        await pilot.press("ctrl+s", "enter")
        await wait_until(
            pilot, lambda: screen.pause is not None and screen.pause.edited, "the edited pause"
        )
        assert screen.pause.messages[1].content == "Tidy the notes, but keep a.txt."
        assert llm.calls == 0  # still paused: the user can look at the edit first
        await pilot.press("c")
        await wait_for_end(pilot)
        run_dir = screen.session.run_dir
    assert llm.prompts[0][1]["content"] == "Tidy the notes, but keep a.txt."
    trace = open_trace(run_dir)
    assert trace.detail(0).prompt[1].content == "Tidy the notes, but keep a.txt."
    (decision,) = trace.detail(0).human
    assert decision.action == "edit_prompt" and decision.who == "user at keyboard"
    assert decision.before["messages"][0]["content"] == "Tidy the notes."
    assert decision.after["messages"][0]["content"] == "Tidy the notes, but keep a.txt."


async def test_an_edited_result_is_what_the_model_reads() -> None:
    llm = deleting("a.txt")
    stop_after = (Breakpoint("post_dispatch", Condition.TOOL, "delete_*"),)
    app = app_for(lambda: notes_spec(llm, breakpoints=stop_after))
    async with started(app, "post_dispatch") as (pilot, screen):
        assert screen.pause.result is not None and screen.pause.result.data == "deleted a.txt"
        await pilot.press("e")
        await pilot.pause()
        replace_text(app, "a.txt was already gone")
        await pilot.press("ctrl+s", "enter")
        await wait_until(
            pilot, lambda: screen.pause is not None and screen.pause.edited, "the edited result"
        )
        await pilot.press("c")
        await wait_for_end(pilot)
        run_dir = screen.session.run_dir
    assert llm.prompts[1][-1]["content"] == "a.txt was already gone"
    step = open_trace(run_dir).detail(0)
    assert step.step.tool_result.data == "a.txt was already gone"
    assert [(d.action, d.before["data"], d.after["data"]) for d in step.human] == [
        ("edit_result", "deleted a.txt", "a.txt was already gone")
    ]
    assert any(entry.decision == "replace" for entry in step.step.hook_trace)
