"""What LoopState offers a debugger that pauses inside a phase: the hook calls
recorded so far for the coming step, and a cancel that says who cancelled."""

from __future__ import annotations

from looplet_core import (
    Allow,
    LoopState,
    ScriptedBackend,
    StopReason,
    ToolCall,
    composable_loop,
    tool,
)
from tests.helpers import drive


@tool
def echo(text: str) -> str:
    """Return the text."""
    return text


class Approver:
    name = "approver"

    def pre_dispatch(self, state, call):
        return Allow(f"{call.name} is fine")


class Watcher:
    """Notes, at each call's pre_dispatch, what the hooks decided so far."""

    name = "watcher"

    def __init__(self) -> None:
        self.seen: list[list[tuple[str, str, str | None]]] = []

    def pre_prompt(self, state, prompt):
        return None

    def pre_dispatch(self, state, call):
        self.seen.append([(e.hook, e.phase, e.decision) for e in state.pending_hook_trace])


def test_pending_hook_trace_holds_what_the_next_step_will_start_with() -> None:
    watcher = Watcher()
    script = [
        [ToolCall("echo", {"text": "a"}), ToolCall("echo", {"text": "b"})],
        [ToolCall("done", {"answer": "ok"})],
    ]
    steps, _ = drive(
        composable_loop(ScriptedBackend(script), [echo], "t", hooks=[Approver(), watcher])
    )
    first, second, third = watcher.seen
    assert first == [("watcher", "pre_prompt", None), ("approver", "pre_dispatch", "allow")]
    assert second == [("approver", "pre_dispatch", "allow")]  # step 1's entries are gone
    assert third == first
    for seen, step in zip(watcher.seen, steps, strict=True):
        recorded = [(e.hook, e.phase, e.decision) for e in step.hook_trace]
        assert recorded[: len(seen)] == seen


def test_pending_hook_trace_is_a_snapshot() -> None:
    state = LoopState("t")
    holder: list[tuple] = []

    class Keeper:
        def pre_dispatch(self, state, call):
            holder.append(state.pending_hook_trace)

    drive(
        composable_loop(
            ScriptedBackend([[ToolCall("done", {"answer": "ok"})]]),
            [echo],
            "t",
            hooks=[Approver(), Keeper()],
            state=state,
        )
    )
    assert [e.hook for e in holder[0]] == ["approver"]  # not emptied when the step took it
    assert state.pending_hook_trace == ()


def test_a_cancel_while_a_pre_prompt_hook_holds_the_turn_never_calls_the_model() -> None:
    llm = ScriptedBackend([[ToolCall("echo", {"text": "a"})]])

    class StopsAtTheKeyboard:
        def pre_prompt(self, state, prompt):
            state.cancel("stopped by user at keyboard")

    steps, result = drive(composable_loop(llm, [echo], "t", hooks=[StopsAtTheKeyboard()]))
    assert steps == [] and llm.calls == 0
    assert result.stop_reason is StopReason.CANCELLED
    assert result.reason == "stopped by user at keyboard before the next model call"


def test_the_cancel_reason_begins_the_stop_reason_between_tool_calls() -> None:
    class CancelsAfterTheFirstCall:
        def post_dispatch(self, state, call, result):
            state.cancel("budget watcher gave up")

    script = [[ToolCall("echo", {"text": "a"}), ToolCall("echo", {"text": "b"})]]
    steps, result = drive(
        composable_loop(ScriptedBackend(script), [echo], "t", hooks=[CancelsAfterTheFirstCall()])
    )
    assert len(steps) == 1
    assert result.stop_reason is StopReason.CANCELLED
    assert result.reason == "budget watcher gave up between tool calls"
