"""Prompts of native traces are read message by message (provenance/native_prompts.py).

`detail(i).prompt` must behave like the tuple of Messages the model saw
(length, indexing, slicing, iteration, equality), find messages stored in
records the index does not name, and turn damage found while reading into
placeholder messages and problems, never into an exception.
"""

from __future__ import annotations

import threading

import pytest

from looplet_core import Stop, ToolCall
from looplet_core.provenance import open_trace
from looplet_core.provenance.native_chains import record_at
from looplet_core.provenance.native_prompts import UNREADABLE, Conversations
from tests.trace.scenarios import record

TURNS = 40


def echo_script(turns: int) -> list[ToolCall]:
    return [
        *(ToolCall("echo", {"text": f"turn {n} " * (n % 4 + 1)}) for n in range(turns - 1)),
        ToolCall("done", {"answer": "ok"}),
    ]


@pytest.fixture
def long_run(tmp_path):
    """One call per turn, TURNS turns: the last prompt is spread over TURNS records."""
    steps, result, seen, _ = record(tmp_path / "run", echo_script(TURNS))
    return tmp_path / "run", steps, result, seen


def call_offsets(directory) -> list[int]:
    offsets, position = [], 0
    for line in (directory / "events.jsonl").read_bytes().splitlines(keepends=True):
        if line.startswith(b'{"kind":"call"'):
            offsets.append(position)
        position += len(line)
    return offsets


def test_a_prompt_reads_like_the_tuple_the_model_saw(long_run) -> None:
    directory, _, _, seen = long_run
    trace = open_trace(directory)
    prompt = trace.detail(len(trace) - 1).prompt
    expected = seen.prompts[-1]
    assert len(prompt) == len(expected) > 2 * TURNS - 2
    assert prompt == expected and expected == prompt and prompt == list(expected)
    assert prompt != expected[:-1] and prompt != (*expected[:-1], expected[0])
    assert [prompt[i] for i in range(len(prompt))] == list(expected)
    assert prompt[-1] == expected[-1] and prompt[-len(prompt)] == expected[0]
    for cut in (slice(2, 9), slice(-7, None), slice(None, 3), slice(9, 2), slice(1, None, 3)):
        assert tuple(prompt[cut]) == expected[cut]
        assert len(prompt[cut]) == len(expected[cut])
    assert prompt[5:][3:10][2] == expected[5:][3:10][2]
    with pytest.raises(IndexError):
        prompt[len(prompt)]
    with pytest.raises(IndexError):
        prompt[-len(prompt) - 1]
    assert trace.problems == []


def test_every_step_and_the_conversation_read_back(long_run) -> None:
    directory, steps, result, seen = long_run
    trace = open_trace(directory)
    for i, step in enumerate(steps):
        assert trace.detail(i).prompt == seen.prompts[step.turn - 1]
    assert trace.conversation() == result.messages


@pytest.mark.parametrize("every", [1, 3, 7, TURNS + 1])
def test_records_the_index_does_not_name_are_found_between_those_it_does(long_run, every) -> None:
    """However sparse the list of known call records, every message is found."""
    directory, _, _, seen = long_run
    offsets = call_offsets(directory)
    notes: list[str] = []
    prompts = Conversations(str(directory / "events.jsonl"), notes.append)
    with open(directory / "events.jsonl", "rb") as events:
        last = record_at(events, offsets[-1], "call")
        prompt = prompts.prompt(events, offsets[-1], last, offsets[1:-1:every])
    assert [prompt[i] for i in reversed(range(len(prompt)))] == list(reversed(seen.prompts[-1]))
    assert tuple(prompt) == seen.prompts[-1]
    assert notes == []


def test_a_call_that_made_no_step_is_found_for_the_conversation(tmp_path) -> None:
    class StopAtTurn:
        def pre_dispatch(self, state, call):
            return Stop("enough") if state.turn == 5 else None

    steps, result, _, _ = record(tmp_path, echo_script(10), hooks=[StopAtTurn()])
    trace = open_trace(tmp_path)
    assert len(steps) == 4 and len(call_offsets(tmp_path)) == 5  # turn 5's call has no step
    assert trace.conversation() == result.messages
    assert trace.problems == []


def test_a_damaged_delta_costs_only_its_own_messages(long_run) -> None:
    directory, _, _, seen = long_run
    events = directory / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    calls = [i for i, line in enumerate(lines) if line.startswith(b'{"kind":"call"')]
    lines[calls[9]] = b"#" * (len(lines[calls[9]]) - 1) + b"\n"  # turn 10's delta, garbled
    events.write_bytes(b"".join(lines))
    trace = open_trace(directory)
    assert trace.detail(8).prompt == seen.prompts[8]  # before the damage: whole
    assert trace.detail(9).prompt is None  # its own record
    prompt = trace.detail(TURNS - 1).prompt
    expected = seen.prompts[-1]
    lost = range(len(seen.prompts[8]), len(seen.prompts[9]))  # what turn 10 added
    assert len(prompt) == len(expected)
    for i, message in enumerate(prompt):
        if i in lost:
            assert message.role == UNREADABLE
            assert f"message {i + 1} cannot be read" in message.content
        else:
            assert message == expected[i]
    assert [prompt[i].role for i in lost] == [UNREADABLE] * len(lost)
    assert any("are in no readable record" in problem for problem in trace.problems)


def test_threads_reading_one_prompt_agree(long_run) -> None:
    directory, _, _, seen = long_run
    prompt = open_trace(directory).detail(TURNS - 1).prompt
    results: list[tuple[object, object]] = []

    def read() -> None:
        backwards = [prompt[i] for i in reversed(range(len(prompt)))]
        results.append((tuple(reversed(backwards)), tuple(prompt)))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [(seen.prompts[-1], seen.prompts[-1])] * 4


def test_a_prompt_outlives_its_file_without_raising(long_run) -> None:
    directory, _, _, seen = long_run
    trace = open_trace(directory)
    prompt = trace.detail(TURNS - 1).prompt
    (directory / "events.jsonl").unlink()
    messages = list(prompt)
    assert len(messages) == len(seen.prompts[-1])
    assert all(m.role == UNREADABLE or m in seen.prompts[-1] for m in messages)
    assert any("events.jsonl: cannot be read" in problem for problem in trace.problems)
