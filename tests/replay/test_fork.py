"""Fork at step k: recorded up to k, a live backend from k, with the call or result at k edited."""

from __future__ import annotations

import json

import pytest

from looplet_core import ScriptedBackend, StopReason, ToolCall, ToolResult, composable_loop
from looplet_core.provenance import ProvenanceSink
from looplet_core.replay import ReplayError, replay
from tests.helpers import drive
from tests.replay.demo_run import essence, files_under, fresh_tools, record_demo


class Live:
    """A scripted live backend that keeps every prompt it was given."""

    def __init__(self, script) -> None:
        self.prompts = []
        self.inner = ScriptedBackend(script)
        self.model = "live-1"

    def generate(self, prompt):
        self.prompts.append((prompt.turn, list(prompt.messages)))
        return self.inner.generate(prompt)


def test_a_fork_in_the_middle_of_a_turn_asks_the_live_model_from_there(tmp_path) -> None:
    trace, recorded, _ = record_demo(tmp_path)
    workspace = tmp_path / "fork-workspace"
    live = Live(
        [
            ToolCall("move_file", {"source": "todo.md", "destination": "lists/todo.md"}),
            ToolCall("done", {"answer": "forked"}),
        ]
    )
    run = replay(trace, mode="captured", tools=fresh_tools(workspace), fork_at=4, llm=live)
    result = run.run()
    assert [essence(step) for step in result.steps[:3]] == [essence(s) for s in recorded[:3]]
    assert [step.tool_call.args for step in result.steps[3:]] == [
        {"source": "todo.md", "destination": "lists/todo.md"},
        {"answer": "forked"},
    ]
    assert (result.stop_reason, result.answer) == (StopReason.DONE, {"answer": "forked"})
    # Turn 3 was cut to the call before the fork; the live model answered turn 4.
    turn, messages = live.prompts[0]
    assert turn == 4
    assistant = [m for m in messages if m.role == "assistant"][-1]
    assert [call.args["source"] for call in assistant.tool_calls] == ["notes.txt"]
    assert messages[-1].role == "tool" and messages[-1].content.startswith("moved notes.txt")
    assert set(files_under(workspace)) == {
        "docs/notes.txt",
        "lists/todo.md",
        "photo.jpg",
        "draft.tmp",
    }
    header = json.loads((__import__("pathlib").Path(run.dir) / "header.json").read_text())
    assert header["forked_from"] == {"path": str(trace), "step": 4, "mode": "captured"}
    assert header["model"] == "live-1"


def test_a_fork_can_edit_the_call_at_k_which_then_really_runs(tmp_path) -> None:
    trace, recorded, _ = record_demo(tmp_path)
    workspace = tmp_path / "fork-workspace"

    def keep_it(call: ToolCall) -> ToolCall:
        path = call.args["path"]
        return ToolCall("move_file", {"source": path, "destination": f"trash/{path}"}, call.id)

    live = Live([ToolCall("done", {"answer": "kept the draft"})])
    run = replay(
        trace, mode="captured", tools=fresh_tools(workspace), fork_at=7, llm=live, edit_call=keep_it
    )
    result = run.run()
    assert [essence(step) for step in result.steps[:6]] == [essence(s) for s in recorded[:6]]
    edited = result.steps[6]
    assert (edited.tool_call.name, edited.tool_call.args) == (
        "move_file",
        {"source": "draft.tmp", "destination": "trash/draft.tmp"},
    )
    assert edited.ok and edited.tool_result.data == "moved draft.tmp -> trash/draft.tmp"
    assert files_under(workspace)["trash/draft.tmp"].startswith("autosave 3")
    # The conversation shows the edited call as the model's own, and the live model continues.
    _, messages = live.prompts[0]
    assert messages[-2].tool_calls[0].name == "move_file"
    assert result.answer == {"answer": "kept the draft"} and len(live.prompts) == 1


def test_a_fork_can_edit_the_result_at_k_and_nothing_runs_before_the_live_part(tmp_path) -> None:
    trace, recorded, _ = record_demo(tmp_path)
    live = Live([ToolCall("done", {"answer": "all moved"})])
    run = replay(
        trace,
        fork_at=5,
        llm=live,
        edit_result=lambda recorded_result: f"pretend it worked (was {recorded_result.error_kind})",
    )
    result = run.run()
    assert [essence(step) for step in result.steps[:4]] == [essence(s) for s in recorded[:4]]
    fifth = result.steps[4]
    assert fifth.tool_call == recorded[4].tool_call  # the recorded call, with an edited result
    assert fifth.ok and fifth.tool_result.data == "pretend it worked (was execution)"
    reasons = [e.reason for e in fifth.hook_trace if e.phase == "pre_dispatch"]
    assert reasons == ["edited result at the fork (step 5)"]
    assert live.prompts[0][1][-1].content == "pretend it worked (was execution)"
    assert (result.stop_reason, len(result.steps)) == (StopReason.DONE, 6)


def test_a_fork_result_may_be_a_tool_result(tmp_path) -> None:
    trace, _, _ = record_demo(tmp_path)
    denied = ToolResult.failure("denied", "a person said no")
    run = replay(trace, fork_at=7, llm=Live([ToolCall("done", {})]), edit_result=denied)
    assert run.run().steps[6].tool_result == denied


def test_after_a_fork_without_tools_new_calls_fail_but_done_still_finishes(tmp_path) -> None:
    trace, _, _ = record_demo(tmp_path)
    live = Live([ToolCall("list_files", {}), ToolCall("done", {"answer": "stopped looking"})])
    result = replay(trace, fork_at=8, llm=live).run()
    looked = result.steps[7]
    assert (looked.tool_result.error_kind, looked.tool_result.error) == (
        "execution",
        "StandInToolError: 'list_files' is a stand-in from the recording and cannot run a "
        "new call; replay with real tools to run it",
    )
    assert (result.stop_reason, result.answer) == (StopReason.DONE, {"answer": "stopped looking"})


def test_a_fork_after_the_last_step_continues_a_run_that_hit_its_limit(tmp_path) -> None:
    from tests.trace.scenarios import TOOLS

    directory = tmp_path / "recorded"
    script = [ToolCall("add", {"a": i, "b": i}) for i in range(3)]
    drive(
        composable_loop(
            ScriptedBackend(script), TOOLS, "t", hooks=[ProvenanceSink(directory)], max_steps=3
        )
    )
    live = Live([ToolCall("done", {"answer": "six"})])
    result = replay(directory, fork_at=4, llm=live, max_steps=10).run()
    assert [step.tool_result.data for step in result.steps] == [0, 2, 4, {"answer": "six"}]
    assert result.stop_reason is StopReason.DONE and live.prompts[0][0] == 4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"fork_at": 0}, r"fork_at must be a step from 1 to 10, not 0"),
        ({"fork_at": 11}, r"fork_at must be a step from 1 to 10, not 11"),
        ({"fork_at": "3"}, r"fork_at must be a step from 1 to 10, not '3'"),
        ({"fork_at": 10, "edit_call": ToolCall("done", {})}, r"no recorded step 10 to edit"),
    ],
)
def test_fork_arguments_that_do_not_fit_the_trace_are_refused(tmp_path, arguments, message):
    trace, _, _ = record_demo(tmp_path)
    with pytest.raises(ReplayError, match=message):
        replay(trace, llm=Live([]), **arguments)


def test_a_fork_needs_a_live_backend_and_edits_need_a_fork(tmp_path) -> None:
    trace, _, _ = record_demo(tmp_path)
    with pytest.raises(ReplayError, match="fork_at and llm go together"):
        replay(trace, fork_at=3)
    with pytest.raises(ReplayError, match="fork_at and llm go together"):
        replay(trace, llm=Live([]))
    with pytest.raises(ReplayError, match="edit the step a fork starts at"):
        replay(trace, edit_result="x")
