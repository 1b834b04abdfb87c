"""`ReplayGuard`: the hook that keeps a replay on the recording, or says where it left it.

It is an ordinary hook, so a replay is an ordinary run of `composable_loop`
that other hooks (a debugger, a recorder) see like any other:

- `pre_dispatch` compares the call about to run with the recorded step of
  the same number, and ends the run with `Diverged` when the tool or the
  arguments differ, before the tool runs.  It is placed after the caller's
  hooks, so it judges the call as they left it (a hook whose rewrite changed
  is caught).  In a full replay it then answers with the recorded result
  (`Replace`), so no tool runs.
- `pre_prompt` ends the run when it asks for a turn the recording does not
  have: `Diverged` when the recorded run ended there in a way the loop would
  have repeated by itself (a terminal tool, the step limit), a plain `Stop`
  otherwise (the recorded run was stopped from outside, did not finish, or was
  written by another program).  A recorded model failure is left to the
  backend, which repeats it.
- From a fork's step on, it steps aside: the live backend and the tools run.
"""

from __future__ import annotations

from looplet_core.hooks import Diverged, Replace, Stop
from looplet_core.types import StopReason

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from looplet_core.loop import LoopState, Prompt
    from looplet_core.replay.recording import Recording
    from looplet_core.types import ToolCall, ToolResult

__all__ = ["ReplayGuard", "describe_call"]

_REPEATED_ENDINGS = frozenset({StopReason.DONE, StopReason.MAX_STEPS})
"""Endings the loop reaches by itself given the same answers and tools."""
_CALL_WIDTH = 300


class ReplayGuard:
    """Checks each call against the recording; in full mode, answers with the recorded result.

    `fork_index` is the 0-based step from which the run is live (None: never);
    `fork_result`, when given, is the result the step at the fork gets
    instead of running.
    """

    name = "replay"

    def __init__(
        self,
        recording: Recording,
        *,
        full: bool,
        replayed_turns: int,
        fork_index: int | None = None,
        fork_result: ToolResult | None = None,
    ) -> None:
        self.recording = recording
        self.full = full
        self.replayed_turns = replayed_turns
        """Turns answered from the recording; a later turn is live (fork) or off the end."""
        self.fork_index = fork_index
        self.fork_result = fork_result
        self.checked = 0
        """Calls found to match the recording so far."""

    def pre_prompt(self, state: LoopState, prompt: Prompt) -> Stop | None:
        if prompt.turn <= self.replayed_turns or self.fork_index is not None:
            return None
        if self.recording.meta.stop_reason == StopReason.LLM_ERROR:
            return None  # the backend answers this turn with the recorded failure
        return self._past_the_end(f"the replay went on to turn {prompt.turn}")

    def pre_dispatch(self, state: LoopState, call: ToolCall) -> Stop | Replace | None:
        index = len(state.steps)
        if self.fork_index is not None and index >= self.fork_index:
            if index == self.fork_index and self.fork_result is not None:
                return Replace(self.fork_result, f"edited result at the fork (step {index + 1})")
            return None
        if index >= len(self.recording):  # the recorded run stopped in the middle of a turn
            return self._past_the_end(f"the replay went on to call {describe_call(call)}")
        recorded = self.recording.steps[index]
        expected = recorded.tool_call
        if expected.name != call.name or expected.args != call.args:
            return Diverged(
                f"step {index + 1}: expected {describe_call(expected)}, got {describe_call(call)}"
            )
        self.checked += 1
        if self.full:
            return Replace(recorded.tool_result, "recorded result (full replay)")
        return None

    def _past_the_end(self, what: str) -> Stop:
        """The replay wants more than was recorded: a divergence if the loop should have
        stopped here by itself, else simply the end of the recording."""
        recording = self.recording
        where = (
            f"the recording ends after step {len(recording)}: the recorded run "
            f"{recording.describe_end()}"
        )
        if recording.native and recording.meta.stop_reason in _REPEATED_ENDINGS:
            return Diverged(f"{where}; {what}")
        return Stop(where)

    def debug_state(self) -> dict[str, Any]:
        return {
            "replaying": self.recording.path,
            "mode": "full" if self.full else "captured",
            "fork_at": None if self.fork_index is None else self.fork_index + 1,
            "matched_calls": self.checked,
            "recorded_steps": len(self.recording),
        }


def describe_call(call: ToolCall) -> str:
    """`move_file(source='a', destination='b')`, cut at a readable length."""
    args = call.args
    inner = (
        f"<not JSON: {args!r}>"
        if isinstance(args, str)
        else ", ".join(f"{key}={value!r}" for key, value in args.items())
    )
    text = f"{call.name}({inner})"
    return text if len(text) <= _CALL_WIDTH else text[: _CALL_WIDTH - 1] + "…"
