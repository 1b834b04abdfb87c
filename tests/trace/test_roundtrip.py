"""A recorded run reads back exactly: every step, every prompt, every response."""

from __future__ import annotations

import json
import time

from looplet_core import ErrorKind, LLMResponse, ToolCall
from looplet_core.provenance import HumanDecision, ProvenanceSink, StepSummary, open_trace
from tests.trace.scenarios import (
    DenyText,
    InjectAfterExplode,
    RewriteAt,
    WireBackend,
    mixed_script,
    record,
)


def events_of(directory) -> list[dict]:
    # str.splitlines: the writer escapes every character it would split at
    return [json.loads(line) for line in (directory / "events.jsonl").read_text().splitlines()]


def test_every_step_prompt_and_response_reads_back(tmp_path) -> None:
    started = time.time()
    steps, result, seen, _ = record(
        tmp_path, mixed_script(), hooks=[RewriteAt(4), DenyText(), InjectAfterExplode()]
    )
    trace = open_trace(tmp_path)

    assert trace.problems == []
    assert len(trace) == len(steps) == 11
    kinds = [step.tool_result.error_kind for step in steps]
    assert {ErrorKind.UNKNOWN_TOOL, ErrorKind.EXECUTION, ErrorKind.DENIED} <= set(kinds)
    assert {ErrorKind.PARSE, ErrorKind.VALIDATION, ErrorKind.SKIPPED} <= set(kinds)
    for i, step in enumerate(steps):
        detail = trace.detail(i)
        assert detail.step == step
        assert detail.prompt == seen.prompts[step.turn - 1]
        assert detail.problems == ()
        assert detail.response is not None
        assert detail.response.usage == step.usage
        assert started <= detail.time <= time.time()
    assert trace.conversation() == result.messages


def test_the_rewrite_is_stored_as_a_snapshot_and_the_rest_as_deltas(tmp_path) -> None:
    record(tmp_path, mixed_script(), hooks=[RewriteAt(4)])
    data = (tmp_path / "events.jsonl").read_bytes()
    offsets = [0, *(i + 1 for i, byte in enumerate(data) if byte == ord("\n"))][:-1]
    calls = [(offset, event) for offset, event in zip(offsets, events_of(tmp_path), strict=True)]
    calls = [(offset, event) for offset, event in calls if event["kind"] == "call"]
    assert [event["turn"] for _, event in calls if event.get("snapshot")] == [1, 4]
    # A delta holds only what was appended since the previous call...
    assert len(calls[1][1]["messages"]) == 2  # turn 1's assistant message and tool result
    # ...and names the snapshot it builds on.
    assert [event["epoch"] for _, event in calls] == [0, 0, 0] + [calls[3][0]] * 5


def test_records_are_one_line_each_with_a_kind_and_a_sequence_number(tmp_path) -> None:
    steps, _, _, _ = record(tmp_path, mixed_script())
    events = events_of(tmp_path)
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert events[-1]["kind"] == "end"
    assert sum(event["kind"] == "step" for event in events) == len(steps)
    assert all(list(event)[:2] == ["kind", "seq"] for event in events)


def test_the_response_keeps_what_the_backend_said(tmp_path) -> None:
    steps, _, _, _ = record(tmp_path, mixed_script())
    trace = open_trace(tmp_path)
    index = next(i for i, step in enumerate(steps) if step.turn == 7)
    response = trace.detail(index).response
    assert response.text == "thinking out loud"
    assert response.usage.input_tokens == 120
    assert (response.latency_ms, response.finish_reason, response.cost) == (
        12.5,
        "tool_calls",
        0.0025,
    )
    assert (response.reasoning, response.model) == ("because", "scripted-1")
    assert response.raw_request == {"model": "scripted-1", "note": "not a message list"}
    assert response.raw_response["id"] == "resp_7"
    assert response.tool_calls[0].args == {"text": "é ünïcode \u2028 and \x00"}


def test_steps_come_from_the_index_alone(tmp_path) -> None:
    steps, _, _, _ = record(tmp_path, mixed_script(), hooks=[DenyText()])
    (tmp_path / "events.jsonl").rename(tmp_path / "elsewhere.jsonl")
    trace = open_trace(tmp_path)  # the index is enough to list the steps
    assert len(trace) == len(steps)
    first = trace.steps[0]
    assert first == StepSummary(
        number=1,
        turn=1,
        tool="add",
        args_preview="a=1, b=2",
        ok=True,
        error_kind=None,
        duration_ms=round(steps[0].tool_result.duration_ms, 3),
        input_tokens=0,
        output_tokens=0,
        latency_ms=round(steps[0].latency_ms, 3),
    )
    assert [s.error_kind for s in trace.steps] == [
        None if step.ok else str(step.tool_result.error_kind) for step in steps
    ]
    assert [s.number for s in trace.steps[-2:]] == [len(steps) - 1, len(steps)]


def test_meta_comes_from_header_and_summary(tmp_path) -> None:
    steps, result, _, _ = record(tmp_path, mixed_script())
    meta = open_trace(tmp_path).meta
    assert meta.task == "do the things"
    assert [schema["name"] for schema in meta.tools] == ["add", "echo", "explode", "done"]
    assert meta.model == "scripted-1"  # ScriptedBackend names none; turn 7's response does
    assert meta.settings["system_prompt"].startswith("You are an agent")
    assert meta.finished and meta.stop_reason == "done"
    assert (meta.steps, meta.turns, meta.usage, meta.cost) == (
        len(steps),
        result.turns,
        result.usage,
        result.cost,
    )
    assert meta.answer == result.answer


def test_the_model_name_comes_from_the_llm_or_else_the_first_response(tmp_path) -> None:
    backend = WireBackend([ToolCall("done", {"answer": "ok"})])
    sink = ProvenanceSink(tmp_path / "given", settings={"note": "mine"})
    record(tmp_path, [], sink=sink, backend=backend)
    meta = open_trace(tmp_path / "given").meta
    assert meta.model == "wire-1"  # the backend's .model, not the response's "wire-1-0613"
    assert meta.settings["llm"] == "WireBackend"
    assert (meta.settings["max_steps"], meta.settings["note"]) == (100, "mine")
    named = LLMResponse(tool_calls=(ToolCall("done", {"answer": "ok"}),), model="scripted-7")
    record(tmp_path / "seen", [named])  # a ScriptedBackend has no .model
    assert open_trace(tmp_path / "seen").meta.model == "scripted-7"


def test_raw_requests_are_stored_as_deltas_and_rebuilt(tmp_path) -> None:
    script = [ToolCall("add", {"a": i, "b": i}) for i in range(12)] + [ToolCall("done", {})]
    backend = WireBackend(script)
    steps, _, _, _ = record(tmp_path, [], backend=backend, hooks=[RewriteAt(6)])
    trace = open_trace(tmp_path)
    for i, step in enumerate(steps):
        assert trace.detail(i).response.raw_request == backend.requests[step.turn - 1]
    calls = [event for event in events_of(tmp_path) if event["kind"] == "call"]
    full = [call["turn"] for call in calls if "raw_request" in call]
    assert full == [1, 6]  # the first call and the rewrite; the others are deltas
    assert all(len(c["raw_request_delta"]["messages"]) == 2 for c in calls if c["turn"] in (2, 7))


def test_raw_requests_whose_tail_changes_are_stored_whole(tmp_path) -> None:
    script = [ToolCall("add", {"a": i, "b": i}) for i in range(5)] + [ToolCall("done", {})]
    backend = WireBackend(script, mark_last=True)
    steps, _, _, _ = record(tmp_path, [], backend=backend)
    trace = open_trace(tmp_path)
    for i, step in enumerate(steps):
        assert trace.detail(i).response.raw_request == backend.requests[step.turn - 1]
    assert all("raw_request" in e for e in events_of(tmp_path) if e["kind"] == "call")


def test_details_read_in_any_order_agree(tmp_path) -> None:
    """Prompts are rebuilt from cached lists: backwards, forwards or jumping gives the same."""
    script = [ToolCall("add", {"a": i, "b": 1}) for i in range(40)] + [ToolCall("done", {})]
    backend = WireBackend(script)
    steps, _, _, _ = record(tmp_path, [], backend=backend, hooks=[RewriteAt(10, 25)])
    trace = open_trace(tmp_path)
    order = [*reversed(range(len(steps))), 20, 3, 39, 0, 26, 9, 10, *range(len(steps))]
    for i in order:
        detail = trace.detail(i)
        assert detail.prompt == backend.seen.prompts[steps[i].turn - 1], i
        assert detail.response.raw_request == backend.requests[steps[i].turn - 1], i


def test_human_decisions_attach_to_their_step(tmp_path) -> None:
    sink = ProvenanceSink(tmp_path)

    class Reviewer:
        """Stands in for the TUI: decides at pre_dispatch, before the step exists."""

        def pre_dispatch(self, state, call):
            number = len(state.steps) + 1
            if call.name == "add":
                sink.record_human(number, "edit", dict(call.args), {"a": 10, "b": 20})
            elif call.name == "echo":
                sink.record_human(number, "reject", dict(call.args), "say something else")
            return None

    script = [
        ToolCall("add", {"a": 1, "b": 2}),
        ToolCall("echo", {"text": "x"}),
        ToolCall("done", {}),
    ]
    record(tmp_path, script, hooks=[Reviewer()], sink=sink)
    trace = open_trace(tmp_path)
    first = trace.detail(0).human
    assert [(h.step, h.action, h.before, h.after) for h in first] == [
        (1, "edit", {"a": 1, "b": 2}, {"a": 10, "b": 20})
    ]
    assert isinstance(first[0], HumanDecision) and first[0].who == "user at keyboard"
    assert trace.detail(1).human[0].after == "say something else"
    assert trace.detail(2).human == ()
    (tmp_path / "index.jsonl").unlink()  # rebuilt from events, the decisions are still found
    assert open_trace(tmp_path).detail(0).human == first


def test_a_run_that_ends_before_any_model_call_still_reads(tmp_path) -> None:
    steps, result, _, _ = record(tmp_path, [ToolCall("done", {})], max_steps=0)
    trace = open_trace(tmp_path)
    assert len(trace) == 0 and steps == []
    assert trace.meta.stop_reason == "max_steps"
    assert trace.conversation() == result.messages
    assert trace.problems == []


def test_a_model_error_is_the_stop_reason(tmp_path) -> None:
    steps, _, _, _ = record(tmp_path, [ToolCall("add", {"a": 1, "b": 1})])
    meta = open_trace(tmp_path).meta
    assert meta.stop_reason == "llm_error"
    assert "ScriptExhaustedError" in meta.error
    assert len(steps) == 1 and meta.steps == 1
