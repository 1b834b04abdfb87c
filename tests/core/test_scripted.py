"""ScriptedBackend: every item shape, callables, and a loud end of script."""

from __future__ import annotations

import pytest

from looplet_core import LLMResponse, Prompt, ScriptedBackend, ScriptExhaustedError, ToolCall, Usage

PROMPT = Prompt([], (), 1)


def test_each_item_shape_becomes_a_response() -> None:
    response = LLMResponse(text="hi", usage=Usage(3, 4))
    backend = ScriptedBackend(
        [
            ToolCall("a", {"x": 1}),
            [ToolCall("a", {}), ToolCall("b", {})],
            "just text",
            response,
            lambda prompt: ToolCall("from_callable", {"turn": prompt.turn}),
        ]
    )
    assert backend.generate(PROMPT).tool_calls == (ToolCall("a", {"x": 1}),)
    assert [c.name for c in backend.generate(PROMPT).tool_calls] == ["a", "b"]
    assert backend.generate(PROMPT) == LLMResponse(text="just text")
    assert backend.generate(PROMPT) is response
    assert backend.generate(PROMPT).tool_calls == (ToolCall("from_callable", {"turn": 1}),)
    assert backend.remaining == 0


def test_running_out_raises_a_clear_error_instead_of_cycling() -> None:
    backend = ScriptedBackend(["only"])
    backend.generate(PROMPT)
    with pytest.raises(ScriptExhaustedError, match=r"ran out after 1 responses.*turn 2"):
        backend.generate(PROMPT)
    with pytest.raises(ScriptExhaustedError):
        backend.generate(PROMPT)


def test_bad_items_are_rejected_up_front_with_their_index() -> None:
    with pytest.raises(TypeError, match=r"item 1 is int"):
        ScriptedBackend(["ok", 7])
    with pytest.raises(TypeError, match=r"item 0 is list"):
        ScriptedBackend([[]])


def test_a_callable_returning_nonsense_is_reported_when_called() -> None:
    backend = ScriptedBackend([lambda prompt: {"name": "x"}])
    with pytest.raises(TypeError, match=r"item 0 is dict"):
        backend.generate(PROMPT)
