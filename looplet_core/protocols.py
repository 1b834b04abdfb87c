"""Typing protocols for hooks and backends: documentation and type checking.

looplet_core never imports this module itself (nothing needs `typing` at run
time, and importing it costs milliseconds); hooks and backends are duck-typed.
Import from here to have a type checker verify yours:

    from looplet_core.protocols import LLMBackend, PreDispatch
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from looplet_core.hooks import Allow, Block, Deny, Inject, Replace, Rewrite, Stop
    from looplet_core.loop import LoopState, Prompt
    from looplet_core.types import LLMResponse, Message, RunResult, Step, ToolCall, ToolResult

__all__ = [
    "CheckDone",
    "DebugState",
    "LLMBackend",
    "OnLLMError",
    "OnLLMResponse",
    "OnLoopEnd",
    "OnStep",
    "PostDispatch",
    "PreDispatch",
    "PreLoop",
    "PrePrompt",
    "ShouldStop",
]


class LLMBackend(Protocol):
    """The one method the loop needs from a model.

    Raising from `generate` ends the run with stop reason `llm_error`; the
    exception's message is kept on the RunResult.
    """

    def generate(self, prompt: Prompt) -> LLMResponse: ...


class PreLoop(Protocol):
    def pre_loop(self, state: LoopState) -> None: ...


class PrePrompt(Protocol):
    def pre_prompt(
        self, state: LoopState, prompt: Prompt
    ) -> str | Sequence[Message] | Stop | None: ...


class OnLLMResponse(Protocol):
    def on_llm_response(self, state: LoopState, prompt: Prompt, response: LLMResponse) -> None: ...


class OnLLMError(Protocol):
    def on_llm_error(self, state: LoopState, prompt: Prompt, error: Exception) -> None: ...


class PreDispatch(Protocol):
    def pre_dispatch(
        self, state: LoopState, call: ToolCall
    ) -> Allow | Deny | Rewrite | Replace | Stop | None: ...


class PostDispatch(Protocol):
    def post_dispatch(
        self, state: LoopState, call: ToolCall, result: ToolResult
    ) -> Replace | Inject | Stop | None: ...


class CheckDone(Protocol):
    def check_done(self, state: LoopState, call: ToolCall, result: ToolResult) -> Block | None: ...


class ShouldStop(Protocol):
    def should_stop(self, state: LoopState, step: Step) -> bool | str | Stop | None: ...


class OnStep(Protocol):
    def on_step(self, state: LoopState, step: Step) -> None: ...


class OnLoopEnd(Protocol):
    def on_loop_end(self, state: LoopState, result: RunResult) -> None: ...


class DebugState(Protocol):
    def debug_state(self) -> Mapping[str, object]: ...
