"""What hooks can see of a run (llm, tools, config), `on_llm_error`, and ending a run
from `pre_dispatch` with `Stop` or `Diverged`."""

from __future__ import annotations

from looplet_core import (
    Diverged,
    LoopConfig,
    LoopState,
    ScriptedBackend,
    Stop,
    StopReason,
    ToolCall,
    composable_loop,
    tool,
)
from tests.helpers import drive

ran: list[str] = []


@tool
def note(text: str) -> str:
    """Remember a note."""
    ran.append(text)
    return text


DONE = ToolCall("done", {"answer": "ok"})


class SeesTheRun:
    def __init__(self) -> None:
        self.seen: list[tuple[object, ...]] = []

    def pre_loop(self, state: LoopState) -> None:
        self.seen.append((state.llm, state.tools, state.config))


def test_pre_loop_sees_the_backend_the_tools_and_the_settings_in_force() -> None:
    llm = ScriptedBackend([DONE])
    hook = SeesTheRun()
    config = LoopConfig(max_steps=7, text_fallback=False)
    drive(composable_loop(llm, [note], "t", hooks=[hook], config=config, system_prompt="be brief"))
    [(seen_llm, tools, seen_config)] = hook.seen
    assert seen_llm is llm
    assert tools.names == ("note", "done") and tools.is_terminal("done")
    assert seen_config == LoopConfig(max_steps=7, system_prompt="be brief", text_fallback=False)


def test_the_max_steps_override_is_the_config_hooks_see() -> None:
    hook = SeesTheRun()
    drive(composable_loop(ScriptedBackend([DONE]), [note], "t", hooks=[hook], max_steps=3))
    assert hook.seen[0][2] == LoopConfig(max_steps=3)


class Failing:
    def generate(self, prompt):
        raise ConnectionError("socket closed by peer")


class ErrorWatcher:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []

    def on_llm_error(self, state, prompt, error) -> None:
        self.calls.append((prompt.turn, len(prompt.messages), repr(error)))


def test_on_llm_error_sees_the_prompt_and_the_exception_and_the_run_ends() -> None:
    watcher = ErrorWatcher()
    steps, result = drive(composable_loop(Failing(), [note], "t", hooks=[watcher]))
    assert steps == []
    assert watcher.calls == [(1, 2, "ConnectionError('socket closed by peer')")]
    assert result.stop_reason is StopReason.LLM_ERROR
    assert result.error == "ConnectionError: socket closed by peer"
    assert [(e.hook, e.phase) for e in result.hook_trace] == [("ErrorWatcher", "on_llm_error")]


def test_on_llm_error_is_not_called_when_the_model_answers() -> None:
    watcher = ErrorWatcher()
    _, result = drive(composable_loop(ScriptedBackend([DONE]), [note], "t", hooks=[watcher]))
    assert result.stop_reason is StopReason.DONE and watcher.calls == []


class StopBefore:
    def __init__(self, text: str, decision: type[Stop]) -> None:
        self.text = text
        self.decision = decision

    def pre_dispatch(self, state, call):
        if call.args.get("text") == self.text:
            return self.decision(f"will not write {self.text!r}")
        return None


def test_stop_from_pre_dispatch_ends_the_run_before_the_call_runs() -> None:
    ran.clear()
    turn = [ToolCall("note", {"text": "a"}), ToolCall("note", {"text": "b"}), DONE]
    steps, result = drive(
        composable_loop(ScriptedBackend([turn]), [note], "t", hooks=[StopBefore("b", Stop)])
    )
    assert ran == ["a"]
    assert [step.tool_call.args for step in steps] == [{"text": "a"}]
    assert (result.stop_reason, result.reason) == (StopReason.HOOK, "will not write 'b'")
    # The stopped call and the one after it still get a result, so the conversation stays valid.
    tool_messages = [m for m in result.messages if m.role == "tool"]
    assert [(m.content.startswith("ERROR (skipped)"), m.is_error) for m in tool_messages] == [
        (False, False),
        (True, True),
        (True, True),
    ]
    assert [(e.phase, e.decision) for e in result.hook_trace] == [("pre_dispatch", "stop")]


def test_diverged_ends_the_run_with_stop_reason_diverged_from_any_stopping_phase() -> None:
    ran.clear()
    script = [ToolCall("note", {"text": "a"}), ToolCall("note", {"text": "b"}), DONE]
    _, result = drive(
        composable_loop(ScriptedBackend(script), [note], "t", hooks=[StopBefore("b", Diverged)])
    )
    assert ran == ["a"]
    assert (result.stop_reason, result.reason) == (StopReason.DIVERGED, "will not write 'b'")
    assert result.hook_trace[-1].decision == "diverged"

    class OffTrack:
        def pre_prompt(self, state, prompt):
            return Diverged("turn 2 was not expected") if prompt.turn == 2 else None

        def should_stop(self, state, step):
            return (
                Diverged("first step is enough") if step.tool_call.args == {"text": "x"} else None
            )

    _, result = drive(
        composable_loop(
            ScriptedBackend([ToolCall("note", {"text": "y"}), DONE]),
            [note],
            "t",
            hooks=[OffTrack()],
        )
    )
    assert (result.stop_reason, result.reason) == (StopReason.DIVERGED, "turn 2 was not expected")
    steps, result = drive(
        composable_loop(
            ScriptedBackend([ToolCall("note", {"text": "x"}), DONE]),
            [note],
            "t",
            hooks=[OffTrack()],
        )
    )
    assert (result.stop_reason, result.reason) == (StopReason.DIVERGED, "first step is enough")
    assert [(e.phase, e.decision) for e in steps[0].hook_trace][-1] == ("should_stop", "diverged")
    assert steps[0].ok
