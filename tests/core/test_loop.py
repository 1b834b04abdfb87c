"""composable_loop: turns, steps, stop reasons and the conversation it builds."""

from __future__ import annotations

import threading

import pytest

from looplet_core import (
    ErrorKind,
    LLMResponse,
    LoopConfig,
    LoopState,
    Message,
    RunResult,
    ScriptedBackend,
    Step,
    StopReason,
    ToolCall,
    Usage,
    composable_loop,
    tool,
    tools_from,
)
from tests.helpers import drive


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def shout(text: str) -> str:
    """Upper-case some text."""
    return text.upper()


def run(script, tools=(add, shout), **kwargs) -> tuple[list[Step], RunResult]:
    return drive(composable_loop(ScriptedBackend(script), list(tools), "the task", **kwargs))


def test_runs_until_done_and_returns_the_answer() -> None:
    steps, result = run([ToolCall("add", {"a": 2, "b": 3}), ToolCall("done", {"answer": "5"})])
    assert [s.tool_call.name for s in steps] == ["add", "done"]
    assert steps[0].tool_result.data == 5
    assert result.stop_reason is StopReason.DONE
    assert result.answer == {"answer": "5"}
    assert result.turns == 2
    assert result.steps == tuple(steps)


def test_conversation_is_system_task_assistant_and_paired_tool_results() -> None:
    _, result = run([ToolCall("add", {"a": 1, "b": 1}), ToolCall("done", {"answer": "2"})])
    roles = [m.role for m in result.messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert result.messages[1].content == "the task"
    call_id = result.messages[2].tool_calls[0].id
    assert call_id and result.messages[3].tool_call_id == call_id
    assert result.messages[3].content == "2"


def test_system_prompt_argument_overrides_config() -> None:
    _, result = run([ToolCall("done", {"answer": "x"})], system_prompt="Be terse.")
    assert result.messages[0] == Message("system", "Be terse.")


def test_several_calls_in_one_turn_yield_several_steps_with_one_turn_number() -> None:
    steps, _ = run(
        [
            [ToolCall("add", {"a": 1, "b": 2}), ToolCall("shout", {"text": "hi"})],
            ToolCall("done", {"answer": "ok"}),
        ]
    )
    assert [(s.number, s.turn, s.tool_call.name) for s in steps] == [
        (1, 1, "add"),
        (2, 1, "shout"),
        (3, 2, "done"),
    ]
    assert [s.tool_result.data for s in steps[:2]] == [3, "HI"]
    ids = {s.tool_call.id for s in steps}
    assert len(ids) == 3


def test_calls_after_a_terminal_tool_are_skipped_not_run() -> None:
    ran = []

    @tool
    def record(x: int) -> int:
        """Record x."""
        ran.append(x)
        return x

    steps, result = run(
        [
            [
                ToolCall("record", {"x": 1}),
                ToolCall("done", {"answer": "a"}),
                ToolCall("record", {"x": 2}),
            ]
        ],
        tools=[record],
    )
    assert ran == [1]
    assert [s.tool_result.error_kind for s in steps] == [None, None, ErrorKind.SKIPPED]
    assert steps[2].tool_call.args == {"x": 2}
    assert result.stop_reason is StopReason.DONE
    tool_messages = [m for m in result.messages if m.role == "tool"]
    assert len(tool_messages) == 3, "every proposed call gets a result message"


def test_max_steps_stops_the_run_even_mid_turn() -> None:
    steps, result = run(
        [[ToolCall("add", {"a": 1, "b": 1})] * 3, ToolCall("done", {"answer": "never"})],
        max_steps=2,
    )
    assert len(steps) == 2
    assert result.stop_reason is StopReason.MAX_STEPS
    assert result.turns == 1
    tool_messages = [m for m in result.messages if m.role == "tool"]
    assert len(tool_messages) == 3
    assert "not run" in tool_messages[-1].content


def test_max_steps_from_config() -> None:
    steps, result = run([ToolCall("add", {"a": 1, "b": 1})] * 5, config=LoopConfig(max_steps=3))
    assert len(steps) == 3 and result.stop_reason is StopReason.MAX_STEPS


def test_exhausted_script_ends_with_llm_error_naming_the_problem() -> None:
    steps, result = run([ToolCall("add", {"a": 1, "b": 1})])
    assert len(steps) == 1
    assert result.stop_reason is StopReason.LLM_ERROR
    assert "ScriptExhaustedError" in result.error
    assert "ran out after 1 responses" in result.error


def test_backend_exception_becomes_llm_error() -> None:
    class Broken:
        def generate(self, prompt):
            raise ConnectionError("endpoint unreachable")

    steps, result = drive(composable_loop(Broken(), [add], "t"))
    assert steps == []
    assert result.stop_reason is StopReason.LLM_ERROR
    assert result.error == "ConnectionError: endpoint unreachable"


def test_backend_returning_the_wrong_type_is_a_clear_error() -> None:
    class Sloppy:
        def generate(self, prompt):
            return "not a response"

    with pytest.raises(TypeError, match=r"Sloppy.generate returned str; expected an LLMResponse"):
        drive(composable_loop(Sloppy(), [add], "t"))


def test_text_reply_with_json_call_is_parsed() -> None:
    reply = 'I will add them.\n```json\n{"name": "add", "arguments": {"a": 4, "b": 5}}\n```'
    steps, result = run([reply, ToolCall("done", {"answer": "9"})])
    assert steps[0].tool_call.name == "add"
    assert steps[0].tool_call.text == reply
    assert steps[0].tool_result.data == 9
    assert result.stop_reason is StopReason.DONE


def test_unparseable_text_reply_is_a_parse_error_step_fed_back_to_the_model() -> None:
    seen = []

    def look(prompt):
        seen.append(prompt.messages[-1].content)
        return ToolCall("done", {"answer": "ok"})

    steps, result = run(["I think the answer is 7.", look])
    assert steps[0].tool_result.error_kind is ErrorKind.PARSE
    assert steps[0].tool_call.name == ""
    assert steps[0].tool_call.text == "I think the answer is 7."
    assert seen[0].startswith("Your last reply could not be used: the reply contains no tool call")
    assert [m.role for m in result.messages[2:4]] == ["assistant", "user"]
    assert result.stop_reason is StopReason.DONE


def test_text_reply_without_fallback_asks_for_a_tool_call() -> None:
    steps, _ = run(
        ['{"name": "add", "arguments": {"a": 1, "b": 2}}', ToolCall("done", {"answer": "x"})],
        config=LoopConfig(text_fallback=False),
    )
    assert steps[0].tool_result.error_kind is ErrorKind.PARSE
    assert "did not call a tool" in steps[0].tool_result.error


def test_tool_errors_are_results_and_the_loop_continues() -> None:
    @tool
    def explode() -> None:
        """Always fails."""
        raise ValueError("kaboom")

    steps, result = run(
        [
            ToolCall("explode", {}),
            ToolCall("nope", {}),
            ToolCall("add", {"a": "1", "b": 2}),
            ToolCall("done", {"answer": "x"}),
        ],
        tools=[explode, add],
    )
    kinds = [s.tool_result.error_kind for s in steps]
    assert kinds == [ErrorKind.EXECUTION, ErrorKind.UNKNOWN_TOOL, ErrorKind.VALIDATION, None]
    assert "kaboom" in steps[0].tool_result.error
    assert result.stop_reason is StopReason.DONE


def test_done_with_invalid_arguments_does_not_end_the_run() -> None:
    steps, result = run([ToolCall("done", {}), ToolCall("done", {"answer": "fine"})])
    assert steps[0].tool_result.error_kind is ErrorKind.VALIDATION
    assert result.stop_reason is StopReason.DONE and len(steps) == 2


def test_closing_the_generator_ends_with_closed_and_runs_on_loop_end_once() -> None:
    ended: list[RunResult] = []

    class Recorder:
        def on_loop_end(self, state, result):
            ended.append(result)

    gen = composable_loop(
        ScriptedBackend([ToolCall("add", {"a": 1, "b": 1})] * 5), [add], "t", hooks=[Recorder()]
    )
    next(gen)
    gen.close()
    assert [r.stop_reason for r in ended] == [StopReason.CLOSED]
    assert len(ended[0].steps) == 1


def test_breaking_out_of_a_for_loop_counts_as_closed() -> None:
    ended = []

    class Recorder:
        def on_loop_end(self, state, result):
            ended.append(result.stop_reason)

    for _step in composable_loop(
        ScriptedBackend([ToolCall("add", {"a": 1, "b": 1})] * 5), [add], "t", hooks=[Recorder()]
    ):
        break
    assert ended == [StopReason.CLOSED]


def test_an_exception_from_a_hook_propagates_after_on_loop_end() -> None:
    ended = []

    class Faulty:
        def pre_dispatch(self, state, call):
            raise RuntimeError("hook bug")

        def on_loop_end(self, state, result):
            ended.append((result.stop_reason, result.error))

    with pytest.raises(RuntimeError, match="hook bug"):
        run([ToolCall("add", {"a": 1, "b": 1})], hooks=[Faulty()])
    assert ended == [(StopReason.ERROR, "RuntimeError: hook bug")]


def test_cancel_from_another_thread_stops_at_the_next_boundary() -> None:
    state = LoopState("t")
    entered, gate = threading.Event(), threading.Event()

    def slow(prompt):
        entered.set()
        gate.wait(5)
        return ToolCall("add", {"a": 1, "b": 1})

    results = []

    def consume():
        results.append(drive(composable_loop(ScriptedBackend([slow] * 3), [add], "t", state=state)))

    worker = threading.Thread(target=consume)
    worker.start()
    assert entered.wait(5), "the model call started"
    state.cancel()
    gate.set()
    worker.join(5)
    steps, result = results[0]
    assert result.stop_reason is StopReason.CANCELLED
    assert result.reason == "cancelled during the model call"
    assert len(steps) == 0, "the call proposed while cancelling is not run"
    assert [m.role for m in result.messages] == ["system", "user"], "the late reply is dropped"


def test_state_with_messages_continues_the_conversation() -> None:
    _, first = run([ToolCall("add", {"a": 1, "b": 1})], max_steps=1)
    state = LoopState("the task", first.messages)
    steps, second = drive(
        composable_loop(
            ScriptedBackend([ToolCall("done", {"answer": "2"})]), [add], "", state=state
        )
    )
    assert second.messages[: len(first.messages)] == first.messages
    assert [m.role for m in second.messages].count("system") == 1
    assert steps[0].number == 1 and second.stop_reason is StopReason.DONE


def test_usage_latency_and_cost_are_carried_per_step_and_summed_per_turn() -> None:
    script = [
        LLMResponse(
            tool_calls=(ToolCall("add", {"a": 1, "b": 1}), ToolCall("add", {"a": 2, "b": 2})),
            usage=Usage(100, 10, 50),
            latency_ms=120.0,
            cost=0.25,
        ),
        LLMResponse(tool_calls=(ToolCall("done", {"answer": "x"}),), usage=Usage(200, 5), cost=0.5),
    ]
    steps, result = run(script)
    assert steps[0].usage == steps[1].usage == Usage(100, 10, 50)
    assert steps[0].latency_ms == 120.0
    assert steps[2].latency_ms > 0, "measured by the loop when the backend reports none"
    assert result.usage == Usage(300, 15, 50)
    assert result.cost == 0.75


def test_unknown_cost_stays_none() -> None:
    _, result = run([ToolCall("done", {"answer": "x"})])
    assert result.cost is None


def test_tools_can_be_a_registry_without_done() -> None:
    steps, result = drive(
        composable_loop(
            ScriptedBackend([ToolCall("add", {"a": 1, "b": 1})] * 2),
            tools_from([add], include_done=False),
            "t",
        )
    )
    assert len(steps) == 2 and result.stop_reason is StopReason.LLM_ERROR


def test_model_text_and_reasoning_attach_to_each_call() -> None:
    script = [
        LLMResponse(
            text="adding", reasoning="because", tool_calls=(ToolCall("add", {"a": 1, "b": 1}),)
        ),
        ToolCall("done", {"answer": "2"}, id="given-id"),
    ]
    steps, _ = run(script)
    assert (steps[0].tool_call.text, steps[0].tool_call.reasoning) == ("adding", "because")
    assert steps[1].tool_call.id == "given-id"


def test_the_backend_gets_the_runs_own_message_list_every_turn() -> None:
    """Per-step cost must not grow with history: no copy or re-render per turn."""
    lists = []

    def look(prompt):
        lists.append((prompt.messages, len(prompt.messages)))
        return ToolCall("add", {"a": 1, "b": 1})

    state = LoopState("t")
    drive(composable_loop(ScriptedBackend([look] * 4), [add], "t", state=state, max_steps=4))
    assert all(messages is state.messages for messages, _ in lists)
    assert [size for _, size in lists] == [2, 4, 6, 8], "two messages appended per one-call turn"


def test_negative_max_steps_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_steps must be 0 or more"):
        LoopConfig(max_steps=-1)
