"""Captured replay: the recorded answers drive the run, and the real tools run again."""

from __future__ import annotations

import json

import pytest

from looplet_core import Block, Rewrite, StopReason
from looplet_core.replay import ReplayError, replay
from tests.replay.demo_run import essence, files_under, fresh_tools, record_demo


def test_a_captured_replay_reproduces_every_step_and_really_runs_the_tools(tmp_path) -> None:
    trace, recorded, result = record_demo(tmp_path)
    workspace = tmp_path / "replay-workspace"
    seen = []

    class Watcher:
        def on_step(self, state, step):
            seen.append(step.number)

    run = replay(trace, mode="captured", tools=fresh_tools(workspace), hooks=[Watcher()])
    steps = list(run)
    assert [essence(step) for step in steps] == [essence(step) for step in recorded]
    assert (run.result.stop_reason, run.result.answer) == (StopReason.DONE, result.answer)
    assert seen == list(range(1, 10))  # the caller's hooks see the replay like any run
    # the tools ran on the new workspace: it was tidied exactly as the recorded one was
    assert files_under(workspace) == files_under(tmp_path / "recorded-workspace")
    assert "draft.tmp" not in files_under(workspace)
    replay_entries = [e for e in steps[3].hook_trace if e.hook == "replay"]
    assert [(e.phase, e.decision) for e in replay_entries] == [("pre_dispatch", None)]


def test_a_hook_that_now_rewrites_a_call_makes_the_replay_diverge_before_it_runs(
    tmp_path,
) -> None:
    trace, _, _ = record_demo(tmp_path)
    workspace = tmp_path / "replay-workspace"

    class ArchiveInstead:
        def pre_dispatch(self, state, call):
            if call.args.get("source") == "todo.md":
                return Rewrite({**call.args, "destination": "archive/todo.md"})
            return None

    run = replay(trace, mode="captured", tools=fresh_tools(workspace), hooks=[ArchiveInstead()])
    steps = list(run)
    assert [step.number for step in steps] == [1, 2, 3]
    assert run.result.stop_reason is StopReason.DIVERGED
    assert run.result.reason == (
        "step 4: expected move_file(source='todo.md', destination='docs/todo.md'), "
        "got move_file(source='todo.md', destination='archive/todo.md')"
    )
    files = files_under(workspace)
    assert "todo.md" in files and "archive/todo.md" not in files  # the diverging call never ran
    assert "docs/notes.txt" in files  # step 3 did


def test_an_edited_recording_diverges_at_the_edited_step(tmp_path) -> None:
    trace, _, _ = record_demo(tmp_path)
    events = trace / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    target = b'"destination":"docs/todo.md"'
    [turn_3] = [
        i
        for i, line in enumerate(lines)
        if line.startswith(b'{"kind":"call"') and json.loads(line)["turn"] == 3
    ]
    assert lines[turn_3].count(target) == 1  # in the response: the model's proposal
    lines[turn_3] = lines[turn_3].replace(target, b'"destination":"docs/todo.mx"')  # same length
    events.write_bytes(b"".join(lines))
    run = replay(trace, mode="captured", tools=fresh_tools(tmp_path / "w"))
    result = run.run()
    assert result.stop_reason is StopReason.DIVERGED
    assert result.reason == (
        "step 4: expected move_file(source='todo.md', destination='docs/todo.md'), "
        "got move_file(source='todo.md', destination='docs/todo.mx')"
    )


def test_wanting_more_turns_than_recorded_is_a_divergence(tmp_path) -> None:
    trace, _, _ = record_demo(tmp_path)

    class NotDoneYet:
        def check_done(self, state, call, result):
            return Block("check the images folder first")

    run = replay(trace, mode="captured", tools=fresh_tools(tmp_path / "w"), hooks=[NotDoneYet()])
    result = run.run()
    assert len(result.steps) == 9 and result.steps[-1].tool_result.error_kind == "blocked"
    assert result.stop_reason is StopReason.DIVERGED
    assert result.reason == (
        "the recording ends after step 9: the recorded run stopped with done (done was called); "
        "the replay went on to turn 9"
    )


def test_a_captured_replay_needs_tools(tmp_path) -> None:
    trace, _, _ = record_demo(tmp_path)
    with pytest.raises(ReplayError, match="runs the tools again: pass tools="):
        replay(trace, mode="captured")
    with pytest.raises(ReplayError, match="mode must be one of captured, full, not 'live'"):
        replay(trace, mode="live")
