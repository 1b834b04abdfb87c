"""`replay()`: run a recorded trace again through `composable_loop`.

The pieces are plain loop parts: a backend that serves the recorded answers
(`ReplayBackend`), a hook that keeps the run on the recording
(`ReplayGuard`), the caller's tools or stand-ins, and a `ProvenanceSink`
whose header says what was replayed.  The caller's hooks see the replay as
they see any run.
"""

from __future__ import annotations

import os

from looplet_core.hooks import as_tool_result
from looplet_core.loop import LoopState, composable_loop
from looplet_core.provenance import ProvenanceSink, Trace, open_trace
from looplet_core.replay.backend import ReplayBackend, stand_in_tools
from looplet_core.replay.guard import ReplayGuard
from looplet_core.replay.recording import Recording, ReplayError
from looplet_core.tools import ToolRegistry, tools_from
from looplet_core.types import StopReason

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from typing import Any

    from looplet_core.protocols import LLMBackend
    from looplet_core.types import LLMResponse, RunResult, Step, ToolCall, ToolResult

__all__ = ["MODES", "Replay", "replay"]

MODES = ("captured", "full")
"""`captured`: recorded answers, tools run again.  `full`: recorded results too."""


class Replay:
    """One replay run.  Iterate it for its Steps, or call `run()`; `result` is set at the end.

    Iterating drives the `composable_loop` generator underneath (`loop`), so a
    caller may step it, pause and resume, stop it (`close()`), or hand `loop`
    to a debugger.
    """

    __slots__ = ("dir", "forked_from", "guard", "loop", "result")

    def __init__(
        self,
        loop: Generator[Step, None, RunResult],
        dir: str,
        forked_from: dict[str, Any],
        guard: ReplayGuard,
    ) -> None:
        self.loop = loop
        self.dir = dir
        """Where the replay's own trace is written."""
        self.forked_from = forked_from
        """`{"path", "step", "mode"}`: the trace replayed, the fork's step (or None), the mode."""
        self.guard = guard
        self.result: RunResult | None = None

    def __iter__(self) -> Replay:
        return self

    def __next__(self) -> Step:
        """The next Step.  Not a generator wrapping `loop`: dropping one of those would
        close the loop underneath, and a replay must survive `for ...: break`."""
        try:
            return next(self.loop)
        except StopIteration as stop:
            if self.result is None:  # a finished loop stops again with None: keep the result
                self.result = stop.value
            raise StopIteration from None

    def run(self) -> RunResult:
        """Run the replay to its end (from wherever iterating it stopped); return the RunResult."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result

    def close(self) -> None:
        self.loop.close()


def replay(
    source: str | os.PathLike[str] | Trace,
    *,
    mode: str = "full",
    tools: ToolRegistry | Iterable[Any] | None = None,
    hooks: Iterable[object] = (),
    out: str | os.PathLike[str] | None = None,
    fork_at: int | None = None,
    llm: LLMBackend | None = None,
    edit_call: ToolCall | Callable[[ToolCall], ToolCall] | None = None,
    edit_result: Any = None,
    max_steps: int | None = None,
) -> Replay:
    """Replay the run recorded at `source` (a trace path or an open Trace).

    - `mode="captured"`: the model's answers come from the trace and `tools`
      (required) run again.  A call that differs from the recorded one (tool
      or arguments, as the caller's hooks leave it) ends the run with stop
      reason `diverged` before it runs.
    - `mode="full"`: the recorded results are used too, so nothing runs and
      no tools are needed (stand-ins show the model the recorded schemas).
    - `fork_at=k` with a live `llm`: steps before k are replayed in `mode`,
      then `llm` answers from step k on, with `tools` (or stand-ins, which
      fail every new call).  `edit_call` replaces the model's call at k (a
      ToolCall, or a function of the recorded one); `edit_result` gives the
      result of step k instead of running it (data, a ToolResult, or a
      function of the recorded ToolResult).  With neither, the model is asked
      again at the point where it proposed step k.

    The replay records its own trace (`out`, default under
    ./.looplet/runs/) whose header has `forked_from`.  `max_steps` defaults to
    the recorded run's limit.  Raises ReplayError for arguments that do not
    fit the trace, and TraceError for a trace that cannot be read.
    """
    if mode not in MODES:
        raise ReplayError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "captured" and tools is None:
        raise ReplayError("a captured replay runs the tools again: pass tools=")
    if (llm is None) != (fork_at is None):
        raise ReplayError("fork_at and llm go together: a fork needs a live backend from step k")
    if fork_at is None and (edit_call is not None or edit_result is not None):
        raise ReplayError("edit_call and edit_result edit the step a fork starts at: pass fork_at")
    trace = source if isinstance(source, Trace) else open_trace(source)
    total = len(trace)
    if fork_at is not None and not (type(fork_at) is int and 1 <= fork_at <= total + 1):
        raise ReplayError(
            f"{trace.path}: fork_at must be a step from 1 to {total + 1}, not {fork_at!r}"
        )
    if fork_at == total + 1 and (edit_call is not None or edit_result is not None):
        raise ReplayError(f"{trace.path}: there is no recorded step {fork_at} to edit")
    recording = Recording(trace, None if fork_at is None else fork_at)
    if fork_at is None:
        responses = [recording.response(turn) for turn in range(len(recording.turns))]
        fork_result = None
    else:
        responses, fork_result = _fork_plan(recording, fork_at - 1, edit_call, edit_result)
    meta = recording.meta
    forked_from = {"path": recording.path, "step": fork_at, "mode": mode}
    sink = ProvenanceSink(out, forked_from=forked_from)
    guard = ReplayGuard(
        recording,
        full=mode == "full",
        replayed_turns=len(responses),
        fork_index=None if fork_at is None else fork_at - 1,
        fork_result=fork_result,
    )
    backend = ReplayBackend(
        responses,
        live=llm,
        failure=meta.error if meta.stop_reason == StopReason.LLM_ERROR else None,
        model=meta.model,
    )
    if tools is None:
        registry = stand_in_tools(recording)
    else:
        registry = tools if isinstance(tools, ToolRegistry) else tools_from(tools)
    loop = composable_loop(
        backend,
        registry,
        meta.task or "",
        hooks=[*hooks, guard, sink],
        config=recording.config(max_steps),
        state=LoopState(meta.task or "", recording.initial_messages()),
    )
    return Replay(loop, sink.dir, forked_from, guard)


def _fork_plan(
    recording: Recording,
    index: int,
    edit_call: ToolCall | Callable[[ToolCall], ToolCall] | None,
    edit_result: Any,
) -> tuple[list[LLMResponse], ToolResult | None]:
    """The recorded answers a fork at step `index` (0-based) replays, and the edited result.

    Turns before the fork's turn are answered as recorded.  The fork's turn
    keeps the calls before the fork, plus the call at the fork when it is
    edited or given a result; with nothing left it is not replayed at all and
    the live model answers it.
    """
    if index == len(recording):  # after the last recorded step: every turn, then live
        return [recording.response(turn) for turn in range(len(recording.turns))], None
    turn, position = recording.turn_of(index)
    responses = [recording.response(earlier) for earlier in range(turn)]
    proposed = recording.response(turn)
    # Calls parsed from a text reply are not in the response: take them from the steps.
    proposals = proposed.tool_calls or recording.turn_calls(turn)
    calls = proposals[:position]
    fork_result = None
    if edit_call is not None or edit_result is not None:
        if position < len(proposals):
            original = proposals[position]
        else:
            original = recording.steps[index].tool_call
        call = edit_call(original) if callable(edit_call) else (edit_call or original)
        calls = (*calls, call)
        if edit_result is not None:
            recorded = recording.steps[index].tool_result
            value = edit_result(recorded) if callable(edit_result) else edit_result
            fork_result = as_tool_result(value)
    if calls:
        responses.append(proposed.replace(tool_calls=calls))
    return responses, fork_result
