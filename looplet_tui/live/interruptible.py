"""The run's backend and tools, wrapped so the debugger sees and can abandon them.

Each model call and tool call runs through the session's `Interrupt`: the
debugger learns when one starts (for the "waiting for the model" spinner) and
can stop waiting for it at once when the user stops the run or quits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from looplet_core import ErrorKind, LLMResponse, Prompt, ToolCall, ToolRegistry, ToolResult
from looplet_tui.live.gate import Interrupt, Interrupted

__all__ = ["InterruptibleLLM", "InterruptibleTools"]

PhaseCallback = Callable[[str, str], None]
"""`(phase, detail)`: "model" or "tool" when a call starts, "running" when it ends."""


class InterruptibleLLM:
    """A backend whose `generate` can be abandoned.

    An abandoned call answers with an empty reply: the session has already
    cancelled the run, and the loop checks for that as soon as the model
    answers, so the run ends `cancelled` and the empty reply is never used.
    Other attributes (`model`, `params`, checkpoint state) are the wrapped
    backend's, so recorders describe the real model.
    """

    def __init__(self, inner: Any, interrupt: Interrupt, on_phase: PhaseCallback) -> None:
        self.inner = inner
        self._interrupt = interrupt
        self._on_phase = on_phase

    def generate(self, prompt: Prompt) -> LLMResponse:
        self._on_phase("model", "")
        try:
            return self._interrupt.call(self.inner.generate, prompt, name="looplet-model-call")
        except Interrupted:
            return LLMResponse()
        finally:
            self._on_phase("running", "")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class InterruptibleTools(ToolRegistry):
    """The same tools as `inner`, dispatched by `inner`, abandonably."""

    __slots__ = ("_inner", "_interrupt", "_on_phase")

    def __init__(self, inner: ToolRegistry, interrupt: Interrupt, on_phase: PhaseCallback) -> None:
        super().__init__(inner)
        self._inner = inner
        self._interrupt = interrupt
        self._on_phase = on_phase

    def dispatch(self, call: ToolCall) -> ToolResult:
        self._on_phase("tool", call.name)
        try:
            return self._interrupt.call(self._inner.dispatch, call, name="looplet-tool-call")
        except Interrupted:
            return ToolResult.failure(
                ErrorKind.EXECUTION,
                f"interrupted: the run was stopped while {call.name} was running "
                "(it may still finish in the background)",
            )
        finally:
            self._on_phase("running", "")
