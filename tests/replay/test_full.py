"""Full replay: recorded answers and recorded results, so nothing runs; and how a
replay ends where the recording ends."""

from __future__ import annotations

import json
import os

from looplet_core import ScriptedBackend, StopReason, ToolCall, composable_loop
from looplet_core.provenance import ProvenanceSink, open_trace
from looplet_core.replay import replay
from tests.helpers import drive
from tests.replay.demo_run import essence, files_under, fresh_tools, record_demo


def test_a_full_replay_reproduces_the_steps_without_running_anything(tmp_path) -> None:
    trace, recorded, result = record_demo(tmp_path)
    workspace = tmp_path / "untouched"
    tools = fresh_tools(workspace)  # real tools are there, and still nothing may run
    before = files_under(workspace)
    run = replay(trace, mode="full", tools=tools)
    steps = list(run)
    assert [essence(step) for step in steps] == [essence(step) for step in recorded]
    assert (run.result.stop_reason, run.result.answer) == (StopReason.DONE, result.answer)
    assert files_under(workspace) == before
    replay_entries = [e for e in steps[6].hook_trace if e.hook == "replay"]
    assert [(e.phase, e.decision, e.reason) for e in replay_entries] == [
        ("pre_prompt", None, ""),
        ("pre_dispatch", "replace", "recorded result (full replay)"),
    ]


def test_a_full_replay_needs_no_tools_and_shows_the_model_the_recorded_schemas(tmp_path) -> None:
    trace, recorded, _ = record_demo(tmp_path)
    run = replay(trace, mode="full", out=tmp_path / "replayed")
    result = run.run()
    assert [essence(step) for step in result.steps] == [essence(step) for step in recorded]
    assert run.dir == str(tmp_path / "replayed")
    header = json.loads((tmp_path / "replayed" / "header.json").read_text())
    assert header["forked_from"] == {"path": str(trace), "step": None, "mode": "full"}
    assert header["tools"] == json.loads((trace / "header.json").read_text())["tools"]
    assert header["settings"]["max_steps"] == 20  # the demo's limit, taken from the recording
    reread = open_trace(tmp_path / "replayed")
    assert reread.meta.forked_from == header["forked_from"]
    assert [essence(reread.detail(i).step) for i in range(len(reread))] == [
        essence(step) for step in recorded
    ]


def test_a_replay_stepped_by_hand_then_run_keeps_its_result(tmp_path) -> None:
    trace, recorded, _ = record_demo(tmp_path)
    run = replay(open_trace(trace), out=tmp_path / "again")  # an open Trace does as well as a path
    first_two = [next(iter(run)).number, next(iter(run)).number]
    result = run.run()
    assert first_two == [1, 2] and len(result.steps) == len(recorded)
    assert list(run) == [] and run.result is result  # a finished replay stays finished


def test_the_replay_trace_goes_to_the_default_runs_folder(tmp_path, monkeypatch) -> None:
    trace, _, _ = record_demo(tmp_path)
    monkeypatch.chdir(tmp_path)
    run = replay(trace)
    run.run()
    assert os.path.dirname(run.dir) == str(tmp_path / ".looplet" / "runs")
    assert len(open_trace(run.dir)) == 9


def record_script(tmp_path, backend, hooks=()):
    from tests.trace.scenarios import TOOLS

    directory = tmp_path / "recorded"
    drive(composable_loop(backend, TOOLS, "add things", hooks=[*hooks, ProvenanceSink(directory)]))
    return directory


class FailsOnTurn3:
    def __init__(self) -> None:
        self.inner = ScriptedBackend([ToolCall("add", {"a": 1, "b": 2})] * 2)

    def generate(self, prompt):
        if prompt.turn == 3:
            raise ConnectionError("reset by peer")
        return self.inner.generate(prompt)


def test_a_recorded_model_failure_is_replayed_as_a_failure(tmp_path) -> None:
    trace = record_script(tmp_path, FailsOnTurn3())
    result = replay(trace).run()
    assert [step.tool_result.data for step in result.steps] == [3, 3]
    assert result.stop_reason is StopReason.LLM_ERROR
    assert result.error == "RecordedModelError: ConnectionError: reset by peer"


def test_a_run_stopped_from_outside_replays_to_the_same_place_and_stops(tmp_path) -> None:
    class Enough:
        def should_stop(self, state, step):
            return "three is enough" if step.number == 3 else None

    backend = ScriptedBackend([ToolCall("add", {"a": i, "b": 1}) for i in range(6)])
    trace = record_script(tmp_path, backend, hooks=[Enough()])
    result = replay(trace).run()  # without the hook that stopped the recorded run
    assert [step.tool_result.data for step in result.steps] == [1, 2, 3]
    assert result.stop_reason is StopReason.HOOK
    assert result.reason == (
        "the recording ends after step 3: the recorded run stopped with hook (three is enough)"
    )


def test_a_recording_cut_short_in_the_middle_of_a_turn_ends_there(tmp_path) -> None:
    trace, _, _ = record_demo(tmp_path)
    events = (trace / "events.jsonl").read_bytes().splitlines(keepends=True)
    step_3 = next(
        i
        for i, line in enumerate(events)
        if line.startswith(b'{"kind":"step"') and b'"number":3,' in line
    )
    (trace / "events.jsonl").write_bytes(b"".join(events[: step_3 + 1]))  # as if killed there
    (trace / "summary.json").unlink()
    (trace / "index.jsonl").unlink()
    result = replay(trace).run()
    assert [step.number for step in result.steps] == [1, 2, 3]
    assert result.stop_reason is StopReason.HOOK
    assert result.reason == "the recording ends after step 3: the recorded run did not finish"
