"""Value types: Step.pretty() and exact dict round trips."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from looplet_core import (
    ErrorKind,
    HookTrace,
    LLMResponse,
    Message,
    RunResult,
    Step,
    StopReason,
    ToolCall,
    ToolResult,
    Usage,
)


def test_pretty_success_line() -> None:
    step = Step(
        3, 2, ToolCall("search", {"query": "cats"}), ToolResult(list(range(12)), duration_ms=182.4)
    )
    assert step.pretty() == "#3 ✓ search(query='cats') → 12 items [182ms]"


def test_pretty_error_line_shows_the_kind() -> None:
    step = Step(
        4,
        3,
        ToolCall("fetch", {"url": "…"}),
        ToolResult.failure(ErrorKind.TIMEOUT, "fetch did not finish within 5s", 5000.0),
    )
    assert step.pretty() == "#4 ✗ fetch(url='…') → ERROR: timeout [5000ms]"


def test_pretty_summaries_for_each_shape_of_result() -> None:
    def line(data) -> str:
        return Step(1, 1, ToolCall("t", {}), ToolResult(data)).pretty()

    assert line([1]).endswith("→ 1 item [0ms]")
    assert line({"path": 1, "size": 2}).endswith("→ {path, size} [0ms]")
    assert line(None).endswith("→ ok [0ms]")
    assert line(42).endswith("→ 42 [0ms]")
    assert line("x" * 100).endswith("→ '" + "x" * 38 + "… [0ms]")


def test_pretty_clips_long_arguments_and_escapes_control_characters() -> None:
    step = Step(
        1,
        1,
        ToolCall("write", {"path": "a" * 200, "text": "\x1b[31mred\u202e\x00"}),
        ToolResult("ok"),
    )
    line = step.pretty()
    assert len(line) < 120
    assert "\x1b" not in line and "\u202e" not in line and "\x00" not in line
    assert "path='" + "a" * 22 + "…, text=" in line


def test_pretty_escapes_a_hostile_tool_name() -> None:
    step = Step(1, 1, ToolCall("\x1b]52;c;aGk=\x07rm", {}), ToolResult(None))
    assert step.pretty() == "#1 ✓ \\x1b]52;c;aGk=\\x07rm() → ok [0ms]"


def test_pretty_for_a_text_reply_step_has_an_empty_tool_name() -> None:
    step = Step(
        2, 2, ToolCall("", {}, text="hello"), ToolResult.failure(ErrorKind.PARSE, "no call")
    )
    assert step.pretty() == "#2 ✗ () → ERROR: parse [0ms]"


def test_tool_result_content_for_model() -> None:
    assert ToolResult("plain").content_for_model() == "plain"
    assert ToolResult({"a": [1, "é"]}).content_for_model() == '{"a": [1, "é"]}'
    assert (
        ToolResult.failure(ErrorKind.VALIDATION, "missing 'x'").content_for_model()
        == "ERROR (validation): missing 'x'"
    )


def test_usage_adds_field_by_field() -> None:
    assert Usage(1, 2, 3, 4) + Usage(10, 20, 30, 40) == Usage(11, 22, 33, 44)
    assert Usage(5, 7).total_tokens == 12


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)

tool_calls = st.builds(
    ToolCall,
    name=st.text(max_size=20),
    args=st.dictionaries(st.text(max_size=10), json_values, max_size=4),
    id=st.text(max_size=10),
    text=st.text(max_size=30),
    reasoning=st.text(max_size=30),
)

tool_results = st.one_of(
    st.builds(ToolResult, data=json_values, duration_ms=st.floats(0, 1e6)),
    st.builds(
        ToolResult.failure,
        kind=st.sampled_from(list(ErrorKind)),
        message=st.text(),
        duration_ms=st.floats(0, 1e6),
    ),
)

hook_traces = st.builds(
    HookTrace,
    hook=st.text(max_size=10),
    phase=st.sampled_from(["pre_prompt", "pre_dispatch", "post_dispatch"]),
    decision=st.none() | st.sampled_from(["allow", "deny", "rewrite"]),
    reason=st.text(max_size=20),
    micros=st.integers(0, 10**6),
)

steps = st.builds(
    Step,
    number=st.integers(1, 10**6),
    turn=st.integers(1, 10**6),
    tool_call=tool_calls,
    tool_result=tool_results,
    usage=st.builds(Usage, *(st.integers(0, 10**7) for _ in range(4))),
    latency_ms=st.floats(0, 1e6),
    cost=st.none() | st.floats(0, 100),
    hook_trace=st.lists(hook_traces, max_size=4).map(tuple),
)


@given(steps)
def test_step_round_trips_exactly_through_a_dict_and_json(step: Step) -> None:
    assert Step.from_dict(step.to_dict()) == step
    assert Step.from_dict(json.loads(json.dumps(step.to_dict()))) == step


@given(
    st.lists(steps, max_size=3), st.sampled_from(list(StopReason)), st.lists(tool_calls, max_size=2)
)
def test_run_result_round_trips(step_list, reason, calls) -> None:
    result = RunResult(
        stop_reason=reason,
        reason="why",
        steps=tuple(step_list),
        turns=len(step_list),
        usage=Usage(1, 2),
        answer={"answer": "x"},
        messages=(
            Message("system", "s"),
            Message("assistant", "", tuple(calls)),
            Message("tool", "r", (), "id1", "t"),
        ),
    )
    assert RunResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_llm_response_parsed_part_round_trips_and_raw_data_is_passed_separately() -> None:
    response = LLMResponse(
        text="t",
        tool_calls=(ToolCall("a", {"x": 1}, "id1"),),
        usage=Usage(1, 2, 3, 4),
        latency_ms=5.0,
        finish_reason="tool_calls",
        reasoning="r",
        model="m",
        cost=0.5,
        raw_request={"q": 1},
        raw_response={"r": 2},
    )
    data = json.loads(json.dumps(response.to_dict()))
    assert "raw_request" not in data and "raw_response" not in data
    assert LLMResponse.from_dict(data, {"q": 1}, {"r": 2}) == response
