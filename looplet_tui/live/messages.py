"""What the loop thread tells the UI: typed messages, posted with `post_message`.

The loop thread never touches a widget.  Messages are posted to the debugger
screen and do not bubble further.  It describes what happened in one of
these messages and the screen reacts on the UI thread.  Everything a message
carries is immutable or a private copy, so the two threads never share
mutable state through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message as TextualMessage

from looplet_core import Message, ToolCall, ToolResult
from looplet_core.hooks_lib import ApprovalRequest
from looplet_core.types import HookTrace

__all__ = [
    "HookStates",
    "HumanRecorded",
    "Pause",
    "PausedAt",
    "PhaseChanged",
    "RunEnded",
    "RunStarted",
    "StepRecorded",
    "TurnStarted",
]

HookStates = Mapping[str, Mapping[str, Any]]

PRE_PROMPT = "pre_prompt"
APPROVAL = "approval"
POST_DISPATCH = "post_dispatch"
AFTER_STEP = "step"


@dataclass(frozen=True, slots=True)
class Pause:
    """Where the run waits for the user, with what the user needs to decide."""

    id: int
    """Answers name the pause they answer, so a late key press cannot answer the next one."""
    kind: str
    """`pre_prompt`, `approval` (before dispatch), `post_dispatch` or `step` (after one)."""
    turn: int
    step: int
    """The step the pause is about; before the model call, the next step's number."""
    why: tuple[str, ...]
    """What made it pause: the breakpoints that fired, a rule, or "paused"."""
    messages: tuple[Message, ...] = ()
    """pre_prompt: the conversation the model is about to receive."""
    tools: tuple[Mapping[str, Any], ...] = ()
    """pre_prompt: the tool schemas it will be shown."""
    request: ApprovalRequest | None = None
    """approval: the ApprovalHook's question."""
    call: ToolCall | None = None
    result: ToolResult | None = None
    """post_dispatch and step: the call and its (possibly edited) result."""
    hook_states: HookStates = field(default_factory=dict)
    """Each hook's `debug_state()` at the moment of the pause."""
    decisions: tuple[HookTrace, ...] = ()
    """What the hooks decided about the step so far (`LoopState.pending_hook_trace`),
    in the order they ran; after a step, all its hook calls up to its `on_step`.
    Calls about the run's start or the step before (`pre_loop`, the previous
    `on_step`), which the loop files under this step, are left out."""
    edited: bool = False
    """The user already edited the prompt or the result at this pause."""


class TurnStarted(TextualMessage, bubble=False):
    """A model turn is about to be prompted."""

    def __init__(self, turn: int) -> None:
        super().__init__()
        self.turn = turn


class RunStarted(TextualMessage, bubble=False):
    """The trace directory exists: the live source can open it."""

    def __init__(self, run_dir: str) -> None:
        super().__init__()
        self.run_dir = run_dir


class PhaseChanged(TextualMessage, bubble=False):
    """The loop entered a phase: `prompt`, `model`, `tool` or `running`."""

    def __init__(self, phase: str, detail: str, since: float) -> None:
        super().__init__()
        self.phase = phase
        self.detail = detail
        self.since = since
        """`time.monotonic()` when the phase began, for the elapsed time."""

    def can_replace(self, message: TextualMessage) -> bool:
        return isinstance(message, PhaseChanged)  # only the newest phase matters


class PausedAt(TextualMessage, bubble=False):
    """The loop thread is blocked on the gate until the pause is answered."""

    def __init__(self, pause: Pause) -> None:
        super().__init__()
        self.pause = pause


class StepRecorded(TextualMessage, bubble=False):
    """A step was yielded (and is in the trace), with the hooks' states after it."""

    def __init__(self, number: int, hook_states: HookStates, compacted: bool = False) -> None:
        super().__init__()
        self.number = number
        self.hook_states = hook_states
        self.compacted = compacted
        """The conversation was compacted right before this step's model call."""


class HumanRecorded(TextualMessage, bubble=False):
    """A human decision was written to the trace."""

    def __init__(self, step: int, action: str) -> None:
        super().__init__()
        self.step = step
        self.action = action


class RunEnded(TextualMessage, bubble=False):
    """The loop returned (or raised); the trace is closed."""

    def __init__(self, stop_reason: str, reason: str, error: str | None) -> None:
        super().__init__()
        self.stop_reason = stop_reason
        self.reason = reason
        self.error = error
