"""looplet 0.4.1 provenance directories, read into our model.

The fixtures were written by looplet 0.4.1 itself (tests/trace/fixtures/README.md).
Expected values come from the fixture files wherever they hold them, so the
tests check the mapping, not a copy of it.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from looplet_core import ErrorKind, Step
from looplet_core.provenance import Trace, TraceError, open_trace
from looplet_core.provenance.formats.looplet04 import Looplet04Trace
from looplet_core.provenance.formats.looplet04_calls import (
    PromptError,
    parse_prompt,
    parse_response,
)
from tests.trace.foreign import FIVE_MB, LOOPLET04, copy_fixture, load_json, use_everything

RUNS = sorted(path.name for path in LOOPLET04.iterdir())


def step_files(run: str) -> list[dict]:
    return [load_json(path) for path in sorted((LOOPLET04 / run / "steps").glob("step_*.json"))]


@pytest.fixture
def ok_run(tmp_path):
    return copy_fixture(LOOPLET04 / "ok_run", tmp_path / "ok_run")


# -- the fixtures, as written ---------------------------------------------------------


@pytest.mark.parametrize("run", RUNS)
def test_every_step_file_becomes_a_step_with_its_call_and_result(run) -> None:
    trace = open_trace(LOOPLET04 / run)
    assert isinstance(trace, Trace) and isinstance(trace, Looplet04Trace)
    assert trace.problems == []
    records = step_files(run)
    trajectory = load_json(LOOPLET04 / run / "trajectory.json")
    assert len(trace) == len(records) == trajectory["step_count"]
    for summary, record in zip(trace.steps, records, strict=True):
        step = trace.detail(summary.number - 1).step
        call, result = record["tool_call"], record["tool_result"]
        assert summary.number == step.number == record["step_num"]
        assert summary.tool == step.tool_call.name == call["tool"]
        assert step.tool_call.args == call["args"] and step.tool_call.id == call["call_id"]
        assert step.tool_call.reasoning == call["reasoning"]
        assert summary.ok == step.ok == ("error" not in result)
        assert summary.duration_ms == step.tool_result.duration_ms == result["duration_ms"]
        assert summary.input_tokens == summary.output_tokens == 0  # looplet 0.4 records none
        if summary.ok:
            assert step.tool_result.data == result["data"]
        else:  # looplet 0.4 stores a failed call's data as the string "None"
            assert step.tool_result.error == result["error"] and step.tool_result.data is None
        assert summary.turn == step.turn == record["llm_call_indices"][-1] + 1


def test_summaries_come_from_the_data_not_from_the_pretty_line_of_the_next_step() -> None:
    trace = open_trace(LOOPLET04 / "ok_run")
    records = step_files("ok_run")
    assert records[0]["pretty"] == "" and trace.steps[0].tool == "list_files"
    for earlier, record in zip(trace.steps, records[1:], strict=False):
        assert record["pretty"].startswith(f"#{earlier.number} ")  # describes the step before
    own = Step.pretty(trace.detail(2).step)
    assert own.startswith("#3 ✗ read_file(path='notes/missing.txt') → ERROR: execution")


def test_error_kinds_map_onto_ours() -> None:
    ok_run = open_trace(LOOPLET04 / "ok_run")
    assert [s.error_kind for s in ok_run.steps] == [None, None, "execution", None, None]
    unknown = open_trace(LOOPLET04 / "unknown_tool_run")
    assert [s.error_kind for s in unknown.steps] == [ErrorKind.UNKNOWN_TOOL, "validation", None]
    assert unknown.detail(0).step.tool_result.error.startswith("Unknown tool: 'delete_file'")
    assert unknown.steps[1].args_preview == "file='notes/todo.txt'"


def test_the_prompt_and_response_of_a_step_come_from_its_call_files() -> None:
    trace = open_trace(LOOPLET04 / "ok_run")
    detail = trace.detail(1)
    assert detail.problems == ()
    assert [m.role for m in detail.prompt] == ["system", "user"]
    system = "You are a careful file inspector. Use the tools, then call done."
    assert detail.prompt[0].content == system
    assert "Fixture ok_run: inspect the in-memory notes." in detail.prompt[1].content
    assert "## TOOLS" not in detail.prompt[1].content and detail.prompt[1].content.endswith("}")
    response = detail.response
    assert response.tool_calls == (detail.step.tool_call.replace(reasoning=""),)
    assert response.raw_request == (LOOPLET04 / "ok_run" / "call_01_prompt.txt").read_text()
    assert response.raw_response == (LOOPLET04 / "ok_run" / "call_01_response.txt").read_text()
    manifest = [json.loads(line) for line in (LOOPLET04 / "ok_run" / "manifest.jsonl").open()]
    assert response.latency_ms == manifest[1]["duration_ms"] == trace.steps[1].latency_ms
    arrived = manifest[1]["timestamp"] + manifest[1]["duration_ms"] / 1000
    assert detail.time == pytest.approx(arrived)


def test_a_parse_retry_is_two_calls_for_one_step_and_the_step_shows_the_last() -> None:
    trace = open_trace(LOOPLET04 / "text_protocol_run")
    first = trace.detail(0)
    assert first.step.turn == 2 and trace.meta.turns == 5 and len(trace) == 4
    assert "Previous (unparseable) response:" in first.prompt[-1].content  # call 01's prompt
    assert "Let me think about which file to open first." in first.prompt[-1].content
    assert first.response.text.startswith('{"tool": "list_files"')
    assert first.response.tool_calls == ()  # the text protocol: the call is in the text
    assert first.step.tool_call.reasoning == "see what is there"
    assert trace.steps[0].latency_ms == pytest.approx(0.05 + 0.05)  # both calls (manifest)
    assert [m.role for m in first.prompt] == ["user"]  # no system prompt in this run


@pytest.mark.parametrize(
    ("run", "stop_reason", "termination", "answer"),
    [
        ("ok_run", "done", "done", {"summary": "todo.txt has 3 lines and 7 words"}),
        ("text_protocol_run", "done", "done", {"summary": "todo.txt has 3 lines and 7 words"}),
        ("max_steps_run", "max_steps", "budget_exhausted", None),
        ("unknown_tool_run", "done", "done", {"summary": "gave up"}),
    ],
)
def test_meta_comes_from_the_trajectory(run, stop_reason, termination, answer) -> None:
    trajectory = load_json(LOOPLET04 / run / "trajectory.json")
    meta = open_trace(LOOPLET04 / run).meta
    assert meta.format == "looplet-0.4" and meta.forked_from is None
    assert meta.task == trajectory["task"]["description"]
    assert meta.stop_reason == stop_reason and termination in meta.reason
    assert meta.answer == answer and meta.finished
    assert meta.steps == trajectory["step_count"] and meta.turns == trajectory["llm_call_count"]
    assert meta.duration_ms == pytest.approx(
        (trajectory["ended_at"] - trajectory["started_at"]) * 1000
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta.created)
    assert meta.usage.total_tokens == 0 and meta.cost is None and meta.model is None
    assert meta.settings["run_id"] == trajectory["run_id"]
    assert meta.settings["producer"] == {"name": "looplet", "version": "0.4.1"}


def test_tools_come_from_the_tools_section_of_a_prompt() -> None:
    tools = open_trace(LOOPLET04 / "ok_run").meta.tools
    assert [tool["name"] for tool in tools] == ["list_files", "read_file", "word_count", "done"]
    assert tools[1]["parameters"]["required"] == ["path"]  # input_schema, under our key
    assert open_trace(LOOPLET04 / "text_protocol_run").meta.tools == ()  # tools were prose


def test_the_conversation_is_the_last_exchange() -> None:
    conversation = open_trace(LOOPLET04 / "ok_run").conversation()
    assert [m.role for m in conversation] == ["system", "user", "assistant"]
    assert conversation[-1].tool_calls[0].name == "done"


# -- call files, parsed alone ---------------------------------------------------------


def test_a_prompt_that_quotes_a_section_marker_keeps_it_in_the_text() -> None:
    text = (
        "# call 00 - method=generate\n\n## USER PROMPT\n\nresult:\n\n## TOOLS\n\nnot json"
        '\n\n## TOOLS\n\n[{"name": "t", "input_schema": {}}]'
    )
    messages, tools = parse_prompt(text)
    assert messages[0].content == "result:\n\n## TOOLS\n\nnot json" and tools[0]["name"] == "t"
    with pytest.raises(PromptError, match="no USER PROMPT"):
        parse_prompt("x" * 1000)


def test_a_failed_call_and_every_response_kind_parse() -> None:
    failed = "# call 02 - duration=0.1ms error=yes\n\n## ERROR\nboom\n\n## RESPONSE\n\n(empty)"
    assert parse_response(failed) == ("", (), "boom")
    assert parse_response("# c\n\n## RESPONSE (repr)\n\nNone") == ("None", (), None)
    blocks = json.dumps(
        [{"type": "text", "text": "hi"}, {"type": "tool_use", "name": "t", "input": {}, "id": "1"}]
    )
    text, calls, error = parse_response(f"# c\n\n## RESPONSE (content blocks)\n\n{blocks}")
    assert text == "hi" and calls[0].name == "t" and calls[0].id == "1" and error is None
    with pytest.raises(PromptError, match="content blocks: invalid JSON"):
        parse_response("# c\n\n## RESPONSE (content blocks)\n\n[{")


# -- damage -----------------------------------------------------------------------------


def test_a_damaged_step_file_is_read_from_trajectory_json_instead(ok_run) -> None:
    original = open_trace(ok_run).detail(2).step
    (ok_run / "steps" / "step_03.json").write_bytes(b'{"step_num": 3, "tool_call": {"to')
    trace = open_trace(ok_run)
    assert "steps/step_03.json: invalid JSON" in trace.problems
    assert "step 3: read from trajectory.json instead" in trace.problems
    assert len(trace) == 5 and trace.detail(2).step == original
    use_everything(trace)


def test_a_step_lost_from_both_files_is_reported_and_the_rest_load(ok_run) -> None:
    (ok_run / "steps" / "step_03.json").write_bytes(b"\x00\xff garbage \x1b[31m")
    (ok_run / "trajectory.json").unlink()
    trace = open_trace(ok_run)
    assert [s.number for s in trace.steps] == [1, 2, 4, 5]
    assert "trajectory.json missing" in trace.problems
    assert "step 3 missing: no readable step file or trajectory entry" in trace.problems
    assert any(p.startswith("steps/step_03.json: invalid UTF-8") for p in trace.problems)
    assert not trace.meta.finished and trace.meta.stop_reason is None
    use_everything(trace)


def test_invalid_utf8_inside_a_string_costs_a_character_not_the_step(ok_run) -> None:
    path = ok_run / "steps" / "step_02.json"
    path.write_bytes(path.read_bytes().replace(b"buy milk", b"buy m\xffilk"))
    trace = open_trace(ok_run)
    assert trace.detail(1).step.tool_result.data.startswith("buy m\ufffdilk")
    assert any("step_02.json: invalid UTF-8" in p for p in trace.problems)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[1, 2]", "steps/step_02.json: expected a JSON object, found an array"),
        (
            b'"' + b"x" * FIVE_MB + b'"',
            "steps/step_02.json: expected a JSON object, found a string",
        ),
        (b"", "steps/step_02.json is empty"),
        (b'{"tool_call": "read_file", "tool_result": {}}', "tool_call is a string, not an object"),
        (b'{"tool_call": {"tool": 7}}', "steps/step_02.json: tool_call has no tool name"),
        (b'{"tool_call": {"tool": "t", "args": [1]}}', "tool_call args is an array"),
    ],
    ids=["array", "5MB-string", "0-bytes", "nested-string", "nested-number", "args-array"],
)
def test_a_step_file_of_the_wrong_shape_is_named(ok_run, content, problem) -> None:
    (ok_run / "steps" / "step_02.json").write_bytes(content)
    trajectory = load_json(ok_run / "trajectory.json")
    trajectory["steps"][1] = "step two"  # and trajectory.json cannot stand in for it
    (ok_run / "trajectory.json").write_text(json.dumps(trajectory))
    trace = open_trace(ok_run)
    assert any(problem in p for p in trace.problems), trace.problems
    assert "trajectory.json: steps[1] is not a step record" in trace.problems
    assert [s.number for s in trace.steps] == [1, 3, 4, 5]
    use_everything(trace)


def test_a_symlink_loop_in_place_of_a_step_file_or_the_steps_folder(ok_run) -> None:
    looped = ok_run / "steps" / "step_04.json"
    looped.unlink()
    os.symlink(looped, looped)
    trace = open_trace(ok_run)
    assert any(p.startswith("steps/step_04.json: cannot be read") for p in trace.problems)
    assert len(trace) == 5  # from trajectory.json
    os.rename(ok_run / "steps", ok_run / "old_steps")
    os.symlink(ok_run / "steps", ok_run / "steps")
    trace = open_trace(ok_run)
    assert any(p.startswith("steps/: cannot be read") for p in trace.problems)
    assert len(trace) == 5
    use_everything(trace)


def test_a_huge_single_line_argument_loads_with_a_short_preview(ok_run) -> None:
    path = ok_run / "steps" / "step_02.json"
    record = load_json(path)
    record["tool_call"]["args"]["path"] = "p" * FIVE_MB
    path.write_text(json.dumps(record))
    trace = open_trace(ok_run)
    assert len(trace.steps[1].args_preview) <= 60
    assert len(trace.detail(1).step.tool_call.args["path"]) == FIVE_MB


def test_damaged_call_files_cost_only_the_prompt_or_response(ok_run) -> None:
    (ok_run / "call_02_prompt.txt").unlink()
    (ok_run / "call_03_response.txt").write_text("x" * FIVE_MB)
    lines = (ok_run / "manifest.jsonl").read_text().splitlines()
    (ok_run / "manifest.jsonl").write_text("\n".join([lines[0], "{torn", *lines[2:]]))
    trace = open_trace(ok_run)
    assert "manifest.jsonl line 2: invalid JSON" in trace.problems
    calls = load_json(ok_run / "trajectory.json")["llm_calls"]
    assert trace.steps[1].latency_ms == calls[1]["duration_ms"]  # trajectory.json fills in
    missing = trace.detail(2)
    assert missing.prompt is None and "call_02_prompt.txt missing" in missing.problems
    assert missing.response is not None
    cut = trace.detail(3)
    assert cut.response is None and "call_03_response.txt: no RESPONSE section" in cut.problems
    assert cut.prompt is not None
    assert "call_02_prompt.txt missing" in trace.problems  # noted for the trace as well
    use_everything(trace)


def test_an_interrupted_save_still_loads_what_was_written(ok_run) -> None:
    (ok_run / ".artifact.json.pending").write_text("incomplete\n")
    (ok_run / "artifact.json").unlink()
    (ok_run / "trajectory.json").unlink()
    for name in ("steps/step_05.json", "call_04_prompt.txt", "call_04_response.txt"):
        (ok_run / name).unlink()
    trace = open_trace(ok_run)
    assert trace.problems[0].startswith(".artifact.json.pending present: looplet was interrupted")
    assert "artifact.json missing" not in trace.problems  # expected while saving
    assert len(trace) == 4 and not trace.meta.finished and trace.conversation() is None
    assert trace.detail(3).prompt is not None
    use_everything(trace)


def test_a_directory_with_nothing_readable_raises_one_line(tmp_path) -> None:
    (tmp_path / "manifest.jsonl").write_bytes(b"\xff\xfe garbage\n")
    with pytest.raises(TraceError) as caught:
        open_trace(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}: nothing readable (") and "\n" not in message
    assert "manifest.jsonl line 1: invalid JSON" in message and "trajectory.json missing" in message


def test_refresh_picks_up_step_files_written_since(ok_run, tmp_path) -> None:
    held = tmp_path / "held"
    held.mkdir()
    for name in ("steps/step_04.json", "steps/step_05.json", "trajectory.json"):
        os.rename(ok_run / name, held / os.path.basename(name))
    trace = open_trace(ok_run)
    assert len(trace) == 3 and trace.refresh() == 0
    os.rename(held / "step_04.json", ok_run / "steps" / "step_04.json")
    assert trace.refresh() == 1 and trace.steps[3].tool == "word_count"
    os.rename(held / "step_05.json", ok_run / "steps" / "step_05.json")
    os.rename(held / "trajectory.json", ok_run / "trajectory.json")
    assert trace.refresh() == 1 and trace.meta.finished and trace.meta.stop_reason == "done"
    assert trace.problems == [] and trace.refresh() == 0
