"""`Trace.step(i)` and `Trace.response(i)`: a step and its reply without the prompt;
`detail(i, raw_request=False)`: everything but the wire request.

For every format they must give what `detail(i)` gives, and they must not need
the records only a prompt needs: a listing or a replay of a trace whose call
records are damaged still gets every step.
"""

from __future__ import annotations

import pytest

from looplet_core.provenance import TraceError, open_trace
from tests.trace.foreign import LOOPLET04, MINISWEAGENT, copy_fixture
from tests.trace.scenarios import RewriteAt, WireBackend, mixed_script, record

FOREIGN = [
    LOOPLET04 / "ok_run",
    LOOPLET04 / "text_protocol_run",
    MINISWEAGENT / "toolcall_submitted.traj.json",
    MINISWEAGENT / "textbased_submitted.traj.json",
]


@pytest.fixture
def wire_run(tmp_path):
    """A native trace whose raw requests are stored as deltas across a rewrite."""
    backend = WireBackend(mixed_script())
    steps, _, _, _ = record(tmp_path / "run", mixed_script(), backend=backend, hooks=[RewriteAt(3)])
    return tmp_path / "run", steps, backend


def same_as_detail(path) -> None:
    trace = open_trace(path)
    assert len(trace) > 0
    for i in range(len(trace)):
        detail = trace.detail(i)
        assert trace.step(i) == detail.step
        assert trace.response(i) == detail.response
        bare = trace.response(i, raw_request=False)
        expected = None if detail.response is None else detail.response.replace(raw_request=None)
        assert bare == expected
        assert trace.detail(i, raw_request=False) == detail.replace(response=expected)


@pytest.mark.parametrize("path", FOREIGN, ids=lambda p: p.name)
def test_foreign_steps_and_replies_are_the_ones_detail_gives(path) -> None:
    same_as_detail(path)


def test_native_steps_and_replies_are_the_ones_recorded(wire_run) -> None:
    directory, steps, backend = wire_run
    same_as_detail(directory)
    trace = open_trace(directory)
    assert [trace.step(i) for i in range(len(trace))] == steps
    first_of_turn = {step.turn: i for i, step in reversed(list(enumerate(steps)))}
    for turn, index in first_of_turn.items():
        assert trace.response(index).raw_request == backend.requests[turn - 1]
        assert trace.response(index, raw_request=False).raw_request is None


def test_steps_need_no_call_record(wire_run) -> None:
    directory, steps, _ = wire_run
    events = directory / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    calls = [i for i, line in enumerate(lines) if line.startswith(b'{"kind":"call"')]
    for i in calls:  # garbled in place: every offset stays right
        lines[i] = b"#" * (len(lines[i]) - 1) + b"\n"
    events.write_bytes(b"".join(lines))
    trace = open_trace(directory)
    assert [trace.step(i) for i in range(len(trace))] == steps
    assert not any("damaged" in problem for problem in trace.problems)  # none was read
    assert trace.response(0) is None
    assert any("damaged" in problem for problem in trace.problems)


def test_a_damaged_step_record_raises_and_costs_only_that_step(wire_run) -> None:
    directory, steps, _ = wire_run
    events = directory / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    second = [i for i, line in enumerate(lines) if line.startswith(b'{"kind":"step"')][1]
    lines[second] = b"\xff" * (len(lines[second]) - 1) + b"\n"
    events.write_bytes(b"".join(lines))
    trace = open_trace(directory)
    with pytest.raises(TraceError, match=r"step 2's record .*invalid UTF-8"):
        trace.step(1)
    assert trace.response(1) == trace.detail(2).response  # the same turn's call is fine
    assert [trace.step(i) for i in range(2, len(trace))] == steps[2:]


def test_a_step_index_out_of_range_is_an_index_error(wire_run) -> None:
    trace = open_trace(wire_run[0])
    with pytest.raises(IndexError):
        trace.step(len(trace))
    with pytest.raises(IndexError):
        trace.response(len(trace))


def test_looplet04_replies_without_raw_request_skip_the_prompt_file(tmp_path) -> None:
    run = copy_fixture(LOOPLET04 / "ok_run", tmp_path / "ok_run")
    (run / "call_01_prompt.txt").unlink()
    trace = open_trace(run)
    index = next(i for i in range(len(trace)) if trace.step(i).turn == 2)
    bare = trace.response(index, raw_request=False)
    assert bare is not None and bare.tool_calls
    assert not any("call_01_prompt.txt" in problem for problem in trace.problems)
    assert trace.response(index).raw_request is None  # asked for: its file is missing
    assert any("call_01_prompt.txt missing" in problem for problem in trace.problems)
