"""`Recording`: what a trace holds that a replay needs, read once and checked up front.

A replay needs, per recorded turn, the model's answer, and per step, the call
that ran and its result; plus how the run began (task, first messages,
settings, tools) and how it ended.  The trace's public reader gives all of
it for our own traces and for foreign ones alike; where a turn's response was
not recorded (a damaged call record, or a format that keeps none), it is
rebuilt from that turn's steps.

Loading every needed step here, before the run starts, means a damaged trace
is refused with one clear error instead of failing half-way through a replay.
"""

from __future__ import annotations

import os

from looplet_core.loop import DEFAULT_SYSTEM_PROMPT, LoopConfig
from looplet_core.provenance import TraceError
from looplet_core.tools import DONE_TOOL_NAME
from looplet_core.types import LLMResponse, Message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from looplet_core.provenance import Trace, TraceMeta
    from looplet_core.types import Step, ToolCall

__all__ = ["NATIVE_FORMAT", "Recording", "ReplayError"]

NATIVE_FORMAT = "looplet-trace"
"""The start of `TraceMeta.format` for traces this project wrote."""


class ReplayError(ValueError):
    """A replay that cannot start: bad arguments, or a trace that lacks what it needs.

    The message is one line that names the trace (or the argument) and the problem.
    """


class Recording:
    """The steps and model answers of a trace, grouped by turn, for replaying.

    `turns[t]` lists the indices (0-based) of the steps turn t produced, in
    order; turns are numbered by their order in the trace, not by the numbers
    it stored, so a replay's turn t+1 is the recording's `turns[t]`.
    """

    def __init__(self, trace: Trace, steps_needed: int | None = None) -> None:
        self.path = os.path.abspath(trace.path)
        """The trace, as an absolute path (what a replay's `forked_from` names)."""
        self.meta: TraceMeta = trace.meta
        self.native = str(getattr(self.meta, "format", NATIVE_FORMAT)).startswith(NATIVE_FORMAT)
        """Written by looplet_core itself (else a foreign format read by an adapter)."""
        count = len(trace) if steps_needed is None else min(steps_needed, len(trace))
        self.steps: list[Step] = []
        responses: list[LLMResponse | None] = []
        self.turns: list[list[int]] = []
        self.first_prompt: Sequence[Message] | None = None
        last_turn: int | None = None
        for index in range(count):
            try:
                if index == 0:  # the one prompt a replay needs: how the run began
                    detail = trace.detail(0)
                    step, self.first_prompt = detail.step, detail.prompt
                else:
                    step = trace.step(index)
                if step.turn != last_turn:
                    responses.append(trace.response(index, raw_request=False))
                    self.turns.append([])
                    last_turn = step.turn
            except TraceError as exc:
                raise ReplayError(
                    f"{self.path}: step {index + 1} cannot be replayed ({exc})"
                ) from exc
            self.turns[-1].append(index)
            self.steps.append(step)
        self._recorded = responses
        self.total_steps = len(trace)
        """Steps in the whole trace (`steps` may hold only the first ones a fork needs)."""

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def settings(self) -> dict[str, Any]:
        return self.meta.settings

    def response(self, turn: int) -> LLMResponse:
        """The model's answer for `turns[turn]`, as a backend would return it.

        A recorded response is used as it is (read without its raw request: no
        request is sent in a replay).  Otherwise, and for foreign formats, whose
        responses are not in our shape, the calls are the ones the turn's steps
        record; a step with no tool name is the model's unparsable text reply.
        """
        recorded = self._recorded[turn]
        if recorded is not None and self.native:
            return recorded
        calls = self.turn_calls(turn)
        if recorded is not None:
            return recorded.replace(tool_calls=calls)
        first = self.steps[self.turns[turn][0]]
        return LLMResponse(
            text=first.tool_call.text,
            tool_calls=calls,
            usage=first.usage,
            latency_ms=first.latency_ms,
            reasoning=first.tool_call.reasoning,
            model=self.meta.model,
            cost=first.cost,
        )

    def turn_calls(self, turn: int) -> tuple[ToolCall, ...]:
        """The calls `turns[turn]`'s steps ran (a step without a tool name made no call)."""
        steps = (self.steps[index] for index in self.turns[turn])
        return tuple(step.tool_call for step in steps if step.tool_call.name)

    def turn_of(self, index: int) -> tuple[int, int]:
        """The turn holding step `index`, and the step's position within that turn."""
        for turn, indices in enumerate(self.turns):
            if indices[0] <= index <= indices[-1]:
                return turn, index - indices[0]
        raise IndexError(f"step {index + 1} is not in the recording")

    def config(self, max_steps: int | None = None) -> LoopConfig:
        """The loop settings the recorded run used, as far as the trace says.

        Foreign runs keep none of ours: they get at least as many steps as were
        recorded, and never parse text replies (their text is in another
        program's format, so it must not turn into calls).
        """
        settings = self.settings
        recorded_max = settings.get("max_steps")
        if max_steps is None:
            default = LoopConfig().max_steps
            max_steps = recorded_max if _is_count(recorded_max) else max(default, self.total_steps)
        fallback = settings.get("text_fallback")
        return LoopConfig(
            max_steps=max_steps,
            system_prompt=self.system_prompt(),
            text_fallback=fallback if isinstance(fallback, bool) else self.native,
        )

    def system_prompt(self) -> str:
        recorded = self.settings.get("system_prompt")
        if isinstance(recorded, str):
            return recorded
        first = self.first_prompt
        if first and first[0].role == "system":
            return first[0].content
        return DEFAULT_SYSTEM_PROMPT

    def initial_messages(self) -> list[Message]:
        """The conversation the recorded run started from.

        A run that began the usual way (system prompt and task) is begun the
        same way.  One that continued an earlier conversation starts from the
        first prompt's opening messages: `initial_messages` of them for our
        traces, everything before the first assistant message otherwise.
        """
        task = self.meta.task or ""
        start = [Message("system", self.system_prompt()), Message("user", task)]
        count = self.settings.get("initial_messages")
        first = self.first_prompt
        if first is None or count == 2:
            return start
        if not _is_count(count):
            count = next((i for i, m in enumerate(first) if m.role == "assistant"), len(first))
        return list(first[:count]) if count else start

    def terminal_tools(self, names: tuple[str, ...]) -> frozenset[str]:
        """Tools whose success ended the recorded run: as recorded, else `done` if there is one."""
        recorded = self.settings.get("terminal_tools")
        if isinstance(recorded, list):
            return frozenset(name for name in recorded if isinstance(name, str))
        return frozenset({DONE_TOOL_NAME} & set(names))

    def describe_end(self) -> str:
        """How the recorded run ended, for messages: `stopped with done (done was called)`."""
        meta = self.meta
        if not meta.stop_reason:
            return "did not finish"
        detail = meta.reason or meta.error or ""
        return f"stopped with {meta.stop_reason}" + (f" ({detail})" if detail else "")


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0
