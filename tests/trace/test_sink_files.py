"""The sink's files: where they go, whole-file atomicity, and reading a run as it is written."""

from __future__ import annotations

import json
import os
import re

import pytest

from looplet_core import LoopState, ScriptedBackend, ToolCall, composable_loop
from looplet_core.provenance import ProvenanceSink, TraceError, open_trace
from looplet_core.provenance import sink as sink_module
from tests.helpers import drive
from tests.trace.scenarios import TOOLS, Seen, mixed_script, record


def test_the_default_directory_is_under_dot_looplet_runs(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    sink = ProvenanceSink()
    assert not (tmp_path / ".looplet").exists()  # nothing is created before the run starts
    runs = tmp_path / ".looplet" / "runs"
    assert os.path.dirname(sink.dir) == str(runs)
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", os.path.basename(sink.dir))
    record(None, [ToolCall("done", {})], sink=sink)
    first = sink.dir
    record(None, [ToolCall("done", {})], sink=sink)  # a second run gets its own directory
    assert sink.dir != first
    assert sorted(os.listdir(runs)) == sorted([os.path.basename(first), os.path.basename(sink.dir)])
    assert len(open_trace(first)) == len(open_trace(sink.dir)) == 1


def test_a_directory_that_holds_a_trace_is_refused(tmp_path) -> None:
    record(tmp_path, [ToolCall("done", {})])
    before = (tmp_path / "events.jsonl").read_bytes()
    with pytest.raises(FileExistsError, match=r"header\.json already exists"):
        record(tmp_path, [ToolCall("done", {})])
    assert (tmp_path / "events.jsonl").read_bytes() == before


def test_whole_files_are_written_atomically_and_leave_no_temp_files(tmp_path, monkeypatch) -> None:
    calls = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(source, target):
        calls.append(("replace", os.path.basename(source), os.path.basename(target)))
        return real_replace(source, target)

    def fsync(descriptor):
        calls.append(("fsync",))
        return real_fsync(descriptor)

    monkeypatch.setattr(sink_module.os, "replace", replace)
    monkeypatch.setattr(sink_module.os, "fsync", fsync)
    record(tmp_path, mixed_script())
    assert sorted(os.listdir(tmp_path)) == [
        "events.jsonl",
        "header.json",
        "index.jsonl",
        "summary.json",
    ]
    renamed = [call for call in calls if call[0] == "replace"]
    # header at pre_loop, header again once a response names the model, summary at the end
    assert [target for _, _, target in renamed] == ["header.json", "header.json", "summary.json"]
    assert all(
        re.fullmatch(r"\.(header|summary)\.json\.\d+\.[0-9a-f]{6}\.tmp", s) for _, s, _ in renamed
    )
    assert calls[calls.index(renamed[0]) - 1] == ("fsync",)  # the data is on disk before the rename
    header = json.loads((tmp_path / "header.json").read_text())
    assert (header["format"], header["version"]) == ("looplet-trace", 1)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["stop_reason"] == "done" and summary["steps"] == 11
    assert summary["events_bytes"] == (tmp_path / "events.jsonl").stat().st_size


def test_a_failed_whole_file_write_leaves_the_old_file_and_no_temp_file(
    tmp_path, monkeypatch
) -> None:
    target = tmp_path / "summary.json"
    target.write_text('{"old": true}')

    def fail(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sink_module.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        sink_module.write_atomic(str(target), b'{"new": true}\n')
    assert os.listdir(tmp_path) == ["summary.json"]
    assert target.read_text() == '{"old": true}'


def test_human_decisions_need_a_run(tmp_path) -> None:
    sink = ProvenanceSink(tmp_path)
    with pytest.raises(RuntimeError, match="no run is being recorded"):
        sink.record_human(1, "approve", {}, None)
    record(tmp_path, [ToolCall("done", {})], sink=sink)
    with pytest.raises(RuntimeError, match="no run is being recorded"):
        sink.record_human(1, "approve", {}, None)
    with pytest.raises(TypeError, match="int step number"):
        sink.record_human("1", "approve", {}, None)  # type: ignore[arg-type]


def test_debug_state_says_where_and_how_much(tmp_path) -> None:
    sink = ProvenanceSink(tmp_path)
    assert sink.debug_state()["recording"] is False
    record(tmp_path, [ToolCall("add", {"a": 1, "b": 1}), ToolCall("done", {})], sink=sink)
    state = sink.debug_state()
    assert (state["dir"], state["calls"], state["steps"]) == (str(tmp_path), 2, 2)
    assert state["events_bytes"] == (tmp_path / "events.jsonl").stat().st_size


def test_refresh_follows_a_run_being_written(tmp_path) -> None:
    seen = Seen()
    script = mixed_script()
    loop = composable_loop(
        ScriptedBackend(seen.script(script)),
        TOOLS,
        "do the things",
        hooks=[ProvenanceSink(tmp_path)],
    )
    first_two = [next(loop), next(loop)]
    trace = open_trace(tmp_path)
    assert len(trace) == 2
    assert trace.detail(1).step == first_two[1]
    assert trace.detail(1).prompt == seen.prompts[1]
    assert "summary.json missing: the run did not finish" in trace.problems
    assert not trace.meta.finished and trace.meta.steps == 2
    assert trace.refresh() == 0

    rest, result = drive(loop)
    steps = first_two + rest
    assert trace.refresh() == len(steps) - 2
    assert len(trace) == len(steps)
    for i, step in enumerate(steps):
        assert trace.detail(i).step == step
        assert trace.detail(i).prompt == seen.prompts[step.turn - 1]
    assert trace.problems == []
    assert trace.meta.finished and trace.meta.stop_reason == "done"
    assert trace.conversation() == result.messages


def test_refresh_without_an_index_reads_on_in_events(tmp_path) -> None:
    state = LoopState("do the things")
    seen = Seen()
    loop = composable_loop(
        ScriptedBackend(seen.script(mixed_script())),
        TOOLS,
        "do the things",
        hooks=[ProvenanceSink(tmp_path)],
        state=state,
    )
    next(loop)
    os.unlink(tmp_path / "index.jsonl")  # the sink keeps writing to the unlinked file
    trace = open_trace(tmp_path)
    assert len(trace) == 1 and "index.jsonl missing" in trace.problems
    steps = [state.steps[0], *drive(loop)[0]]
    assert trace.refresh() == len(steps) - 1
    assert [trace.detail(i).step for i in range(len(steps))] == steps


def test_a_torn_tail_that_is_completed_later_is_no_longer_a_problem(tmp_path) -> None:
    steps, _, _, _ = record(tmp_path / "done", mixed_script())
    events = (tmp_path / "done" / "events.jsonl").read_bytes()
    index = (tmp_path / "done" / "index.jsonl").read_bytes()
    live = tmp_path / "live"
    live.mkdir()
    (live / "header.json").write_bytes((tmp_path / "done" / "header.json").read_bytes())
    cut = events.index(b'{"kind":"step","seq":4') + 100  # inside the second step's record
    (live / "events.jsonl").write_bytes(events[:cut])
    (live / "index.jsonl").write_bytes(index[: index.index(b"\n") + 1])
    trace = open_trace(live)
    assert len(trace) == 1
    assert "torn record at events.jsonl line 4" in trace.problems
    with open(live / "events.jsonl", "ab") as file:
        file.write(events[cut:])
    with open(live / "index.jsonl", "ab") as file:
        file.write(index[index.index(b"\n") + 1 :])
    assert trace.refresh() == len(steps) - 1
    assert trace.problems == [
        "summary.json missing: the run ended but its summary was not written "
        "(totals come from events.jsonl)"
    ]
    assert trace.detail(len(steps) - 1).step == steps[-1]


def test_open_trace_accepts_path_objects_and_strings(tmp_path) -> None:
    record(tmp_path, [ToolCall("done", {})])
    assert len(open_trace(tmp_path)) == len(open_trace(str(tmp_path))) == 1
    with pytest.raises(TraceError):
        open_trace(tmp_path / "header.json" / "nope")
