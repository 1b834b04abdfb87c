"""Hostile input through the whole loop: nothing a model or a tool sends crashes it."""

from __future__ import annotations

import json

from looplet_core import (
    ErrorKind,
    LLMResponse,
    ScriptedBackend,
    Step,
    StopReason,
    ToolCall,
    composable_loop,
    tool,
)
from tests.helpers import drive

ODD = "\u202eevil\u0000\x1b[2J\x1b]52;c;cHduZWQ=\x07🙂\ud800 [bold]x[/] [@click=app.quit]"


class Opaque:
    """An object with no JSON form at all."""


@tool
def weird(kind: str) -> object:
    """Return something awkward."""
    return {
        "set": {3, 1, 2},
        "object": Opaque(),
        "bytes": b"\xff\xfe",
        "nan": float("nan"),
        "text": ODD,
    }[kind]


@tool
def echo(text: str) -> str:
    """Return the text."""
    return text


def run(script, tools=(weird, echo)):
    return drive(composable_loop(ScriptedBackend(script), list(tools), "t"))


def test_non_json_results_become_json_and_steps_round_trip() -> None:
    kinds = ["set", "object", "bytes", "nan", "text"]
    steps, result = run(
        [ToolCall("weird", {"kind": k}) for k in kinds] + [ToolCall("done", {"answer": ""})]
    )
    assert result.stop_reason is StopReason.DONE
    assert steps[0].tool_result.data == [1, 2, 3]
    assert steps[1].tool_result.data.startswith("<") and "Opaque" in steps[1].tool_result.data
    for step in steps:
        encoded = json.dumps(step.to_dict())
        assert Step.from_dict(json.loads(encoded)) == step


def test_wrong_argument_types_are_validation_errors_the_model_sees() -> None:
    steps, result = run(
        [
            ToolCall("echo", {"text": 12}),
            ToolCall("echo", {"txt": "hi"}),
            ToolCall("echo", {"text": ["a"], "extra": True}),
            ToolCall("done", {"answer": ""}),
        ]
    )
    assert [s.tool_result.error_kind for s in steps[:3]] == [ErrorKind.VALIDATION] * 3
    assert "did you mean 'text'" in steps[1].tool_result.error
    assert result.messages[3].content.startswith("ERROR (validation): ")


def test_huge_arguments_and_results_pass_through() -> None:
    big = "x" * 5_000_000
    steps, result = run([ToolCall("echo", {"text": big}), ToolCall("done", {"answer": ""})])
    assert steps[0].tool_result.data == big
    assert len(steps[0].pretty()) < 200
    assert result.stop_reason is StopReason.DONE


def test_odd_unicode_in_names_arguments_and_text_never_crashes() -> None:
    steps, result = run(
        [
            LLMResponse(text=ODD, tool_calls=(ToolCall(ODD, {ODD: ODD}),)),
            ToolCall("echo", {"text": ODD}),
            ODD,
            ToolCall("done", {"answer": ODD}),
        ]
    )
    assert steps[0].tool_result.error_kind is ErrorKind.UNKNOWN_TOOL
    assert steps[1].tool_result.data == ODD
    assert steps[2].tool_result.error_kind is ErrorKind.PARSE
    for step in steps:
        line = step.pretty()
        assert not any(ch in line for ch in "\x00\x1b\x07\u202e")
    assert result.stop_reason is StopReason.DONE


def test_malformed_text_calls_from_a_text_only_model() -> None:
    steps, result = run(
        [
            '{"name": "echo", "arguments": "{not json"}',
            '```json\n{"name": "echo", "arguments": {"text": 5}}\n```',
            '{"name": "done", "arguments": {"answer": "ok"}}',
        ]
    )
    assert [s.tool_result.error_kind for s in steps] == [
        ErrorKind.PARSE,
        ErrorKind.VALIDATION,
        None,
    ]
    assert result.stop_reason is StopReason.DONE


def test_arguments_that_were_not_json_skip_pre_dispatch_and_round_trip() -> None:
    """Backends pass malformed argument text on as a str; nothing may choke on it."""
    judged, observed = [], []

    class Guard:
        def pre_dispatch(self, state, call):
            judged.append(call.args.get("text"))  # would raise on a str

        def post_dispatch(self, state, call, result):
            observed.append(result.error_kind)

    steps, result = drive(
        composable_loop(
            ScriptedBackend([ToolCall("echo", '{"text": "hi'), ToolCall("done", {"answer": ""})]),
            [echo],
            "t",
            hooks=[Guard()],
        )
    )
    assert judged == [None], "only the done call, whose arguments are JSON, was judged"
    assert observed == [ErrorKind.PARSE, None]
    assert steps[0].pretty() == '#1 ✗ echo(<not JSON: \'{"text": "hi\'>) → ERROR: parse [0ms]'
    assert Step.from_dict(json.loads(json.dumps(steps[0].to_dict()))) == steps[0]
    assert result.messages[2].tool_calls[0].args == '{"text": "hi', "kept as the model wrote it"


def test_tool_messages_say_whether_the_call_failed() -> None:
    _, result = run(
        [
            [ToolCall("echo", {"text": "ok"}), ToolCall("echo", {"text": 1})],
            [ToolCall("done", {"answer": ""}), ToolCall("echo", {"text": "late"})],
        ]
    )
    flags = [(m.content[:18], m.is_error) for m in result.messages if m.role == "tool"]
    assert flags == [
        ("ok", False),
        ("ERROR (validation)", True),
        ('{"answer": ""}', False),
        ("ERROR (skipped): n", True),
    ]
