"""`resume`: continue a run that a CheckpointHook journaled, after a kill or a crash.

    for step in resume("runs/nightly.ckpt", llm, tools, hooks=other_hooks):
        ...

The run restarts at the beginning of its last turn, with the conversation,
steps, usage and registry state it had then, and goes through that turn again:
the model's reply comes from the journal instead of the model, and calls that
already ran get their recorded results instead of running again.  Every hook
sees the turn as it did the first time, so hooks that add messages add the
same ones.  Pass the same tools, hooks (without the CheckpointHook: resume adds
one, and its `last`, that keep journaling into the same directory) and config
as the first run.

A call that was being dispatched when the run died may or may not have run.
resume refuses to guess: it raises PendingCallError naming the call.  Check
its effect, then say `pending="done"` (it ran: give its `result`, or accept a
placeholder) or `pending="not_done"` (it did not: it runs again).  When a call
marked done changed the registry's state, the restored state predates it: set
it right on the registry after `resume()` returns and before iterating.

A backend without `restore_state` is used as given: a real model needs no
position, but a `ScriptedBackend` must start at the reply after the ones
already received, `ScriptedBackend(script[load_checkpoint(dir).model_calls:])`.
"""

from __future__ import annotations

from looplet_core.hooks import Replace, Rewrite, as_tool_result
from looplet_core.hooks_lib.checkpoint import CheckpointHook
from looplet_core.hooks_lib.checkpoint_read import (
    Checkpoint,
    CheckpointError,
    Recorded,
    load_checkpoint,
)
from looplet_core.loop import LoopState, composable_loop
from looplet_core.tools import ToolRegistry, tools_from

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from collections.abc import Generator, Iterable
    from typing import Any

    from looplet_core.hooks_lib.checkpoint_read import PendingCall
    from looplet_core.loop import LoopConfig, Prompt
    from looplet_core.protocols import LLMBackend
    from looplet_core.tools import Tool
    from looplet_core.types import LLMResponse, RunResult, Step, ToolCall

__all__ = ["DONE", "NOT_DONE", "PendingCallError", "ResumeError", "resume"]

DONE = "done"
NOT_DONE = "not_done"

LOST_RESULT = "(this call ran before the run was interrupted; its result was not recorded)"
"""What the model reads for a call marked done without a result."""


class ResumeError(CheckpointError):
    """resume refuses to continue this checkpoint; the message says why."""


class PendingCallError(ResumeError):
    """The run died while a call was being dispatched: whether it ran is unknown."""

    def __init__(self, message: str, pending: PendingCall) -> None:
        super().__init__(message)
        self.pending = pending


def resume(
    dir: str | os.PathLike[str],
    llm: LLMBackend,
    tools: ToolRegistry | Iterable[Tool | Any],
    *,
    hooks: Iterable[object] = (),
    config: LoopConfig | None = None,
    pending: str | None = None,
    result: Any = None,
) -> Generator[Step, None, RunResult]:
    """Continue the run checkpointed in `dir`; a generator like `composable_loop`'s.

    Refusals (no checkpoint, a finished run, a pending call not reconciled)
    raise here, before anything runs.  The journal is only touched once the
    generator starts.
    """
    checkpoint = load_checkpoint(dir)
    if checkpoint.finished:
        raise ResumeError(
            f"{checkpoint.dir}: the run already finished ({checkpoint.stop_reason}); "
            "nothing to resume"
        )
    recorded = dict(checkpoint.recorded)
    marked = _reconcile(checkpoint, pending, result, recorded)
    registry = tools if isinstance(tools, ToolRegistry) else tools_from(tools)
    _restore(registry, checkpoint.tools_state, "tool registry", checkpoint.dir)
    _restore(llm, checkpoint.llm_state, "model backend", checkpoint.dir)
    writer = CheckpointHook(checkpoint.dir)
    writer.continue_from(checkpoint.replace(recorded=recorded), marked)
    replay = (_ReplayArgs(checkpoint.turn, recorded), _ReplayResults(checkpoint.turn, recorded))
    if checkpoint.response is not None:
        llm = _RecordedReplyFirst(llm, checkpoint.response)
    return composable_loop(
        llm,
        registry,
        checkpoint.task,
        hooks=[*replay, writer, *hooks, writer.last],
        config=config,
        state=_turn_start(checkpoint),
    )


def _reconcile(
    checkpoint: Checkpoint, pending: str | None, result: Any, recorded: dict[str, Recorded]
) -> dict[str, Any]:
    """Apply the person's word on the pending call; return it for the journal."""
    call = checkpoint.pending
    if pending not in (None, DONE, NOT_DONE):
        raise ValueError(f"pending must be {DONE!r} or {NOT_DONE!r}, not {pending!r}")
    if call is None:
        if pending is not None:
            raise ResumeError(f"{checkpoint.dir}: no call is pending, so there is none to mark")
        return {}
    if pending is None:
        raise PendingCallError(
            f"{checkpoint.dir}: {call.describe()} was being dispatched when the run stopped, "
            "and whether it ran is unknown; check its effect, then resume with "
            "pending='done' (and its result=...) or pending='not_done' to run it again",
            call,
        )
    if pending == NOT_DONE:
        return {"marked": {"as": NOT_DONE, "step": call.step, "call": call.call.to_dict()}}
    outcome = as_tool_result(LOST_RESULT if result is None else result)
    recorded[call.call.id] = Recorded(call.call, outcome, "marked done when resuming")
    return {
        "marked": {
            "as": DONE,
            "step": call.step,
            "call": call.call.to_dict(),
            "result": outcome.to_dict(),
        }
    }


def _restore(owner: Any, saved: Any, what: str, folder: str) -> None:
    if saved is None:
        return
    restore = getattr(owner, "restore_state", None)
    if not callable(restore):
        raise ResumeError(
            f"{folder}: the checkpoint holds {what} state, but {type(owner).__name__} "
            "has no restore_state() to take it"
        )
    restore(saved)


def _turn_start(checkpoint: Checkpoint) -> LoopState | None:
    """The loop's state as the interrupted turn began; None if no turn began."""
    if checkpoint.turn == 0:
        return None
    state = LoopState(checkpoint.task, checkpoint.messages)
    state.steps = [step for step in checkpoint.steps if step.turn < checkpoint.turn]
    state.last_step = state.steps[-1] if state.steps else None
    state.turn = checkpoint.turn - 1
    state.usage = checkpoint.usage
    state.cost = checkpoint.cost
    return state


class _RecordedReplyFirst:
    """A backend that answers the replayed turn from the journal, then asks the real one."""

    def __init__(self, llm: LLMBackend, response: LLMResponse) -> None:
        self._llm = llm
        self._response: LLMResponse | None = response

    def generate(self, prompt: Prompt) -> LLMResponse:
        response, self._response = self._response, None
        return self._llm.generate(prompt) if response is None else response

    def __getattr__(self, name: str) -> Any:
        """Everything else (`model`, `checkpoint_state`...) is the real backend's."""
        return getattr(self._llm, name)


class _Replay:
    """Answers the interrupted turn's calls whose outcome is known, so none runs twice.

    Two hooks share the work because one pre_dispatch answer cannot both
    restore the arguments a call ran with and supply its result.
    """

    name = "resume"

    def __init__(self, turn: int, recorded: dict[str, Recorded]) -> None:
        self.turn = turn
        self.recorded = recorded

    def _known(self, state: LoopState, call: ToolCall) -> Recorded | None:
        return self.recorded.get(call.id) if state.turn == self.turn else None


class _ReplayArgs(_Replay):
    def pre_dispatch(self, state: LoopState, call: ToolCall) -> Rewrite | None:
        known = self._known(state, call)
        if known is None or known.call.args == call.args:
            return None
        return Rewrite(dict(known.call.args), "the arguments it ran with before the run stopped")


class _ReplayResults(_Replay):
    def pre_dispatch(self, state: LoopState, call: ToolCall) -> Replace | None:
        known = self._known(state, call)
        return None if known is None else Replace(known.result, known.why)
