"""Lenient parsing of tool calls written as text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from looplet_core import ToolCall, ToolCallParseError, parse_tool_calls


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "search", "arguments": {"q": "cats"}}',
        'Sure! ```json\n{"name": "search", "arguments": {"q": "cats"}}\n``` Let me know.',
        '```\n{"tool": "search", "args": {"q": "cats"}}\n```',
        'I will call {"name": "search", "parameters": {"q": "cats"}} now, then read it.',
        '{"name": "search", "arguments": "{\\"q\\": \\"cats\\"}"}',
        '{"type": "function", "function": '
        '{"name": "search", "arguments": "{\\"q\\": \\"cats\\"}"}}',
        'Thinking {not json} then {"name": "search", "input": {"q": "cats"}}',
    ],
)
def test_finds_the_call_in_many_shapes(text: str) -> None:
    assert parse_tool_calls(text) == (ToolCall("search", {"q": "cats"}),)


def test_a_list_or_tool_calls_wrapper_gives_several_calls() -> None:
    expected = (ToolCall("a", {}), ToolCall("b", {"x": 1}))
    assert parse_tool_calls('[{"name": "a"}, {"name": "b", "arguments": {"x": 1}}]') == expected
    assert (
        parse_tool_calls('{"tool_calls": [{"name": "a"}, {"name": "b", "args": {"x": 1}}]}')
        == expected
    )


def test_fenced_block_is_preferred_over_inline_json() -> None:
    text = (
        'Example: {"name": "wrong", "arguments": {}}\n'
        '```json\n{"name": "right", "arguments": {}}\n```'
    )
    assert parse_tool_calls(text)[0].name == "right"


def test_prose_without_json_explains_the_expected_format() -> None:
    with pytest.raises(ToolCallParseError, match=r"no tool call.*\"name\": \"<tool name>\""):
        parse_tool_calls("The answer is 42.")


def test_json_that_is_not_a_call_says_so() -> None:
    with pytest.raises(ToolCallParseError, match="contains JSON but no tool call"):
        parse_tool_calls('{"answer": 42}')


def test_arguments_that_are_not_an_object_are_rejected() -> None:
    with pytest.raises(ToolCallParseError):
        parse_tool_calls('{"name": "x", "arguments": [1, 2]}')
    with pytest.raises(ToolCallParseError):
        parse_tool_calls('{"name": "x", "arguments": "{broken"}')


def test_hostile_brace_floods_fail_cleanly() -> None:
    with pytest.raises(ToolCallParseError):
        parse_tool_calls("{" * 200_000)
    with pytest.raises(ToolCallParseError):
        parse_tool_calls('{"a": "' + "x" * 1_000_000)


@given(st.text())
def test_never_raises_anything_but_parse_errors(text: str) -> None:
    try:
        calls = parse_tool_calls(text)
    except ToolCallParseError:
        return
    assert calls and all(isinstance(c, ToolCall) and isinstance(c.args, dict) for c in calls)
